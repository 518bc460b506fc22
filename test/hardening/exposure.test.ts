/**
 * Requests from other sites: the Host header is checked against the listening address, localhost and the
 * configured names (DNS rebinding gets 421 BAD_HOST, on the app and on a real listening server); public
 * answers hold no absolute paths; an admin token shorter than 16 characters is a config error; and a
 * token on a non-loopback address is warned about at start.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import request from 'supertest';
import { loadConfig, PACKAGE_ROOT } from '../../src/config.js';
import { isAesearchError } from '../../src/errors.js';
import { type AppConfig, createApp } from '../../src/http/app.js';
import { plainHttpWarning } from '../../src/http/host-check.js';
import { fixedProvider } from '../../src/http/provider.js';
import { publicPath, withoutAbsolutePaths } from '../../src/http/public-paths.js';
import { runCli } from '../helpers/cli.js';
import { TEST_DATA_PATH } from '../helpers/fixtures.js';
import { expectApiError, TEST_BACKEND } from '../helpers/http.js';
import { rawRequest } from '../helpers/listen.js';
import { startTestServer } from '../helpers/server.js';
import { useTinyApp } from '../helpers/suite.js';

const TOKEN = 'open-sesame-0123456789';

const badHost = (got: string, allowed: string) =>
  `This server answers for ${allowed} but the request's Host header is ${got}; open it through one of those, or start it with that name in AESEARCH_ALLOWED_HOSTS (--allowed-hosts)`;

describe('requests from other sites', () => {
  const fx = useTinyApp();
  const app = (config: Partial<AppConfig>) =>
    createApp(fixedProvider(fx.service, TEST_BACKEND), {
      maxUploadBytes: 1024 * 1024,
      publicDir: join(PACKAGE_ROOT, 'public'),
      ...config,
    });
  const statsWithHost = (config: Partial<AppConfig>, host: string) =>
    request(app(config)).get('/api/stats').set('Host', host);

  it('answers 421 BAD_HOST to a rebound name on 127.0.0.1, and the loopback names with 200', async () => {
    const loopback = { host: '127.0.0.1' };
    expectApiError(
      await statsWithHost(loopback, 'evil.example:3000'),
      421,
      'BAD_HOST',
      badHost('"evil.example:3000"', 'localhost, 127.0.0.1, [::1]'),
    );
    for (const path of ['/api/health', '/', '/api/items/1/image']) {
      const res = await request(app(loopback)).get(path).set('Host', 'attacker.test');
      assert.equal(res.status, 421, path);
    }
    for (const host of ['localhost:3000', '127.0.0.1:3000', '[::1]:3000', 'LOCALHOST']) {
      assert.equal((await statsWithHost(loopback, host)).status, 200, host);
    }
  });

  it('answers the configured names (AESEARCH_ALLOWED_HOSTS) besides the listening address', async () => {
    const named = { host: '10.0.0.5', allowedHosts: ['search.lan', 'Photos.Example:8080'] };
    for (const host of ['search.lan', 'search.lan:3000', 'photos.example', '10.0.0.5:3000', 'localhost'])
      assert.equal((await statsWithHost(named, host)).status, 200, host);
    expectApiError(
      await statsWithHost(named, '10.0.0.6'),
      421,
      'BAD_HOST',
      badHost('"10.0.0.6"', 'localhost, search.lan, photos.example, 10.0.0.5'),
    );
  });

  it('on 0.0.0.0 answers any Host until names are configured, then those and IP addresses', async () => {
    assert.equal((await statsWithHost({ host: '0.0.0.0' }, 'anything.example')).status, 200);
    const named = { host: '0.0.0.0', allowedHosts: ['search.lan'] };
    for (const host of ['search.lan', '192.168.1.20:3000', '[fe80::1]:3000', 'localhost'])
      assert.equal((await statsWithHost(named, host)).status, 200, host);
    expectApiError(
      await statsWithHost(named, 'rebound.example'),
      421,
      'BAD_HOST',
      badHost('"rebound.example"', 'localhost, search.lan and its IP addresses'),
    );
    assert.equal((await statsWithHost({ host: '127.0.0.1', allowedHosts: ['*'] }, 'x.example')).status, 200);
  });

  it('checks the Host header on a real listening server', async () => {
    const server = await startTestServer(fx.tiny.indexDir);
    try {
      const refused = await rawRequest(server.url, '/api/stats', { headers: { host: 'rebind.example' } });
      assert.equal(refused.status, 421);
      assert.equal(JSON.parse(refused.body).error.code, 'BAD_HOST');
      const ok = await rawRequest(server.url, '/api/stats');
      assert.equal(ok.status, 200);
      assert.ok(!ok.body.includes(PACKAGE_ROOT), 'no absolute path in /api/stats');
    } finally {
      await server.close();
    }
  });

  it('makes absolute paths in public answers relative, or shortens them, and leaves other slashes', () => {
    const cwd = '/srv/aesearch';
    assert.equal(publicPath('/srv/aesearch/data/mnist', cwd), 'data/mnist');
    assert.equal(publicPath('/usr/share/datasets/fashion-mnist', cwd), '.../datasets/fashion-mnist');
    assert.equal(publicPath('C:\\Users\\me\\photos', cwd), '.../me/photos');
    assert.deepEqual(
      withoutAbsolutePaths(
        {
          origin: '/srv/aesearch/data/fashion-mnist (test split only)',
          error: 'No index at /tmp/x/index/manifest.json; run `aesearch index` first',
          kept: ['pixel / 255, in [0, 1]', 'T-shirt/top', 'index/manifest.json', 'http://host/x'],
          n: 3,
        },
        cwd,
      ),
      {
        origin: 'data/fashion-mnist (test split only)',
        error: 'No index at .../index/manifest.json; run `aesearch index` first',
        kept: ['pixel / 255, in [0, 1]', 'T-shirt/top', 'index/manifest.json', 'http://host/x'],
        n: 3,
      },
    );
  });

  it('refuses an admin token shorter than 16 characters, without echoing it', () => {
    assert.throws(
      () => loadConfig({ adminToken: 'sesame' }, {}),
      (err) =>
        isAesearchError(err, 'BAD_OPTION') &&
        err.message ===
          'Expected adminToken (AESEARCH_ADMIN_TOKEN) to be at least 16 characters long (for example `openssl rand -hex 16`), or empty to disable reloads over HTTP but received 6 characters',
    );
    assert.equal(loadConfig({}, { AESEARCH_ADMIN_TOKEN: TOKEN }).adminToken, TOKEN);
    assert.equal(loadConfig({}, {}).adminToken, '');
    assert.deepEqual(loadConfig({}, { AESEARCH_ALLOWED_HOSTS: 'a.lan, b.lan' }).allowedHosts, [
      'a.lan',
      'b.lan',
    ]);
  });

  it('warns at start when an admin token is set on a non-loopback address', async () => {
    assert.equal(
      plainHttpWarning('0.0.0.0', TOKEN),
      'admin token over plain HTTP on 0.0.0.0: put TLS in front (a reverse proxy with HTTPS), or listen on 127.0.0.1',
    );
    assert.equal(plainHttpWarning('127.0.0.1', TOKEN), undefined);
    assert.equal(plainHttpWarning('::1', TOKEN), undefined);
    assert.equal(plainHttpWarning('0.0.0.0', ''), undefined);

    // The real command: the warning, then the empty folder (no model) ends it.
    const env = { AESEARCH_DATA_PATH: TEST_DATA_PATH.join(':'), AESEARCH_ADMIN_TOKEN: TOKEN };
    const empty = join(fx.tiny.indexDir, 'nothing-here');
    const run = await runCli(['serve', '--host', '0.0.0.0', '--port', '0', '--index-dir', empty], env);
    assert.notEqual(run.code, 0);
    assert.match(run.stderr, /^admin token over plain HTTP on 0\.0\.0\.0: put TLS in front/m);
    assert.match(run.stderr, /aesearch: No trained model at /);

    const short = await runCli(['serve', '--index-dir', empty], { ...env, AESEARCH_ADMIN_TOKEN: 'short' });
    assert.equal(short.code, 1);
    assert.equal(
      short.stderr,
      'aesearch: Expected adminToken (AESEARCH_ADMIN_TOKEN) to be at least 16 characters long (for example `openssl rand -hex 16`), or empty to disable reloads over HTTP but received 5 characters\n',
    );
  });
});
