//! Seeded train/test splits: stratified by class for classification, plain random otherwise.
//!
//! Also a three-way split (`train_validation_test_split`) and k folds, plain or stratified
//! (`k_fold`). Every draw comes from our own `SplitMix64` (`rng.rs`), so a seed gives the same rows
//! on every platform and in every release; the app's Monitor step draws its copies with it too.

use crate::error::TabmlError;
use crate::rng::SplitMix64;
use serde::{Deserialize, Serialize};

/// Row indices of the training and test parts, each in ascending order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Split {
    /// Rows the model learns from.
    pub train: Vec<usize>,
    /// Rows held back to measure the model.
    pub test: Vec<usize>,
}

/// Splits `rows` so that each stratum (a class index per row, parallel to `rows`) keeps its share in
/// both parts. Pass one stratum for everything to get a plain random split.
///
/// Each stratum sends `round(size × test_fraction)` rows to the test part, at least one when the
/// stratum has two or more rows, and always keeps at least one for training.
pub fn stratified_split(
    rows: &[usize],
    strata: &[usize],
    test_fraction: f64,
    seed: u64,
) -> Result<Split, TabmlError> {
    if !(test_fraction > 0.0 && test_fraction < 1.0) {
        return Err(TabmlError::BadTestFraction(test_fraction));
    }
    const MIN_ROWS: usize = 5;
    if rows.len() < MIN_ROWS {
        return Err(TabmlError::TooFewRows { rows: rows.len(), needed: MIN_ROWS });
    }
    debug_assert_eq!(rows.len(), strata.len());
    let groups = group_by_stratum(rows, strata);
    let mut rng = SplitMix64::new(seed);
    let (mut train, mut test) = (Vec::new(), Vec::new());
    for mut group in groups {
        rng.shuffle(&mut group);
        let size = group.len();
        let wanted = (size as f64 * test_fraction).round() as usize;
        let n_test = if size >= 2 { wanted.clamp(1, size - 1) } else { 0 };
        test.extend_from_slice(&group[..n_test]);
        train.extend_from_slice(&group[n_test..]);
    }
    train.sort_unstable();
    test.sort_unstable();
    Ok(Split { train, test })
}

/// `k` folds for cross-validation: each row is in exactly one fold's test part, and every fold
/// trains on the rest. Rows are shuffled with `seed`, then dealt to folds stratum by stratum (pass
/// one stratum for plain k-fold), so fold sizes, and each stratum's count per fold, differ by at
/// most one.
pub fn k_fold(rows: &[usize], strata: &[usize], k: usize, seed: u64) -> Result<Vec<Split>, TabmlError> {
    if k < 2 {
        return Err(TabmlError::BadFoldCount(k));
    }
    if rows.len() < k {
        return Err(TabmlError::TooFewRows { rows: rows.len(), needed: k });
    }
    let groups = group_by_stratum(rows, strata);
    let mut rng = SplitMix64::new(seed);
    let mut folds: Vec<Vec<usize>> = vec![Vec::new(); k];
    let mut next = 0;
    for mut group in groups {
        rng.shuffle(&mut group);
        for row in group {
            folds[next].push(row);
            next = (next + 1) % k;
        }
    }
    Ok((0..k)
        .map(|i| {
            let mut test = folds[i].clone();
            test.sort_unstable();
            let mut train: Vec<usize> =
                folds.iter().enumerate().filter(|(j, _)| *j != i).flat_map(|(_, f)| f).copied().collect();
            train.sort_unstable();
            Split { train, test }
        })
        .collect())
}

/// The rows of each stratum, in the order given; `strata` is parallel to `rows`.
fn group_by_stratum(rows: &[usize], strata: &[usize]) -> Vec<Vec<usize>> {
    let n_strata = strata.iter().copied().max().map_or(0, |m| m + 1);
    let mut groups: Vec<Vec<usize>> = vec![Vec::new(); n_strata];
    for (&row, &stratum) in rows.iter().zip(strata) {
        groups[stratum].push(row);
    }
    groups
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_class_shares_and_is_reproducible() {
        let rows: Vec<usize> = (0..100).collect();
        let strata: Vec<usize> = rows.iter().map(|&r| usize::from(r < 20)).collect();
        let a = stratified_split(&rows, &strata, 0.2, 42).unwrap();
        let b = stratified_split(&rows, &strata, 0.2, 42).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.test.len(), 20);
        assert_eq!(a.test.iter().filter(|&&r| r < 20).count(), 4);
        let c = stratified_split(&rows, &strata, 0.2, 43).unwrap();
        assert_ne!(a.test, c.test);
        let mut all = [a.train, a.test].concat();
        all.sort_unstable();
        assert_eq!(all, rows);
    }

    #[test]
    fn refuses_bad_fraction_and_tiny_data() {
        let rows = [0, 1, 2, 3, 4, 5];
        assert_eq!(stratified_split(&rows, &[0; 6], 1.0, 1), Err(TabmlError::BadTestFraction(1.0)));
        assert_eq!(
            stratified_split(&rows[..3], &[0; 3], 0.2, 1),
            Err(TabmlError::TooFewRows { rows: 3, needed: 5 })
        );
    }

    #[test]
    fn stratified_k_fold_balances_folds_and_classes() {
        let rows: Vec<usize> = (0..103).collect();
        let strata: Vec<usize> = rows.iter().map(|&r| usize::from(r < 23)).collect();
        let folds = k_fold(&rows, &strata, 5, 3).unwrap();
        assert_eq!(folds.len(), 5);
        let mut seen = Vec::new();
        for fold in &folds {
            assert!((20..=21).contains(&fold.test.len()), "{}", fold.test.len());
            let minority = fold.test.iter().filter(|&&r| r < 23).count();
            assert!((4..=5).contains(&minority), "{minority}");
            assert_eq!(fold.train.len() + fold.test.len(), 103);
            assert!(fold.test.iter().all(|r| fold.train.binary_search(r).is_err()));
            seen.extend_from_slice(&fold.test);
        }
        seen.sort_unstable();
        assert_eq!(seen, rows, "every row is tested exactly once");
        assert_eq!(folds, k_fold(&rows, &strata, 5, 3).unwrap());
        assert_eq!(k_fold(&rows, &strata, 1, 3), Err(TabmlError::BadFoldCount(1)));
        assert_eq!(
            k_fold(&rows[..3], &strata[..3], 5, 3),
            Err(TabmlError::TooFewRows { rows: 3, needed: 5 })
        );
    }
}
