//! Byte-pair merging of one piece against the o200k ranks.
//!
//! The merge order is tiktoken's: repeatedly merge the adjacent pair whose concatenation has
//! the lowest rank, the leftmost one on ties. Short pieces (nearly all of them) use a flat
//! scan; long pieces use a heap with lazy invalidation, which gives the same merges in
//! O(n log n) instead of O(n²), so one megabyte of a repeated letter takes milliseconds.

use rustc_hash::FxHashMap;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

pub(crate) type Ranks = FxHashMap<&'static [u8], u32>;

/// Pieces at least this long use the heap-based merge.
const HEAP_THRESHOLD: usize = 128;

/// Appends the tokens of `piece` (not itself in the vocabulary) to `out`.
pub(crate) fn encode_piece(ranks: &Ranks, piece: &[u8], out: &mut Vec<u32>) {
    if piece.len() >= HEAP_THRESHOLD {
        merge_heap(ranks, piece, out)
    } else {
        merge_scan(ranks, piece, out)
    }
}

#[inline]
fn rank_of(ranks: &Ranks, bytes: &[u8]) -> u32 {
    ranks.get(bytes).copied().unwrap_or(u32::MAX)
}

fn emit(ranks: &Ranks, piece: &[u8], starts: impl Iterator<Item = usize>, out: &mut Vec<u32>) {
    let mut starts = starts.peekable();
    while let Some(s) = starts.next() {
        let e = starts.peek().copied().unwrap_or(piece.len());
        out.push(*ranks.get(&piece[s..e]).expect("every byte is a token"));
    }
}

/// Flat O(n²) merge, fastest for short pieces.
pub(crate) fn merge_scan(ranks: &Ranks, piece: &[u8], out: &mut Vec<u32>) {
    // bounds[i] is the start of part i; bounds has a sentinel at piece.len().
    let mut bounds: Vec<usize> = (0..=piece.len()).collect();
    // pair_rank[i] is the rank of part i merged with part i+1.
    let mut pair_rank: Vec<u32> = (0..piece.len().saturating_sub(1))
        .map(|i| rank_of(ranks, &piece[i..i + 2]))
        .collect();
    loop {
        let mut best = (u32::MAX, 0usize);
        for (i, &r) in pair_rank.iter().enumerate() {
            if r < best.0 {
                best = (r, i);
            }
        }
        if best.0 == u32::MAX {
            break;
        }
        let i = best.1;
        bounds.remove(i + 1);
        pair_rank.remove(i);
        let parts = bounds.len() - 1;
        if i + 1 < parts {
            pair_rank[i] = rank_of(ranks, &piece[bounds[i]..bounds[i + 2]]);
        }
        if i > 0 {
            pair_rank[i - 1] = rank_of(ranks, &piece[bounds[i - 1]..bounds[i + 1]]);
        }
    }
    emit(ranks, piece, bounds[..bounds.len() - 1].iter().copied(), out);
}

/// Heap-based O(n log n) merge for long pieces; same result as [`merge_scan`].
pub(crate) fn merge_heap(ranks: &Ranks, piece: &[u8], out: &mut Vec<u32>) {
    let n = piece.len();
    const NONE: usize = usize::MAX;
    // Parts form a linked list over byte positions; a part is identified by its start.
    let mut next: Vec<usize> = (1..=n).collect(); // next[s] = start of the following part (n = end)
    let mut prev: Vec<usize> = (0..n).map(|s| if s == 0 { NONE } else { s - 1 }).collect();
    let mut alive = vec![true; n];
    // Heap of (rank, left start, end of the pair) — the pair span identifies the entry.
    let mut heap: BinaryHeap<Reverse<(u32, usize, usize)>> = BinaryHeap::with_capacity(n);
    for s in 0..n.saturating_sub(1) {
        let r = rank_of(ranks, &piece[s..s + 2]);
        if r != u32::MAX {
            heap.push(Reverse((r, s, s + 2)));
        }
    }
    let pair_end = |next: &Vec<usize>, s: usize| -> Option<usize> {
        let mid = next[s];
        (mid < n).then(|| next[mid])
    };
    while let Some(Reverse((_, s, end))) = heap.pop() {
        if !alive[s] || pair_end(&next, s) != Some(end) {
            continue; // stale entry
        }
        let mid = next[s];
        alive[mid] = false;
        next[s] = end;
        if end < n {
            prev[end] = s;
        }
        if let Some(e2) = pair_end(&next, s) {
            let r = rank_of(ranks, &piece[s..e2]);
            if r != u32::MAX {
                heap.push(Reverse((r, s, e2)));
            }
        }
        let p = prev[s];
        if p != NONE {
            let r = rank_of(ranks, &piece[p..end]);
            if r != u32::MAX {
                heap.push(Reverse((r, p, end)));
            }
        }
    }
    let mut starts = Vec::new();
    let mut s = 0;
    while s < n {
        starts.push(s);
        s = next[s];
    }
    emit(ranks, piece, starts.into_iter(), out);
}
