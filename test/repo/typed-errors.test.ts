/**
 * createError takes each code's arguments by name: `npm test` type-checks this file, and each
 * `@ts-expect-error` fails the type check if the call below it were accepted.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createError } from '../../src/errors.js';

describe('createError', () => {
  it('fills the template from named arguments', () => {
    const err = createError('ITEM_NOT_FOUND', { id: 7, count: 5 });
    assert.equal(err.code, 'ITEM_NOT_FOUND');
    assert.equal(err.status, 404);
    assert.equal(err.message, 'No item with id 7; ids run from 0 to 5');
    assert.equal(createError('INTERNAL').status, 500);
  });

  it('refuses missing, unknown and positional arguments at compile time', () => {
    const made = () => [
      // @ts-expect-error: count is missing
      createError('ITEM_NOT_FOUND', { id: 7 }),
      // @ts-expect-error: positional arguments are gone
      createError('ITEM_NOT_FOUND', 7, 5),
      // @ts-expect-error: no such argument
      createError('ITEM_NOT_FOUND', { id: 7, count: 5, extra: 1 }),
      // @ts-expect-error: INTERNAL takes none
      createError('INTERNAL', { id: 1 }),
    ];
    assert.equal(typeof made, 'function');
  });
});
