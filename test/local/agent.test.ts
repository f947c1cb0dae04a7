import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import {
  EMPTY_COMMAND_TEXT,
  generatedBytes,
  type LocalAgent,
  type LocalAgentOptions,
  LocalOptionError,
  type LocalSessionOutcome,
  START_FAILURE_PREFIX,
  startLocalAgent,
} from '../../lib/local/index.ts';
import { MessageType, PayloadType } from '../../lib/session/message.ts';
import { Probe, waitFor } from './agent-probe.ts';

const NODE = process.execPath;
const fatal = new TextDecoder('utf-8', { fatal: true });

describe('startLocalAgent', () => {
  let agent: LocalAgent | undefined;
  let workdir: string;
  const probes: Probe[] = [];

  async function start(options: LocalAgentOptions = {}): Promise<LocalAgent> {
    agent = await startLocalAgent({ initialWaitMs: 0, paceMs: 0, ...options });
    return agent;
  }

  async function finish(
    session: { ended: Promise<LocalSessionOutcome> },
    probe: Probe,
  ): Promise<LocalSessionOutcome> {
    const [outcome] = await Promise.all([session.ended, probe.waitForClose()]);
    return outcome;
  }

  async function connect(streamUrl: string, tokenValue: string, options = {}): Promise<Probe> {
    const probe = await Probe.connect(streamUrl, tokenValue, options);
    probes.push(probe);
    return probe;
  }

  beforeEach(() => {
    workdir = mkdtempSync(join(tmpdir(), 'local-agent-'));
  });

  afterEach(async () => {
    for (const probe of probes.splice(0)) probe.close();
    await agent?.close();
    agent = undefined;
    rmSync(workdir, { recursive: true, force: true });
  });

  describe('opening', () => {
    it('rejects a socket whose token is wrong and still serves the right client', async () => {
      // Arrange
      const local = await start();
      const session = local.createSession({ command: 'echo ok', workdir });

      // Act
      const intruder = await connect(session.streamUrl, 'not-the-token');
      await intruder.waitForClose();
      const client = await connect(session.streamUrl, session.tokenValue);
      const outcome = await session.ended;

      // Assert
      expect(intruder.closeCode).toBe(1008);
      expect(intruder.closeReason).toContain('TokenValue');
      expect(intruder.frames).toHaveLength(0);
      expect(client.output().toString()).toBe('ok\r\n');
      expect(outcome.reason).toBe('completed');
      expect(local.stats().connectionsRejected).toBe(1);
    });

    it('rejects a socket whose first frame is binary', async () => {
      const local = await start();
      const session = local.createSession({ command: 'echo ok', workdir });
      const probe = await connect(session.streamUrl, session.tokenValue, { openFrame: Buffer.from('{}') });
      await probe.waitForClose();
      expect(probe.closeCode).toBe(1008);
      expect(probe.closeReason).toContain('OpenDataChannel');
    });

    it('refuses the upgrade for an unknown session with 404', async () => {
      // Arrange
      const local = await start();

      // Act
      const status = await new Promise<number>((resolve, reject) => {
        const socket = new WebSocket(`${local.endpoint}/v1/data-channel/ecs-execute-command-0000`);
        socket.on('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0));
        socket.on('open', () => reject(new Error('the upgrade was accepted')));
        socket.on('error', () => {});
      });

      // Assert
      expect(status).toBe(404);
    });

    it('returns ExecuteCommand-shaped session fields', async () => {
      const local = await start();
      const session = local.createSession({ command: 'true', workdir });
      expect(session.sessionId).toMatch(/^ecs-execute-command-[0-9a-f]{17}$/);
      expect(session.streamUrl).toBe(
        `ws://127.0.0.1:${local.port}/v1/data-channel/${session.sessionId}?role=publish_subscribe`,
      );
      expect(session.tokenValue.length).toBeGreaterThan(40);
    });

    it('ends a session whose client never connects', async () => {
      // Arrange
      const local = await start({ connectTimeoutMs: 50 });
      const session = local.createSession({ command: 'echo ok', workdir });

      // Act
      const outcome = await session.ended;

      // Assert
      expect(outcome.reason).toBe('client-never-connected');
      expect(local.stats()).toMatchObject({ sessionsExpired: 1, sessionsActive: 0 });
      expect(local.sessionStats(session.sessionId)).toBeUndefined();
    });
  });

  describe('output', () => {
    it('sends output in order as frames of at most 1024 bytes from seq 0 with SYN and a valid digest', async () => {
      // Arrange
      const local = await start();
      const line = 'x'.repeat(60);
      const session = local.createSession({
        command: `sh -c 'i=0; while [ $i -lt 100 ]; do echo ${line}-$i; i=$((i+1)); done'`,
        workdir,
      });
      const expected = Array.from({ length: 100 }, (_, i) => `${line}-${i}\r\n`).join('');

      // Act
      const probe = await connect(session.streamUrl, session.tokenValue);
      await finish(session, probe);

      // Assert
      expect(probe.frames.every((frame) => frame.decoded.ok)).toBe(true);
      const stream = probe.messages(MessageType.OutputStreamData);
      expect(stream.map((m) => Number(m.sequenceNumber))).toEqual(stream.map((_, i) => i));
      expect(stream.map((m) => m.flags)).toEqual(stream.map((_, i) => (i === 0 ? 1n : 0n)));
      expect(stream.every((m) => m.payloadType === PayloadType.Output && m.payload.length <= 1024)).toBe(
        true,
      );
      expect(
        stream.every((m) => m.schemaVersion === 1 && Math.abs(m.createdDate - Date.now()) < 60_000),
      ).toBe(true);
      expect(new Set(stream.map((m) => m.messageId)).size).toBe(stream.length);
      expect(probe.output().toString()).toBe(expected);
    });

    it('keeps a frame until it is acked and re-sends the same bytes after the RTO', async () => {
      // Arrange
      const local = await start();
      const session = local.createSession({ command: 'echo once', workdir });
      let acked = false;

      // Act
      const probe = await connect(session.streamUrl, session.tokenValue, { ackIf: () => acked });
      await waitFor(() => probe.messages(MessageType.OutputStreamData).length >= 3, 5000, 'two resends');
      acked = true;
      const outcome = await finish(session, probe);

      // Assert
      const copies = probe.frames.filter(
        (f) => f.decoded.ok && f.decoded.message.messageType === 'output_stream_data',
      );
      expect(copies.every((f) => f.raw.equals(copies[0]?.raw as Buffer))).toBe(true);
      expect(outcome.stats.resends).toBeGreaterThanOrEqual(2);
      expect(probe.channelClosed()?.Output).toBe('');
    });

    it('sends channel_closed after at most closeDrainMs when output stays unacked', async () => {
      const local = await start({ closeDrainMs: 150 });
      const session = local.createSession({ command: 'echo unacked', workdir });
      const probe = await connect(session.streamUrl, session.tokenValue, { autoAck: false });
      const outcome = await finish(session, probe);
      expect(outcome.reason).toBe('completed');
      expect(probe.channelClosed()?.Output).toBe('');
    });

    it('never splits a UTF-8 character across frames', async () => {
      // Arrange: the whole output is buffered before the first read, as after the agent's 1 s wait
      const local = await start({ initialWaitMs: 300 });
      const script = "process.stdout.write('a'.repeat(1023) + 'é' + 'b'.repeat(100))";
      const session = local.createSession({ command: `${NODE} -e "${script}"`, workdir });

      // Act
      const probe = await connect(session.streamUrl, session.tokenValue);
      await finish(session, probe);

      // Assert
      const payloads = probe.stream().map((m) => Buffer.from(m.payload));
      expect(payloads[0]?.length).toBe(1023);
      for (const payload of payloads) expect(() => fatal.decode(payload)).not.toThrow();
      expect(Buffer.concat(payloads).toString()).toBe(`${'a'.repeat(1023)}é${'b'.repeat(100)}`);
    });

    it('waits initialWaitMs before the first output frame', async () => {
      const local = await start({ initialWaitMs: 300 });
      const session = local.createSession({ command: 'echo late', workdir });
      const probe = await connect(session.streamUrl, session.tokenValue);
      const openedAt = Date.now();
      await finish(session, probe);
      const first = probe.frames[0];
      expect(first && first.at - openedAt).toBeGreaterThanOrEqual(250);
      expect(probe.output().toString()).toBe('late\r\n');
    });

    it('delivers every byte a command writes just before it exits', async () => {
      // Arrange: bursts that end with the process, where node-pty alone would lose the tail
      const local = await start();
      const command = `sh -c "head -c 50000 /dev/zero | tr '\\\\0' a"`;
      const sessions = Array.from({ length: 4 }, () => local.createSession({ command, workdir }));

      // Act
      const clients = await Promise.all(sessions.map((s) => connect(s.streamUrl, s.tokenValue)));
      await Promise.all(sessions.map((s, i) => finish(s, clients[i] as Probe)));

      // Assert
      expect(clients.map((c) => c.output().length)).toEqual([50_000, 50_000, 50_000, 50_000]);
      expect(clients.every((c) => /^a+$/.test(c.output().toString()))).toBe(true);
    });

    it('paces output frames by paceMs', async () => {
      const local = await start({ paceMs: 30 });
      const session = local.createSession({ generate: { bytes: 4096 } });
      const probe = await connect(session.streamUrl, session.tokenValue);
      await finish(session, probe);
      const stream = probe.frames.filter(
        (f) => f.decoded.ok && f.decoded.message.messageType === 'output_stream_data',
      );
      expect(stream).toHaveLength(4);
      // The agent's own send times (CreatedDate), not arrival times: on a loaded machine a late
      // first delivery shrinks the arrival span although the agent paced every frame. The pacer
      // keeps a schedule (a late frame lets the next one catch up), so allow one pace of slack:
      // unpaced, the four frames leave within a few milliseconds.
      const sentAt = stream.map((f) => (f.decoded.ok ? f.decoded.message.createdDate : Number.NaN));
      expect((sentAt[3] ?? 0) - (sentAt[0] ?? 0)).toBeGreaterThanOrEqual(2 * 30);
    });

    it('sends channel_closed after the acked output when the command exits', async () => {
      // Arrange
      const local = await start();
      const session = local.createSession({ command: 'sh -c "echo out; echo err >&2; exit 3"', workdir });

      // Act
      const probe = await connect(session.streamUrl, session.tokenValue);
      const outcome = await finish(session, probe);

      // Assert
      const types = probe.messages().map((m) => m.messageType);
      expect(types.at(-1)).toBe(MessageType.ChannelClosed);
      expect(types.filter((t) => t === MessageType.ChannelClosed)).toHaveLength(1);
      expect(probe.output().toString()).toBe('out\r\nerr\r\n');
      expect(probe.channelClosed()).toMatchObject({
        MessageType: 'channel_closed',
        SessionId: session.sessionId,
        SchemaVersion: 1,
        Output: '',
      });
      expect(probe.channelClosed()?.CreatedDate).toMatch(/^\d+$/);
      expect(probe.closeCode).toBe(1000);
      expect(outcome).toMatchObject({ reason: 'completed', output: '', exit: { exitCode: 3 } });
    });

    it('emits exactly the generated bytes in generate mode', async () => {
      // Arrange
      const local = await start();
      const bytes = 100_000;
      const session = local.createSession({ generate: { bytes }, workdir });

      // Act
      const probe = await connect(session.streamUrl, session.tokenValue);
      const outcome = await finish(session, probe);

      // Assert
      expect(probe.output().equals(generatedBytes(0, bytes))).toBe(true);
      expect(probe.stream().every((m) => m.payload.length === 1024 || m.sequenceNumber === 97n)).toBe(true);
      expect(outcome).toMatchObject({
        reason: 'completed',
        stats: { outputBytes: bytes, outputMessages: 98 },
      });
      expect(probe.channelClosed()?.Output).toBe('');
    });

    it('closes at once with no output frames when generate is 0 bytes', async () => {
      const local = await start();
      const session = local.createSession({ generate: { bytes: 0 } });
      const probe = await connect(session.streamUrl, session.tokenValue);
      await finish(session, probe);
      expect(probe.stream()).toHaveLength(0);
      expect(probe.channelClosed()?.Output).toBe('');
    });

    it('serves concurrent sessions independently', async () => {
      // Arrange
      const local = await start();
      const sessions = Array.from({ length: 5 }, (_, i) =>
        local.createSession({ command: `echo session-${i}`, workdir }),
      );

      // Act
      const clients = await Promise.all(sessions.map((s) => connect(s.streamUrl, s.tokenValue)));
      await Promise.all(sessions.map((s) => s.ended));

      // Assert
      expect(clients.map((c) => c.output().toString())).toEqual(sessions.map((_, i) => `session-${i}\r\n`));
      expect(local.stats()).toMatchObject({ sessionsCreated: 5, sessionsConnected: 5, sessionsEnded: 5 });
    });
  });

  describe('command', () => {
    it('runs argv without a shell', async () => {
      const local = await start();
      const session = local.createSession({ command: `echo '$HOME' ';' 'a|b' "x  y"`, workdir });
      const probe = await connect(session.streamUrl, session.tokenValue);
      await finish(session, probe);
      expect(probe.output().toString()).toBe('$HOME ; a|b x  y\r\n');
    });

    it('sets TERM and LANG like the agent and merges env over the agent environment', async () => {
      // Arrange
      const local = await start();
      const command = `sh -c 'echo "$TERM|$LANG|$FOO|$(pwd)|$GONE"'`;
      process.env.GONE = 'still here';
      const session = local.createSession({
        command,
        workdir,
        env: { FOO: 'bar', LANG: undefined, TERM: 'dumb' },
      });
      delete process.env.GONE;

      // Act
      const probe = await connect(session.streamUrl, session.tokenValue);
      await finish(session, probe);

      // Assert
      expect(probe.output().toString()).toBe(`xterm-256color|C.UTF-8|bar|${workdir}|still here\r\n`);
    });

    it('prepends argvPrefix to the command argv', async () => {
      const local = await start();
      const session = local.createSession({
        command: 'sh -c "echo $X"',
        argvPrefix: ['env', 'X=prefixed'],
        workdir,
      });
      const probe = await connect(session.streamUrl, session.tokenValue);
      await finish(session, probe);
      expect(probe.output().toString()).toBe('prefixed\r\n');
    });

    it('starts the PTY at 0 x 0 and applies a Size message', async () => {
      // Arrange
      const local = await start();
      const session = local.createSession({ command: `sh -c 'stty size; read x; stty size'`, workdir });

      // Act
      const probe = await connect(session.streamUrl, session.tokenValue);
      await waitFor(() => probe.output().toString().includes('0 0'), 5000, 'the first stty size');
      probe.sendInput(PayloadType.Size, JSON.stringify({ cols: 120, rows: 40 }));
      probe.sendInput(PayloadType.Output, '\r');
      await finish(session, probe);

      // Assert
      expect(probe.output().toString()).toBe('0 0\r\n\r\n40 120\r\n');
      expect(probe.ackedInputSequences()).toEqual([0, 1]);
    });

    it('delivers Ctrl-C as SIGINT through the line discipline', async () => {
      const local = await start();
      const session = local.createSession({ command: `sh -c 'echo ready; exec sleep 30'`, workdir });
      const probe = await connect(session.streamUrl, session.tokenValue);
      await waitFor(() => probe.output().toString().includes('ready'), 5000, 'the command to start');
      probe.sendInput(PayloadType.Output, '\x03');
      const outcome = await finish(session, probe);
      expect(outcome.reason).toBe('completed');
      expect(outcome.exit?.signal).toBe(2);
      expect(probe.channelClosed()?.Output).toBe('');
    });

    it('reports a command that is not in PATH after the start-failure delay', async () => {
      // Arrange
      const local = await start({ startFailureDelayMs: 50 });
      const session = local.createSession({ command: 'no-such-command-xyz --flag', workdir });

      // Act
      const probe = await connect(session.streamUrl, session.tokenValue);
      probe.sendInput(PayloadType.Output, 'ignored\r');
      const outcome = await finish(session, probe);

      // Assert
      const text = `${START_FAILURE_PREFIX}exec: "no-such-command-xyz": executable file not found in $PATH`;
      expect(text).toBe(
        'Unable to start command: Failed to start pty: exec: "no-such-command-xyz": executable file not found in $PATH',
      );
      expect(probe.channelClosed()?.Output).toBe(text);
      expect(probe.stream()).toHaveLength(0);
      // No PTY: the agent answers "not ready" and does not ack.
      expect(probe.ackedInputSequences()).toEqual([]);
      expect(outcome).toMatchObject({ reason: 'start-failed', output: text, exit: undefined });
    });

    it('reports a path that does not exist', async () => {
      const local = await start({ startFailureDelayMs: 0 });
      const session = local.createSession({ command: './missing arg', workdir });
      const probe = await connect(session.streamUrl, session.tokenValue);
      await finish(session, probe);
      expect(probe.channelClosed()?.Output).toBe(
        'Unable to start command: Failed to start pty: fork/exec ./missing: no such file or directory',
      );
    });

    it('reports an empty command with the agent text', async () => {
      const local = await start();
      const session = local.createSession({ command: '   ', workdir });
      const probe = await connect(session.streamUrl, session.tokenValue);
      await finish(session, probe);
      expect(probe.channelClosed()?.Output).toBe(EMPTY_COMMAND_TEXT);
      expect(EMPTY_COMMAND_TEXT).toBe('Commands cannot be empty for session type InteractiveCommands');
    });
  });

  describe('input', () => {
    it('re-acks a duplicate input message and applies it once', async () => {
      // Arrange
      const local = await start();
      const session = local.createSession({ command: `sh -c 'read a; read b; echo "got:$a:$b"'`, workdir });

      // Act
      const probe = await connect(session.streamUrl, session.tokenValue);
      probe.sendInput(PayloadType.Output, 'one\r', 0n);
      probe.sendInput(PayloadType.Output, 'one\r', 0n);
      probe.sendInput(PayloadType.Output, 'two\r', 1n);
      const outcome = await finish(session, probe);

      // Assert
      expect(probe.output().toString()).toContain('got:one:two');
      expect(probe.ackedInputSequences()).toEqual([0, 0, 1]);
      expect(outcome.stats).toMatchObject({ duplicateInputs: 1, inputMessages: 2, inputBytes: 8 });
    });

    it('acks and buffers input that arrives ahead of a gap, then applies it in order', async () => {
      // Arrange
      const local = await start();
      const session = local.createSession({ command: `sh -c 'read a; read b; echo "got:$a:$b"'`, workdir });

      // Act
      const probe = await connect(session.streamUrl, session.tokenValue);
      probe.sendInput(PayloadType.Output, 'second\r', 1n);
      await waitFor(() => probe.ackedInputSequences().length === 1, 5000, 'the early ack');
      probe.sendInput(PayloadType.Output, 'first\r', 0n);
      const outcome = await finish(session, probe);

      // Assert
      expect(probe.output().toString()).toContain('got:first:second');
      expect(probe.ackedInputSequences()).toEqual([1, 0]);
      expect(outcome.stats.earlyInputs).toBe(1);
    });

    it('acks and ignores payload types the session does not handle', async () => {
      const local = await start();
      const session = local.createSession({ command: `sh -c 'read a; echo "got:$a"'`, workdir });
      const probe = await connect(session.streamUrl, session.tokenValue);
      probe.sendInput(PayloadType.Flag, Buffer.from([0, 0, 0, 2]));
      probe.sendInput(PayloadType.Output, 'x\r');
      await finish(session, probe);
      expect(probe.ackedInputSequences()).toEqual([0, 1]);
      expect(probe.output().toString()).toContain('got:x');
    });
  });

  describe('robustness', () => {
    it('drops garbage frames without harm and keeps serving the session', async () => {
      // Arrange
      const local = await start();
      const session = local.createSession({ command: `sh -c 'read a; echo "got:$a"'`, workdir });
      const probe = await connect(session.streamUrl, session.tokenValue);

      // Act
      probe.socket.send(Buffer.from('garbage'), { binary: true });
      probe.socket.send(Buffer.alloc(300, 0xff), { binary: true });
      probe.socket.send('a text frame after the open frame');
      probe.sendInput(PayloadType.Output, 'fine\r');
      const outcome = await finish(session, probe);

      // Assert
      expect(probe.output().toString()).toContain('got:fine');
      expect(outcome.stats.badFrames).toBe(3);
    });

    it('accepts client input with a wrong digest, as the agent does, and counts it', async () => {
      // Arrange
      const local = await start();
      const session = local.createSession({ command: `sh -c 'read a; echo "got:$a"'`, workdir });
      const probe = await connect(session.streamUrl, session.tokenValue);
      const { encode } = await import('../../lib/session/codec.ts');
      const frame = Buffer.from(
        encode({
          messageType: MessageType.InputStreamData,
          schemaVersion: 1,
          createdDate: Date.now(),
          sequenceNumber: 0n,
          flags: 0n,
          messageId: '3f2504e0-4f89-41d3-9a0c-0305e82c3301',
          payloadType: PayloadType.Output,
          payload: Buffer.from('odd\r'),
        }),
      );
      frame[80] = (frame[80] as number) ^ 1;

      // Act
      probe.socket.send(frame, { binary: true });
      const outcome = await finish(session, probe);

      // Assert
      expect(probe.output().toString()).toContain('got:odd');
      expect(outcome.stats.badDigests).toBe(1);
    });

    it('kills the command when the client closes its socket', async () => {
      const local = await start();
      const session = local.createSession({ command: 'sleep 30', workdir });
      const probe = await connect(session.streamUrl, session.tokenValue);
      await waitFor(() => local.sessionStats(session.sessionId) !== undefined, 1000, 'the session');
      probe.socket.close();
      const outcome = await finish(session, probe);
      expect(outcome.reason).toBe('client-closed');
      expect(outcome.exit?.signal).toBe(1);
    });

    it('close() ends every session, kills the commands and refuses new sessions', async () => {
      // Arrange
      const local = await start({ killGraceMs: 200 });
      const sessions = [
        local.createSession({ command: 'sleep 30', workdir }),
        local.createSession({ command: 'sh -c "trap \\"\\" HUP; sleep 30"', workdir }),
        local.createSession({ command: 'sleep 30', workdir }),
      ];
      const clients = await Promise.all(sessions.slice(0, 2).map((s) => connect(s.streamUrl, s.tokenValue)));
      await waitFor(() => local.stats().sessionsConnected === 2, 5000, 'two clients');

      // Act
      await local.close();
      const outcomes = await Promise.all(sessions.map((s) => s.ended));

      // Assert
      expect(outcomes.map((o) => o.reason)).toEqual(['agent-closed', 'agent-closed', 'agent-closed']);
      expect(outcomes[0]?.exit?.signal).toBe(1);
      expect(outcomes[1]?.exit?.signal).toBeDefined();
      await Promise.all(clients.map((c) => c.waitForClose()));
      expect(() => local.createSession({ command: 'true' })).toThrow('closed');
    });
  });

  describe('cleanup', () => {
    it('leaves no timers, sockets or child processes behind after close()', async () => {
      // Arrange
      const resources = (): Record<string, number> => {
        const counts: Record<string, number> = {};
        for (const name of process.getActiveResourcesInfo()) counts[name] = (counts[name] ?? 0) + 1;
        return counts;
      };
      const before = resources();
      const local = await startLocalAgent({ initialWaitMs: 5000, faults: { ackDelayMs: 10_000 } });
      const waiting = local.createSession({ command: 'sleep 30', workdir });
      const running = local.createSession({ command: `sh -c 'read a'`, workdir });
      const probe = await Probe.connect(running.streamUrl, running.tokenValue);
      probe.sendInput(PayloadType.Output, 'x');
      await waitFor(
        () => (local.sessionStats(running.sessionId)?.inputMessages ?? 0) === 1,
        5000,
        'the input',
      );

      // Act
      await local.close();
      await probe.waitForClose();
      // libuv closes handles on its next turn.
      await new Promise((resolve) => setTimeout(resolve, 20));

      // Assert
      const after = resources();
      for (const name of ['Timeout', 'Immediate', 'TCPServerWrap', 'TCPSocketWrap', 'TTYWrap']) {
        expect({ name, count: after[name] ?? 0 }).toEqual({
          name,
          count: Math.min(before[name] ?? 0, after[name] ?? 0),
        });
      }
      expect((await running.ended).exit?.signal).toBe(1);
      expect((await waiting.ended).reason).toBe('agent-closed');
    });
  });

  describe('options', () => {
    it.each([
      [{ pacems: 1 }, 'unknown option "pacems"'],
      [{ port: -1 }, 'port must be an integer from 0 to 65535; received -1'],
      [{ initialWaitMs: 1.5 }, 'initialWaitMs must be an integer >= 0; received 1.5'],
      [{ faults: { drop: true } }, 'faults has an unknown option "drop"'],
      [{ kms: {} }, 'kms must be an object with a decrypt() method'],
    ])('rejects %j', async (options, message) => {
      await expect(startLocalAgent(options as LocalAgentOptions)).rejects.toThrow(message);
      await expect(startLocalAgent(options as LocalAgentOptions)).rejects.toBeInstanceOf(LocalOptionError);
    });

    it.each([
      [
        { command: 'true', workdir: '/no/such/dir' },
        'workdir must be an existing directory; received "/no/such/dir"',
      ],
      [{ command: 'true', fautls: {} }, 'unknown option "fautls"'],
      [{}, 'command must be a string'],
      [{ command: 'true', generate: { bytes: 1 } }, 'either command or generate'],
      [{ generate: { bytes: -1 } }, 'generate.bytes must be an integer >= 0; received -1'],
      [{ command: 'true', kms: { keyId: 'alias/x', targetId: 't' } }, 'pass startLocalAgent({ kms })'],
      [{ command: 'true', env: { A: 1 } }, 'env.A must be a string or undefined; received 1'],
      [{ command: 'true', argvPrefix: 'docker' }, 'argvPrefix must be an array of strings'],
    ])('throws from createSession for %j', async (options, message) => {
      const local = await start();
      expect(() => local.createSession(options as never)).toThrow(message);
    });
  });
});
