/** Float vectors to and from pgvector's text form, the one conversion every pg query uses. */
import pgvector from 'pgvector/pg';

/** pgvector's `[x,y,...]` text for a vector or halfvec parameter. */
export function vectorParam(vector: Float32Array | readonly number[]): string {
  return pgvector.toSql(Array.from(vector)) as string;
}

/** A `real[]` column (vectors are selected as `col::real[]`) as a Float32Array. */
export function floatsOf(values: readonly number[]): Float32Array {
  return Float32Array.from(values);
}
