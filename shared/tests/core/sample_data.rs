//! Every sample data set shipped in `public/data` loads, gets the task its index promises, and trains
//! to a score clearly better than its baseline. Guards the data files and the core together.

use super::sample;
use tabml::{train, ColumnKind, Evaluation, ModelKind, Task, TrainConfig};

fn accuracy_and_baseline(table: &tabml::Table, target: &str, model: ModelKind) -> (f64, f64) {
    let trained = train(table, target, &TrainConfig::new(model)).unwrap();
    match trained.bundle.evaluation {
        Some(Evaluation::Classification(r)) => (r.metrics.accuracy, r.baseline.accuracy),
        other => panic!("expected classification, got {other:?}"),
    }
}

#[test]
fn iris_trains_above_ninety_percent_with_both_classifiers() {
    let table = sample("iris.csv");
    assert_eq!((table.n_rows, table.columns.len()), (150, 5));
    assert_eq!(table.column("species").unwrap().kind, ColumnKind::Categorical);
    for model in [ModelKind::LogisticRegression, ModelKind::RandomForest] {
        let (accuracy, baseline) = accuracy_and_baseline(&table, "species", model);
        assert!(accuracy >= 0.9, "{model:?}: {accuracy}");
        assert!((baseline - 1.0 / 3.0).abs() < 1e-12, "{baseline}");
    }
}

#[test]
fn wine_and_breast_cancer_beat_their_baselines_by_far() {
    for (file, target, rows) in [("wine.csv", "cultivar", 178), ("breast_cancer.csv", "diagnosis", 569)] {
        let table = sample(file);
        assert_eq!(table.n_rows, rows, "{file}");
        for model in [ModelKind::LogisticRegression, ModelKind::RandomForest] {
            let (accuracy, baseline) = accuracy_and_baseline(&table, target, model);
            assert!(
                accuracy >= 0.9 && accuracy > baseline + 0.25,
                "{file} {model:?}: {accuracy} vs {baseline}"
            );
        }
    }
}

#[test]
fn diabetes_is_regression_and_beats_the_mean() {
    let table = sample("diabetes.csv");
    let target = table.column("progression").unwrap();
    assert_eq!(Task::for_target(target).unwrap(), Task::Regression);
    for model in [ModelKind::LinearRegression, ModelKind::RandomForest] {
        let trained = train(&table, "progression", &TrainConfig::new(model)).unwrap();
        let Some(Evaluation::Regression(r)) = trained.bundle.evaluation else { panic!() };
        let (rmse, baseline_rmse, r2) = (r.metrics.rmse, r.baseline.rmse, r.metrics.r2);
        assert!(r2 > 0.3 && rmse < baseline_rmse, "{model:?}: r2 {r2}, rmse {rmse} vs {baseline_rmse}");
    }
}

#[test]
fn learner_support_has_its_documented_shape_and_is_learnable() {
    let table = sample("learner_support.csv");
    assert_eq!(table.n_rows, 5000);
    let target = table.column("needs_support").unwrap();
    assert_eq!(target.kind, ColumnKind::Boolean);
    let positives = target.cells().filter(|c| *c == Some("yes")).count();
    let share = positives as f64 / 5000.0;
    assert!((0.12..=0.18).contains(&share), "needs_support share {share}");
    assert_eq!(table.column("learner_id").unwrap().kind, ColumnKind::Text);
    assert_eq!(table.column("cohort").unwrap().kind, ColumnKind::Categorical);
    assert!(table.column("avg_quiz_score").unwrap().missing_count() > 0);
    let (accuracy, baseline) = accuracy_and_baseline(&table, "needs_support", ModelKind::LogisticRegression);
    assert!(accuracy > baseline + 0.03, "{accuracy} vs baseline {baseline}");
}

#[test]
fn validation_flags_the_learner_support_id_gaps_and_imbalance_and_no_false_leaks() {
    use tabml::{validate, Finding, Severity, ValidationOptions};
    for (file, target) in [
        ("iris.csv", "species"),
        ("wine.csv", "cultivar"),
        ("breast_cancer.csv", "diagnosis"),
        ("diabetes.csv", "progression"),
        ("learner_support.csv", "needs_support"),
    ] {
        let table = sample(file);
        let report =
            validate(&table, &ValidationOptions { target: Some(target.into()), ..Default::default() });
        let problems: Vec<String> = report
            .findings
            .iter()
            .filter(|f| f.severity() == Severity::Problem)
            .map(Finding::message)
            .collect();
        assert!(problems.is_empty(), "{file}: {problems:?}");
        if file == "learner_support.csv" {
            let about = |column: &str| report.for_column(column).cloned().collect::<Vec<_>>();
            assert_eq!(about("learner_id"), [Finding::LikelyIdentifier { column: "learner_id".into() }]);
            assert!(matches!(about("avg_quiz_score")[..], [Finding::MissingValues { missing: 308, .. }]));
            assert!(
                matches!(&about("needs_support")[..], [Finding::ClassImbalance { rarest, .. }] if rarest == "yes")
            );
        }
    }
}
