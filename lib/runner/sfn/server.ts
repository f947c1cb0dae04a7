/**
 * The local Step Functions API: an HTTP server on 127.0.0.1 that speaks what
 * `@aws-sdk/client-sfn` and the AWS CLI send (AWS JSON 1.0: `POST /`,
 * `X-Amz-Target: AWSStepFunctions.<Operation>`, a JSON body) for the operations of
 * {@link SFN_OPERATIONS}, answered by the local Step Functions service (service.ts).
 *
 * Requests are signed with SigV4 by both clients; the signature is accepted without being
 * checked (docs/local.md).
 *
 * @see https://docs.aws.amazon.com/step-functions/latest/apireference/API_Operations.html
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SfnApiError } from './errors.ts';
import {
  createLocalStepFunctions,
  type LocalStepFunctions,
  type LocalStepFunctionsOptions,
  SFN_OPERATIONS,
  type SfnOperation,
} from './service.ts';

/** The `X-Amz-Target` prefix of Step Functions' operations. */
export const SFN_TARGET_PREFIX = 'AWSStepFunctions.';

const MAX_BODY_BYTES = 1024 * 1024;

/** Options of {@link startSfnApi}. */
export interface StartSfnApiOptions extends LocalStepFunctionsOptions {
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** @default 0 - an ephemeral port */
  readonly port?: number;
}

/** A running local Step Functions API. */
export interface LocalSfnApi {
  /** `http://127.0.0.1:<port>`, for `SFNClient`'s `endpoint` or `AWS_ENDPOINT_URL_SFN`. */
  readonly endpoint: string;
  readonly service: LocalStepFunctions;
  /** Requests per operation, answered or failed (tests). */
  readonly calls: Readonly<Record<SfnOperation, number>>;
  /** Stops every running execution (bounded), then the server. */
  close(): Promise<void>;
}

/**
 * Loads the runbooks and serves them.
 *
 * @example
 * const api = await startSfnApi({ runbooks: ['runbooks/flush-cache.yaml'], ecs, region, outputDir });
 * const sfn = new SFNClient({ endpoint: api.endpoint, region, credentials });
 * await api.close();
 */
export async function startSfnApi(options: StartSfnApiOptions): Promise<LocalSfnApi> {
  const { host = '127.0.0.1', port = 0, ...serviceOptions } = options;
  const service = createLocalStepFunctions(serviceOptions);
  const calls = Object.fromEntries(SFN_OPERATIONS.map((op) => [op, 0])) as Record<SfnOperation, number>;

  const answer = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const send = (status: number, body: unknown): void => {
      const text = JSON.stringify(body);
      response.writeHead(status, {
        'content-type': 'application/x-amz-json-1.0',
        'content-length': Buffer.byteLength(text),
        'x-amzn-requestid': randomUUID(),
      });
      response.end(text);
    };
    try {
      const target = String(request.headers['x-amz-target'] ?? '');
      const operation = target.startsWith(SFN_TARGET_PREFIX) ? target.slice(SFN_TARGET_PREFIX.length) : '';
      if (request.method !== 'POST' || (request.url ?? '/') !== '/' || !isOperation(operation)) {
        request.resume();
        throw new SfnApiError(
          'UnknownOperationException',
          `The local Step Functions API serves POST / with X-Amz-Target ${SFN_TARGET_PREFIX}<${SFN_OPERATIONS.join('|')}>; received ${request.method} ${request.url} ${JSON.stringify(target)}.`,
        );
      }
      calls[operation]++;
      const input = parseBody(await readBody(request));
      send(200, await service.operations[operation](input));
    } catch (error) {
      const failure =
        error instanceof SfnApiError
          ? error
          : new SfnApiError(
              'InternalFailure',
              `local Step Functions API failure: ${error instanceof Error ? error.message : String(error)}`,
            );
      send(failure.status, { __type: failure.type, message: failure.message });
    }
  };

  const server = createServer((request, response) => {
    answer(request, response).catch((error: unknown) => {
      response.destroy(error instanceof Error ? error : new Error(String(error)));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const reachable = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  const urlHost = reachable.includes(':') ? `[${reachable}]` : reachable;
  let closing: Promise<void> | undefined;
  return {
    endpoint: `http://${urlHost}:${address.port}`,
    service,
    calls,
    close() {
      closing ??= (async () => {
        await service.close();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
      })();
      return closing;
    },
  };
}

function isOperation(name: string): name is SfnOperation {
  return (SFN_OPERATIONS as readonly string[]).includes(name);
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_BODY_BYTES) {
      throw new SfnApiError(
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
    throw new SfnApiError('SerializationException', 'The request body is not valid JSON.');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new SfnApiError('SerializationException', 'The request body must be a JSON object.');
  }
  return value as Record<string, unknown>;
}
