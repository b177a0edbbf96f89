//! Checking a [`DataProfile`] that arrived from elsewhere: a monitoring event a client posted, or
//! the profile inside a model bundle. The server merges up to 1,000 event profiles per dashboard,
//! so a profile is bounded as well as consistent: in columns, in values kept per column, and in
//! the length of each kept label.

use super::profile::{ColumnProfile, DataProfile, LabelCounts, NumericSketch, ProfileError};
use super::{COMPRESSION, EXACT_VALUES, MAX_CATEGORIES};
use crate::table::ColumnKind;
use std::collections::HashSet;

/// Columns a profile may carry when a client sends it: the server merges up to 1,000 such
/// profiles per dashboard, so its work is this times 1,000 times the values kept per column.
/// Learners' data sets have tens of columns and wide teaching sets a few hundred; a model read
/// from a bundle is not held to this (its profile is read once, not merged, and its bytes bound
/// it), so a model trained on a wider table still loads, but cannot be monitored on the server.
pub const MAX_PROFILE_COLUMNS: usize = 2_000;
/// Outputs a profile may carry: `prediction`, and `proba_<class>` for each of at most
/// [`crate::Task::MAX_CLASSES`] classes.
pub const MAX_PROFILE_OUTPUTS: usize = crate::Task::MAX_CLASSES + 1;
/// Centroids a t-digest may keep. Each pair of neighbouring centroids spans more than one unit of
/// the `k₁` scale, whose whole range is `COMPRESSION / 2`, so compression keeps at most about
/// `COMPRESSION + 1`; twice that leaves room without letting a client send more.
pub const MAX_CENTROIDS: usize = 2 * COMPRESSION as usize;
/// Bytes a kept label may have. Longer values (free text) are counted with the other values, as
/// the rare ones beyond [`MAX_CATEGORIES`] are: a category is a short word, and 1,000 kept labels
/// per column stay small.
pub const MAX_LABEL_BYTES: usize = 256;

impl DataProfile {
    /// Checks what profiling guarantees, for a profile that arrived from elsewhere: at most
    /// [`MAX_PROFILE_COLUMNS`] columns, each named once; per column no more missing values than rows
    /// and no more rows than the profile's; numbers (for a numeric column only) finite, sorted,
    /// counted as many times as the sketch says and no more kept than profiling keeps; labels at
    /// most [`MAX_CATEGORIES`], each at most [`MAX_LABEL_BYTES`] long; positive counts. Drift
    /// checks and merges rely on these.
    pub fn validate(&self) -> Result<(), ProfileError> {
        self.validate_within(MAX_PROFILE_COLUMNS)
    }

    /// [`DataProfile::validate`] with at most `max_columns` columns: a model bundle's profile has
    /// one per column of its training table.
    pub fn validate_within(&self, max_columns: usize) -> Result<(), ProfileError> {
        let count = |what: &str, found: usize, max: usize| {
            if found > max {
                Err(ProfileError::TooWide { what: what.to_owned(), found, max })
            } else {
                Ok(())
            }
        };
        count("columns", self.columns.len(), max_columns)?;
        count("outputs", self.predictions.len(), MAX_PROFILE_OUTPUTS)?;
        for (list, prefix) in [(&self.columns, ""), (&self.predictions, "predictions.")] {
            let mut seen = HashSet::with_capacity(list.len());
            for column in list {
                let invalid = |problem: String| ProfileError::Invalid {
                    column: format!("{prefix}{}", column.name),
                    problem,
                };
                if !seen.insert(column.name.as_str()) {
                    return Err(invalid("named twice".into()));
                }
                column.validate(self.rows).map_err(invalid)?;
            }
        }
        Ok(())
    }
}

impl ColumnProfile {
    /// [`DataProfile::validate`] for one column of a profile of `rows` rows.
    fn validate(&self, rows: u64) -> Result<(), String> {
        if self.rows > rows || self.missing > self.rows {
            return Err(format!(
                "{} rows with {} missing, in a profile of {rows} rows",
                self.rows, self.missing
            ));
        }
        let present = self.rows - self.missing;
        match (self.kind, &self.numbers, &self.labels) {
            (ColumnKind::Numeric, Some(sketch), None) => sketch.validate(present),
            (ColumnKind::Numeric, _, _) => Err("a numeric column needs numbers and no labels".into()),
            (_, None, Some(labels)) => labels.validate(present),
            (kind, _, _) => Err(format!("a {} column needs labels and no numbers", kind.label())),
        }
    }
}

impl LabelCounts {
    fn validate(&self, present: u64) -> Result<(), String> {
        if self.counts.len() > MAX_CATEGORIES {
            return Err(format!("{} labels kept, more than {MAX_CATEGORIES}", self.counts.len()));
        }
        if let Some(long) = self.counts.keys().find(|k| k.len() > MAX_LABEL_BYTES) {
            let start: String = long.chars().take(20).collect();
            return Err(format!(
                "the label starting {start:?} is {} bytes long, more than {MAX_LABEL_BYTES}",
                long.len()
            ));
        }
        if self.counts.values().any(|&n| n == 0) {
            return Err("a value counted 0 times".into());
        }
        let counted = self.counts.values().try_fold(self.other, |a, &n| a.checked_add(n));
        if counted.is_none_or(|n| n > present) {
            return Err(format!("more values counted than its {present} present rows"));
        }
        Ok(())
    }
}

impl NumericSketch {
    /// [`ColumnProfile::validate`]'s checks of the numbers of a column with `present` values.
    fn validate(&self, present: u64) -> Result<(), String> {
        if self.count > present {
            return Err(format!("{} numbers in {present} present rows", self.count));
        }
        let finite = [self.mean, self.m2].iter().all(|v| v.is_finite()) && self.m2 >= 0.0;
        let range = self.count == 0 || (self.min.is_finite() && self.max.is_finite() && self.min <= self.max);
        if !finite || !range {
            return Err("its mean, spread, minimum and maximum must be finite numbers, in order".into());
        }
        match &self.exact {
            Some(exact) if exact.len() > EXACT_VALUES => {
                return Err(format!("{} exact values kept, more than {EXACT_VALUES}", exact.len()))
            }
            // Counted in integers: a sum that wraps could pass for the count in floating point.
            Some(exact) if exact.iter().try_fold(0u64, |a, e| a.checked_add(e.1)) != Some(self.count) => {
                return Err(format!("its values are not counted {} times", self.count))
            }
            None if self.centroids.len() > MAX_CENTROIDS => {
                return Err(format!("{} centroids kept, more than {MAX_CENTROIDS}", self.centroids.len()))
            }
            _ => {}
        }
        let points = self.points();
        if points.iter().any(|p| p.1 == 0.0) {
            return Err("a value counted 0 times".into());
        }
        if points.iter().any(|p| !(p.1.is_finite() && p.1 > 0.0)) {
            return Err("a centroid's weight must be a positive number".into());
        }
        if points.iter().any(|p| !p.0.is_finite()) || points.windows(2).any(|w| w[0].0 >= w[1].0) {
            return Err("its values must be finite and in increasing order".into());
        }
        let total: f64 = points.iter().map(|p| p.1).sum();
        if (total - self.count as f64).abs() > 1e-6 * (self.count as f64).max(1.0) {
            return Err(format!("its values are counted {total} times, not {}", self.count));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sketch(p: &mut DataProfile) -> &mut NumericSketch {
        p.columns[0].numbers.as_mut().unwrap()
    }

    fn profile() -> DataProfile {
        let table = crate::parse_csv(b"x,city\n1.5,Oslo\n2.5,Lyon\n,Oslo\n4,\n").unwrap();
        DataProfile::of_rows(&table, None)
    }

    fn broken(change: &dyn Fn(&mut DataProfile)) -> String {
        let mut p = profile();
        change(&mut p);
        p.validate().unwrap_err().to_string()
    }

    #[test]
    fn a_profile_that_profiling_could_not_make_is_refused_with_its_column() {
        assert_eq!(profile().validate(), Ok(()));
        assert_eq!(
            broken(&|p| p.columns[0].missing = 9),
            "column `x`: 4 rows with 9 missing, in a profile of 4 rows"
        );
        assert_eq!(broken(&|p| p.rows = 2), "column `x`: 4 rows with 1 missing, in a profile of 2 rows");
        assert!(broken(&|p| sketch(p).exact.as_mut().unwrap().swap(0, 1))
            .ends_with("finite and in increasing order"));
        assert!(broken(&|p| sketch(p).mean = f64::NAN).contains("must be finite numbers"));
        assert_eq!(broken(&|p| sketch(p).count = 2), "column `x`: its values are not counted 2 times");
        assert!(broken(&|p| {
            let exact = sketch(p).exact.take().unwrap();
            sketch(p).centroids = exact.iter().map(|&(v, n)| (v, n as f64)).collect();
            sketch(p).count = 2;
        })
        .ends_with("its values are counted 3 times, not 2"));
        assert!(broken(&|p| sketch(p).exact.as_mut().unwrap()[0].1 = 0).ends_with("not counted 3 times"));
        assert!(broken(&|p| p.columns[0].numbers = None)
            .ends_with("a numeric column needs numbers and no labels"));
        assert!(broken(&|p| p.columns[1].labels.as_mut().unwrap().other = 5).contains("more values counted"));
        assert_eq!(broken(&|p| p.columns[1].name = "x".into()), "column `x`: named twice");
        let mut outputs = profile();
        outputs.predictions = vec![outputs.columns[1].clone()];
        outputs.predictions[0].rows = 10;
        assert!(outputs.validate().unwrap_err().to_string().starts_with("column `predictions.city`:"));
    }

    #[test]
    fn every_cap_is_checked_and_its_refusal_names_the_column() {
        // A count that wraps past u64::MAX, which a sum in floating point would not notice.
        assert_eq!(
            broken(&|p| {
                p.rows = u64::MAX;
                p.columns[0].rows = u64::MAX;
                p.columns[0].missing = 0;
                sketch(p).count = u64::MAX;
                sketch(p).exact.as_mut().unwrap()[0].1 = u64::MAX;
            }),
            format!("column `x`: its values are not counted {} times", u64::MAX)
        );
        let many_values = broken(&|p| {
            let values: Vec<(f64, u64)> = (0..=EXACT_VALUES).map(|i| (i as f64, 1)).collect();
            p.rows = values.len() as u64;
            p.columns[0] = ColumnProfile { rows: p.rows, missing: 0, ..p.columns[0].clone() };
            sketch(p).count = p.rows;
            sketch(p).exact = Some(values);
        });
        assert_eq!(many_values, "column `x`: 1001 exact values kept, more than 1000");
        let many_centroids = broken(&|p| {
            sketch(p).exact = None;
            sketch(p).centroids = (0..=MAX_CENTROIDS).map(|i| (i as f64, 1.0)).collect();
        });
        assert_eq!(many_centroids, "column `x`: 801 centroids kept, more than 800");
        let many_labels = broken(&|p| {
            p.rows = 5000;
            p.columns[1].rows = 5000;
            let labels = p.columns[1].labels.as_mut().unwrap();
            labels.counts = (0..=MAX_CATEGORIES).map(|i| (format!("c{i}"), 1)).collect();
        });
        assert_eq!(many_labels, "column `city`: 1001 labels kept, more than 1000");
        let long_label = broken(&|p| {
            let labels = p.columns[1].labels.as_mut().unwrap();
            labels.counts.insert("a".repeat(MAX_LABEL_BYTES + 1), 1);
            labels.counts.remove("Lyon");
        });
        assert_eq!(
            long_label,
            "column `city`: the label starting \"aaaaaaaaaaaaaaaaaaaa\" is 257 bytes long, more than 256"
        );
    }

    #[test]
    fn a_profile_wider_than_the_cap_is_refused_and_a_bundle_may_be_wider() {
        let wide = |n: usize| {
            let mut header: Vec<String> = (0..n).map(|i| format!("c{i}")).collect();
            let mut csv = header.join(",");
            csv.push('\n');
            header.iter_mut().enumerate().for_each(|(i, h)| *h = (i % 7).to_string());
            csv.push_str(&header.join(","));
            csv.push('\n');
            DataProfile::of_rows(&crate::parse_csv(csv.as_bytes()).unwrap(), None)
        };
        let mut a = wide(40_000);
        let b = wide(40_000);
        let refused =
            ProfileError::TooWide { what: "columns".into(), found: 40_000, max: MAX_PROFILE_COLUMNS };
        assert_eq!(a.validate(), Err(refused.clone()));
        assert_eq!(b.validate(), Err(refused));
        assert_eq!(
            a.validate().unwrap_err().to_string(),
            "the profile has 40000 columns; at most 2000 are accepted"
        );
        assert_eq!(a.validate_within(40_000), Ok(()));
        a.merge(&b).unwrap();
        assert_eq!(a.rows, 2);
    }
}
