import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { parseIdx, readIdxFile, readIdxPair } from '../../src/dataset/idx.js';
import { isAesearchError } from '../../src/errors.js';
import { tempDir } from '../helpers/fixtures.js';

function idx(rank: number, dims: number[], data: number[]): Uint8Array {
  const header = Buffer.alloc(4 + 4 * rank);
  header.writeUInt32BE(0x0800 + rank, 0);
  dims.forEach((d, i) => {
    header.writeUInt32BE(d, 4 + 4 * i);
  });
  return Buffer.concat([header, Buffer.from(data)]);
}

describe('parseIdx', () => {
  it('reads dims and data of an images file', () => {
    const t = parseIdx(idx(3, [2, 2, 2], [1, 2, 3, 4, 5, 6, 7, 8]), 3, 'x');
    assert.deepEqual(t.dims, [2, 2, 2]);
    assert.deepEqual([...t.data], [1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('reads a gzipped file the same way', () => {
    const t = parseIdx(gzipSync(idx(1, [3], [7, 8, 9])), 1, 'x.gz');
    assert.deepEqual([...t.data], [7, 8, 9]);
  });

  it('rejects a bad magic number, naming the file and both numbers', () => {
    assert.throws(
      () => parseIdx(idx(3, [1, 1, 1], [0]), 1, 'labels.idx'),
      (err) =>
        isAesearchError(err, 'IDX_BAD_MAGIC') &&
        err.message ===
          'labels.idx is not an IDX file: expected magic number 0x00000801 but found 0x00000803',
    );
  });

  it('rejects truncated data, saying how much is missing', () => {
    const bytes = idx(3, [2, 2, 2], [1, 2, 3]);
    assert.throws(
      () => parseIdx(bytes, 3, 'img.idx'),
      (err) =>
        isAesearchError(err, 'IDX_TRUNCATED') &&
        err.message ===
          'img.idx is truncated: expected 8 bytes of data after the header but it holds 3; download it again',
    );
  });

  it('rejects a truncated header and a truncated gzip stream', () => {
    assert.throws(
      () => parseIdx(idx(3, [2, 2, 2], []).subarray(0, 9), 3, 'h'),
      (err) => isAesearchError(err, 'IDX_TRUNCATED'),
    );
    const gz = gzipSync(idx(1, [3], [7, 8, 9]));
    assert.throws(
      () => parseIdx(gz.subarray(0, gz.length - 6), 1, 'g.gz'),
      (err) => isAesearchError(err, 'IDX_TRUNCATED'),
    );
  });

  it('rejects a file too short for a magic number', () => {
    assert.throws(
      () => parseIdx(new Uint8Array([0, 0]), 1, 'tiny'),
      (err) => isAesearchError(err, 'IDX_BAD_MAGIC'),
    );
  });
});

describe('readIdxPair', () => {
  it('reads matching images and labels, and rejects a count mismatch naming both files', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      await writeFile(join(dir, 'i'), idx(3, [2, 1, 1], [10, 20]));
      await writeFile(join(dir, 'l'), idx(1, [2], [3, 4]));
      await writeFile(join(dir, 'l3'), idx(1, [3], [3, 4, 5]));
      const pair = await readIdxPair(join(dir, 'i'), join(dir, 'l'));
      assert.equal(pair.count, 2);
      assert.deepEqual([...pair.labels], [3, 4]);
      await assert.rejects(
        readIdxPair(join(dir, 'i'), join(dir, 'l3')),
        (err) =>
          isAesearchError(err, 'IDX_COUNT_MISMATCH') &&
          err.message ===
            `${join(dir, 'i')} holds 2 images but ${join(dir, 'l3')} holds 3 labels; they must be a matching pair`,
      );
    } finally {
      await cleanup();
    }
  });

  it('names a missing file', async () => {
    await assert.rejects(
      readIdxFile('/nonexistent/x.idx', 1),
      (err) =>
        isAesearchError(err, 'IDX_UNREADABLE') && err.message === 'Cannot read /nonexistent/x.idx: ENOENT',
    );
  });
});
