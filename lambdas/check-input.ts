/**
 * The check-input function (`${CheckInputFnArn}`): the first state of every runbook. It types
 * and checks the execution input with the same code as the CLI and the API, and fails the run
 * with `InvalidInput` (every problem, each naming its field) before any step runs.
 */
import { invokeCheckInputFn } from '../lib/handlers/index.ts';
import { withDefaults } from './shared/with-defaults.ts';

/** The function's handler. */
export const handler = withDefaults((event) => invokeCheckInputFn(event));
