import * as fs from "node:fs";
import * as path from "node:path";
import { statOf as readStat } from "../part";

/**
 * CPU time, from Linux's /proc, as a second measure beside wall time. Wall time is what the goals
 * are stated in, but on a shared machine it also counts the time spent waiting for a core that
 * another workload holds; CPU time counts only the work done, so a ratio of CPU times is stable
 * where wall times are noisy. Measured on both sides of the wire: this process and its finished
 * children (the CLI), and the PostgreSQL server's whole process tree (the postmaster, its live
 * children, and the children it has reaped: every backend that ran and exited).
 *
 * Units are milliseconds, at the kernel's clock-tick resolution (10 ms with USER_HZ = 100).
 */

/** True when /proc is there to read (Linux). */
export function cpuTimesAvailable(): boolean {
  return readStat("self") !== undefined;
}

/** CPU ms used by this process so far, and by its children that have exited. */
export function clientCpu(): { self: number; children: number } {
  const s = readStat("self");
  if (!s) return { self: 0, children: 0 };
  return { self: s.cpu, children: s.childCpu };
}

/** The postmaster's pid, from `postmaster.pid` in the server's data directory; undefined if not readable here. */
export function postmasterPid(dataDirectory: string): number | undefined {
  try {
    const pid = Number(fs.readFileSync(path.join(dataDirectory, "postmaster.pid"), "utf8").split("\n")[0]);
    return Number.isInteger(pid) && readStat(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * CPU ms the server has used so far: the postmaster itself, the children it has reaped, and its
 * live children (backends, checkpointer, WAL writer, autovacuum...).
 */
export function serverCpu(postmaster: number): number {
  const root = readStat(postmaster);
  if (!root) throw new Error(`PostgreSQL's postmaster (pid ${postmaster}) is gone`);
  let total = root.cpu + root.childCpu;
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const s = readStat(Number(entry));
    if (s && s.ppid === postmaster) total += s.cpu;
  }
  return total;
}
