// Per-API request counts, error counts by error code, and latency. The request path touches only the API's cell,
// found by indexing an array with the API key; label strings are built when Prometheus scrapes.

import { Counter, type Registry } from 'prom-client';
import { errorName } from '../wire/errors';
import { CellHistogram, type HistogramCell } from './cell-histogram';
import type { ApiRef, RequestObserver } from './hooks';
import { PREFIX } from './names';

/** Seconds. Fetch long polls and JoinGroup wait by design, so the upper buckets reach well past a second. */
export const LATENCY_BUCKETS: readonly number[] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

interface ApiCells {
  readonly name: string;
  requests: number;
  /** Error code → count. */
  readonly errors: Map<number, number>;
  readonly latency: HistogramCell;
}

export class RequestMetrics implements RequestObserver {
  private readonly apis: (ApiCells | undefined)[] = [];
  private readonly latency: CellHistogram;

  constructor(registry: Registry) {
    const apis = this.apis;
    new Counter({
      name: `${PREFIX}requests_total`,
      help: 'Requests handled, by API.',
      labelNames: ['api'],
      registers: [registry],
      collect() {
        this.reset();
        for (const a of apis) if (a) this.inc({ api: a.name }, a.requests);
      },
    });
    new Counter({
      name: `${PREFIX}request_errors_total`,
      help: 'Error codes returned, by API and error: whole-request failures and partition-level produce and fetch errors.',
      labelNames: ['api', 'error'],
      registers: [registry],
      collect() {
        this.reset();
        for (const a of apis) if (a) for (const [code, n] of a.errors) this.inc({ api: a.name, error: errorName(code) }, n);
      },
    });
    this.latency = new CellHistogram({
      name: `${PREFIX}request_duration_seconds`,
      help: 'Time from a request’s arrival to its response, by API.',
      labelNames: ['api'],
      buckets: LATENCY_BUCKETS,
      registry,
    });
  }

  completed(api: ApiRef, seconds: number): void {
    const a = this.apis[api.apiKey] ?? this.resolve(api);
    a.requests++;
    a.latency.observe(seconds);
  }

  failed(api: ApiRef, errorCode: number): void {
    const a = this.apis[api.apiKey] ?? this.resolve(api);
    a.errors.set(errorCode, (a.errors.get(errorCode) ?? 0) + 1);
  }

  private resolve(api: ApiRef): ApiCells {
    const a: ApiCells = { name: api.name, requests: 0, errors: new Map(), latency: this.latency.cell(api.name) };
    this.apis[api.apiKey] = a;
    return a;
  }
}
