//! Occlusion: each column's amount is what the prediction loses when that column alone takes a
//! typical training value.

use crate::bundle::ModelBundle;
use crate::drift::ColumnProfile;
use crate::features::{encode, Encoding};
use crate::models::Scratch;

/// `(base, value, amounts)` for the prepared `row`: `class`'s probability (the number for regression)
/// with every column typical, as the row is (`value` when already known), and per input column the
/// value minus the value with that column typical. At most one prediction per column and two more.
pub(super) fn occlusion(
    bundle: &ModelBundle,
    row: &[f64],
    class: Option<usize>,
    value: Option<f64>,
    widths: &[usize],
) -> (f64, f64, Vec<f64>) {
    let typical = typical_row(bundle);
    let estimator = &bundle.estimator;
    let mut scratch = Scratch::default();
    let mut proba = vec![0.0; bundle.task.classes().len()];
    let mut predict = |x: &[f64]| match class {
        Some(c) => {
            estimator.proba_row(x, &mut scratch, &mut proba);
            proba[c]
        }
        None => estimator.value_row(x, &mut scratch),
    };
    let value = value.unwrap_or_else(|| predict(row));
    let base = predict(&typical);
    let mut probe = row.to_vec();
    let mut start = 0;
    let amounts = widths
        .iter()
        .map(|&width| {
            let span = start..(start + width).min(row.len());
            start = span.end;
            if row[span.clone()] == typical[span.clone()] {
                return 0.0;
            }
            probe[span.clone()].copy_from_slice(&typical[span.clone()]);
            let occluded = predict(&probe);
            probe[span.clone()].copy_from_slice(&row[span]);
            value - occluded
        })
        .collect();
    (base, value, amounts)
}

/// The prepared row of typical training values: each column as if missing (the fill of a number or
/// true/false, the training means of a date's parts), but a category as its most frequent one.
fn typical_row(bundle: &ModelBundle) -> Vec<f64> {
    let profiles = bundle.profile.index();
    let mut out = Vec::with_capacity(bundle.prep.width());
    for input in &bundle.prep.inputs {
        match &input.encoding {
            Encoding::OneHot { categories } => {
                let top = most_frequent(profiles.get(input.column.as_str()).copied(), categories);
                out.extend((0..categories.len()).map(|i| f64::from(u8::from(top == Some(i)))));
            }
            encoding => encode(encoding, None, 0, &mut out),
        }
    }
    out
}

/// The index of the category with the most training rows (the first of ties), if the profile counted
/// any of them.
fn most_frequent(profile: Option<&ColumnProfile>, categories: &[String]) -> Option<usize> {
    let counts = &profile?.labels.as_ref()?.counts;
    let mut best: Option<(usize, u64)> = None;
    for (i, category) in categories.iter().enumerate() {
        let n = counts.get(category).copied().unwrap_or(0);
        if n > 0 && best.is_none_or(|(_, most)| n > most) {
            best = Some((i, n));
        }
    }
    best.map(|(i, _)| i)
}
