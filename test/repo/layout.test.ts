/**
 * The folders under src/ depend on each other one way only (collection -> train -> model -> store ->
 * search -> server -> http / cli): no chain of relative imports leads from a folder back to itself.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { PACKAGE_ROOT } from '../../src/config.js';

const SRC = join(PACKAGE_ROOT, 'src');

/** Top-level folder (or root file) of a path under src/. */
function folderOf(file: string): string {
  return relative(SRC, file).split('/')[0]?.replace(/\.ts$/, '') ?? '';
}

/** Folder -> the folders its files import from. */
function folderEdges(): Map<string, Set<string>> {
  const files = readdirSync(SRC, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => join(SRC, f));
  const edges = new Map<string, Set<string>>();
  for (const file of files) {
    for (const match of readFileSync(file, 'utf8').matchAll(/from '(\.[^']+)'/g)) {
      const from = folderOf(file);
      const to = folderOf(resolve(dirname(file), match[1] ?? ''));
      if (from === to) continue;
      const set = edges.get(from) ?? new Set<string>();
      set.add(to);
      edges.set(from, set);
    }
  }
  return edges;
}

/** One cycle in `edges` as a path, or null. */
function findCycle(edges: ReadonlyMap<string, ReadonlySet<string>>): string[] | null {
  const state = new Map<string, 'open' | 'done'>();
  const walk = (node: string, path: string[]): string[] | null => {
    if (state.get(node) === 'open') return [...path.slice(path.indexOf(node)), node];
    if (state.get(node) === 'done') return null;
    state.set(node, 'open');
    for (const next of edges.get(node) ?? []) {
      const cycle = walk(next, [...path, node]);
      if (cycle) return cycle;
    }
    state.set(node, 'done');
    return null;
  };
  for (const node of edges.keys()) {
    const cycle = walk(node, []);
    if (cycle) return cycle;
  }
  return null;
}

describe('source layout', () => {
  it('finds a cycle when there is one (the check itself)', () => {
    const edges = new Map([
      ['a', new Set(['b'])],
      ['b', new Set(['c'])],
      ['c', new Set(['a'])],
    ]);
    assert.deepEqual(findCycle(edges), ['a', 'b', 'c', 'a']);
    assert.equal(findCycle(new Map([['a', new Set(['b'])]])), null);
  });

  it('has no import cycle between the folders under src/', () => {
    const edges = folderEdges();
    assert.ok(edges.size > 5, 'the folders were read');
    assert.equal(findCycle(edges)?.join(' -> ') ?? null, null);
  });
});
