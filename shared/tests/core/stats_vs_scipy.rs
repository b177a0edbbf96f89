//! The drift statistics against the values SciPy computed on the same data. The fixtures come from
//! `scripts/ref/make_stats_fixtures.py` (see its docstring to regenerate). Every value must agree
//! to 1e-6 relative, p-values included, however small. Most agree to 1e-12; the worst, the
//! Kolmogorov distribution at n = 400,000 (Pelz–Good and the Smirnov tail), to 6e-9.

use super::{fixture, floats};
use serde_json::Value;
use tabml::stats;

const RELATIVE: f64 = 1e-6;

fn agrees(what: &str, ours: f64, theirs: &Value) {
    let theirs = theirs.as_f64().unwrap_or_else(|| panic!("{what}: not a number in the fixture"));
    let ok = if theirs == 0.0 { ours.abs() < 1e-300 } else { ((ours - theirs) / theirs).abs() <= RELATIVE };
    assert!(ok, "{what}: ours {ours:e}, SciPy {theirs:e}");
}

#[test]
fn normal_and_chi_square_tails() {
    let f = fixture("stats.json");
    for case in f["normal_sf"].as_array().unwrap() {
        let z = case["z"].as_f64().unwrap();
        agrees(&format!("norm.sf({z})"), stats::normal_sf(z), &case["sf"]);
    }
    for case in f["chi2_sf"].as_array().unwrap() {
        let (x, df) = (case["x"].as_f64().unwrap(), case["df"].as_f64().unwrap());
        agrees(&format!("chi2.sf({x}, {df})"), stats::chi2_sf(x, df), &case["sf"]);
    }
}

#[test]
fn chi_square_test() {
    for (i, case) in fixture("stats.json")["chisquare"].as_array().unwrap().iter().enumerate() {
        let result = stats::chisquare(&floats(&case["observed"]), &floats(&case["expected"])).unwrap();
        agrees(&format!("chisquare case {i} statistic"), result.statistic, &case["statistic"]);
        agrees(&format!("chisquare case {i} p-value"), result.p_value, &case["p_value"]);
    }
    assert!(stats::chisquare(&[1.0], &[1.0]).is_none(), "one category has no test");
    assert!(stats::chisquare(&[1.0, 2.0], &[0.0, 3.0]).is_none(), "an expected count of zero");
}

#[test]
fn kolmogorov_smirnov_exact() {
    for case in fixture("stats.json")["ks_2samp_exact"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let result = stats::ks_2samp_exact(&floats(&case["a"]), &floats(&case["b"])).unwrap();
        agrees(&format!("{name}: statistic"), result.statistic, &case["statistic"]);
        agrees(&format!("{name}: p-value"), result.p_value, &case["p_value"]);
    }
    assert!(stats::ks_2samp_exact(&[], &[1.0]).is_none());
    let same = stats::ks_2samp_exact(&[1.0, 2.0, 3.0], &[3.0, 2.0, 1.0]).unwrap();
    assert_eq!((same.statistic, same.p_value), (0.0, 1.0));
}

#[test]
fn wasserstein_and_jensen_shannon() {
    let f = fixture("stats.json");
    for (i, case) in f["wasserstein"].as_array().unwrap().iter().enumerate() {
        let ours = stats::wasserstein_distance(&floats(&case["a"]), &floats(&case["b"])).unwrap();
        agrees(&format!("wasserstein case {i}"), ours, &case["distance"]);
    }
    for (i, case) in f["jensenshannon"].as_array().unwrap().iter().enumerate() {
        let ours = stats::jensen_shannon_distance(&floats(&case["p"]), &floats(&case["q"])).unwrap();
        agrees(&format!("jensenshannon case {i}"), ours, &case["distance"]);
    }
    assert!(stats::jensen_shannon_distance(&[0.0, 0.0], &[1.0, 1.0]).is_none());
    assert!(stats::wasserstein_distance(&[], &[1.0]).is_none());
}

#[test]
fn kolmogorov_distribution_in_every_region() {
    let f = fixture("stats.json");
    let grid = f["kstwo_sf"].as_array().unwrap();
    assert!(grid.len() > 150);
    for case in grid {
        let (n, x) = (case["n"].as_u64().unwrap(), case["x"].as_f64().unwrap());
        agrees(&format!("kstwo.sf({x}, {n})"), stats::kstwo_sf(n, x), &case["sf"]);
    }
}

#[test]
fn kolmogorov_smirnov_asymptotic() {
    for case in fixture("stats.json")["ks_2samp_asymptotic"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let result = stats::ks_2samp(&floats(&case["a"]), &floats(&case["b"])).unwrap();
        agrees(&format!("{name}: statistic"), result.statistic, &case["statistic"]);
        agrees(&format!("{name}: p-value"), result.p_value, &case["p_value"]);
    }
    // Below the limit, the default is the exact test.
    for case in fixture("stats.json")["ks_2samp_exact"].as_array().unwrap() {
        let result = stats::ks_2samp(&floats(&case["a"]), &floats(&case["b"])).unwrap();
        agrees("default method, small samples", result.p_value, &case["p_value"]);
    }
}
