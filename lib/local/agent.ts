/**
 * The local ECS Exec data channel: a WebSocket server that plays the Message Gateway Service and
 * the SSM agent in the container, for any number of concurrent sessions.
 *
 * It behaves like the real agent (protocol.md §2–§9, §11): the client's first frame must be the
 * OpenDataChannel text frame with the session's token; without KMS the command's output arrives
 * straight away as `output_stream_data` (seq 0 with SYN), with KMS a handshake comes first. The
 * command string is split with the agent's shlex rules and exec'd without a shell under a real
 * PTY (CRLF, echo, merged stdout/stderr, 0 × 0 until a Size message). Output waits
 * `initialWaitMs` (the agent's writePump sleeps 1 s first; nothing is lost meanwhile), then goes
 * out in frames of at most 1024 bytes that never split a UTF-8 character, each kept until
 * acknowledged and re-sent after the retransmission timeout. Client input is acked after it is
 * applied, duplicates are re-acked, early messages are buffered and acked. When the command's
 * output ends the agent waits at most 2 s for outstanding acks, then sends `channel_closed`
 * (Output "" or the agent's error text) and closes the socket.
 *
 * Emulator choices, where the real service is not observable or a test needs a bound:
 * - The command starts when the client opens the data channel (after the handshake with KMS),
 *   not at ExecuteCommand time; the client cannot tell the difference except by timing.
 * - A session whose client never presents its token ends after `connectTimeoutMs` (60 s).
 * - Closing the client socket ends the session and kills the command (process group: SIGHUP,
 *   SIGKILL after `killGraceMs`); a second client for a session is refused (409).
 * - A wrong token, or a first frame that is not the OpenDataChannel text, closes that socket
 *   with code 1008; the session keeps waiting for a proper client.
 * - Start failures and handshake failures carry the agent's text without the
 *   `----------ERROR-------` banner MGS may add.
 *
 * @example
 * ```ts
 * const agent = await startLocalAgent({ port: 0, initialWaitMs: 0 });
 * const { streamUrl, tokenValue, ended } = agent.createSession({ command: 'sh -c "echo hi"', workdir: dir });
 * // connect a data-channel client to streamUrl with tokenValue …
 * console.log((await ended).reason); // 'completed'
 * await agent.close();
 * ```
 *
 * @see docs/protocol.md §11
 */
import { randomBytes } from 'node:crypto';
import { statSync } from 'node:fs';
import type { WebSocket } from 'ws';
import type { AgentFaults } from './agent/faults.ts';
import { resolveFaults, validateFaults } from './agent/faults.ts';
import { AGENT_TERM } from './agent/pty-backend.ts';
import { startAgentServer } from './agent/server.ts';
import { AgentSession, type LocalSessionOutcome, type SessionConfig } from './agent/session.ts';
import {
  copyStats,
  emptyAgentStats,
  type LocalAgentStats,
  type LocalSessionStats,
  StatsRecorder,
} from './agent/stats.ts';
import {
  assertBoolean,
  assertInteger,
  assertOptionsObject,
  assertString,
  describe,
  LocalOptionError,
} from './internal/options.ts';
import type { LocalKmsDecrypter } from './kms/keyring.ts';

export type { BackendExit } from './agent/backend.ts';
export { EMPTY_COMMAND_TEXT, START_FAILURE_PREFIX } from './agent/command.ts';
export {
  type AgentFaults,
  DEFAULT_FAULT_RATE,
  FAULT_NAMES,
  type FaultName,
  type FaultRate,
  type PausePublicationFault,
} from './agent/faults.ts';
export { GENERATED_LINE_BYTES, generatedBytes } from './agent/generated-backend.ts';
export {
  CHALLENGE_TIMEOUT_TEXT,
  ENCRYPTION_CONTEXT_KEYS,
  HANDSHAKE_FAILURE_PREFIX,
  HANDSHAKE_TIMEOUT_TEXT,
  KMS_CUSTOMER_MESSAGE,
} from './agent/handshake.ts';
export { type LocalSessionOutcome, OUTPUT_FRAME_BYTES, type SessionEndReason } from './agent/session.ts';
export type { LocalAgentStats, LocalSessionStats } from './agent/stats.ts';
export { LocalOptionError } from './internal/options.ts';

/** Options of {@link startLocalAgent}. */
export interface LocalAgentOptions {
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** @default 0 (any free port) */
  readonly port?: number;
  /**
   * Delay between the command's start and the first output frame, as the agent's writePump
   * sleeps before its first read; output produced meanwhile is buffered, not lost.
   * @default 1000
   */
  readonly initialWaitMs?: number;
  /**
   * Delay after each output frame (at most 1 KiB). The real agent sleeps about 1 ms per read,
   * i.e. about 1 MB/s; benchmarks and the demo use 1.
   * @default 0
   */
  readonly paceMs?: number;
  /** Faults for every session; a session's own `faults` override them key by key. @default - none */
  readonly faults?: AgentFaults;
  /** The KMS the agent decrypts data keys with (e.g. the object `startLocalKms` returns). @default - sessions with `kms` are refused */
  readonly kms?: LocalKmsDecrypter;
  /** AgentVersion in HandshakeRequest. @default '3.3.987.0' */
  readonly agentVersion?: string;
  /** How long a session waits for its client to present the token before it ends. @default 60000 */
  readonly connectTimeoutMs?: number;
  /** How long a new socket has to send its OpenDataChannel frame. @default 10000 */
  readonly openTimeoutMs?: number;
  /** The agent's wait for HandshakeResponse, and again for EncChallengeResponse. @default 15000 */
  readonly handshakeTimeoutMs?: number;
  /** The agent's sleep before reporting a command that cannot start. @default 2000 */
  readonly startFailureDelayMs?: number;
  /** The longest wait for outstanding acks before `channel_closed`. @default 2000 */
  readonly closeDrainMs?: number;
  /** Time between SIGHUP and SIGKILL when a session ends while its command runs. @default 1000 */
  readonly killGraceMs?: number;
  /**
   * Refuse clients that do not answer the KMS random challenge (the agent's
   * `Kms.RequireKMSChallengeResponse`).
   * @default false
   */
  readonly requireKmsChallengeResponse?: boolean;
}

/** Options of {@link LocalAgent.createSession}. */
export interface CreateSessionOptions {
  /**
   * The command string, as given to ExecuteCommand: split with the agent's shlex rules and
   * exec'd without a shell. Required unless `generate` is set.
   */
  readonly command?: string;
  /** Working directory of the command; must exist. @default process.cwd() */
  readonly workdir?: string;
  /**
   * Variables merged over the agent's `process.env` (`undefined` removes one); then
   * `TERM=xterm-256color` always and `LANG=C.UTF-8` when unset, as the agent does.
   * @default {}
   */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Run the KMS handshake with this key and target (the agent's identity). @default - no handshake */
  readonly kms?: { readonly keyId: string; readonly targetId: string };
  /** The `DestinationId` in `channel_closed`. @default - `kms.targetId`, else `ecs:local_<hex>` */
  readonly targetId?: string;
  /** Words put before the command's argv, e.g. `['docker', 'exec', '-i', 'name']`. @default [] */
  readonly argvPrefix?: readonly string[];
  /** Faults for this session, merged over the agent's key by key. @default - the agent's */
  readonly faults?: AgentFaults;
  /**
   * No process: send exactly `bytes` bytes of deterministic output ({@link generatedBytes}) in
   * 1 KiB frames, then close normally. For benchmarks and byte-count tests.
   * @default - run `command`
   */
  readonly generate?: { readonly bytes: number };
}

/** What ExecuteCommand returns for a session, plus a promise of how it ended. */
export interface LocalAgentSession {
  /** `ecs-execute-command-<17 hex digits>`. */
  readonly sessionId: string;
  /** `ws://<host>:<port>/v1/data-channel/<sessionId>?role=publish_subscribe`. */
  readonly streamUrl: string;
  /** The token the OpenDataChannel frame must carry. */
  readonly tokenValue: string;
  /** Resolves (never rejects) once the session has ended and its command is gone. */
  readonly ended: Promise<LocalSessionOutcome>;
}

/** A running local agent. */
export interface LocalAgent {
  readonly host: string;
  readonly port: number;
  /** `ws://<host>:<port>`. */
  readonly endpoint: string;
  /** Registers a session; its client connects to `streamUrl`. Throws {@link LocalOptionError} on bad options. */
  createSession(options: CreateSessionOptions): LocalAgentSession;
  /** Totals over all sessions so far. */
  stats(): LocalAgentStats;
  /** Counters of a session that has not ended (ended ones report theirs in `ended`). */
  sessionStats(sessionId: string): LocalSessionStats | undefined;
  /** Ends every session, kills their commands, stops the server; resolves when all is done. */
  close(): Promise<void>;
}

const DEFAULTS = {
  host: '127.0.0.1',
  port: 0,
  initialWaitMs: 1000,
  paceMs: 0,
  agentVersion: '3.3.987.0',
  connectTimeoutMs: 60_000,
  openTimeoutMs: 10_000,
  handshakeTimeoutMs: 15_000,
  startFailureDelayMs: 2000,
  closeDrainMs: 2000,
  killGraceMs: 1000,
  requireKmsChallengeResponse: false,
} as const satisfies Omit<Required<LocalAgentOptions>, 'faults' | 'kms'>;

const AGENT_OPTION_KEYS = [...Object.keys(DEFAULTS), 'faults', 'kms'];
const SESSION_OPTION_KEYS = [
  'command',
  'workdir',
  'env',
  'kms',
  'targetId',
  'argvPrefix',
  'faults',
  'generate',
];
const DURATION_OPTIONS = [
  'initialWaitMs',
  'paceMs',
  'connectTimeoutMs',
  'openTimeoutMs',
  'handshakeTimeoutMs',
  'startFailureDelayMs',
  'closeDrainMs',
  'killGraceMs',
] as const;

/** Starts the local agent's WebSocket server. */
export async function startLocalAgent(options: LocalAgentOptions = {}): Promise<LocalAgent> {
  validateAgentOptions(options);
  const settings = { ...DEFAULTS, ...definedOnly(options) };
  const agentFaults = options.faults;
  const kms = options.kms;
  const sessions = new Map<string, AgentSession>();
  const totals = emptyAgentStats();
  let closed = false;

  const server = await startAgentServer(settings.host, settings.port, {
    check(sessionId) {
      const session = sessions.get(sessionId);
      if (!session) return { status: 404, reason: `no session ${sessionId} (unknown or ended)` };
      if (!session.acceptsClients)
        return { status: 409, reason: `session ${sessionId} already has a client` };
      return undefined;
    },
    accept(sessionId, socket: WebSocket, transport) {
      const session = sessions.get(sessionId);
      if (session) session.attach(socket, transport);
      else socket.terminate();
    },
    refused() {
      totals.connectionsRejected++;
    },
  });
  const urlHost = settings.host === '0.0.0.0' || settings.host === '::' ? '127.0.0.1' : settings.host;
  const endpoint = `ws://${urlHost.includes(':') ? `[${urlHost}]` : urlHost}:${server.port}`;

  function createSession(sessionOptions: CreateSessionOptions): LocalAgentSession {
    if (closed) throw new LocalOptionError('createSession', 'createSession: the local agent is closed');
    validateSessionOptions(sessionOptions, kms !== undefined);
    const hex = randomBytes(9).toString('hex').slice(0, 17);
    const sessionId = `ecs-execute-command-${hex}`;
    const tokenValue = randomBytes(64).toString('base64');
    const workdir = sessionOptions.workdir ?? process.cwd();
    const config: SessionConfig = {
      sessionId,
      tokenValue,
      targetId: sessionOptions.targetId ?? sessionOptions.kms?.targetId ?? `ecs:local_${hex}`,
      command: sessionOptions.command ?? '',
      generateBytes: sessionOptions.generate?.bytes,
      workdir,
      env: commandEnvironment(sessionOptions.env),
      argvPrefix: [...(sessionOptions.argvPrefix ?? [])],
      kms:
        sessionOptions.kms && kms
          ? { keyId: sessionOptions.kms.keyId, targetId: sessionOptions.kms.targetId, decrypter: kms }
          : undefined,
      faults: resolveFaults(agentFaults, sessionOptions.faults),
      agentVersion: settings.agentVersion,
      requireKmsChallengeResponse: settings.requireKmsChallengeResponse,
      initialWaitMs: settings.initialWaitMs,
      paceMs: settings.paceMs,
      connectTimeoutMs: settings.connectTimeoutMs,
      openTimeoutMs: settings.openTimeoutMs,
      handshakeTimeoutMs: settings.handshakeTimeoutMs,
      startFailureDelayMs: settings.startFailureDelayMs,
      closeDrainMs: settings.closeDrainMs,
      killGraceMs: settings.killGraceMs,
    };
    const session = new AgentSession(config, new StatsRecorder(totals), {
      connected() {
        totals.sessionsConnected++;
      },
      rejected() {
        totals.connectionsRejected++;
      },
      ended(ended, reason) {
        sessions.delete(ended.config.sessionId);
        totals.sessionsActive--;
        totals.sessionsEnded++;
        if (reason === 'client-never-connected') totals.sessionsExpired++;
      },
    });
    sessions.set(sessionId, session);
    totals.sessionsCreated++;
    totals.sessionsActive++;
    return {
      sessionId,
      streamUrl: `${endpoint}/v1/data-channel/${sessionId}?role=publish_subscribe`,
      tokenValue,
      ended: session.ended,
    };
  }

  let closing: Promise<void> | undefined;
  return {
    host: settings.host,
    port: server.port,
    endpoint,
    createSession,
    stats: () => copyStats(totals),
    sessionStats: (sessionId) => sessions.get(sessionId)?.stats(),
    close() {
      closing ??= (async () => {
        closed = true;
        await Promise.all([...sessions.values()].map((session) => session.shutdown()));
        await server.close();
      })();
      return closing;
    },
  };
}

function validateAgentOptions(options: LocalAgentOptions): void {
  const path = 'startLocalAgent options';
  assertOptionsObject(options, path, AGENT_OPTION_KEYS);
  assertString(options.host, 'host');
  assertInteger(options.port, 'port', 0, 65_535);
  for (const name of DURATION_OPTIONS) assertInteger(options[name], name, 0);
  assertString(options.agentVersion, 'agentVersion');
  assertBoolean(options.requireKmsChallengeResponse, 'requireKmsChallengeResponse');
  validateFaults(options.faults, 'faults');
  if (options.kms !== undefined && typeof (options.kms as { decrypt?: unknown })?.decrypt !== 'function') {
    throw new LocalOptionError(
      'kms',
      `kms must be an object with a decrypt() method (e.g. the result of startLocalKms); received ${describe(options.kms)}`,
    );
  }
}

function validateSessionOptions(options: CreateSessionOptions, agentHasKms: boolean): void {
  const path = 'createSession options';
  assertOptionsObject(options, path, SESSION_OPTION_KEYS);
  if (options.generate !== undefined) {
    assertOptionsObject(options.generate, 'generate', ['bytes']);
    if (options.generate.bytes === undefined) {
      throw new LocalOptionError(
        'generate.bytes',
        'generate.bytes must be an integer >= 0; received undefined',
      );
    }
    assertInteger(options.generate.bytes, 'generate.bytes', 0);
    if (options.command !== undefined) {
      throw new LocalOptionError('command', 'createSession takes either command or generate, not both');
    }
  } else if (typeof options.command !== 'string') {
    throw new LocalOptionError(
      'command',
      `command must be a string (the ExecuteCommand command); received ${describe(options.command)}`,
    );
  }
  assertString(options.workdir, 'workdir');
  if (options.workdir !== undefined) {
    let isDirectory = false;
    try {
      isDirectory = statSync(options.workdir).isDirectory();
    } catch {
      isDirectory = false;
    }
    if (!isDirectory) {
      throw new LocalOptionError(
        'workdir',
        `workdir must be an existing directory; received ${describe(options.workdir)}`,
      );
    }
  }
  if (options.env !== undefined) {
    assertOptionsObject(options.env, 'env', Object.keys(options.env));
    for (const [name, value] of Object.entries(options.env)) {
      if (value !== undefined && typeof value !== 'string') {
        throw new LocalOptionError(
          `env.${name}`,
          `env.${name} must be a string or undefined; received ${describe(value)}`,
        );
      }
    }
  }
  if (options.kms !== undefined) {
    assertOptionsObject(options.kms, 'kms', ['keyId', 'targetId']);
    if (options.kms.keyId === undefined || options.kms.targetId === undefined) {
      throw new LocalOptionError('kms', `kms needs keyId and targetId; received ${describe(options.kms)}`);
    }
    assertString(options.kms.keyId, 'kms.keyId');
    assertString(options.kms.targetId, 'kms.targetId');
    if (!agentHasKms) {
      throw new LocalOptionError(
        'kms',
        'createSession got kms, but the agent has no KMS to decrypt with: pass startLocalAgent({ kms })',
      );
    }
  }
  assertString(options.targetId, 'targetId');
  if (options.argvPrefix !== undefined) {
    if (!Array.isArray(options.argvPrefix) || options.argvPrefix.some((word) => typeof word !== 'string')) {
      throw new LocalOptionError(
        'argvPrefix',
        `argvPrefix must be an array of strings; received ${describe(options.argvPrefix)}`,
      );
    }
  }
  validateFaults(options.faults, 'faults');
}

/** The command's environment as the agent builds it. */
function commandEnvironment(
  overrides: Readonly<Record<string, string | undefined>> | undefined,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries({ ...process.env, ...overrides })) {
    if (value !== undefined) env[name] = value;
  }
  env.TERM = AGENT_TERM;
  env.LANG ??= 'C.UTF-8';
  return env;
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
