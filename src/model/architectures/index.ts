/** The architecture registry: builds any --arch from its ArchConfig. */
import { buildConv } from './conv.js';
import { buildDense } from './dense.js';
import { buildStacked } from './stacked.js';
import { type ArchConfig, type ArchName, type Autoencoder, WHITEN_POWER } from './types.js';
import { buildVae } from './vae.js';

export * from './types.js';

const BUILDERS: Record<ArchName, (config: ArchConfig) => Autoencoder> = {
  dense: buildDense,
  denoising: buildDense,
  conv: buildConv,
  vae: buildVae,
  stacked: buildStacked,
};

/** Default settings per architecture; `overrides` (flags, presets) replace them. */
export function defaultArchConfig(arch: ArchName, overrides: Partial<ArchConfig> = {}): ArchConfig {
  const base: ArchConfig = {
    arch,
    side: 28,
    channels: 1,
    codeSize: 32,
    // the conv blocks already shrink the image; a dense layer between them and the code only slows it down
    hidden: arch === 'conv' ? [] : [256, 64],
    codeActivation: 'linear',
    codeNorm: 'none',
    whitenPower: WHITEN_POWER,
    recentre: false,
    denoise: false,
    equalise: false,
    noise: arch === 'denoising' ? [{ type: 'gaussian', level: 0.3 }] : [],
    seed: 1,
    conv: { filters: [16, 32], kernelSize: 3, unpool: 'transpose' },
    klWeight: 0.05,
    pretrainEpochs: 1,
    labelLoss: null,
  };
  return Object.freeze({ ...base, ...overrides });
}

/** Builds the autoencoder described by `config`; throws BAD_OPTION for shapes it cannot build. */
export function buildAutoencoder(config: ArchConfig): Autoencoder {
  return BUILDERS[config.arch](config);
}
