/**
 * "Did you mean …?" for a misspelt name (a config key, a rule id, a directive): the closest known
 * name by edit distance, when it is close enough to be a likely typo.
 */

/** Options of {@link closestName}. */
export interface ClosestNameOptions {
  /** Compare ignoring case (`lockTimeout` for `locktimeout`). Default false. */
  ignoreCase?: boolean;
  /** The largest edit distance still suggested. Default: 2, or a quarter of the name's length when longer. */
  maxDistance?: number;
}

/** The known name closest to `name`, or undefined when none is close enough. Ties go to the first in `known`. */
export function closestName(name: string, known: Iterable<string>, options: ClosestNameOptions = {}): string | undefined {
  const fold = (s: string) => (options.ignoreCase ? s.toLowerCase() : s);
  const wanted = fold(name);
  let best: string | undefined;
  let bestDistance = (options.maxDistance ?? Math.max(2, Math.floor(name.length / 4))) + 1;
  for (const candidate of known) {
    const d = editDistance(wanted, fold(candidate));
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

/** ` (did you mean X?)` for the closest known name, shown by `show`; `""` when none is close. */
export function didYouMean(name: string, known: Iterable<string>, options: ClosestNameOptions & { show?: (name: string) => string } = {}): string {
  const close = closestName(name, known, options);
  return close === undefined ? "" : ` (did you mean ${(options.show ?? ((n) => n))(close)}?)`;
}

/** Levenshtein distance: insertions, deletions and substitutions. */
export function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length];
}
