import * as net from "node:net";

/** Options of {@link waitForPort}. */
export interface WaitForPortOptions {
  /** How long to keep trying, ms; 0 tries once. */
  timeoutMs: number;
  /** Pause between attempts, ms. Default 2000. */
  intervalMs?: number;
  /** Called once, when the first attempt fails: tell the user what to start. */
  onWaiting?: () => void;
}

/** Whether something accepts TCP connections on `host:port` now. */
export function acceptsConnections(host: string, port: number, timeoutMs = 3000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

/**
 * Waits until `host:port` accepts TCP connections — the local end of `dbpipe tunnel` — and returns
 * true, or false once `timeoutMs` has passed without one. Only connects and closes: nothing is sent.
 */
export async function waitForPort(host: string, port: number, options: WaitForPortOptions): Promise<boolean> {
  const deadline = Date.now() + options.timeoutMs;
  let told = false;
  for (;;) {
    if (await acceptsConnections(host, port)) return true;
    if (Date.now() >= deadline) return false;
    if (!told) {
      told = true;
      options.onWaiting?.();
    }
    await new Promise((r) => setTimeout(r, Math.min(options.intervalMs ?? 2000, Math.max(0, deadline - Date.now()))));
  }
}
