//! `scanRecords` of src/ingest/records-scan.ts as WebAssembly: the same pass over a whole JSON text,
//! the same verdicts (deepest nesting, one bracketed value, clean, each record's null_field_mask and end),
//! byte for byte the same state machine. It runs as simdjson does (see `scan`): stage 1 reads the text
//! 64 bytes at a time (SIMD128) and lists the bytes the state machine acts on, stage 2 runs it on that
//! list. The TypeScript scan stays the reference: test/ingest/records-scan-wasm.test.ts compares the two
//! on edge, random and real-shaped texts.
//!
//! `lines` then makes a clean text's records into JSON Lines for DuckDB (src/ingest/record-lines.ts,
//! the reference for it), from the text the scan has just read.
//!
//! Memory is the host's to lay out: it writes the key table (see `init`) and the text from
//! `heap_start()` on, growing the memory as it needs, and gives `scan` where to write the masks and ends.
#![no_std]

use core::arch::wasm32::*;

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    core::arch::wasm32::unreachable()
}

extern "C" {
    static __heap_base: u8;
}

/// Where the host's data may start (past this module's statics), 16-byte aligned.
#[no_mangle]
pub extern "C" fn heap_start() -> u32 {
    let base = core::ptr::addr_of!(__heap_base) as usize;
    ((base + 15) & !15) as u32
}

// Container kinds, as in records-scan.ts: object levels are LEVEL_RECORD and above.
const UNTRACKED: i32 = 0;
const ROOT: i32 = 1;
const RECORDS: i32 = 2;
const LEVEL_RECORD: i32 = 3;

// How a field's value is checked; a check of LEVEL_RECORD or more is an object of that level.
const CHECK_TEXT: i32 = 0;
const CHECK_BOOL: i32 = 1;
const CHECK_JSON: i32 = 2;

const MAX_LEVELS: usize = 16;
const MAX_KEYS: usize = 31;
const POOL: usize = 4096;

struct Key {
    at: u16,
    len: u16,
    /// Its index in the level (MAX_KEYS for none).
    index: u8,
    bit: i32,
    /// The classes (CLASS) of a value's first byte the key takes, a bit each: null always, then as its
    /// check says; and the level of the object it holds (0 for none).
    accept: u32,
    level: i32,
    /// The key's bytes, a closing quote and a colon, zero-padded to 32, and a mask of their length:
    /// compared 16 bytes at a time (a key of 31 bytes or more: a pattern that matches nothing).
    pattern: [v128; 2],
    mask: [v128; 2],
}

/// Each level's keys, and a lookup by a hash of the length and the first 8 bytes (those there are),
/// under a multiplier that `init` picks for the level: a slot holds the first key of that hash (index
/// + 1, 0 for none), `chain` the next key of the same hash (none where a multiplier leaves no two
/// keys of the level in one slot, as for the record's fields).
struct Table {
    levels: usize,
    counts: [u8; MAX_LEVELS],
    multipliers: [u64; MAX_LEVELS],
    /// Each level's keys, then (at MAX_KEYS) a key that matches nothing.
    keys: [[Key; MAX_KEYS + 1]; MAX_LEVELS],
    slots: [[u8; SLOTS]; MAX_LEVELS],
    chain: [[u8; MAX_KEYS]; MAX_LEVELS],
    pool: [u8; POOL],
}

const SLOTS: usize = 512;

/// The slot of a key of `len` bytes whose first 8 (zero past its end) are `word`, little-endian.
#[inline(always)]
fn hash(word: u64, len: usize, multiplier: u64) -> usize {
    ((word ^ len as u64).wrapping_mul(multiplier) >> 55) as usize & (SLOTS - 1)
}

/// A key's first 8 bytes (those it has), little-endian.
#[inline(always)]
fn first_word(key: &[u8]) -> u64 {
    let mut w = 0u64;
    for (x, &c) in key.iter().take(8).enumerate() {
        w |= (c as u64) << (8 * x);
    }
    w
}

/// Multipliers `init` tries for a level, the first that leaves no two keys in one slot.
const MULTIPLIERS: u64 = 64;

const ZERO: v128 = u64x2(0, 0);
const ONES: v128 = u64x2(!0, !0);
/// Zeros until `init` (so the module holds no table's worth of data).
const BLANK: Key = Key {
    at: 0,
    len: 0,
    index: 0,
    bit: 0,
    accept: 0,
    level: 0,
    pattern: [ZERO; 2],
    mask: [ZERO; 2],
};
/// Also what a lookup finds for a key of none of the level's fields: no bit, and it takes no value.
const NO_KEY: Key = Key {
    index: MAX_KEYS as u8,
    pattern: [ONES; 2],
    ..BLANK
};
static NONE: Key = NO_KEY;

/// A value's first byte, as its key's check takes it: `n` (null), `"`, `t` or `f`, `{`, anything else.
const NULL: u32 = 0;
const OBJECT: u32 = 3;
static CLASS: [u8; 256] = {
    let mut c = [4u8; 256];
    c[b'n' as usize] = 0;
    c[b'"' as usize] = 1;
    c[b't' as usize] = 2;
    c[b'f' as usize] = 2;
    c[b'{' as usize] = 3;
    c
};

/// The classes a check takes: text a string, boolean true, false or a string, JSON anything, a struct
/// field an object; each null as well.
const fn accept(check: i32) -> u32 {
    match check {
        CHECK_TEXT => 0b00011,
        CHECK_BOOL => 0b00111,
        CHECK_JSON => 0b11111,
        _ => 0b01001,
    }
}

const NO_LEVEL: [Key; MAX_KEYS + 1] = [BLANK; MAX_KEYS + 1];
static mut TABLE: Table = Table {
    levels: 0,
    counts: [0; MAX_LEVELS],
    multipliers: [0; MAX_LEVELS],
    keys: [NO_LEVEL; MAX_LEVELS],
    slots: [[0; SLOTS]; MAX_LEVELS],
    chain: [[0; MAX_KEYS]; MAX_LEVELS],
    pool: [0; POOL],
};

/// For each key of a level (and at MAX_KEYS, for an object's start), the key that came next the last
/// time, which `scan` tries first (MAX_KEYS: none yet, the key that matches nothing).
static mut NEXT: [[u8; MAX_KEYS + 1]; MAX_LEVELS] = [[MAX_KEYS as u8; MAX_KEYS + 1]; MAX_LEVELS];

/// Results of the last scan: the deepest nesting, and how many records (mask and end) were written.
static mut MAX: i32 = 0;
static mut MASK_COUNT: u32 = 0;

#[no_mangle]
pub extern "C" fn result_max() -> i32 {
    unsafe { MAX }
}

#[no_mangle]
pub extern "C" fn result_masks() -> u32 {
    unsafe { MASK_COUNT }
}

/// The key table, as records-scan.ts keyTable() writes it: the number of levels, then for each level
/// from LEVEL_RECORD on, its number of keys and for each key its length, its bytes, its bit index and
/// its check. 1 when taken, 0 when it does not fit.
#[no_mangle]
pub extern "C" fn init(ptr: u32, len: u32) -> i32 {
    let b = unsafe { core::slice::from_raw_parts(ptr as *const u8, len as usize) };
    let t = unsafe { &mut *core::ptr::addr_of_mut!(TABLE) };
    let mut i = 0usize;
    let mut pool = 0usize;
    let next = |i: &mut usize| -> Option<u8> {
        let v = b.get(*i).copied();
        *i += 1;
        v
    };
    let Some(levels) = next(&mut i).map(usize::from) else {
        return 0;
    };
    if levels > MAX_LEVELS {
        return 0;
    }
    for l in 0..levels {
        let Some(count) = next(&mut i).map(usize::from) else {
            return 0;
        };
        if count > MAX_KEYS {
            return 0;
        }
        for k in 0..count {
            let Some(len) = next(&mut i).map(usize::from) else {
                return 0;
            };
            if pool + len > POOL || i + len + 2 > b.len() {
                return 0;
            }
            t.pool[pool..pool + len].copy_from_slice(&b[i..i + len]);
            i += len;
            let bit = b[i] as i32;
            let check = b[i + 1] as i32;
            i += 2;
            // A key with a quote or a backslash would be no field name (and `scan` takes a key's
            // closing quote as the one after its bytes): the TypeScript scan then.
            let bytes = &t.pool[pool..pool + len];
            if len == 0 || bit > 30 || bytes.iter().any(|&c| c == b'"' || c == b'\\') {
                return 0;
            }
            let mut pattern = [0xffu8; 32];
            let mut mask = [0u8; 32];
            if len + 2 <= 32 {
                pattern = [0; 32];
                pattern[..len].copy_from_slice(bytes);
                pattern[len] = b'"';
                pattern[len + 1] = b':';
                mask[..len + 2].fill(0xff);
            }
            let v = |a: &[u8; 32], h: usize| unsafe { v128_load(a.as_ptr().add(h * 16) as *const v128) };
            t.keys[l][k] = Key {
                at: pool as u16,
                len: len as u16,
                index: k as u8,
                bit: 1 << bit,
                accept: accept(check),
                level: if check >= LEVEL_RECORD { check } else { 0 },
                pattern: [v(&pattern, 0), v(&pattern, 1)],
                mask: [v(&mask, 0), v(&mask, 1)],
            };
            pool += len;
        }
        t.counts[l] = count as u8;
        // The level's lookup: the first multiplier with no two keys in a slot (else the last, chained).
        for m in 0..MULTIPLIERS {
            let multiplier = 0x9e37_79b9_7f4a_7c15u64.wrapping_add(m << 33 | m << 1);
            t.slots[l] = [0; SLOTS];
            let mut shared = false;
            for k in 0..count {
                let key = &t.keys[l][k];
                let bytes = &t.pool[key.at as usize..key.at as usize + key.len as usize];
                let h = hash(first_word(bytes), bytes.len(), multiplier);
                shared |= t.slots[l][h] != 0;
                t.chain[l][k] = t.slots[l][h];
                t.slots[l][h] = (k + 1) as u8;
            }
            t.multipliers[l] = multiplier;
            if !shared {
                break;
            }
        }
    }
    t.levels = levels;
    for l in 0..MAX_LEVELS {
        t.keys[l][MAX_KEYS] = NO_KEY;
    }
    unsafe { *core::ptr::addr_of_mut!(NEXT) = [[MAX_KEYS as u8; MAX_KEYS + 1]; MAX_LEVELS] };
    1
}

/// The key b[s..q) of a tracked object of `level`, by the level's lookup (`scan` tries a guess first).
#[inline(never)]
fn find_key<'a>(t: &'a Table, level: i32, b: &[u8], s: usize, q: usize) -> Option<&'a Key> {
    let key = &b[s..q];
    let l = (level - LEVEL_RECORD) as usize;
    if key.is_empty() || l >= t.levels {
        return None;
    }
    let mut x = t.slots[l][hash(first_word(key), key.len(), t.multipliers[l])] as usize;
    while x != 0 {
        let k = &t.keys[l][x - 1];
        if k.len as usize == key.len() && &t.pool[k.at as usize..k.at as usize + key.len()] == key {
            return Some(k);
        }
        x = t.chain[l][x - 1] as usize;
    }
    None
}

#[inline(always)]
fn is_space(c: u8) -> bool {
    c == 0x20 || c == 0x0a || c == 0x0d || c == 0x09
}

/// One 64-byte block's bitmasks, bit k for byte k: quotes, backslashes, opening brackets and commas,
/// brackets (a bracket and its brace are one compare, as `c | 0x20`).
#[inline(always)]
fn classify(p: *const u8) -> [u64; 4] {
    let quote = u8x16_splat(b'"');
    let slash = u8x16_splat(b'\\');
    let case = u8x16_splat(0x20);
    let open = u8x16_splat(b'{');
    let close = u8x16_splat(b'}');
    let comma = u8x16_splat(b',');
    let mut m = [0u64; 4];
    for k in 0..4 {
        let v = unsafe { v128_load(p.add(16 * k) as *const v128) };
        let folded = v128_or(v, case);
        let opening = u8x16_eq(folded, open);
        let shift = 16 * k as u32;
        m[0] |= (u8x16_bitmask(u8x16_eq(v, quote)) as u64) << shift;
        m[1] |= (u8x16_bitmask(u8x16_eq(v, slash)) as u64) << shift;
        m[2] |= (u8x16_bitmask(v128_or(opening, u8x16_eq(v, comma))) as u64) << shift;
        m[3] |= (u8x16_bitmask(v128_or(opening, u8x16_eq(folded, close))) as u64) << shift;
    }
    m
}

const EVEN_BITS: u64 = 0x5555_5555_5555_5555;

/// The bytes a backslash escapes (simdjson's find_escaped): in a run of backslashes, the first escapes
/// the second, the third the fourth, and the last of an odd run the byte after it. `carry`: the first
/// byte of this block is escaped (by the last of the previous block), and is set for the next block.
/// Every backslash counts, wherever it is: `scan` starts over after any outside a string.
#[inline(always)]
fn escaped(backslash: u64, carry: &mut u64) -> u64 {
    if backslash == 0 {
        let e = *carry;
        *carry = 0;
        return e;
    }
    let bs = backslash & !*carry;
    let follows = (bs << 1) | *carry;
    let odd_starts = bs & !EVEN_BITS & !follows;
    let (sum, over) = odd_starts.overflowing_add(bs);
    *carry = over as u64;
    (EVEN_BITS ^ (sum << 1)) & follows
}

/// Each bit the xor of itself and every bit below it: given the quotes, set from an opening quote to
/// the byte before its closing quote. No carry-less multiply in WebAssembly: a ladder of shifts.
#[inline(always)]
fn prefix_xor(mut x: u64) -> u64 {
    x ^= x << 1;
    x ^= x << 2;
    x ^= x << 4;
    x ^= x << 8;
    x ^= x << 16;
    x ^= x << 32;
    x
}

/// The last, partial block, zero-padded: no read past the text.
#[repr(align(16))]
struct Pad([u8; 64]);

/// Where stage 1 is: the next block's start; whether its first byte is escaped (by a backslash),
/// inside a string (all ones), after a comma or opening bracket (the last of those, the closing
/// quotes and the closing brackets before it).
struct Blocks {
    pos: usize,
    escaped: u64,
    inside: u64,
    after_comma: u64,
}

/// Events stage 1 lists for stage 2 at a time (a few dozen records). A block adds 64 at most, and
/// `flatten` writes up to a multiple of 4 past them: a block is taken only with 72 entries free.
const TAPE: usize = 2048;
static mut EVENTS: [u32; TAPE] = [0; TAPE];

/// The positions of `bits` (bit k: byte base + k) at tape[len..]; the new length. Four at a time,
/// whatever the count (simdjson's flatten, which writes eight: a block holds three events or so
/// here): past the count, writes that are overwritten or unread.
#[inline(always)]
fn flatten(tape: &mut [u32; TAPE], mut len: usize, base: u32, mut bits: u64) -> usize {
    let end = len + bits.count_ones() as usize;
    loop {
        for _ in 0..4 {
            // Within the tape: `stage1` takes a block only with 72 entries free.
            unsafe { *tape.get_unchecked_mut(len) = base.wrapping_add(bits.trailing_zeros()) };
            bits &= bits.wrapping_sub(1);
            len += 1;
        }
        if len >= end {
            return end;
        }
    }
}

/// Stage 1, simdjson's, 64 bytes at a time from `at.pos` until the text ends or the tape is full: the
/// block's escaped bytes, then its quotes that open and close strings, then what is inside a string
/// (a prefix xor); then its events, listed at tape[len..]: every bracket outside strings, and each
/// key's quotes (those of a string after a comma or an opening bracket, see `scan`). The new length.
///
/// A backslash escapes only inside a string; outside one, records-scan.ts takes it as any other byte.
/// The escapes count every backslash, so at the first backslash outside a string (all before it is
/// right: every run of backslashes before it is inside a string, and starts there) the block stops,
/// and the next starts after it, outside a string, with nothing escaped. That backslash is then
/// another byte between events, which is how stage 2 takes it.
#[inline(never)]
fn stage1(b: &[u8], at: &mut Blocks, tape: &mut [u32; TAPE], mut len: usize) -> usize {
    let n = b.len();
    let mut pad = Pad([0; 64]);
    loop {
        // Whole blocks (two at a time while there are), then the last (zero-padded).
        while at.pos + 128 <= n && len + 144 <= TAPE {
            let p = unsafe { b.as_ptr().add(at.pos) };
            len = block(p, !0, at, tape, len);
            // The first block moved on by 64 bytes at most.
            let p = unsafe { b.as_ptr().add(at.pos) };
            len = block(p, !0, at, tape, len);
        }
        while at.pos + 64 <= n && len + 72 <= TAPE {
            let p = unsafe { b.as_ptr().add(at.pos) };
            len = block(p, !0, at, tape, len);
        }
        if at.pos >= n || len + 72 > TAPE {
            return len;
        }
        let rest = n - at.pos;
        pad.0 = [0; 64];
        pad.0[..rest].copy_from_slice(&b[at.pos..]);
        len = block(pad.0.as_ptr(), (1u64 << rest) - 1, at, tape, len);
    }
}

/// One block of stage 1: the 64 bytes at p (`valid`: those of the text), the block at `at.pos`.
#[inline(always)]
fn block(p: *const u8, valid: u64, at: &mut Blocks, tape: &mut [u32; TAPE], len: usize) -> usize {
    let pos = at.pos;
    let [quote_raw, backslash, open_or_comma, brackets_raw] = classify(p);
    let quote = quote_raw & !escaped(backslash, &mut at.escaped);
    let inside = prefix_xor(quote) ^ at.inside;
    at.inside = ((inside as i64) >> 63) as u64;
    // Up to the first backslash outside a string, if any.
    let stray = backslash & !inside;
    let keep = if stray == 0 { valid } else { (1u64 << stray.trailing_zeros()) - 1 };
    let opening = quote & inside;
    let closing = quote & !inside;
    let brackets = brackets_raw & !inside;
    let close_b = brackets & !open_or_comma;
    // Set from each comma or opening bracket up to the next closing quote or closing bracket (z + s
    // carries through each run of z from its first bit of s on), from the block before at bit 0.
    let z = !(closing | close_b);
    let s = (open_or_comma & !inside) | (at.after_comma & z & 1);
    let after_comma = (z & !z.wrapping_add(s)) | s;
    let keys = opening & after_comma;
    at.after_comma = after_comma >> 63;
    let len = flatten(tape, len, pos as u32, (keys | brackets) & keep);
    if stray == 0 {
        at.pos = pos + 64;
    } else {
        let r = stray.trailing_zeros();
        at.pos = pos + r as usize + 1;
        at.escaped = 0;
        at.inside = 0;
        at.after_comma = (after_comma >> r) & 1;
    }
    len
}

/// Whether b[from..to) holds a byte that counts where any byte outside strings does (at depth 0, or
/// between records): any but whitespace, and at depth 0 (`depth0`) commas too. Only its first such
/// byte matters, which is outside a string: anything before it is whitespace or commas.
#[inline(never)]
fn counts(b: &[u8], from: usize, to: usize, depth0: bool) -> bool {
    b[from..to].iter().any(|&c| !is_space(c) && (depth0 || c != b','))
}

/// Whether the text at s (32 bytes of it there) holds `key`'s bytes, a closing quote and a colon.
#[inline(always)]
fn matches(key: &Key, b: &[u8], s: usize) -> bool {
    let p = unsafe { b.as_ptr().add(s) };
    let lo = u8x16_eq(v128_and(unsafe { v128_load(p as *const v128) }, key.mask[0]), key.pattern[0]);
    if key.len < 15 {
        // All of it in the first 16 bytes (most keys).
        return u8x16_all_true(lo);
    }
    let hi = unsafe { v128_load(p.add(16) as *const v128) };
    u8x16_all_true(v128_and(lo, u8x16_eq(v128_and(hi, key.mask[1]), key.pattern[1])))
}

/// The index of the quote that closes a string whose text starts at `i`, or None: a backslash escapes
/// the byte after it (the first quote an even run of backslashes precedes, as records-scan.ts says).
#[inline(never)]
fn string_end(b: &[u8], mut i: usize) -> Option<usize> {
    let n = b.len();
    let quote = u8x16_splat(b'"');
    let slash = u8x16_splat(b'\\');
    while i + 16 <= n {
        let v = unsafe { v128_load(b.as_ptr().add(i) as *const v128) };
        let m = u8x16_bitmask(v128_or(u8x16_eq(v, quote), u8x16_eq(v, slash))) as u32;
        if m == 0 {
            i += 16;
            continue;
        }
        let j = i + m.trailing_zeros() as usize;
        if b[j] == b'"' {
            return Some(j);
        }
        i = j + 2;
    }
    while i < n {
        let c = b[i];
        if c == b'"' {
            return Some(i);
        }
        i += if c == b'\\' { 2 } else { 1 };
    }
    None
}

/// The first byte of a key's value: past whitespace, the colon, whitespace (0 past the end); None
/// when no colon follows the key.
#[inline(never)]
fn value_after(b: &[u8], mut j: usize) -> Option<u8> {
    let at = |j: usize| -> u8 { if j < b.len() { b[j] } else { 0 } };
    if at(j) != b':' {
        while is_space(at(j)) {
            j += 1;
        }
        if at(j) != b':' {
            return None;
        }
    }
    j += 1;
    while is_space(at(j)) {
        j += 1;
    }
    Some(at(j))
}

const KINDS: usize = 66;

/// The state machine's state between two lists of events. records-scan.ts's `clean` is `cur != DIRTY`.
struct Machine {
    depth: i32,
    max: i32,
    closed: bool,
    after: bool,
    saw_records: bool,
    cur: i32,
    pending: i32,
    mask: i32,
    count: usize,
    overflow: bool,
    /// The first byte past the last bracket taken.
    from: usize,
    /// By depth: each container's kind, the keys seen in a tracked object, its last key (MAX_KEYS: none yet).
    kind: [i32; KINDS],
    seen: [i32; KINDS],
    last: [u8; KINDS],
}

/// The byte at an event: stage 1 lists only positions within the text (its bitmasks are cut to it).
#[inline(always)]
fn byte(b: &[u8], p: usize) -> u8 {
    debug_assert!(p < b.len());
    unsafe { *b.get_unchecked(p) }
}

/// Not clean: nothing but depth counts any more (records-scan.ts `clean` false).
const DIRTY: i32 = -1;

/// Stage 2 for one list of events: records-scan.ts's state machine, on the bytes it acts on (see
/// `scan`). True when deeper than `stop_at` (then only `max` is up to date).
///
/// Most of a clean file runs in one loop: a record's keys, the objects of its struct fields (tracked
/// in turn), its JSON values (only their brackets' depth counts), its end and the next record's start.
/// A key is compared first with the key that came after the last one the last time (CloudTrail writes
/// a record's fields in one order), else looked up. Inside a JSON value entered otherwise, and once
/// not clean, only brackets count; everything else (the root, Records, depth 0, what is too deep to
/// track) is taken one event at a time as records-scan.ts takes it. Its own function, the state in
/// locals, which WebAssembly engines keep in registers better than one large function's.
#[inline(never)]
fn machine(
    m: &mut Machine,
    b: &[u8],
    tape: &[u32],
    out: &mut [i32],
    next: &mut [[u8; MAX_KEYS + 1]; MAX_LEVELS],
    stop_at: i32,
) -> bool {
    let t = unsafe { &*core::ptr::addr_of!(TABLE) };
    let n = b.len();
    let kinds = (if stop_at < 64 { stop_at.max(0) } else { 64 }) as usize + 2;
    let (mut depth, mut max, mut closed, mut after) = (m.depth, m.max, m.closed, m.after);
    let (mut saw_records, mut cur, mut pending, mut mask) = (m.saw_records, m.cur, m.pending, m.mask);
    let (mut count, mut overflow, mut from) = (m.count, m.overflow, m.from);
    let len = tape.len();
    let levels = t.levels;
    // The last place a key may start with 32 bytes of text from it (negative in a shorter text).
    let last_start = n as isize - 32;
    let mut e = 0usize;
    while e < len {
        if cur >= LEVEL_RECORD {
            // A tracked object (a record, or a struct field of one): its keys, its struct fields'
            // objects (tracked in turn) and its JSON values, up to the record's end (or anything the
            // general case takes: too deep to track, not clean, a record's end).
            let mut d = depth as usize;
            let mut l = (cur - LEVEL_RECORD) as usize;
            let (mut seen_here, mut last_here) = (m.seen[d], m.last[d]);
            while e < len {
                let p = tape[e] as usize;
                let c = byte(b, p);
                if c != b'"' {
                    if c & 2 == 0 {
                        // `}` or `]`: a struct field's object ends, back in the object that holds it.
                        if cur == LEVEL_RECORD {
                            // A record's end (one in Records: else the general case's), and the next
                            // record's start if only a comma is between them.
                            if m.kind[d - 1] != RECORDS {
                                break;
                            }
                            e += 1;
                            overflow |= !put_record(out, &mut count, mask, p);
                            depth -= 1;
                            cur = RECORDS;
                            from = p + 1;
                            if e < len && tape[e] as usize == p + 2 && b[p + 1] == b',' && b[p + 2] == b'{' {
                                e += 1;
                                depth += 1;
                                pending = UNTRACKED;
                                cur = LEVEL_RECORD;
                                mask = 0;
                                seen_here = 0;
                                last_here = MAX_KEYS as u8;
                                continue;
                            }
                            break;
                        }
                        e += 1;
                        m.seen[d] = seen_here;
                        m.last[d] = last_here;
                        depth -= 1;
                        d -= 1;
                        cur = m.kind[d];
                        if cur < LEVEL_RECORD {
                            break;
                        }
                        l = (cur - LEVEL_RECORD) as usize;
                        seen_here = m.seen[d];
                        last_here = m.last[d];
                        continue;
                    }
                    if d + 1 >= kinds || pending == LEVEL_RECORD {
                        break;
                    }
                    e += 1;
                    if deeper(&mut depth, &mut max, stop_at) {
                        m.max = max;
                        return true;
                    }
                    if pending != UNTRACKED {
                        // A struct field's object.
                        m.seen[d] = seen_here;
                        m.last[d] = last_here;
                        d += 1;
                        cur = pending;
                        pending = UNTRACKED;
                        m.kind[d] = cur;
                        l = (cur - LEVEL_RECORD) as usize;
                        seen_here = 0;
                        last_here = MAX_KEYS as u8;
                        continue;
                    }
                    // A JSON value: only its brackets count, and only depth, up to its end.
                    let base = depth;
                    while e < len {
                        let p = tape[e] as usize;
                        let c = byte(b, p);
                        e += 1;
                        if c == b'"' {
                            continue;
                        }
                        if c & 2 != 0 {
                            if deeper(&mut depth, &mut max, stop_at) {
                                m.max = max;
                                return true;
                            }
                        } else {
                            depth -= 1;
                            if depth < base {
                                break;
                            }
                        }
                    }
                    if depth >= base {
                        // The list ends inside it: its containers as the general case keeps them.
                        for x in base as usize..=(depth as usize).min(kinds - 1) {
                            m.kind[x] = UNTRACKED;
                        }
                        m.seen[d] = seen_here;
                        m.last[d] = last_here;
                        cur = UNTRACKED;
                        break;
                    }
                    continue;
                }
                e += 1;
                if l >= levels {
                    cur = DIRTY;
                    break;
                }
                // The key that came after the last one the last time, compared with its closing
                // quote (a key holds neither quotes nor backslashes: that quote closes the string);
                // else the string's end, and the lookup.
                let s = p + 1;
                let g = next[l][last_here as usize];
                let guess = &t.keys[l][g as usize];
                let (key, v) = if s as isize <= last_start && matches(guess, b, s) {
                    // The last key, as the next guess's index: known before the key is compared.
                    last_here = g;
                    // The value's first byte, after the colon (S3 writes none of the whitespace JSON allows).
                    let j = s + guess.len as usize + 2;
                    let v = if j < n { b[j] } else { 0 };
                    (guess, if is_space(v) { value_after(b, j - 1).unwrap_or(0) } else { v })
                } else {
                    // None: unterminated, and nothing follows.
                    let Some(q) = string_end(b, s) else {
                        continue;
                    };
                    let key = find_key(t, cur, b, s, q).unwrap_or(&NONE);
                    next[l][last_here as usize] = key.index;
                    last_here = key.index;
                    let Some(v) = value_after(b, q + 1) else {
                        cur = DIRTY;
                        break;
                    };
                    (key, v)
                };
                // Without branches where the data decide: none of the level's keys (NONE), one seen
                // before, or a value its check does not take, and the text is not clean.
                let class = CLASS[v as usize] as u32;
                let ok = (seen_here & key.bit == 0) & ((key.accept >> class) & 1 != 0);
                seen_here |= key.bit;
                mask |= if class == NULL && cur == LEVEL_RECORD { key.bit } else { 0 };
                pending = if class == OBJECT && key.level != 0 { key.level } else { pending };
                if !ok {
                    cur = DIRTY;
                    break;
                }
            }
            if cur >= LEVEL_RECORD {
                m.seen[d] = seen_here;
                m.last[d] = last_here;
            }
        } else if depth >= 1 && (cur == UNTRACKED || cur == DIRTY) {
            // Inside a JSON value (all of it untracked), or anywhere once not clean: only brackets
            // count, and only depth, up to the end of the container (or to depth 1).
            let base = if cur == DIRTY { 1 } else { depth };
            while e < len {
                let p = tape[e] as usize;
                let c = byte(b, p);
                if c == b'"' {
                    e += 1;
                    continue;
                }
                if c & 2 != 0 {
                    let d = depth as usize + 1;
                    // An object of a struct field due (pending) is the general case's.
                    if cur != DIRTY && d < kinds && pending != UNTRACKED {
                        break;
                    }
                    if deeper(&mut depth, &mut max, stop_at) {
                        m.max = max;
                        return true;
                    }
                    if cur != DIRTY && d < kinds {
                        m.kind[d] = UNTRACKED;
                        m.seen[d] = 0;
                        m.last[d] = MAX_KEYS as u8;
                    }
                } else {
                    if depth == base {
                        break;
                    }
                    depth -= 1;
                }
                e += 1;
            }
        }
        if e == len {
            break;
        }
        // Anything else, one event.
        let p = tape[e] as usize;
        e += 1;
        let c = byte(b, p);
        if c == b'"' {
            if cur == ROOT {
                // The root holds Records and nothing else.
                let s = p + 1;
                let Some(q) = string_end(b, s) else {
                    continue;
                };
                if saw_records || &b[s..q] != b"Records" || value_after(b, q + 1) != Some(b'[') {
                    cur = DIRTY;
                } else {
                    saw_records = true;
                    pending = RECORDS;
                }
            } else if depth == 0 {
                // Any byte counts at depth 0; after it, bytes between brackets no longer count.
                after = true;
            } else if cur == RECORDS {
                // A string where a record is due (an element of Records) is no record.
                cur = DIRTY;
            }
            continue;
        }
        // The bytes since the last bracket, where they count.
        if depth == 0 && !after {
            after = counts(b, from, p, true);
        } else if cur == RECORDS && counts(b, from, p, false) {
            cur = DIRTY;
        }
        from = p + 1;
        if c & 2 != 0 {
            // `{` or `[`.
            if depth == 0 && closed {
                after = true;
            }
            if deeper(&mut depth, &mut max, stop_at) {
                m.max = max;
                return true;
            }
            if cur == DIRTY {
                continue;
            }
            let d = depth as usize;
            if d >= kinds {
                cur = UNTRACKED;
                continue;
            }
            let mut k = pending;
            pending = UNTRACKED;
            if depth == 1 {
                k = if c == b'{' { ROOT } else { UNTRACKED };
            } else if cur == RECORDS {
                k = LEVEL_RECORD;
            }
            m.kind[d] = k;
            m.seen[d] = 0;
            m.last[d] = MAX_KEYS as u8;
            cur = if (depth == 1 && k != ROOT) || (k == LEVEL_RECORD && c != b'{') { DIRTY } else { k };
            if k == LEVEL_RECORD {
                mask = 0;
            }
        } else {
            // `}` or `]`.
            if depth == 0 {
                after = true;
            }
            if cur == LEVEL_RECORD {
                overflow |= !put_record(out, &mut count, mask, p);
            }
            depth -= 1;
            if depth == 0 {
                closed = true;
            } else if depth < 0 {
                after = true;
            }
            if cur != DIRTY {
                cur = if depth > 0 && (depth as usize) < kinds { m.kind[depth as usize] } else { UNTRACKED };
            }
        }
    }
    m.depth = depth;
    m.max = max;
    m.closed = closed;
    m.after = after;
    m.saw_records = saw_records;
    m.cur = cur;
    m.pending = pending;
    m.mask = mask;
    m.count = count;
    m.overflow = overflow;
    m.from = from;
    false
}

/// Scans text[0..n) at `text`; writes each record's mask and the index of its closing brace, a pair
/// of i32, at `masks` (room for `cap` i32, `cap / 2` records). Returns bit 0:
/// stopped (deeper than `stop_at`), bit 1: single, bit 2: clean (the masks hold), bit 3: more records
/// than `cap` (the host scans again its own way). result_max() and result_masks() give the rest.
///
/// records-scan.ts walks the text byte by byte; this takes only the bytes its state machine acts
/// on, as simdjson does: stage 1 (`stage1`) lists them from the text's bitmasks 64 bytes at a time,
/// stage 2 (`machine`) runs the state machine over that list, a few dozen records at a time.
///
/// Those bytes are the brackets outside strings and the keys' opening quotes. Whether a string is a
/// key (records-scan.ts `expectKey`) is known from the bitmasks: in a tracked object (the root, a
/// record, its struct fields) it is when the last comma, bracket or closing quote before it is a comma
/// or an opening bracket (the object's own: a child's are closed before it). A key's string is then
/// read from the text. Nothing else changes the state in a tracked object, nor anything but brackets
/// elsewhere, but at depth 0 (any byte but whitespace sets `after`) and between records (any but
/// whitespace or a comma: not clean). There, the bytes between two events are looked at as they come
/// (a string's opening quote is the first that counts).
#[no_mangle]
pub extern "C" fn scan(text: u32, n: u32, stop_at: i32, masks: u32, cap: u32) -> i32 {
    let b = unsafe { core::slice::from_raw_parts(text as *const u8, n as usize) };
    let out = unsafe { core::slice::from_raw_parts_mut(masks as *mut i32, cap as usize) };
    let tape = unsafe { &mut *core::ptr::addr_of_mut!(EVENTS) };
    let next = unsafe { &mut *core::ptr::addr_of_mut!(NEXT) };
    let n = b.len();
    let mut m = Machine {
        depth: 0,
        max: 0,
        closed: false,
        after: false,
        saw_records: false,
        cur: UNTRACKED,
        pending: UNTRACKED,
        mask: 0,
        count: 0,
        overflow: false,
        from: 0,
        kind: [0; KINDS],
        seen: [0; KINDS],
        last: [MAX_KEYS as u8; KINDS],
    };
    let mut blocks = Blocks { pos: 0, escaped: 0, inside: 0, after_comma: 0 };
    loop {
        let len = stage1(b, &mut blocks, tape, 0);
        if machine(&mut m, b, &tape[..len], out, next, stop_at) {
            unsafe {
                MAX = m.max;
                MASK_COUNT = 0;
            }
            return 1;
        }
        if blocks.pos >= n {
            break;
        }
    }
    if m.depth == 0 && !m.after {
        m.after = counts(b, m.from, n, true);
    } else if m.cur == RECORDS && counts(b, m.from, n, false) {
        m.cur = DIRTY;
    }
    let unterminated = blocks.inside != 0;
    let single = m.closed && !m.after && m.depth == 0 && !unterminated;
    unsafe {
        MAX = m.max;
        MASK_COUNT = m.count as u32;
    }
    let mut flags = 0;
    if single {
        flags |= 2;
    }
    if m.cur != DIRTY && single && m.saw_records {
        flags |= 4;
    }
    if m.overflow {
        flags |= 8;
    }
    flags
}

/// One level deeper; true when that is past `stop_at` (the scan stops), the deepest so far kept in `max`.
#[inline(always)]
fn deeper(depth: &mut i32, max: &mut i32, stop_at: i32) -> bool {
    *depth += 1;
    if *depth > *max {
        *max = *depth;
        return *max > stop_at;
    }
    false
}

/// A record's mask and the index of its closing brace, as the next pair at `out`; false when there is
/// no room for it (the host scans again its own way).
#[inline(always)]
fn put_record(out: &mut [i32], count: &mut usize, mask: i32, end: usize) -> bool {
    if 2 * *count + 1 >= out.len() {
        return false;
    }
    out[2 * *count] = mask;
    out[2 * *count + 1] = end as i32;
    *count += 1;
    true
}

/// Bytes a line adds to its record at most (record-lines.ts LINE_EXTRA): `{"f":`, the file id's room,
/// `,"i":`, the index, `,"m":`, the mask (11 digits each at most), `,"r":` and `}\n`.
const ID_WIDTH: usize = 10;
const LINE_EXTRA: usize = 5 + ID_WIDTH + 5 + 11 + 5 + 11 + 5 + 2;
/// Lines stay within twice the text and this (record-lines.ts worthLines).
const LINES_ALLOWANCE: usize = 1 << 16;

/// The longest line the last `lines` wrote.
static mut LONGEST: u32 = 0;

#[no_mangle]
pub extern "C" fn result_longest() -> u32 {
    unsafe { LONGEST }
}

#[inline(always)]
fn skip_space(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && is_space(b[i]) {
        i += 1;
    }
    i
}

/// `v` in decimal at out[o..]; the bytes written.
#[inline(always)]
fn write_decimal(out: &mut [u8], o: usize, mut v: u32) -> usize {
    let mut digits = [0u8; 10];
    let mut d = 0;
    loop {
        digits[d] = b'0' + (v % 10) as u8;
        d += 1;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    for x in 0..d {
        out[o + x] = digits[d - 1 - x];
    }
    d
}

/// src copied to dst (as long), 16 bytes at a time; false when it holds a line feed or carriage return.
#[inline(always)]
fn copy_without_breaks(src: &[u8], dst: &mut [u8]) -> bool {
    let n = src.len();
    let lf = u8x16_splat(b'\n');
    let cr = u8x16_splat(b'\r');
    let mut seen = u8x16_splat(0);
    let mut i = 0;
    while i + 16 <= n {
        let v = unsafe { v128_load(src.as_ptr().add(i) as *const v128) };
        unsafe { v128_store(dst.as_mut_ptr().add(i) as *mut v128, v) };
        seen = v128_or(seen, v128_or(u8x16_eq(v, lf), u8x16_eq(v, cr)));
        i += 16;
    }
    let mut clean = !v128_any_true(seen);
    while i < n {
        let c = src[i];
        dst[i] = c;
        clean &= c != b'\n' && c != b'\r';
        i += 1;
    }
    clean
}

/// record-lines.ts recordLines, byte for byte: the records of the clean text[0..n), whose mask and end
/// pairs `scan` wrote at `pairs` (`count` of them), as lines at `out` (room for `cap` bytes). Returns the
/// bytes written, or -1 when the text around the records is not plain `{"Records":[...]}`, a record
/// holds a line break, or the lines would not be worth making. Each line's file id offset replaces
/// the pairs from the start (pair k is read before offset k is written).
#[no_mangle]
pub extern "C" fn lines(text: u32, n: u32, pairs: u32, count: u32, out: u32, cap: u32) -> i32 {
    let b = unsafe { core::slice::from_raw_parts(text as *const u8, n as usize) };
    let count = count as usize;
    let p = unsafe { core::slice::from_raw_parts_mut(pairs as *mut i32, 2 * count) };
    let o_buf = unsafe { core::slice::from_raw_parts_mut(out as *mut u8, cap as usize) };
    match make_lines(b, p, count, o_buf) {
        Some((written, longest)) => {
            unsafe {
                LONGEST = longest as u32;
            }
            written as i32
        }
        None => -1,
    }
}

/// Past `token` at b[i..] and the whitespace after it; None when b[i..] does not begin with it.
#[inline(always)]
fn past(b: &[u8], i: usize, token: &[u8]) -> Option<usize> {
    if i + token.len() <= b.len() && &b[i..i + token.len()] == token {
        Some(skip_space(b, i + token.len()))
    } else {
        None
    }
}

/// `bytes` at out[*o..], *o moved past them.
#[inline(always)]
fn put(out: &mut [u8], o: &mut usize, bytes: &[u8]) {
    out[*o..*o + bytes.len()].copy_from_slice(bytes);
    *o += bytes.len();
}

/// `lines` itself: the bytes written and the longest line.
fn make_lines(b: &[u8], p: &mut [i32], count: usize, out: &mut [u8]) -> Option<(usize, usize)> {
    let n = b.len();
    if count * LINE_EXTRA > n.max(LINES_ALLOWANCE) || n + count * LINE_EXTRA > out.len() {
        return None;
    }
    let mut i = skip_space(b, 0);
    for token in [&b"{"[..], b"\"Records\"", b":", b"["] {
        i = past(b, i, token)?;
    }
    let mut o = 0usize;
    let mut longest = 0usize;
    for k in 0..count {
        if k > 0 {
            i = past(b, i, b",")?;
        }
        let start = i;
        let mask = p[2 * k];
        let end = p[2 * k + 1] as usize;
        if end < start || end >= n || b[start] != b'{' || b[end] != b'}' {
            return None;
        }
        let from = o;
        put(out, &mut o, b"{\"f\":");
        put(out, &mut o, &[b' '; ID_WIDTH]);
        put(out, &mut o, b",\"i\":");
        o += write_decimal(out, o, (k + 1) as u32);
        put(out, &mut o, b",\"m\":");
        o += write_decimal(out, o, mask as u32);
        put(out, &mut o, b",\"r\":");
        let len = end + 1 - start;
        if !copy_without_breaks(&b[start..end + 1], &mut out[o..o + len]) {
            return None;
        }
        o += len;
        put(out, &mut o, b"}\n");
        p[k] = (from + 5) as i32;
        longest = longest.max(o - from);
        i = skip_space(b, end + 1);
    }
    i = past(b, i, b"]")?;
    i = past(b, i, b"}")?;
    if i != n {
        return None;
    }
    Some((o, longest))
}
