import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ClusterFaults, ClusterFaultsInput } from './cluster-file.ts';
import { validateClusterFaults } from './cluster-file.ts';
import { EcsApiError, MESSAGES } from './ecs/errors.ts';
import { FaultState } from './ecs/faults.ts';
import type { LocalWorld } from './ecs/model.ts';
import { createOperations } from './ecs/operations.ts';
import type { AwsExecErrorName, EcsOperation, SessionFactory } from './ecs/types.ts';
import { ECS_OPERATIONS } from './ecs/types.ts';
import { assertInteger, assertOptionsObject, assertString, LocalOptionError } from './internal/options.ts';

export type { EcsApiErrorType } from './ecs/errors.ts';
export type { LocalCluster, LocalContainer, LocalService, LocalTask, LocalWorld } from './ecs/model.ts';
export { buildWorld } from './ecs/model.ts';
export type {
  AwsExecErrorName,
  EcsOperation,
  SessionFactory,
  SessionRequest,
  SessionTicket,
} from './ecs/types.ts';
export { ECS_OPERATIONS } from './ecs/types.ts';

/**
 * The local ECS API: an HTTP server on 127.0.0.1 that speaks what `@aws-sdk/client-ecs` sends
 * (awsJson1_1: `POST /`, `X-Amz-Target: AmazonEC2ContainerServiceV20141113.<Operation>`) for
 * ExecuteCommand, DescribeTasks, ListTasks, DescribeClusters, ListClusters, ListServices and
 * DescribeServices, with AWS's field names, shapes and errors, and the cluster file's faults.
 *
 * @see docs/errors.md for the AWS error names, docs/local.md for the cluster file
 */

/** The `X-Amz-Target` prefix of ECS's operations. */
export const ECS_TARGET_PREFIX = 'AmazonEC2ContainerServiceV20141113.';

const MAX_BODY_BYTES = 1024 * 1024;

/** Options of {@link startEcsApi}. */
export interface StartEcsApiOptions {
  /** The clusters to serve (see `buildWorld`). */
  readonly world: LocalWorld;
  /** Opens the data-channel sessions ExecuteCommand returns. */
  readonly agent: SessionFactory;
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** @default 0 - an ephemeral port */
  readonly port?: number;
  /**
   * The clock of the time-based faults (not-connected window, throttle).
   *
   * @default Date.now
   */
  readonly now?: () => number;
}

/** An error the next calls of one operation answer, whatever their input. */
export interface FailNextOptions {
  readonly operation: EcsOperation;
  readonly error: AwsExecErrorName;
  /** @default 1 */
  readonly times?: number;
  /** @default - AWS's message for that error */
  readonly message?: string;
}

/** Changes the faults of a running API (tests use it between calls). */
export interface EcsFaultControls {
  /** The faults now in force on `cluster`. */
  get(cluster: string): ClusterFaults;
  /**
   * Changes some of `cluster`'s faults; the rest stay. Task references are ids or
   * `<service or family>/<index>`. A new `targetNotConnectedForMs` restarts the tasks' clocks.
   * Throws `ClusterFileError` for invalid faults.
   */
  set(cluster: string, faults: ClusterFaultsInput): ClusterFaults;
  /** Back to the cluster file's faults; clears clocks and injected errors. */
  reset(): void;
  /** Makes the next call(s) of an operation answer an error (e.g. ServerException). */
  failNext(options: FailNextOptions): void;
}

/** Calls counted per operation, for tests. */
export interface EcsApiStats {
  /** Requests per operation, answered or failed. */
  readonly calls: Readonly<Record<EcsOperation, number>>;
  /** Error answers per AWS error name. */
  readonly errors: Readonly<Record<string, number>>;
  /** Sessions ExecuteCommand opened. */
  readonly sessions: number;
  /** Sets every counter to zero. */
  reset(): void;
}

/** A running local ECS API. */
export interface LocalEcsApi {
  /** `http://127.0.0.1:<port>`, for a client's `endpoint`. */
  readonly endpoint: string;
  readonly world: LocalWorld;
  readonly faults: EcsFaultControls;
  readonly stats: EcsApiStats;
  /** Stops the server and drops its connections. */
  close(): Promise<void>;
}

const DEFAULT_ERROR_MESSAGES: Record<AwsExecErrorName, string> = {
  TargetNotConnectedException: MESSAGES.targetNotConnected,
  ThrottlingException: MESSAGES.rateExceeded,
  ServerException: MESSAGES.serverError,
  AccessDeniedException: 'User is not authorized to perform this action.',
  ClusterNotFoundException: MESSAGES.clusterNotFound,
  InvalidParameterException: "The specified parameter isn't valid.",
  ClientException: 'The request was rejected by the client-side validation of the service.',
};

/**
 * Starts the local ECS API.
 *
 * @example
 * const api = await startEcsApi({ world, agent });
 * const ecs = new ECSClient({ endpoint: api.endpoint, region: world.region, credentials, maxAttempts: 1 });
 */
export async function startEcsApi(options: StartEcsApiOptions): Promise<LocalEcsApi> {
  const raw: unknown = options;
  assertOptionsObject(raw, 'startEcsApi options', ['world', 'agent', 'host', 'port', 'now']);
  assertString(options.host, 'options.host');
  assertInteger(options.port, 'options.port', 0, 65535);
  const { world, agent } = options;
  const host = options.host ?? '127.0.0.1';
  const now = options.now ?? Date.now;
  const file = {
    region: world.region,
    accountId: world.accountId,
    clusters: world.clusters.map((c) => c.spec),
  };
  const state = new FaultState(new Map(world.clusters.map((c) => [c.name, c.spec.faults])));
  const operations = createOperations({ world, faults: state, agent, now });

  const calls = Object.fromEntries(ECS_OPERATIONS.map((op) => [op, 0])) as Record<EcsOperation, number>;
  const errors: Record<string, number> = {};
  let sessions = 0;
  const stats: EcsApiStats = {
    calls,
    errors,
    get sessions() {
      return sessions;
    },
    reset() {
      for (const op of ECS_OPERATIONS) calls[op] = 0;
      for (const name of Object.keys(errors)) delete errors[name];
      sessions = 0;
    },
  };

  const faults: EcsFaultControls = {
    get(cluster) {
      const current = state.get(cluster);
      if (!current) throw unknownCluster(cluster, world);
      return current;
    },
    set(cluster, input) {
      const next = validateClusterFaults(file, cluster, input, state.get(cluster));
      state.set(cluster, next);
      return next;
    },
    reset() {
      state.reset();
    },
    failNext(fail) {
      const rawFail: unknown = fail;
      assertOptionsObject(rawFail, 'failNext', ['operation', 'error', 'times', 'message']);
      if (!ECS_OPERATIONS.includes(fail.operation)) {
        throw new LocalOptionError(
          'failNext.operation',
          `failNext.operation ${JSON.stringify(fail.operation)} is not served; accepted: ${ECS_OPERATIONS.join(', ')}`,
        );
      }
      if (!(fail.error in DEFAULT_ERROR_MESSAGES)) {
        throw new LocalOptionError(
          'failNext.error',
          `failNext.error ${JSON.stringify(fail.error)} is not an ExecuteCommand error; accepted: ${Object.keys(DEFAULT_ERROR_MESSAGES).join(', ')}`,
        );
      }
      assertInteger(fail.times, 'failNext.times', 1);
      assertString(fail.message, 'failNext.message');
      state.inject({
        operation: fail.operation,
        error: fail.error,
        message: fail.message ?? DEFAULT_ERROR_MESSAGES[fail.error],
        remaining: fail.times ?? 1,
      });
    },
  };

  const answer = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const requestId = randomUUID();
    const send = (status: number, body: unknown) => {
      const text = JSON.stringify(body);
      response.writeHead(status, {
        'content-type': 'application/x-amz-json-1.1',
        'content-length': Buffer.byteLength(text),
        'x-amzn-requestid': requestId,
      });
      response.end(text);
    };
    const fail = (error: EcsApiError) => {
      errors[error.type] = (errors[error.type] ?? 0) + 1;
      send(error.status, { __type: error.type, message: error.message });
    };
    try {
      const target = String(request.headers['x-amz-target'] ?? '');
      const operation = target.startsWith(ECS_TARGET_PREFIX) ? target.slice(ECS_TARGET_PREFIX.length) : '';
      if (request.method !== 'POST' || (request.url ?? '/') !== '/' || !isOperation(operation)) {
        request.resume();
        throw new EcsApiError(
          'UnknownOperationException',
          `The local ECS API serves POST / with X-Amz-Target ${ECS_TARGET_PREFIX}<${ECS_OPERATIONS.join('|')}>; received ${request.method} ${request.url} ${JSON.stringify(target)}.`,
        );
      }
      calls[operation]++;
      const input = parseBody(await readBody(request));
      const injected = state.takeInjected(operation);
      if (injected) throw new EcsApiError(injected.error, injected.message);
      const output = await operations[operation](input, { principal: principalOf(request, world.accountId) });
      if (operation === 'ExecuteCommand') sessions++;
      send(200, output);
    } catch (error) {
      fail(
        error instanceof EcsApiError
          ? error
          : new EcsApiError(
              'ServerException',
              `local ECS API failure: ${error instanceof Error ? error.message : String(error)}`,
            ),
      );
    }
  };

  const server = createServer((request, response) => {
    answer(request, response).catch((error: unknown) => {
      response.destroy(error instanceof Error ? error : new Error(String(error)));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  // A wildcard bind is reached through the loopback address.
  const reachable = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  const urlHost = reachable.includes(':') ? `[${reachable}]` : reachable;

  return {
    endpoint: `http://${urlHost}:${port}`,
    world,
    faults,
    stats,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function isOperation(name: string): name is EcsOperation {
  return (ECS_OPERATIONS as readonly string[]).includes(name);
}

function unknownCluster(cluster: string, world: LocalWorld): LocalOptionError {
  return new LocalOptionError(
    'cluster',
    `no cluster named ${JSON.stringify(cluster)}; accepted: ${world.clusters.map((c) => c.name).join(', ')}`,
  );
}

/** The caller as IAM would name it: an IAM user named after the SigV4 access key id. */
function principalOf(request: IncomingMessage, accountId: string): string {
  const auth = String(request.headers.authorization ?? '');
  const accessKeyId = /Credential=([^/,\s]+)\//.exec(auth)?.[1] ?? 'anonymous';
  return `arn:aws:iam::${accountId}:user/${accessKeyId}`;
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_BODY_BYTES) {
      throw new EcsApiError(
        'SerializationException',
        `The request body is larger than ${MAX_BODY_BYTES} bytes.`,
      );
    }
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function parseBody(text: string): Record<string, unknown> {
  if (text.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new EcsApiError('SerializationException', 'The request body is not valid JSON.');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new EcsApiError('SerializationException', 'The request body must be a JSON object.');
  }
  return value as Record<string, unknown>;
}
