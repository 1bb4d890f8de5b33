/**
 * A small seeded PRNG (sfc32) and the random-looking identifiers CloudTrail is full of. Everything the
 * generator writes comes from an Rng built from (seed, stream), so a file's content depends only on
 * the seed and the file's index, never on which worker wrote it or in which order.
 */

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
/** AWS key and principal ids use base32 letters and digits. */
const B32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

function mix32(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x7feb352d);
  x = Math.imul(x ^ (x >>> 15), 0x846ca68b);
  return (x ^ (x >>> 16)) >>> 0;
}

export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number, stream: number) {
    this.a = mix32(seed ^ 0x9e3779b9);
    this.b = mix32(stream ^ 0x85ebca6b);
    this.c = mix32((seed + Math.imul(stream, 0x27d4eb2f)) | 0);
    this.d = 1;
    for (let i = 0; i < 12; i++) this.u32();
  }

  u32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  float(): number {
    return this.u32() / 4294967296;
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.float() * n);
  }

  /** Integer in [lo, hi]. */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  chance(p: number): boolean {
    return this.float() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)] as T;
  }

  hex(n: number): string {
    let s = '';
    while (s.length < n) {
      const x = this.u32();
      s += HEX[x & 255]! + HEX[(x >>> 8) & 255]! + HEX[(x >>> 16) & 255]! + HEX[x >>> 24]!;
    }
    return s.length === n ? s : s.slice(0, n);
  }

  private chars(alphabet: string, n: number): string {
    let s = '';
    for (let i = 0; i < n; i++) s += alphabet[this.int(alphabet.length)];
    return s;
  }

  b32(n: number): string {
    return this.chars(B32, n);
  }

  alnum(n: number): string {
    return this.chars(ALNUM, n);
  }

  b64(n: number): string {
    return this.chars(B64, n);
  }

  uuid(): string {
    const h = this.hex(32);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${'89ab'[this.int(4)]}${h.slice(17, 20)}-${h.slice(20, 32)}`;
  }
}

/**
 * A bijection on 48-bit integers (4-round Feistel over two 24-bit halves), so that ids derived from a
 * global event index are unique across the whole export yet look random.
 */
export function scramble48(index: number, key: number): number {
  let l = Math.floor(index / 0x1000000) & 0xffffff;
  let r = index & 0xffffff;
  for (let round = 0; round < 4; round++) {
    const f = mix32(r ^ Math.imul(key + round, 0x9e3779b1)) & 0xffffff;
    [l, r] = [r, l ^ f];
  }
  return l * 0x1000000 + r;
}

/** A UUID (version 4 layout) whose last 48 bits encode `index`: unique per index for one key. */
export function uniqueUuid(rng: Rng, index: number, key: number): string {
  const h = rng.hex(20);
  const tail = scramble48(index, key).toString(16).padStart(12, '0');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${'89ab'[rng.int(4)]}${h.slice(17, 20)}-${tail}`;
}
