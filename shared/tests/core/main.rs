//! The core's integration tests, one test binary with a module per area. The parity modules
//! (`*_vs_*`, `model_parity`) hold the core's numbers against scikit-learn, SciPy, Evidently and
//! NannyML on the fixtures in `shared/tests/fixtures/` (written by `scripts/ref/`); `fuzz` and
//! `extreme_values` feed it hostile input; `portable_math` guards bit-identical results across
//! platforms; `sample_data` trains on the data sets the app ships, and `explain_row` explains
//! single predictions on them.

mod cbpe_vs_nannyml;
mod drift_vs_evidently;
mod explain_row;
mod extreme_values;
mod fuzz;
mod metrics_vs_sklearn;
mod model_parity;
mod portable_math;
mod sample_data;
mod stats_vs_scipy;

use serde_json::Value;
use std::sync::mpsc;
use std::time::Duration;

/// The JSON fixture `shared/tests/fixtures/{name}`.
fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// A sample data set the app ships, from `public/data`.
fn sample(name: &str) -> tabml::Table {
    let path = format!("{}/../public/data/{name}", env!("CARGO_MANIFEST_DIR"));
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    tabml::parse_csv(&bytes).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// A JSON array of numbers.
fn floats(value: &Value) -> Vec<f64> {
    value.as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect()
}

/// Runs `work` on a thread of its own and fails unless it finishes within a minute: a loop on
/// hostile input fails the test instead of hanging the run.
fn within_a_minute<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> T {
    let (send, receive) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = send.send(work());
    });
    receive.recv_timeout(Duration::from_secs(60)).expect("finished within 60 s")
}
