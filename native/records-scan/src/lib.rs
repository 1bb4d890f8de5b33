//! `scanRecords` of src/ingest/records-scan.ts as WebAssembly: the same pass over a whole JSON text,
//! the same verdicts (deepest nesting, one bracketed value, clean, each record's null_field_mask and end),
//! byte for byte the same state machine. Strings, most of a CloudTrail file, are skipped 16 bytes at
//! a time (SIMD128). The TypeScript scan stays the reference: test/ingest/records-scan-wasm.test.ts
//! compares the two on edge, random and real-shaped texts.
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
    bit: i32,
    check: i32,
    /// The key's bytes, zero-padded to 32, and a mask of its length: compared 16 bytes at a time.
    pattern: [v128; 2],
    mask: [v128; 2],
}

/// Each level's keys, and a lookup by a hash of (length, first byte, last byte): a slot holds the
/// first key of that hash (index + 1, 0 for none), `chain` the next key of the same hash.
struct Table {
    levels: usize,
    counts: [u8; MAX_LEVELS],
    keys: [[Key; MAX_KEYS]; MAX_LEVELS],
    slots: [[u8; SLOTS]; MAX_LEVELS],
    chain: [[u8; MAX_KEYS]; MAX_LEVELS],
    pool: [u8; POOL],
}

const SLOTS: usize = 512;

#[inline(always)]
fn hash(len: usize, first: u8, last: u8) -> usize {
    (len * 61 + first as usize * 7 + last as usize * 3) & (SLOTS - 1)
}

const ZERO: v128 = u64x2(0, 0);
const NO_KEY: Key = Key { at: 0, len: 0, bit: 0, check: 0, pattern: [ZERO; 2], mask: [ZERO; 2] };
const NO_LEVEL: [Key; MAX_KEYS] = [NO_KEY; MAX_KEYS];
static mut TABLE: Table = Table {
    levels: 0,
    counts: [0; MAX_LEVELS],
    keys: [NO_LEVEL; MAX_LEVELS],
    slots: [[0; SLOTS]; MAX_LEVELS],
    chain: [[0; MAX_KEYS]; MAX_LEVELS],
    pool: [0; POOL],
};

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
            if len == 0 || bit > 30 {
                return 0;
            }
            let mut pattern = [0u8; 32];
            let mut mask = [0u8; 32];
            for x in 0..len.min(32) {
                pattern[x] = t.pool[pool + x];
                mask[x] = 0xff;
            }
            let v = |a: &[u8; 32], h: usize| unsafe { v128_load(a.as_ptr().add(h * 16) as *const v128) };
            t.keys[l][k] = Key {
                at: pool as u16,
                len: len as u16,
                bit: 1 << bit,
                check,
                pattern: [v(&pattern, 0), v(&pattern, 1)],
                mask: [v(&mask, 0), v(&mask, 1)],
            };
            let h = hash(len, t.pool[pool], t.pool[pool + len - 1]);
            t.chain[l][k] = t.slots[l][h];
            t.slots[l][h] = (k + 1) as u8;
            pool += len;
        }
        t.counts[l] = count as u8;
    }
    t.levels = levels;
    1
}

#[inline(always)]
fn find_key<'a>(t: &'a Table, level: i32, b: &[u8], s: usize, q: usize) -> Option<&'a Key> {
    let key = &b[s..q];
    let l = (level - LEVEL_RECORD) as usize;
    if key.is_empty() || l >= t.levels {
        return None;
    }
    let mut x = t.slots[l][hash(key.len(), key[0], key[key.len() - 1])] as usize;
    while x != 0 {
        let k = &t.keys[l][x - 1];
        if k.len as usize == key.len() {
            // 32 bytes from the key's start, within the text: two vector compares under the key's mask.
            if key.len() <= 32 && s + 32 <= b.len() {
                let p = unsafe { b.as_ptr().add(s) };
                let lo = unsafe { v128_load(p as *const v128) };
                let hi = unsafe { v128_load(p.add(16) as *const v128) };
                let eq = v128_and(
                    u8x16_eq(v128_and(lo, k.mask[0]), k.pattern[0]),
                    u8x16_eq(v128_and(hi, k.mask[1]), k.pattern[1]),
                );
                if u8x16_all_true(eq) {
                    return Some(k);
                }
            } else if &t.pool[k.at as usize..k.at as usize + key.len()] == key {
                return Some(k);
            }
        }
        x = t.chain[l][x - 1] as usize;
    }
    None
}

#[inline(always)]
fn is_space(c: u8) -> bool {
    c == 0x20 || c == 0x0a || c == 0x0d || c == 0x09
}

/// The index of the quote that closes a string whose text starts at `i`, or None: a backslash escapes
/// the byte after it (the first quote an even run of backslashes precedes, as records-scan.ts says).
#[inline(always)]
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

const KINDS: usize = 66;

/// Scans text[0..n) at `text`; writes each record's mask and the index of its closing brace, a pair
/// of i32, at `masks` (room for `cap` i32, `cap / 2` records). Returns bit 0:
/// stopped (deeper than `stop_at`), bit 1: single, bit 2: clean (the masks hold), bit 3: more records
/// than `cap` (the host scans again its own way). result_max() and result_masks() give the rest.
#[no_mangle]
pub extern "C" fn scan(text: u32, n: u32, stop_at: i32, masks: u32, cap: u32) -> i32 {
    let b = unsafe { core::slice::from_raw_parts(text as *const u8, n as usize) };
    let out = unsafe { core::slice::from_raw_parts_mut(masks as *mut i32, cap as usize) };
    let t = unsafe { &*core::ptr::addr_of!(TABLE) };
    let n = b.len();
    let mut depth: i32 = 0;
    let mut max: i32 = 0;
    let mut closed = false;
    let mut after = false;
    let mut unterminated = false;
    let mut clean = true;
    let mut saw_records = false;
    let kinds = (if stop_at < 64 { stop_at.max(0) } else { 64 }) as usize + 2;
    let mut kind = [0i32; KINDS];
    let mut seen = [0i32; KINDS];
    let mut cur = UNTRACKED;
    let mut expect_key = false;
    let mut pending = UNTRACKED;
    let mut mask: i32 = 0;
    let mut count: usize = 0;
    let mut overflow = false;
    let at = |j: usize| -> u8 { if j < n { b[j] } else { 0 } };
    let mut i = 0usize;
    while i < n {
        let c = b[i];
        i += 1;
        if depth == 0 && !is_space(c) && (closed || (c != b'{' && c != b'[')) {
            after = true;
        }
        if c == b'"' {
            let s = i;
            let q = match string_end(b, i) {
                Some(q) => q,
                None => {
                    unterminated = true;
                    break;
                }
            };
            i = q + 1;
            if !clean || cur == UNTRACKED {
                continue;
            }
            if !expect_key {
                if cur == RECORDS {
                    clean = false;
                }
                continue;
            }
            expect_key = false;
            let mut j = i;
            if at(j) != b':' {
                while is_space(at(j)) {
                    j += 1;
                }
                if at(j) != b':' {
                    clean = false;
                    continue;
                }
            }
            j += 1;
            let mut v = at(j);
            if is_space(v) {
                while is_space(at(j)) {
                    j += 1;
                }
                v = at(j);
            }
            if cur == ROOT {
                if saw_records || &b[s..q] != b"Records" || v != b'[' {
                    clean = false;
                } else {
                    saw_records = true;
                    pending = RECORDS;
                }
                continue;
            }
            let d = depth as usize;
            let key = match find_key(t, cur, b, s, q) {
                Some(k) if seen[d] & k.bit == 0 => k,
                _ => {
                    clean = false;
                    continue;
                }
            };
            seen[d] |= key.bit;
            if v == b'n' {
                if cur == LEVEL_RECORD {
                    mask |= key.bit;
                }
                continue;
            }
            match key.check {
                CHECK_JSON => {}
                CHECK_TEXT => {
                    if v != b'"' {
                        clean = false;
                    }
                }
                CHECK_BOOL => {
                    if v != b't' && v != b'f' && v != b'"' {
                        clean = false;
                    }
                }
                level => {
                    if v == b'{' {
                        pending = level;
                    } else {
                        clean = false;
                    }
                }
            }
            continue;
        }
        if c == b'{' || c == b'[' {
            depth += 1;
            if depth > max {
                max = depth;
                if max > stop_at {
                    unsafe {
                        MAX = max;
                        MASK_COUNT = 0;
                    }
                    return 1;
                }
            }
            if !clean {
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
            if (depth == 1 && k != ROOT) || (k == LEVEL_RECORD && c != b'{') {
                clean = false;
            }
            kind[d] = k;
            seen[d] = 0;
            cur = k;
            expect_key = k == ROOT || k >= LEVEL_RECORD;
            if k == LEVEL_RECORD {
                mask = 0;
            }
        } else if c == b'}' || c == b']' {
            if clean && cur == LEVEL_RECORD {
                if 2 * count + 1 < out.len() {
                    out[2 * count] = mask;
                    out[2 * count + 1] = (i - 1) as i32;
                    count += 1;
                } else {
                    overflow = true;
                }
            }
            depth -= 1;
            if depth == 0 {
                closed = true;
            } else if depth < 0 {
                after = true;
            }
            expect_key = false;
            cur = if depth > 0 && (depth as usize) < kinds { kind[depth as usize] } else { UNTRACKED };
        } else if c == b',' {
            if clean && (cur == ROOT || cur >= LEVEL_RECORD) {
                expect_key = true;
            }
        } else if clean && cur == RECORDS && !is_space(c) {
            clean = false;
        }
    }
    let single = closed && !after && depth == 0 && !unterminated;
    unsafe {
        MAX = max;
        MASK_COUNT = count as u32;
    }
    let mut flags = 0;
    if single {
        flags |= 2;
    }
    if clean && single && saw_records {
        flags |= 4;
    }
    if overflow {
        flags |= 8;
    }
    flags
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
