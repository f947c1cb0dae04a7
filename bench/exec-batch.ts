/**
 * lambda.exec.batch25.*: the exec function's CPU cost and memory for one fan-out batch of 25
 * sessions at the agent's pace, the figure docs/deploy.md sizes the function's memory from.
 *
 * The local emulator (ECS API and agent, `paceMs: 1`: 1 KiB frames about every millisecond, the
 * real agent's pace of about 1 MB/s per session) runs in this process; the exec function's core
 * runs in a child (bench/exec-batch-child.ts) exactly as the Lambda calls it (`invokeExecFn`
 * with a `kind: 'batch'` event, a directory output store), so the child's CPU time is the
 * function's alone.
 *
 * - lambda.exec.batch25.cpuMs: the child's user + system CPU time over the batch (after a warm-up
 *   batch of one); `wallMs`, `cpuShare` (cpuMs / wallMs: the vCPUs the batch keeps busy),
 *   `outputMBPerSession`.
 * - lambda.exec.batch25.peakRssMB: the child's peak RSS (getrusage's maxrss) at the batch's end.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { startLocalEcs } from '../lib/local/emulator.ts';
import type { BenchResults } from './results.ts';

const ROOT = path.join(import.meta.dirname, '..');
const SESSIONS = 25;
/** Output per session: about 2 s at the agent's pace. */
const BYTES_PER_SESSION = 2_000_000;

/** What the child prints. */
export interface ExecBatchMeasurement {
  readonly sessions: number;
  readonly succeeded: number;
  readonly cpuMs: number;
  readonly wallMs: number;
  readonly peakRssMB: number;
  readonly outputBytes: number;
}

/** Runs one batch of `sessions` in the child against an emulator at the agent's pace. */
export async function measureExecBatch(
  sessions = SESSIONS,
  bytesPerSession = BYTES_PER_SESSION,
  timeoutMs = 300_000,
): Promise<ExecBatchMeasurement> {
  const emulator = await startLocalEcs({
    config: {
      region: 'eu-west-1',
      accountId: '000000000000',
      clusters: [
        {
          name: 'bench',
          services: [{ name: 'api', family: 'api', count: sessions + 1, containers: [{ name: 'app' }] }],
        },
      ],
    },
    port: 0,
    initialWaitMs: 0,
    paceMs: 1,
  });
  try {
    const taskIds = emulator.world.clusters[0]?.tasks.map((t) => t.id) ?? [];
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', path.join(ROOT, 'bench', 'exec-batch-child.ts')],
      {
        cwd: ROOT,
        env: {
          ...process.env,
          AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
          AWS_ENDPOINT_URL_ECS: emulator.endpoint,
          AWS_ENDPOINT_URL_KMS: emulator.kmsEndpoint,
          AWS_REGION: emulator.region,
          AWS_ACCESS_KEY_ID: emulator.credentials.accessKeyId,
          AWS_SECRET_ACCESS_KEY: emulator.credentials.secretAccessKey,
          EXEC_BATCH_TASKS: JSON.stringify(taskIds),
          EXEC_BATCH_BYTES: String(bytesPerSession),
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    clearTimeout(timer);
    if (code !== 0) throw new Error(`the exec batch bench child exited ${code}: ${stderr.slice(-2000)}`);
    return JSON.parse(stdout.trim().split('\n').at(-1) as string) as ExecBatchMeasurement;
  } finally {
    await emulator.close();
  }
}

export async function benchExecBatch(results: BenchResults): Promise<void> {
  const m = await measureExecBatch();
  if (m.succeeded !== m.sessions) throw new Error(`only ${m.succeeded} of ${m.sessions} sessions succeeded`);
  const details = {
    sessions: m.sessions,
    outputMBPerSession: Number((m.outputBytes / m.sessions / 1e6).toFixed(2)),
    wallMs: Math.round(m.wallMs),
    cpuShare: Number((m.cpuMs / m.wallMs).toFixed(3)),
    agentPaceMs: 1,
  };
  results.record('lambda.exec.batch25.cpuMs', m.cpuMs, 'ms', details);
  results.record('lambda.exec.batch25.peakRssMB', m.peakRssMB, 'MB', details);
}
