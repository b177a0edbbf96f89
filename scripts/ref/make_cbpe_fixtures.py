#!/usr/bin/env python3
"""Write shared/tests/fixtures/cbpe.json: NannyML's confidence-based performance estimates.

Run from the repository root with NannyML's virtualenv (scripts/ref/requirements-nannyml.txt):

    target/nannyml-venv/bin/python scripts/ref/make_cbpe_fixtures.py

Two binary cases, each a labelled reference of 3,000 rows and three unlabelled analysis chunks of 600
rows (the first like the reference, the second shifted towards positives, the third spread out):
an overconfident model (probabilities sharpened from the truth, which NannyML decides to calibrate)
and a calibrated one. For each chunk the file holds NannyML's estimated accuracy and F1, their
sampling errors and confidence bounds, and whether NannyML calibrated. Probabilities are rounded to
4 decimals and none is exactly 0.5, so the predicted class is never a tie.
shared/tests/cbpe_vs_nannyml.rs compares tabml against this file.
"""
import json

import nannyml
import numpy as np
import pandas as pd
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
        chunks = []
        for i in range(len(result)):
            record = {}
            for metric in ["accuracy", "f1"]:
                record[metric] = {key: float(result[(metric, key)].iloc[i]) for key in
                                  ["value", "sampling_error", "upper_confidence_boundary", "lower_confidence_boundary"]}
            chunks.append(record)
        out["cases"].append({
            "name": name,
            "calibrated": bool(estimator.needs_calibration),
            "reference": {"p": reference["p"].tolist(), "y": reference["y"].tolist()},
            "analysis": [analysis["p"].iloc[i * CHUNK:(i + 1) * CHUNK].tolist() for i in range(3)],
            "chunks": chunks,
        })
        print(name, "calibrated" if estimator.needs_calibration else "not calibrated",
              [round(c["accuracy"]["value"], 4) for c in chunks])
    with open(OUT, "w") as f:
        json.dump(out, f, separators=(",", ":"))
        f.write("\n")


if __name__ == "__main__":
    main()
