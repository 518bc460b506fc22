/**
 * What the index build measures about the collection besides its vectors: the unusual-query features of
 * a sample of the items (unusual-score.ts; a query's score is placed among theirs) and a 2-D map of a
 * stratified sample of their codes. Fed batch by batch as the build reads the catalogue, then written
 * into the ann folder.
 */
import { join } from 'node:path';
import type { InputFormat } from '../image/preprocess.js';
import { decoderFrameBytes } from '../model/architectures/input-steps.js';
import { reconstructCodes } from '../model/encoder.js';
import type { LoadedModel } from '../model/store.js';
import { sha256File } from '../util/file-hash.js';
import { profileSampleIds } from './error-distribution.js';
import { layoutMap, MAP_POINTS_MAX, type MapMethod, stratifiedSample, writeMap } from './map-layout.js';
import { writeUnusualProfile } from './unusual-profile-file.js';
import { buildUnusualProfile, UNUSUAL_FEATURES, unusualFeatures } from './unusual-score.js';

/** File names inside the ann folder. */
const UNUSUAL_FILE = 'unusual.f32';
const MAP_FILE = 'map.json';

/** The manifest's record of a file the build measured. */
export interface ProfileFileManifest {
  readonly file: string;
  readonly count: number;
  readonly sha256: string;
}

/** The manifest's record of the unusual-query profile. */
export interface UnusualManifest extends ProfileFileManifest {
  /** Its features, in order (UNUSUAL_FEATURES when built). */
  readonly features: readonly string[];
}

/**
 * The unusual-query features (UNUSUAL_FEATURES order) of `count` images: their model inputs (count x
 * side x side x channels bytes) and codes (count x codeSize), reconstructed by `model`'s decoder and
 * compared with the inputs as it rebuilds them (re-centred when it re-centres).
 */
export async function measureUnusualRows(
  model: Pick<LoadedModel, 'decoder' | 'manifest'>,
  codes: Float32Array,
  inputs: Uint8Array,
  count: number,
  format: Pick<InputFormat, 'side' | 'channels'>,
): Promise<number[][]> {
  const area = format.side * format.side * format.channels;
  const recon = await reconstructCodes(model.decoder, codes, count);
  const seen = decoderFrameBytes(model.manifest.arch, inputs);
  return Array.from({ length: count }, (_, i) =>
    unusualFeatures(
      seen.subarray(i * area, (i + 1) * area),
      recon.subarray(i * area, (i + 1) * area),
      format,
    ),
  );
}

/** The manifest's record of the map file. */
export interface MapManifest extends ProfileFileManifest {
  readonly method: MapMethod;
  /** Time the layout took. */
  readonly seconds: number;
}

/** Samples the items of one build and measures them; see the module comment. */
export class CollectionProfile {
  private readonly sampleIds: Set<number>;
  private readonly mapIds: Set<number>;
  private readonly rows: number[][] = [];
  private readonly mapCodes: { id: number; label: number | null; code: Float32Array }[] = [];

  /**
   * `labels`: every item's label (-1 when none) by id; `format`: the model inputs' side and channels;
   * `seed` draws the samples and seeds UMAP.
   */
  constructor(
    private readonly labels: ReadonlyMap<number, number>,
    private readonly model: Pick<LoadedModel, 'decoder' | 'manifest'>,
    private readonly format: Pick<InputFormat, 'side' | 'channels'>,
    private readonly seed: number,
  ) {
    this.sampleIds = profileSampleIds([...labels.keys()], seed);
    this.mapIds = new Set(stratifiedSample(labels, MAP_POINTS_MAX, seed));
  }

  /** Takes one batch: its ids, codes (ids.length x codeSize) and model inputs (ids.length x area bytes). */
  async add(ids: Int32Array, codes: Float32Array, inputs: Uint8Array, area: number): Promise<void> {
    const codeSize = codes.length / Math.max(1, ids.length);
    const rows: number[] = [];
    ids.forEach((id, row) => {
      if (this.sampleIds.has(id)) rows.push(row);
      if (this.mapIds.has(id)) {
        const label = this.labels.get(id) ?? -1;
        const code = codes.slice(row * codeSize, (row + 1) * codeSize);
        this.mapCodes.push({ id, label: label < 0 ? null : label, code });
      }
    });
    if (rows.length === 0) return;
    const images = new Uint8Array(rows.length * area);
    const sampled = new Float32Array(rows.length * codeSize);
    rows.forEach((row, j) => {
      images.set(inputs.subarray(row * area, (row + 1) * area), j * area);
      sampled.set(codes.subarray(row * codeSize, (row + 1) * codeSize), j * codeSize);
    });
    const measured = await measureUnusualRows(this.model, sampled, images, rows.length, this.format);
    for (const row of measured) this.rows.push(row);
  }

  /** Lays out the map and writes both files into `dir`; returns their manifest records. */
  async finish(dir: string): Promise<{ unusual: UnusualManifest; map: MapManifest }> {
    await writeUnusualProfile(join(dir, UNUSUAL_FILE), buildUnusualProfile(this.rows));
    const started = performance.now();
    const dims = this.mapCodes[0]?.code.length ?? 1;
    const rows = new Float32Array(this.mapCodes.length * dims);
    this.mapCodes.forEach((p, i) => {
      rows.set(p.code, i * dims);
    });
    const { method, xy } = await layoutMap(rows, dims, this.seed);
    const points = this.mapCodes.map((p, i) => ({
      id: p.id,
      x: xy[i * 2] ?? 0,
      y: xy[i * 2 + 1] ?? 0,
      label: p.label,
    }));
    await writeMap(join(dir, MAP_FILE), { method, points });
    const seconds = (performance.now() - started) / 1000;
    return {
      unusual: { ...(await record(dir, UNUSUAL_FILE, this.rows.length)), features: [...UNUSUAL_FEATURES] },
      map: { ...(await record(dir, MAP_FILE, points.length)), method, seconds },
    };
  }
}

async function record(dir: string, file: string, count: number): Promise<ProfileFileManifest> {
  return { file, count, sha256: await sha256File(join(dir, file)) };
}
