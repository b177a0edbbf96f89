//! Prints how long one decision tree takes to fit on 10,000 and 100,000 synthetic rows (12 numeric
//! features, almost all values distinct, a binary target), the figure `BENCHMARKS.md` quotes under
//! "Single trees (issue 20)". Not a timed test: run it by hand and read the numbers.
//!
//! `cargo run -p tabml --release --example tree_fit_time`

use std::time::Instant;
use tabml::{parse_csv, train_with, ModelKind, Progress, SplitMix64, TrainConfig};

const FEATURES: usize = 12;

/// A CSV of `n` rows: features uniform in [0, 1) printed with nine digits, the target a noisy
/// threshold on the first three.
fn synthetic(n: usize) -> Vec<u8> {
    let mut rng = SplitMix64::new(20);
    let mut uniform = move || (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
    let mut text: String = (0..FEATURES).map(|f| format!("x{f},")).collect();
    text.push_str("y\n");
    for _ in 0..n {
        let row: Vec<f64> = (0..FEATURES).map(|_| uniform()).collect();
        for v in &row {
            text.push_str(&format!("{v:.9},"));
        }
        let noisy = row[0] + 0.5 * row[1] - 0.7 * row[2] + 0.3 * (uniform() - 0.5);
        text.push_str(if noisy > 0.4 { "yes\n" } else { "no\n" });
    }
    text.into_bytes()
}

fn main() {
    let start = Instant::now();
    let clock = move || start.elapsed().as_secs_f64() * 1000.0;
    for n in [10_000, 100_000] {
        let table = parse_csv(&synthetic(n)).expect("synthetic CSV");
        for depth in ["5", "None"] {
            let mut config = TrainConfig::new(ModelKind::DecisionTree);
            config.params.push(("max_depth".into(), depth.into()));
            let mut best = f64::INFINITY;
            for _ in 0..3 {
                let trained =
                    train_with(&table, "y", &config, &mut Progress::none(), &clock).expect("trains");
                best = best.min(trained.run.durations.fit_ms);
            }
            println!("{n:>7} rows, max_depth {depth:<4}: fit {best:>8.1} ms (best of 3)");
        }
    }
}
