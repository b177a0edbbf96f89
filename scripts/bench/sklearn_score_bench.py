#!/usr/bin/env python3
"""Scoring a file with scikit-learn, the way a Python team would do what `tabml score` does: the
reference side of `server-bench --score-data` (scripts/bench.sh).

    target/ref-venv/bin/python scripts/bench/sklearn_score_bench.py DATA_DIR OUT_JSON [MLFLOW_PYTHON]

Fits two pipelines on the first 80 % of DATA_DIR/classif_100k.csv (target `label`), as
sklearn_bench.py splits it: StandardScaler + LogisticRegression, and a RandomForestClassifier with
100 trees (n_jobs=1, random_state=0), and saves each with `joblib.dump` under DATA_DIR/score-models/.
Then, for each, a fresh Python process times `joblib.load` + `pandas.read_csv` of the whole file
(100,000 rows) + `predict_proba` + writing the predictions CSV (prediction and each class's
probability) with `DataFrame.to_csv`; best of 3 processes. The process's wall time (interpreter start
and imports too) is kept beside it.

With MLFLOW_PYTHON (the python of target/mlflow-venv), each pipeline is also saved as an MLflow model
(`mlflow.sklearn.save_model`, `pyfunc_predict_fn="predict_proba"`) and `mlflow models predict -m DIR
-i classif_100k.csv -o OUT -t csv --env-manager local` is timed end to end, best of 3, offline
(telemetry off). Its failure is recorded in the JSON, not fatal.

Writes OUT_JSON: {"versions", "rows", "models": {"logreg": {"imports", "load", "read", "predict", "write",
"total", "process"}, "forest": {...}}, "mlflow": {"logreg": SECONDS, "forest": SECONDS} or
{"error": TEXT}}, all in seconds. One thread everywhere.
"""
import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import json  # noqa: E402
import pathlib  # noqa: E402
import platform  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

RUNS = 3
MODELS = ("logreg", "forest")


def features_of(columns):
    return [c for c in columns if c != "label"]


def fit(data, model_dir):
    """Fits both pipelines on the first 80 % of rows and dumps them with joblib."""
    import joblib
    import pandas as pd
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    frame = pd.read_csv(data)
    features = features_of(frame.columns)
    n_train = int(len(frame) * 0.8)
    x, y = frame[features].iloc[:n_train], frame["label"].iloc[:n_train]
    pipelines = {
        "logreg": make_pipeline(StandardScaler(), LogisticRegression()),
        "forest": make_pipeline(RandomForestClassifier(n_estimators=100, n_jobs=1, random_state=0)),
    }
    os.makedirs(model_dir, exist_ok=True)
    for name, pipeline in pipelines.items():
        start = time.perf_counter()
        pipeline.fit(x, y)
        path = os.path.join(model_dir, f"{name}.joblib")
        joblib.dump(pipeline, path)
        print(f"{name}: fitted in {time.perf_counter() - start:.1f} s, {os.path.getsize(path):,} bytes",
              file=sys.stderr)


def score_once(model_path, data, out):
    """In this (fresh) process: load, read, predict, write; prints the four times as JSON."""
    clock = time.perf_counter
    started = clock()
    import joblib
    import pandas as pd
    # What unpickling a pipeline imports anyway, timed apart from the load.
    import sklearn.ensemble  # noqa: F401
    import sklearn.linear_model  # noqa: F401
    import sklearn.pipeline  # noqa: F401
    import sklearn.preprocessing  # noqa: F401

    imported = clock()
    pipeline = joblib.load(model_path)
    loaded = clock()
    frame = pd.read_csv(data)
    read = clock()
    proba = pipeline.predict_proba(frame[features_of(frame.columns)])
    predicted = clock()
    classes = pipeline.classes_
    predictions = pd.DataFrame({f"proba_{c}": proba[:, i] for i, c in enumerate(classes)})
    predictions.insert(0, "prediction", classes[proba.argmax(axis=1)])
    predictions.to_csv(out, index=False)
    written = clock()
    print(json.dumps({
        "imports": imported - started, "load": loaded - imported, "read": read - loaded,
        "predict": predicted - read, "write": written - predicted, "total": written - imported,
        "rows": len(frame),
    }))


def time_joblib(model_path, data, tmp):
    """Best of RUNS fresh processes, by the timed steps (load to write)."""
    best = None
    for run in range(RUNS):
        out = os.path.join(tmp, f"sklearn-predictions-{run}.csv")
        start = time.perf_counter()
        child = subprocess.run([sys.executable, __file__, "--score-once", model_path, data, out],
                               check=True, capture_output=True, text=True)
        wall = time.perf_counter() - start
        figures = json.loads(child.stdout)
        figures["process"] = wall
        if best is None or figures["total"] < best["total"]:
            best = figures
    return best


def save_mlflow(model_path, data, mlflow_dir):
    """(In MLflow's virtualenv.) The joblib pipeline as an MLflow model answering predict_proba, with
    a signature of the feature columns (so MLflow ignores the file's label column, as tabml does)."""
    import joblib
    import mlflow.sklearn
    import pandas as pd
    from mlflow.models import infer_signature

    pipeline = joblib.load(model_path)
    sample = pd.read_csv(data, nrows=100)
    sample = sample[features_of(sample.columns)]
    signature = infer_signature(sample, pipeline.predict_proba(sample))
    shutil.rmtree(mlflow_dir, ignore_errors=True)
    # MLflow 3 saves with skops, which refuses a tree's node arrays unless told they are trusted
    # (they are: this script made them).
    mlflow.sklearn.save_model(pipeline, mlflow_dir, signature=signature, pyfunc_predict_fn="predict_proba",
                              skops_trusted_types=["sklearn.tree._tree.Tree"])


def time_mlflow(mlflow_python, model_path, data, tmp, name):
    env = dict(os.environ, MLFLOW_DISABLE_TELEMETRY="true", DO_NOT_TRACK="true",
               MLFLOW_TRACKING_URI=f"file://{tmp}/mlruns")
    model_dir = os.path.join(tmp, f"mlflow-{name}")
    subprocess.run([mlflow_python, __file__, "--save-mlflow", model_path, data, model_dir],
                   check=True, capture_output=True, text=True, env=env)
    mlflow = os.path.join(os.path.dirname(mlflow_python), "mlflow")
    best = float("inf")
    for run in range(RUNS):
        out = os.path.join(tmp, f"mlflow-predictions-{name}-{run}.csv")
        start = time.perf_counter()
        child = subprocess.run([mlflow, "models", "predict", "-m", model_dir, "-i", data, "-o", out,
                                "-t", "csv", "--env-manager", "local"],
                               capture_output=True, text=True, env=env)
        wall = time.perf_counter() - start
        if child.returncode != 0 or not os.path.exists(out):
            raise RuntimeError(f"mlflow models predict failed: {child.stderr.strip()[-2000:]}")
        best = min(best, wall)
    return best


def main():
    if len(sys.argv) >= 2 and sys.argv[1] == "--score-once":
        return score_once(*sys.argv[2:5])
    if len(sys.argv) >= 2 and sys.argv[1] == "--save-mlflow":
        return save_mlflow(*sys.argv[2:5])
    if len(sys.argv) not in (3, 4):
        sys.exit(f"usage: {sys.argv[0]} DATA_DIR OUT_JSON [MLFLOW_PYTHON]")
    data_dir, out_json = sys.argv[1], sys.argv[2]
    mlflow_python = sys.argv[3] if len(sys.argv) == 4 else None
    data = os.path.abspath(os.path.join(data_dir, "classif_100k.csv"))
    model_dir = os.path.join(data_dir, "score-models")
    fit(data, model_dir)

    import pandas as pd
    import sklearn

    doc = {
        "tool": "scikit-learn + joblib",
        "versions": {"python": platform.python_version(), "sklearn": sklearn.__version__,
                     "pandas": pd.__version__},
        "models": {},
    }
    with tempfile.TemporaryDirectory(prefix="sklearn-score-") as tmp:
        for name in MODELS:
            figures = time_joblib(os.path.join(model_dir, f"{name}.joblib"), data, tmp)
            doc["rows"] = figures.pop("rows")
            doc["models"][name] = figures
            print(f"{name}: load {figures['load']:.3f} s, read {figures['read']:.3f} s, predict "
                  f"{figures['predict']:.3f} s, write {figures['write']:.3f} s; total {figures['total']:.3f} s "
                  f"(process {figures['process']:.3f} s)", file=sys.stderr)
        if mlflow_python:
            try:
                doc["mlflow"] = {name: time_mlflow(mlflow_python, os.path.join(model_dir, f"{name}.joblib"),
                                                   data, tmp, name) for name in MODELS}
                version = subprocess.run([mlflow_python, "-c", "import mlflow; print(mlflow.__version__)"],
                                         capture_output=True, text=True).stdout.strip()
                doc["versions"]["mlflow"] = version
                print(f"mlflow models predict: {doc['mlflow']}", file=sys.stderr)
            except (RuntimeError, subprocess.CalledProcessError) as e:
                detail = getattr(e, "stderr", None) or str(e)
                doc["mlflow"] = {"error": str(detail).strip()[-2000:]}
                print(f"mlflow models predict did not run: {doc['mlflow']['error']}", file=sys.stderr)
    pathlib.Path(out_json).write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {out_json}", file=sys.stderr)


if __name__ == "__main__":
    main()
