import { makeRecord } from '../../lib/exec/internal/records.ts';
import type { ExecResult, ExecStatus } from '../../lib/exec/result.ts';
import type { ResolvedTarget } from '../../lib/exec/targets.ts';

/** A resolved target for task `n` of cluster `demo`. */
export function target(n: number, container = 'app'): ResolvedTarget {
  const taskId = n.toString(16).padStart(32, '0');
  return {
    cluster: 'demo',
    clusterArn: 'arn:aws:ecs:eu-west-1:000000000000:cluster/demo',
    taskArn: `arn:aws:ecs:eu-west-1:000000000000:task/demo/${taskId}`,
    taskId,
    container,
    containerArn: `arn:aws:ecs:eu-west-1:000000000000:container/demo/${taskId}/${container}`,
    runtimeId: `${taskId}-0`,
    targetId: `ecs:demo_${taskId}_${taskId}-0`,
  };
}

/** A finished record for `t` with `status`. */
export function record(t: ResolvedTarget, status: ExecStatus): ExecResult {
  return makeRecord(t, 0, 1, {
    status,
    exitCode: status === 'succeeded' ? 0 : status === 'failed' ? 1 : null,
    ...(status === 'succeeded' ? {} : { error: { name: 'CommandFailed', message: 'm', hint: 'h' } }),
  });
}

/** A random source that returns `values` in turn, then repeats the last. */
export function sequence(...values: number[]): () => number {
  let i = 0;
  return () => values[Math.min(i++, values.length - 1)] ?? 0;
}
