/** --image-size and --gray as configuration: defaults, environment, flags over environment, refusals. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../../src/config.js';
import { isAesearchError } from '../../src/errors.js';

describe('image size and gray settings', () => {
  it('leave the size unset and colour on by default; env sets them, flags win', () => {
    const plain = loadConfig({}, {}, '/tmp');
    assert.equal(plain.imageSize, undefined);
    assert.equal(plain.gray, false);
    const env = { AESEARCH_IMAGE_SIZE: '48', AESEARCH_GRAY: 'true' };
    const fromEnv = loadConfig({}, env, '/tmp');
    assert.deepEqual([fromEnv.imageSize, fromEnv.gray], [48, true]);
    const flags = loadConfig({ imageSize: 64, gray: false }, env, '/tmp');
    assert.deepEqual([flags.imageSize, flags.gray], [64, false]);
  });

  it('refuses a size out of range and a gray that is no switch, naming flag and variable', () => {
    assert.throws(
      () => loadConfig({}, { AESEARCH_IMAGE_SIZE: '300' }, '/tmp'),
      (err) =>
        isAesearchError(err, 'BAD_OPTION') &&
        err.message ===
          'Expected imageSize (--image-size or AESEARCH_IMAGE_SIZE) to be Too big: expected number to be <=256 but received 300',
    );
    assert.throws(
      () => loadConfig({}, { AESEARCH_GRAY: 'maybe' }, '/tmp'),
      (err) =>
        isAesearchError(err, 'BAD_OPTION') &&
        err.message.startsWith('Expected gray (--gray or AESEARCH_GRAY) to be'),
    );
  });
});
