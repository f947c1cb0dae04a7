import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { ExecUsageError } from '../../lib/exec/errors.ts';
import { type CollectedOutput, OutputCollector, type OutputCollectorOptions } from '../../lib/exec/output.ts';

const MARKER = `__RB_${'0123456789abcdef'.repeat(2)}__:`;
const enc = (text: string) => new TextEncoder().encode(text);
/** What a PTY with ONLCR makes of a program's output. */
const pty = (text: string) => text.replaceAll('\n', '\r\n');
/** The marker and its status line as the PTY shows them, right after the program's last byte. */
const markerLine = (status: number | string) => `${MARKER}${status}\r\n`;

interface Collected extends CollectedOutput {
  readonly output: string;
  readonly lines: ReadonlyArray<readonly [string, boolean]>;
}

function collect(
  chunks: ReadonlyArray<string | Uint8Array>,
  options: Partial<OutputCollectorOptions> = {},
): Collected {
  const sinkChunks: Uint8Array[] = [];
  const lines: Array<[string, boolean]> = [];
  const collector = new OutputCollector({
    marker: MARKER,
    sink: (chunk) => sinkChunks.push(chunk.slice()),
    onLine: (line, newline) => lines.push([line, newline]),
    ...options,
  });
  for (const chunk of chunks) collector.push(typeof chunk === 'string' ? enc(chunk) : chunk);
  const result = collector.end();
  return { ...result, output: Buffer.concat(sinkChunks).toString('utf8'), lines };
}

/** Every way of cutting `text` into two chunks. */
function splits(text: string): string[][] {
  return Array.from({ length: text.length + 1 }, (_, i) => [text.slice(0, i), text.slice(i)]);
}

describe('OutputCollector', () => {
  describe('the marker', () => {
    it.each([
      ['output without a final newline', 'hello', 'hello'],
      ['output ending in a newline', 'hello\n', 'hello\n'],
      ['empty output', '', ''],
      ['output ending in two newlines', 'a\n\n', 'a\n\n'],
      ['output ending in a lone CR', '50%\r', '50%\r'],
      ['output ending in underscores', 'a__', 'a__'],
      ['output ending in the fixed part of the marker', 'x\n__RB_', 'x\n__RB_'],
      [
        'output ending in a marker with another nonce',
        `__RB_${'f'.repeat(32)}__:`,
        `__RB_${'f'.repeat(32)}__:`,
      ],
    ])('removes the marker and its status line after %s', (_name, program, expected) => {
      const result = collect([pty(program) + markerLine(0)]);

      expect(result.output).toBe(expected);
      expect(result.totalBytes).toBe(enc(expected).length);
      expect(result.exitCode).toBe(0);
      expect(result).not.toHaveProperty('exitCodeReason');
    });

    it.each([0, 1, 2, 127, 130, 143, 255])('reads the status %d', (status) => {
      expect(collect([`x${markerLine(status)}`]).exitCode).toBe(status);
    });

    it('finds the marker whatever two chunks it straddles', () => {
      const raw = `${pty('ab\nc')}${markerLine(42)}`;
      for (const chunks of splits(raw)) {
        const result = collect(chunks);

        expect(result.output).toBe('ab\nc');
        expect(result.exitCode).toBe(42);
        expect(result.lines).toEqual([
          ['ab', true],
          ['c', false],
        ]);
      }
    });

    it('finds the marker when it arrives one byte at a time', () => {
      const raw = `${pty('line\n')}${markerLine(3)}`;

      const result = collect([...raw]);

      expect(result.output).toBe('line\n');
      expect(result.exitCode).toBe(3);
    });

    it('reads the marker without CRs when the script turned ONLCR off', () => {
      expect(collect([`out\n${MARKER}5\n`])).toMatchObject({ output: 'out\n', exitCode: 5 });
    });

    it('finds the marker in the middle of a line', () => {
      for (const chunks of splits(`a\r\nhalf a line${markerLine(0)}`)) {
        const result = collect(chunks);

        expect(result.output).toBe('a\nhalf a line');
        expect(result.lines).toEqual([
          ['a', true],
          ['half a line', false],
        ]);
        expect(result.exitCode).toBe(0);
      }
    });

    it('finds the marker right after a start of it that the program wrote', () => {
      for (const program of ['_', '__', '___', '__R', '__RB', '__RB_', '__RB__', MARKER.slice(0, -1)]) {
        for (const chunks of splits(program + markerLine(4))) {
          const result = collect(chunks);

          expect(result.output).toBe(program);
          expect(result.exitCode).toBe(4);
        }
      }
    });

    it('keeps text like the marker with another nonce as output', () => {
      const other = `\n__RB_${'f'.repeat(32)}__:0\n`;

      const result = collect([pty(other) + markerLine(1)]);

      expect(result.output).toBe(other);
      expect(result.exitCode).toBe(1);
    });

    it('keeps a marker prefix that turned out to be output', () => {
      const program = `x\n__RB_0123\nmore\n__RB_`;

      const result = collect([pty(program) + markerLine(0)]);

      expect(result.output).toBe(program);
    });

    it('keeps the exit code and the bytes that follow the status line as output, joined to the last line', () => {
      const result = collect([`done${markerLine(6)}${pty('late\n')}`, pty(`${MARKER}9\n`)]);

      expect(result.exitCode).toBe(6);
      expect(result.output).toBe(`donelate\n${MARKER}9\n`);
    });

    it('reports the exit code as soon as the marker line is read', () => {
      const collector = new OutputCollector({ marker: MARKER });
      collector.push(enc(`a\r\n${MARKER}1`));
      expect(collector.exitCode).toBeNull();

      collector.push(enc('7\r\n'));

      expect(collector.exitCode).toBe(17);
      expect(collector.totalBytes).toBe(2);
    });
  });

  describe('a missing exit code', () => {
    it('reports no exit code and keeps all output when no marker came', () => {
      const result = collect([pty('cut off\n')]);

      expect(result.exitCode).toBeNull();
      expect(result.exitCodeReason).toMatch(/ended without the exit-code marker/);
      expect(result.output).toBe('cut off\n');
      expect(result.lines).toEqual([['cut off', true]]);
    });

    it.each([6, 20, MARKER.length - 1])(
      'reports no exit code and drops the marker cut after %d of its bytes, inside the nonce',
      (length) => {
        for (const chunks of splits(`partial\r\n${MARKER.slice(0, length)}`)) {
          const result = collect(chunks);

          expect(result.exitCode).toBeNull();
          expect(result.exitCodeReason).toBe(
            'the output ended inside the exit-code marker: the session was cut',
          );
          expect(result.output).toBe('partial\n');
          expect(result.lines).toEqual([['partial', true]]);
        }
      },
    );

    it.each(['_', '__', '__R', '__RB', '__RB_', 'x__RB_'])(
      'reports no exit code and keeps a held start %j that holds no nonce',
      (start) => {
        for (const chunks of splits(`partial\r\n${start}`)) {
          const result = collect(chunks);

          expect(result.exitCode).toBeNull();
          expect(result.exitCodeReason).toMatch(/ended without the exit-code marker/);
          expect(result.output).toBe(`partial\n${start}`);
          expect(result.lines).toEqual([
            ['partial', true],
            [start, false],
          ]);
        }
      },
    );

    it('reports no exit code when the status has no newline', () => {
      const result = collect([`x\r\n${MARKER}13`]);

      expect(result.exitCode).toBeNull();
      expect(result.exitCodeReason).toBe(
        'the output ended inside the exit-code marker\'s status line (status so far: "13")',
      );
      expect(result.output).toBe('x\n');
    });

    it.each([
      ['letters', 'abc\r\n', 'abc\n'],
      ['no digits', '\r\n', '\n'],
      ['four digits', '1234\r\n', '1234\n'],
    ])('reports no exit code and keeps the bytes when the status is %s', (_name, after, kept) => {
      const result = collect([`x\r\n${MARKER}${after}`]);

      expect(result.exitCode).toBeNull();
      expect(result.exitCodeReason).toMatch(/was followed by ".*" instead of a status/);
      expect(result.output).toBe(`x\n${kept}`);
    });
  });

  describe('CRLF', () => {
    it.each([
      ['ONLCR newlines', 'a\r\nb\r\n', 'a\nb\n'],
      ["the program's own CRLF", 'a\r\r\n', 'a\r\n'],
      ['a lone CR', 'a\rb', 'a\rb'],
      ['CR CR', 'a\r\rb', 'a\r\rb'],
      ['a final CR', 'a\r', 'a\r'],
      ['LF without CR', 'a\nb', 'a\nb'],
    ])('undoes ONLCR exactly for %s', (_name, raw, expected) => {
      for (const chunks of splits(raw)) expect(collect(chunks).output).toBe(expected);
    });
  });

  describe('the tail', () => {
    it('strips escape sequences and CRs from the tail but not from the sink or lines', () => {
      const program =
        '\x1b[1;31mred\x1b[0m \x1b]0;title\x07\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\ \x1b(Bcs\x1b=k\x1bPdcs\x1b\\\n' +
        '10%\r20%\r\x1b[2K\x1b[?25ldone\n';

      const result = collect([pty(program) + markerLine(0)]);

      expect(result.tail).toBe('red link csk\n10%20%done\n');
      expect(result.output).toBe(program);
      expect(result.lines[0]?.[0]).toContain('\x1b[1;31m');
    });

    it('strips an escape sequence that straddles chunks', () => {
      const raw = 'a\x1b[38;5;196mb\x1b]2;t\x1b\\c';
      for (const chunks of splits(raw)) expect(collect(chunks).tail).toBe('abc');
    });

    it('ends an unterminated string sequence at a newline', () => {
      expect(collect(['x\x1b]0;no end\r\nkept\r\n']).tail).toBe('x\nkept\n');
    });

    it('keeps the last tailBytes of text and reports truncation', () => {
      const lines = Array.from({ length: 2000 }, (_, i) => `line ${i}\n`).join('');

      const result = collect([pty(lines) + markerLine(0)], { tailBytes: 100 });

      expect(result.tail).toBe(lines.slice(-100));
      expect(result.truncated).toBe(true);
      expect(result.totalBytes).toBe(lines.length);
    });

    it('reports no truncation when the text exactly fills the tail', () => {
      const result = collect(['x'.repeat(64)], { tailBytes: 64 });

      expect(result.tail).toBe('x'.repeat(64));
      expect(result.truncated).toBe(false);
    });

    it('grows past its first buffer up to tailBytes', () => {
      const text = 'y'.repeat(50_000);

      const result = collect([text.slice(0, 3000), text.slice(3000)], { tailBytes: 40_000 });

      expect(result.tail).toBe(text.slice(-40_000));
    });

    it('drops a character cut at the start of the tail', () => {
      const result = collect(['é'.repeat(10)], { tailBytes: 5 });

      expect(result.tail).toBe('éé');
      expect(result.truncated).toBe(true);
    });

    it('keeps an empty tail when tailBytes is 0', () => {
      expect(collect(['abc'], { tailBytes: 0 })).toMatchObject({ tail: '', truncated: true, totalBytes: 3 });
    });

    it('keeps a multi-byte character split across chunks', () => {
      const bytes = enc('a😀b');

      const result = collect([bytes.subarray(0, 3), bytes.subarray(3)]);

      expect(result.tail).toBe('a😀b');
      expect(result.lines).toEqual([['a😀b', false]]);
    });
  });

  describe('lines', () => {
    it('hands on complete lines and flushes the last one without a newline', () => {
      const result = collect(['one\r\ntw', 'o\r\n\r\nthr', `ee${markerLine(0)}`]);

      expect(result.lines).toEqual([
        ['one', true],
        ['two', true],
        ['', true],
        ['three', false],
      ]);
    });

    it('cuts an overlong line into pieces on character boundaries', () => {
      const line = 'ab€'.repeat(4);

      const result = collect([`${line}\r\n`], { maxLineBytes: 7 });

      expect(result.lines).toEqual([
        ['ab€ab', false],
        ['€ab', false],
        ['€ab', false],
        ['€', true],
      ]);
    });

    it('hands on a line of exactly maxLineBytes whole', () => {
      expect(collect(['abcd\r\n'], { maxLineBytes: 4 }).lines).toEqual([['abcd', true]]);
    });
  });

  describe('live lines', () => {
    /** A collector that records what it handed on so far; `end()` is left to the test. */
    function open(options: Partial<OutputCollectorOptions> = {}) {
      const sink: Uint8Array[] = [];
      const lines: Array<[string, boolean]> = [];
      const collector = new OutputCollector({
        marker: MARKER,
        sink: (chunk) => sink.push(chunk.slice()),
        onLine: (line, newline) => lines.push([line, newline]),
        ...options,
      });
      const push = (chunk: string) => collector.push(enc(chunk));
      const output = () => Buffer.concat(sink).toString('utf8');
      return { collector, push, lines, output };
    }

    it('hands on a line as soon as its newline arrives when no marker came yet', () => {
      const live = open();

      live.push('started\r\n');

      expect(live.lines).toEqual([['started', true]]);
      expect(live.output()).toBe('started\n');
      expect(live.collector.totalBytes).toBe(8);
    });

    it('hands on each line as soon as its newline arrives, however the bytes are chunked', () => {
      const raw = 'one\r\ntwo_\r\n__RB_\r\n';
      const expected: Array<[string, boolean]> = [
        ['one', true],
        ['two_', true],
        ['__RB_', true],
      ];
      for (let a = 0; a <= raw.length; a++) {
        for (let b = a; b <= raw.length; b++) {
          const live = open();
          let start = 0;

          for (const end of [a, b, raw.length]) {
            live.push(raw.slice(start, end));
            start = end;
            // Every line whose \r\n was pushed in full is out, and no other.
            const complete = raw.slice(0, end).split('\r\n').length - 1;
            expect(live.lines).toEqual(expected.slice(0, complete));
          }
        }
      }
    });

    it('hands on a line when the \\n of a CRLF split across chunks arrives', () => {
      const live = open();

      live.push('started\r');
      const beforeLf = [...live.lines];
      live.push('\n');

      expect(beforeLf).toEqual([]);
      expect(live.lines).toEqual([['started', true]]);
      expect(live.output()).toBe('started\n');
    });

    it("keeps a program's lone CR at a chunk's end a CR, in the line it belongs to", () => {
      const live = open();

      live.push('10%\r');
      live.push('20%\r');
      live.push('done\r\n');

      expect(live.lines).toEqual([['10%\r20%\rdone', true]]);
      expect(live.output()).toBe('10%\r20%\rdone\n');
    });

    it('holds back only a trailing start of the marker, then hands it on as output', () => {
      const live = open();

      live.push('a_b\r\nc__');
      const held = { lines: [...live.lines], output: live.output() };
      live.push('d\r\n');

      expect(held).toEqual({ lines: [['a_b', true]], output: 'a_b\nc' });
      expect(live.lines).toEqual([
        ['a_b', true],
        ['c__d', true],
      ]);
      expect(live.output()).toBe('a_b\nc__d\n');
    });

    it('keeps the lines already handed on when the marker follows them', () => {
      const live = open();
      live.push('started\r\n');

      live.push(markerLine(0));
      const result = live.collector.end();

      expect(live.lines).toEqual([['started', true]]);
      expect(result).toMatchObject({ exitCode: 0, totalBytes: 8, tail: 'started\n' });
    });
  });

  describe('the sink', () => {
    it('writes to an object with write()', () => {
      const written: string[] = [];

      const collector = new OutputCollector({
        marker: MARKER,
        sink: { write: (c) => written.push(Buffer.from(c).toString()) },
      });
      collector.push(enc(`a\r\nb${markerLine(0)}`));
      collector.end();

      expect(written.join('')).toBe('a\nb');
    });
  });

  describe('its life cycle', () => {
    it('returns the same result when ended twice', () => {
      const collector = new OutputCollector({ marker: MARKER });
      collector.push(enc(`a${markerLine(0)}`));

      expect(collector.end()).toBe(collector.end());
    });

    it('throws when pushed to after end', () => {
      const collector = new OutputCollector({ marker: MARKER });
      collector.end();

      expect(() => collector.push(enc('x'))).toThrow('after end()');
    });

    it.each([
      [
        'a marker buildCommand does not make',
        { marker: '__RB_x__:' },
        'marker "__RB_x__:" is not one buildCommand makes',
      ],
      ['a negative tailBytes', { tailBytes: -1 }, 'tailBytes -1 is not a byte count'],
      ['a fractional tailBytes', { tailBytes: 1.5 }, 'tailBytes 1.5 is not a byte count'],
      ['a maxLineBytes below 4', { maxLineBytes: 3 }, 'maxLineBytes 3 is not accepted'],
      ['an unknown option', { tail: 5 }, 'unknown option "tail"'],
      ['a sink without write', { sink: {} }, 'sink must be a function or have a write(chunk) method'],
    ])('throws for %s', (_name, options, message) => {
      expect(() => new OutputCollector({ marker: MARKER, ...options } as OutputCollectorOptions)).toThrow(
        ExecUsageError,
      );
      expect(() => new OutputCollector({ marker: MARKER, ...options } as OutputCollectorOptions)).toThrow(
        message,
      );
    });
  });

  describe('memory', () => {
    it('does not grow while 200 MB pass through', () => {
      // Arrange
      setFlagsFromString('--expose-gc');
      const gc = runInNewContext('gc') as () => void;
      const line = 'a line of output, as long as most lines are: 0123456789\n';
      const chunk = enc(pty(`\x1b[32mok\x1b[0m ${line.repeat(20)}`).slice(0, 1024));
      const collector = new OutputCollector({ marker: MARKER, onLine: () => {}, sink: () => {} });
      const used = () => {
        gc();
        const m = process.memoryUsage();
        return m.heapUsed + m.arrayBuffers;
      };
      const pushMiB = (mib: number) => {
        for (let sent = 0; sent < mib * 1024 * 1024; sent += chunk.length) collector.push(chunk);
      };
      // The first megabytes warm up the JIT and fill the tail; growth is measured after them.
      pushMiB(20);
      const before = used();

      // Act
      pushMiB(180);
      const after = used();
      collector.push(enc(markerLine(0)));
      const result = collector.end();

      // Assert
      expect(after - before).toBeLessThan(1024 * 1024);
      expect(result.exitCode).toBe(0);
      expect(result.totalBytes).toBeGreaterThan(190 * 1024 * 1024);
      expect(result.truncated).toBe(true);
      expect(Buffer.byteLength(result.tail)).toBeLessThanOrEqual(32 * 1024);
    });
  });
});
