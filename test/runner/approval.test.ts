/**
 * decideApproval on its own: the bound on a policy function that never answers.
 */
import { describe, expect, it } from 'vitest';
import { type ApprovalInvocation, decideApproval } from '../../lib/runner/approval.ts';

const invocation: ApprovalInvocation = {
  FunctionName: 'approval',
  Payload: {
    runbook: 'gated',
    stepId: 'ask',
    message: 'Go ahead?',
    approvers: [],
    timeoutMs: 1000,
  } as unknown as ApprovalInvocation['Payload'],
};
const observer = { requested: () => undefined, decided: () => undefined };

describe('decideApproval', () => {
  it('rejects with the abort reason when the signal aborts while an ask that ignores it is pending', async () => {
    const controller = new AbortController();
    const reason = new Error('state gated.ask timed out');
    const decided = decideApproval(
      invocation,
      { ask: () => new Promise(() => undefined) },
      observer,
      [],
      controller.signal,
    );
    controller.abort(reason);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const outcome = await Promise.race([
      decided.then(
        () => 'resolved',
        (error: unknown) => error,
      ),
      new Promise((resolve) => {
        timer = setTimeout(() => resolve('still pending'), 1_000);
      }),
    ]);
    clearTimeout(timer);
    expect(outcome).toBe(reason);
  });
});
