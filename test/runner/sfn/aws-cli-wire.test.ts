/**
 * The local APIs driven by the AWS CLI's wire format as it really sends it: requests captured
 * from aws-cli 1.45.11 (test/fixtures/sfn/aws-cli-requests.json: header order, header values and
 * body bytes as sent, Python's `", "` / `": "` JSON separators included) are replayed byte for byte
 * over a TCP socket. Where the `aws` command is installed, the same calls also go through it.
 */
import { execFile, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { closeSfnHarnesses, finished, type SfnHarness, startSfnHarness } from './harness.ts';

afterEach(closeSfnHarnesses);

interface CapturedRequest {
  readonly target: string;
  readonly method: string;
  readonly path: string;
  readonly headers: readonly (readonly [string, string])[];
  readonly body: string;
}

const FIXTURE = path.join(import.meta.dirname, '..', '..', 'fixtures', 'sfn', 'aws-cli-requests.json');
const CAPTURED = (JSON.parse(readFileSync(FIXTURE, 'utf8')) as { requests: CapturedRequest[] }).requests;

function captured(target: string): CapturedRequest {
  const request = CAPTURED.find((r) => r.target === target);
  if (!request) throw new Error(`no captured request for ${target}`);
  return request;
}

interface RawResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: unknown;
}

/** Sends the captured bytes (Host rewritten to `endpoint`) and reads one response; bounded. */
function replay(endpoint: string, request: CapturedRequest): Promise<RawResponse> {
  const url = new URL(endpoint);
  const head = [
    `${request.method} ${request.path} HTTP/1.1`,
    ...request.headers.map(([name, value]) => `${name}: ${name.toLowerCase() === 'host' ? url.host : value}`),
  ].join('\r\n');
  const bytes = Buffer.concat([Buffer.from(`${head}\r\n\r\n`, 'latin1'), Buffer.from(request.body, 'utf8')]);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(url.port), url.hostname);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('no response within 10 s'));
    }, 10_000);
    let received = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const end = received.indexOf('\r\n\r\n');
      if (end < 0) return;
      const lines = received.subarray(0, end).toString('latin1').split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of lines.slice(1)) {
        const colon = line.indexOf(':');
        headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
      }
      const length = Number(headers['content-length'] ?? '0');
      if (received.length < end + 4 + length) return;
      clearTimeout(timer);
      socket.destroy();
      resolve({
        status: Number(lines[0]?.split(' ')[1]),
        headers,
        body: JSON.parse(received.subarray(end + 4, end + 4 + length).toString('utf8')),
      });
    });
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.write(bytes);
  });
}

describe("the AWS CLI's requests", () => {
  it('start, describe and read the history of an execution, list state machines and list clusters', async () => {
    // Arrange
    const h = await startSfnHarness();

    // Act
    const started = await replay(h.api.endpoint, captured('AWSStepFunctions.StartExecution'));
    await finished(h.sfn, (started.body as { executionArn: string }).executionArn);
    const described = await replay(h.api.endpoint, captured('AWSStepFunctions.DescribeExecution'));
    const history = await replay(h.api.endpoint, captured('AWSStepFunctions.GetExecutionHistory'));
    const machines = await replay(h.api.endpoint, captured('AWSStepFunctions.ListStateMachines'));
    const clusters = await replay(
      h.ecsHarness.local.endpoint,
      captured('AmazonEC2ContainerServiceV20141113.ListClusters'),
    );

    // Assert
    expect(started.status).toBe(200);
    expect(started.headers['content-type']).toBe('application/x-amz-json-1.0');
    expect(started.body).toMatchObject({
      executionArn: 'arn:aws:states:eu-west-1:000000000000:execution:runbooks-ok:cli-run',
    });
    expect(typeof (started.body as { startDate: unknown }).startDate).toBe('number');
    expect(described.status).toBe(200);
    expect(described.body).toMatchObject({ name: 'cli-run', status: 'SUCCEEDED', input: '{"params":{}}' });
    const events = (history.body as { events: { type: string; id: number }[] }).events;
    expect(events[0]).toMatchObject({ type: 'ExecutionStarted', id: 1, previousEventId: 0 });
    expect(events.at(-1)?.type).toBe('ExecutionSucceeded');
    expect(
      (machines.body as { stateMachines: { name: string }[] }).stateMachines.map((m) => m.name),
    ).toContain('runbooks-ok');
    expect(clusters.status).toBe(200);
    expect((clusters.body as { clusterArns: string[] }).clusterArns).toContain(
      'arn:aws:ecs:eu-west-1:000000000000:cluster/demo',
    );
  });

  it('answers the captured DescribeExecution of an execution that does not exist with ExecutionDoesNotExist', async () => {
    const h = await startSfnHarness();
    const response = await replay(h.api.endpoint, captured('AWSStepFunctions.DescribeExecution'));
    expect(response.status).toBe(400);
    expect((response.body as { __type: string }).__type).toBe('ExecutionDoesNotExist');
  });
});

/** Whether the `aws` command runs here (the machine image ships AWS CLI v1 through pip). */
const AWS_CLI = spawnSync('aws', ['--version'], { encoding: 'utf8', timeout: 30_000 }).status === 0;

/** Runs `aws …` (asynchronously: the servers answering it run in this process); bounded. */
function aws(h: SfnHarness, args: readonly string[], endpoint = h.api.endpoint): Promise<unknown> {
  return new Promise((resolve, reject) => {
    execFile(
      'aws',
      [...args, '--endpoint-url', endpoint, '--output', 'json'],
      {
        encoding: 'utf8',
        timeout: 60_000,
        env: { ...process.env, ...h.env, AWS_DEFAULT_REGION: h.env.AWS_REGION, AWS_PAGER: '' },
      },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`aws ${args.join(' ')} failed: ${error.message} ${stderr}`));
        else resolve(JSON.parse(stdout));
      },
    );
  });
}

describe.runIf(AWS_CLI)('the aws command (when installed)', () => {
  it('lists clusters, starts a runbook and reads its status through aws stepfunctions', async () => {
    // Arrange
    const h = await startSfnHarness();

    // Act
    const clusters = (await aws(h, ['ecs', 'list-clusters'], h.ecsHarness.local.endpoint)) as {
      clusterArns: string[];
    };
    const started = (await aws(h, [
      'stepfunctions',
      'start-execution',
      '--state-machine-arn',
      h.machineArn('ok'),
      '--input',
      '{"params":{"who":"cli"}}',
    ])) as { executionArn: string };
    await finished(h.sfn, started.executionArn);
    const described = (await aws(h, [
      'stepfunctions',
      'describe-execution',
      '--execution-arn',
      started.executionArn,
    ])) as {
      status: string;
      output: string;
    };

    // Assert
    expect(clusters.clusterArns).toContain('arn:aws:ecs:eu-west-1:000000000000:cluster/demo');
    expect(described.status).toBe('SUCCEEDED');
    expect(JSON.parse(described.output).outputs).toEqual({ greeting: 'cli' });
  });
});
