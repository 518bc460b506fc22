/**
 * The settings of a run that change its arithmetic, as a checkpoint records them, and the check that a
 * resumed run asks for the same ones: a resume with other settings would not train as an uninterrupted
 * run does, so every difference is named in one error.
 */
import type { Dataset } from '../dataset/types.js';
import { createError } from '../errors.js';
import type { ArchConfig } from '../model/architectures/index.js';
import type { CheckpointState } from './checkpoint.js';
import type { LabelPlan, TrainConfig } from './train-config.js';

/** What a checkpoint records of the run that made it. */
export type RunSettings = Pick<CheckpointState, 'arch' | 'options' | 'dataset'>;

/** The settings `config` trains `dataset` with, as a checkpoint records them. */
export function runSettingsOf(config: TrainConfig, dataset: Dataset): RunSettings {
  return {
    arch: config.arch,
    options: {
      batchSize: config.batchSize,
      learningRate: config.learningRate,
      lrDecay: config.lrDecay,
      seed: config.seed,
      epochs: config.epochs,
      stepsPerEpoch: config.stepsPerEpoch,
      labels: config.labels,
    },
    dataset: { name: dataset.name, fingerprint: dataset.fingerprint },
  };
}

/** One compared setting: its name in messages and its value (undefined: the checkpoint predates it). */
interface Setting {
  readonly name: string;
  read(s: RunSettings): unknown;
  /** Compared only when this holds. */
  matters?(saved: RunSettings, asked: RunSettings): boolean;
}

const fromArch = (name: string, read: (a: ArchConfig) => unknown): Setting => ({
  name,
  read: (s) => read(s.arch),
});

/** Every field of ArchConfig: the type asks for each, so a new field cannot go uncompared. */
const ARCH_SETTINGS: { readonly [K in keyof ArchConfig]: readonly Setting[] } = {
  arch: [fromArch('architecture', (a) => a.arch)],
  side: [fromArch('image side', (a) => a.side)],
  channels: [fromArch('image channels', (a) => a.channels)],
  codeSize: [fromArch('code size', (a) => a.codeSize)],
  hidden: [fromArch('hidden layers', (a) => a.hidden)],
  codeActivation: [fromArch('code activation', (a) => a.codeActivation)],
  codeNorm: [fromArch('code normalisation', (a) => a.codeNorm)],
  whitenPower: [fromArch('whitening power', (a) => a.whitenPower)],
  recentre: [fromArch('re-centring', (a) => a.recentre)],
  denoise: [fromArch('background clearing', (a) => a.denoise)],
  equalise: [fromArch('brightness equalising', (a) => a.equalise)],
  noise: [fromArch('noise', (a) => a.noise.map((n) => `${n.type}:${n.level}`))],
  seed: [fromArch('seed', (a) => a.seed)],
  conv: [
    fromArch('conv filters', (a) => a.conv.filters),
    fromArch('conv kernel size', (a) => a.conv.kernelSize),
    fromArch('unpooling', (a) => a.conv.unpool),
  ],
  klWeight: [fromArch('KL weight', (a) => a.klWeight)],
  pretrainEpochs: [fromArch('pre-training epochs', (a) => a.pretrainEpochs)],
  labelLoss: [fromArch('label weight', (a) => a.labelLoss?.weight ?? null)],
};

function labelsText(plan: LabelPlan | null | undefined): string | undefined {
  if (plan === undefined) return undefined;
  if (plan === null) return 'none';
  const selfTrain = plan.selfTrain > 0 ? `, self-training ${plan.selfTrain} epochs` : '';
  const views = plan.views > 1 ? `, ${plan.views} views${plan.splitViews ? ' split by corruption' : ''}` : '';
  return `${plan.perClass} per class (${plan.perBatch} per batch, holdout ${plan.holdout}, patience ${plan.patience}${selfTrain}${views})`;
}

const RUN_SETTINGS: readonly Setting[] = [
  { name: 'batch size', read: (s) => s.options.batchSize },
  { name: 'learning rate', read: (s) => s.options.learningRate },
  { name: 'learning-rate decay', read: (s) => s.options.lrDecay },
  {
    name: 'epochs',
    read: (s) => s.options.epochs,
    // a constant rate does not depend on the total: resuming to more epochs is what --resume is for
    matters: (saved, asked) => saved.options.lrDecay === 'cosine' || asked.options.lrDecay === 'cosine',
  },
  {
    name: 'steps per epoch',
    read: (s) => (s.options.stepsPerEpoch === null ? 'all' : s.options.stepsPerEpoch),
  },
  { name: 'seed', read: (s) => s.options.seed },
  { name: 'labels', read: (s) => labelsText(s.options.labels) },
  { name: 'dataset', read: (s) => `${s.dataset.name} (fingerprint ${s.dataset.fingerprint})` },
];

/** JSON with object keys sorted, so equal values compare equal whatever order their keys were made in. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1)))
      : v,
  );
}

function show(value: unknown): string {
  if (value === null) return 'none';
  if (Array.isArray(value)) return value.length === 0 ? 'none' : value.join(',');
  return String(value);
}

/** "a", "a and b", "a, b and c". */
function listText(items: readonly string[]): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;
}

interface Difference {
  readonly name: string;
  readonly saved: string;
  readonly asked: string;
}

function differencesIn(settings: readonly Setting[], saved: RunSettings, asked: RunSettings): Difference[] {
  const found: Difference[] = [];
  for (const setting of settings) {
    const was = setting.read(saved);
    const is = setting.read(asked);
    if (was === undefined || canonical(was) === canonical(is)) continue;
    if (setting.matters && !setting.matters(saved, asked)) continue;
    found.push({ name: setting.name, saved: show(was), asked: show(is) });
  }
  return found;
}

function differences(saved: RunSettings, asked: RunSettings): Difference[] {
  const arch = differencesIn(Object.values(ARCH_SETTINGS).flat(), saved, asked);
  // a field nested in the arch that the table above does not read yet
  if (arch.length === 0 && canonical(saved.arch) !== canonical(asked.arch))
    arch.push({ name: 'model settings', saved: canonical(saved.arch), asked: canonical(asked.arch) });
  const run = differencesIn(RUN_SETTINGS, saved, asked);
  // the seed is in both (weights, shuffles): one difference
  return [...arch, ...run.filter((d) => !arch.some((a) => a.name === d.name))];
}

/**
 * Throws CHECKPOINT_MISMATCH naming every setting in which `asked` (this run's) differs from `saved` (the
 * checkpoint's in `dir`), with both values; settings a checkpoint predates are not compared.
 */
export function assertSameSettings(dir: string, saved: RunSettings, asked: RunSettings): void {
  const found = differences(saved, asked);
  if (found.length === 0) return;
  throw createError('CHECKPOINT_MISMATCH', {
    dir,
    saved: listText(found.map((d) => `${d.name} ${d.saved}`)),
    asked: listText(found.map((d) => `${d.name} ${d.asked}`)),
  });
}
