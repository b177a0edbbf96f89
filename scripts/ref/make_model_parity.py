#!/usr/bin/env python3
"""Write shared/tests/fixtures/model_parity.json: scikit-learn's test scores for the model families
tabml trains, on the sample data sets, with tabml's default preparation.

Run from the repository root with the reference virtualenv (see scripts/ref/requirements.txt):

    target/ref-venv/bin/python scripts/ref/make_model_parity.py

Split: no shuffling. A data row (0-based, header excluded, counted in the CSV file as read, i.e.
BEFORE rows with a missing target are dropped) is a test row when its index % 5 == 0, otherwise a
training row. Rows with a missing target are then dropped from both parts.

Reading: every cell is read as text and trimmed; a cell that is empty or one of tabml's missing
markers ("na", "n/a", "nan", "null", "?", any case) is missing. A column whose present cells all
parse as numbers is numeric; any other column is categorical (string).

Preparation, fitted on the training rows only (tabml's defaults): numeric -> SimpleImputer(mean)
then StandardScaler (population std); categorical -> OneHotEncoder(handle_unknown="ignore"), all
categories (sorted), none dropped. One ColumnTransformer entry per column, in file order, so the
feature matrix has the same column order as tabml's. Set aside: the target, and in
learner_support.csv `learner_id` (identifier) and `mentor_notes` (free text).

Seeds: forests are scored as the mean over SEEDS. A single tree is fitted with each of the 100
random_state values in SPREAD_SEEDS: scikit-learn draws a random feature order at every node even
with max_features=None, so where splits tie its trees differ by seed. A tree case records the mean,
min and max of each metric over them ("metrics", "metrics_min", "metrics_max"), and the Rust tests
check tabml's tree, on each of SEEDS, within that min..max.

Everything is seeded and run single-threaded, so the file is byte-identical on every run with the
same library versions. The Rust tests compare tabml's models against it.
"""
import os

# Single-threaded BLAS/OpenMP before numpy loads: identical floating-point sums on every run.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import json  # noqa: E402
import sys  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import sklearn  # noqa: E402
from sklearn import metrics  # noqa: E402
from sklearn.compose import ColumnTransformer  # noqa: E402
from sklearn.dummy import DummyClassifier, DummyRegressor  # noqa: E402
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor  # noqa: E402
from sklearn.impute import SimpleImputer  # noqa: E402
from sklearn.linear_model import ElasticNet, Lasso, LinearRegression, LogisticRegression, Ridge  # noqa: E402
from sklearn.naive_bayes import GaussianNB  # noqa: E402
from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor  # noqa: E402
from sklearn.pipeline import Pipeline  # noqa: E402
from sklearn.preprocessing import OneHotEncoder, StandardScaler  # noqa: E402
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor  # noqa: E402

OUT = "shared/tests/fixtures/model_parity.json"
DATA = "public/data"
MISSING_MARKERS = {"", "na", "n/a", "nan", "null", "?"}  # tabml's csv_import::MISSING_MARKERS
SET_ASIDE = {"learner_support.csv": ["learner_id", "mentor_notes"]}
SEEDS = [0, 1, 2, 3, 4]
SPREAD_SEEDS = list(range(100))

CASES = [
    ("iris.csv", "species", "classification"),
    ("wine.csv", "cultivar", "classification"),
    ("breast_cancer.csv", "diagnosis", "classification"),
    ("learner_support.csv", "needs_support", "classification"),
    ("diabetes.csv", "progression", "regression"),
    ("learner_support.csv", "avg_quiz_score", "regression"),
]

# (model name, estimator class, params passed to it, seeded: "spread" over SPREAD_SEEDS (trees), "mean"
# over SEEDS (forests), or None)
CLASSIFIERS = [
    ("dummy", DummyClassifier, {"strategy": "prior"}, None),
    ("logreg", LogisticRegression, {"C": 1.0, "max_iter": 1000, "solver": "lbfgs"}, None),
    ("tree", DecisionTreeClassifier, {"max_depth": None}, "spread"),
    ("tree", DecisionTreeClassifier, {"max_depth": 4}, "spread"),
    ("tree", DecisionTreeClassifier, {"max_depth": 5}, "spread"),
    ("forest", RandomForestClassifier, {"n_estimators": 100}, "mean"),
    ("knn", KNeighborsClassifier, {"n_neighbors": 5}, None),
    ("gnb", GaussianNB, {}, None),
]
REGRESSORS = [
    ("dummy", DummyRegressor, {"strategy": "mean"}, None),
    ("linreg", LinearRegression, {}, None),
    ("ridge", Ridge, {"alpha": 1.0}, None),
    ("lasso", Lasso, {"alpha": 1.0}, None),
    ("lasso", Lasso, {"alpha": 0.1}, None),
    ("elasticnet", ElasticNet, {"alpha": 1.0, "l1_ratio": 0.5}, None),
    ("elasticnet", ElasticNet, {"alpha": 0.1, "l1_ratio": 0.5}, None),
    ("tree", DecisionTreeRegressor, {"max_depth": None}, "spread"),
    ("tree", DecisionTreeRegressor, {"max_depth": 4}, "spread"),
    ("tree", DecisionTreeRegressor, {"max_depth": 5}, "spread"),
    ("forest", RandomForestRegressor, {"n_estimators": 100}, "mean"),
    ("knn", KNeighborsRegressor, {"n_neighbors": 5}, None),
]


def read_table(path):
    """Reads a CSV the way tabml does: text cells, trimmed, tabml's missing markers -> NaN,
    columns whose present cells all parse as numbers -> float64."""
    raw = pd.read_csv(path, dtype=str, keep_default_na=False, na_filter=False)
    table = {}
    for name in raw.columns:
        cells = raw[name].str.strip()
        cells = cells.where(~cells.str.lower().isin(MISSING_MARKERS), None)
        present = cells.dropna()
        numbers = pd.to_numeric(present, errors="coerce")
        if len(present) > 0 and numbers.notna().all() and np.isfinite(numbers).all():
            table[name] = pd.to_numeric(cells, errors="coerce").astype("float64")
        else:
            table[name] = cells.astype(object)
    return pd.DataFrame(table)


def preparation(train, features):
    """One transformer per feature column, in file order. Categories are the sorted values seen in
    the training rows; a missing or unseen category becomes all zeros (as in tabml)."""
    steps = []
    for name in features:
        if train[name].dtype == np.float64:
            pipe = Pipeline([("impute", SimpleImputer(strategy="mean")), ("scale", StandardScaler())])
        else:
            categories = sorted(train[name].dropna().unique())
            pipe = Pipeline([
                ("impute", SimpleImputer(strategy="constant", fill_value="\x00missing", missing_values=None)),
                ("onehot", OneHotEncoder(categories=[categories], handle_unknown="ignore", sparse_output=False)),
            ])
        steps.append((name, pipe, [name]))
    return ColumnTransformer(steps, remainder="drop", sparse_threshold=0.0)


def classification_metrics(classes, y_true, proba):
    y_pred = classes[proba.argmax(axis=1)]
    out = {
        "accuracy": metrics.accuracy_score(y_true, y_pred),
        "balanced_accuracy": metrics.balanced_accuracy_score(y_true, y_pred),
        "f1_macro": metrics.f1_score(y_true, y_pred, labels=classes, average="macro", zero_division=0),
        "log_loss": metrics.log_loss(y_true, y_proba=proba, labels=classes),
    }
    if len(classes) == 2:
        out["roc_auc"] = metrics.roc_auc_score(y_true == classes[1], proba[:, 1])
    else:
        out["roc_auc"] = metrics.roc_auc_score(y_true, proba, multi_class="ovr", average="macro", labels=classes)
    return {k: float(v) for k, v in out.items()}


def regression_metrics(y_true, y_pred):
    return {
        "rmse": float(metrics.root_mean_squared_error(y_true, y_pred)),
        "mae": float(metrics.mean_absolute_error(y_true, y_pred)),
        "r2": float(metrics.r2_score(y_true, y_pred)),
    }


def fit_and_score(task, estimator, prep, x_train, y_train, x_test, y_test, notes):
    model = Pipeline([("prep", sklearn.clone(prep)), ("model", estimator)])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.fit(x_train, y_train)
        if task == "classification":
            classes = model.classes_
            scores = classification_metrics(classes, y_test, model.predict_proba(x_test))
        else:
            scores = regression_metrics(y_test, model.predict(x_test))
    for w in caught:
        notes.add(f"{w.category.__name__}: {str(w.message).splitlines()[0]}")
    return scores


def main():
    doc_cases = []
    for dataset, target, task in CASES:
        frame = read_table(os.path.join(DATA, dataset))
        is_test = np.arange(len(frame)) % 5 == 0
        labelled = frame[target].notna().to_numpy()
        features = [c for c in frame.columns if c != target and c not in SET_ASIDE.get(dataset, [])]
        train, test = frame[~is_test & labelled], frame[is_test & labelled]
        x_train, x_test = train[features], test[features]
        if task == "classification":
            y_train, y_test = train[target].to_numpy(dtype=object), test[target].to_numpy(dtype=object)
            models = CLASSIFIERS
        else:
            y_train, y_test = train[target].to_numpy(), test[target].to_numpy()
            models = REGRESSORS
        prep = preparation(train, features)
        classes = sorted(set(y_train)) if task == "classification" else None

        for name, cls, params, seeded in models:
            notes = set()
            case = {
                "dataset": dataset,
                "target": target,
                "task": task,
                "model": name,
                "params": dict(params),
                "n_train": int(len(train)),
                "n_test": int(len(test)),
            }
            if classes is not None:
                case["classes"] = [str(c) for c in classes]
            if seeded:
                seeds = SPREAD_SEEDS if seeded == "spread" else SEEDS
                runs = [
                    fit_and_score(task, cls(**params, random_state=s), prep, x_train, y_train, x_test, y_test, notes)
                    for s in seeds
                ]
                keys = sorted(runs[0])
                case["seeds"] = list(SEEDS)
                case["sklearn_seeds"] = len(seeds)
                case["metrics"] = {k: float(np.mean([r[k] for r in runs])) for k in keys}
                case["metrics_min"] = {k: float(min(r[k] for r in runs)) for k in keys}
                case["metrics_max"] = {k: float(max(r[k] for r in runs)) for k in keys}
            else:
                case["metrics"] = fit_and_score(task, cls(**params), prep, x_train, y_train, x_test, y_test, notes)
            for note in sorted(notes):
                print(f"{dataset} {target} {name} {params}: {note}", file=sys.stderr)
            doc_cases.append(case)

    doc = {
        "generated_by": "scripts/ref/make_model_parity.py",
        "sklearn_version": sklearn.__version__,
        "numpy_version": np.__version__,
        "split": "test rows are data rows with index % 5 == 0",
        "split_detail": (
            "index = 0-based data row of the CSV file (header excluded), counted before rows with a "
            "missing target are dropped; no shuffling"
        ),
        "cases": doc_cases,
    }
    with open(OUT, "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=1, sort_keys=True, allow_nan=False)
        f.write("\n")
    print(f"wrote {OUT} ({len(doc_cases)} cases)", file=sys.stderr)


if __name__ == "__main__":
    main()
