//! The worker's side of the Monitor step: a copy of the model's test rows with a change injected
//! (or a file of new rows), checked for drift against the training rows' profile in the bundle, with
//! the model's performance estimated from its probabilities and, where labels exist, realized.

use super::engine::EngineError;
use super::messages::{Current, MonitorView, Shift, ShiftColumn};
use tabml::drift::{self, CbpeReference, DriftOptions};
use tabml::{parse_csv, Column, ColumnKind, ModelBundle, Predictions, SplitMix64, Table, Task};

/// Values offered for a category mix, most frequent first.
const MIX_VALUES: usize = 12;

/// `0..n` in a random order.
fn order(draws: &mut SplitMix64, n: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..n).collect();
    draws.shuffle(&mut order);
    order
}

/// What monitoring needs of a model and its test rows, worked out once: the test rows, their
/// labels, CBPE's reference fitted on the model's probabilities for them, and the columns a shift
/// can change. Each check then only draws and shifts its copy (or reads its file) and scores that.
#[derive(Debug)]
pub struct Watched {
    test: Table,
    /// Calibration and band from the labelled test rows (classifiers with probabilities only).
    reference: Option<CbpeReference>,
    columns: Vec<ShiftColumn>,
    /// Columns the model does not use (identifiers, free text): they would only ever look drifted.
    ignored: Vec<String>,
}

impl Watched {
    /// The model-only part of monitoring `bundle`, whose test rows are `test_rows` of `table`.
    pub fn new(bundle: &ModelBundle, table: &Table, test_rows: &[usize]) -> Result<Self, EngineError> {
        if test_rows.is_empty() {
            return Err(EngineError::NoTestRows("watch; train it again with a test share above 0"));
        }
        let test = table.take_rows(test_rows);
        let reference = match (&bundle.task, bundle.score(&test)) {
            (Task::Classification { classes }, Ok(Predictions::Proba(tp))) => {
                let labelled: Vec<(Vec<f64>, usize)> = tp
                    .into_iter()
                    .zip(truth(&test, &bundle.target, classes))
                    .filter_map(|(p, t)| t.map(|t| (p, t)))
                    .collect();
                let (tp, t): (Vec<Vec<f64>>, Vec<usize>) = labelled.into_iter().unzip();
                CbpeReference::fit(&tp, &t, true)
            }
            _ => None,
        };
        Ok(Self {
            columns: shift_columns(&test, &bundle.target),
            ignored: bundle.prep.skipped.iter().map(|s| s.column.clone()).collect(),
            test,
            reference,
        })
    }

    /// Runs one monitoring check. `payload` is the attached file for [`Current::File`].
    pub fn check(
        &self,
        bundle: &ModelBundle,
        current: Current,
        payload: Option<Vec<u8>>,
        clock: &dyn Fn() -> f64,
    ) -> Result<MonitorView, EngineError> {
        let started = clock();
        let current = match current {
            Current::File { name } => {
                let bytes = payload.ok_or(EngineError::NoFile)?;
                parse_csv(&bytes).map_err(|e| EngineError::File { name, source: e.into() })?
            }
            Current::TestCopy { shift, rows, seed } => shifted_copy(bundle, &self.test, &shift, rows, seed)?,
        };
        let parse_millis = clock() - started;
        let started = clock();
        let options =
            DriftOptions { ignore: self.ignored.iter().cloned().collect(), ..DriftOptions::default() };
        let scored = bundle.score(&current);
        let report =
            drift::check_scored(bundle, &current, &scored, &options).map_err(tabml::TabmlError::from)?;
        let (estimated, realized) = match (&bundle.task, &scored) {
            (Task::Classification { classes }, Ok(Predictions::Proba(p))) => (
                drift::estimate_performance(p, self.reference.as_ref()),
                drift::realized_performance(p, &truth(&current, &bundle.target, classes)),
            ),
            _ => (None, None),
        };
        Ok(MonitorView {
            report,
            rows: current.n_rows,
            test_rows: self.test.n_rows,
            estimated,
            realized,
            columns: self.columns.clone(),
            ignored: self.ignored.clone(),
            parse_millis,
            check_millis: clock() - started,
        })
    }
}

/// Each row's label in `target` as a class index (`None`: missing, or not a class of the model).
fn truth(table: &Table, target: &str, classes: &[String]) -> Vec<Option<usize>> {
    let column = table.column(target);
    (0..table.n_rows)
        .map(|r| column.and_then(|c| c.cell(r)).and_then(|cell| classes.iter().position(|k| k == cell)))
        .collect()
}

/// The columns a shift can change: every one but the target.
fn shift_columns(test: &Table, target: &str) -> Vec<ShiftColumn> {
    test.columns
        .iter()
        .filter(|c| c.name != target && c.kind != ColumnKind::Datetime && c.kind != ColumnKind::Text)
        .map(|c| {
            let numeric = c.kind == ColumnKind::Numeric;
            let mut values = if numeric { Vec::new() } else { c.value_counts() };
            values.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            ShiftColumn {
                name: c.name.clone(),
                numeric,
                values: values.into_iter().take(MIX_VALUES).map(|v| v.0).collect(),
            }
        })
        .collect()
}

/// `rows` rows drawn from `test` (without replacement while there are enough, then with), with
/// `shift` applied.
fn shifted_copy(
    bundle: &ModelBundle,
    test: &Table,
    shift: &Shift,
    rows: usize,
    seed: u64,
) -> Result<Table, EngineError> {
    let rows = rows.max(1);
    let mut draws = SplitMix64::new(seed);
    let picked: Vec<usize> = if rows <= test.n_rows {
        order(&mut draws, test.n_rows).into_iter().take(rows).collect()
    } else {
        (0..rows).map(|_| draws.below(test.n_rows)).collect()
    };
    let mut copy = test.take_rows(&picked);
    let index = |name: &str| copy.column_index(name).ok_or_else(|| EngineError::NoColumn(name.to_owned()));
    let spread = |name: &str| {
        bundle.profile.column(name).and_then(|c| c.numbers.as_ref()).map_or((0.0, 1.0), |s| (s.mean, s.std()))
    };
    let share_rows = |share: f64, n: usize, draws: &mut SplitMix64| -> Vec<bool> {
        let chosen = (share.clamp(0.0, 1.0) * n as f64).round() as usize;
        let mut mask = vec![false; n];
        for r in order(draws, n).into_iter().take(chosen) {
            mask[r] = true;
        }
        mask
    };
    match shift {
        Shift::None => {}
        Shift::Mean { column, sds } => {
            let i = index(column)?;
            let (_, std) = spread(column);
            map_numbers(&mut copy.columns[i], |_, v| v + sds * std)?;
        }
        Shift::Scale { column, factor } => {
            let i = index(column)?;
            let (mean, _) = spread(column);
            map_numbers(&mut copy.columns[i], |_, v| mean + (v - mean) * factor)?;
        }
        Shift::Mix { column, value, share } => {
            let i = index(column)?;
            let mask = share_rows(*share, copy.n_rows, &mut draws);
            map_cells(&mut copy.columns[i], |r, cell| {
                if mask[r] {
                    Some(value.clone())
                } else {
                    cell.map(str::to_owned)
                }
            });
        }
        Shift::LabelFlip { share } => {
            let i = index(&bundle.target)?;
            let mask = share_rows(*share, copy.n_rows, &mut draws);
            match &bundle.task {
                Task::Classification { classes } => {
                    let next = |cell: &str| {
                        let k = classes.iter().position(|c| c == cell).unwrap_or(0);
                        classes[(k + 1) % classes.len()].clone()
                    };
                    map_cells(&mut copy.columns[i], |r, cell| match cell {
                        Some(c) if mask[r] => Some(next(c)),
                        other => other.map(str::to_owned),
                    });
                }
                Task::Regression => {
                    let (_, std) = spread(&bundle.target);
                    map_numbers(&mut copy.columns[i], |r, v| if mask[r] { v + std } else { v })?;
                }
            }
        }
    }
    Ok(copy)
}

/// Replaces each cell of `column` by `f(row, cell)`, keeping the column's kind.
fn map_cells(column: &mut Column, mut f: impl FnMut(usize, Option<&str>) -> Option<String>) {
    let cells: Vec<Option<String>> = column.cells().enumerate().map(|(r, c)| f(r, c)).collect();
    let kind = column.kind;
    *column = Column::new(column.name.clone(), cells.iter().map(Option::as_deref));
    column.kind = kind;
}

/// Replaces each number of a numeric `column` by `f(row, value)`; missing cells stay missing.
fn map_numbers(column: &mut Column, mut f: impl FnMut(usize, f64) -> f64) -> Result<(), EngineError> {
    if column.kind != ColumnKind::Numeric {
        return Err(EngineError::NotNumeric(column.name.clone()));
    }
    let values: Vec<Option<f64>> = (0..column.len()).map(|r| column.number(r)).collect();
    map_cells(column, |r, _| values[r].map(|v| format_number(f(r, v))));
    Ok(())
}

/// A number as a cell: the shortest text that reads back as the same value.
fn format_number(v: f64) -> String {
    format!("{v}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use tabml::{train, ModelKind, TrainConfig};

    fn support() -> (Table, tabml::Trained) {
        let bytes = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../public/data/learner_support.csv"))
            .unwrap();
        let table = parse_csv(&bytes).unwrap();
        let trained =
            train(&table, "needs_support", &TrainConfig::new(ModelKind::LogisticRegression)).unwrap();
        (table, trained)
    }

    /// One check from scratch, with a clock that stands still.
    fn check(
        bundle: &ModelBundle,
        table: &Table,
        test_rows: &[usize],
        current: Current,
        payload: Option<Vec<u8>>,
    ) -> Result<MonitorView, EngineError> {
        Watched::new(bundle, table, test_rows)?.check(bundle, current, payload, &|| 0.0)
    }

    fn copy(shift: Shift, rows: usize) -> Current {
        Current::TestCopy { shift, rows, seed: 1 }
    }

    #[test]
    fn shifts_move_the_statistics_they_should() {
        let (table, trained) = support();
        let (bundle, test) = (&trained.bundle, &trained.test_rows);
        let calm = check(bundle, &table, test, copy(Shift::None, 1000), None).unwrap();
        assert_eq!((calm.rows, calm.test_rows), (1000, 1000));
        assert!(
            !calm.report.dataset_drift,
            "{:?}",
            calm.report.columns.iter().filter(|c| c.drift).collect::<Vec<_>>()
        );
        let numeric = calm.columns.iter().find(|c| c.numeric).unwrap().name.clone();
        let drifted = |view: &MonitorView, column: &str| {
            view.report.columns.iter().find(|c| c.column == column).unwrap().drift
        };
        assert!(!drifted(&calm, &numeric));
        let moved =
            check(bundle, &table, test, copy(Shift::Mean { column: numeric.clone(), sds: 1.0 }, 1000), None)
                .unwrap();
        assert!(drifted(&moved, &numeric), "a one-SD mean shift drifts");
        let wider = check(
            bundle,
            &table,
            test,
            copy(Shift::Scale { column: numeric.clone(), factor: 2.0 }, 1000),
            None,
        )
        .unwrap();
        assert!(drifted(&wider, &numeric), "doubling the spread drifts");
        let category = calm.columns.iter().find(|c| !c.numeric && c.values.len() >= 2).unwrap().clone();
        let mix = Shift::Mix { column: category.name.clone(), value: category.values[1].clone(), share: 0.6 };
        let mixed = check(bundle, &table, test, copy(mix, 1000), None).unwrap();
        assert!(drifted(&mixed, &category.name), "a category mix drifts");
        // A label flip changes the truth only: the estimate stays, the realized accuracy falls.
        let (estimated, realized) = (calm.estimated.unwrap(), calm.realized.unwrap());
        assert!(
            estimated.accuracy.lower <= realized.0 && realized.0 <= estimated.accuracy.upper,
            "{estimated:?} {realized:?}"
        );
        let flipped = check(bundle, &table, test, copy(Shift::LabelFlip { share: 0.4 }, 1000), None).unwrap();
        assert!((flipped.estimated.as_ref().unwrap().accuracy.value - estimated.accuracy.value).abs() < 1e-9);
        assert!(flipped.realized.unwrap().0 < realized.0 - 0.2, "{:?}", flipped.realized);
        assert!(drifted(&flipped, "needs_support"), "the target's own drift shows the flip");
        // Against 4,000 training rows the test is the normed Wasserstein distance: on few rows,
        // chance alone makes it large.
        let distance = |rows| {
            let view = check(bundle, &table, test, copy(Shift::None, rows), None).unwrap();
            view.report.columns.iter().find(|c| c.column == numeric).unwrap().statistic
        };
        assert!(distance(30) > 2.0 * distance(3000), "{} against {}", distance(30), distance(3000));
    }

    #[test]
    fn a_file_is_checked_and_a_bad_one_named() {
        let (table, trained) = support();
        let bytes = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../public/data/learner_support.csv"))
            .unwrap();
        let view = check(
            &trained.bundle,
            &table,
            &trained.test_rows,
            Current::File { name: "new.csv".into() },
            Some(bytes),
        )
        .unwrap();
        assert_eq!(view.rows, table.n_rows);
        assert!(!view.report.dataset_drift);
        let err = check(
            &trained.bundle,
            &table,
            &trained.test_rows,
            Current::File { name: "bad.csv".into() },
            Some(b"a,b\n1\n".to_vec()),
        )
        .unwrap_err()
        .to_string();
        assert!(err.starts_with("bad.csv: line 2"), "{err}");
    }
}
