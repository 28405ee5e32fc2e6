/**
 * The limits a CONNACK does not advertise (longest topic, deepest topic, largest payload) are
 * found by trying, with bounded effort: double from a starting guess until a trial fails or the
 * cap is reached, then halve the gap between the largest success and the smallest failure.
 */
export interface Limit {
  /** The largest value that was accepted; undefined when even `floor` + 1 failed. */
  value: number | undefined;
  /** true: value + 1 was refused, so value is the limit; false: a lower bound (cap or trials ran out). */
  exact: boolean;
  trials: number;
}

export interface SearchBounds {
  /** Assumed to be accepted without a trial (0 for a payload, 1 for a depth). */
  floor: number;
  start: number;
  cap: number;
  maxTrials: number;
}

export async function largestAccepted(
  trial: (n: number) => Promise<boolean>,
  { floor, start, cap, maxTrials }: SearchBounds,
): Promise<Limit> {
  let good = floor;
  let bad: number | undefined;
  let trials = 0;
  let n = Math.min(Math.max(start, floor + 1), cap);
  while (bad === undefined && trials < maxTrials) {
    trials++;
    if (await trial(n)) {
      good = n;
      if (n >= cap) return { value: good, exact: false, trials };
      n = Math.min(n * 2, cap);
    } else {
      bad = n;
    }
  }
  while (bad !== undefined && bad - good > 1 && trials < maxTrials) {
    const mid = Math.floor((good + bad) / 2);
    trials++;
    if (await trial(mid)) good = mid;
    else bad = mid;
  }
  const exact = bad !== undefined && bad - good === 1;
  return { value: good > floor || exact ? good : undefined, exact, trials };
}
