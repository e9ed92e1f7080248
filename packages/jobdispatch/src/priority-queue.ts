/**
 * The in-memory bounded strict-priority queue: the memory backend's queue, also usable alone.
 *
 * Invariants:
 * - Dequeue is strict: the oldest job of the highest non-empty level, High > Normal > Low; FIFO
 *   within a level. (With the opt-in `maxWaitMs`, a job that has waited longer than its level's
 *   limit competes as if it were one level higher, so Low work cannot starve forever.)
 * - Each level holds at most `capacityPerLevel` jobs; a full level or a closed queue refuses at
 *   once (`enqueue` returns false), it never blocks.
 * - Enqueue, dequeue, remove and promote cost O(1) in the number of queued jobs: each level keeps
 *   one FIFO linked list per job type (so a consumer that may not run some type skips that whole
 *   list instead of scanning past its jobs) and entries are indexed by job id once a lookup by id
 *   is first asked for. A dequeue looks
 *   at the head of each type's list, so its cost grows with the number of job types queued, not of
 *   jobs.
 * - A `dequeue()` waiting on an empty queue is handed the next enqueued job directly.
 */
import { checkAging, checkCapacity } from './errors.js';
import { type Job, type JobPriority, JobPriority as P, normalizePriority } from './job.js';

/** Jobs per level, by default. */
export const DEFAULT_CAPACITY_PER_LEVEL = 1000;

export interface QueueStats {
  readonly high: number;
  readonly normal: number;
  readonly low: number;
}

export interface PriorityJobQueueOptions {
  /** Jobs each level may hold. Default `DEFAULT_CAPACITY_PER_LEVEL` (1000). */
  readonly capacityPerLevel?: number;
  /**
   * Opt-in aging: after waiting this long, a Normal or Low job is served as if it were one level
   * higher. Off by default (strict order).
   */
  readonly maxWaitMs?: { readonly normal?: number; readonly low?: number };
  /** The clock used for aging. Default `Date.now`. */
  readonly now?: () => number;
}

/**
 * A queued job's place. Entries are recycled (see `ENTRY_POOL_SIZE`): `job` is undefined only
 * while an entry waits in the pool.
 */
interface Entry {
  job: Job | undefined;
  seq: number;
  queuedAt: number;
  level: JobPriority;
  list: TypeList;
  prev: Entry | undefined;
  next: Entry | undefined;
}

/** One job type's FIFO within one level: an intrusive doubly linked list. */
class TypeList {
  head: Entry | undefined;
  tail: Entry | undefined;
  /** Position in its level's `active` array while the list is not empty, else -1. */
  slot = -1;
  constructor(readonly jobType: string) {}

  push(entry: Entry): void {
    entry.list = this;
    entry.prev = this.tail;
    entry.next = undefined;
    if (this.tail) this.tail.next = entry;
    else this.head = entry;
    this.tail = entry;
  }

  pushFront(entry: Entry): void {
    entry.list = this;
    entry.prev = undefined;
    entry.next = this.head;
    if (this.head) this.head.prev = entry;
    else this.tail = entry;
    this.head = entry;
  }

  unlink(entry: Entry): void {
    if (entry.prev) entry.prev.next = entry.next;
    else this.head = entry.next;
    if (entry.next) entry.next.prev = entry.prev;
    else this.tail = entry.prev;
    entry.prev = entry.next = undefined;
  }
}

/** Emptied type lists a level keeps for reuse, so a type that comes and goes allocates nothing. */
const IDLE_LISTS_KEPT = 16;

class Level {
  /** Every list of this level, by job type: the non-empty ones and a few idle ones. */
  private readonly lists = new Map<string, TypeList>();
  /** The non-empty lists, so that a dequeue looks only at types that are queued. */
  private readonly active: TypeList[] = [];
  /** The list of the latest push: runs of one job type skip the map. */
  private last: TypeList | undefined;
  size = 0;

  push(entry: Entry, jobType: string, front = false): void {
    let list = this.last;
    if (list === undefined || list.jobType !== jobType) {
      list = this.lists.get(jobType);
      if (list === undefined) {
        list = new TypeList(jobType);
        this.lists.set(jobType, list);
      }
      this.last = list;
    }
    if (list.slot < 0) list.slot = this.active.push(list) - 1;
    if (front) list.pushFront(entry);
    else list.push(entry);
    this.size++;
  }

  unlink(entry: Entry): void {
    const list = entry.list;
    list.unlink(entry);
    this.size--;
    if (list.head !== undefined) return;
    // Swap-remove from `active`: O(1), and the order of `active` does not matter.
    const moved = this.active.pop() as TypeList;
    if (moved !== list) {
      this.active[list.slot] = moved;
      moved.slot = list.slot;
    }
    list.slot = -1;
    if (this.lists.size > this.active.length + IDLE_LISTS_KEPT) {
      this.lists.delete(list.jobType);
      if (this.last === list) this.last = undefined;
    }
  }

  /** The first entry of every non-empty list. */
  *heads(): IterableIterator<Entry> {
    for (const list of this.active) yield list.head as Entry;
  }

  /** The oldest entry among the heads of the types `canRun` accepts. */
  oldestHead(canRun: ((jobType: string) => boolean) | undefined): Entry | undefined {
    const active = this.active;
    if (canRun === undefined && active.length === 1) return (active[0] as TypeList).head;
    let best: Entry | undefined;
    for (let i = 0; i < active.length; i++) {
      const list = active[i] as TypeList;
      const head = list.head as Entry;
      if (canRun !== undefined && !canRun(list.jobType)) continue;
      if (best === undefined || head.seq < best.seq) best = head;
    }
    return best;
  }
}

/**
 * Released entries kept for reuse, at most (about 1.3 MB). A fresh entry per job is a young object
 * stored in the long-lived id index, and the scavenger tends to promote such objects (through the
 * index's discarded backing stores) before they die: measured with bench/dispatch.bench.ts, fresh
 * entries cost about 15% of the queue's throughput, mostly in GC.
 */
const ENTRY_POOL_SIZE = 16_384;

type Waiter = (job: Job | null) => void;

/** Where `enqueue` puts a job. */
export interface Placement {
  /** At the front of its level rather than the back (a job given back, to run next). */
  readonly front?: boolean;
  /** Even when its level is full (a job accepted earlier, coming back: refusing would drop it). */
  readonly force?: boolean;
}

export class PriorityJobQueue {
  readonly capacityPerLevel: number;
  private readonly levels: readonly [Level, Level, Level] = [new Level(), new Level(), new Level()];
  /**
   * Entries by job id, for `has`, `levelOf`, `remove` and `promote`. Built on the first of those
   * calls and kept up to date from then on: a queue used only to enqueue and dequeue (the hot path)
   * never pays for the three map operations per job it would cost (about a third of its time).
   */
  private index: Map<string, Entry> | undefined;
  private count = 0;
  private readonly waiters: Waiter[] = [];
  private readonly pool: Entry[] = [];
  private readonly agingMs: readonly [number, number, number];
  /** Whether any level ages; when none does, no clock is read at all. */
  private readonly aging: boolean;
  private readonly now: () => number;
  private seq = 0;
  private frontSeq = 0;
  private isClosed = false;

  constructor(options: PriorityJobQueueOptions = {}) {
    this.capacityPerLevel = checkCapacity(options.capacityPerLevel ?? DEFAULT_CAPACITY_PER_LEVEL);
    this.agingMs = [
      checkAging('maxWaitMs.low', options.maxWaitMs?.low),
      checkAging('maxWaitMs.normal', options.maxWaitMs?.normal),
      Infinity,
    ];
    this.aging = this.agingMs[P.Low] !== Infinity || this.agingMs[P.Normal] !== Infinity;
    this.now = options.now ?? Date.now;
  }

  /** Total jobs queued. */
  get size(): number {
    return this.count;
  }

  get closed(): boolean {
    return this.isClosed;
  }

  stats(): QueueStats {
    return {
      high: this.levels[P.High].size,
      normal: this.levels[P.Normal].size,
      low: this.levels[P.Low].size,
    };
  }

  /**
   * Adds a job at the back of its priority level (a missing or invalid priority means Normal).
   * Returns false, at once, when the queue is closed or the level is full. Job ids must be unique
   * among the queued jobs for `has`, `remove` and `promote` to find them; the queue does not check
   * (the Dispatcher's backends do), so that an enqueue costs no lookup.
   */
  enqueue(job: Job, placement: Placement = {}): boolean {
    if (this.isClosed) return false;
    const level = normalizePriority(job.priority);
    if (placement.force !== true && this.levels[level].size >= this.capacityPerLevel) return false;
    if (this.waiters.length > 0) {
      (this.waiters.shift() as Waiter)(job);
      return true;
    }
    this.insert(job, level, undefined, placement.front === true);
    return true;
  }

  /** Jobs queued at one level. */
  sizeOf(priority: JobPriority): number {
    return this.levels[priority].size;
  }

  /**
   * The oldest job of the highest non-empty level, waiting while the queue is empty; `null` once
   * the queue is closed and empty.
   */
  dequeue(): Promise<Job | null> {
    const job = this.tryDequeue();
    if (job !== undefined) return Promise.resolve(job);
    if (this.isClosed) return Promise.resolve(null);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /**
   * Takes the next job without waiting. With `canRun`, only jobs whose type it accepts are
   * considered, and priority order holds among those (a type that may not run does not hold back
   * the others).
   */
  tryDequeue(canRun?: (jobType: string) => boolean): Job | undefined {
    const entry = this.select(canRun);
    return entry === undefined ? undefined : this.unlink(entry);
  }

  /** True while the job is queued here. */
  has(id: string): boolean {
    return this.indexed().has(id);
  }

  /** The priority the job is queued at, or undefined when it is not queued. */
  levelOf(id: string): JobPriority | undefined {
    return this.indexed().get(id)?.level;
  }

  /** Takes a queued job out (a cancel). Returns it, or undefined if it was not queued. */
  remove(id: string): Job | undefined {
    const entry = this.indexed().get(id);
    return entry === undefined ? undefined : this.unlink(entry);
  }

  /**
   * Moves a queued job up to a higher level, at the back of that level: it is ordered by the time
   * the higher-priority demand arrived, as a fresh submit at that level would be, so it never
   * overtakes jobs that were already waiting there. Returns false when the job is not queued, is
   * already at that level or higher, or the target level is full.
   */
  promote(id: string, priority: JobPriority): boolean {
    const entry = this.indexed().get(id);
    if (entry === undefined || entry.level >= priority) return false;
    if (this.levels[priority].size >= this.capacityPerLevel) return false;
    const queuedAt = entry.queuedAt;
    this.insert(this.unlink(entry), priority, queuedAt);
    return true;
  }

  /** Refuses further jobs; waiting `dequeue()` calls resolve `null` once the queue is empty. */
  close(): void {
    this.isClosed = true;
    for (const waiter of this.waiters.splice(0)) waiter(null);
  }

  /** Removes and returns every queued job, highest priority first. */
  drain(): Job[] {
    const jobs: Job[] = [];
    for (let job = this.tryDequeue(); job !== undefined; job = this.tryDequeue()) jobs.push(job);
    return jobs;
  }

  private insert(job: Job, level: JobPriority, queuedAt?: number, front = false): void {
    // Only aging reads `queuedAt`: without aging, enqueue never reads the clock.
    const at = queuedAt ?? (this.aging ? this.now() : 0);
    // Front entries count down from -1, so the latest one put at the front is served first.
    const seq = front ? --this.frontSeq : this.seq++;
    let entry = this.pool.pop();
    if (entry === undefined) {
      entry = {
        job,
        seq,
        queuedAt: at,
        level,
        list: undefined as unknown as TypeList, // set by push() just below
        prev: undefined,
        next: undefined,
      };
    } else {
      entry.job = job;
      entry.seq = seq;
      entry.queuedAt = at;
      entry.level = level;
    }
    this.levels[level].push(entry, job.name, front);
    this.count++;
    this.index?.set(job.id, entry);
  }

  /** The id index, built from the lists on first use. */
  private indexed(): Map<string, Entry> {
    if (this.index === undefined) {
      const index = new Map<string, Entry>();
      for (const level of this.levels) {
        for (const head of level.heads()) {
          for (let entry: Entry | undefined = head; entry !== undefined; entry = entry.next) {
            index.set((entry.job as Job).id, entry);
          }
        }
      }
      this.index = index;
    }
    return this.index;
  }

  /** Takes the entry out of its list and the index, recycles it, and returns its job. */
  private unlink(entry: Entry): Job {
    const job = entry.job as Job;
    this.levels[entry.level].unlink(entry);
    this.count--;
    this.index?.delete(job.id);
    if (this.pool.length < ENTRY_POOL_SIZE) {
      entry.job = undefined; // the pool must not keep a job alive
      this.pool.push(entry);
    }
    return job;
  }

  private select(canRun: ((jobType: string) => boolean) | undefined): Entry | undefined {
    if (!this.aging) {
      for (let level = P.High as number; level >= P.Low; level--) {
        const candidate = this.levels[level as JobPriority].oldestHead(canRun);
        if (candidate !== undefined) return candidate;
      }
      return undefined;
    }
    if (this.count === 0) return undefined;
    let best: Entry | undefined;
    let bestRank = -1;
    const now = this.now();
    for (let level = P.High as number; level >= P.Low; level--) {
      // A level can reach at most one above itself; nothing below can beat the best found.
      if (level + 1 < bestRank) break;
      const candidate = this.levels[level as JobPriority].oldestHead(canRun);
      if (candidate === undefined) continue;
      const aged = now - candidate.queuedAt >= this.agingMs[level as JobPriority];
      const rank = level + (aged ? 1 : 0);
      if (
        rank > bestRank ||
        (rank === bestRank && best !== undefined && candidate.seq < best.seq)
      ) {
        best = candidate;
        bestRank = rank;
      }
    }
    return best;
  }
}
