/**
 * Levenshtein distance over code points (not UTF-16 units), so a tone-marked pinyin vowel
 * counts as one edit like any other letter.
 */
export function editDistance(a: string, b: string): number {
  const x = Array.from(a);
  const y = Array.from(b);
  let prev = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const cur = [i];
    for (let j = 1; j <= y.length; j++) {
      const substitution = (prev[j - 1] ?? 0) + (x[i - 1] === y[j - 1] ? 0 : 1);
      cur.push(Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, substitution));
    }
    prev = cur;
  }
  return prev[y.length] ?? 0;
}

/**
 * The candidate nearest to `word`, or undefined when even the best is further than
 * `maxDistance`. Ties go to the candidate whose length matches `word` (a wrong stress digit
 * is likelier than a dropped one), then to the earliest in the list, which keeps it stable.
 */
export function nearest(word: string, candidates: Iterable<string>, maxDistance: number): string | undefined {
  let best: string | undefined;
  let bestScore = Infinity;
  const len = Array.from(word).length;
  for (const c of candidates) {
    const d = editDistance(word, c);
    if (d > maxDistance) continue;
    const score = d * 2 + (Array.from(c).length === len ? 0 : 1);
    if (score < bestScore) {
      best = c;
      bestScore = score;
    }
  }
  return best;
}
