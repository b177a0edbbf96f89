//! Seeded fuzzing, bounded in cases and time, in the normal test run: every metric with hostile
//! numbers (NaN, ±∞, ±1.7e308, subnormals, empty input, one class) returns a value or `None`, and
//! `DataProfile::validate` / `merge` with hostile profiles answer `Ok` or an error, never panic or
//! loop, and a refused merge changes nothing (issue 15).

use super::within_a_minute;
use std::collections::BTreeMap;
use tabml::drift::{ColumnProfile, DataProfile, LabelCounts, NumericSketch};
use tabml::metrics;
use tabml::{ColumnKind, SplitMix64};

/// A hostile number: mostly edge cases, sometimes an ordinary one.
fn number(rng: &mut SplitMix64) -> f64 {
    const EDGES: [f64; 12] = [
        f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
        1.7e308,
        -1.7e308,
        f64::MAX,
        f64::MIN,
        f64::MIN_POSITIVE,
        5e-324,
        -5e-324,
        0.0,
        -0.0,
    ];
    match rng.below(3) {
        0 => EDGES[rng.below(EDGES.len())],
        1 => rng.below(1000) as f64 / 1000.0,
        _ => f64::from_bits(rng.next_u64()),
    }
}

fn numbers(rng: &mut SplitMix64, n: usize) -> Vec<f64> {
    (0..n).map(|_| number(rng)).collect()
}

#[test]
fn every_metric_answers_hostile_numbers_without_panicking_or_looping() {
    within_a_minute(|| {
        let mut rng = SplitMix64::new(15);
        for _ in 0..3000 {
            let n = rng.below(40);
            let classes = 1 + rng.below(4);
            let truth: Vec<usize> = (0..n).map(|_| rng.below(classes)).collect();
            let predicted: Vec<usize> = (0..n).map(|_| rng.below(classes)).collect();
            let proba: Vec<Vec<f64>> = (0..n).map(|_| numbers(&mut rng, classes)).collect();
            let scores = numbers(&mut rng, n);
            let positive: Vec<bool> = truth.iter().map(|&t| t == 0).collect();

            metrics::accuracy(&truth, &predicted);
            let matrix = metrics::confusion_matrix(classes, &truth, &predicted);
            let per_class = metrics::class_scores(&matrix);
            metrics::macro_average(&per_class);
            metrics::weighted_average(&per_class);
            metrics::balanced_accuracy(&matrix);
            metrics::log_loss(&truth, &proba);
            metrics::roc_auc(&positive, &scores);
            metrics::roc_auc_multiclass(&truth, &proba, classes);
            metrics::average_precision(&positive, &scores);
            if let Some(roc) = metrics::roc_curve(&positive, &scores) {
                assert_eq!(roc.fpr.len(), roc.thresholds.len() + 1);
                assert!(roc.fpr.len() <= n + 1, "one point per distinct score at most");
                roc.thinned(number(&mut rng));
            }
            if let Some(pr) = metrics::pr_curve(&positive, &scores) {
                assert!(pr.thresholds.len() <= n);
                pr.thinned(number(&mut rng));
                pr.best_f1();
                pr.threshold_for_recall(number(&mut rng));
            }
            let values = numbers(&mut rng, n);
            metrics::mae(&scores, &values);
            metrics::rmse(&scores, &values);
            metrics::r2(&scores, &values);
            metrics::mape(&scores, &values);
            metrics::percentile(&values, number(&mut rng));
            metrics::percentile_sorted(&values, number(&mut rng));
            let groups: Vec<&str> = truth.iter().map(|&t| ["a", "b"][t % 2]).collect();
            metrics::group_report(&groups, &truth, &predicted, 0);
            let rows: Vec<Vec<f64>> = (0..n.min(8)).map(|_| numbers(&mut rng, 2)).collect();
            metrics::permutation_importance(&rows, 2, 1, |x| x.iter().map(|r| r[0]).sum());
        }
    });
}

/// A column profile that may be anything a client could send.
fn hostile_column(rng: &mut SplitMix64, name: String) -> ColumnProfile {
    let big = |rng: &mut SplitMix64| match rng.below(4) {
        0 => u64::MAX - rng.below(3) as u64,
        1 => rng.next_u64(),
        _ => rng.below(50) as u64,
    };
    let rows = big(rng);
    let missing = if rng.below(2) == 0 { rng.below(5) as u64 } else { big(rng) };
    let numeric = rng.below(2) == 0;
    let numbers = numeric.then(|| {
        let mut exact: Vec<(f64, u64)> = (0..rng.below(6)).map(|_| (number(rng), big(rng))).collect();
        if rng.below(2) == 0 {
            exact.sort_by(|a, b| a.0.total_cmp(&b.0));
        }
        let centroids: Vec<(f64, f64)> = (0..rng.below(6)).map(|_| (number(rng), number(rng))).collect();
        let keep_exact = rng.below(2) == 0;
        NumericSketch {
            count: big(rng),
            mean: number(rng),
            m2: number(rng),
            min: number(rng),
            max: number(rng),
            integers: rng.below(2) == 0,
            exact: keep_exact.then_some(exact),
            centroids: if keep_exact { Vec::new() } else { centroids },
        }
    });
    let labels = (!numeric).then(|| LabelCounts {
        counts: (0..rng.below(5)).map(|i| (format!("v{i}"), big(rng))).collect::<BTreeMap<_, _>>(),
        other: big(rng),
    });
    let kind = if numeric { ColumnKind::Numeric } else { ColumnKind::Categorical };
    ColumnProfile { name, kind, rows, missing, numbers, labels }
}

/// A profile of a few real rows, so that merges of valid profiles are exercised too.
fn honest_profile(rng: &mut SplitMix64) -> DataProfile {
    let mut csv = String::from("a,b,c\n");
    for _ in 0..1 + rng.below(30) {
        let a = [1.7e308, -1.7e308, 5e-324, 0.5, 2.0][rng.below(5)];
        csv.push_str(&format!("{a},{},{}\n", ["x", "y", ""][rng.below(3)], rng.below(3000)));
    }
    DataProfile::of_rows(&tabml::parse_csv(csv.as_bytes()).unwrap(), None)
}

#[test]
fn hostile_profiles_are_refused_or_merged_never_panicking() {
    within_a_minute(|| {
        let mut rng = SplitMix64::new(1515);
        let mut valid = Vec::new();
        for case in 0..2000 {
            let profile = if case % 2 == 0 {
                honest_profile(&mut rng)
            } else {
                let columns = (0..1 + rng.below(3))
                    .map(|_| {
                        let name = ["a", "b", "c", "d"][rng.below(4)];
                        hostile_column(&mut rng, name.into())
                    })
                    .collect();
                let rows = [u64::MAX, rng.next_u64(), rng.below(60) as u64][rng.below(3)];
                DataProfile { rows, columns, predictions: Vec::new() }
            };
            if profile.validate().is_ok() {
                valid.push(profile);
            }
        }
        assert!(valid.len() > 100, "{} valid profiles: the generator should make some", valid.len());
        for _ in 0..3000 {
            let mut merged = valid[rng.below(valid.len())].clone();
            let before = merged.clone();
            let other = &valid[rng.below(valid.len())];
            match merged.merge(other) {
                Ok(()) => merged.validate().unwrap_or_else(|e| panic!("merged into an invalid profile: {e}")),
                Err(_) => assert_eq!(merged, before, "a refused merge changes nothing"),
            }
        }
    });
}
