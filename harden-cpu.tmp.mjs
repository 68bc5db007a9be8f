import { startDaemon } from '/work/wt/harden/dist/test/helpers/daemon.js';
import { startFlood } from '/work/wt/harden/dist/chaos/sign-in-probe.js';
import { readFileSync } from 'node:fs';
const cpu = (pid) => { const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' '); return (Number(f[11]) + Number(f[12])) / 100; };
for (const [kind, n, files] of [['silent', 64], ['ws-unsigned', 64], ['http-keepalive', 260, 1024], ['http-keepalive', 260]]) {
  const daemon = await startDaemon({ openFiles: files });
  const flood = await startFlood(kind, daemon.port, n);
  const c0 = cpu(daemon.pid); await new Promise(r => setTimeout(r, 5000)); const c1 = cpu(daemon.pid);
  flood.stop();
  const ev = daemon.logs().match(/evicted_total=(\d+)/g)?.at(-1);
  console.log(kind, files ?? '', 'daemon cpu', ((c1 - c0) / 5).toFixed(2), 'cores; last', ev);
  await daemon.stop();
}
