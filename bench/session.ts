/**
 * session.throughput: how fast the client consumes generated output in 1 KiB frames from the
 * local agent (digests verified, every frame acked), beside the same run's bare-`ws` figure
 * for the same frames (no decoding, no acks).
 *
 * session.memory: 200 MB of output through the client and the output collector with a
 * streaming sink; the heap must stay bounded (a tail plus the sink), not grow with the output.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import WebSocket from 'ws';
import { OutputCollector } from '../lib/exec/output.ts';
import { runSession } from '../lib/session/session.ts';
import type { BenchResults } from './results.ts';

const MB = 1024 * 1024;

function request<T>(child: ChildProcess, message: object): Promise<T> {
  const reply = once(child, 'message') as Promise<[T]>;
  child.send(message);
  return reply.then(([value]) => value);
}

async function startServer(): Promise<ChildProcess> {
  const child = fork(path.join(import.meta.dirname, 'server.ts'), [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  });
  await once(child, 'message');
  return child;
}

async function bareRun(child: ChildProcess, bytes: number): Promise<number> {
  const { url } = await request<{ url: string }>(child, { kind: 'bare', bytes });
  const socket = new WebSocket(url, { perMessageDeflate: false });
  let received = 0;
  const start = performance.now();
  socket.on('message', (data: Buffer) => {
    received += data.length - 120;
  });
  await once(socket, 'close');
  const seconds = (performance.now() - start) / 1000;
  if (received !== bytes) throw new Error(`bare ws received ${received} of ${bytes} bytes`);
  return bytes / MB / seconds;
}

async function sessionRun(
  child: ChildProcess,
  bytes: number,
  onOutput: (chunk: Uint8Array) => void,
  peer: 'agent' | 'replay' = 'agent',
) {
  const session =
    peer === 'agent'
      ? await request<{ streamUrl: string; tokenValue: string; sessionId: string }>(child, {
          kind: 'agent',
          bytes,
        })
      : {
          streamUrl: (await request<{ url: string }>(child, { kind: 'replay', bytes })).url,
          tokenValue: 'bench',
          sessionId: 'bench',
        };
  const start = performance.now();
  const summary = await runSession({ ...session, onOutput });
  const seconds = (performance.now() - start) / 1000;
  if (summary.bytesReceived !== bytes)
    throw new Error(`session received ${summary.bytesReceived} of ${bytes}`);
  return { mbPerSecond: bytes / MB / seconds, summary };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

export async function benchSession(results: BenchResults): Promise<void> {
  const child = await startServer();
  try {
    const bytes = 64 * MB;
    await bareRun(child, 4 * MB); // warm-up
    await sessionRun(child, 4 * MB, () => {});
    await sessionRun(child, 4 * MB, () => {}, 'replay');
    const bare: number[] = [];
    const session: number[] = [];
    const agent: number[] = [];
    for (let i = 0; i < 3; i++) {
      bare.push(await bareRun(child, bytes));
      session.push((await sessionRun(child, bytes, () => {}, 'replay')).mbPerSecond);
      agent.push((await sessionRun(child, bytes, () => {}, 'agent')).mbPerSecond);
    }
    const bareMedian = median(bare);
    const sessionMedian = median(session);
    results.record('session.throughput', sessionMedian, 'MB/s', {
      bytes,
      frameBytes: 1024,
      runs: session,
      ratioToBareWs: Number((sessionMedian / bareMedian).toFixed(3)),
      peer: 'replay: the same pre-encoded frames as bareWs, acks read, channel_closed once all are acked',
    });
    results.record('session.throughput.bareWs', bareMedian, 'MB/s', { bytes, frameBytes: 1024, runs: bare });
    results.record('session.throughput.localAgent', median(agent), 'MB/s', {
      bytes,
      frameBytes: 1024,
      runs: agent,
      peer: 'the local agent in generate mode, in its own process (it builds and hashes every frame: the slower side)',
    });

    // Memory: 200 MB through session + collector + a sink that discards; sample the heap.
    const total = 200 * MB;
    global.gc?.();
    const heapBefore = process.memoryUsage().heapUsed;
    let peakHeap = heapBefore;
    let peakRss = process.memoryUsage().rss;
    let sunk = 0;
    const collector = new OutputCollector({
      marker: `__RB_${'0'.repeat(32)}__:`,
      sink: (chunk) => {
        sunk += chunk.length;
      },
    });
    const sampler = setInterval(() => {
      const usage = process.memoryUsage();
      peakHeap = Math.max(peakHeap, usage.heapUsed);
      peakRss = Math.max(peakRss, usage.rss);
    }, 20);
    const run = await sessionRun(child, total, (chunk) => collector.push(chunk));
    clearInterval(sampler);
    const collected = collector.end();
    // The generated lines end in CRLF, as a PTY writes them; the collector counts them as LF.
    if (sunk !== collected.totalBytes || run.summary.bytesReceived !== total) {
      throw new Error(`sink saw ${sunk} of ${collected.totalBytes} normalised bytes`);
    }
    results.record('session.memory.peakHeapGrowth', (peakHeap - heapBefore) / MB, 'MB', {
      outputBytes: total,
      tailBytes: collected.tail.length,
      throughputMBps: Number(run.mbPerSecond.toFixed(1)),
    });
    results.record('session.memory.peakRss', peakRss / MB, 'MB', { outputBytes: total });
  } finally {
    child.send({ kind: 'exit' });
    await once(child, 'exit');
  }
}
