/**
 * Places a query on the map of the collection from its neighbours among the map's points: the
 * inverse-distance weighted mean of the positions of the MAP_NEIGHBOURS points nearest its code (L2). The
 * map holds up to a few thousand points, so an exact scan costs well under a millisecond.
 */
import type { MapPoint } from '../store/map-layout.js';

/** Map points a query's position is averaged from. */
export const MAP_NEIGHBOURS = 5;

/** A position on the map, in its coordinates. */
export interface MapPosition {
  readonly x: number;
  readonly y: number;
}

/** The map's points with their codes, for placing queries. */
export class MapPlacement {
  private readonly codes: (Float32Array | undefined)[];

  /** `codes` holds each point's code, in order (undefined when it has none, e.g. removed). */
  constructor(
    private readonly points: readonly MapPoint[],
    codes: readonly (Float32Array | undefined)[],
  ) {
    this.codes = [...codes];
  }

  /** The placement of `points`, their codes read once through `codesOf` (undefined for an item without one). */
  static async load(
    points: readonly MapPoint[],
    codesOf: (ids: readonly number[]) => Promise<(Float32Array | undefined)[]>,
  ): Promise<MapPlacement> {
    return new MapPlacement(points, await codesOf(points.map((p) => p.id)));
  }

  /** Where `code` lands, from the points `alive` accepts (all by default); null when there are none. */
  place(code: Float32Array, alive: (id: number) => boolean = () => true): MapPosition | null {
    const nearest: { d: number; p: MapPoint }[] = [];
    this.points.forEach((p, i) => {
      const other = this.codes[i];
      if (!other || other.length !== code.length || !alive(p.id)) return;
      let d = 0;
      for (let j = 0; j < code.length; j++) d += ((code[j] ?? 0) - (other[j] ?? 0)) ** 2;
      if (nearest.length === MAP_NEIGHBOURS && d >= (nearest[MAP_NEIGHBOURS - 1]?.d ?? 0)) return;
      nearest.push({ d, p });
      nearest.sort((a, b) => a.d - b.d);
      if (nearest.length > MAP_NEIGHBOURS) nearest.pop();
    });
    const first = nearest[0];
    if (!first) return null;
    if (first.d === 0) return { x: first.p.x, y: first.p.y };
    let x = 0;
    let y = 0;
    let total = 0;
    for (const { d, p } of nearest) {
      const w = 1 / Math.sqrt(d);
      x += w * p.x;
      y += w * p.y;
      total += w;
    }
    return { x: x / total, y: y / total };
  }
}
