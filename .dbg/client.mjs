import WebSocket from 'ws';
import { randomUUID, createHash } from 'node:crypto';
import { readFileSync, existsSync } from 'node:fs';
while (!existsSync('/tmp/agent-session.json')) await new Promise(r => setTimeout(r, 20));
const s = JSON.parse(readFileSync('/tmp/agent-session.json', 'utf8'));
const ws = new WebSocket(s.streamUrl, { perMessageDeflate: false });
await new Promise(r => ws.once('open', r));
const t0 = performance.now();
ws.send(JSON.stringify({ MessageSchemaVersion: '1.0', RequestId: randomUUID(), TokenValue: s.tokenValue, ClientId: randomUUID() }));
// precomputed ack template: only seq changes; digest recomputed
let n = 0;
ws.on('message', (d) => {
  if (d.toString('latin1', 4, 22) !== 'output_stream_data') return;
  n += d.length - 120;
  const seq = Number(d.readBigInt64BE(48));
  const payload = Buffer.from(`{"AcknowledgedMessageType":"output_stream_data","AcknowledgedMessageId":"3f2504e0-4f89-41d3-9a0c-0305e82c3301","AcknowledgedMessageSequenceNumber":${seq},"IsSequentialMessage":true}`);
  const f = Buffer.alloc(120 + payload.length, 0x20);
  f.writeUInt32BE(116, 0); f.write('acknowledge', 4, 'latin1'); f.writeUInt32BE(1, 36); f.writeBigUInt64BE(BigInt(Date.now()), 40);
  f.writeBigInt64BE(0n, 48); f.writeBigUInt64BE(3n, 56); randomUUID(); Buffer.from(randomUUID().replaceAll('-',''),'hex').copy(f, 64);
  createHash('sha256').update(payload).digest().copy(f, 80); f.writeUInt32BE(0, 112); f.writeUInt32BE(payload.length, 116); payload.copy(f, 120);
  ws.send(f);
});
ws.on('close', () => { const ms = performance.now() - t0; console.log('client MB/s', (n / 1e6 / (ms / 1000)).toFixed(1)); });
