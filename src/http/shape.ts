/** Shapes search results into the API's JSON: image URLs for hits, data URIs for the query's pictures. */
import { encodePng } from '../image/png.js';
import type { InputFormat } from '../image/preprocess.js';
import type { Hit, QuerySpace, SearchResponse, SpaceResult } from '../search/search-service.js';
import { UNUSUAL_FEATURES, type UnusualFeature, type Unusualness } from '../store/unusual-score.js';
import { pngDataUri } from './format.js';

/** URL of item `id`'s image (PNG), optionally at `size` px. */
export function itemImageUrl(id: number, size?: number): string {
  return size === undefined ? `/api/items/${id}/image` : `/api/items/${id}/image?size=${size}`;
}

/** A hit with its image URL. */
export interface HitJson extends Hit {
  readonly imageUrl: string;
}

/** One space's results as JSON. */
export interface SpaceJson {
  readonly results: HitJson[];
  readonly ms: number;
  readonly agreement: number | null;
  readonly precision: number | null;
}

/** The body of a search response. */
export interface SearchJson {
  readonly k: number;
  readonly query: {
    readonly id: number | null;
    readonly label: number | null;
    readonly labelName: string | null;
    readonly imageUrl: string | null;
    readonly code: number[];
    /** The preprocessed query (side x side) as a PNG data URI. */
    readonly image: string;
    /** The decoder's reconstruction of the query's code as a PNG data URI. */
    readonly reconstruction: string;
    /** Mean squared error between the preprocessed query and its reconstruction, pixels in [0, 1]. */
    readonly reconstructionError: number;
    readonly unusual: UnusualJson;
    /** Where the query lands on the map of the collection (GET /api/map's coordinates), or null. */
    readonly map: { readonly x: number; readonly y: number } | null;
  };
  readonly spaces: Partial<Record<QuerySpace, SpaceJson>>;
}

/** The unusual-query warning's threshold: a percentile of the collection's scores and the score there. */
export interface UnusualThreshold {
  readonly percentile: number;
  /** The score at that percentile; null when the index has no profile measured. */
  readonly score: number | null;
}

/** Whether a query looks unlike the collection, by its unusual-query score (store/unusual-score.ts). */
export interface UnusualJson {
  /** The largest of the query's feature percentiles among the collection's items (0..100), or null. */
  readonly score: number | null;
  /** The score's percentile among the collection's items' scores (0..100), or null when not measured. */
  readonly percentile: number | null;
  /** The score above which a query is unusual (the collection's `thresholdPercentile`th percentile). */
  readonly threshold: number | null;
  readonly thresholdPercentile: number;
  readonly isUnusual: boolean;
  /** The features the score is made of, in order. */
  readonly basedOn: readonly UnusualFeature[];
}

/** The unusual part of a query's JSON. */
export function unusualJson(unusual: Unusualness, threshold: UnusualThreshold): UnusualJson {
  return {
    score: unusual.score,
    percentile: unusual.percentile === null ? null : Math.round(unusual.percentile * 100) / 100,
    threshold: threshold.score,
    thresholdPercentile: threshold.percentile,
    isUnusual: threshold.score !== null && unusual.score !== null && unusual.score > threshold.score,
    basedOn: UNUSUAL_FEATURES,
  };
}

function roundMs(ms: number): number {
  return Math.round(ms * 100) / 100;
}

function spaceJson(result: SpaceResult): SpaceJson {
  return {
    results: result.results.map((hit) => ({ ...hit, imageUrl: itemImageUrl(hit.id) })),
    ms: roundMs(result.ms),
    agreement: result.agreement,
    precision: result.precision,
  };
}

/**
 * The JSON for a search response; `format` is the query images' side (px) and channels, `unusual` the
 * threshold of the unusual-query warning.
 */
export function searchJson(
  response: SearchResponse,
  k: number,
  format: Pick<InputFormat, 'side' | 'channels'>,
  unusual: UnusualThreshold,
): SearchJson {
  const { side, channels } = format;
  const { query } = response;
  const spaces: Partial<Record<QuerySpace, SpaceJson>> = {};
  for (const [space, result] of Object.entries(response.spaces) as [QuerySpace, SpaceResult][]) {
    spaces[space] = spaceJson(result);
  }
  return {
    k,
    query: {
      id: query.id,
      label: query.label,
      labelName: query.labelName,
      imageUrl: query.id === null ? null : itemImageUrl(query.id),
      code: query.code,
      image: pngDataUri(encodePng(query.image, side, side, channels)),
      reconstruction: pngDataUri(encodePng(query.reconstruction, side, side, channels)),
      reconstructionError: query.reconstructionError,
      unusual: unusualJson(query.unusual, unusual),
      map: query.mapPosition,
    },
    spaces,
  };
}
