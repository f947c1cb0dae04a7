/**
 * The exec function's metrics, one set per target record: how long the command ran, whether it
 * succeeded, how much it printed, and how often ExecuteCommand was polled while the target's
 * agent was not connected (`TargetNotConnectedException`). Flushed as EMF by the edge's
 * `logMetrics` under the dimensions `service`, `runbook` and `step`.
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { HandlerInvocation } from '../../lib/handlers/index.ts';
import { metrics } from './with-defaults.ts';

/** A target's record, as the cores hand it to `onResult`. */
type ExecResult = Parameters<NonNullable<HandlerInvocation['onResult']>>[0];

/** The metric names (docs/deploy.md, "Metrics"). */
export const EXEC_METRICS = {
  duration: 'ExecDuration',
  succeeded: 'ExecSucceeded',
  failed: 'ExecFailed',
  outputBytes: 'ExecOutputBytes',
  notConnectedPolls: 'TargetNotConnectedPolls',
} as const;

/** Records one target's result (an `onResult` observer of the exec cores). */
export function recordExecMetrics(result: ExecResult): void {
  metrics.addMetric(EXEC_METRICS.duration, MetricUnit.Milliseconds, result.durationMs);
  metrics.addMetric(
    result.status === 'succeeded' ? EXEC_METRICS.succeeded : EXEC_METRICS.failed,
    MetricUnit.Count,
    1,
  );
  metrics.addMetric(EXEC_METRICS.outputBytes, MetricUnit.Bytes, result.output.totalBytes);
  metrics.addMetric(EXEC_METRICS.notConnectedPolls, MetricUnit.Count, result.polls);
}
