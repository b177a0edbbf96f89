use super::*;
use crate::evaluation::Predictions;
use crate::{parse_csv, train, ModelKind, Task, TrainConfig};

/// Rows of a number, a category, a true/false, a date and a weak number, and a label of
/// `classes` classes (2 or 3) that depends on the first three.
fn classification_csv(classes: usize) -> String {
    let mut csv = String::from("x,colour,flag,when,noise,label\n");
    for i in 0..90 {
        let x = (i * 7 % 23) as f64 * 0.5;
        let colour = ["red", "green", "blue"][i % 3];
        let flag = i % 4 == 0;
        let noise = (i * 13 % 17) as f64;
        let score = x + if colour == "red" { 3.0 } else { 0.0 } - if flag { 2.0 } else { 0.0 } + noise * 0.1;
        let label = match classes {
            2 => ["lo", "hi"][usize::from(score > 7.5)],
            _ => ["lo", "mid", "hi"][usize::from(score > 5.0) + usize::from(score > 9.0)],
        };
        let when = format!("2024-{:02}-{:02}", 1 + i % 12, 1 + i % 28);
        csv.push_str(&format!("{x},{colour},{},{when},{noise},{label}\n", if flag { "yes" } else { "no" }));
    }
    csv
}

/// Rows of a number, a category and a number `y` that depends on both.
fn regression_csv() -> String {
    let mut csv = String::from("x,colour,y\n");
    for i in 0..80 {
        let x = (i * 7 % 19) as f64;
        let colour = ["red", "green", "blue"][i % 3];
        let y = 2.0 * x + if colour == "red" { 5.0 } else { 0.0 } + (i % 5) as f64 * 0.3;
        csv.push_str(&format!("{x},{colour},{y}\n"));
    }
    csv
}

fn trained(csv: &str, target: &str, kind: ModelKind, params: &[(&str, &str)]) -> (Table, ModelBundle) {
    let table = parse_csv(csv.as_bytes()).unwrap();
    let config = params.iter().fold(TrainConfig::new(kind), |c, (name, value)| c.with_param(name, value));
    let bundle = train(&table, target, &config).unwrap().bundle;
    (table, bundle)
}

/// Explains `row`, checking what every explanation promises: one amount per schema column, largest
/// first, and for the additive methods `base + Σ amounts = value`.
fn explain(bundle: &ModelBundle, table: &Table, row: usize) -> RowExplanation {
    let explanation = bundle.explain_row(table, row).unwrap();
    let mut columns: Vec<&str> = explanation.contributions.iter().map(|c| c.column.as_str()).collect();
    columns.sort_unstable();
    let mut schema: Vec<&str> = bundle.schema.iter().map(|c| c.name.as_str()).collect();
    schema.sort_unstable();
    assert_eq!(columns, schema, "one amount per input column");
    let sizes: Vec<f64> = explanation.contributions.iter().map(|c| c.amount.abs()).collect();
    assert!(sizes.windows(2).all(|w| w[0] >= w[1]), "largest first: {sizes:?}");
    if explanation.method.is_additive() {
        let total = explanation.base + explanation.contributions.iter().map(|c| c.amount).sum::<f64>();
        assert!((total - explanation.value).abs() < 1e-9, "row {row}: {total} vs {}", explanation.value);
    }
    explanation
}

fn amount(explanation: &RowExplanation, column: &str) -> f64 {
    explanation.contributions.iter().find(|c| c.column == column).unwrap().amount
}

fn probabilities(bundle: &ModelBundle, table: &Table) -> Vec<Vec<f64>> {
    match bundle.score(table).unwrap() {
        Predictions::Proba(p) => p,
        Predictions::Values(_) => panic!("a classifier"),
    }
}

/// The explained class's index, checking that it is the predicted one.
fn explained_class(bundle: &ModelBundle, explanation: &RowExplanation, proba: &[f64]) -> usize {
    let classes = bundle.task.classes();
    let class = argmax(proba);
    assert_eq!(explanation.explained.as_deref(), Some(classes[class].as_str()));
    class
}

#[test]
fn linear_terms_add_up_to_the_decision_value_of_the_predicted_class() {
    // Binary: one weight row scores class 1; explaining class 0 turns its signs.
    let (table, bundle) = trained(&classification_csv(2), "label", ModelKind::LogisticRegression, &[]);
    let proba = probabilities(&bundle, &table);
    let mut explained = std::collections::BTreeSet::new();
    for (row, p) in proba.iter().enumerate() {
        let explanation = explain(&bundle, &table, row);
        assert_eq!(explanation.method, ContributionMethod::LinearTerms);
        let class = explained_class(&bundle, &explanation, p);
        assert!((crate::math::sigmoid(explanation.value) - p[class]).abs() < 1e-12, "row {row}");
        explained.insert(class);
    }
    assert_eq!(explained.len(), 2, "both classes explained, so both signs");

    // Three classes: the predicted class's own weight row, before the softmax.
    let (table, bundle) = trained(&classification_csv(3), "label", ModelKind::LogisticRegression, &[]);
    let Estimator::Logistic(model) = &bundle.estimator else { panic!("logistic") };
    let x = bundle.prep.transform_matrix(&table, &(0..table.n_rows).collect::<Vec<_>>());
    let p = x.ncols();
    // Fitted from zero under an L2 penalty, each feature's weights and the intercepts sum to 0 over
    // the classes: a class's score is measured against the average class.
    for j in 0..p {
        assert!((0..3).map(|k| model.coef[k * p + j]).sum::<f64>().abs() < 1e-9, "feature {j}");
    }
    assert!(model.intercept.iter().sum::<f64>().abs() < 1e-9, "{:?}", model.intercept);
    for (row, probabilities) in probabilities(&bundle, &table).iter().enumerate() {
        let explanation = explain(&bundle, &table, row);
        let class = explained_class(&bundle, &explanation, probabilities);
        let mut z: Vec<f64> = (0..3)
            .map(|k| model.intercept[k] + (0..p).map(|j| model.coef[k * p + j] * x[[row, j]]).sum::<f64>())
            .collect();
        assert!((explanation.value - z[class]).abs() < 1e-9);
        assert_eq!(explanation.base, model.intercept[class]);
        crate::math::softmax_in_place(&mut z);
        assert!((z[class] - probabilities[class]).abs() < 1e-12);
    }

    // Regression: the prediction itself, from the intercept.
    for kind in [ModelKind::LinearRegression, ModelKind::Ridge, ModelKind::Lasso] {
        let (table, bundle) = trained(&regression_csv(), "y", kind, &[]);
        let Predictions::Values(predicted) = bundle.score(&table).unwrap() else { panic!("a regressor") };
        let Estimator::Linear(model) = &bundle.estimator else { panic!("linear") };
        for (row, predicted) in predicted.iter().enumerate() {
            let explanation = explain(&bundle, &table, row);
            assert_eq!(
                (explanation.method, explanation.explained.as_deref()),
                (ContributionMethod::LinearTerms, None)
            );
            assert_eq!(explanation.base, model.intercept);
            assert!((explanation.value - predicted).abs() < 1e-9, "{kind:?} row {row}");
        }
    }
}

#[test]
fn decision_paths_add_up_to_the_probability_scoring_gives() {
    // One tree and three walk raw thresholds when scoring, ten walk bins: all must agree.
    for (kind, trees) in
        [(ModelKind::DecisionTree, "1"), (ModelKind::RandomForest, "3"), (ModelKind::RandomForest, "10")]
    {
        let params: &[(&str, &str)] =
            if kind == ModelKind::RandomForest { &[("n_estimators", trees)] } else { &[] };
        let (table, bundle) = trained(&classification_csv(3), "label", kind, params);
        for (row, proba) in probabilities(&bundle, &table).iter().enumerate() {
            let explanation = explain(&bundle, &table, row);
            assert_eq!(explanation.method, ContributionMethod::DecisionPaths);
            let class = explained_class(&bundle, &explanation, proba);
            assert_eq!(explanation.value, proba[class], "{kind:?} ({trees}), row {row}");
            if kind == ModelKind::DecisionTree {
                // The root holds every training row: the base is the class's training share.
                let labels = bundle.profile.column("label").unwrap().labels.as_ref().unwrap();
                let share =
                    labels.counts[&bundle.task.classes()[class]] as f64 / bundle.training.n_train as f64;
                assert!((explanation.base - share).abs() < 1e-12);
            }
        }
    }
}

#[test]
fn a_tree_with_its_leaves_numbered_by_hand_is_explained_without_panicking() {
    let (table, mut bundle) = trained(&classification_csv(3), "label", ModelKind::DecisionTree, &[]);
    let Estimator::Trees(ensemble) = &mut bundle.estimator else { panic!("trees") };
    // The same tree with its leaves numbered right to left: scoring is unchanged.
    let tree = &mut ensemble.trees[0];
    let leaves = tree.counts.len() / 3;
    tree.counts = tree.counts.chunks_exact(3).rev().flatten().copied().collect();
    for node in tree.nodes.iter_mut().filter(|n| n.is_leaf()) {
        node.child = (leaves - 1) as u32 - node.child;
    }
    let bundle = ModelBundle::decode(&bundle.encode()).unwrap();
    for (row, proba) in probabilities(&bundle, &table).iter().enumerate() {
        let explanation = bundle.explain_row(&table, row).unwrap();
        assert_eq!(explanation.value, proba[explained_class(&bundle, &explanation, proba)]);
    }
}

#[test]
fn columns_the_model_cannot_use_get_nothing() {
    // `twin` repeats `x`, so least squares gives it no weight; `constant` is set aside in preparation.
    let mut csv = String::from("x,twin,constant,colour,y\n");
    for i in 0..60 {
        let x = (i * 7 % 13) as f64;
        let colour = ["red", "blue"][i % 2];
        csv.push_str(&format!("{x},{x},7,{colour},{}\n", 3.0 * x + (i % 2) as f64 + (i % 3) as f64 * 0.1));
    }
    let (table, bundle) = trained(&csv, "y", ModelKind::LinearRegression, &[]);
    assert!(bundle.schema.iter().all(|c| c.name != "constant"));
    for row in 0..table.n_rows {
        let explanation = explain(&bundle, &table, row);
        assert_eq!(amount(&explanation, "twin"), 0.0);
        assert!(explanation.contributions.iter().all(|c| c.column != "constant"));
    }
    // A tree of one split credits its one column; every other column gets exactly 0.
    let (table, bundle) =
        trained(&classification_csv(2), "label", ModelKind::DecisionTree, &[("max_depth", "1")]);
    for row in 0..table.n_rows {
        let explanation = explain(&bundle, &table, row);
        assert!(explanation.contributions[1..].iter().all(|c| c.amount == 0.0), "{explanation:?}");
    }
}

#[test]
fn a_category_and_a_date_add_their_features_back_into_one_amount() {
    let (table, bundle) = trained(&classification_csv(2), "label", ModelKind::LogisticRegression, &[]);
    assert!(bundle.feature_names.iter().filter(|f| f.starts_with("colour=")).count() == 3);
    assert!(bundle.feature_names.iter().filter(|f| f.starts_with("when.")).count() >= 2);
    let Estimator::Logistic(model) = &bundle.estimator else { panic!("logistic") };
    let x = bundle.prep.transform_matrix(&table, &(0..table.n_rows).collect::<Vec<_>>());
    for row in 0..table.n_rows {
        let explanation = explain(&bundle, &table, row);
        let sign = if explanation.explained.as_deref() == Some(bundle.task.classes()[1].as_str()) {
            1.0
        } else {
            -1.0
        };
        for column in ["colour", "when"] {
            let expected: f64 = (0..x.ncols())
                .filter(|&j| {
                    bundle.feature_names[j].starts_with(&format!("{column}="))
                        || bundle.feature_names[j].starts_with(&format!("{column}."))
                })
                .map(|j| sign * model.coef[j] * x[[row, j]])
                .sum();
            assert!((amount(&explanation, column) - expected).abs() < 1e-12, "{column}, row {row}");
        }
    }
}

/// One row of `classification_csv`'s columns as a table to score.
fn one_row(x: &str, colour: &str, flag: &str, when: &str, noise: &str) -> Table {
    parse_csv(format!("x,colour,flag,when,noise\n{x},{colour},{flag},{when},{noise}\n").as_bytes()).unwrap()
}

#[test]
fn occlusion_compares_each_column_with_a_typical_training_value() {
    let csv = classification_csv(3);
    let (table, bundle) = trained(&csv, "label", ModelKind::KNearestNeighbours, &[]);
    let labels = |column: &str| bundle.profile.column(column).unwrap().labels.clone().unwrap().counts;
    let top = |column: &str| labels(column).into_iter().min_by_key(|(_, n)| std::cmp::Reverse(*n)).unwrap().0;
    let (colour, flag) = (top("colour"), top("flag"));
    let all_typical = probabilities(&bundle, &one_row("", &colour, &flag, "", ""));
    let lines: Vec<Vec<&str>> = csv.lines().skip(1).map(|l| l.split(',').collect()).collect();
    for (row, cells) in lines.iter().enumerate().step_by(7) {
        let explanation = explain(&bundle, &table, row);
        assert_eq!(explanation.method, ContributionMethod::Occlusion);
        let proba = probabilities(&bundle, &table.take_rows(&[row]));
        let class = explained_class(&bundle, &explanation, &proba[0]);
        assert_eq!(explanation.value, proba[0][class]);
        assert_eq!(explanation.base, all_typical[0][class]);
        // Numbers and the date take their fill (as if missing), categories their most frequent value.
        let [x, c, f, w, n] = [cells[0], cells[1], cells[2], cells[3], cells[4]];
        let occluded = [
            ("x", one_row("", c, f, w, n)),
            ("colour", one_row(x, &colour, f, w, n)),
            ("flag", one_row(x, c, &flag, w, n)),
            ("when", one_row(x, c, f, "", n)),
            ("noise", one_row(x, c, f, w, "")),
        ];
        for (column, occluded) in occluded {
            let expected = explanation.value - probabilities(&bundle, &occluded)[0][class];
            assert_eq!(amount(&explanation, column), expected, "{column}, row {row}");
        }
    }
    // Regressors without paths, and the dummy, which no column moves.
    for kind in
        [ModelKind::DecisionTree, ModelKind::RandomForest, ModelKind::KNearestNeighbours, ModelKind::Dummy]
    {
        let (table, bundle) = trained(
            &regression_csv(),
            "y",
            kind,
            &[("n_estimators", "5")][..usize::from(kind == ModelKind::RandomForest)],
        );
        let Predictions::Values(predicted) = bundle.score(&table).unwrap() else { panic!("a regressor") };
        for row in [0, 5, 17] {
            let explanation = explain(&bundle, &table, row);
            assert_eq!(explanation.method, ContributionMethod::Occlusion);
            assert_eq!((explanation.value, explanation.explained.as_deref()), (predicted[row], None));
            if kind == ModelKind::Dummy {
                assert!(explanation.contributions.iter().all(|c| c.amount == 0.0));
                assert_eq!(explanation.base, explanation.value);
            } else {
                assert!(explanation.contributions.iter().any(|c| c.amount != 0.0), "{kind:?}");
            }
        }
    }
    let (table, bundle) = trained(&classification_csv(2), "label", ModelKind::GaussianNaiveBayes, &[]);
    assert_eq!(explain(&bundle, &table, 3).method, ContributionMethod::Occlusion);
}

#[test]
fn rows_that_do_not_fit_are_refused_as_scoring_refuses_them() {
    let (_, bundle) =
        trained(&classification_csv(2), "label", ModelKind::RandomForest, &[("n_estimators", "5")]);
    let missing = parse_csv(b"x,colour,flag,noise\n1,red,yes,3\n").unwrap();
    assert_eq!(bundle.explain_row(&missing, 0).unwrap_err(), bundle.score(&missing).unwrap_err());
    let wrong =
        parse_csv(b"x,colour,flag,when,noise\n1,red,yes,2024-01-01,3\nabc,red,yes,2024-01-01,3\n").unwrap();
    let refused = bundle.explain_row(&wrong, 1).unwrap_err();
    assert_eq!(refused, bundle.score(&wrong).unwrap_err());
    assert_eq!(
        refused.to_string(),
        "line 3, column \"x\": \"abc\" is not a number, but the model was trained on numbers in this column"
    );
    // Only the explained row is checked.
    assert!(bundle.explain_row(&wrong, 0).is_ok());
    let past = bundle.explain_row(&wrong, 2).unwrap_err();
    assert_eq!(past, TabmlError::NoSuchRow { row: 2, rows: 2 });
    assert_eq!(past.to_string(), "there is no row 2 (rows count from 0): the data has 2 row(s)");
}

#[test]
fn every_model_explains_missing_extreme_and_unseen_values() {
    let rows = "x,colour,flag,when,noise\n,,,,\n1e308,purple,yes,not a date,-1e308\n-1e308,red,no,2031-12-31,1e308\n";
    let odd = parse_csv(rows.as_bytes()).unwrap();
    for (csv, target, task) in [
        (classification_csv(3), "label", Task::Classification { classes: Vec::new() }),
        (regression_csv(), "y", Task::Regression),
    ] {
        for kind in ModelKind::ALL.into_iter().filter(|k| k.supports(&task)) {
            let (_, bundle) = trained(&csv, target, kind, &[]);
            let table = if target == "y" {
                parse_csv(b"x,colour\n,\n1e308,purple\n-1e308,red\n").unwrap()
            } else {
                odd.clone()
            };
            for row in 0..table.n_rows {
                let explanation = bundle.explain_row(&table, row).unwrap();
                assert_eq!(explanation.contributions.len(), bundle.schema.len(), "{kind:?}");
            }
        }
    }
}

#[test]
fn an_explanation_travels_in_postcard() {
    let (table, bundle) =
        trained(&classification_csv(2), "label", ModelKind::RandomForest, &[("n_estimators", "5")]);
    let explanation = explain(&bundle, &table, 4);
    let bytes = postcard::to_allocvec(&explanation).unwrap();
    assert_eq!(postcard::from_bytes::<RowExplanation>(&bytes).unwrap(), explanation);
}
