/**
 * The exec function (`${ExecFnArn}`): a single-target step or one batch of a fan-out.
 */
import { createHandlerDeps, invokeExecFn } from '../lib/handlers/index.ts';
import { withDefaults } from './shared/with-defaults.ts';

const deps = createHandlerDeps();

/** The function's handler. */
export const handler = withDefaults((event, { signal }) => invokeExecFn(event, deps, { signal }));
