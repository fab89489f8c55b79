/** Bytes for people: `512 B`, `12.3 KiB`, `4.5 MiB`, `1.20 GiB`. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 ** 2) return `${(bytes / 1024).toFixed(1)} KiB`;
  if (bytes < 1024 ** 3) return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
  return `${(bytes / 1024 ** 3).toFixed(2)} GiB`;
}

/** A transfer rate for people: `4.5 MiB/s`; empty before any time has passed. */
export function formatRate(bytes: number, ms: number): string {
  return ms > 0 ? `${formatBytes(Math.round((bytes * 1000) / ms))}/s` : "";
}

/**
 * Calls `show` at most every `everyMs` (default 200) with the text of a transfer's progress:
 * `dumping 12.3 MiB, 4.5 MiB/s` or, with a total, `restoring 12.3 MiB of 40.0 MiB, 4.5 MiB/s`.
 */
export function throttledProgress(show: (text: string) => void, everyMs = 200): (verb: string, bytes: number, elapsedMs: number, total?: number) => void {
  let shownAt = -Infinity;
  return (verb, bytes, elapsedMs, total) => {
    if (elapsedMs - shownAt < everyMs && (total === undefined || bytes < total)) return;
    shownAt = elapsedMs;
    const rate = formatRate(bytes, elapsedMs);
    show(`${verb} ${formatBytes(bytes)}${total !== undefined ? ` of ${formatBytes(total)}` : ""}${rate ? `, ${rate}` : ""}`);
  };
}
