// biome-ignore-all lint/suspicious/noTemplateCurlyInString: runbook expressions are ${{ … }}
import { describe, expect, it } from 'vitest';
import { compileRunbook } from '../../lib/compiler/index.ts';
import type { LocalHandler } from './helpers.ts';
import { model, runLocal } from './helpers.ts';

const values = [
  'plain',
  '{}',
  '{0} {{x}} }{',
  'it\'s "quoted"',
  'ü 😀 ✓',
  'line\nbreak\ttab',
  '$.params.s',
  "States.Format('{}', 1)",
  '\\',
  'C:\\dir\\file',
  "\\'",
  '\\{}',
  '\\\\n',
  'ü\\😀',
];

/**
 * Text around the reference: braces, quotes, backslashes (through States.Base64Decode) and
 * non-ASCII characters. aws-local-stepfunctions 3.0.0 dropped every backslash of an intrinsic's
 * result and decoded Base64 as Latin-1; scripts/patch-aws-local-stepfunctions.mjs makes it
 * behave as AWS does, and this test keeps it so.
 */
const text = `{a} {} 'q' "d" ü😀 \\ \\n \\'{}`;

function source(): string {
  const field = `"${text.replaceAll('\\', '\\\\').replaceAll('"', '\\"')} \${{ params.s }} ${'${{ params.s }}'}!"`;
  return `name: t
parameters: { s: { type: string } }
steps:
  - id: tell
    notify: { topic: arn:aws:sns:eu-west-1:123456789012:ops, message: ${field}, subject: ${field} }
  - id: ask
    approval: { message: ${field} }
  - id: run
    exec:
      target: { service: ${field}, cluster: ${field}, container: ${field} }
      command: "true"
  - id: done
    succeed: { message: ${field} }
outputs:
  o: ${field}
  p: "\${{ params.s }}"
`;
}

describe('templates in non-command fields', () => {
  it.each(values)('pass the value %j and the text around it through unchanged', async (value) => {
    const { definition } = compileRunbook(model(source()));
    const expected = `${text} ${value} ${value}!`;
    const seen: Record<string, unknown> = {};
    const tell: LocalHandler = (input) => {
      seen.tell = input;
      return {};
    };
    const ask: LocalHandler = (input) => {
      seen.ask = input;
      return { approvedBy: 'me', comment: '' };
    };
    const run: LocalHandler = (input) => {
      seen.run = input;
      return { status: 'succeeded', exitCode: 0, outputs: {} };
    };

    const output = await runLocal(definition, { params: { s: value } }, { tell, ask, run });

    expect(seen.tell).toMatchObject({ Message: expected, Subject: expected });
    expect(seen.ask).toMatchObject({ Payload: { message: expected } });
    expect(seen.run).toMatchObject({
      target: { service: expected, cluster: expected, container: expected },
    });
    expect(output.outputs).toEqual({ o: expected, p: value });
    expect((output.steps as Record<string, { message?: string }>).done?.message).toBe(expected);
  });
});
