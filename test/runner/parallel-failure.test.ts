/**
 * A failed `parallel` step caught by its onFailure keeps the values its branch steps wrote,
 * through the real exec path.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startHarness } from '../handlers/harness.ts';
import { cleanUp, eventsOf, run } from './helpers.ts';

afterEach(cleanUp);

const branches = `    parallel:
      branches:
        - steps:
            - id: a
              exec: { target: { cluster: demo, service: api }, command: echo ok }
        - steps:
            - id: b
              exec: { target: { cluster: demo, service: web }, command: 'echo nope; exit 3' }
`;

describe('runLocal with a caught parallel failure', () => {
  it('keeps the branch steps’ values when onFailure is continue', async () => {
    const harness = await startHarness();
    const source = `
name: par-continue
steps:
  - id: both
    onFailure: continue
${branches}  - id: after
    exec: { target: { cluster: demo, service: api }, command: echo after }
outputs:
  a: \${{ steps.a.status }}
  b: \${{ steps.b.status }}
  code: \${{ steps.b.exitCode }}
`;
    const { result, events } = await run(harness, source);

    expect(result.status).toBe('succeeded');
    expect(result.outputs).toEqual({ a: 'succeeded', b: 'failed', code: 3 });
    expect(result.steps.b).toMatchObject({
      status: 'failed',
      exitCode: 3,
      result: { output: { tail: 'nope\n' } },
    });
    expect(result.steps.both).toEqual({
      status: 'failed',
      exitCode: null,
      outputs: {},
      error: result.steps.b?.error,
    });
    expect(result.steps.both?.error).toMatchObject({
      name: 'CommandFailed',
      message: 'The command exited with code 3',
    });
    expect(result.steps.after?.status).toBe('succeeded');
    const finished = eventsOf(events, 'step-finished').map((e) => [e.stepId, e.status]);
    expect(finished.slice(-2)).toEqual([
      ['both', 'failed'],
      ['after', 'succeeded'],
    ]);
  });

  it('runs the onFailure steps, which read the branch steps', async () => {
    const harness = await startHarness();
    const source = `
name: par-steps
steps:
  - id: both
    onFailure:
      - id: tell
        exec: { target: { cluster: demo, service: api }, command: 'echo "b=\${{ steps.b.exitCode }}"' }
        capture: { code: { regex: 'b=(\\d+)', type: integer, default: 0 } }
${branches}outputs:
  code: \${{ steps.tell.outputs.code }}
  both: \${{ steps.both.status }}
`;
    const { result } = await run(harness, source);

    expect(result.status).toBe('succeeded');
    expect(result.outputs).toEqual({ code: 3, both: 'failed' });
    expect(result.steps.both).toMatchObject({ error: { name: 'CommandFailed' } });
  });

  it('fails the run with the branch step’s error when a nested parallel fails inside a caught one', async () => {
    const harness = await startHarness();
    const source = `
name: par-nested
steps:
  - id: outer
    onFailure: continue
    parallel:
      branches:
        - steps:
            - id: inner
              parallel:
                branches:
                  - steps:
                      - id: b
                        exec: { target: { cluster: demo, service: web }, command: 'exit 4' }
                  - steps:
                      - id: c
                        exec: { target: { cluster: demo, service: api }, command: echo c }
            - id: never
              exec: { target: { cluster: demo, service: api }, command: echo never }
        - steps:
            - id: stop
              when: \${{ params.stop }}
              fail: { error: Broken, cause: "stopped \${{ params.stop }}" }
parameters: { stop: { type: boolean, default: false } }
`;
    const { result } = await run(harness, source);

    expect(result.status).toBe('succeeded');
    expect(result.steps.b).toMatchObject({ status: 'failed', exitCode: 4 });
    expect(result.steps.c).toMatchObject({ status: 'succeeded', exitCode: 0 });
    expect(result.steps.inner).toMatchObject({ status: 'failed', error: { name: 'CommandFailed' } });
    expect(result.steps.never?.status).toBe('skipped');
    expect(result.steps.outer).toMatchObject({ status: 'failed', error: { name: 'CommandFailed' } });
  });
});
