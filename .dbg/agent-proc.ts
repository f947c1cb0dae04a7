import { startLocalAgent } from '../lib/local/index.ts';
import { writeFileSync } from 'node:fs';
const agent = await startLocalAgent({ initialWaitMs: 0, paceMs: 0 });
const s = agent.createSession({ generate: { bytes: 50_000_000 } });
writeFileSync('/tmp/agent-session.json', JSON.stringify(s));
const t0 = performance.now();
const o = await s.ended;
console.log('agent side ms', (performance.now() - t0).toFixed(0), o.stats.resends, o.reason);
await agent.close();
