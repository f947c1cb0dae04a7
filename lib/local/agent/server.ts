/**
 * The HTTP server and WebSocket upgrade routing of the local agent: `GET
 * /v1/data-channel/<sessionId>` upgrades go to that session; anything else is refused.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { type WebSocket, WebSocketServer } from 'ws';

/** Largest WebSocket message accepted from a client (client frames are small). */
export const MAX_CLIENT_MESSAGE_BYTES = 4 * 1024 * 1024;

const PATH_RE = /^\/v1\/data-channel\/([A-Za-z0-9_.-]+)$/;

/** What the server needs from the agent to route an upgrade. */
export interface UpgradeRouter {
  /** `undefined` to accept; otherwise the HTTP status and reason to refuse with. */
  check(sessionId: string): { readonly status: 404 | 409; readonly reason: string } | undefined;
  /** `transport` is the upgraded TCP socket under `socket`, for write batching. */
  accept(sessionId: string, socket: WebSocket, transport: Socket): void;
  refused(): void;
}

export interface AgentServer {
  readonly port: number;
  close(): Promise<void>;
}

export async function startAgentServer(
  host: string,
  port: number,
  router: UpgradeRouter,
): Promise<AgentServer> {
  const wss = new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    maxPayload: MAX_CLIENT_MESSAGE_BYTES,
  });
  const server: Server = createServer((_request, response) => {
    response.writeHead(426, { 'content-type': 'text/plain' });
    response.end('the local agent serves WebSocket upgrades on /v1/data-channel/<sessionId>\n');
  });
  server.on('upgrade', (request: IncomingMessage, socket: Socket, head: Buffer) => {
    socket.on('error', () => {
      // A client that vanishes mid-upgrade is not the server's problem.
    });
    const path = new URL(request.url ?? '/', 'http://local').pathname;
    const sessionId = PATH_RE.exec(path)?.[1];
    const refusal =
      sessionId === undefined
        ? {
            status: 404 as const,
            reason: `no data channel at ${path}; expected /v1/data-channel/<sessionId>`,
          }
        : router.check(sessionId);
    if (refusal || sessionId === undefined) {
      router.refused();
      const body = `${refusal?.reason ?? 'refused'}\n`;
      socket.end(
        `HTTP/1.1 ${refusal?.status ?? 404} ${refusal?.status === 409 ? 'Conflict' : 'Not Found'}\r\n` +
          `content-type: text/plain\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
      );
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws) => router.accept(sessionId, ws, socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  let closing: Promise<void> | undefined;
  return {
    port: (server.address() as AddressInfo).port,
    close() {
      closing ??= new Promise<void>((resolve) => {
        for (const client of wss.clients) client.terminate();
        wss.close();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
