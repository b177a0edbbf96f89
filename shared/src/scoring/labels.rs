//! Labels: a CSV of `prediction_id,label` read into label events, the same for `tabml label` and
//! for the app. Each event is named after its prediction (`label-<prediction_id>`), so sending the
//! same file twice stores nothing twice. A row without an id or a label, with an id that names no
//! version when no default is given, or with a label that is not a number for a regressor, is a
//! problem named by its line; the other rows still make events.

use super::prediction_version;
use crate::api::{EventKind, WireEvent};
use crate::error::TabmlError;
use crate::table::Table;

/// The most problems listed (all are counted).
const MAX_LISTED: usize = 1_000;

/// One row of a labels file.
#[derive(Debug, Clone, PartialEq)]
pub struct LabelRow {
    /// Its line in the file.
    pub line: u64,
    /// The prediction it is the truth for.
    pub prediction_id: String,
    /// The version that prediction was made with (from the id, else the default).
    pub version: u32,
    /// The true class or value, as written.
    pub label: String,
}

/// A labels file, read.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LabelRows {
    /// The rows that name a prediction and a label.
    pub labels: Vec<LabelRow>,
    /// The first rows that do not, each naming its line.
    pub problems: Vec<String>,
    /// How many rows do not.
    pub problem_count: usize,
}

impl LabelRows {
    fn problem(&mut self, message: String) {
        self.problem_count += 1;
        if self.problems.len() < MAX_LISTED {
            self.problems.push(message);
        }
    }
}

/// Reads `table`'s `prediction_id` and `label` columns; an id that does not name its version
/// (`v3-…`) is taken to be of `version`, or is a problem without one. Missing columns are an error.
pub fn read_labels(table: &Table, version: Option<u32>) -> Result<LabelRows, TabmlError> {
    let column = |name: &str| table.column(name).ok_or_else(|| TabmlError::UnknownColumn(name.to_owned()));
    let (ids, labels) = (column("prediction_id")?, column("label")?);
    let mut read = LabelRows::default();
    for row in 0..table.n_rows {
        let line = table.line_of(row);
        let (Some(id), Some(label)) = (ids.cell(row), labels.cell(row)) else {
            read.problem(format!("line {line}: a prediction_id and a label are both needed"));
            continue;
        };
        match prediction_version(id).or(version) {
            Some(version) => read.labels.push(LabelRow {
                line,
                prediction_id: id.to_owned(),
                version,
                label: label.to_owned(),
            }),
            None => read.problem(format!("line {line}: {id:?} does not name its model version")),
        }
    }
    Ok(read)
}

/// The label event of `row` for `model`, whose version predicts classes (`classification`) or
/// numbers: a class is compared with the prediction as text, a value as a number. A label that is
/// not a number for a regressor is refused with its line.
pub fn label_event(
    model: &str,
    row: &LabelRow,
    classification: bool,
    at_ms: i64,
) -> Result<WireEvent, String> {
    let label = if classification {
        serde_json::Value::String(row.label.clone())
    } else {
        match row.label.trim().parse::<f64>().ok().and_then(serde_json::Number::from_f64) {
            Some(number) => serde_json::Value::Number(number),
            None => {
                return Err(format!(
                    "line {}: label {:?} is not a number, and version {} predicts numbers",
                    row.line, row.label, row.version
                ))
            }
        }
    };
    Ok(WireEvent {
        id: format!("label-{}", row.prediction_id),
        kind: EventKind::Label,
        model: model.to_owned(),
        version: row.version,
        at: at_ms,
        prediction_id: Some(row.prediction_id.clone()),
        label: Some(label),
        ..WireEvent::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse_csv;

    #[test]
    fn each_row_names_its_prediction_and_a_bad_row_is_named_by_line() {
        let table = parse_csv(b"prediction_id,label\nv2-ab-1,setosa\np-7,virginica\nv2-ab-3,\nv3-ab-4,1.5\n")
            .unwrap();
        let read = read_labels(&table, None).unwrap();
        assert_eq!(read.labels.len(), 2);
        assert_eq!(
            read.problems,
            [
                "line 3: \"p-7\" does not name its model version",
                "line 4: a prediction_id and a label are both needed"
            ]
        );
        let with_default = read_labels(&table, Some(9)).unwrap();
        assert_eq!(with_default.labels[1].version, 9);
        assert_eq!(with_default.problem_count, 1);

        let class = label_event("iris", &read.labels[0], true, 5).unwrap();
        assert_eq!(class.id, "label-v2-ab-1");
        assert_eq!((class.version, class.at), (2, 5));
        assert_eq!(class.label, Some(serde_json::json!("setosa")));
        assert!(crate::api::Event::try_from(class).is_ok());
        let value = label_event("price", &read.labels[1], false, 5).unwrap();
        assert_eq!(value.label, Some(serde_json::json!(1.5)));
        let refused = label_event("price", &read.labels[0], false, 5).unwrap_err();
        assert_eq!(refused, "line 2: label \"setosa\" is not a number, and version 2 predicts numbers");
    }

    #[test]
    fn a_file_without_the_columns_is_refused_whole() {
        let table = parse_csv(b"id,label\n1,a\n").unwrap();
        assert!(
            matches!(read_labels(&table, None), Err(TabmlError::UnknownColumn(c)) if c == "prediction_id")
        );
    }
}
