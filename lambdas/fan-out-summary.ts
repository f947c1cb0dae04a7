/**
 * The fan-out summary function (`${FanOutSummaryFnArn}`): applies a fan-out's error budget.
 */
import { createHandlerDeps, invokeFanOutSummaryFn } from '../lib/handlers/index.ts';
import { withDefaults } from './shared/with-defaults.ts';

const deps = createHandlerDeps();

/** The function's handler. */
export const handler = withDefaults((event) => invokeFanOutSummaryFn(event, deps));
