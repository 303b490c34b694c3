// A Prometheus histogram whose label sets are resolved once into cells. prom-client's own Histogram hashes the label
// object on every observe(); on the request path that would build a string per request, so callers here keep the
// cell for their label set and observe() is a bucket search plus three additions. The registry reads the cells when
// it is scraped.

import type { Histogram, Registry } from 'prom-client';

export class HistogramCell {
  /** Per-bucket counts (not cumulative); the last slot counts values above the largest bound. */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(private readonly bounds: readonly number[]) {
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(value: number): void {
    const b = this.bounds;
    let i = 0;
    while (i < b.length && value > b[i]!) i++;
    this.counts[i]!++;
    this.sum += value;
    this.count++;
  }

  reset(): void {
    this.counts.fill(0);
    this.sum = 0;
    this.count = 0;
  }
}

interface Sample {
  value: number;
  labels: Record<string, string>;
  metricName: string;
}

export interface CellHistogramOptions {
  name: string;
  help: string;
  labelNames: readonly string[];
  /** Upper bounds in increasing order. */
  buckets: readonly number[];
  registry: Registry;
}

export class CellHistogram {
  readonly name: string;
  readonly help: string;
  // Read by the registry (and by prom-client's cluster aggregation).
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly labelNames: readonly string[];
  private readonly buckets: readonly number[];
  private readonly bucketLabels: readonly string[];
  private readonly cells = new Map<string, { labels: Record<string, string>; cell: HistogramCell }>();

  constructor(opts: CellHistogramOptions) {
    for (let i = 1; i < opts.buckets.length; i++) {
      if (!(opts.buckets[i]! > opts.buckets[i - 1]!)) throw new Error(`${opts.name}: buckets must increase`);
    }
    this.name = opts.name;
    this.help = opts.help;
    this.labelNames = opts.labelNames;
    this.buckets = opts.buckets;
    this.bucketLabels = [...opts.buckets.map(String), '+Inf'];
    // The registry only calls get()/reset() and reads the fields above; it accepts any such object at runtime,
    // but its typings name the built-in classes.
    opts.registry.registerMetric(this as unknown as Histogram);
  }

  /** The cell of one label set; resolve it once and keep it. */
  cell(...labelValues: string[]): HistogramCell {
    if (labelValues.length !== this.labelNames.length) {
      throw new Error(`${this.name}: expected ${this.labelNames.length} label values, got ${labelValues.length}`);
    }
    const key = labelValues.join('\u0000');
    let entry = this.cells.get(key);
    if (!entry) {
      const labels: Record<string, string> = {};
      this.labelNames.forEach((n, i) => (labels[n] = labelValues[i]!));
      entry = { labels, cell: new HistogramCell(this.buckets) };
      this.cells.set(key, entry);
    }
    return entry.cell;
  }

  async get(): Promise<{ name: string; help: string; type: string; aggregator: string; values: Sample[] }> {
    const values: Sample[] = [];
    for (const { labels, cell } of this.cells.values()) {
      let cumulative = 0;
      for (let i = 0; i < this.bucketLabels.length; i++) {
        cumulative += cell.counts[i]!;
        values.push({ value: cumulative, labels: { ...labels, le: this.bucketLabels[i]! }, metricName: `${this.name}_bucket` });
      }
      values.push({ value: cell.sum, labels, metricName: `${this.name}_sum` });
      values.push({ value: cell.count, labels, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  reset(): void {
    for (const { cell } of this.cells.values()) cell.reset();
  }
}
