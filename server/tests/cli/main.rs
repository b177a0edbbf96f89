//! The `tabml` binary as a user runs it, one test binary with a module per area: `serve` (the
//! server on a loopback port, `admin create-user`, a SIGKILL mid-stream), `batch` (`train`,
//! `evaluate`, `score`), `drift`, `registry` (`push` and `pull` against a real server), and
//! `interrupted` (the server killed in the middle of a push), and `chaos` (four clients sending
//! event batches with retries and resends while the server is SIGKILLed and restarted at seeded
//! random moments: every event stored exactly once). Cargo builds the binary for these tests
//! (`CARGO_BIN_EXE_tabml`).

mod batch;
mod chaos;
mod drift;
mod interrupted;
mod registry;
mod serve;

use std::path::Path;
use std::process::{Command, Output};

/// The `tabml` binary, which cargo builds for these tests.
fn tabml_binary() -> &'static str {
    env!("CARGO_BIN_EXE_tabml")
}

/// The path of a file of the workspace, given from the workspace's root (`public/data/iris.csv`).
fn workspace_file(path: &str) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("server/ sits in the workspace");
    root.join(path).display().to_string()
}

/// Runs `tabml` with `args` to the end.
fn tabml(args: &[&str]) -> Output {
    Command::new(tabml_binary()).args(args).output().unwrap()
}
