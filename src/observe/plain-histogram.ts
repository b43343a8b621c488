import {
  Histogram,
  type HistogramConfiguration,
  type MetricObjectWithValues,
  type MetricValueWithName,
} from "prom-client";

/** One label set's counts: per bucket (not cumulative), the sum and the count of what was observed. */
interface Series<T extends string> {
  readonly labels: Readonly<Record<T, string>>;
  readonly buckets: number[];
  sum: number;
  count: number;
}

/** A value of prom-client's export before the registry merges `sharedLabels` into `labels` (`getForPromString`). */
interface Exported {
  readonly labels: Record<string, string | number>;
  readonly sharedLabels: Record<string, string>;
  readonly value: number;
  readonly metricName: string;
  readonly exemplar: null | undefined;
}

/**
 * A prom-client histogram (same registration, name, buckets and exposition) observed in plain numbers: `record`
 * takes the caller's key for a label set, where prom-client's `observe` validates and hashes the labels and finds
 * the bucket through a property named by the bound's text, about 5k instructions per request for `serve`. The
 * export repeats what prom-client's `Histogram` writes (cumulative `_bucket` lines, `+Inf`, `_sum`, `_count`, label
 * sets in the order first seen): test/observe pins the two to the same text. Observe through `record` only.
 */
export class PlainHistogram<T extends string> extends Histogram<T> {
  private readonly series = new Map<string, Series<T>>();
  private readonly bounds: readonly number[];
  private readonly config: HistogramConfiguration<T>;

  constructor(config: HistogramConfiguration<T> & { readonly buckets: number[] }) {
    super(config);
    this.config = config;
    this.bounds = [...config.buckets];
  }

  /** Observes `value` for the label set `labels`, known by `key` (one key per label set, chosen by the caller). */
  record(key: string, labels: Readonly<Record<T, string>>, value: number): void {
    if (!Number.isFinite(value)) throw new TypeError(`Value is not a valid number: ${value}`);
    let series = this.series.get(key);
    if (series === undefined) {
      series = { labels, buckets: this.bounds.map(() => 0), sum: 0, count: 0 };
      this.series.set(key, series);
    }
    const bounds = this.bounds;
    for (let i = 0; i < bounds.length; i += 1) {
      if (value <= bounds[i]!) {
        series.buckets[i]! += 1;
        break;
      }
    }
    series.sum += value;
    series.count += 1;
  }

  override reset(): void {
    super.reset();
    // prom-client's constructor resets before this class's fields exist
    this.series?.clear();
  }

  /** What prom-client's `Histogram#getForPromString` gives, which the registry reads for the exposition text. */
  async getForPromString(): Promise<MetricObjectWithValues<MetricValueWithName<T>>> {
    const { name, help, aggregator = "sum" } = this.config;
    const values: Exported[] = [];
    const bucket = `${name}_bucket`;
    for (const { labels, buckets, sum, count } of this.series.values()) {
      let cumulative = 0;
      for (let i = 0; i < this.bounds.length; i += 1) {
        cumulative += buckets[i]!;
        values.push({
          labels: { le: this.bounds[i]! },
          sharedLabels: labels,
          value: cumulative,
          metricName: bucket,
          exemplar: null,
        });
      }
      values.push(
        { labels: { le: "+Inf" }, sharedLabels: labels, value: count, metricName: bucket, exemplar: null },
        { labels: {}, sharedLabels: labels, value: sum, metricName: `${name}_sum`, exemplar: undefined },
        { labels: {}, sharedLabels: labels, value: count, metricName: `${name}_count`, exemplar: undefined },
      );
    }
    // the shape prom-client's own export has (no `collect`: this histogram has none)
    const data = { name, help, type: "histogram", values, aggregator };
    return data as unknown as MetricObjectWithValues<MetricValueWithName<T>>;
  }

  /** What prom-client's `Histogram#get` gives (JSON export, cluster aggregation): each value's labels merged. */
  override async get(): Promise<MetricObjectWithValues<MetricValueWithName<T>>> {
    const data = await this.getForPromString();
    data.values = (data.values as unknown as Exported[]).map(({ sharedLabels, labels, ...rest }) => ({
      ...rest,
      labels: Object.assign(labels, sharedLabels),
    })) as unknown as MetricValueWithName<T>[];
    return data;
  }
}
