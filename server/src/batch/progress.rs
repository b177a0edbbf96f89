//! The progress bar the long batch commands draw on a terminal.

use std::io::{IsTerminal, Write};

/// A progress bar on standard error, drawn only when it is a terminal.
pub(super) struct Bar {
    label: &'static str,
    shown: i64,
    tty: bool,
}

impl Bar {
    pub(super) fn new(label: &'static str) -> Self {
        Self { label, shown: -1, tty: std::io::stderr().is_terminal() }
    }

    pub(super) fn update(&mut self, done: f64) -> bool {
        let percent = (done * 100.0).floor() as i64;
        if self.tty && percent != self.shown {
            self.shown = percent;
            let filled = (percent / 4) as usize;
            eprint!(
                "\r{} [{}{}] {percent:>3}%",
                self.label,
                "#".repeat(filled),
                " ".repeat(25 - filled.min(25))
            );
            let _ = std::io::stderr().flush();
        }
        true
    }

    pub(super) fn finish(&self) {
        if self.tty && self.shown >= 0 {
            eprintln!();
        }
    }
}
