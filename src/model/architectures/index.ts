/** The architecture registry: builds any --arch from its ArchConfig. */
import { buildDense } from './dense.js';
import type { ArchConfig, ArchName, Autoencoder } from './types.js';

export * from './types.js';

const BUILDERS: Record<ArchName, (config: ArchConfig) => Autoencoder> = {
  dense: buildDense,
  denoising: buildDense,
};

/** Default settings per architecture; flags override them. */
export function defaultArchConfig(arch: ArchName, overrides: Partial<ArchConfig> = {}): ArchConfig {
  const base: ArchConfig = {
    arch,
    side: 28,
    codeSize: 32,
    hidden: [256, 64],
    codeActivation: 'linear',
    noise: arch === 'denoising' ? { type: 'gaussian', level: 0.3 } : null,
    seed: 1,
  };
  return Object.freeze({ ...base, ...overrides });
}

/** Builds the autoencoder described by `config`. */
export function buildAutoencoder(config: ArchConfig): Autoencoder {
  return BUILDERS[config.arch](config);
}
