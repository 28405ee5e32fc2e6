/**
 * The word a user typed after a flag, for an error message about it: by the time a command sees
 * a number flag, yargs has turned `-p abc` into NaN, and `got "NaN"` tells nobody what was wrong.
 */
export function typedValue(names: string[], argv: readonly string[] = process.argv): string | undefined {
  const spellings = names.map((n) => (n.length === 1 ? `-${n}` : `--${n}`));
  let found: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i]!;
    if (spellings.includes(word) && i + 1 < argv.length) found = argv[i + 1];
    const eq = word.indexOf('=');
    if (eq !== -1 && spellings.includes(word.slice(0, eq))) found = word.slice(eq + 1);
  }
  return found;
}
