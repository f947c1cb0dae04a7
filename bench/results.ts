/** bench/results.json: one object keyed by benchmark name, each a value with its unit. */
export interface BenchRecord {
  readonly value: number;
  readonly unit: string;
  readonly [detail: string]: unknown;
}

export class BenchResults {
  readonly records: Record<string, BenchRecord> = {};

  record(name: string, value: number, unit: string, details: Record<string, unknown> = {}): void {
    this.records[name] = { value: Number(value.toFixed(3)), unit, ...details };
    process.stderr.write(`${name}: ${value.toFixed(2)} ${unit}\n`);
  }
}
