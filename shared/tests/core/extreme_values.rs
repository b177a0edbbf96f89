//! Values at the edge of f64 (±1.7e308) must train, evaluate and score to finite numbers, or be
//! refused with a message naming the column: never loop, never write NaN. The attack review
//! (issue 15) found a 10-row file that made training loop forever.

use super::within_a_minute;
use tabml::{parse_csv, train, ModelKind, NumericChoice, PrepConfig, Scaling, TabmlError, TrainConfig};

/// `x` alternates ±1.7e308 and the target alternates `a`/`b`.
fn extreme_csv() -> String {
    let mut csv = String::from("x,y\n");
    for i in 0..10 {
        csv.push_str(if i % 2 == 0 { "1.7e308,a\n" } else { "-1.7e308,b\n" });
    }
    csv
}

fn config(model: ModelKind, scaling: Scaling) -> TrainConfig {
    let mut config = TrainConfig::new(model);
    config.prep =
        PrepConfig { numeric: NumericChoice { scaling, ..Default::default() }, ..Default::default() };
    config
}

#[test]
fn extreme_values_train_logistic_regression_and_naive_bayes_to_finite_metrics() {
    for model in [ModelKind::LogisticRegression, ModelKind::GaussianNaiveBayes] {
        for scaling in [Scaling::Standard, Scaling::MinMax] {
            let trained = within_a_minute(move || {
                let table = parse_csv(extreme_csv().as_bytes()).unwrap();
                train(&table, "y", &config(model, scaling))
            })
            .unwrap_or_else(|e| panic!("{model:?} {scaling:?}: {e}"));
            let evaluation = trained.bundle.evaluation.as_ref().expect("test rows");
            for (name, value) in evaluation.metric_pairs() {
                assert!(value.is_finite(), "{model:?} {scaling:?}: {name} = {value}");
            }
            // The feature separates the classes perfectly once it is scaled.
            assert_eq!(evaluation.headline(), 1.0, "{model:?} {scaling:?}");
            let again = tabml::ModelBundle::decode(&trained.bundle.encode()).unwrap();
            assert_eq!(again, trained.bundle);
        }
    }
}

#[test]
fn extreme_values_left_unscaled_finish_with_a_model_or_a_message_naming_the_column() {
    for model in [ModelKind::LogisticRegression, ModelKind::GaussianNaiveBayes] {
        let outcome = within_a_minute(move || {
            let table = parse_csv(extreme_csv().as_bytes()).unwrap();
            train(&table, "y", &config(model, Scaling::None))
        });
        match outcome {
            Ok(trained) => {
                let evaluation = trained.bundle.evaluation.as_ref().expect("test rows");
                for (name, value) in evaluation.metric_pairs() {
                    assert!(value.is_finite(), "{model:?}: {name} = {value}");
                }
            }
            Err(TabmlError::Fit { message, .. }) => {
                assert!(message.contains("\"x\""), "{model:?}: {message}")
            }
            Err(other) => panic!("{model:?}: {other}"),
        }
    }
}
