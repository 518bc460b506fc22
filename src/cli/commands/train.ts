/** `aesearch train`: train an autoencoder on the database images and save it under the index folder. */
import { type Command, InvalidArgumentError, Option } from 'commander';
import { machineSpeedReport } from '../../bench/machine-speed.js';
import { loadConfig } from '../../config.js';
import {
  ARCH_NAMES,
  CODE_NORMS,
  NOISE_TYPES,
  type NoiseType,
  UNPOOL_MODES,
  WHITEN_POWER,
} from '../../model/architectures/index.js';
import { type NoiseSetting, PRESET_NAMES, PRESETS } from '../../model/presets.js';
import { LR_DECAYS } from '../../train/lr-schedule.js';
import { THREAD_CHOICES } from '../../train/parallel/index.js';
import {
  NOISE_DEFAULT_LEVELS,
  resolveTrainConfig,
  TRAIN_DEFAULTS,
  type TrainSettings,
} from '../../train/train-config.js';
import { log, openDataset, startBackend } from '../context.js';
import { waitOption, withIndexLock } from '../index-lock.js';
import { type CommonFlags, commonOptions, configOverrides, intIn, numberIn } from '../options.js';
import { trainWithProgress } from '../pipeline.js';

interface TrainFlags extends CommonFlags, TrainSettings {
  limit?: number;
  wait?: boolean;
}

/** Parses "256,64" into whole numbers within [min, max]. */
function intList(min: number, max: number): (value: string) => number[] {
  const one = intIn(min, max);
  return (value) => value.split(',').map((v) => one(v.trim()));
}

/** Parses "shift:2,masking:0.2" (a level after the colon is optional). */
function noiseList(value: string): NoiseSetting[] {
  return value.split(',').map((item) => {
    const [type, level] = item.trim().split(':');
    if (!NOISE_TYPES.includes(type as NoiseType))
      throw new InvalidArgumentError(`expected ${NOISE_TYPES.join(', ')} (optionally :level), got "${item}"`);
    return level === undefined
      ? { type: type as NoiseType }
      : { type: type as NoiseType, level: numberIn(0, 28)(level) };
  });
}

function presetHelp(): string {
  return PRESET_NAMES.map((name) => `${name}: ${PRESETS[name].description}`).join('; ');
}

function architectureOptions(): Option[] {
  return [
    new Option('--arch <name>', 'architecture (default dense)').choices(ARCH_NAMES),
    new Option('--code-size <n>', 'code dimensions (default 32)').argParser(intIn(1, 4096)),
    new Option(
      '--hidden <widths>',
      'dense layers between input and code, e.g. 256,64 (default 256,64; conv: none)',
    ).argParser(intList(1, 65_536)),
    new Option('--code-activation <f>', 'activation of the code layer (default linear)').choices([
      'linear',
      'relu',
    ]),
    new Option(
      '--code-norm <n>',
      'unit-length codes, so L2 search ranks as cosine: cosine (centred after training), whiten (centred, whitened, after training); default none',
    ).choices(CODE_NORMS),
    new Option(
      '--whiten-power <p>',
      `whiten: the codes are divided by this power of their covariance's eigenvalues; 0.5 whitens fully, less evens out the spread partly (default ${WHITEN_POWER})`,
    ).argParser(numberIn(0, 1)),
    new Option(
      '--recentre',
      "objects on a dark background: before embedding, move each image's object back to the middle (its bounding box centred, or pushed off a border it was moved against); --no-recentre turns off a preset's",
    ),
    new Option('--no-recentre', 'do not re-centre (default)'),
    new Option(
      '--denoise',
      "objects on a black background: before embedding, clear the background of an image whose background is grainy (specks on black), keeping its bright parts; --no-denoise turns off a preset's",
    ),
    new Option('--no-denoise', 'do not clear noisy backgrounds (default)'),
    new Option(
      '--equalise',
      "objects on a dark background: before encoding, in training too, raise each image to the power that brings its bright parts' mean brightness to 0.6; --no-equalise turns off a preset's",
    ),
    new Option('--no-equalise', 'do not equalise brightness (default)'),
    new Option('--filters <counts>', 'conv: filters per conv + max-pool block (default 16,32)').argParser(
      intList(1, 1024),
    ),
    new Option('--unpool <mode>', 'conv: how the decoder unpools (default transpose)').choices(UNPOOL_MODES),
    new Option('--kl-weight <x>', 'vae: weight of the KL term (default 0.05)').argParser(numberIn(0, 1000)),
    new Option(
      '--pretrain-epochs <n>',
      'stacked: greedy pre-training epochs per layer (default 1)',
    ).argParser(intIn(0, 1000)),
  ];
}

function lossOptions(): Option[] {
  const levels = NOISE_TYPES.map((t) => `${t} ${NOISE_DEFAULT_LEVELS[t]}`).join(', ');
  return [
    new Option(
      '--noise <list>',
      `input corruptions, e.g. shift:2,masking:0.2 (default for denoising: gaussian); rotate, crop, colour and strip mimic the copy test's edits; levels default to --noise-level or ${levels}`,
    ).argParser(noiseList),
    new Option(
      '--noise-level <x>',
      'level of corruptions given without one: sigma, fraction, pixels or degrees',
    ).argParser(numberIn(0, 28)),
    new Option(
      '--labels-per-class <n>',
      'few-label training: labelled database images per class (never query labels)',
    ).argParser(intIn(1, 1_000_000)),
    new Option(
      '--label-weight <x>',
      `weight of the supervised contrastive term (default ${TRAIN_DEFAULTS.labelWeight})`,
    ).argParser(numberIn(0, 1e6)),
    new Option(
      '--labels-per-batch <n>',
      `labelled images added to every batch (default ${TRAIN_DEFAULTS.labelsPerBatch})`,
    ).argParser(intIn(0, 65_536)),
    new Option(
      '--label-holdout <x>',
      `fraction of the labelled images held out to pick the best epoch (default ${TRAIN_DEFAULTS.labelHoldout})`,
    ).argParser(numberIn(-1e-9, 0.9)),
    new Option(
      '--self-train <n>',
      'few-label training: the last N epochs also learn from pseudo-labels, the labels spread over the code kNN graph and re-estimated before each (default 0)',
    ).argParser(intIn(0, 10_000)),
    new Option(
      '--views <n>',
      'self-training epochs: 2 shows each unlabelled image of a batch twice, corrupted independently (needs --noise), and the label term pulls the two views together (default 1)',
    ).argParser(intIn(1, 2)),
    new Option(
      '--split-views',
      "with --views 2: the first view gets the first corruption of --noise, the second view the others (e.g. one shifted, one noisy copy), instead of each getting all; --no-split-views turns off a preset's",
    ),
    new Option('--no-split-views', 'each view gets every corruption (default)'),
    new Option(
      '--patience <n>',
      'stop after N epochs without a better held-out score (default 0: never)',
    ).argParser(intIn(0, 10_000)),
  ];
}

function runOptions(): Option[] {
  return [
    new Option('--preset <name>', `named settings; explicit flags override them. ${presetHelp()}`).choices(
      PRESET_NAMES,
    ),
    new Option(
      '--epochs <n>',
      `epochs to train (with --resume: total epochs; default ${TRAIN_DEFAULTS.epochs})`,
    ).argParser(intIn(1, 10_000)),
    new Option('--batch-size <n>', `images per batch (default ${TRAIN_DEFAULTS.batchSize})`).argParser(
      intIn(1, 65_536),
    ),
    new Option('--lr <rate>', `Adam learning rate (default ${TRAIN_DEFAULTS.lr})`).argParser(numberIn(0, 10)),
    new Option(
      '--lr-decay <schedule>',
      'cosine: anneal the learning rate over the epochs (default none)',
    ).choices(LR_DECAYS),
    new Option(
      '--seed <n>',
      `seed for initial weights, shuffling, noise and the labelled pick (default ${TRAIN_DEFAULTS.seed})`,
    ).argParser(intIn(0, 2 ** 31 - 1)),
    new Option(
      '--threads <n>',
      'threads computing gradients: 1, 2 (data-parallel, half a batch each) or auto (measures both, keeps the faster); a seeded run saves the same weights with each',
    )
      .choices(THREAD_CHOICES)
      .default('auto'),
    new Option('--resume', 'continue from the last checkpoint in <index-dir>/train/checkpoint'),
    new Option('--limit <n>', 'train on the first N database images only').argParser(intIn(1, 10_000_000)),
    new Option('--steps <n>', 'stop each epoch after N batches (quick runs)').argParser(intIn(1, 10_000_000)),
    waitOption(),
  ];
}

/** Where the steps ran, e.g. "steps on 2 threads: 87%". */
function threadsLine(stepsOn: { 1: number; 2: number }): string {
  const total = stepsOn[1] + stepsOn[2];
  return `steps on 2 threads: ${total === 0 ? 0 : Math.round((100 * stepsOn[2]) / total)}%`;
}

/** Adds the train command to `program`. */
export function registerTrain(program: Command): void {
  const cmd = program
    .command('train')
    .description(
      'train an autoencoder on the dataset; saves encoder, decoder and manifest under the index folder',
    );
  for (const o of [...runOptions(), ...architectureOptions(), ...lossOptions(), ...commonOptions()])
    cmd.addOption(o);
  cmd.action(async (flags: TrainFlags) => {
    const config = loadConfig(configOverrides(flags));
    const result = await withIndexLock(config.indexDir, 'train', flags.wait ?? false, async () => {
      const backend = await startBackend(config);
      const dataset = await openDataset(config, flags.limit);
      // settings that cannot train are refused before the machine-speed measurement
      const trainConfig = resolveTrainConfig(flags, dataset.format);
      const machine = await machineSpeedReport();
      log(machine.line);
      return trainWithProgress(config, backend, dataset, trainConfig, machine.imgPerS);
    });
    // the load can change while a run trains: the figure again says whether the time is comparable
    log((await machineSpeedReport(undefined, 'machine after training')).line);
    const m = result.manifest;
    process.stdout.write(
      `saved ${m.arch.arch} model (code ${m.codeSize}, weights ${m.weightsHash}) to ${config.indexDir}/${m.dir}; ` +
        `final loss ${m.finalLoss.train.toFixed(5)}${m.finalLoss.val === null ? '' : `, val ${m.finalLoss.val.toFixed(5)}`}; ` +
        `trained in ${Math.round(m.training.seconds)} s; ${threadsLine(result.stepsOn)}; pictures and history in ${result.trainDir}\n`,
    );
  });
}
