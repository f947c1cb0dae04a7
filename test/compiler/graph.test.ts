import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runbookToMermaid } from '../../lib/compiler/index.ts';
import { model, runbookYaml } from './helpers.ts';

const example = (name: string) =>
  model(readFileSync(join(import.meta.dirname, '..', '..', 'runbooks', `${name}.yaml`), 'utf8'));

describe('runbookToMermaid', () => {
  it('draws the steps in order from start to end', () => {
    const text = runbookToMermaid(example('flush-cache'));

    expect(text.split('\n')[0]).toBe('flowchart TD');
    expect(text).toContain('  start --> s_measure\n');
    expect(text).toContain(
      '  s_measure --> s_approve\n  s_approve --> s_flush\n  s_flush --> s_verify\n  s_verify --> done\n',
    );
    expect(text).toContain('s_approve{{"approve: Ask for approval<br/>approval"}}');
    expect(text).toContain('done(["end: outputs"])');
  });

  it('marks fan-outs, draws a when as a diamond and onFailure edges dashed', () => {
    const text = runbookToMermaid(example('incident-api-5xx'));

    expect(text).toMatch(/s_record\[\["record: .*fan-out: service api, concurrency 3"\]\]/);
    expect(text).toMatch(/w_restart_workers\{"when .*#gt;= params.errorThreshold.*"\}/);
    expect(text).toContain('w_restart_workers -->|yes| s_restart_workers');
    expect(text).toContain('w_restart_workers -->|no| s_tell');
    expect(text).toContain('s_restart_workers -.->|on failure| s_restart_failed');
    expect(text).toContain('s_last_requests -.->|on failure| w_restart_workers');
  });

  it('puts each parallel branch in a subgraph between a fork and a join', () => {
    const text = runbookToMermaid(example('incident-api-5xx'));

    expect(text).toContain('subgraph b_diagnostics_1 ["branch 1"]\n    s_api_errors[');
    expect(text).toContain('s_diagnostics --> s_api_errors');
    expect(text).toContain('s_worker_queue --> j_diagnostics');
    expect(text).toContain('j_diagnostics --> s_last_requests');
  });

  it('escapes quotes and angle brackets in labels, and ends fail steps without an edge', () => {
    const text = runbookToMermaid(
      model(
        runbookYaml(`  - id: stop
    name: 'say "no" <now>'
    fail: { error: Nope }`),
      ),
    );

    expect(text).toContain('s_stop(["stop: say #quot;no#quot; #lt;now#gt;<br/>fail: Nope"])');
    expect(text).not.toMatch(/s_stop -->/);
  });

  it('gives the same text for the same runbook', () => {
    expect(runbookToMermaid(example('nightly-maintenance'))).toBe(
      runbookToMermaid(example('nightly-maintenance')),
    );
  });
});
