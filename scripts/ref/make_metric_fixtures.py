#!/usr/bin/env python3
"""Write shared/tests/fixtures/metrics.json: scikit-learn's values for every metric tabml computes.

Run from the repository root with the reference virtualenv (see scripts/ref/requirements.txt):

    target/ref-venv/bin/python scripts/ref/make_metric_fixtures.py

The cases are fixed predictions (seeded), so the file is byte-identical on every run with the same
library versions. The Rust tests in shared/tests/core/metrics_vs_sklearn.rs compare against it.
"""
import json
import sys

import numpy as np
import sklearn
from sklearn import metrics

OUT = "shared/tests/fixtures/metrics.json"


def proba_for(rng, y_true, n_classes, skill):
    """Class probabilities that lean towards the true class by `skill`, rounded to 6 places."""
    logits = rng.normal(size=(len(y_true), n_classes))
    logits[np.arange(len(y_true)), y_true] += skill
    p = np.exp(logits)
    p /= p.sum(axis=1, keepdims=True)
    p = np.round(p, 6)
    p[:, -1] = np.round(1.0 - p[:, :-1].sum(axis=1), 6)
    return p


def classification_case(name, y_true, proba, y_pred=None, ties=False):
    y_true = np.asarray(y_true)
    n_classes = proba.shape[1]
    if y_pred is None:
        y_pred = proba.argmax(axis=1)
    labels = list(range(n_classes))
    p, r, f, _ = metrics.precision_recall_fscore_support(y_true, y_pred, labels=labels, zero_division=0)
    case = {
        "name": name,
        "n_classes": n_classes,
        "y_true": y_true.tolist(),
        "y_pred": np.asarray(y_pred).tolist(),
        "proba": proba.tolist(),
        "accuracy": metrics.accuracy_score(y_true, y_pred),
        "balanced_accuracy": metrics.balanced_accuracy_score(y_true, y_pred),
        "precision_per_class": p.tolist(),
        "recall_per_class": r.tolist(),
        "f1_per_class": f.tolist(),
        "confusion_matrix": metrics.confusion_matrix(y_true, y_pred, labels=labels).tolist(),
        "log_loss": metrics.log_loss(y_true, proba, labels=labels),
    }
    for avg in ("macro", "weighted"):
        p, r, f, _ = metrics.precision_recall_fscore_support(
            y_true, y_pred, labels=labels, average=avg, zero_division=0
        )
        case[f"precision_{avg}"], case[f"recall_{avg}"], case[f"f1_{avg}"] = p, r, f
    if n_classes == 2:
        score = proba[:, 1]
        case["roc_auc"] = metrics.roc_auc_score(y_true, score)
        case["pr_auc"] = metrics.average_precision_score(y_true, score)
        fpr, tpr, thr = metrics.roc_curve(y_true, score, drop_intermediate=False)
        # scikit-learn starts the curve at threshold +inf; JSON has no infinity, and the point is (0, 0).
        case["roc_curve"] = {"fpr": fpr.tolist(), "tpr": tpr.tolist(), "thresholds": thr[1:].tolist()}
        precision, recall, thr = metrics.precision_recall_curve(y_true, score)
        case["pr_curve"] = {"precision": precision.tolist(), "recall": recall.tolist(), "thresholds": thr.tolist()}
        # The threshold that maximises F1, and the highest threshold whose recall reaches 0.9.
        p, r = precision[:-1], recall[:-1]
        f1 = np.divide(2 * p * r, p + r, out=np.zeros_like(p), where=(p + r) > 0)
        best = int(np.argmax(f1))
        case["best_f1"] = {"threshold": float(thr[best]), "f1": float(f1[best])}
        reach = np.nonzero(r >= 0.9)[0]
        case["recall_0_9_threshold"] = float(thr[reach.max()])
    else:
        case["roc_auc"] = metrics.roc_auc_score(y_true, proba, multi_class="ovr", average="macro", labels=labels)
    return case


def regression_case(name, y_true, y_pred):
    return {
        "name": name,
        "y_true": list(map(float, y_true)),
        "y_pred": list(map(float, y_pred)),
        "mae": metrics.mean_absolute_error(y_true, y_pred),
        "rmse": metrics.root_mean_squared_error(y_true, y_pred),
        "r2": metrics.r2_score(y_true, y_pred),
        "mape": metrics.mean_absolute_percentage_error(y_true, y_pred),
    }


def main():
    rng = np.random.default_rng(20261123)
    classification = []

    y = rng.integers(0, 2, size=200)
    classification.append(classification_case("binary_balanced", y, proba_for(rng, y, 2, 1.2)))

    y = (rng.random(300) < 0.15).astype(int)
    proba = proba_for(rng, y, 2, 1.5)
    # Coarse scores create many ties, which ROC and PR AUC must handle as scikit-learn does.
    proba[:, 1] = np.round(proba[:, 1], 1)
    proba[:, 0] = np.round(1.0 - proba[:, 1], 6)
    classification.append(classification_case("binary_imbalanced_tied_scores", y, proba))

    y = rng.integers(0, 3, size=150)
    classification.append(classification_case("three_classes", y, proba_for(rng, y, 3, 1.0)))

    # Class 2 is never predicted: precision for it is 0/0, which scikit-learn (zero_division=0) reports as 0.
    y = rng.integers(0, 3, size=60)
    proba = proba_for(rng, y, 3, 2.0)
    y_pred = np.where(proba.argmax(axis=1) == 2, 0, proba.argmax(axis=1))
    classification.append(classification_case("class_never_predicted", y, proba, y_pred=y_pred))

    y = np.array([0, 1, 1, 0, 1, 0, 0, 1])
    proba = np.array([[0.9, 0.1], [0.2, 0.8], [0.3, 0.7], [0.6, 0.4], [0.1, 0.9], [0.8, 0.2], [0.7, 0.3], [0.4, 0.6]])
    classification.append(classification_case("binary_perfect_ranking", y, proba))

    # Per-group measures and their gaps (fairlearn's definitions, computed here with scikit-learn):
    # selection rate = share predicted positive; TPR = recall of the positive class.
    groups_cases = []
    for case in classification:
        if case["n_classes"] != 2:
            continue
        y_true, y_pred = np.array(case["y_true"]), np.array(case["y_pred"])
        groups = rng.choice(["A", "B", "C"], size=len(y_true), p=[0.5, 0.3, 0.2])
        per_group = {}
        for g in sorted(set(groups)):
            m = groups == g
            per_group[g] = {
                "count": int(m.sum()),
                "accuracy": metrics.accuracy_score(y_true[m], y_pred[m]),
                "selection_rate": float(np.mean(y_pred[m] == 1)),
                "true_positive_rate": (
                    metrics.recall_score(y_true[m], y_pred[m], pos_label=1, zero_division=0)
                    if (y_true[m] == 1).any() else None
                ),
            }
        rates = [v["selection_rate"] for v in per_group.values()]
        tprs = [v["true_positive_rate"] for v in per_group.values() if v["true_positive_rate"] is not None]
        groups_cases.append({
            "name": case["name"],
            "groups": groups.tolist(),
            "per_group": per_group,
            "demographic_parity_difference": max(rates) - min(rates),
            "equal_opportunity_difference": max(tprs) - min(tprs),
        })

    # Latency percentiles as numpy computes them by default (linear interpolation).
    latencies = rng.lognormal(mean=3.0, sigma=0.6, size=257)
    percentiles = {
        "values": latencies.tolist(),
        "p50": float(np.percentile(latencies, 50)),
        "p90": float(np.percentile(latencies, 90)),
        "p99": float(np.percentile(latencies, 99)),
    }

    regression = []
    t = rng.normal(150.0, 60.0, size=120)
    regression.append(regression_case("noisy", t, t + rng.normal(0.0, 25.0, size=120)))
    t = np.array([3.0, -0.5, 2.0, 7.0, 0.0])
    regression.append(regression_case("with_a_zero_truth", t, np.array([2.5, 0.0, 2.0, 8.0, 0.1])))

    doc = {
        "generated_by": "scripts/ref/make_metric_fixtures.py",
        "sklearn_version": sklearn.__version__,
        "numpy_version": np.__version__,
        "classification": classification,
        "groups": groups_cases,
        "percentiles": percentiles,
        "regression": regression,
    }
    with open(OUT, "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=1, allow_nan=False)
        f.write("\n")
    print(f"wrote {OUT}", file=sys.stderr)


if __name__ == "__main__":
    main()
