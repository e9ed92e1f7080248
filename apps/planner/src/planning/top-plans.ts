/**
 * A bounded heap of the best plans seen so far, stored in flat typed arrays (no object per plan,
 * so offering 810,000 plans allocates nothing). Plans are ranked by score, higher first, and on
 * equal scores by sequence number (enumeration order), lower first: a total order, so the kept
 * set never depends on how ties arrive. The root is the worst kept plan.
 */

export interface RankedPlan {
  readonly score: number;
  /** Position of the combination in enumeration order; unique per plan. */
  readonly seq: number;
  /** Index of the chosen candidate in each slot. */
  readonly choices: readonly number[];
}

/** True when plan (scoreA, seqA) ranks below plan (scoreB, seqB). */
export function ranksBelow(scoreA: number, seqA: number, scoreB: number, seqB: number): boolean {
  return scoreA < scoreB || (scoreA === scoreB && seqA > seqB);
}

export class TopPlans {
  private readonly scores: Float64Array;
  private readonly seqs: Float64Array;
  private readonly choices: Int32Array;
  /** heap[i] is the storage row of the i-th heap entry. */
  private readonly heap: Int32Array;
  private count = 0;

  constructor(
    readonly capacity: number,
    private readonly slots: number,
  ) {
    this.scores = new Float64Array(capacity);
    this.seqs = new Float64Array(capacity);
    this.choices = new Int32Array(capacity * slots);
    this.heap = new Int32Array(capacity);
  }

  get size(): number {
    return this.count;
  }

  get full(): boolean {
    return this.count === this.capacity;
  }

  /** The score of the worst kept plan once full; -Infinity before (anything is kept). */
  get threshold(): number {
    return this.count < this.capacity ? -Infinity : (this.scores[this.heap[0] ?? 0] ?? -Infinity);
  }

  /** True if a plan of this rank would be kept now. */
  accepts(score: number, seq: number): boolean {
    if (this.count < this.capacity) return true;
    const root = this.heap[0] ?? 0;
    return ranksBelow(this.scores[root] ?? 0, this.seqs[root] ?? 0, score, seq);
  }

  /** Keeps the plan if it ranks among the best `capacity`; `choices` is copied. */
  offer(score: number, seq: number, choices: ArrayLike<number>): void {
    if (!this.accepts(score, seq)) return;
    let row: number;
    if (this.count < this.capacity) {
      row = this.count;
      this.heap[this.count] = row;
      this.count++;
      this.write(row, score, seq, choices);
      this.siftUp(this.count - 1);
    } else {
      row = this.heap[0] ?? 0;
      this.write(row, score, seq, choices);
      this.siftDown(0);
    }
  }

  /** The kept plans, best first. */
  ranked(): RankedPlan[] {
    const plans: RankedPlan[] = [];
    for (let i = 0; i < this.count; i++) {
      const row = this.heap[i] ?? 0;
      const start = row * this.slots;
      plans.push({
        score: this.scores[row] ?? 0,
        seq: this.seqs[row] ?? 0,
        choices: Array.from(this.choices.subarray(start, start + this.slots)),
      });
    }
    return plans.sort((a, b) => (ranksBelow(a.score, a.seq, b.score, b.seq) ? 1 : -1));
  }

  private write(row: number, score: number, seq: number, choices: ArrayLike<number>): void {
    this.scores[row] = score;
    this.seqs[row] = seq;
    const start = row * this.slots;
    for (let s = 0; s < this.slots; s++) this.choices[start + s] = choices[s] ?? 0;
  }

  /** True if heap entry i should sit above heap entry j (ranks below it: the root is worst). */
  private above(i: number, j: number): boolean {
    const a = this.heap[i] ?? 0;
    const b = this.heap[j] ?? 0;
    return ranksBelow(
      this.scores[a] ?? 0,
      this.seqs[a] ?? 0,
      this.scores[b] ?? 0,
      this.seqs[b] ?? 0,
    );
  }

  private swap(i: number, j: number): void {
    const t = this.heap[i] ?? 0;
    this.heap[i] = this.heap[j] ?? 0;
    this.heap[j] = t;
  }

  private siftUp(index: number): void {
    let i = index;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.above(i, parent)) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  private siftDown(index: number): void {
    let i = index;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let top = i;
      if (left < this.count && this.above(left, top)) top = left;
      if (right < this.count && this.above(right, top)) top = right;
      if (top === i) return;
      this.swap(i, top);
      i = top;
    }
  }
}
