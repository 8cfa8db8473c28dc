//! Byte-pair merging of one piece against the o200k ranks.
//!
//! The merge order is tiktoken's: repeatedly merge the adjacent pair whose concatenation has
//! the lowest rank, the leftmost one on ties. Three exact implementations, by piece length:
//!
//! - short pieces (nearly all of them): a flat scan over stack arrays sized to the piece (16,
//!   64 or 256 parts), no allocation; parts are linked, not moved, and each round finds the
//!   pair to merge with one branch-free minimum over packed `rank << 8 | place` keys;
//! - up to [`WINDOW`] bytes: a four-ary heap of packed `(rank, position)` keys with lazy
//!   invalidation, O(n log n);
//! - longer pieces: windows of [`WINDOW`] bytes, each merged with the heap, stitched together
//!   only where the stitch is provably what merging the whole piece gives (see
//!   [`merge_long`]). Identical consecutive windows (one repeated character, long runs of
//!   spaces) are merged once, so such input costs about as much per byte as prose.
//!
//! After the first round (adjacent bytes, from the two-byte table), the rank of two adjacent
//! parts comes from the merge table (`merges.rs`), looked up by their two ids: no bytes are
//! hashed and the vocabulary is not read. Text (valid UTF-8, [`encode_str_piece`]) starts the
//! scan and heap merges from whole characters where that is provably exact, and the scan from
//! a leading space merged with the character after it where that is (`chars.rs`).

use super::chars;
use super::merges::merged;
use super::table::Table;
use super::vocab::token_bytes;

pub(crate) type Ranks = Table;

/// Pieces at least this long use the heap-based merge.
const HEAP_THRESHOLD: usize = 128;
/// The flat scan handles pieces up to this length (the pair check of [`merge_long`] merges
/// two tokens of up to 128 bytes each).
const SCAN_MAX: usize = 256;
/// Pieces longer than this are merged window by window.
const WINDOW: usize = 4096;
/// Tokens of a window that end in its last MARGIN bytes are not taken (they are the likeliest
/// to merge differently with what follows); must exceed the longest token (128 bytes).
const MARGIN: usize = 512;

/// Long pieces of ASCII letters (one optional other character first, as the split pattern makes
/// them) are merged in windows this short, each with the flat scan, which is several times
/// cheaper per byte than the heap: no token of such a piece is longer than 26 bytes (checked
/// in the tests), so a window's tokens before its last LETTER_MARGIN bytes nearly always
/// stand (and [`merge_windows`] is exact whatever the sizes). On a 1 MB piece of random
/// letters a margin of 4 bytes cost the fewest instructions (margins 2–8 and windows 40–120
/// bytes measured with callgrind: a narrower margin fails more seams, a wider one merges more
/// bytes twice).
const LETTER_WINDOW: usize = 64;
const LETTER_MARGIN: usize = 4;

const NO_RANK: u32 = u32::MAX;

/// True for an ASCII letter run with at most one other ASCII character before it.
fn is_letters(piece: &[u8]) -> bool {
    piece.len() > 1 && piece[1..].iter().all(u8::is_ascii_alphabetic) && piece[0].is_ascii()
}

/// Appends the tokens of `piece` (not itself in the vocabulary) to `out`.
pub(crate) fn encode_piece(ranks: &Ranks, piece: &[u8], out: &mut Vec<u32>) {
    if piece.len() < HEAP_THRESHOLD {
        merge_scan(ranks, piece, out)
    } else if is_letters(piece) {
        merge_windows(ranks, piece, out, LETTER_WINDOW, LETTER_MARGIN)
    } else if piece.len() <= WINDOW {
        merge_heap(ranks, piece, out)
    } else {
        merge_long(ranks, piece, out)
    }
}

#[inline]
fn token_len(id: u32) -> usize {
    token_bytes(id).map_or(0, <[u8]>::len)
}

/// `$f::<N>(...)` for the smallest size of [`Scan`] that holds `$n` (≤ [`SCAN_MAX`]) parts.
macro_rules! sized {
    ($n:expr, $f:ident($($arg:expr),*)) => {
        if $n <= 16 {
            $f::<16>($($arg),*)
        } else if $n <= 32 {
            $f::<32>($($arg),*)
        } else if $n <= 64 {
            $f::<64>($($arg),*)
        } else {
            $f::<SCAN_MAX>($($arg),*)
        }
    };
}

/// Flat O(n²) merge over stack arrays, fastest for short pieces (at most [`SCAN_MAX`] bytes;
/// longer ones are handed to [`merge_heap`]).
pub(crate) fn merge_scan(ranks: &Ranks, piece: &[u8], out: &mut Vec<u32>) {
    if piece.len() <= SCAN_MAX {
        sized!(piece.len(), scan_bytes(ranks, piece, out))
    } else {
        merge_heap(ranks, piece, out)
    }
}

#[inline(always)]
fn scan_bytes<const N: usize>(ranks: &Ranks, piece: &[u8], out: &mut Vec<u32>) {
    let mut s = Scan::<N>::new();
    s.push_bytes(ranks, piece);
    s.run(out)
}

/// Appends the tokens of `piece` (valid UTF-8, not itself in the vocabulary) to `out`, like
/// [`encode_piece`], starting the merge from characters already merged where that is exact
/// (see `chars.rs`).
pub(crate) fn encode_str_piece(ranks: &Ranks, piece: &str, out: &mut Vec<u32>) {
    let piece = piece.as_bytes();
    let n = piece.len();
    if n > WINDOW || n == 0 || (n >= HEAP_THRESHOLD && is_letters(piece)) {
        return encode_piece(ranks, piece, out);
    }
    if n > SCAN_MAX {
        return merge_heap_utf8(ranks, piece, out);
    }
    sized!(n, scan_utf8(ranks, piece, out))
}

#[inline(always)]
fn scan_utf8<const N: usize>(ranks: &Ranks, piece: &[u8], out: &mut Vec<u32>) {
    let n = piece.len();
    let mut s = Scan::<N>::new();
    // The previous part's byte when it is a single byte (its pair rank then comes from the
    // two-byte table).
    let mut prev_byte: Option<u8> = None;
    let mut i = 0;
    // A space and the character after it, merged, where that is exact (see `chars::spaced`).
    if n > 2 && piece[0] == b' ' && piece[1] >= 0xC0 {
        let len = chars::utf8_len(piece[1]);
        if let Some(t) = chars::spaced(piece, len) {
            s.push(t, NO_RANK);
            i = 1 + len;
        }
    }
    while i < n {
        let b = piece[i];
        // A continuation byte here belongs to a character that starts as bytes.
        let (id, len, byte, mut more) = if b < 0xC0 {
            (ranks.byte_id(b), 1, Some(b), chars::Tokens::NONE)
        } else {
            let len = chars::utf8_len(b);
            match chars::premerged(piece, i, len) {
                Some(t) => (t.first(), len, None, t.rest()),
                // Its first two bytes as one token, where that is exact (`chars::prefix`); its
                // third byte is the next part.
                None => match if len == 3 { chars::prefix(piece, i) } else { None } {
                    Some(t) => (t, 2, None, chars::Tokens::NONE),
                    None => (ranks.byte_id(b), 1, Some(b), chars::Tokens::NONE),
                },
            }
        };
        let rank = if s.parts == 0 {
            NO_RANK
        } else {
            match (prev_byte, byte) {
                (Some(x), Some(y)) => ranks.pair_rank(x, y),
                _ => merged(s.ids[s.parts - 1], id),
            }
        };
        s.push(id, rank);
        // The character's other tokens, if merging it alone ends in more than one: they never
        // merge with each other (merging alone would have joined them).
        while !more.is_empty() {
            s.push(more.first(), NO_RANK);
            more = more.rest();
        }
        prev_byte = byte;
        i += len;
    }
    if s.parts >= HEAP_THRESHOLD {
        return merge_heap_utf8(ranks, piece, out);
    }
    s.run(out)
}

/// Lanes of the minimum search in [`Scan::run`]: it runs over whole chunks of keys (those
/// past the last part are `NO_KEY`), so there is no remainder loop, and four `i32` lanes are
/// what the baseline x86-64 (SSE2) compares natively: a wider or unsigned minimum cost more
/// instructions per round than it saved (callgrind on the real-text classes).
const LANES: usize = 4;
/// Keys are below 2^26 (ranks below 2^18, places below 2^8): `i32::MAX` is above them all.
const NO_KEY: i32 = i32::MAX;

/// The flat merge of at most `N` parts (`N` a multiple of [`LANES`], at most 256 so that a
/// part's place fits in a key's low byte). Parts never move: a merge keeps the left part's
/// place and unlinks the right one, so the leftmost pair of the lowest rank is the smallest
/// key, `rank << 8 | place`, found by one branch-free pass over whole chunks of keys.
#[derive(Clone)]
struct Scan<const N: usize> {
    /// The token of each live part.
    ids: [u32; N],
    /// Per part: the rank of merging it with the next live part, packed with its place
    /// (`NO_KEY`: no such merge, the last part, or a part merged into the one before it).
    keys: [i32; N],
    next: [u16; N],
    prev: [u16; N],
    parts: usize,
}

impl<const N: usize> Scan<N> {
    #[inline(always)]
    fn new() -> Self {
        const { assert!(N % LANES == 0 && N <= 256) };
        Scan { ids: [0; N], keys: [NO_KEY; N], next: [0; N], prev: [0; N], parts: 0 }
    }

    #[inline(always)]
    fn key(rank: u32, place: usize) -> i32 {
        if rank == NO_RANK { NO_KEY } else { (rank << 8 | place as u32) as i32 }
    }

    /// Appends each byte of `piece` as a part (at most `N` parts in all).
    #[inline(always)]
    fn push_bytes(&mut self, ranks: &Ranks, piece: &[u8]) {
        let mut prev = None;
        for &b in piece {
            let rank = prev.map_or(NO_RANK, |a| ranks.pair_rank(a, b));
            self.push(ranks.byte_id(b), rank);
            prev = Some(b);
        }
    }

    /// Appends a part; `rank` is that of merging the previous part with it.
    #[inline(always)]
    fn push(&mut self, id: u32, rank: u32) {
        let i = self.parts;
        self.ids[i] = id;
        self.next[i] = (i + 1) as u16;
        if i > 0 {
            self.prev[i] = (i - 1) as u16;
            self.keys[i - 1] = Self::key(rank, i - 1);
        }
        self.parts = i + 1;
    }

    #[inline(always)]
    fn run(&mut self, out: &mut Vec<u32>) {
        let n = self.parts;
        if n == 0 {
            return;
        }
        let chunks = (n - 1).div_ceil(LANES);
        if chunks > TWO_LEVEL_FROM {
            self.run_two_level(chunks);
        } else {
            self.run_flat(chunks);
        }
        let mut i = 0;
        while i < n {
            out.push(self.ids[i]);
            i = self.next[i] as usize;
        }
    }

    /// [`Self::run`]'s rounds over `chunks` chunks of keys: each searches all of them.
    #[inline(always)]
    fn run_flat(&mut self, chunks: usize) {
        loop {
            let k = lowest(&self.keys[..chunks * LANES]);
            if k == NO_KEY {
                break;
            }
            self.merge(k);
        }
    }

    /// [`Self::run`]'s rounds for many parts: the lowest key of each chunk of [`LANES`] keys is
    /// kept, so that a round searches the chunks' minimums (a quarter of the keys) and then
    /// recomputes the at most three chunks its merge changed. (Searching all the keys each
    /// round was most of the cost of a 64-byte window of a long run of letters.)
    #[inline(never)]
    fn run_two_level(&mut self, chunks: usize) {
        let mut mins = [NO_KEY; SCAN_MAX / LANES];
        let used = chunks.next_multiple_of(LANES);
        for (c, m) in mins[..chunks].iter_mut().enumerate() {
            *m = self.chunk_min(c);
        }
        loop {
            let k = lowest(&mins[..used]);
            if k == NO_KEY {
                break;
            }
            let (a, p, q) = self.merge(k);
            for c in [a / LANES, p / LANES, q / LANES] {
                mins[c] = self.chunk_min(c);
            }
        }
    }

    /// The lowest key of chunk `c`.
    #[inline(always)]
    fn chunk_min(&self, c: usize) -> i32 {
        lowest(&self.keys[c * LANES..c * LANES + LANES])
    }

    /// Merges the pair of key `k` (a real merge): the part at its place takes the merged
    /// token, the next part is unlinked, and the keys of the pairs around it are updated.
    /// Returns the places whose keys changed: the part before (or the part itself, if first),
    /// the part, and the unlinked one.
    #[inline(always)]
    fn merge(&mut self, k: i32) -> (usize, usize, usize) {
        let n = self.parts;
        let (rank, p) = ((k >> 8) as u32, (k & 0xFF) as usize);
        let q = self.next[p] as usize;
        let r = self.next[q] as usize;
        self.ids[p] = rank;
        self.keys[q] = NO_KEY;
        self.next[p] = r as u16;
        self.keys[p] = if r < n {
            self.prev[r] = p as u16;
            Self::key(merged(rank, self.ids[r]), p)
        } else {
            NO_KEY
        };
        let mut a = p;
        if p > 0 {
            a = self.prev[p] as usize;
            self.keys[a] = Self::key(merged(self.ids[a], rank), a);
        }
        (a, p, q)
    }
}

/// The lowest of `keys` (a whole number of [`LANES`]-wide chunks), in lanes that the compiler
/// keeps in one vector register.
#[inline(always)]
fn lowest(keys: &[i32]) -> i32 {
    let mut lanes = [NO_KEY; LANES];
    for chunk in keys.chunks_exact(LANES) {
        for j in 0..LANES {
            lanes[j] = lanes[j].min(chunk[j]);
        }
    }
    lanes.iter().fold(NO_KEY, |m, &k| m.min(k))
}

/// Above this many chunks of keys, [`Scan::run`] keeps each chunk's lowest key
/// ([`Scan::run_two_level`]).
const TWO_LEVEL_FROM: usize = 8;

/// Heap-based O(n log n) merge; same result as [`merge_scan`].
pub(crate) fn merge_heap(ranks: &Ranks, piece: &[u8], out: &mut Vec<u32>) {
    heap(ranks, piece, false, out)
}

/// [`merge_heap`] of valid UTF-8, starting from characters already merged where that is exact
/// (see `chars.rs`).
fn merge_heap_utf8(ranks: &Ranks, piece: &[u8], out: &mut Vec<u32>) {
    heap(ranks, piece, true, out)
}

fn heap(ranks: &Ranks, piece: &[u8], utf8: bool, out: &mut Vec<u32>) {
    let n = piece.len();
    if n == 0 {
        return;
    }
    assert!(n < u32::MAX as usize, "piece too long");
    const NONE: u32 = u32::MAX;
    const DEAD: u32 = u32::MAX;
    // Parts form a linked list over byte positions; a part is identified by its start.
    let mut next: Vec<u32> = (1..=n as u32).collect();
    let mut prev: Vec<u32> = (0..n as u32).map(|s| s.wrapping_sub(1)).collect(); // 0 → NONE
    let mut ids: Vec<u32> = piece.iter().map(|&b| ranks.byte_id(b)).collect();
    // pair_rank[s]: rank of the current pair starting at part s (NO_RANK if none). A heap entry
    // (rank, s) is current iff part s is alive and pair_rank[s] == rank: a rank names one byte
    // string, so the same rank at the same start is the same pair.
    let mut pair_rank = vec![NO_RANK; n];
    let mut init = Vec::with_capacity(n);
    if utf8 {
        // Parts: premerged characters, other bytes one by one.
        let (mut s, mut last, mut last_single) = (0usize, NONE, false);
        while s < n {
            let b = piece[s];
            let mut len = 1;
            if b >= 0xC0 {
                // (A continuation byte here belongs to a character that starts as bytes.)
                let l = chars::utf8_len(b);
                // (Only a character that starts as one token: a part here is a character.)
                if let Some(t) = chars::premerged(piece, s, l).filter(|t| t.rest().is_empty()) {
                    ids[s] = t.first();
                    len = l;
                }
            }
            next[s] = (s + len) as u32;
            prev[s] = last;
            if last != NONE {
                let p = last as usize;
                let r = if last_single && len == 1 { ranks.pair_rank(piece[p], b) } else { merged(ids[p], ids[s]) };
                pair_rank[p] = r;
                if r != NO_RANK {
                    init.push(((r as u64) << 32) | p as u64);
                }
            }
            last = s as u32;
            last_single = len == 1;
            s += len;
        }
    } else {
        for s in 0..n - 1 {
            let r = ranks.pair_rank(piece[s], piece[s + 1]);
            pair_rank[s] = r;
            if r != NO_RANK {
                init.push(((r as u64) << 32) | s as u64);
            }
        }
    }
    let mut heap = QuadHeap::from(init);
    while let Some(key) = heap.pop() {
        let (r, s) = ((key >> 32) as u32, key as u32 as usize);
        if ids[s] == DEAD || pair_rank[s] != r {
            continue; // stale entry
        }
        let mid = next[s] as usize;
        let end = next[mid];
        ids[s] = r;
        ids[mid] = DEAD;
        next[s] = end;
        pair_rank[s] = NO_RANK;
        if (end as usize) < n {
            prev[end as usize] = s as u32;
            let r2 = merged(r, ids[end as usize]);
            pair_rank[s] = r2;
            if r2 != NO_RANK {
                heap.push(((r2 as u64) << 32) | s as u64);
            }
        }
        let p = prev[s];
        if p != NONE {
            let r3 = merged(ids[p as usize], r);
            pair_rank[p as usize] = r3;
            if r3 != NO_RANK {
                heap.push(((r3 as u64) << 32) | p as u64);
            }
        }
    }
    let mut s = 0;
    while s < n {
        out.push(ids[s]);
        s = next[s] as usize;
    }
}

/// A min-heap of `u64` keys with four children per node: half the depth of a binary heap, and
/// the smallest of four children found without branches (a binary heap's pop was most of the
/// time of merging a long piece, in mispredicted branches of its sift-down).
struct QuadHeap {
    v: Vec<u64>,
}

impl QuadHeap {
    fn from(v: Vec<u64>) -> QuadHeap {
        let mut h = QuadHeap { v };
        let n = h.v.len();
        for i in (0..n.div_ceil(4)).rev() {
            let k = h.v[i];
            h.sift_down(i, k);
        }
        h
    }

    #[inline]
    fn push(&mut self, k: u64) {
        let mut i = self.v.len();
        self.v.push(k);
        while i > 0 {
            let p = (i - 1) / 4;
            if self.v[p] <= k {
                break;
            }
            self.v[i] = self.v[p];
            i = p;
        }
        self.v[i] = k;
    }

    #[inline]
    fn pop(&mut self) -> Option<u64> {
        let last = self.v.pop()?;
        if self.v.is_empty() {
            return Some(last);
        }
        let top = self.v[0];
        self.sift_down(0, last);
        Some(top)
    }

    /// Puts `k` at node `i` or below, moving smaller children up.
    #[inline(always)]
    fn sift_down(&mut self, mut i: usize, k: u64) {
        let v = &mut self.v[..];
        let n = v.len();
        loop {
            let c = 4 * i + 1;
            let (m, mv) = if c + 4 <= n {
                let q = &v[c..c + 4];
                let (i1, m1) = if q[1] < q[0] { (c + 1, q[1]) } else { (c, q[0]) };
                let (i2, m2) = if q[3] < q[2] { (c + 3, q[3]) } else { (c + 2, q[2]) };
                if m2 < m1 { (i2, m2) } else { (i1, m1) }
            } else if c < n {
                let mut best = (c, v[c]);
                for j in c + 1..n {
                    if v[j] < best.1 {
                        best = (j, v[j]);
                    }
                }
                best
            } else {
                break;
            };
            if mv >= k {
                break;
            }
            v[i] = mv;
            i = m;
        }
        v[i] = k;
    }
}

/// True if merging the bytes of `a` followed by those of `b` gives exactly `[a, b]`.
fn valid_pair(ranks: &Ranks, a: u32, b: u32) -> bool {
    let (Some(x), Some(y)) = (token_bytes(a), token_bytes(b)) else { return false };
    let mut buf = [0u8; SCAN_MAX];
    if x.len() + y.len() > SCAN_MAX {
        return false;
    }
    buf[..x.len()].copy_from_slice(x);
    buf[x.len()..x.len() + y.len()].copy_from_slice(y);
    let mut got = Vec::with_capacity(2);
    merge_scan(ranks, &buf[..x.len() + y.len()], &mut got);
    got == [a, b]
}

/// Linear-time merge of a long piece, window by window; same result as [`merge_heap`].
///
/// Why it is exact. Call a token sequence *valid* if it is what merging its own bytes gives.
/// (1) A contiguous run of a valid sequence is valid: merging never crosses a boundary of the
/// final tokens, so the merges inside the run happen in the same order without the rest.
/// (2) If `A` and `B` are valid and `[last(A), first(B)]` is valid, then `A ++ B` is valid:
/// while nothing has merged across the seam, each side evolves exactly as on its own and the
/// choice between the left side's best pair, the pair across the seam and the right side's
/// best pair depends only on the tokens next to the seam, the same as when merging just
/// `last(A)` and `first(B)`, which never merges across; so merging `A ++ B`'s bytes never
/// merges across either. Merging is deterministic, so a valid sequence is *the* result.
///
/// The loop keeps the accepted tokens valid: it merges a window starting at the end of what
/// is accepted, checks the seam pair (2), and accepts the window's tokens up to MARGIN bytes
/// from its end (a prefix of a valid sequence, (1)). If the seam pair is not valid the last
/// accepted token is taken back and the window redone from before it; the next accepted run
/// must reach past the failed seam, so the loop always advances. With 4 KiB windows and a
/// 512-byte margin a seam practically never fails on o200k (the tests force failures with
/// tiny windows).
pub(crate) fn merge_long(ranks: &Ranks, piece: &[u8], out: &mut Vec<u32>) {
    merge_windows(ranks, piece, out, WINDOW, MARGIN)
}

/// [`merge_long`] with a given window and margin (any sizes are correct; small ones are slow).
pub(crate) fn merge_windows(ranks: &Ranks, piece: &[u8], out: &mut Vec<u32>, window_len: usize, margin: usize) {
    let window_len = window_len.max(1);
    let n = piece.len();
    let base = out.len();
    let mut pos = 0; // end of the accepted tokens, out[base..]
    let mut failed_at = 0; // furthest seam found invalid
    let mut window: Vec<u32> = Vec::new();
    let mut window_bytes: &[u8] = &[]; // the bytes `window` was merged from
    let mut checked: Option<(u32, u32)> = None; // last seam pair found valid
    loop {
        let end = n.min(pos.max(failed_at) + window_len);
        let bytes = &piece[pos..end];
        if bytes != window_bytes {
            window.clear();
            if bytes.len() < HEAP_THRESHOLD {
                merge_scan(ranks, bytes, &mut window)
            } else {
                merge_heap(ranks, bytes, &mut window)
            }
            window_bytes = bytes;
        }
        if out.len() > base {
            let last = out[out.len() - 1];
            let seam = (last, window[0]);
            if checked != Some(seam) {
                if !valid_pair(ranks, last, window[0]) {
                    #[cfg(test)]
                    tests::SEAM_FAILURES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    failed_at = failed_at.max(pos);
                    out.pop();
                    pos -= token_len(last);
                    continue;
                }
                checked = Some(seam);
            }
        }
        if end == n {
            out.extend_from_slice(&window);
            return;
        }
        // Take the window's tokens up to `margin` bytes from its end, but at least one and at
        // least past `failed_at` (any prefix is valid, (1)): every failed seam is further right
        // than the one before, and between two failures each round takes a token, so the
        // loop ends whatever the window and margin.
        let limit = end.saturating_sub(margin);
        let mut took = false;
        for &t in &window {
            let e = pos + token_len(t);
            if e > limit && took && pos > failed_at {
                break;
            }
            took = true;
            out.push(t);
            pos = e;
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) static SEAM_FAILURES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

    #[test]
    fn the_quad_heap_pops_in_order() {
        // Against std's binary heap: heapified starts of every size (0 to 70, so every shape of
        // the last, partial group of children), then pushes and pops interleaved, duplicates
        // included.
        let mut next = xorshift(77);
        for n in 0..70usize {
            for round in 0..20 {
                let keys: Vec<u64> = (0..n).map(|_| next() % if round % 2 == 0 { 1 << 40 } else { 8 }).collect();
                let mut ours = QuadHeap::from(keys.clone());
                let mut std = std::collections::BinaryHeap::from(keys.into_iter().map(std::cmp::Reverse).collect::<Vec<_>>());
                for _ in 0..3 * n + 5 {
                    if next() % 3 == 0 {
                        let k = next() % 16;
                        ours.push(k);
                        std.push(std::cmp::Reverse(k));
                    } else {
                        assert_eq!(ours.pop(), std.pop().map(|r| r.0));
                    }
                }
                while let Some(std::cmp::Reverse(k)) = std.pop() {
                    assert_eq!(ours.pop(), Some(k));
                }
                assert_eq!(ours.pop(), None);
            }
        }
    }

    pub(crate) fn xorshift(seed: u64) -> impl FnMut() -> u64 {
        let mut x = seed | 1;
        move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        }
    }

    fn long_inputs() -> Vec<Vec<u8>> {
        let mut next = xorshift(77);
        let mut v: Vec<Vec<u8>> = vec![
            b"a".repeat(5000),
            b" ".repeat(5000),
            b"ab".repeat(2600),
            b"abc".repeat(1700),
            b"=-".repeat(2500),
            b"\n".repeat(3000),
            "日本語".repeat(600).into_bytes(),
            "🎉".repeat(1300).into_bytes(),
        ];
        for alpha in [&b"ab"[..], b"abc", b"aeiou", b"etaoinshrdlu", b" a", b"0123456789", b"!?.,"] {
            v.push((0..5000).map(|_| alpha[(next() % alpha.len() as u64) as usize]).collect());
        }
        // Runs of varying length, which make many window seams fall mid-token.
        let mut s = Vec::new();
        while s.len() < 6000 {
            let c = b"axy "[(next() % 4) as usize];
            let len = 1 + (next() % 200) as usize;
            s.extend(std::iter::repeat(c).take(len));
        }
        v.push(s);
        v.push((0..5000).map(|_| (next() % 256) as u8).collect());
        // Letter runs (merged in short windows by `encode_piece`): random, and glued words.
        v.push((0..6000).map(|_| b'a' + (next() % 26) as u8).collect());
        let words: [&[u8]; 6] = [b"the", b"tion", b"super", b"cal", b"ing", b"Fragil"];
        let mut glued = b" ".to_vec();
        while glued.len() < 6000 {
            glued.extend_from_slice(words[(next() % 6) as usize]);
        }
        v.push(glued);
        v
    }

    #[test]
    fn letter_runs_have_short_tokens() {
        // LETTER_WINDOW's premise: no token that is a letter run (as `is_letters` has it) is
        // longer than 26 bytes, far less than a window less its margin.
        let longest = (0..crate::tokenizer::FIRST_SPECIAL)
            .filter_map(token_bytes)
            .filter(|t| is_letters(t))
            .map(<[u8]>::len)
            .max();
        assert_eq!(longest, Some(26));
        assert!(26 < LETTER_WINDOW - LETTER_MARGIN);
    }

    #[test]
    fn letter_pieces_merge_as_a_whole() {
        let ranks = super::super::ranks();
        for input in long_inputs().into_iter().filter(|i| is_letters(i)) {
            let (mut whole, mut got) = (Vec::new(), Vec::new());
            merge_heap(ranks, &input, &mut whole);
            encode_piece(ranks, &input, &mut got);
            assert_eq!(got, whole);
        }
    }

    #[test]
    fn windowed_merge_equals_whole_merge() {
        let ranks = super::super::ranks();
        for input in long_inputs() {
            let mut whole = Vec::new();
            merge_heap(ranks, &input, &mut whole);
            for (window, margin) in [(1, 0), (7, 2), (16, 4), (40, 10), (LETTER_WINDOW, LETTER_MARGIN), (300, 140), (WINDOW, MARGIN)] {
                let mut got = vec![7]; // tokens already in the output stay untouched
                merge_windows(ranks, &input, &mut got, window, margin);
                assert_eq!(got[0], 7);
                assert_eq!(&got[1..], &whole[..], "window {window}, input {:?}", String::from_utf8_lossy(&input[..40]));
            }
        }
        // The take-back path ran (seams that merging the whole piece crosses).
        assert!(SEAM_FAILURES.load(std::sync::atomic::Ordering::Relaxed) > 0);
    }

    #[test]
    fn two_level_rounds_merge_as_flat_rounds() {
        // Every part count a scan holds, on text whose merges run long chains (most rounds
        // change keys in neighbouring chunks, and the lowest key moves between chunks).
        let ranks = super::super::ranks();
        let mut next = xorshift(11);
        let mut two_level = 0;
        for n in 2..=SCAN_MAX {
            for alpha in [&b"abcdefghijklmnopqrstuvwxyz"[..], b"etaoin", b"ab ", b"-= "] {
                let piece: Vec<u8> = (0..n).map(|_| alpha[(next() % alpha.len() as u64) as usize]).collect();
                let mut s = Scan::<SCAN_MAX>::new();
                s.push_bytes(ranks, &piece);
                let chunks = (n - 1).div_ceil(LANES);
                let (mut flat, mut two) = (s.clone(), s);
                flat.run_flat(chunks);
                two.run_two_level(chunks);
                let live = |s: &Scan<SCAN_MAX>| {
                    let (mut v, mut i) = (vec![], 0);
                    while i < n {
                        v.push(s.ids[i]);
                        i = s.next[i] as usize;
                    }
                    v
                };
                assert_eq!(live(&two), live(&flat), "{:?}", String::from_utf8_lossy(&piece));
                let mut whole = vec![];
                merge_heap(ranks, &piece, &mut whole);
                assert_eq!(live(&two), whole);
                two_level += usize::from(chunks > TWO_LEVEL_FROM);
            }
        }
        assert!(two_level > 800, "{two_level} pieces took the two-level rounds in run");
    }

    #[test]
    fn scan_equals_heap_on_random_short_pieces() {
        let ranks = super::super::ranks();
        let mut next = xorshift(5);
        for _ in 0..3000 {
            let n = 1 + (next() % 200) as usize;
            let alpha: &[u8] = match next() % 3 {
                0 => b"ab ",
                1 => b"etaoinshrdlu",
                _ => b"\xe6\x97\xa5 a=",
            };
            let s: Vec<u8> = (0..n).map(|_| alpha[(next() % alpha.len() as u64) as usize]).collect();
            let (mut a, mut b) = (vec![], vec![]);
            merge_scan(ranks, &s, &mut a);
            merge_heap(ranks, &s, &mut b);
            assert_eq!(a, b);
        }
    }

    #[test]
    fn scan_sizes_agree_with_the_heap_at_their_edges() {
        // Each size of `Scan` at and just past its capacity (16, 32, 64, 256 parts), of bytes and
        // of text, over alphabets with many equal-rank pairs (ties go to the leftmost).
        let ranks = super::super::ranks();
        let mut next = xorshift(11);
        for n in [1, 2, 3, 4, 5, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 255, 256] {
            for alpha in [&b"a"[..], b"ab", b" a", b"etaoin", b"\xd0\xb6\xd0\xb8"] {
                for _ in 0..20 {
                    let s: Vec<u8> = (0..n).map(|_| alpha[(next() % alpha.len() as u64) as usize]).collect();
                    let (mut a, mut b) = (vec![], vec![]);
                    merge_scan(ranks, &s, &mut a);
                    merge_heap(ranks, &s, &mut b);
                    assert_eq!(a, b, "{s:?}");
                }
            }
            let text: String = (0..n).map(|i| ['ж', 'и', 'a', ' '][(next() % 4) as usize ^ (i & 1)]).collect();
            let cut = (0..=n).rev().find(|&i| text.is_char_boundary(i)).unwrap_or(0);
            let text = &text[..cut];
            let (mut a, mut b) = (vec![], vec![]);
            encode_str_piece(ranks, text, &mut a);
            merge_heap(ranks, text.as_bytes(), &mut b);
            assert_eq!(a, b, "{text:?}");
        }
    }

    /// A space and the character after it start merged (`chars::spaced`) only where that is
    /// exact: for every character that can, the piece is the two followed by the rest of every
    /// token that starts with the character (the merges that could join it with what follows
    /// first), completed into text, and by ordinary neighbours; the merge must give exactly
    /// what merging bytes gives.
    #[test]
    fn a_space_and_a_character_start_merged_only_where_exact() {
        use crate::tokenizer::vocab::{token_bytes, FIRST_SPECIAL};
        use std::collections::HashMap;
        let ranks = super::super::ranks();
        let mut next = xorshift(0x5BACE);
        // What follows the character in each token that starts with it (and goes on).
        let mut rests: HashMap<&[u8], Vec<&[u8]>> = HashMap::new();
        for u in (0..FIRST_SPECIAL).filter_map(token_bytes) {
            if u[0] >= 0xC0 {
                let l = chars::utf8_len(u[0]);
                if u.len() > l && std::str::from_utf8(&u[..l]).is_ok() {
                    rests.entry(&u[..l]).or_default().push(&u[l..]);
                }
            }
        }
        // Characters by their first byte, to complete a token's rest into text.
        let mut by_lead: HashMap<u8, Vec<char>> = HashMap::new();
        for c in (0x80..=0x10FFFFu32).step_by(7).filter_map(char::from_u32) {
            by_lead.entry(c.to_string().as_bytes()[0]).or_default().push(c);
        }
        let tails = ["", "a", "A", "1", " ", "!", "\n", "'s", "ж", "日", "ا", "क", "🎉"];
        let (mut starts, mut refused, mut cases) = (0, 0, 0);
        for c in (0x80..=0x10FFFFu32).filter_map(char::from_u32) {
            let alone = format!(" {c}");
            let len = c.len_utf8();
            if chars::spaced(alone.as_bytes(), len).is_none() {
                continue;
            }
            let mut texts: Vec<Vec<u8>> = tails.iter().map(|t| format!("{alone}{t}").into_bytes()).collect();
            for rest in rests.get(&alone.as_bytes()[1..]).map_or(&[][..], |v| &v[..]) {
                let mut t = alone.as_bytes().to_vec();
                t.extend_from_slice(rest);
                // Complete a character the token's rest cuts (or one it needs after it).
                while std::str::from_utf8(&t).is_err() {
                    let cut = t.iter().rposition(|&b| b >= 0xC0).expect("a lead byte");
                    let lead = t[cut];
                    t.truncate(cut);
                    let v = &by_lead[&lead];
                    t.extend_from_slice(v[(next() % v.len() as u64) as usize].to_string().as_bytes());
                }
                t.extend_from_slice(tails[(next() % tails.len() as u64) as usize].as_bytes());
                texts.push(t);
            }
            for t in texts {
                let text = std::str::from_utf8(&t).expect("text");
                if ranks.get(text.as_bytes()).is_some() {
                    continue; // a token: never merged
                }
                match chars::spaced(text.as_bytes(), len) {
                    Some(_) => starts += 1,
                    None => refused += 1,
                }
                let (mut want, mut got) = (vec![], vec![]);
                merge_heap(ranks, text.as_bytes(), &mut want);
                encode_str_piece(ranks, text, &mut got);
                assert_eq!(got, want, "{text:?}");
                cases += 1;
            }
        }
        // Both sides of the check ran, many times.
        assert!(starts > 10_000 && refused > 1_000, "{cases} cases: {starts} started merged, {refused} refused");
    }

    /// Characters that can start merged, with what is around them chosen to be the worst case:
    /// tokens of the vocabulary that join part of a character with its neighbour (`" \xe5"`,
    /// `"\x80\xe0\xb8"`, ...) completed into real text, with random characters of the same
    /// scripts around them; the pre-merged merge must give exactly what merging bytes gives.
    #[test]
    fn premerged_characters_merge_like_bytes() {
        use crate::tokenizer::vocab::{token_bytes, FIRST_SPECIAL};
        use std::collections::HashMap;
        let ranks = super::super::ranks();
        // Every character of two or more bytes, by its first byte(s) and last byte(s).
        let mut by_prefix: HashMap<Vec<u8>, Vec<char>> = HashMap::new();
        let mut by_suffix: HashMap<Vec<u8>, Vec<char>> = HashMap::new();
        let mut table_chars = vec![];
        for cp in 0x80..=0x10FFFFu32 {
            let Some(c) = char::from_u32(cp) else { continue };
            let mut buf = [0u8; 4];
            let b = c.encode_utf8(&mut buf).as_bytes();
            let in_table = chars::premerged(b, 0, b.len()).is_some();
            if in_table {
                table_chars.push(c);
            }
            for k in 1..b.len() {
                // All characters are candidates, but table characters are the interesting ones.
                if in_table || cp % 64 == 0 {
                    by_prefix.entry(b[..k].to_vec()).or_default().push(c);
                    by_suffix.entry(b[k..].to_vec()).or_default().push(c);
                }
            }
        }
        let mut next = xorshift(0x5EED);
        let pick = |v: &[char], next: &mut dyn FnMut() -> u64| v[(next() % v.len() as u64) as usize];
        let crossing: Vec<&[u8]> = (0..FIRST_SPECIAL)
            .filter_map(token_bytes)
            .filter(|u| u.len() > 1 && (u[0] & 0xC0 == 0x80 || std::str::from_utf8(u).is_err()))
            .collect();
        assert!(crossing.len() > 1000, "{} tokens split a character", crossing.len());
        let (mut cases, mut premerged_parts, mut multi_token, mut prefixed) = (0, 0, 0, 0);
        for round in 0..40_000 {
            let u = crossing[(next() % crossing.len() as u64) as usize];
            let lead = u.iter().take_while(|&&b| b & 0xC0 == 0x80).count();
            let tail = u.iter().rposition(|&b| b & 0xC0 != 0x80).map_or(0, |j| {
                let need = if u[j] < 0x80 { 1 } else { chars::utf8_len(u[j]) };
                if u.len() - j < need { u.len() - j } else { 0 }
            });
            if lead + tail >= u.len() {
                continue;
            }
            let mut bytes = Vec::new();
            let around = |bytes: &mut Vec<u8>, like: char, next: &mut dyn FnMut() -> u64| {
                // Random characters of the same script as `like` (same first byte).
                let first = like.to_string().as_bytes()[0];
                if let Some(v) = by_prefix.get(&vec![first]) {
                    for _ in 0..next() % 4 {
                        let mut buf = [0u8; 4];
                        bytes.extend_from_slice(pick(v, next).encode_utf8(&mut buf).as_bytes());
                    }
                }
            };
            let c1 = if lead > 0 {
                let Some(v) = by_suffix.get(&u[..lead]) else { continue };
                Some(pick(v, &mut next))
            } else {
                None
            };
            let c2 = if tail > 0 {
                let Some(v) = by_prefix.get(&u[u.len() - tail..]) else { continue };
                Some(pick(v, &mut next))
            } else {
                None
            };
            if let Some(c) = c1 {
                around(&mut bytes, c, &mut next);
                let s = c.to_string();
                bytes.extend_from_slice(&s.as_bytes()[..s.len() - lead]);
            }
            bytes.extend_from_slice(u);
            if let Some(c) = c2 {
                bytes.extend_from_slice(&c.to_string().as_bytes()[tail..]);
                around(&mut bytes, c, &mut next);
            }
            if round % 50 == 0 {
                // Now and then a long piece (the heap merge).
                let t = pick(&table_chars, &mut next);
                while bytes.len() < 700 {
                    around(&mut bytes, t, &mut next);
                    bytes.extend_from_slice(u);
                }
                if std::str::from_utf8(&bytes).is_err() {
                    continue;
                }
            }
            let Ok(text) = std::str::from_utf8(&bytes) else { continue };
            let (mut want, mut got) = (vec![], vec![]);
            merge_heap(ranks, text.as_bytes(), &mut want);
            encode_str_piece(ranks, text, &mut got);
            assert_eq!(got, want, "{text:?}");
            cases += 1;
            let mut i = 0;
            while i < bytes.len() {
                let l = if bytes[i] < 0x80 { 1 } else { chars::utf8_len(bytes[i]) };
                let t = if l > 1 { chars::premerged(&bytes, i, l) } else { None };
                premerged_parts += usize::from(t.is_some());
                multi_token += usize::from(t.is_some_and(|t| !t.rest().is_empty()));
                prefixed += usize::from(t.is_none() && l == 3 && chars::prefix(&bytes, i).is_some());
                i += l;
            }
        }
        assert!(
            cases > 10_000 && premerged_parts > 10_000 && multi_token > 1000 && prefixed > 1000,
            "{cases} cases, {premerged_parts} premerged characters, {multi_token} of them as more than one token, \
             {prefixed} characters started as their first two bytes' token"
        );
    }
}
