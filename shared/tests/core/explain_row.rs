//! Explaining one prediction on the sample data sets: for every row, the additive methods add up
//! from their base to the value, and the value is what scoring gives.

use super::sample;
use tabml::models::Estimator;
use tabml::{
    train, ContributionMethod, ModelBundle, ModelKind, Predictions, RowExplanation, Table, TrainConfig,
};

/// `explanation`'s class index, checked to be the class scoring predicts from `proba`.
fn predicted(bundle: &ModelBundle, explanation: &RowExplanation, proba: &[f64]) -> usize {
    let classes = bundle.task.classes();
    let class = classes.iter().position(|c| Some(c.as_str()) == explanation.explained.as_deref()).unwrap();
    assert!(proba.iter().all(|p| *p <= proba[class]), "{proba:?}, explained {class}");
    class
}

fn adds_up(explanation: &RowExplanation) {
    assert!(explanation.method.is_additive());
    let total = explanation.base + explanation.contributions.iter().map(|c| c.amount).sum::<f64>();
    assert!((total - explanation.value).abs() < 1e-9, "{total} vs {}", explanation.value);
}

fn explain_every_row(table: &Table, target: &str, model: ModelKind) {
    let bundle = train(table, target, &TrainConfig::new(model)).unwrap().bundle;
    let Predictions::Proba(proba) = bundle.score(table).unwrap() else { panic!("a classifier") };
    let rows: Vec<usize> = (0..table.n_rows).collect();
    let x = bundle.prep.transform(table, &rows);
    for (row, proba) in proba.iter().enumerate() {
        let explanation = bundle.explain_row(table, row).unwrap();
        assert_eq!(explanation.contributions.len(), bundle.schema.len());
        adds_up(&explanation);
        let class = predicted(&bundle, &explanation, proba);
        match &bundle.estimator {
            Estimator::Logistic(m) => {
                assert_eq!(explanation.method, ContributionMethod::LinearTerms);
                // The value is the class's score; their softmax is what scoring gives.
                let p = x[row].len();
                let scores: Vec<f64> = (0..m.intercept.len())
                    .map(|k| m.intercept[k] + (0..p).map(|j| m.coef[k * p + j] * x[row][j]).sum::<f64>())
                    .collect();
                assert!((explanation.value - scores[class]).abs() < 1e-9);
                let sum: f64 = scores.iter().map(|s| (s - explanation.value).exp()).sum();
                assert!((1.0 / sum - proba[class]).abs() < 1e-9, "row {row}");
            }
            _ => {
                assert_eq!(explanation.method, ContributionMethod::DecisionPaths);
                assert_eq!(explanation.value, proba[class], "row {row}");
            }
        }
    }
}

#[test]
fn iris_explanations_add_up_to_what_logistic_regression_and_a_forest_score() {
    let table = sample("iris.csv");
    for model in [ModelKind::LogisticRegression, ModelKind::RandomForest] {
        explain_every_row(&table, "species", model);
    }
}

#[test]
fn learner_support_forest_explains_by_input_column_not_by_feature() {
    // A hundred trees on 5,000 rows, with categories (one feature per value) and free text set aside.
    let table = sample("learner_support.csv");
    let bundle = train(&table, "needs_support", &TrainConfig::new(ModelKind::RandomForest)).unwrap().bundle;
    assert!(bundle.feature_names.len() > bundle.schema.len() + 5);
    let mut schema: Vec<&str> = bundle.schema.iter().map(|c| c.name.as_str()).collect();
    schema.sort_unstable();
    assert!(!schema.contains(&"learner_id"), "an identifier is set aside");
    let Predictions::Proba(proba) = bundle.score(&table).unwrap() else { panic!("a classifier") };
    for row in (0..table.n_rows).step_by(50) {
        let explanation = bundle.explain_row(&table, row).unwrap();
        adds_up(&explanation);
        let class = predicted(&bundle, &explanation, &proba[row]);
        assert_eq!(explanation.value, proba[row][class], "row {row}");
        let mut columns: Vec<&str> = explanation.contributions.iter().map(|c| c.column.as_str()).collect();
        columns.sort_unstable();
        assert_eq!(columns, schema);
    }
}
