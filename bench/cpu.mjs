/**
 * CPU time per process of a local stack, from /proc (Linux): workerd (the Worker, its queue
 * consumer and Durable Objects), wrangler's own node process, the provider fakes and this
 * benchmark process. `snapshot()` returns milliseconds of user + system CPU so far; subtract two.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const TICK_MS = 1000 / 100; // CLK_TCK is 100 on Linux

function cpuMsOf(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after "(comm)": state is field 3, utime 14, stime 15 (1-based over the whole line).
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(rest[11]) + Number(rest[12])) * TICK_MS;
  } catch {
    return 0; // the process ended
  }
}

/** The pids and command names in process group `pgid`. */
function groupMembers(pgid) {
  try {
    return execFileSync('ps', ['-o', 'pid=,comm=', '-g', String(pgid)], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .map((line) => line.trim().split(/\s+/))
      .map(([pid, comm]) => ({ pid: Number(pid), comm }));
  } catch {
    return [];
  }
}

export function cpuMeter({ wranglerPgid, fakesPid }) {
  return {
    snapshot() {
      const members = groupMembers(wranglerPgid);
      const sum = (pred) => members.filter(pred).reduce((total, m) => total + cpuMsOf(m.pid), 0);
      const self = process.cpuUsage();
      return {
        workerd: sum((m) => m.comm === 'workerd'),
        wrangler: sum((m) => m.comm !== 'workerd'),
        fakes: fakesPid ? cpuMsOf(fakesPid) : 0,
        bench: (self.user + self.system) / 1000,
      };
    },
  };
}

export function cpuDelta(before, after) {
  return Object.fromEntries(Object.keys(after).map((k) => [k, after[k] - before[k]]));
}
