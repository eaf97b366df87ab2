// A binary trie over address bits for longest-prefix lookups. Built once, then read only: the
// nodes live in typed arrays so a lookup allocates nothing but its result and touches at most
// one node per address bit. Pure.

export interface TrieEntry {
  bytes: Uint8Array;
  length: number;
  /** What the prefix maps to: an index the caller gives meaning to, 0 or more. */
  value: number;
}

export interface TrieMatch {
  /** The longest matching prefix's value, or -1 when no prefix covers the address. */
  value: number;
  /** That prefix's length (0 when none matched). */
  matchedLength: number;
  /**
   * Length of the widest block around the address over which the lookup gives the same result:
   * the matched prefix minus any more specific prefixes inside it. An answer may be cached for
   * this block (the ECS scope); never more than the bits looked at.
   */
  uniformLength: number;
}

export class PrefixTrie {
  private readonly zero: Int32Array;
  private readonly one: Int32Array;
  private readonly values: Int32Array;
  readonly size: number;

  /** Entries with the same bytes and length: the last one wins (callers reject duplicates first). */
  constructor(entries: readonly TrieEntry[]) {
    // One node per bit of each prefix at most, plus the root.
    const capacity = 1 + entries.reduce((n, e) => n + e.length, 0);
    this.zero = new Int32Array(capacity).fill(-1);
    this.one = new Int32Array(capacity).fill(-1);
    this.values = new Int32Array(capacity).fill(-1);
    let nodes = 1;
    for (const e of entries) {
      let node = 0;
      for (let bit = 0; bit < e.length; bit++) {
        const side = ((e.bytes[bit >> 3] ?? 0) >> (7 - (bit & 7))) & 1 ? this.one : this.zero;
        let next = side[node] ?? -1;
        if (next < 0) {
          next = nodes++;
          side[node] = next;
        }
        node = next;
      }
      this.values[node] = e.value;
    }
    this.size = entries.length;
  }

  /** The longest prefix covering the first `bits` bits of `bytes`. */
  lookup(bytes: Uint8Array, bits: number): TrieMatch {
    const { zero, one, values } = this;
    let node = 0;
    let value = -1;
    let matchedLength = 0;
    for (let depth = 0; ; depth++) {
      const v = values[node] as number;
      if (v >= 0) {
        value = v;
        matchedLength = depth;
      }
      if (depth === bits) return { value, matchedLength, uniformLength: depth };
      const z = zero[node] as number;
      const o = one[node] as number;
      const next = ((bytes[depth >> 3] as number) >> (7 - (depth & 7))) & 1 ? o : z;
      // Off the trie: a leaf's whole block shares its result, else only this half of it does.
      if (next < 0) return { value, matchedLength, uniformLength: z < 0 && o < 0 ? depth : depth + 1 };
      node = next;
    }
  }
}
