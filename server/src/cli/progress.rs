//! The progress the long batch commands show on a terminal: indicatif bars with the elapsed time and
//! an estimate of the time left. On a pipe nothing is drawn, so scripts and tests read only the
//! command's output.

use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::time::Duration;

/// Steps of a bar: finer than a percent, so the estimate moves on long single trainings.
const STEPS: u64 = 1000;

/// A progress bar, or a spinner where the work has no measure of its share, on standard error
/// when it is a terminal; otherwise nothing.
pub(super) struct Bar {
    bar: Option<ProgressBar>,
}

impl Bar {
    /// A bar from 0 to 100% with `label`, elapsed time and ETA.
    pub(super) fn new(label: &'static str) -> Self {
        let style = ProgressStyle::with_template(
            // The bar takes what the terminal's width leaves, so the line never wraps.
            "{msg} [{wide_bar}] {percent:>3}% {elapsed_precise} (ETA {eta})",
        )
        .expect("a valid template")
        .progress_chars("#>-");
        Self::shown(|| ProgressBar::new(STEPS).with_style(style).with_message(label))
    }

    /// A spinner with `label` and the elapsed time, for work that reports no share done.
    pub(super) fn spinner(label: &'static str) -> Self {
        let style =
            ProgressStyle::with_template("{spinner} {msg}  {elapsed_precise}").expect("a valid template");
        Self::shown(|| {
            let bar = ProgressBar::new_spinner().with_style(style).with_message(label);
            // The work gives no callbacks, so a ticker thread keeps the spinner and clock moving.
            bar.enable_steady_tick(Duration::from_millis(100));
            bar
        })
    }

    fn shown(make: impl FnOnce() -> ProgressBar) -> Self {
        Self { bar: std::io::stderr().is_terminal().then(make) }
    }

    /// Moves the bar to `done` (a share in [0, 1]); always `true`: the command line never cancels.
    pub(super) fn update(&self, done: f64) -> bool {
        if let Some(bar) = &self.bar {
            bar.set_position((done.clamp(0.0, 1.0) * STEPS as f64) as u64);
        }
        true
    }

    /// Replaces the label (say, with the best search trial so far).
    pub(super) fn message(&self, text: String) {
        if let Some(bar) = &self.bar {
            bar.set_message(text);
        }
    }
}

impl Drop for Bar {
    /// Takes the bar off the terminal, done or failed, leaving only the output or the error.
    fn drop(&mut self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
