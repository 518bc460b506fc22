/** Streaming sha256 of a file. */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

/** Bytes read at a time while hashing. */
const HASH_CHUNK_BYTES = 4 * 1024 * 1024;

/** The file's sha256 as hex; rejects when it cannot be read. */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  // Big chunks: each read is a trip through libuv's thread pool, which a busy server shares with sharp.
  for await (const chunk of createReadStream(path, { highWaterMark: HASH_CHUNK_BYTES }))
    hash.update(chunk as Buffer);
  return hash.digest('hex');
}
