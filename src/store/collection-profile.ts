/**
 * What the index build measures about the collection besides its vectors: the reconstruction errors of a
 * sample of the items (the unusual-query warning places a query's error among them) and a 2-D map of a
 * stratified sample of their codes. Fed batch by batch as the build reads the catalogue, then written
 * into the ann folder.
 */
import { join } from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { toUnitFloat } from '../image/preprocess.js';
import { codeReconstructionErrors } from '../model/encoder.js';
import { sha256File } from '../util/file-hash.js';
import { errorSampleIds, writeErrors } from './error-distribution.js';
import { layoutMap, MAP_POINTS_MAX, type MapMethod, stratifiedSample, writeMap } from './map-layout.js';

/** File names inside the ann folder. */
const ERRORS_FILE = 'errors.f32';
const MAP_FILE = 'map.json';

/** The manifest's record of the errors file. */
export interface ErrorsManifest {
  readonly file: string;
  readonly count: number;
  readonly sha256: string;
}

/** The manifest's record of the map file. */
export interface MapManifest extends ErrorsManifest {
  readonly method: MapMethod;
  /** Time the layout took. */
  readonly seconds: number;
}

/** Samples the items of one build and measures them; see the module comment. */
export class CollectionProfile {
  private readonly errorIds: Set<number>;
  private readonly mapIds: Set<number>;
  private readonly errors: number[] = [];
  private readonly mapCodes: { id: number; label: number | null; code: Float32Array }[] = [];

  /** `labels`: every item's label (-1 when none) by id; `seed` draws the samples and seeds UMAP. */
  constructor(
    private readonly labels: ReadonlyMap<number, number>,
    private readonly decoder: tf.LayersModel,
    private readonly seed: number,
  ) {
    this.errorIds = errorSampleIds([...labels.keys()], seed);
    this.mapIds = new Set(stratifiedSample(labels, MAP_POINTS_MAX, seed));
  }

  /** Takes one batch: its ids, codes (ids.length x codeSize) and model inputs (ids.length x area bytes). */
  async add(ids: Int32Array, codes: Float32Array, inputs: Uint8Array, area: number): Promise<void> {
    const codeSize = codes.length / Math.max(1, ids.length);
    const rows: number[] = [];
    ids.forEach((id, row) => {
      if (this.errorIds.has(id)) rows.push(row);
      if (this.mapIds.has(id)) {
        const label = this.labels.get(id) ?? -1;
        const code = codes.slice(row * codeSize, (row + 1) * codeSize);
        this.mapCodes.push({ id, label: label < 0 ? null : label, code });
      }
    });
    if (rows.length === 0) return;
    const images = new Float32Array(rows.length * area);
    const sampled = new Float32Array(rows.length * codeSize);
    rows.forEach((row, j) => {
      toUnitFloat(inputs.subarray(row * area, (row + 1) * area), images.subarray(j * area, (j + 1) * area));
      sampled.set(codes.subarray(row * codeSize, (row + 1) * codeSize), j * codeSize);
    });
    this.errors.push(...(await codeReconstructionErrors(this.decoder, sampled, images, rows.length)));
  }

  /** Lays out the map and writes both files into `dir`; returns their manifest records. */
  async finish(dir: string): Promise<{ errors: ErrorsManifest; map: MapManifest }> {
    await writeErrors(join(dir, ERRORS_FILE), this.errors);
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
      errors: await record(dir, ERRORS_FILE, this.errors.length),
      map: { ...(await record(dir, MAP_FILE, points.length)), method, seconds },
    };
  }
}

async function record(dir: string, file: string, count: number): Promise<ErrorsManifest> {
  return { file, count, sha256: await sha256File(join(dir, file)) };
}
