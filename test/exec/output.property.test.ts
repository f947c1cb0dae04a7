import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type CollectedOutput, OutputCollector } from '../../lib/exec/output.ts';

const MARKER = `__RB_${'89abcdef01234567'.repeat(2)}__:`;
const enc = (text: string) => new TextEncoder().encode(text);
const PATTERN = enc(MARKER);

/** Byte pieces that stress each stage: CR/LF pairs, escapes, multi-byte characters, marker starts. */
const piece = fc.oneof(
  fc.uint8Array({ maxLength: 40 }),
  fc
    .constantFrom(
      ...[
        '\r',
        '\n',
        '\r\n',
        '\r\r\n',
        '\x1b',
        '\x1b[',
        '\x1b[31m',
        '\x1b]0;title\x07',
        '\x1b]8;;u\x1b\\',
        '\x1bP',
        '\x07',
      ],
      ...['é', '€', '😀', 'plain text ', '_', '__', '___', '__RB_', '__:0\n'],
    )
    .map(enc),
  fc.integer({ min: 1, max: PATTERN.length - 1 }).map((length) => PATTERN.slice(0, length)),
  fc.constantFrom(enc('😀').subarray(0, 2), enc('€').subarray(1)),
);
const bytes = fc.array(piece, { maxLength: 30 }).map((pieces) => Buffer.concat(pieces));

/** The PTY's ONLCR: every LF the program writes arrives as CR LF. */
function onlcr(program: Uint8Array): Buffer {
  const out: number[] = [];
  for (const byte of program) {
    if (byte === 0x0a) out.push(0x0d);
    out.push(byte);
  }
  return Buffer.from(out);
}

interface Run {
  readonly result: CollectedOutput;
  readonly sink: Buffer;
  readonly lines: ReadonlyArray<readonly [string, boolean]>;
}

function run(chunks: readonly Uint8Array[], tailBytes: number, maxLineBytes: number): Run {
  const sink: Buffer[] = [];
  const lines: Array<[string, boolean]> = [];
  const collector = new OutputCollector({
    marker: MARKER,
    tailBytes,
    maxLineBytes,
    sink: (chunk) => sink.push(Buffer.from(chunk)),
    onLine: (line, newline) => lines.push([line, newline]),
  });
  for (const chunk of chunks) collector.push(chunk);
  return { result: collector.end(), sink: Buffer.concat(sink), lines };
}

function cut(raw: Buffer, positions: readonly number[]): Buffer[] {
  const points = [...new Set(positions.map((p) => p % (raw.length + 1)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let from = 0;
  for (const point of points) {
    chunks.push(raw.subarray(from, point));
    from = point;
  }
  chunks.push(raw.subarray(from));
  return chunks;
}

describe('OutputCollector', () => {
  it('gives the same result, sink bytes and lines however the bytes are chunked', () => {
    fc.assert(
      fc.property(
        bytes,
        fc.option(fc.integer({ min: 0, max: 255 }), { nil: undefined }),
        bytes,
        fc.array(fc.nat(), { maxLength: 40 }),
        fc.constantFrom([32 * 1024, 64 * 1024], [16, 8], [0, 4]),
        (program, status, late, positions, [tailBytes, maxLineBytes]) => {
          fc.pre(program.indexOf(PATTERN) < 0);
          const raw =
            status === undefined
              ? onlcr(program)
              : Buffer.concat([onlcr(program), enc(`${MARKER}${status}\r\n`), onlcr(late)]);

          const whole = run([raw], tailBytes as number, maxLineBytes as number);
          const chunked = run(cut(raw, positions), tailBytes as number, maxLineBytes as number);

          expect(chunked).toEqual(whole);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('gives back exactly the bytes the program wrote and the status it printed', () => {
    fc.assert(
      fc.property(
        bytes,
        fc.integer({ min: 0, max: 255 }),
        bytes,
        fc.array(fc.nat(), { maxLength: 20 }),
        (program, status, late, positions) => {
          fc.pre(program.indexOf(PATTERN) < 0);
          const raw = Buffer.concat([onlcr(program), enc(`${MARKER}${status}\r\n`), onlcr(late)]);

          const { result, sink } = run(cut(raw, positions), 32 * 1024, 64 * 1024);

          expect(sink).toEqual(Buffer.concat([program, late]));
          expect(result.exitCode).toBe(status);
          expect(result.totalBytes).toBe(program.length + late.length);
          const output = Buffer.concat([program, late]);
          if (!output.includes(0x1b)) {
            const text = output.filter((byte) => byte !== 0x0d);
            expect(result.tail).toBe(new TextDecoder('utf-8', { ignoreBOM: true }).decode(text));
          }
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('reports no exit code and never a marker byte when the output ends without one', () => {
    fc.assert(
      fc.property(bytes, fc.array(fc.nat(), { maxLength: 20 }), (program, positions) => {
        fc.pre(program.indexOf(PATTERN) < 0);

        const { result, sink } = run(cut(onlcr(program), positions), 32 * 1024, 64 * 1024);

        expect(result.exitCode).toBeNull();
        expect(result.exitCodeReason).toBeTypeOf('string');
        // All of the program's bytes, except a final marker start that reached into the nonce.
        expect(Buffer.from(program.subarray(0, sink.length))).toEqual(sink);
        const dropped = program.subarray(sink.length);
        if (dropped.length > 0)
          expect(Buffer.from(PATTERN.subarray(0, dropped.length))).toEqual(Buffer.from(dropped));
      }),
      { numRuns: 500 },
    );
  });

  it('hands on every line before end() as soon as the chunk holding its newline was pushed', () => {
    fc.assert(
      fc.property(bytes, fc.array(fc.nat(), { maxLength: 20 }), (program, positions) => {
        fc.pre(program.indexOf(PATTERN) < 0);
        const lines: string[] = [];
        const collector = new OutputCollector({
          marker: MARKER,
          onLine: (line, newline) => {
            expect(newline).toBe(true);
            lines.push(line);
          },
        });
        const decoder = new TextDecoder('utf-8', { ignoreBOM: true });
        const programLines = program
          .toString('latin1')
          .split('\n')
          .slice(0, -1)
          .map((line) => decoder.decode(Buffer.from(line, 'latin1')));

        let newlines = 0;
        for (const chunk of cut(onlcr(program), positions)) {
          collector.push(chunk);

          newlines += chunk.filter((byte) => byte === 0x0a).length;
          expect(lines).toEqual(programLines.slice(0, newlines));
        }
      }),
      { numRuns: 1000 },
    );
  });
});
