/**
 * The memory backend's ordered indexes: the records of one status, in that status's list order,
 * all together and per job type, in B+ trees (sorted-btree), so that a page of `list()` costs
 * O(limit + log n) and a count is read, not computed. A record sits in the index of its current
 * status only; the fields its comparator reads (`priority`, `runAt`, `order`) never change while
 * it is indexed: a change is a delete, the change, and an add.
 */
import sortedBtree from 'sorted-btree';

const BTree = sortedBtree.default;
type Tree<T> = InstanceType<typeof sortedBtree.default<T, undefined>>;

export interface Indexed {
  readonly name: string;
}

export class StatusIndex<T extends Indexed> {
  private readonly all: Tree<T>;
  private readonly byName = new Map<string, Tree<T>>();

  constructor(private readonly compare: (a: T, b: T) => number) {
    this.all = new BTree<T, undefined>(undefined, compare);
  }

  get size(): number {
    return this.all.size;
  }

  sizeOf(name: string): number {
    return this.byName.get(name)?.size ?? 0;
  }

  add(item: T): void {
    this.all.set(item, undefined);
    let named = this.byName.get(item.name);
    if (named === undefined) {
      named = new BTree<T, undefined>(undefined, this.compare);
      this.byName.set(item.name, named);
    }
    named.set(item, undefined);
  }

  delete(item: T): void {
    this.all.delete(item);
    const named = this.byName.get(item.name);
    if (named === undefined) return;
    named.delete(item);
    if (named.size === 0) this.byName.delete(item.name);
  }

  /** The first item in index order (the oldest, for the finished statuses). */
  first(): T | undefined {
    return this.all.minKey();
  }

  /**
   * Up to `max` items after `after` (strictly; from the start without it), in index order or, with
   * `descending`, in reverse; only those of type `name` when it is given.
   */
  page(name: string | undefined, after: T | undefined, max: number, descending: boolean): T[] {
    const tree = name === undefined ? this.all : this.byName.get(name);
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
}
