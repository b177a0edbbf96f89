//! Seeded train/test splits: stratified by class for classification, plain random otherwise.

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
    let n_strata = strata.iter().copied().max().map_or(0, |m| m + 1);
    let mut groups: Vec<Vec<usize>> = vec![Vec::new(); n_strata];
    for (&row, &stratum) in rows.iter().zip(strata) {
        groups[stratum].push(row);
    }
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
}
