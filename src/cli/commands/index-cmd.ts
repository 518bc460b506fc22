/** `aesearch index`: embed every database image and build the code (and pixel) HNSW indexes. */
import type { Command } from 'commander';
import { Option } from 'commander';
import { type BuildStage, buildIndex } from '../../ann/build-index.js';
import { DEFAULT_HNSW, SPACES, type SpaceName } from '../../ann/vector-index.js';
import { loadModel } from '../../model/store.js';
import { log, openDataset, prepare } from '../context.js';
import { type CommonFlags, commonOptions, intIn } from '../options.js';
import { type Bar, startBar } from '../progress.js';

interface IndexFlags extends CommonFlags {
  m: number;
  efConstruction: number;
  efSearch: number;
  space: SpaceName;
  pixel: boolean;
  limit?: number;
}

const STAGE_LABELS: Record<BuildStage, string> = {
  embed: 'embedding',
  code: 'code index',
  pixel: 'pixel index',
};

/** Adds the index command to `program`. */
export function registerIndex(program: Command): void {
  const cmd = program
    .command('index')
    .description(
      'embed every database image with the trained encoder and build the HNSW indexes (code, and pixel unless --no-pixel)',
    )
    .option('--m <n>', 'HNSW links per node', intIn(2, 200), DEFAULT_HNSW.m)
    .option(
      '--ef-construction <n>',
      'HNSW candidate list while building',
      intIn(1, 10_000),
      DEFAULT_HNSW.efConstruction,
    )
    .option('--ef-search <n>', 'HNSW candidate list while searching', intIn(1, 10_000), DEFAULT_HNSW.efSearch)
    .addOption(new Option('--space <name>', 'distance for the code index').choices(SPACES).default('l2'))
    .option('--no-pixel', 'skip the raw-pixel index (built by default, for comparison)')
    .option('--limit <n>', 'index the first N database images only', intIn(1, 10_000_000));
  for (const o of commonOptions()) cmd.addOption(o);
  cmd.action(async (flags: IndexFlags) => {
    const { config, backend } = await prepare(flags);
    const model = await loadModel(config.indexDir);
    const dataset = await openDataset(config, flags.limit);
    const bars: Partial<Record<BuildStage, Bar>> = {};
    try {
      const manifest = await buildIndex({
        indexDir: config.indexDir,
        dataset,
        model,
        params: {
          ...DEFAULT_HNSW,
          m: flags.m,
          efConstruction: flags.efConstruction,
          efSearch: flags.efSearch,
        },
        codeSpace: flags.space,
        pixel: flags.pixel,
        backend: backend.name,
        onProgress: (stage, done, total) => {
          const bar = bars[stage] ?? startBar(STAGE_LABELS[stage], total);
          bars[stage] = bar;
          bar.update(done);
          if (done === total) bar.stop();
        },
      });
      const pixel = manifest.pixel
        ? `, pixel index ${manifest.pixel.buildSeconds.toFixed(1)} s`
        : ', no pixel index';
      log(
        `embedded ${manifest.dataset.count} images in ${manifest.embedSeconds.toFixed(1)} s, ` +
          `code index ${manifest.code.buildSeconds.toFixed(1)} s${pixel}`,
      );
      process.stdout.write(
        `indexed ${manifest.dataset.count} images of ${manifest.dataset.name} (model ${manifest.model.weightsHash}, ` +
          `code ${manifest.code.dims}-d ${manifest.code.space}) in ${manifest.totalSeconds.toFixed(1)} s into ${config.indexDir}\n`,
      );
    } finally {
      for (const bar of Object.values(bars)) bar.stop();
      model.encoder.dispose();
      model.decoder.dispose();
    }
  });
}
