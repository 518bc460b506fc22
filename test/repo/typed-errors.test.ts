/**
 * createError takes each code's arguments by name: `npm test` type-checks this file, and each
 * `@ts-expect-error` fails the type check if the call below it were accepted.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createError } from '../../src/errors.js';

describe('createError', () => {
  it('fills the template from named arguments', () => {
    const err = createError('INDEX_CORRUPT', { file: 'code.hnsw', reason: 'it is empty' });
    assert.equal(err.code, 'INDEX_CORRUPT');
    assert.equal(err.status, 503);
    assert.equal(err.message, 'code.hnsw cannot be loaded (it is empty); run `aesearch index` to rebuild it');
    assert.equal(createError('INTERNAL').status, 500);
  });

  it('refuses missing, unknown and positional arguments at compile time', () => {
    const made = () => [
      // @ts-expect-error: reason is missing
      createError('INDEX_CORRUPT', { file: 'code.hnsw' }),
      // @ts-expect-error: positional arguments are gone
      createError('INDEX_CORRUPT', 'code.hnsw', 'it is empty'),
      // @ts-expect-error: no such argument
      createError('INDEX_CORRUPT', { file: 'code.hnsw', reason: 'it is empty', extra: 1 }),
      // @ts-expect-error: INTERNAL takes none
      createError('INTERNAL', { id: 1 }),
    ];
    assert.equal(typeof made, 'function');
  });
});
