/** Bucket upper bounds of the enforcement latency histogram, in milliseconds. */
export const LATENCY_BUCKETS_MS: readonly number[] = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000];

/** A Prometheus-style cumulative histogram. */
export class LatencyHistogram {
  readonly buckets = new Array<number>(LATENCY_BUCKETS_MS.length).fill(0);
  count = 0;
  sum = 0;

  observe(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) return;
    this.count++;
    this.sum += ms;
    for (let i = 0; i < LATENCY_BUCKETS_MS.length; i++) {
      if (ms <= (LATENCY_BUCKETS_MS[i] as number)) this.buckets[i] = (this.buckets[i] as number) + 1;
    }
  }
}

/** One metric sample with labels. */
export interface MetricSample {
  readonly labels?: Readonly<Record<string, string>>;
  readonly value: number;
}

function labelText(labels: Readonly<Record<string, string>> | undefined): string {
  if (!labels || Object.keys(labels).length === 0) return '';
  const parts = Object.entries(labels).map(
    ([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`,
  );
  return `{${parts.join(',')}}`;
}

/** Builds the Prometheus text exposition format (version 0.0.4). */
export class PrometheusText {
  private readonly lines: string[] = [];

  metric(name: string, type: 'counter' | 'gauge', help: string, samples: readonly MetricSample[]): this {
    this.lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const s of samples) this.lines.push(`${name}${labelText(s.labels)} ${s.value}`);
    return this;
  }

  histogram(name: string, help: string, h: LatencyHistogram): this {
    this.lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} histogram`);
    LATENCY_BUCKETS_MS.forEach((le, i) => this.lines.push(`${name}_bucket{le="${le}"} ${h.buckets[i] ?? 0}`));
    this.lines.push(
      `${name}_bucket{le="+Inf"} ${h.count}`,
      `${name}_sum ${h.sum}`,
      `${name}_count ${h.count}`,
    );
    return this;
  }

  text(): string {
    return `${this.lines.join('\n')}\n`;
  }
}
