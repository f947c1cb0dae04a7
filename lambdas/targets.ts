/**
 * The targets function (`${TargetsFnArn}`): resolves a fan-out's tasks and cuts them into batches.
 */
import { createHandlerDeps, invokeTargetsFn } from '../lib/handlers/index.ts';
import { withDefaults } from './shared/with-defaults.ts';

const deps = createHandlerDeps();

/** The function's handler. */
export const handler = withDefaults((event, { signal }) => invokeTargetsFn(event, deps, { signal }));
