/**
 * The CLI on a PostgreSQL store, as a person runs it: `aesearch index --store URL` publishes a trained
 * folder into PGlite + pgvector over the wire protocol, then `search`, `add` and `remove` with
 * `--store URL` work on the store alone; an unreachable store is one readable line and a non-zero exit.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../helpers/cli.js';
import { pngOf, TEST_DATA_PATH, tempDir } from '../helpers/fixtures.js';
import { startPg, type TestPg } from '../helpers/pg.js';
import { buildTinyIndex, type TinyIndex } from '../helpers/tiny-index.js';

describe('the CLI with --store postgres://...', () => {
  let pg: TestPg;
  let tiny: TinyIndex;
  let scratch: { dir: string; cleanup(): Promise<void> };
  const common = () => ['--data-path', TEST_DATA_PATH.join(':'), '--store', pg.url];

  before(async () => {
    pg = await startPg();
    tiny = await buildTinyIndex();
    scratch = await tempDir();
  });

  after(async () => {
    await pg?.close();
    await tiny?.cleanup();
    await scratch?.cleanup();
  });

  it('publishes with index, then searches, adds and removes on the store with no index folder', async () => {
    const indexed = await runCli(['index', '--limit', '300', '--index-dir', tiny.indexDir, ...common()]);
    assert.equal(indexed.code, 0, indexed.stderr);
    assert.match(
      indexed.stdout,
      /published to the PostgreSQL store at 127\.0\.0\.1:\d+\/\w+: 300 items \(300 copied from /,
    );

    // From here on an empty --index-dir: everything comes from the store.
    const file = join(scratch.dir, 'stripes.png');
    await writeFile(file, pngOf(Uint8Array.from({ length: 784 }, (_, i) => (i % 5 < 2 ? 240 : 10))));
    const cwdFree = ['--index-dir', scratch.dir, ...common()];
    const added = await runCli(['add', file, '--json', ...cwdFree]);
    assert.equal(added.code, 0, added.stderr);
    const id = JSON.parse(added.stdout).added[0].id as number;
    assert.equal(id, 300);

    const found = await runCli(['search', file, '--k', '1', '--json', ...cwdFree]);
    assert.equal(found.code, 0, found.stderr);
    const answer = JSON.parse(found.stdout.trim().split('\n')[0] ?? '{}');
    assert.equal(answer.results[0].id, id);

    const removed = await runCli(['remove', String(id), '--json', ...cwdFree]);
    assert.equal(removed.code, 0, removed.stderr);
    assert.deepEqual(JSON.parse(removed.stdout).removed, [id]);
    const after = await runCli(['search', file, '--k', '3', '--json', ...cwdFree]);
    assert.ok(!JSON.parse(after.stdout.trim()).results.some((r: { id: number }) => r.id === id));
  });

  it('says in one line which store it cannot reach, and exits non-zero', async () => {
    const down = 'postgres://postgres:secret@127.0.0.1:9/nowhere';
    const run = await runCli(['search', 'x.png', '--store', down, '--index-dir', scratch.dir]);
    assert.notEqual(run.code, 0);
    const last = run.stderr.trim().split('\n').at(-1) ?? '';
    assert.match(
      last,
      /^aesearch: Cannot reach the PostgreSQL store at 127\.0\.0\.1:9\/nowhere \(ECONNREFUSED\); check that/,
    );
    assert.doesNotMatch(run.stderr, /secret|\n\s+at /);
  });
});
