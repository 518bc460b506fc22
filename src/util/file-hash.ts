/** Streaming sha256 of a file. */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

/** The file's sha256 as hex; rejects when it cannot be read. */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
