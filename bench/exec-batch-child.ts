/**
 * The child of bench/exec-batch.ts: the exec function's core as the Lambda calls it, one warm-up
 * batch of one session, then the measured batch; prints one JSON line (ExecBatchMeasurement).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import '../lib/shared/polyfills.ts';
import type { BatchResult } from '../lib/handlers/index.ts';
import { createDirectoryOutputStore, createHandlerDeps, invokeExecFn } from '../lib/handlers/index.ts';

const taskIds = JSON.parse(process.env.EXEC_BATCH_TASKS ?? '[]') as string[];
const bytes = Number(process.env.EXEC_BATCH_BYTES);
const outputDir = mkdtempSync(path.join(tmpdir(), 'exec-batch-bench-'));
const deps = createHandlerDeps({ outputStore: createDirectoryOutputStore(outputDir) });

function batchEvent(ids: readonly string[], execution: string) {
  return {
    kind: 'batch',
    runbook: 'bench',
    stepId: 'print',
    execution: `arn:aws:states:eu-west-1:000000000000:execution:bench:${execution}`,
    cluster: 'bench',
    container: 'app',
    taskIds: ids,
    // Log-like lines, as much as `bytes`, printed as fast as the agent takes them.
    script: `yes 'INFO 2026-12-05T00:00:00Z request served in 12 ms path=/api/v1/items' | head -c ${bytes}`,
    env: {},
    timeoutMs: 300_000,
    concurrency: ids.length,
    ratePerSecond: 40,
    outputBucket: 'local',
  };
}

try {
  await invokeExecFn(batchEvent(taskIds.slice(-1), 'warm-up'), deps);
  const measured = taskIds.slice(0, -1);
  const cpuBefore = process.cpuUsage();
  const start = performance.now();
  const results = (await invokeExecFn(batchEvent(measured, 'measured'), deps)) as BatchResult;
  const wallMs = performance.now() - start;
  const cpu = process.cpuUsage(cpuBefore);
  const { statSync } = await import('node:fs');
  const { fileURLToPath } = await import('node:url');
  const outputBytes = results.reduce((sum, r) => sum + (r.uri ? statSync(fileURLToPath(r.uri)).size : 0), 0);
  process.stdout.write(
    `${JSON.stringify({
      sessions: measured.length,
      succeeded: results.filter((r) => r.status === 'succeeded').length,
      cpuMs: (cpu.user + cpu.system) / 1000,
      wallMs,
      // maxRSS is in KiB.
      peakRssMB: (process.resourceUsage().maxRSS * 1024) / (1024 * 1024),
      outputBytes,
    })}\n`,
  );
} finally {
  deps.ecs.destroy();
  rmSync(outputDir, { recursive: true, force: true });
}
