/** The zod schema of an ArchConfig as files record it (checkpoints), checked field by field. */
import { z } from 'zod';
import { ARCH_NAMES, type ArchConfig, CODE_NORMS, NOISE_TYPES, UNPOOL_MODES, WHITEN_POWER } from './types.js';

const positive = z.number().int().positive();

/**
 * Every field of an ArchConfig with its type and range. Fields no longer in ArchConfig (options since
 * removed) are dropped from what it returns.
 */
export const archConfigSchema = z
  .object({
    arch: z.enum(ARCH_NAMES),
    side: positive,
    // Models from before colour input were all grayscale.
    channels: z.union([z.literal(1), z.literal(3)]).default(1),
    codeSize: positive,
    hidden: z.array(positive).readonly(),
    codeActivation: z.enum(['linear', 'relu']),
    codeNorm: z.enum(CODE_NORMS),
    // Models from before --whiten-power whitened fully.
    whitenPower: z.number().min(0).max(1).default(WHITEN_POWER),
    // Models from before --recentre did not re-centre.
    recentre: z.boolean().default(false),
    // Models from before --denoise did not clear noisy backgrounds.
    denoise: z.boolean().default(false),
    // Models from before --equalise did not equalise.
    equalise: z.boolean().default(false),
    noise: z.array(z.object({ type: z.enum(NOISE_TYPES), level: z.number() }).readonly()).readonly(),
    seed: z.number().int(),
    conv: z
      .object({ filters: z.array(positive).readonly(), kernelSize: positive, unpool: z.enum(UNPOOL_MODES) })
      .readonly(),
    klWeight: z.number(),
    pretrainEpochs: z.number().int().nonnegative(),
    labelLoss: z.object({ weight: z.number() }).readonly().nullable(),
  })
  .readonly() satisfies z.ZodType<ArchConfig>;
