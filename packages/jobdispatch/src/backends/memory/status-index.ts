/**
 * The memory backend's ordered indexes: the records of one status, in that status's list order,
 * all together and per job type, in B+ trees (sorted-btree), so that a page of `list()` costs
 * O(limit + log n) and a count is read, not computed. A record sits in the index of its current
 * status only; the fields its comparator reads (`priority`, `runAt`, `order`) never change while
 * it is indexed: a change is a delete, the change, and an add.
 *
 * The per-type trees are built on the first page asked for one type (O(n log n) once) and kept up
 * to date from then on: a service that never lists by type never pays for them, in time or in
 * memory (about 20 bytes per record). Counts per type are kept always.
 *
 * A `lazy` index (queued, running: the statuses every job passes through) goes further: until a
 * page is first asked of it, it keeps its records in a Set (O(1) to add and delete, against
 * O(log n) for a tree) and builds its tree then, keeping it from then on. A service that never
 * lists queued or running jobs pays no tree operation on its hot path.
 *
 * An `appended` index (the finished statuses) is one whose records are added in index order (each
 * one after the last: `order` counts up as jobs finish). Until a page is first asked of it, it keeps
 * them in an array in that order: adding is a push, the oldest is the head, dropping it (what
 * retention does as every job finishes) moves the head on, and dropping any other record (an admin
 * remove or retry) marks it, to be skipped when the head reaches it. Expiry then costs O(1) per
 * record and allocates nothing, against a tree insert and delete. A record added out of order
 * makes it build its tree at once, and keep it.
 */
import sortedBtree from 'sorted-btree';

const BTree = sortedBtree.default;
type Tree<T> = InstanceType<typeof sortedBtree.default<T, undefined>>;

export interface Indexed {
  readonly name: string;
}

export class StatusIndex<T extends Indexed> {
  /** The ordered index; undefined while a lazy index has not been asked for a page. */
  private all: Tree<T> | undefined;
  /** A lazy index's records until then. */
  private pending: Set<T> | undefined;
  /** An appended index's records until then, in index order from `head` on (see the header). */
  private log: T[] | undefined;
  private head = 0;
  /** Records of `log` dropped but not yet passed by `head`. */
  private dropped: Set<T> | undefined;
  private logSize = 0;
  /** Per type, once a page by type was asked for. */
  private byName: Map<string, Tree<T>> | undefined;
  private readonly counts = new Map<string, number>();

  constructor(
    private readonly compare: (a: T, b: T) => number,
    options: { readonly lazy?: boolean; readonly appended?: boolean } = {},
  ) {
    if (options.lazy === true) this.pending = new Set();
    else if (options.appended === true) this.log = [];
    else this.all = new BTree<T, undefined>(undefined, compare);
  }

  get size(): number {
    return this.all?.size ?? this.pending?.size ?? this.logSize;
  }

  sizeOf(name: string): number {
    return this.counts.get(name) ?? 0;
  }

  add(item: T): void {
    if (this.log !== undefined) {
      const last = this.log[this.log.length - 1];
      if (last === undefined || this.compare(last, item) < 0) {
        this.log.push(item);
        this.logSize++;
        this.counts.set(item.name, (this.counts.get(item.name) ?? 0) + 1);
        return;
      }
      this.tree(); // out of order (or already there): the tree takes over
    }
    if (this.all === undefined) {
      const pending = this.pending as Set<T>;
      if (pending.has(item)) return;
      pending.add(item);
    } else if (!this.all.set(item, undefined)) {
      return; // already there
    }
    this.counts.set(item.name, (this.counts.get(item.name) ?? 0) + 1);
    if (this.byName !== undefined) this.named(this.byName, item.name).set(item, undefined);
  }

  delete(item: T): void {
    const removed =
      this.log !== undefined
        ? this.dropFromLog(item)
        : this.all === undefined
          ? (this.pending as Set<T>).delete(item)
          : this.all.delete(item);
    if (!removed) return;
    const left = (this.counts.get(item.name) ?? 1) - 1;
    if (left === 0) this.counts.delete(item.name);
    else this.counts.set(item.name, left);
    const named = this.byName?.get(item.name);
    if (named === undefined) return;
    named.delete(item);
    if (named.size === 0) this.byName?.delete(item.name);
  }

  /** The first item in index order (the oldest, for the finished statuses). */
  first(): T | undefined {
    if (this.log !== undefined) return this.logSize === 0 ? undefined : this.log[this.head];
    return this.tree().minKey();
  }

  /**
   * Up to `max` items after `after` (strictly; from the start without it), in index order or, with
   * `descending`, in reverse; only those of type `name` when it is given.
   */
  page(name: string | undefined, after: T | undefined, max: number, descending: boolean): T[] {
    const tree = name === undefined ? this.tree() : this.typeTrees().get(name);
    const items: T[] = [];
    if (tree === undefined || max <= 0) return items;
    const pairs = descending ? tree.entriesReversed(after, undefined, true) : tree.entries(after);
    for (const [item] of pairs) {
      if (after !== undefined && this.compare(item, after) === 0) continue;
      items.push(item);
      if (items.length >= max) break;
    }
    return items;
  }

  /** The ordered index, built now if this is a lazy or appended index's first page. */
  private tree(): Tree<T> {
    if (this.all === undefined) {
      const tree = new BTree<T, undefined>(undefined, this.compare);
      if (this.log !== undefined) {
        for (let i = this.head; i < this.log.length; i++) {
          const item = this.log[i] as T;
          if (this.dropped?.has(item) !== true) tree.set(item, undefined);
        }
      } else {
        for (const item of this.pending as Set<T>) tree.set(item, undefined);
      }
      this.all = tree;
      this.pending = undefined;
      this.log = undefined;
      this.dropped = undefined;
    }
    return this.all;
  }

  /** Takes `item` out of the log; false when it is not there. */
  private dropFromLog(item: T): boolean {
    const log = this.log as T[];
    if (this.logSize === 0) return false;
    if (log[this.head] !== item) {
      // Not the oldest (rare: an admin remove or retry): find it, and mark it dropped.
      if (this.dropped?.has(item) === true || !this.inLog(item)) return false;
      (this.dropped ??= new Set()).add(item);
      this.logSize--;
      return true;
    }
    this.head++;
    this.logSize--;
    // Skip what was dropped behind it, so that the head is always a record in the index.
    while (this.dropped !== undefined && this.head < log.length) {
      const next = log[this.head] as T;
      if (!this.dropped.delete(next)) break;
      this.head++;
      if (this.dropped.size === 0) this.dropped = undefined;
    }
    // Give the passed slots back once they are at least half the array: O(1) amortised.
    if (this.head >= 1024 && this.head * 2 >= log.length) {
      this.log = log.slice(this.head);
      this.head = 0;
    }
    return true;
  }

  /** Whether `item` is among the log's entries (in index order, so a binary search finds it). */
  private inLog(item: T): boolean {
    const log = this.log as T[];
    let low = this.head;
    let high = log.length - 1;
    while (low <= high) {
      const mid = (low + high) >>> 1;
      const order = this.compare(log[mid] as T, item);
      if (order === 0) return log[mid] === item;
      if (order < 0) low = mid + 1;
      else high = mid - 1;
    }
    return false;
  }

  private typeTrees(): Map<string, Tree<T>> {
    if (this.byName === undefined) {
      const byName = new Map<string, Tree<T>>();
      this.tree().forEachPair((item) => {
        this.named(byName, item.name).set(item, undefined);
      });
      this.byName = byName;
    }
    return this.byName;
  }

  private named(byName: Map<string, Tree<T>>, name: string): Tree<T> {
    let tree = byName.get(name);
    if (tree === undefined) {
      tree = new BTree<T, undefined>(undefined, this.compare);
      byName.set(name, tree);
    }
    return tree;
  }
}
