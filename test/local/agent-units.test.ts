import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EMPTY_COMMAND_TEXT, planCommand, START_FAILURE_PREFIX } from '../../lib/local/agent/command.ts';
import { NonceCounter, open, seal } from '../../lib/local/agent/crypto.ts';
import { FaultDice, resolveFaults, validateFaults } from '../../lib/local/agent/faults.ts';
import { GENERATED_LINE_BYTES, generatedBytes } from '../../lib/local/agent/generated-backend.ts';
import { OutgoingBuffer, RtoEstimator } from '../../lib/local/agent/outgoing.ts';
import { completeLength, Utf8Framer } from '../../lib/local/agent/utf8-framer.ts';
import { LocalOptionError } from '../../lib/local/internal/options.ts';

const fatal = new TextDecoder('utf-8', { fatal: true });

function frames(input: Buffer, final = true): Buffer[] {
  const framer = new Utf8Framer();
  framer.push(input);
  const out: Buffer[] = [];
  for (let frame = framer.take(1024, final); frame; frame = framer.take(1024, final)) out.push(frame);
  return out;
}

describe('Utf8Framer', () => {
  it('ends a frame before a character that would straddle the 1024-byte cut', () => {
    // Arrange
    const input = Buffer.concat([Buffer.alloc(1023, 'a'), Buffer.from('é'), Buffer.alloc(10, 'b')]);

    // Act
    const out = frames(input);

    // Assert
    expect(out.map((f) => f.length)).toEqual([1023, 12]);
    expect(Buffer.concat(out)).toEqual(input);
  });

  it.each([
    ['a 4-byte character', Buffer.concat([Buffer.alloc(1022, 'a'), Buffer.from('😀')]), [1022, 4]],
    ['a 3-byte character', Buffer.concat([Buffer.alloc(1023, 'a'), Buffer.from('€')]), [1023, 3]],
    ['exactly 1024 ASCII bytes', Buffer.alloc(1024, 'x'), [1024]],
    ['invalid bytes', Buffer.concat([Buffer.alloc(1023, 'a'), Buffer.from([0xff, 0xfe])]), [1024, 1]],
  ])('cuts %s correctly', (_name, input, lengths) => {
    expect(frames(input).map((f) => f.length)).toEqual(lengths);
  });

  it('holds back an incomplete trailing character until the rest arrives', () => {
    // Arrange
    const framer = new Utf8Framer();
    const euro = Buffer.from('€');
    framer.push(Buffer.concat([Buffer.from('ab'), euro.subarray(0, 2)]));

    // Act
    const first = framer.take(1024, false);
    const nothing = framer.take(1024, false);
    framer.push(euro.subarray(2));
    const second = framer.take(1024, false);

    // Assert
    expect(first?.toString()).toBe('ab');
    expect(nothing).toBeUndefined();
    expect(second?.toString()).toBe('€');
  });

  it('flushes an incomplete trailing character at the end of the stream', () => {
    const out = frames(Buffer.from([0x61, 0xe2, 0x82]), true);
    expect(Buffer.concat(out)).toEqual(Buffer.from([0x61, 0xe2, 0x82]));
  });

  it('keeps every byte and never splits valid UTF-8 for any chunking', () => {
    fc.assert(
      fc.property(
        fc
          .array(fc.constantFrom('a', '\r\n', 'é', '€', '😀'), { maxLength: 1500 })
          .map((parts) => parts.join('')),
        fc.array(fc.integer({ min: 1, max: 700 }), { minLength: 1, maxLength: 20 }),
        (text, cuts) => {
          const input = Buffer.from(text);
          const framer = new Utf8Framer();
          const out: Buffer[] = [];
          let at = 0;
          for (const cut of cuts) {
            framer.push(input.subarray(at, at + cut));
            at += cut;
            for (let f = framer.take(1024, false); f; f = framer.take(1024, false)) out.push(f);
          }
          framer.push(input.subarray(at));
          for (let f = framer.take(1024, true); f; f = framer.take(1024, true)) out.push(f);
          const valid = (f: Buffer): boolean => {
            try {
              fatal.decode(f);
              return true;
            } catch {
              return false;
            }
          };
          return Buffer.concat(out).equals(input) && out.every((f) => f.length <= 1024 && valid(f));
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe('completeLength', () => {
  it.each([
    [[0x61, 0x62], 2],
    [[0x61, 0xc3], 1],
    [[0x61, 0xe2, 0x82], 1],
    [[0x61, 0xf0, 0x9f, 0x98], 1],
    [[0x61, 0xf0, 0x9f, 0x98, 0x80], 5],
    [[0x80, 0x80, 0x80, 0x80], 4],
  ])('returns the complete prefix length of %j as %i', (bytes, expected) => {
    expect(completeLength(Uint8Array.from(bytes))).toBe(expected);
  });
});

describe('RtoEstimator', () => {
  it('starts at 200 ms and follows the agent formula', () => {
    // Arrange
    const rto = new RtoEstimator();
    const initial = rto.rtoMs;

    // Act
    rto.sample(100);
    const afterSteady = rto.rtoMs;
    rto.sample(20);

    // Assert
    expect(initial).toBe(200);
    expect(afterSteady).toBe(110);
    // rttVar = 0.25·|100−20| = 20; rtt = 0.875·100 + 0.125·20 = 90; rto = 90 + 4·20
    expect(rto.rtoMs).toBe(170);
  });

  it('caps the timeout at 1 s', () => {
    const rto = new RtoEstimator();
    for (let i = 0; i < 5; i++) rto.sample(5000);
    expect(rto.rtoMs).toBe(1000);
  });
});

describe('OutgoingBuffer', () => {
  it('reports the oldest message as due only after the RTO and frees it by sequence number', () => {
    // Arrange
    const buffer = new OutgoingBuffer();
    buffer.add(0n, new Uint8Array([1]), 1000);
    buffer.add(1n, new Uint8Array([2]), 1000);

    // Act
    const early = buffer.due(1200);
    const late = buffer.due(1201);
    const acked = buffer.acknowledge(0n, 1050);
    const unknown = buffer.acknowledge(7n, 1050);

    // Assert
    expect(early).toBeUndefined();
    expect(late?.sequenceNumber).toBe(0n);
    expect(acked).toBe(true);
    expect(unknown).toBe(false);
    expect(buffer.due(5000)?.sequenceNumber).toBe(1n);
  });

  it('refuses to keep messages beyond its capacity', () => {
    const buffer = new OutgoingBuffer(1);
    expect(buffer.add(0n, new Uint8Array(), 0)).toBeDefined();
    expect(buffer.add(1n, new Uint8Array(), 0)).toBeUndefined();
  });
});

describe('planCommand', () => {
  let dir: string;
  const env = { PATH: '/usr/bin:/bin' };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'agent-units-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('splits with shlex and keeps argv[0] as written', () => {
    expect(planCommand('sh -c "echo $HOME"', [], env, dir)).toEqual({
      ok: true,
      file: 'sh',
      args: ['-c', 'echo $HOME'],
    });
  });

  it('prepends argvPrefix', () => {
    expect(planCommand('ls -l', ['env', 'A=1'], env, dir)).toEqual({
      ok: true,
      file: 'env',
      args: ['A=1', 'ls', '-l'],
    });
  });

  it.each(['', '   \t', '# only a comment'])('reports the agent text for the empty command %j', (command) => {
    expect(planCommand(command, [], env, dir)).toEqual({
      ok: false,
      output: EMPTY_COMMAND_TEXT,
      delayed: false,
    });
  });

  it('reports a bare name that is not in PATH', () => {
    expect(planCommand('no-such-tool --x', [], env, dir)).toEqual({
      ok: false,
      output: `${START_FAILURE_PREFIX}exec: "no-such-tool": executable file not found in $PATH`,
      delayed: true,
    });
  });

  it('reports a path that does not exist', () => {
    expect(planCommand('/nope/tool', [], env, dir)).toMatchObject({
      output: `${START_FAILURE_PREFIX}fork/exec /nope/tool: no such file or directory`,
    });
  });

  it('reports a path that is not executable', () => {
    // Arrange
    const file = join(dir, 'script');
    writeFileSync(file, '#!/bin/sh\n');
    chmodSync(file, 0o644);
    mkdirSync(join(dir, 'sub'));

    // Act
    const notExecutable = planCommand('./script', [], env, dir);
    const directory = planCommand('./sub', [], env, dir);

    // Assert
    expect(notExecutable).toMatchObject({
      output: `${START_FAILURE_PREFIX}fork/exec ./script: permission denied`,
    });
    expect(directory).toMatchObject({ output: `${START_FAILURE_PREFIX}fork/exec ./sub: permission denied` });
  });

  it('finds an executable relative to the working directory', () => {
    const file = join(dir, 'tool');
    writeFileSync(file, '#!/bin/sh\n');
    chmodSync(file, 0o755);
    expect(planCommand('./tool a', [], env, dir)).toEqual({ ok: true, file: './tool', args: ['a'] });
  });

  it('skips non-executable files in PATH', () => {
    writeFileSync(join(dir, 'tool'), '#!/bin/sh\n');
    chmodSync(join(dir, 'tool'), 0o644);
    expect(planCommand('tool', [], { PATH: dir }, dir)).toMatchObject({ ok: false });
  });

  it('reports an unterminated quote', () => {
    expect(planCommand('echo "abc', [], env, dir)).toEqual({
      ok: false,
      output: 'Unable to start command: EOF found when expecting closing quote',
      delayed: true,
    });
  });
});

describe('generatedBytes', () => {
  it('produces CRLF-terminated lines of fixed length', () => {
    const text = generatedBytes(0, 2 * GENERATED_LINE_BYTES).toString('latin1');
    const lines = text.split('\r\n');
    expect(lines.slice(0, 2).map((line) => line.length)).toEqual([78, 78]);
    expect(lines[0]?.startsWith('00000000 ABC')).toBe(true);
    expect(lines[1]?.startsWith('00000001 BCD')).toBe(true);
  });

  it('returns the same bytes for a range whatever the offset it starts from', () => {
    expect(generatedBytes(300, 400)).toEqual(generatedBytes(0, 1000).subarray(300, 700));
  });
});

describe('NonceCounter', () => {
  it('increments as a little-endian 96-bit integer with carry', () => {
    // Arrange
    const counter = new NonceCounter(Buffer.from('ffff00000000000000000000', 'hex'));

    // Act
    const first = counter.next();
    const second = counter.next();

    // Assert
    expect(first.toString('hex')).toBe('ffff00000000000000000000');
    expect(second.toString('hex')).toBe('000001000000000000000000');
  });
});

describe('seal', () => {
  it('matches protocol.md TV7 for the agent output "hello"', () => {
    const key = Buffer.from(Array.from({ length: 32 }, (_, i) => i));
    const nonce = Buffer.from('000102030405060708090a0b', 'hex');
    const sealed = seal(key, nonce, Buffer.from('hello'));
    expect(sealed.toString('hex')).toBe('000102030405060708090a0b2f67ba77aa2797ff353b8a046d28236dcd9d057bbb');
    expect(open(key, sealed).toString()).toBe('hello');
  });
});

describe('validateFaults', () => {
  it.each([
    [{ duplicat: true }, 'unknown option "duplicat"'],
    [{ duplicate: 2 }, 'faults.duplicate must be true, false or a probability from 0 to 1; received 2'],
    [{ ignoreAcks: -1 }, 'faults.ignoreAcks must be an integer >= 0; received -1'],
    [{ pausePublication: { for: 10 } }, 'unknown option "for"'],
    ['yes', 'faults must be an object; received "yes"'],
  ])('throws for %j', (faults, message) => {
    expect(() => validateFaults(faults, 'faults')).toThrow(LocalOptionError);
    expect(() => validateFaults(faults, 'faults')).toThrow(message);
  });
});

describe('resolveFaults', () => {
  it('merges session faults over agent faults key by key', () => {
    const resolved = resolveFaults(
      { duplicate: true, ignoreAcks: 3 },
      { duplicate: false, pausePublication: true },
    );
    expect(resolved.rates.duplicate).toBe(0);
    expect(resolved.ignoreAcks).toBe(3);
    expect(resolved.pausePublication).toEqual({ afterFrames: 1, forMs: 1000 });
  });
});

describe('FaultDice', () => {
  it('makes the same choices for the same seed and different ones for another', () => {
    const draw = (seed: number): boolean[] => {
      const dice = new FaultDice(resolveFaults({ seed, duplicate: 0.5 }, undefined));
      return Array.from({ length: 64 }, () => dice.hits('duplicate'));
    };
    expect(draw(7)).toEqual(draw(7));
    expect(draw(7)).not.toEqual(draw(8));
  });
});
