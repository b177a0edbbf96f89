//! Walks over the sorted values of two sides at once, in the order a merge of the two would list
//! them (`f64::total_cmp`, ties from the first side first), without building the merged list: the
//! distinct values of both, and the Wasserstein distance between them.
//!
//! A drift check walks two sides of up to hundreds of thousands of values per column. Which side
//! the next value comes from is a coin toss for the processor's branch predictor, and each step
//! waits on the one before, so the walks over many values ([`walk_stretches`]) take no branch on it
//! (a conditional move on the values' bits picks the value) and walk four stretches of the merged
//! list side by side, whose steps do not wait on each other. On 200,000 values a side, that is a
//! third of the time of a merge into a new list.

use crate::math::total_order_key as key;
use std::hint::select_unpredictable;

/// The merged values, one at a time, by comparison and branch: for walks that need the general case.
struct Merged<'a> {
    a: &'a [f64],
    b: &'a [f64],
    i: usize,
    j: usize,
}

impl<'a> Merged<'a> {
    fn new(a: &'a [f64], b: &'a [f64]) -> Self {
        Self { a, b, i: 0, j: 0 }
    }
}

impl Iterator for Merged<'_> {
    type Item = f64;

    fn next(&mut self) -> Option<f64> {
        match (self.a.get(self.i), self.b.get(self.j)) {
            (Some(&x), Some(&y)) if x.total_cmp(&y).is_le() => {
                self.i += 1;
                Some(x)
            }
            (_, Some(&y)) => {
                self.j += 1;
                Some(y)
            }
            (Some(&x), None) => {
                self.i += 1;
                Some(x)
            }
            (None, None) => None,
        }
    }
}

/// Where the merged list's `k`th value stands: `(i, j)` with `i + j = k` such that its first `k`
/// values are `a[..i]` and `b[..j]`.
fn split(a: &[f64], b: &[f64], k: usize) -> (usize, usize) {
    let (mut lo, mut hi) = (k.saturating_sub(b.len()), k.min(a.len()));
    while lo < hi {
        let i = lo + (hi - lo) / 2;
        // a[i] is among the first k when it comes before b[k − i − 1] (on a tie, a's comes first).
        if key(a[i]) <= key(b[k - i - 1]) {
            lo = i + 1;
        } else {
            hi = i;
        }
    }
    (lo, k - lo)
}

/// The last of the first `i` values of `a` and `j` of `b` in the merged list (NaN for none).
fn last_taken(a: &[f64], b: &[f64], i: usize, j: usize) -> f64 {
    match (i.checked_sub(1).map(|i| a[i]), j.checked_sub(1).map(|j| b[j])) {
        (Some(x), Some(y)) if key(x) <= key(y) => y,
        (Some(x), Some(_)) => x,
        (x, y) => x.or(y).unwrap_or(f64::NAN),
    }
}

/// Walks positions `start..end` of the merged list of `a` and `b` (both non-empty), calling
/// `each(k, i, j, before, value)` for each position `k`, where the first `i` values of `a` and `j`
/// of `b` come before it and `before` is the value at `k − 1` (NaN at 0). The range is cut into
/// four stretches walked side by side: within each stretch `k` rises by 1, but calls from the four
/// interleave.
#[inline(always)]
fn walk_stretches(
    a: &[f64],
    b: &[f64],
    start: usize,
    end: usize,
    mut each: impl FnMut(usize, usize, usize, f64, f64),
) {
    const STRETCHES: usize = 4;
    let length = (end - start).div_ceil(STRETCHES);
    let mut walkers: [(usize, usize, usize, f64); STRETCHES] = std::array::from_fn(|s| {
        let k = (start + s * length).min(end);
        let (i, j) = split(a, b, k);
        (k, i, j, last_taken(a, b, i, j))
    });
    let mut advance = |(k, i, j, before): &mut (usize, usize, usize, f64)| {
        // Read within bounds even past an end; that value is then not taken.
        let (x, y) = (a[(*i).min(a.len() - 1)], b[(*j).min(b.len() - 1)]);
        let from_a = (*i < a.len()) & ((*j >= b.len()) | (key(x) <= key(y)));
        // On the bits: a float select is a branch on x86-64 without SSE4.1.
        let value = f64::from_bits(select_unpredictable(from_a, x.to_bits(), y.to_bits()));
        each(*k, *i, *j, *before, value);
        (*k, *i, *j, *before) = (*k + 1, *i + usize::from(from_a), *j + usize::from(!from_a), value);
    };
    // The last stretch is the shortest: all advance together that far, then each finishes alone.
    let together = end.saturating_sub(start + (STRETCHES - 1) * length);
    for _ in 0..together {
        walkers.iter_mut().for_each(&mut advance);
    }
    for (s, walker) in walkers.iter_mut().enumerate() {
        while walker.0 < (start + (s + 1) * length).min(end) {
            advance(walker);
        }
    }
}

/// How many distinct values two sorted lists hold together: the length of their merged list once
/// `Vec::dedup` has removed repeats (values equal by `==`). A value counts when it differs from the
/// one before it, which is the same: `==` only fails to be transitive through NaN, which differs
/// from everything and so always counts.
pub(super) fn distinct_count(a: &[f64], b: &[f64]) -> usize {
    if a.is_empty() || b.is_empty() {
        let only = if a.is_empty() { b } else { a };
        return usize::from(!only.is_empty()) + only.windows(2).filter(|w| w[0] != w[1]).count();
    }
    let mut count = 0;
    walk_stretches(a, b, 0, a.len() + b.len(), |_, _, _, before, value| {
        count += usize::from(value != before)
    });
    count
}

/// The distinct values of two sorted lists together, sorted: their merged list with repeats removed.
pub(super) fn distinct_values(a: &[f64], b: &[f64]) -> Vec<f64> {
    let mut all: Vec<f64> = Merged::new(a, b).collect();
    all.dedup();
    all
}

/// `scipy.stats.wasserstein_distance` between two sides' sorted values, each weighted by the rows
/// it stands for (one each when `None`): the area between the two CDFs, `|U − V|` over each gap
/// between consecutive merged values, summed in order.
pub(super) fn wasserstein(u: &[f64], uw: Option<&[f64]>, v: &[f64], vw: Option<&[f64]>) -> f64 {
    if u.is_empty() || v.is_empty() {
        return 0.0;
    }
    let total = |w: Option<&[f64]>, n: usize| w.map_or(n as f64, |w| w.iter().sum());
    let (tu, tv) = (total(uw, u.len()), total(vw, v.len()));
    // One weight per value, each finite and at least 0, totals finite and positive, and no NaN:
    // then each CDF is finite, and `walk` gives the very bits `walk_merged` does.
    let weighs = |w: Option<&[f64]>, n: usize| {
        w.is_none_or(|w| w.len() == n && w.iter().all(|&x| x.is_finite() && x >= 0.0))
    };
    // Not `any`, which stops at the first NaN and so is not vectorised.
    let nan = |values: &[f64]| values.iter().fold(false, |nan, x| nan | x.is_nan());
    let plain = weighs(uw, u.len())
        && weighs(vw, v.len())
        && [tu, tv].iter().all(|t| t.is_finite() && *t > 0.0)
        && !nan(u)
        && !nan(v);
    if plain {
        walk(u, uw, v, vw, tu, tv)
    } else {
        walk_merged(u, uw, v, vw, tu, tv)
    }
}

/// The distance as SciPy's formula reads: for each pair of consecutive merged values `(w₀, w₁)`,
/// `U` and `V` over the values `≤ w₀`, each accumulated in its side's order.
fn walk_merged(u: &[f64], uw: Option<&[f64]>, v: &[f64], vw: Option<&[f64]>, tu: f64, tv: f64) -> f64 {
    let weight = |w: Option<&[f64]>, i: usize| w.map_or(1.0, |w| w[i]);
    let mut merged = Merged::new(u, v);
    let Some(mut w0) = merged.next() else { return 0.0 };
    let (mut iu, mut iv, mut cu, mut cv, mut sum) = (0usize, 0usize, 0.0, 0.0, 0.0);
    for w1 in merged {
        while iu < u.len() && u[iu] <= w0 {
            cu += weight(uw, iu);
            iu += 1;
        }
        while iv < v.len() && v[iv] <= w0 {
            cv += weight(vw, iv);
            iv += 1;
        }
        sum += (cu / tu - cv / tv).abs() * (w1 - w0);
        w0 = w1;
    }
    sum
}

/// [`walk_merged`] over the stretches, `U` and `V` over the values before `w₁`. Those are the
/// values `≤ w₀` whenever `w₁ − w₀` is not 0 or NaN (a value equal to `w₀` not yet taken would be
/// `w₁`); where it is, the term is `|U − V|` times it whatever `U` and `V` are, as long as they are
/// finite, which the caller made sure of. So every term has the same bits; they are summed in
/// order, a block at a time.
fn walk(u: &[f64], uw: Option<&[f64]>, v: &[f64], vw: Option<&[f64]>, tu: f64, tv: f64) -> f64 {
    const BLOCK: usize = 4096;
    let (su, sv) = (shares(uw, u.len(), tu), shares(vw, v.len(), tv));
    let n = u.len() + v.len();
    let mut terms = vec![0.0; BLOCK.min(n)];
    let mut sum = 0.0;
    for start in (0..n).step_by(BLOCK) {
        let end = (start + BLOCK).min(n);
        walk_stretches(u, v, start, end, |k, i, j, w0, w1| {
            terms[k - start] = (su[i] - sv[j]).abs() * (w1 - w0)
        });
        // No gap comes before the first value.
        sum = terms[usize::from(start == 0)..end - start].iter().fold(sum, |sum, term| sum + term);
    }
    sum
}

/// For each `i` from 0 to `n`, a side's CDF over its first `i` values as [`walk_merged`] has it:
/// their weights summed in order (`i` when one each), over the side's total.
fn shares(weights: Option<&[f64]>, n: usize, total: f64) -> Vec<f64> {
    match weights {
        None => (0..=n).map(|i| i as f64 / total).collect(),
        Some(weights) => {
            let mut before = 0.0;
            std::iter::once(0.0 / total)
                .chain(weights.iter().map(|w| {
                    before += w;
                    before / total
                }))
                .collect()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn merged_then_dedup(a: &[f64], b: &[f64]) -> Vec<f64> {
        let mut all: Vec<f64> = a.iter().chain(b).copied().collect();
        all.sort_by(f64::total_cmp);
        all.dedup();
        all
    }

    #[test]
    fn walks_agree_with_the_merged_list() {
        let mut state = 7u64;
        let mut next = move || {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            state >> 33
        };
        let specials = [0.0, -0.0, 1.0, f64::INFINITY, f64::NEG_INFINITY, f64::NAN, 2.5];
        for case in 0..400 {
            let side = |next: &mut dyn FnMut() -> u64| {
                // A few long sides, to cross the blocks of `walk`.
                let n = if case % 50 == 3 { 3000 + next() % 6000 } else { next() % 40 };
                let mut values: Vec<f64> = (0..n)
                    .map(|_| match case % 4 {
                        0 => (next() % 7) as f64 - 3.0,
                        1 => specials[(next() % 7) as usize],
                        _ => (next() % 1000) as f64 * 0.37 - 100.0,
                    })
                    .collect();
                values.sort_by(f64::total_cmp);
                values
            };
            let (a, b) = (side(&mut next), side(&mut next));
            let expected = merged_then_dedup(&a, &b);
            assert_eq!(distinct_count(&a, &b), expected.len(), "{a:?} {b:?}");
            let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&distinct_values(&a, &b)), bits(&expected));
            let weights = |n: usize| (0..n).map(|i| (i % 3) as f64 + 0.5).collect::<Vec<f64>>();
            let (aw, bw) = (weights(a.len()), weights(b.len()));
            for (uw, vw) in [(None, None), (Some(&aw[..]), None), (Some(&aw[..]), Some(&bw[..]))] {
                let total = |w: Option<&[f64]>, n: usize| w.map_or(n as f64, |w| w.iter().sum());
                let (tu, tv) = (total(uw, a.len()), total(vw, b.len()));
                let fast = wasserstein(&a, uw, &b, vw);
                let slow =
                    if a.is_empty() || b.is_empty() { 0.0 } else { walk_merged(&a, uw, &b, vw, tu, tv) };
                assert_eq!(fast.to_bits(), slow.to_bits(), "{a:?} {b:?}");
                if !(a.is_empty() || b.is_empty() || a.iter().chain(&b).any(|x| x.is_nan())) {
                    assert_eq!(walk(&a, uw, &b, vw, tu, tv).to_bits(), slow.to_bits(), "{a:?} {b:?}");
                }
            }
        }
    }
}
