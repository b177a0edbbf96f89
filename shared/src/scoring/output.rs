//! A [`ScoredBatch`] written out: the predictions as CSV, and the monitoring events a client sends.
//!
//! Both read the table that was scored again, for the cells a row's error quotes, the key column
//! and the inputs an event may carry, so the batch need not keep a copy of them. A row's error text
//! is at most 1,000 characters (a server takes 4 KiB), and an event's input values at most 100 each.

use super::{fits, shorten, unreadable, Outcome, ScoredBatch};
use crate::api::{EventKind, WireEvent};
use crate::drift::{prediction_table, ColumnDrift, ColumnProfile, DataProfile, DriftReport, EXACT_VALUES};
use crate::table::{parse_bool, Column, ColumnKind, Table};
use serde_json::{json, Map, Number, Value};

/// The most characters of a row's error text.
const MAX_ERROR_CHARS: usize = 1_000;

/// Who scored a batch, and when, for [`ScoredBatch::events`].
#[derive(Debug, Clone, PartialEq)]
pub struct EventContext<'a> {
    /// The registered model's name.
    pub model: &'a str,
    /// Its version.
    pub version: u32,
    /// The run's id (random, made by the caller): the profile event's id is `profile-<run>`.
    pub run: &'a str,
    /// When the batch was scored, in Unix milliseconds.
    pub at_ms: i64,
    /// How long scoring took per scored row, in milliseconds.
    pub latency_ms: f64,
    /// Whether each prediction event carries its input row (the model's input columns, as read):
    /// the app's privacy switch.
    pub include_inputs: bool,
}

impl ScoredBatch {
    /// The predictions as CSV: `prediction_id` first when `ids` are given (one per row), then the
    /// `key` column of the input under its own name when given, `prediction`, one `proba_<class>`
    /// per class of a classifier, and, only when some row was not scored, `error`, empty for the
    /// rows that were and saying why for the others (whose outputs are empty). `table` is the table
    /// that was scored.
    pub fn to_csv(&self, table: &Table, ids: Option<&[String]>, key: Option<&Column>) -> Vec<u8> {
        let classes = self.classes();
        let errors = (self.unscored() > 0).then(|| Rows::new(self, table));
        let mut header: Vec<String> = ids.map(|_| "prediction_id".to_owned()).into_iter().collect();
        header.extend(key.map(|k| k.name.clone()));
        header.push("prediction".to_owned());
        header.extend(classes.iter().map(|c| format!("proba_{c}")));
        header.extend(errors.as_ref().map(|_| "error".to_owned()));
        let mut writer = csv::Writer::from_writer(Vec::new());
        let written = "writing CSV to memory does not fail";
        writer.write_record(&header).expect(written);
        let mut record: Vec<String> = Vec::with_capacity(header.len());
        for (row, outcome) in self.outcomes.iter().enumerate() {
            record.clear();
            record.extend(ids.map(|ids| ids.get(row).cloned().unwrap_or_default()));
            record.extend(key.map(|k| cell(Some(k), row).unwrap_or_default().to_owned()));
            match outcome {
                Outcome::Class { label, probabilities } => {
                    record.push(classes[*label].clone());
                    record.extend(probabilities.iter().map(f64::to_string));
                }
                Outcome::Value(v) => record.push(v.to_string()),
                Outcome::Unreadable | Outcome::NotFinite { .. } => {
                    record.extend(std::iter::repeat_n(String::new(), 1 + classes.len()));
                }
            }
            record.extend(errors.as_ref().map(|e| e.error(row).unwrap_or_default()));
            writer.write_record(&record).expect(written);
        }
        writer.into_inner().expect(written)
    }

    /// The monitoring events of the batch: one prediction event per row with `ids[row]` as its
    /// event and prediction id, carrying the output and probabilities (with `latency_ms`) of a
    /// scored row, or the `error` of another; its inputs too when `context.include_inputs`. Then,
    /// when some row was scored, the batch's [`ScoredBatch::profile`] as the event
    /// `profile-<run>`. `table` is the table that was scored.
    pub fn events(&self, table: &Table, ids: &[String], context: &EventContext) -> Vec<WireEvent> {
        let profile = (self.scored() > 0).then(|| self.profile(table));
        self.events_with_profile(table, ids, context, profile)
    }

    /// [`ScoredBatch::events`] for a caller that made the batch's profile already (to check it for
    /// drift, say): `profile` is [`ScoredBatch::profile`] of `table`, or `None` when no row was
    /// scored.
    pub fn events_with_profile(
        &self,
        table: &Table,
        ids: &[String],
        context: &EventContext,
        profile: Option<DataProfile>,
    ) -> Vec<WireEvent> {
        let classes = self.classes();
        let rows = Rows::new(self, table);
        let event = |id: String, kind| WireEvent {
            id,
            kind,
            model: context.model.to_owned(),
            version: context.version,
            at: context.at_ms,
            ..WireEvent::default()
        };
        let mut events: Vec<WireEvent> = self
            .outcomes
            .iter()
            .zip(ids)
            .enumerate()
            .map(|(row, (outcome, id))| {
                let mut sent =
                    WireEvent { prediction_id: Some(id.clone()), ..event(id.clone(), EventKind::Prediction) };
                match outcome {
                    Outcome::Class { label, probabilities } => {
                        sent.output = Some(Value::String(classes[*label].clone()));
                        sent.probabilities = Some(probabilities.clone());
                        sent.latency_ms = Some(context.latency_ms);
                    }
                    Outcome::Value(v) => {
                        sent.output = Number::from_f64(*v).map(Value::Number);
                        sent.latency_ms = Some(context.latency_ms);
                    }
                    Outcome::Unreadable | Outcome::NotFinite { .. } => sent.error = rows.error(row),
                }
                if context.include_inputs {
                    sent.features = Some(rows.inputs(row));
                }
                sent
            })
            .collect();
        if let Some(Ok(profile)) = profile.map(serde_json::to_value) {
            events.push(WireEvent {
                profile: Some(profile),
                ..event(format!("profile-{}", context.run), EventKind::Profile)
            });
        }
        events
    }

    /// The profile of the scored rows of `table` (the table that was scored): the columns the
    /// training profile has, each read as in training (a column of another kind is converted, a
    /// copy of its scored rows alone), and the model's outputs on those rows.
    pub fn profile(&self, table: &Table) -> DataProfile {
        let (rows, predictions) = self.predictions();
        let rows: Vec<usize> = rows.into_iter().filter(|&r| r < table.n_rows).collect();
        let every = rows.len() == table.n_rows;
        let reference: std::collections::HashMap<&str, bool> =
            self.reference.iter().map(|(name, numeric)| (name.as_str(), *numeric)).collect();
        let columns = table
            .columns
            .iter()
            .filter_map(|column| {
                let numeric = *reference.get(column.name.as_str())?;
                if numeric == (column.kind == ColumnKind::Numeric) {
                    return Some(ColumnProfile::of_column(
                        column,
                        (!every).then_some(&rows[..]),
                        EXACT_VALUES,
                    ));
                }
                let converted = if numeric {
                    let numbers = rows.iter().map(|&r| column.cell(r).filter(|_| column.number(r).is_some()));
                    let mut converted = Column::new(column.name.clone(), numbers);
                    converted.kind = ColumnKind::Numeric;
                    converted
                } else {
                    let mut converted = column.take(&rows);
                    converted.kind = ColumnKind::Categorical;
                    converted
                };
                Some(ColumnProfile::of_column(&converted, None, EXACT_VALUES))
            })
            .collect();
        let outputs = DataProfile::of_rows(&prediction_table(&self.task, &predictions), None);
        DataProfile { rows: rows.len() as u64, columns, predictions: outputs.columns }
    }
}

/// The drift report event `drift-<run>` of a batch checked against the model's training profile:
/// the verdict and each column's test, statistic, p-value, threshold and drift (not the binned
/// distributions, which the server can rebuild from the batch's profile). A statistic that is not
/// finite (a chi-square over a value training never had) is sent as null.
pub fn drift_event(report: &DriftReport, context: &EventContext) -> WireEvent {
    let column = |c: &ColumnDrift| {
        json!({
            "column": c.column,
            "kind": c.kind.name(),
            "test": c.test.name(),
            "statistic": Number::from_f64(c.statistic),
            "p_value": c.p_value,
            "threshold": c.threshold,
            "drift": c.drift,
        })
    };
    let report = json!({
        "dataset_drift": report.dataset_drift,
        "drifted_share": report.drifted_share,
        "drift_share": report.drift_share,
        "reference_rows": report.reference_rows,
        "current_rows": report.current_rows,
        "columns": report.columns.iter().map(column).collect::<Vec<_>>(),
        "predictions": report.predictions.iter().map(column).collect::<Vec<_>>(),
    });
    WireEvent {
        id: format!("drift-{}", context.run),
        kind: EventKind::DriftReport,
        model: context.model.to_owned(),
        version: context.version,
        at: context.at_ms,
        report: Some(report),
        ..WireEvent::default()
    }
}

/// The model's input columns in the scored table, looked up once, to read rows again.
struct Rows<'a> {
    batch: &'a ScoredBatch,
    table: &'a Table,
    columns: Vec<Option<&'a Column>>,
}

/// The cell at `row` of `column`, if it has one there.
fn cell(column: Option<&Column>, row: usize) -> Option<&str> {
    column.filter(|c| row < c.len()).and_then(|c| c.cell(row))
}

impl<'a> Rows<'a> {
    fn new(batch: &'a ScoredBatch, table: &'a Table) -> Self {
        Self {
            batch,
            table,
            columns: table.columns_named(batch.inputs.iter().map(|(name, _)| name.as_str())),
        }
    }

    /// Why `row` was not scored: the message of each of its cells that cannot be read, or of its
    /// output, in at most [`MAX_ERROR_CHARS`] characters. `None` for a scored row.
    fn error(&self, row: usize) -> Option<String> {
        let mut text = match self.batch.outcomes.get(row)? {
            Outcome::Class { .. } | Outcome::Value(_) => return None,
            Outcome::NotFinite { class, value } => {
                super::output_problem(&self.batch.task, self.table, row, *class, *value).message
            }
            Outcome::Unreadable => {
                let mut text = String::new();
                for ((_, kind), column) in self.batch.inputs.iter().zip(&self.columns) {
                    let Some(column) = column.filter(|c| row < c.len()) else { continue };
                    if !fits(*kind, column, row) {
                        if !text.is_empty() {
                            text.push_str("; ");
                        }
                        text.push_str(&unreadable(*kind, self.table, column, row).to_string());
                        if text.len() > MAX_ERROR_CHARS {
                            break;
                        }
                    }
                }
                text
            }
        };
        if text.is_empty() {
            // Only when `table` is not the table scored.
            text = format!(
                "line {}: the row cannot be read as the model's training data",
                self.table.line_of(row)
            );
        }
        if let Some((end, _)) = text.char_indices().nth(MAX_ERROR_CHARS) {
            text.truncate(end);
            text.push('…');
        }
        Some(text)
    }

    /// The model's inputs in `row`, as read: numbers and booleans as JSON numbers and booleans,
    /// any other value (or one that does not read) as text of at most 100 characters, a missing
    /// cell as null.
    fn inputs(&self, row: usize) -> Map<String, Value> {
        let mut inputs = Map::new();
        for ((name, kind), column) in self.batch.inputs.iter().zip(&self.columns) {
            let value = match (cell(*column, row), kind) {
                (None, _) => Value::Null,
                (Some(text), ColumnKind::Numeric) => column
                    .and_then(|c| c.number(row))
                    .and_then(Number::from_f64)
                    .map_or_else(|| Value::String(shorten(text)), Value::Number),
                (Some(text), ColumnKind::Boolean) => {
                    parse_bool(text).map_or_else(|| Value::String(shorten(text)), Value::Bool)
                }
                (Some(text), _) => Value::String(shorten(text)),
            };
            inputs.insert(name.clone(), value);
        }
        inputs
    }
}
