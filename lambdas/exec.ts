/**
 * The exec function (`${ExecFnArn}`): a single-target step or one batch of a fan-out, with its
 * metrics (lambdas/shared/exec-metrics.ts) per target.
 */
import { createHandlerDeps, invokeExecFn } from '../lib/handlers/index.ts';
import { recordExecMetrics } from './shared/exec-metrics.ts';
import { withDefaults } from './shared/with-defaults.ts';

const deps = createHandlerDeps();

/** The function's handler. */
export const handler = withDefaults(
  (event, { signal }) => invokeExecFn(event, deps, { signal, onResult: recordExecMetrics }),
  { metrics: true },
);
