/**
 * `npx tsx scripts/cpuprofile-summary.ts FILE.cpuprofile [--top 40] [--by url|function|package]`:
 * where a V8 CPU profile (node --cpu-prof) spent its time. Sums each node's self time by
 * function (name + file:line), by file, or by package (node_modules/<pkg>, node:internal,
 * our own src/…), and prints the total, the idle and GC shares and the top entries.
 * One profile is one thread: node --cpu-prof writes one file per thread (main and workers).
 */
import fs from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : fallback;
}

function packageOf(url: string): string {
  if (!url) return '(native/vm)';
  if (url.startsWith('node:')) return url.split('/')[0]!;
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  const src = url.search(/\/(src|workers|scripts|test)\//);
  return src >= 0 ? url.slice(src + 1) : url;
}

function summarise(file: string, by: string, top: number): void {
  const p = JSON.parse(fs.readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  for (let i = 0; i < p.samples.length; i++) {
    const dt = p.timeDeltas[i + 1] ?? 0;
    self.set(p.samples[i]!, (self.get(p.samples[i]!) ?? 0) + dt);
  }
  const sums = new Map<string, number>();
  let total = 0;
  let idle = 0;
  let gc = 0;
  for (const [id, us] of self) {
    const n = byId.get(id)!;
    const { functionName, url, lineNumber } = n.callFrame;
    total += us;
    if (functionName === '(idle)') {
      idle += us;
      continue;
    }
    if (functionName === '(garbage collector)') gc += us;
    const shortUrl = url.replace(/^.*\/(node_modules|src|workers|scripts|test)\//, '$1/');
    const key =
      by === 'package'
        ? packageOf(url)
        : by === 'url'
          ? shortUrl || functionName
          : `${functionName || '(anonymous)'} ${shortUrl}:${lineNumber + 1}`;
    sums.set(key, (sums.get(key) ?? 0) + us);
  }
  const busy = total - idle;
  const ms = (us: number) => (us / 1000).toFixed(1);
  console.log(
    `${file}: ${ms(total)} ms sampled, busy ${ms(busy)} ms (idle ${ms(idle)}, GC ${ms(gc)} = ${((gc / Math.max(busy, 1)) * 100).toFixed(1)} % of busy)`,
  );
  const rows = [...sums].sort((a, b) => b[1] - a[1]).slice(0, top);
  for (const [key, us] of rows)
    console.log(
      `${ms(us).padStart(9)} ms ${((us / Math.max(busy, 1)) * 100).toFixed(1).padStart(5)} %  ${key}`,
    );
}

const files = process.argv
  .slice(2)
  .filter((a, i, all) => !a.startsWith('--') && !all[i - 1]?.startsWith('--'));
for (const f of files) summarise(f, arg('by', 'package'), Number(arg('top', '30')));
