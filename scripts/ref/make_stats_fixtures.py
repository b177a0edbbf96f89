#!/usr/bin/env python3
"""Write shared/tests/fixtures/stats.json: SciPy's values for the statistics tabml's drift checks use.

Run from the repository root with the reference virtualenv (see scripts/ref/requirements.txt):

    target/ref-venv/bin/python scripts/ref/make_stats_fixtures.py

Covers the normal and chi-square survival functions, scipy.stats.chisquare, the two-sample
Kolmogorov-Smirnov test with SciPy's exact method (what ks_2samp's default chooses while both
samples have at most 10,000 rows) and its asymptotic one (kstwo.sf, over a grid of every region
SciPy's _kolmogn distinguishes, and ks_2samp on larger samples), scipy.stats.wasserstein_distance and
scipy.spatial.distance.jensenshannon. The samples are seeded and rounded, so the file is the same on
every run with the same library versions. shared/tests/core/stats_vs_scipy.rs compares against it.
"""
import json

import numpy as np
import scipy
from scipy import spatial, stats

OUT = "shared/tests/fixtures/stats.json"


def floats(a):
    return [float(x) for x in a]


def main():
    rng = np.random.default_rng(20261123)
    out = {"scipy": scipy.__version__}

    out["normal_sf"] = [{"z": z, "sf": float(stats.norm.sf(z))}
                        for z in [-8.0, -3.0, -1.0, -0.1, 0.0, 0.5, 1.0, 1.96, 3.0, 5.0, 8.0, 12.0, 30.0]]
    out["chi2_sf"] = [{"x": x, "df": df, "sf": float(stats.chi2.sf(x, df))}
                      for df in [1, 2, 3, 4, 9, 20, 57, 150]
                      for x in [0.0, 0.01, 0.5, 1.0, 3.84, 7.0, 15.0, 40.0, 120.0, 400.0]]

    chisq = []
    for k, n_obs, shift in [(3, 60, 0.0), (4, 500, 0.1), (6, 900, 0.0), (10, 5000, 0.3), (2, 40, 0.5)]:
        expected_p = rng.dirichlet(np.ones(k) * 3)
        observed_p = (1 - shift) * expected_p + shift * rng.dirichlet(np.ones(k))
        observed = rng.multinomial(n_obs, observed_p).astype(float)
        expected = expected_p * observed.sum()
        expected = np.round(expected, 6)
        expected[-1] = observed.sum() - expected[:-1].sum()
        res = stats.chisquare(observed, expected)
        chisq.append({"observed": floats(observed), "expected": floats(expected),
                      "statistic": float(res.statistic), "p_value": float(res.pvalue)})
    out["chisquare"] = chisq

    ks = []
    cases = [
        ("equal sizes, no shift", 200, 200, 0.0, 1.0, 2),
        ("equal sizes, mean shift", 300, 300, 0.3, 1.0, 2),
        ("unequal sizes, no shift", 120, 450, 0.0, 1.0, 2),
        ("unequal sizes, scale change", 500, 800, 0.0, 1.6, 2),
        ("small samples", 7, 11, 0.5, 1.0, 2),
        ("large shift", 1000, 1500, 1.0, 1.0, 2),
        ("ties from rounding", 400, 700, 0.2, 1.0, 0),
        ("current at the limit", 1000, 10000, 0.05, 1.0, 2),
    ]
    for name, n1, n2, shift, scale, decimals in cases:
        a = np.round(rng.normal(size=n1), decimals)
        b = np.round(rng.normal(loc=shift, scale=scale, size=n2), decimals)
        res = stats.ks_2samp(a, b, method="exact")
        auto = stats.ks_2samp(a, b)
        assert auto.pvalue == res.pvalue, name
        ks.append({"name": name, "a": floats(a), "b": floats(b),
                   "statistic": float(res.statistic), "p_value": float(res.pvalue)})
    out["ks_2samp_exact"] = ks

    # The asymptotic branch: kstwo.sf over every region _kolmogn distinguishes (n <= 140 and above;
    # the Durbin matrix, Pomeranz, Pelz-Good, the Smirnov tail and the closed forms at the edges).
    grid = []
    for n in [1, 2, 5, 17, 60, 100, 140, 141, 500, 952, 3000, 20000, 99999, 100001, 400000]:
        for nx2 in [0.3, 0.6, 0.75, 0.9, 1.5, 2.0, 2.5, 3.9, 4.5, 8.0, 30.0, 200.0]:
            x = float(np.sqrt(nx2 / n))
            if x < 1:
                grid.append({"n": n, "x": x, "sf": float(stats.kstwo.sf(x, n))})
        for x in [0.6 / n, 0.9 / n, 1.0 - 1.5 / n, 0.55, 0.7]:
            if 0 < x < 1:
                grid.append({"n": n, "x": x, "sf": float(stats.kstwo.sf(x, n))})
    out["kstwo_sf"] = grid

    ks = []
    cases = [
        ("reference 1,000, current 12,000, no shift", 1000, 12000, 0.0, 1.0),
        ("reference 1,000, current 12,000, mean shift", 1000, 12000, 0.1, 1.0),
        ("reference 100, current 11,000, scale change", 100, 11000, 0.0, 1.3),
        ("reference 300, current 11,000, large shift", 300, 11000, 0.5, 1.0),
        ("both 12,000, small shift", 12000, 12000, 0.03, 1.0),
    ]
    for name, n1, n2, shift, scale in cases:
        a = np.round(rng.normal(size=n1), 3)
        b = np.round(rng.normal(loc=shift, scale=scale, size=n2), 3)
        res = stats.ks_2samp(a, b)
        ks.append({"name": name, "a": floats(a), "b": floats(b),
                   "statistic": float(res.statistic), "p_value": float(res.pvalue)})
    out["ks_2samp_asymptotic"] = ks

    wd = []
    for n1, n2, shift in [(50, 80, 0.0), (300, 200, 0.5), (1000, 1000, 2.0)]:
        a = np.round(rng.normal(size=n1), 3)
        b = np.round(rng.normal(loc=shift, size=n2), 3)
        wd.append({"a": floats(a), "b": floats(b), "distance": float(stats.wasserstein_distance(a, b))})
    out["wasserstein"] = wd

    js = []
    for k in [2, 3, 8, 20]:
        p = rng.dirichlet(np.ones(k))
        q = rng.dirichlet(np.ones(k))
        p[0] = 0.0  # an empty bin on one side
        js.append({"p": floats(p), "q": floats(q), "distance": float(spatial.distance.jensenshannon(p, q))})
    out["jensenshannon"] = js

    with open(OUT, "w") as f:
        # One line per entry: the samples make the file large, and one number per line would
        # make it several times larger again.
        f.write("{\n")
        for i, (key, value) in enumerate(out.items()):
            sep = "," if i + 1 < len(out) else ""
            f.write(f" {json.dumps(key)}: {json.dumps(value, separators=(',', ':'))}{sep}\n")
        f.write("}\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
