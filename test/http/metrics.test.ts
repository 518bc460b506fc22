/**
 * GET /metrics on createApp: the Prometheus text format, with the counters and histograms of the requests
 * made before the scrape, the gauges of the moment, and prom-client's process figures.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import request from 'supertest';
import { AppMetrics } from '../../src/http/metrics.js';
import { WorkQueue } from '../../src/http/work-queue.js';
import { DEFAULT_DECODE_BUDGET } from '../../src/image/decode-budget.js';
import { DecodeSlots } from '../../src/image/decode-slots.js';
import { pngOf } from '../helpers/fixtures.js';
import { appFor } from '../helpers/http.js';
import { useTinyApp } from '../helpers/suite.js';

/** The value of the sample `name{labels}` (labels as Prometheus prints them), or undefined. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('GET /metrics', () => {
  const fx = useTinyApp();
  let png42: Buffer;

  before(async () => {
    png42 = await pngOf(await fx.service.itemPixels(42));
  });

  it('counts requests by route pattern and status, and times them by route and by space', async () => {
    const queue = new WorkQueue(2, { budget: DEFAULT_DECODE_BUDGET, slots: new DecodeSlots() });
    const metrics = new AppMetrics();
    const app = appFor(fx.service, undefined, { queue, metrics });
    await request(app).get('/api/items/1/similar?k=2').expect(200);
    await request(app).get('/api/items/2/similar?k=2').expect(200);
    await request(app).get('/api/items/9999/similar').expect(404);
    await request(app).post('/api/search?k=2&space=code').attach('image', png42, 'q.png').expect(200);
    await request(app).get('/no/such/page').expect(404);
    const held = queue.admit(2);
    await request(app).get('/api/items/1/similar').expect(503);
    metrics.countReload(true);
    metrics.countReload(false);
    metrics.countReload(false);

    const res = await request(app).get('/metrics');
    held();
    assert.equal(res.status, 200);
    assert.match(String(res.headers['content-type']), /^text\/plain; version=0\.0\.4/);
    const text = res.text;
    const similar = 'route="/api/items/:id/similar"';
    assert.equal(sample(text, `aesearch_http_requests_total{${similar},status="200"}`), 2);
    assert.equal(sample(text, `aesearch_http_requests_total{${similar},status="404"}`), 1);
    assert.equal(sample(text, `aesearch_http_requests_total{${similar},status="503"}`), 1);
    assert.equal(sample(text, 'aesearch_http_requests_total{route="/api/search",status="200"}'), 1);
    assert.equal(sample(text, 'aesearch_http_requests_total{route="(none)",status="404"}'), 1);
    assert.equal(sample(text, `aesearch_http_request_duration_seconds_count{${similar}}`), 4);
    assert.equal(sample(text, `aesearch_http_request_duration_seconds_bucket{le="+Inf",${similar}}`), 4);
    // two similar searches in both spaces, one upload in code space
    assert.equal(sample(text, 'aesearch_search_duration_seconds_count{space="code"}'), 3);
    assert.equal(sample(text, 'aesearch_search_duration_seconds_count{space="pixel"}'), 2);
    assert.equal(sample(text, 'aesearch_http_503_total{code="OVERLOADED"}'), 1);
    assert.equal(sample(text, 'aesearch_queue_depth'), 2, 'the two places held during the scrape');
    assert.equal(sample(text, 'aesearch_items'), 300);
    assert.equal(sample(text, 'aesearch_reloads_total{outcome="ok"}'), 1);
    assert.equal(sample(text, 'aesearch_reloads_total{outcome="failed"}'), 2);
    assert.ok((sample(text, 'aesearch_tensors') ?? 0) > 0, 'the model weights are live tensors');
    assert.ok((sample(text, 'process_resident_memory_bytes') ?? 0) > 10e6);
    assert.match(text, /^nodejs_eventloop_lag_seconds \d/m);
    assert.match(text, /^# TYPE aesearch_http_request_duration_seconds histogram$/m);
  });

  it('keeps one registry per app: a fresh app starts from zero', async () => {
    const res = await request(appFor(fx.service)).get('/metrics');
    assert.equal(res.status, 200);
    assert.equal(
      sample(res.text, 'aesearch_http_requests_total{route="/api/search",status="200"}'),
      undefined,
    );
    assert.equal(sample(res.text, 'aesearch_queue_depth'), 0);
  });
});
