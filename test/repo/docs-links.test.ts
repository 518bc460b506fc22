/**
 * The docs cannot fall behind the code or break: every relative link (and #anchor) in README.md and
 * docs/*.md resolves, every route the server registers is in docs/api.md, every AESEARCH_* variable
 * is in docs/operations.md, and each command's --help ends with an existing docs page that names it.
 */
import assert from 'node:assert/strict';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';
import type { Command } from 'commander';
import express, { type Express, Router } from 'express';
import { COMMAND_DOCS, PROGRAM_DOCS } from '../../src/cli/docs-pages.js';
import { buildProgram } from '../../src/cli/program.js';
import { ENV_VARS, PACKAGE_ROOT } from '../../src/config.js';
import { useTinyApp } from '../helpers/suite.js';

/** README.md and every page under docs/, as paths relative to the package root. */
function docFiles(): string[] {
  const pages = readdirSync(join(PACKAGE_ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`);
  return ['README.md', ...pages.sort()];
}

/** The text of a Markdown file with its fenced code blocks blanked out (links and headings in code do not count). */
function withoutFences(markdown: string): string[] {
  let fenced = false;
  return markdown.split('\n').map((line) => {
    if (/^\s*(```|~~~)/.test(line)) {
      fenced = !fenced;
      return '';
    }
    return fenced ? '' : line;
  });
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens (github-slugger). */
export function headingSlug(heading: string): string {
  return heading
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc}\- ]/gu, '')
    .replace(/ /g, '-');
}

/** The anchors of a Markdown text's headings, repeated ones numbered as GitHub does (-1, -2, ...). */
export function anchorsOf(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  for (const line of withoutFences(markdown)) {
    const match = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!match) continue;
    const base = headingSlug(match[1] ?? '');
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    anchors.add(count === 0 ? base : `${base}-${count}`);
  }
  return anchors;
}

/** Every link and image target of a Markdown text, outside code blocks and code spans. */
export function linkTargets(markdown: string): string[] {
  const targets: string[] = [];
  for (const line of withoutFences(markdown)) {
    const text = line.replace(/`[^`]*`/g, '');
    for (const match of text.matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
      targets.push(match[1] ?? '');
    }
  }
  return targets;
}

/**
 * The relative links of `file` (relative to `root`) that do not resolve, as "file: target (why)": a
 * missing file, or an #anchor that no heading of the target Markdown file makes. URLs are not checked.
 */
export function brokenLinks(root: string, file: string): string[] {
  const broken: string[] = [];
  const from = join(root, file);
  for (const target of linkTargets(readFileSync(from, 'utf8'))) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue;
    const [path = '', anchor] = target.split('#', 2);
    const to = path === '' ? from : resolve(dirname(from), decodeURIComponent(path));
    if (!existsSync(to)) {
      broken.push(`${file}: ${target} (no file ${relative(root, to)})`);
      continue;
    }
    if (anchor === undefined || !to.endsWith('.md')) continue;
    if (!anchorsOf(readFileSync(to, 'utf8')).has(anchor))
      broken.push(`${file}: ${target} (no heading makes #${anchor} in ${relative(root, to)})`);
  }
  return broken;
}

/** The parts of express's router stack this walk reads (express 5 / router 2). */
interface Layer {
  readonly rawPath?: unknown;
  readonly route?: { readonly path: string; readonly methods: Record<string, boolean> };
  readonly handle: { readonly stack?: readonly Layer[] };
}

/** "METHOD /path" of every route in a router stack, routers mounted in it included; `all` routes are left out. */
function routesIn(stack: readonly Layer[], prefix: string): string[] {
  const routes: string[] = [];
  for (const layer of stack) {
    if (layer.route) {
      for (const method of Object.keys(layer.route.methods)) {
        if (method !== '_all') routes.push(`${method.toUpperCase()} ${prefix}${layer.route.path}`);
      }
    } else if (Array.isArray(layer.handle.stack)) {
      const mount = typeof layer.rawPath === 'string' && layer.rawPath !== '/' ? layer.rawPath : '';
      routes.push(...routesIn(layer.handle.stack, prefix + mount));
    }
  }
  return routes;
}

/** "METHOD /path" of every route an express app registers, in order. */
export function appRoutes(app: Express): string[] {
  const { router } = app as unknown as { router: { stack: readonly Layer[] } };
  return routesIn(router.stack, '');
}

/** The routes of `routes` that have no row of their own (`| `METHOD /path` | ...`) in the tables of `apiDoc`. */
export function undocumentedRoutes(routes: readonly string[], apiDoc: string): string[] {
  const rows = new Set(apiDoc.split('\n').map((line) => /^\|\s*`([A-Z]+ \/\S*)`\s*\|/.exec(line)?.[1]));
  return routes.filter((route) => !rows.has(route));
}

/** What a command prints for --help. */
function helpOf(command: Command): string {
  let text = '';
  command.configureOutput({ writeOut: (s) => (text += s), writeErr: (s) => (text += s) });
  command.outputHelp();
  return text;
}

/** The page a help text ends with ("Docs: <page>"), or null. */
function docsPageOf(help: string): string | null {
  const last = help.trimEnd().split('\n').at(-1) ?? '';
  return /^Docs: (\S+)$/.exec(last)?.[1] ?? null;
}

const read = (file: string) => readFileSync(join(PACKAGE_ROOT, file), 'utf8');

describe('docs links', () => {
  it('finds a broken link, a broken anchor and an undocumented route (the checks themselves)', () => {
    const md = [
      '# Top heading',
      '## A `code` heading: yes',
      '## Repeated',
      '## Repeated',
      '[ok](#top-heading) [ok](#a-code-heading-yes) [ok](#repeated-1) [ok](README.md#aesearch)',
      '[gone](docs/nothing.md) [bad anchor](#nowhere) ![img](public/img/none.png) [web](https://example.com/x)',
      '`[in code](nowhere.md)`',
      '```',
      '[in a fence](nowhere.md)',
      '```',
    ].join('\n');
    assert.deepEqual([...anchorsOf(md)], ['top-heading', 'a-code-heading-yes', 'repeated', 'repeated-1']);
    assert.deepEqual(linkTargets(md), [
      '#top-heading',
      '#a-code-heading-yes',
      '#repeated-1',
      'README.md#aesearch',
      'docs/nothing.md',
      '#nowhere',
      'public/img/none.png',
      'https://example.com/x',
    ]);
    const app = express();
    const router = Router();
    router.get('/api/documented', () => {});
    router.post('/api/undocumented', () => {});
    router.all('/api/documented', () => {});
    app.use(router);
    app.use(
      '/mounted',
      Router().delete('/x', () => {}),
    );
    assert.deepEqual(appRoutes(app), ['GET /api/documented', 'POST /api/undocumented', 'DELETE /mounted/x']);
    assert.deepEqual(
      undocumentedRoutes(appRoutes(app), '| `GET /api/documented` | |\nsee `POST /api/undocumented`'),
      ['POST /api/undocumented', 'DELETE /mounted/x'],
    );
  });

  it('reports a missing file and a missing anchor with the file that links them (the check itself)', () => {
    const root = mkdtempSync(join(tmpdir(), 'aesearch-docs-links-'));
    try {
      mkdirSync(join(root, 'docs'));
      writeFileSync(join(root, 'docs', 'page.md'), '# Page\n\n## Some section\n');
      writeFileSync(
        join(root, 'README.md'),
        '[ok](docs/page.md#some-section) [ok](docs/) [gone](docs/gone.md) [stale](docs/page.md#old-section)\n',
      );
      assert.deepEqual(brokenLinks(root, 'README.md'), [
        'README.md: docs/gone.md (no file docs/gone.md)',
        'README.md: docs/page.md#old-section (no heading makes #old-section in docs/page.md)',
      ]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('resolves every relative link and anchor in README.md and docs/*.md', () => {
    const files = docFiles();
    assert.ok(files.length >= 6, `README.md and the docs pages: ${files.join(', ')}`);
    assert.deepEqual(
      files.flatMap((file) => brokenLinks(PACKAGE_ROOT, file)),
      [],
    );
  });

  it('names every AESEARCH_* variable the configuration reads in docs/operations.md', () => {
    const operations = read('docs/operations.md');
    const missing = Object.keys(ENV_VARS).filter((name) => !operations.includes(`\`${name}\``));
    assert.deepEqual(missing, []);
  });

  it("runs the README's test command in .ci/run", () => {
    const command = /## Tests\n\n```sh\n([^\n]+)\n```/.exec(read('README.md'))?.[1];
    assert.equal(command, 'npm test');
    const ciLines = read('.ci/run').trimEnd().split('\n');
    assert.equal(ciLines.at(-1), command, ".ci/run ends with the README's test command");
  });

  describe('routes', () => {
    const fx = useTinyApp();

    it('gives every route the server registers a row in docs/api.md', () => {
      const routes = appRoutes(fx.app);
      assert.ok(routes.includes('POST /api/search') && routes.length >= 10, routes.join(', '));
      assert.deepEqual(undocumentedRoutes(routes, read('docs/api.md')), []);
    });
  });

  describe('--help', () => {
    const program = buildProgram();

    it('ends aesearch --help with the README, which links every docs page', () => {
      assert.equal(docsPageOf(helpOf(program)), PROGRAM_DOCS);
      const readme = read(PROGRAM_DOCS);
      for (const page of docFiles().slice(1))
        assert.ok(readme.includes(`](${page})`), `README links ${page}`);
    });

    it("ends each command's --help with an existing docs page that covers the command", () => {
      assert.ok(program.commands.length >= 10);
      for (const command of program.commands) {
        const name = command.name();
        const page = docsPageOf(helpOf(command));
        assert.ok(Object.hasOwn(COMMAND_DOCS, name), `aesearch ${name} has its page in COMMAND_DOCS`);
        assert.equal(
          page,
          COMMAND_DOCS[name],
          `aesearch ${name} --help ends with "Docs: ${COMMAND_DOCS[name]}"`,
        );
        assert.ok(page?.startsWith('docs/') && existsSync(join(PACKAGE_ROOT, page)), `${page} exists`);
        assert.match(read(page), new RegExp(`aesearch ${name}\\b`), `${page} covers aesearch ${name}`);
      }
    });
  });
});
