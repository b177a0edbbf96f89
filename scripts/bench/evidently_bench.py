#!/usr/bin/env python3
"""Time Evidently's DataDriftPreset on the drift benchmark pairs.

Run from the repository root with Evidently's virtualenv (scripts/ref/requirements-evidently.txt):

    target/evidently-venv/bin/python scripts/bench/evidently_bench.py OUTDIR OUT.json

Reads OUTDIR/drift_reference.csv and OUTDIR/drift_current.csv with pandas (timed apart), then runs
Report([DataDriftPreset()]) on them (best of 2) and writes the timings in seconds and the number of
drifted columns Evidently found (a correct run finds 10 of 20). When OUTDIR also holds the
high-cardinality pair (drift_hc_reference.csv, drift_hc_current.csv), times it the same way under
the keys drift_hc_read, drift_hc_check and drift_hc_drifted_columns (a correct run finds 2 of 20).
"""
import json
import os
import sys
import time

import evidently
import pandas as pd
from evidently import DataDefinition, Dataset, Report
from evidently.presets import DataDriftPreset


def time_pair(out_dir, stem):
    """Reads OUTDIR/<stem>_reference.csv and <stem>_current.csv (timed apart), then runs the preset
    on them (best of 2). Returns the frames, the timings in seconds and the drifted columns."""
    start = time.perf_counter()
    reference = pd.read_csv(f"{out_dir}/{stem}_reference.csv")
    current = pd.read_csv(f"{out_dir}/{stem}_current.csv")
    read = time.perf_counter() - start
    best, drifted = float("inf"), None
    for _ in range(2):
        start = time.perf_counter()
        ref = Dataset.from_pandas(reference, data_definition=DataDefinition())
        cur = Dataset.from_pandas(current, data_definition=DataDefinition())
        snapshot = Report([DataDriftPreset()]).run(cur, ref)
        metrics = snapshot.dict()["metrics"]
        best = min(best, time.perf_counter() - start)
        drifted = next(m["value"]["count"] for m in metrics if "DriftedColumnsCount" in m["config"]["type"])
    return reference, current, read, best, drifted


def main():
    out_dir, out_json = sys.argv[1], sys.argv[2]
    reference, current, read, best, drifted = time_pair(out_dir, "drift")
    doc = {"tool": "evidently", "versions": {"evidently": evidently.__version__, "pandas": pd.__version__},
           "rows": [len(reference), len(current)], "columns": reference.shape[1],
           "timings": {"drift_read": read, "drift_check": best}, "drifted_columns": drifted}
    del reference, current
    if all(os.path.exists(f"{out_dir}/drift_hc_{side}.csv") for side in ("reference", "current")):
        _, _, read, best, drifted = time_pair(out_dir, "drift_hc")
        doc["timings"].update({"drift_hc_read": read, "drift_hc_check": best})
        doc["drift_hc_drifted_columns"] = drifted
    with open(out_json, "w") as f:
        json.dump(doc, f, indent=1)
    print(json.dumps(doc), file=sys.stderr)


if __name__ == "__main__":
    main()
