/**
 * A short "what changed" for a stale generated file: the lines only one side has, with
 * their line numbers, from a longest-common-subsequence line diff. Generated files are a
 * few hundred lines at most; beyond MAX_CELLS the hint falls back to the first difference.
 */
const MAX_CELLS = 4_000_000;

export function lineDiffHint(committed: string, expected: string, maxLines = 12): string[] {
  const a = committed.split('\n');
  const b = expected.split('\n');
  const changes = a.length * b.length > MAX_CELLS ? firstDifference(a, b) : lcsChanges(a, b);
  const shown = changes.slice(0, maxLines);
  if (changes.length > shown.length) shown.push(`  ... and ${changes.length - shown.length} more changed lines`);
  return shown;
}

function lcsChanges(a: string[], b: string[]): string[] {
  // lengths[i][j]: LCS length of a[i..] and b[j..]
  const lengths = Array.from({ length: a.length + 1 }, () => new Uint32Array(b.length + 1));
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      lengths[i]![j] = a[i] === b[j] ? lengths[i + 1]![j + 1]! + 1 : Math.max(lengths[i + 1]![j]!, lengths[i]![j + 1]!);
    }
  }
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      i++;
      j++;
    } else if (i < a.length && (j === b.length || lengths[i + 1]![j]! >= lengths[i]![j + 1]!)) {
      out.push(`- line ${i + 1}: ${a[i]}`);
      i++;
    } else {
      out.push(`+ line ${j + 1}: ${b[j]}`);
      j++;
    }
  }
  return out;
}

function firstDifference(a: string[], b: string[]): string[] {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return [`- line ${i + 1}: ${a[i] ?? '(end of file)'}`, `+ line ${i + 1}: ${b[i] ?? '(end of file)'}`];
}
