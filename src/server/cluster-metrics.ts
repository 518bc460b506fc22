/**
 * One scrape of GET /metrics for a whole cluster. The scrape lands in whichever worker node:cluster hands
 * the connection to, so that worker asks the primary, which asks every worker for its registry as JSON
 * over the IPC link and merges them with prom-client's AggregatorRegistry.aggregate (counters and
 * histograms summed, each gauge as its `aggregator` says). prom-client's own cluster mode cannot serve
 * here: it only scrapes from the primary, which does not listen.
 */
import type { Worker } from 'node:cluster';
import { AggregatorRegistry, type Registry } from 'prom-client';
import type { Scrape } from '../http/metrics.js';
import type { PrimaryLink } from './cluster.js';

/** How long a scrape waits for the workers (and a worker for the primary), in ms. */
export const SCRAPE_TIMEOUT_MS = 2000;

/** A worker's metrics as prom-client's getMetricsAsJSON gives them. */
type MetricsJson = Awaited<ReturnType<Registry['getMetricsAsJSON']>>;

/** The primary's side: asks workers for their metrics and merges the answers. */
export class MetricsGatherer {
  private next = 0;
  private readonly pending = new Map<number, (metrics: MetricsJson) => void>();

  /**
   * Asks each of `workers` for its metrics (through `send`) and resolves with the merged text; a worker
   * that does not answer within SCRAPE_TIMEOUT_MS is left out.
   */
  async gather(workers: readonly Worker[], send: (worker: Worker, id: number) => void): Promise<string> {
    const parts = await Promise.all(
      workers.map(
        (worker) =>
          new Promise<MetricsJson | undefined>((resolve) => {
            const id = this.next++;
            const timer = setTimeout(() => {
              this.pending.delete(id);
              resolve(undefined);
            }, SCRAPE_TIMEOUT_MS);
            this.pending.set(id, (metrics) => {
              clearTimeout(timer);
              this.pending.delete(id);
              resolve(metrics);
            });
            send(worker, id);
          }),
      ),
    );
    return AggregatorRegistry.aggregate(parts.filter((p) => p !== undefined)).metrics();
  }

  /** Takes a worker's answer to the request `id`. */
  receive(id: number, metrics: MetricsJson): void {
    this.pending.get(id)?.(metrics);
  }
}

/** A worker's side: answers the primary's requests with `registry`, and scrapes the cluster through it. */
export class WorkerMetrics {
  private next = 0;
  private readonly pending = new Map<number, (text: string) => void>();

  constructor(
    private readonly primary: PrimaryLink,
    private readonly registry: Registry,
  ) {
    primary.listen((message) => {
      if (message.type === 'metrics-collect') void this.answer(message.id);
      else if (message.type === 'metrics-result') this.pending.get(message.id)?.(message.text);
    });
  }

  private async answer(id: number): Promise<void> {
    this.primary.tell({ type: 'metrics-part', id, metrics: await this.registry.getMetricsAsJSON() });
  }

  /** The whole cluster's metrics; this worker's alone when the primary does not answer in time. */
  readonly scrape: Scrape = (local) =>
    new Promise((resolve) => {
      const id = this.next++;
      const timer = setTimeout(() => {
        this.pending.delete(id);
        resolve(local.metrics());
      }, SCRAPE_TIMEOUT_MS * 2);
      this.pending.set(id, (text) => {
        clearTimeout(timer);
        this.pending.delete(id);
        resolve(text);
      });
      this.primary.tell({ type: 'metrics-scrape', id });
    });
}
