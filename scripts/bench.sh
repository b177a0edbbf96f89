#!/usr/bin/env bash
# The benchmark: tabml (native, release build) against scikit-learn on the same machine and the same
# files, one after the other, single-threaded on both sides; and tabml's drift check against
# Evidently's DataDriftPreset on two 200,000 x 20 reference/current pairs (4-decimal and
# high-cardinality); reading CSV files against pandas.read_csv, with peak memory; tabml serve
# against MLflow's tracking server (monitoring ingest and registry reads); and scoring: the Score
# page in the tab against natively (browser-bench), and `tabml score --server` against a
# scikit-learn pipeline loaded with joblib and `mlflow models predict`; and the mentors' 30-day
# series and class overview over a million stored predictions (mentor-bench). Prints Markdown
# tables with the ratios and the targets; BENCHMARKS.md records a run.
#
#   scripts/bench.sh            # full size: 100,000 x 20 classification, 1,000,000 x 20 CSV (minutes)
#   BENCH_SMALL=1 scripts/bench.sh   # 10,000 rows / 50,000 CSV rows, for a quick look
#
# scikit-learn lives in a virtualenv under target/ (never a product dependency); this script creates
# it from scripts/ref/requirements.txt when it is missing (needs PyPI). The browser half builds the
# app for release into target/dist-release and drives it in headless Chromium (browser-bench).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/tabml-target}"
export PATH="$HOME/.cargo/bin:$PATH"
# trunk, wasm-bindgen and chromium for the browser half (skips whatever is present).
source scripts/setup.sh test
out="target/bench"
[ -n "${BENCH_SMALL:-}" ] && out="target/bench-small"
mkdir -p "$out"

step() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

if [ ! -x target/ref-venv/bin/python ]; then
  step "creating the reference virtualenv (scikit-learn, numpy, pandas) under target/ref-venv"
  python3 -m venv target/ref-venv
  target/ref-venv/bin/pip install --quiet -r scripts/ref/requirements.txt
fi

step "writing the benchmark data to $out (skipped when present)"
target/ref-venv/bin/python scripts/bench/make_data.py "$out"
target/ref-venv/bin/python scripts/bench/make_drift_data.py "$out"

if [ ! -x target/evidently-venv/bin/python ]; then
  step "creating Evidently's virtualenv under target/evidently-venv"
  python3 -m venv target/evidently-venv
  target/evidently-venv/bin/pip install --quiet -r scripts/ref/requirements-evidently.txt
fi

step "building tabml (release)"
cargo build --quiet --release -p tabml-server

step "timing tabml"
"$CARGO_TARGET_DIR/release/tabml" bench --data "$out" > "$out/tabml.json"

step "timing scikit-learn (one thread)"
OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 \
  target/ref-venv/bin/python scripts/bench/sklearn_bench.py "$out" "$out/sklearn.json" >&2

step "timing Evidently's DataDriftPreset on the drift pair"
target/evidently-venv/bin/python scripts/bench/evidently_bench.py "$out" "$out/evidently.json" 2>/dev/null

python3 scripts/bench/report.py "$out/tabml.json" "$out/sklearn.json" "$out/evidently.json"

step "timing CSV reading, one fresh process per file: tabml against pandas.read_csv, with peak memory"
reads=(parse_1m.csv drift_hc_reference.csv drift_reference.csv)
read_docs=()
for file in "${reads[@]}"; do
  "$CARGO_TARGET_DIR/release/tabml" bench --data "$out" --read "$file" > "$out/tabml_read_${file%.csv}.json"
  read_docs+=("$out/tabml_read_${file%.csv}.json")
done
target/ref-venv/bin/python scripts/bench/pandas_read.py "$out" "$out/pandas_read.json" "${reads[@]}"
python3 scripts/bench/report.py --read "$out/pandas_read.json" "${read_docs[@]}"

step "building the app for release (trunk build --release → target/dist-release)"
trunk build --release --dist target/dist-release

step "building the browser benchmark (release)"
cargo build --quiet --release -p tabml-tests --bin browser-bench

step "timing the app in headless Chromium against tabml natively"
"$CARGO_TARGET_DIR/release/browser-bench" --dist target/dist-release --data "$out/classif_100k.csv" \
  --target label --out "$out/browser.json"

step "timing the drift check in headless Chromium against tabml natively and Evidently"
"$CARGO_TARGET_DIR/release/browser-bench" --dist target/dist-release --drift-dir "$out" \
  --evidently "$out/evidently.json" --out "$out/browser-drift.json"

step "timing the app with the server away: reload from the service worker, draining 10,000 events"
"$CARGO_TARGET_DIR/release/browser-bench" --dist target/dist-release --offline --out "$out/browser-offline.json"

if [ ! -x target/mlflow-venv/bin/python ]; then
  step "creating MLflow's virtualenv under target/mlflow-venv"
  python3 -m venv target/mlflow-venv
  target/mlflow-venv/bin/pip install --quiet -r scripts/ref/requirements-mlflow.txt
fi

step "timing MLflow's tracking server (SQLite backend): log_batch from 4 clients, get_model_version_by_alias"
target/mlflow-venv/bin/python scripts/bench/mlflow_bench.py "$out/mlflow.json" 2>/dev/null

step "building the server benchmark (release)"
cargo build --quiet --release -p tabml-tests --bin server-bench

step "timing tabml serve: events from 4 clients, bundle downloads by alias"
"$CARGO_TARGET_DIR/release/server-bench" --tabml "$CARGO_TARGET_DIR/release/tabml" \
  --mlflow "$out/mlflow.json" --out "$out/server.json"

step "building the mentors' benchmark (release)"
cargo build --quiet --release -p tabml-tests --bin mentor-bench

step "timing the mentors' series and class overview over 1,000,000 stored predictions"
"$CARGO_TARGET_DIR/release/mentor-bench" --events 1000000 --others 2000 --repeat 15 \
  --out "$out/mentor.json"

step "timing scikit-learn scoring the file (joblib pipelines, one thread) and mlflow models predict"
target/ref-venv/bin/python scripts/bench/sklearn_score_bench.py "$out" "$out/sklearn-score.json" \
  target/mlflow-venv/bin/python

step "timing tabml score --server on the same file: pull, score, write, 100,000 events"
"$CARGO_TARGET_DIR/release/server-bench" --tabml "$CARGO_TARGET_DIR/release/tabml" \
  --score-data "$out/classif_100k.csv" --target label --sklearn "$out/sklearn-score.json" --out "$out/score.json"
