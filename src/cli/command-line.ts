/**
 * Reading flags from the command line as typed, for when commander refused it (an unknown flag, a
 * bad value) and its parse cannot be trusted: what output format was asked for still decides what
 * goes to stdout. Only what comes before `--` counts (after it, every word is an argument).
 */

/** The words of `argv` before `--`. */
function flagWords(argv: readonly string[]): readonly string[] {
  const end = argv.indexOf("--");
  return end === -1 ? argv : argv.slice(0, end);
}

/** True when `flag` (`--json`) is anywhere on the command line. */
export function flagGiven(argv: readonly string[], flag: string): boolean {
  return flagWords(argv).some((word) => word === flag || word.startsWith(`${flag}=`));
}

/** The last value given to `flag` (`--format sarif` or `--format=sarif`), if any: the one commander would keep. */
export function flagValue(argv: readonly string[], flag: string): string | undefined {
  const words = flagWords(argv);
  let value: string | undefined;
  for (let i = 0; i < words.length; i++) {
    if (words[i] === flag && i + 1 < words.length) value = words[++i];
    else if (words[i].startsWith(`${flag}=`)) value = words[i].slice(flag.length + 1);
  }
  return value;
}
