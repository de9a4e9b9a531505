/**
 * A worker's Prometheus metrics (prom-client, a registry of its own) and the endpoint
 * that serves them: GET /metrics in the text format, on 127.0.0.1 unless told otherwise.
 */
import * as http from 'http';
import type { AddressInfo } from 'net';
import type { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { prom } from './bull';

/** The metric names, for dashboards and docs/scale-out.md. */
export const METRIC_NAMES = {
  images: 'die_inspect_images_total',
  batchFill: 'die_inspect_batch_fill',
  batchSize: 'die_inspect_batch_size',
  queueWait: 'die_inspect_queue_wait_seconds',
  inference: 'die_inspect_inference_seconds',
  job: 'die_inspect_job_seconds',
  errors: 'die_inspect_errors_total',
  provider: 'die_inspect_provider',
} as const;

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export class WorkerMetrics {
  readonly registry: Registry;
  readonly images: Counter<'verdict'>;
  readonly batchFill: Histogram;
  readonly batchSize: Histogram;
  readonly queueWait: Histogram;
  readonly inference: Histogram;
  readonly job: Histogram;
  readonly errors: Counter<'code'>;
  readonly provider: Gauge<'provider'>;

  constructor(readonly batch: number, labels: Record<string, string> = {}) {
    const { Counter, Gauge, Histogram, Registry } = prom();
    this.registry = new Registry();
    this.registry.setDefaultLabels(labels);
    const registers = [this.registry];
    this.images = new Counter({ name: METRIC_NAMES.images, help: 'Images inspected, by verdict (rate(): images/s)',
      labelNames: ['verdict'], registers });
    this.batchFill = new Histogram({ name: METRIC_NAMES.batchFill, help: 'Images per batch over the batch size (1: a full batch)',
      buckets: [0.125, 0.25, 0.5, 0.75, 0.99, 1], registers });
    const sizes = [...new Set([1, 2, 4, 8, Math.max(1, batch - 1), batch])].sort((a, b) => a - b);
    this.batchSize = new Histogram({ name: METRIC_NAMES.batchSize, help: 'Images per batch', buckets: sizes, registers });
    this.queueWait = new Histogram({ name: METRIC_NAMES.queueWait, help: 'From enqueue to a worker taking the job',
      buckets: LATENCY_BUCKETS, registers });
    this.inference = new Histogram({ name: METRIC_NAMES.inference, help: 'A batch through the Inspector (decode, ROI, models)',
      buckets: LATENCY_BUCKETS, registers });
    this.job = new Histogram({ name: METRIC_NAMES.job, help: 'From a worker taking a job to its result (batching, inference, record)',
      buckets: LATENCY_BUCKETS, registers });
    this.errors = new Counter({ name: METRIC_NAMES.errors, help: 'Jobs failed, by error code', labelNames: ['code'], registers });
    this.provider = new Gauge({ name: METRIC_NAMES.provider, help: 'The execution provider in use (1)', labelNames: ['provider'],
      registers });
  }

  observeBatch(size: number, seconds: number): void {
    this.batchFill.observe(Math.min(1, size / this.batch));
    this.batchSize.observe(size);
    this.inference.observe(seconds);
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }
}

/** The /metrics endpoint: resolves once listening, with the port (0: any free one). */
export async function serveMetrics(metrics: WorkerMetrics, port: number, host = '127.0.0.1'): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '/').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('GET /metrics\n');
      return;
    }
    metrics.text().then((body) => {
      res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(body);
    }, (err: Error) => {
      res.writeHead(500, { 'content-type': 'text/plain' }).end(`${err.message}\n`);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return server;
}

export function portOf(server: http.Server): number {
  return (server.address() as AddressInfo).port;
}
