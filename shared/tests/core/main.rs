//! The core's integration tests, one test binary with a module per area. The parity modules
//! (`*_vs_*`, `model_parity`) hold the core's numbers against scikit-learn, SciPy, Evidently and
//! NannyML on the fixtures in `shared/tests/fixtures/` (written by `scripts/ref/`); `fuzz` and
//! `extreme_values` feed it hostile input; `portable_math` guards bit-identical results across
//! platforms; `sample_data` trains on the data sets the app ships.

mod cbpe_vs_nannyml;
mod drift_vs_evidently;
mod extreme_values;
mod fuzz;
mod metrics_vs_sklearn;
mod model_parity;
mod portable_math;
mod sample_data;
mod stats_vs_scipy;
