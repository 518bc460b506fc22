/** `aesearch train`: train an autoencoder on the database images and save it under the index folder. */
import { type Command, Option } from 'commander';
import {
  ARCH_NAMES,
  type ArchName,
  defaultArchConfig,
  NOISE_TYPES,
  type NoiseType,
} from '../../model/architectures/index.js';
import { runTraining } from '../../model/train-run.js';
import { log, openDataset, prepare } from '../context.js';
import { type CommonFlags, commonOptions, intIn, numberIn } from '../options.js';
import { startBar } from '../progress.js';

interface TrainFlags extends CommonFlags {
  arch: ArchName;
  codeSize?: number;
  epochs: number;
  batchSize: number;
  lr: number;
  seed: number;
  resume?: boolean;
  limit?: number;
  steps?: number;
  noise?: NoiseType;
  noiseLevel?: number;
}

/** Adds the train command to `program`. */
export function registerTrain(program: Command): void {
  const cmd = program
    .command('train')
    .description(
      'train an autoencoder on the dataset; saves encoder, decoder and manifest under the index folder',
    )
    .addOption(new Option('--arch <name>', 'architecture').choices(ARCH_NAMES).default('dense'))
    .option('--code-size <n>', 'code dimensions (default 32)', intIn(1, 4096))
    .option('--epochs <n>', 'epochs to train (with --resume: total epochs)', intIn(1, 10_000), 10)
    .option('--batch-size <n>', 'images per batch', intIn(1, 65_536), 64)
    .option('--lr <rate>', 'Adam learning rate', numberIn(0, 10), 1e-3)
    .option('--seed <n>', 'seed for initial weights, shuffling and noise', intIn(0, 2 ** 31 - 1), 1)
    .option('--resume', 'continue from the last checkpoint in <index-dir>/train/checkpoint')
    .option('--limit <n>', 'train on the first N database images only', intIn(1, 10_000_000))
    .option('--steps <n>', 'stop each epoch after N batches (quick runs)', intIn(1, 10_000_000))
    .addOption(
      new Option('--noise <type>', 'input corruption for denoising (default gaussian)').choices(NOISE_TYPES),
    )
    .option(
      '--noise-level <x>',
      'sigma (gaussian), fraction (masking, salt-pepper) or pixels (shift); default 0.3',
      numberIn(0, 28),
    );
  for (const o of commonOptions()) cmd.addOption(o);
  cmd.action(async (flags: TrainFlags) => {
    const { config, backend } = await prepare(flags);
    const dataset = await openDataset(config, flags.limit);
    const noise =
      flags.arch === 'denoising' || flags.noise
        ? { type: flags.noise ?? 'gaussian', level: flags.noiseLevel ?? 0.3 }
        : null;
    const arch = defaultArchConfig(flags.arch, {
      side: dataset.side,
      seed: flags.seed,
      noise,
      ...(flags.codeSize ? { codeSize: flags.codeSize } : {}),
    });
    log(
      `training ${arch.arch} autoencoder, code ${arch.codeSize}, on ${dataset.database.count} images, ${flags.epochs} epochs`,
    );
    let bar: ReturnType<typeof startBar> | undefined;
    const result = await runTraining(
      {
        indexDir: config.indexDir,
        dataset,
        arch,
        epochs: flags.epochs,
        batchSize: flags.batchSize,
        learningRate: flags.lr,
        seed: flags.seed,
        resume: flags.resume ?? false,
        backend: backend.name,
        preset: null,
        ...(flags.steps ? { maxBatchesPerEpoch: flags.steps } : {}),
      },
      {
        onBatchEnd: ({ epoch, batch, batches, loss }) => {
          bar ??= startBar(`epoch ${epoch}/${flags.epochs}`, batches, 'loss {loss}');
          bar.update(batch, { loss: loss.toFixed(5) });
        },
        onEpochEnd: (e) => {
          bar?.stop();
          bar = undefined;
          const val = e.valLoss === null ? '' : `, val ${e.valLoss.toFixed(5)}`;
          log(`epoch ${e.epoch}: loss ${e.loss.toFixed(5)}${val}, ${e.imagesPerSecond.toFixed(0)} img/s`);
        },
      },
    );
    const m = result.manifest;
    process.stdout.write(
      `saved ${m.arch.arch} model (code ${m.codeSize}, weights ${m.weightsHash}) to ${config.indexDir}/${m.dir}; ` +
        `final loss ${m.finalLoss.train.toFixed(5)}${m.finalLoss.val === null ? '' : `, val ${m.finalLoss.val.toFixed(5)}`}; ` +
        `pictures and history in ${result.trainDir}\n`,
    );
  });
}
