import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../lib/cli/main.ts';
import { captureIo } from './io.ts';

const ROOT = path.join(import.meta.dirname, '..', '..');

describe('runbook graph', () => {
  it('prints a Mermaid flowchart of the steps on stdout', async () => {
    const cap = captureIo({ cwd: ROOT });
    const code = await main(['graph', 'runbooks/incident-api-5xx.yaml'], cap.io);
    expect(code).toBe(0);
    const out = cap.stdout();
    expect(out.startsWith('flowchart TD\n')).toBe(true);
    for (const id of ['record', 'api_errors', 'worker_queue', 'restart_workers', 'tell'])
      expect(out).toContain(`s_${id}`);
  });

  it('exits 1 when the file cannot be read and 2 without a file', async () => {
    const missing = captureIo({ cwd: ROOT });
    expect(await main(['graph', 'runbooks/none.yaml'], missing.io)).toBe(1);
    const none = captureIo({ cwd: ROOT });
    expect(await main(['graph'], none.io)).toBe(2);
    expect(none.stderr()).toContain('Usage: runbook graph FILE');
  });
});
