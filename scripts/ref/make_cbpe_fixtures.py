#!/usr/bin/env python3
"""Write shared/tests/fixtures/cbpe.json: NannyML's confidence-based performance estimates.

Run from the repository root with NannyML's virtualenv (scripts/ref/requirements-nannyml.txt):

    target/nannyml-venv/bin/python scripts/ref/make_cbpe_fixtures.py

Two binary cases and two three-class cases, each a labelled reference of 3,000 rows and three unlabelled analysis chunks of 600
rows (the first like the reference, the second shifted towards positives, the third spread out):
an overconfident model (probabilities sharpened from the truth, which NannyML decides to calibrate)
and a calibrated one (for three classes: like the reference, one class more common, spread out). For
each chunk the file holds NannyML's estimated accuracy and F1, their
sampling errors and confidence bounds, and whether NannyML calibrated. Probabilities are rounded to
4 decimals and none is exactly 0.5, so the predicted class is never a tie.
shared/tests/core/cbpe_vs_nannyml.rs compares tabml against this file.
"""
import json
import os

# NannyML sends usage statistics unless told not to; nothing here may reach the network.
os.environ["NML_DISABLE_USAGE_LOGGING"] = "1"

import nannyml  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from nannyml.calibration import NoopCalibrator
from nannyml.performance_estimation.confidence_based import CBPE

OUT = "shared/tests/fixtures/cbpe.json"
CHUNK = 600


def rows(rng, n, a, b, sharpen):
    q = rng.beta(a, b, n)
    y = (rng.random(n) < q).astype(int)
    logit = np.log(q / (1 - q))
    p = np.round(1 / (1 + np.exp(-sharpen * logit)), 4)
    p = np.clip(p, 0.0001, 0.9999)
    p[p == 0.5] = 0.5001
    return pd.DataFrame({"p": p, "y_pred": (p >= 0.5).astype(int), "y": y})


def chunk_records(result):
    """Per chunk of NannyML's result: the estimated accuracy and F1 with their errors and bounds."""
    keys = ["value", "sampling_error", "upper_confidence_boundary", "lower_confidence_boundary"]
    return [{metric: {key: float(result[(metric, key)].iloc[i]) for key in keys} for metric in ["accuracy", "f1"]}
            for i in range(len(result))]


def multiclass_rows(rng, n, alpha, sharpen):
    """Three classes: true probabilities from a Dirichlet, the truth drawn from them, and the model's
    probabilities sharpened (a softmax of the scaled log-probabilities), rounded to 4 decimals."""
    q = rng.dirichlet(alpha, n)
    y = np.array([rng.choice(3, p=row) for row in q])
    logits = sharpen * np.log(q)
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    p = np.round(p / p.sum(axis=1, keepdims=True), 4)
    p = np.clip(p, 0.0001, 0.9999)
    frame = pd.DataFrame({"p0": p[:, 0], "p1": p[:, 1], "p2": p[:, 2], "y": y})
    # No ties for the most probable class.
    top = np.sort(p, axis=1)
    frame = frame[top[:, -1] > top[:, -2]].reset_index(drop=True)
    frame["y_pred"] = frame[["p0", "p1", "p2"]].to_numpy().argmax(axis=1)
    return frame


def multiclass_case(rng, name, sharpen):
    """A three-class case: a 3,000-row reference and three 600-row chunks (like the reference, one
    class more common, probabilities spread out)."""
    reference = multiclass_rows(rng, 3100, [2, 2, 2], sharpen).iloc[:3000]
    analysis = pd.concat([multiclass_rows(rng, 650, [2, 2, 2], sharpen).iloc[:CHUNK],
                          multiclass_rows(rng, 650, [5, 2, 2], sharpen).iloc[:CHUNK],
                          multiclass_rows(rng, 650, [1, 1, 1], sharpen).iloc[:CHUNK]], ignore_index=True)
    estimator = CBPE(problem_type="classification_multiclass", y_pred_proba={0: "p0", 1: "p1", 2: "p2"},
                     y_pred="y_pred", y_true="y", metrics=["accuracy", "f1"], chunk_size=CHUNK)
    estimator.fit(reference)
    # NannyML decides per class whether to calibrate; tabml calibrates all classes or none.
    decisions = {int(c): not isinstance(cal, NoopCalibrator) for c, cal in estimator._calibrators.items()}
    assert len(set(decisions.values())) == 1, f"{name}: NannyML calibrates some classes only: {decisions}"
    result = estimator.estimate(analysis.drop(columns=["y"])).filter(period="analysis").to_df()
    chunks = chunk_records(result)
    print(name, decisions, [round(c["accuracy"]["value"], 4) for c in chunks])
    probabilities = lambda frame: frame[["p0", "p1", "p2"]].to_numpy().tolist()
    return {
        "name": name,
        "calibrated": decisions[0],
        "reference": {"p": probabilities(reference), "y": reference["y"].tolist()},
        "analysis": [probabilities(analysis.iloc[i * CHUNK:(i + 1) * CHUNK]) for i in range(3)],
        "chunks": chunks,
    }


def main():
    rng = np.random.default_rng(20261123)
    out = {"nannyml": nannyml.__version__, "cases": []}
    for name, sharpen in [("overconfident", 2.2), ("calibrated", 1.0)]:
        reference = rows(rng, 3000, 2, 2, sharpen)
        analysis = pd.concat([rows(rng, CHUNK, 2, 2, sharpen), rows(rng, CHUNK, 5, 2, sharpen),
                              rows(rng, CHUNK, 1, 1, sharpen)], ignore_index=True)
        estimator = CBPE(problem_type="classification_binary", y_pred_proba="p", y_pred="y_pred", y_true="y",
                         metrics=["accuracy", "f1"], chunk_size=CHUNK)
        estimator.fit(reference)
        result = estimator.estimate(analysis.drop(columns=["y"])).filter(period="analysis").to_df()
        chunks = chunk_records(result)
        out["cases"].append({
            "name": name,
            "calibrated": bool(estimator.needs_calibration),
            "reference": {"p": reference["p"].tolist(), "y": reference["y"].tolist()},
            "analysis": [analysis["p"].iloc[i * CHUNK:(i + 1) * CHUNK].tolist() for i in range(3)],
            "chunks": chunks,
        })
        print(name, "calibrated" if estimator.needs_calibration else "not calibrated",
              [round(c["accuracy"]["value"], 4) for c in chunks])
    out["multiclass_cases"] = [multiclass_case(rng, name, sharpen) for name, sharpen in
                               [("multiclass_overconfident", 2.5), ("multiclass_calibrated", 1.0)]]
    with open(OUT, "w") as f:
        json.dump(out, f, separators=(",", ":"))
        f.write("\n")


if __name__ == "__main__":
    main()
