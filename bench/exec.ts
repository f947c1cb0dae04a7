/**
 * exec.latency: p50/p95 of `true` through the real ECS client, the local ECS API and the local
 * agent (no initial wait, no pacing), one target at a time.
 *
 * exec.fanout: 200 local tasks at concurrency 20: wall time and peak RSS of the process (which
 * holds the client side and the emulator with its 200 PTYs).
 */
import { createEcsClient } from '../lib/exec/clients.ts';
import { runExec } from '../lib/exec/run-exec.ts';
import { startLocalEcs } from '../lib/local/emulator.ts';
import type { BenchResults } from './results.ts';

const MB = 1024 * 1024;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

function clusterWith(count: number) {
  return {
    region: 'eu-west-1',
    accountId: '000000000000',
    clusters: [
      {
        name: 'bench',
        services: [
          {
            name: 'api',
            family: 'api',
            count,
            // biome-ignore lint/suspicious/noTemplateCurlyInString: the cluster file's own ${workdir} variable
            containers: [{ name: 'app', env: { DATA_DIR: '${workdir}/data' } }],
          },
        ],
      },
    ],
  };
}

export async function benchExec(results: BenchResults): Promise<void> {
  const emulator = await startLocalEcs({ config: clusterWith(200), port: 0, initialWaitMs: 0, paceMs: 0 });
  const ecs = createEcsClient({
    endpoint: emulator.endpoint,
    region: emulator.region,
    credentials: emulator.credentials,
  });
  try {
    const latencies: number[] = [];
    const runs = 60;
    for (let i = 0; i < runs + 5; i++) {
      const start = performance.now();
      const run = await runExec(
        { target: { cluster: 'bench', service: 'api' }, command: { script: 'true' } },
        { ecs },
      );
      if (run.results[0]?.exitCode !== 0) throw new Error(`true failed: ${JSON.stringify(run.results[0])}`);
      if (i >= 5) latencies.push(performance.now() - start);
    }
    latencies.sort((a, b) => a - b);
    results.record('exec.latency', percentile(latencies, 50), 'ms', {
      p50: Number(percentile(latencies, 50).toFixed(1)),
      p95: Number(percentile(latencies, 95).toFixed(1)),
      runs,
      what: '`true` through ECSClient → local ECS API → local agent (initialWaitMs 0, paceMs 0) → PTY → sh',
    });

    let peakRss = process.memoryUsage().rss;
    const sampler = setInterval(() => {
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
    }, 20);
    const start = performance.now();
    const fan = await runExec(
      {
        target: { cluster: 'bench', service: 'api', pick: 'all' },
        command: { script: 'echo "$PWD"' },
        concurrency: 20,
        rate: { perSecond: 1000, burst: 1000 },
      },
      { ecs },
    );
    const wallMs = performance.now() - start;
    clearInterval(sampler);
    if (fan.summary.succeeded !== 200) throw new Error(`fan-out: ${JSON.stringify(fan.summary)}`);
    results.record('exec.fanout', wallMs, 'ms', {
      targets: 200,
      concurrency: 20,
      peakRssMB: Number((peakRss / MB).toFixed(1)),
      note: 'ExecuteCommand rate raised to 1000/s for the measurement (the default budget is 20/s, which alone takes 10 s for 200 targets)',
    });
  } finally {
    ecs.destroy();
    await emulator.close();
  }
}
