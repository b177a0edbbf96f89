//! Hyperparameter search with k-fold cross-validation on the training rows: a grid, random draws,
//! or a tree-structured Parzen estimator (TPE, Bergstra et al. 2011) that models which values did
//! well so far and proposes more like them.
//!
//! Each trial prepares and fits on k − 1 folds and scores the held-out fold with scikit-learn's
//! default score (accuracy or R²); a trial's score is the mean over folds. Hyperparameters the user
//! fixed are not searched.
//!
//! TPE starts with random trials (a quarter of the budget), then models the best quarter of trials
//! with Parzen densities and proposes the candidate most likely under them and least likely under
//! the rest. The preparation is refitted per fold.

use crate::error::TabmlError;
use crate::math;
use crate::models::{ModelParams, ParamSpec, Progress, Space};
use crate::rng::SplitMix64;
use crate::split::k_fold;
use crate::table::Table;
use crate::task::Labels;
use crate::train::{fit_and_score, TrainConfig};
use crate::Task;
use serde::{Deserialize, Serialize};

/// How candidates are chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SearchMethod {
    /// Every combination of each hyperparameter's grid values (at most `trials` of them, spread
    /// evenly over the grid when there are more).
    Grid,
    /// Independent draws from each hyperparameter's range.
    Random,
    /// Tree-structured Parzen estimator: random draws first, then candidates that are likely under
    /// the best quarter of trials and unlikely under the rest.
    Tpe,
}

impl SearchMethod {
    /// Reads `grid`, `random` or `tpe`.
    pub fn from_name(name: &str) -> Result<Self, TabmlError> {
        match name {
            "grid" => Ok(Self::Grid),
            "random" => Ok(Self::Random),
            "tpe" => Ok(Self::Tpe),
            other => Err(TabmlError::BadSearch(format!("unknown method {other:?}: use grid, random or tpe"))),
        }
    }
}

/// A search to run before the final fit.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SearchConfig {
    /// Grid, random or TPE.
    pub method: SearchMethod,
    /// The most candidates to try.
    pub trials: usize,
    /// Cross-validation folds (at least 2).
    pub folds: usize,
}

/// One candidate and how it scored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Trial {
    /// Every searched or fixed hyperparameter, as text.
    pub params: Vec<(String, String)>,
    /// Mean score over the folds.
    pub score: f64,
    /// The score on each fold.
    pub fold_scores: Vec<f64>,
}

/// The trials of a search, in the order they ran.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchSummary {
    /// The method.
    pub method: SearchMethod,
    /// The score maximised: `accuracy` or `r2`.
    pub metric: String,
    /// Folds per trial.
    pub folds: usize,
    /// Every trial.
    pub trials: Vec<Trial>,
    /// The index of the best trial (the first of ties).
    pub best: usize,
}

/// Runs the search for `config.model` on `rows` of `table` (the training rows).
#[allow(clippy::too_many_arguments)]
pub(crate) fn run(
    table: &Table,
    target: &str,
    task: &Task,
    labels: &Labels<'_>,
    config: &TrainConfig,
    search: &SearchConfig,
    rows: &[usize],
    strata: &[usize],
    progress: &mut Progress<'_>,
) -> Result<SearchSummary, TabmlError> {
    if search.folds < 2 {
        return Err(TabmlError::BadFoldCount(search.folds));
    }
    let folds = k_fold(rows, strata, search.folds, config.seed)?;
    let specs: Vec<ParamSpec> = config
        .model
        .params(task)
        .iter()
        .filter(|s| !config.params.iter().any(|(name, _)| name == s.name))
        .copied()
        .collect();
    let metric = match task {
        Task::Classification { .. } => "accuracy",
        Task::Regression => "r2",
    };
    let mut objective = |candidate: &[(String, String)], progress: &mut Progress<'_>| {
        let mut given = config.params.clone();
        given.extend(candidate.iter().cloned());
        let params = ModelParams::resolve(config.model, task, &given)?;
        let mut scores = Vec::with_capacity(folds.len());
        for (i, fold) in folds.iter().enumerate() {
            let share = |i: usize| i as f64 / folds.len() as f64;
            let mut part = progress.part(share(i), share(i + 1));
            scores.push(fit_and_score(
                table,
                target,
                task,
                labels,
                config,
                &params,
                &fold.train,
                &fold.test,
                &mut part,
            )?);
        }
        Ok((given, scores))
    };
    let mut summary = optimise(&specs, search, config.seed, &mut objective, progress)?;
    summary.metric = metric.to_owned();
    Ok(summary)
}

/// The objective: candidate values → (every parameter as given, fold scores).
type Objective<'a> = dyn FnMut(&[(String, String)], &mut Progress<'_>) -> Result<(Vec<(String, String)>, Vec<f64>), TabmlError>
    + 'a;

/// The search loop over `specs`, maximising the mean of the objective's scores.
pub(crate) fn optimise(
    specs: &[ParamSpec],
    search: &SearchConfig,
    seed: u64,
    objective: &mut Objective<'_>,
    progress: &mut Progress<'_>,
) -> Result<SearchSummary, TabmlError> {
    if search.trials == 0 {
        return Err(TabmlError::BadSearch("the number of trials must be at least 1".into()));
    }
    let searched: Vec<&ParamSpec> = specs
        .iter()
        .filter(|s| match search.method {
            SearchMethod::Grid => !s.grid.is_empty(),
            _ => s.space.is_some(),
        })
        .collect();
    if searched.is_empty() {
        return Err(TabmlError::BadSearch(
            "this model has no hyperparameter left to search (all are fixed or have no search range)".into(),
        ));
    }
    let mut rng = SplitMix64::new(seed ^ 0x5EA2_C4ED);
    let grid = (search.method == SearchMethod::Grid).then(|| grid_candidates(&searched, search.trials));
    let trials_total = grid.as_ref().map_or(search.trials, Vec::len);
    let mut trials: Vec<Trial> = Vec::with_capacity(trials_total);
    let mut points: Vec<Vec<f64>> = Vec::new();
    for t in 0..trials_total {
        let point: Vec<f64> = match (&grid, search.method) {
            (Some(grid), _) => grid[t].clone(),
            (None, SearchMethod::Tpe) if t >= startup_trials(search.trials) => {
                let scores: Vec<f64> = trials.iter().map(|tr| tr.score).collect();
                tpe_propose(&searched, &points, &scores, &mut rng)
            }
            _ => searched.iter().map(|s| sample_uniform(s.space.expect("searched"), &mut rng)).collect(),
        };
        let candidate: Vec<(String, String)> = searched
            .iter()
            .zip(&point)
            .map(|(s, &x)| (s.name.to_owned(), value_text(s, x, grid.is_some())))
            .collect();
        let share = |i: usize| i as f64 / trials_total as f64;
        let (params, fold_scores) = objective(&candidate, &mut progress.part(share(t), share(t + 1)))?;
        let score = fold_scores.iter().sum::<f64>() / fold_scores.len().max(1) as f64;
        let trial = Trial { params, score, fold_scores };
        progress.trial(&trial);
        trials.push(trial);
        points.push(point);
    }
    let mut best = 0;
    for (i, t) in trials.iter().enumerate() {
        if t.score > trials[best].score {
            best = i;
        }
    }
    Ok(SearchSummary { method: search.method, metric: String::new(), folds: search.folds, trials, best })
}

/// Random trials before TPE starts modelling: a quarter of the budget, at least 3.
fn startup_trials(trials: usize) -> usize {
    (trials / 4).max(3)
}

/// Grid points as internal coordinates (an index into the grid for every searched parameter).
fn grid_candidates(specs: &[&ParamSpec], limit: usize) -> Vec<Vec<f64>> {
    let mut all: Vec<Vec<f64>> = vec![Vec::new()];
    for spec in specs {
        let mut next = Vec::with_capacity(all.len() * spec.grid.len());
        for prefix in &all {
            for g in 0..spec.grid.len() {
                let mut point = prefix.clone();
                point.push(g as f64);
                next.push(point);
            }
        }
        all = next;
    }
    if all.len() <= limit {
        return all;
    }
    // Spread the allowed trials evenly over the full grid.
    (0..limit).map(|i| all[i * all.len() / limit].clone()).collect()
}

/// The internal coordinate range of a space: log scale for log spaces, indices for choices.
fn bounds(space: Space) -> (f64, f64) {
    match space {
        Space::LogFloat(lo, hi) => (math::ln(lo), math::ln(hi)),
        Space::Float(lo, hi) => (lo, hi),
        Space::Int(lo, hi) => (lo as f64 - 0.5, hi as f64 + 0.5),
        Space::LogInt(lo, hi) => (math::ln(lo as f64 - 0.5).max(math::ln(0.5)), math::ln(hi as f64 + 0.5)),
        Space::Choice(c) => (0.0, c.len() as f64),
    }
}

fn uniform(rng: &mut SplitMix64) -> f64 {
    (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64
}

fn sample_uniform(space: Space, rng: &mut SplitMix64) -> f64 {
    match space {
        Space::Choice(c) => rng.below(c.len()) as f64,
        _ => {
            let (lo, hi) = bounds(space);
            lo + (hi - lo) * uniform(rng)
        }
    }
}

/// The command-line text of coordinate `x` of `spec`: an index into the grid for a grid search, a
/// point of the space otherwise.
fn value_text(spec: &ParamSpec, x: f64, grid: bool) -> String {
    if grid {
        return spec.grid[(x as usize).min(spec.grid.len() - 1)].to_owned();
    }
    match spec.space.expect("searched parameters have a space") {
        Space::LogFloat(..) => format_float(math::exp(x)),
        Space::Float(..) => format_float(x),
        Space::Int(lo, hi) => (x.round() as i64).clamp(lo, hi).to_string(),
        Space::LogInt(lo, hi) => (math::exp(x).round() as i64).clamp(lo, hi).to_string(),
        Space::Choice(c) => c[(x as usize).min(c.len() - 1)].to_owned(),
    }
}

fn format_float(v: f64) -> String {
    // Six significant digits: enough for hyperparameters, short in tables.
    let s = format!("{v:.6e}");
    s.parse::<f64>().map_or(s, |p| p.to_string())
}

/// One TPE proposal: 24 candidates drawn from the density of the best quarter of trials, keeping the
/// one with the largest ratio of that density to the density of the rest.
fn tpe_propose(specs: &[&ParamSpec], points: &[Vec<f64>], scores: &[f64], rng: &mut SplitMix64) -> Vec<f64> {
    const CANDIDATES: usize = 24;
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]).then(a.cmp(&b)));
    let n_good = ((scores.len() as f64 * 0.25).ceil() as usize).max(1);
    let (good, bad) = order.split_at(n_good);
    let column = |set: &[usize], d: usize| -> Vec<f64> { set.iter().map(|&i| points[i][d]).collect() };
    let mut best: Option<(f64, Vec<f64>)> = None;
    for _ in 0..CANDIDATES {
        let mut candidate = Vec::with_capacity(specs.len());
        let mut log_ratio = 0.0;
        for (d, spec) in specs.iter().enumerate() {
            let space = spec.space.expect("searched");
            let (good_x, bad_x) = (column(good, d), column(bad, d));
            let x = match space {
                Space::Choice(c) => {
                    let weights = choice_weights(&good_x, c.len());
                    let u = uniform(rng);
                    let mut acc = 0.0;
                    let mut pick = c.len() - 1;
                    for (k, w) in weights.iter().enumerate() {
                        acc += w;
                        if u < acc {
                            pick = k;
                            break;
                        }
                    }
                    pick as f64
                }
                _ => sample_parzen(&good_x, bounds(space), rng),
            };
            log_ratio += math::ln(density(space, &good_x, x)) - math::ln(density(space, &bad_x, x));
            candidate.push(x);
        }
        if best.as_ref().is_none_or(|(r, _)| log_ratio > *r) {
            best = Some((log_ratio, candidate));
        }
    }
    best.map(|(_, c)| c).unwrap_or_default()
}

/// Category probabilities with one pseudo-count each.
fn choice_weights(observed: &[f64], n: usize) -> Vec<f64> {
    let mut w = vec![1.0; n];
    for &x in observed {
        w[(x as usize).min(n - 1)] += 1.0;
    }
    let total: f64 = w.iter().sum();
    w.iter().map(|v| v / total).collect()
}

/// The Parzen bandwidth for `n` observations on a range of `width`.
fn bandwidth(n: usize, width: f64) -> f64 {
    width * math::pow(n as f64 + 1.0, -0.2) / 3.0
}

/// Draws from the Parzen mixture (a Gaussian on each observation plus a uniform prior component),
/// truncated to the range.
fn sample_parzen(observed: &[f64], (lo, hi): (f64, f64), rng: &mut SplitMix64) -> f64 {
    let pick = rng.below(observed.len() + 1);
    if pick == observed.len() {
        return lo + (hi - lo) * uniform(rng);
    }
    let sigma = bandwidth(observed.len(), hi - lo);
    for _ in 0..16 {
        // Box–Muller.
        let (u1, u2) = (uniform(rng).max(f64::MIN_POSITIVE), uniform(rng));
        let z = (-2.0 * math::ln(u1)).sqrt() * math::cos(2.0 * std::f64::consts::PI * u2);
        let x = observed[pick] + sigma * z;
        if (lo..=hi).contains(&x) {
            return x;
        }
    }
    observed[pick].clamp(lo, hi)
}

/// The Parzen density of `x` given `observed` values (uniform prior component included).
fn density(space: Space, observed: &[f64], x: f64) -> f64 {
    if let Space::Choice(c) = space {
        return choice_weights(observed, c.len())[(x as usize).min(c.len() - 1)];
    }
    let (lo, hi) = bounds(space);
    let width = hi - lo;
    let sigma = bandwidth(observed.len(), width);
    let norm = 1.0 / (sigma * (2.0 * std::f64::consts::PI).sqrt());
    let mut sum = 1.0 / width;
    for &o in observed {
        let z = (x - o) / sigma;
        sum += norm * math::exp(-0.5 * z * z);
    }
    sum / (observed.len() as f64 + 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::ParamKind;

    static SPECS: [ParamSpec; 2] = [
        ParamSpec {
            name: "a",
            kind: ParamKind::Float { min: 0.0, max: f64::INFINITY, open_min: true },
            default: "1",
            help: "",
            grid: &["0.01", "1", "100"],
            space: Some(Space::LogFloat(1e-3, 1e3)),
        },
        ParamSpec {
            name: "b",
            kind: ParamKind::Int { min: 1, max: 50 },
            default: "5",
            help: "",
            grid: &["1", "10", "50"],
            space: Some(Space::Int(1, 50)),
        },
    ];

    /// A smooth bowl with its peak at a = 3, b = 17 (in log a), the shape of a typical
    /// validation-score surface.
    fn bowl(candidate: &[(String, String)]) -> f64 {
        let a: f64 = candidate[0].1.parse().unwrap();
        let b: f64 = candidate[1].1.parse().unwrap();
        let da = (math::ln(a) - math::ln(3.0)) / 2.0;
        let db = (b - 17.0) / 10.0;
        1.0 - da * da - db * db
    }

    fn best_of(method: SearchMethod, trials: usize, seed: u64) -> f64 {
        let config = SearchConfig { method, trials, folds: 2 };
        let mut objective = |c: &[(String, String)], _: &mut Progress<'_>| Ok((c.to_vec(), vec![bowl(c)]));
        let summary = optimise(&SPECS, &config, seed, &mut objective, &mut Progress::none()).unwrap();
        summary.trials[summary.best].score
    }

    #[test]
    fn grid_tries_every_combination_within_the_budget() {
        let config = SearchConfig { method: SearchMethod::Grid, trials: 100, folds: 2 };
        let mut seen = Vec::new();
        let mut objective = |c: &[(String, String)], _: &mut Progress<'_>| {
            seen.push(c.to_vec());
            Ok((c.to_vec(), vec![0.0]))
        };
        // Every finished trial is reported as it finishes, in order, for a live chart.
        let mut reported = Vec::new();
        let mut on_trial = |t: &Trial| reported.push(t.params.clone());
        let mut keep_going = |_: f64| true;
        let summary = optimise(
            &SPECS,
            &config,
            1,
            &mut objective,
            &mut Progress::with_trials(&mut keep_going, &mut on_trial),
        )
        .unwrap();
        let in_summary: Vec<_> = summary.trials.iter().map(|t| t.params.clone()).collect();
        assert_eq!(reported, in_summary);
        assert_eq!(seen.len(), 9);
        assert_eq!(seen[0], vec![("a".to_owned(), "0.01".to_owned()), ("b".to_owned(), "1".to_owned())]);
    }

    #[test]
    fn tpe_beats_random_search_on_the_same_budget() {
        let seeds = 0..20u64;
        let random: f64 = seeds.clone().map(|s| best_of(SearchMethod::Random, 30, s)).sum::<f64>() / 20.0;
        let tpe: f64 = seeds.map(|s| best_of(SearchMethod::Tpe, 30, s)).sum::<f64>() / 20.0;
        assert!(tpe > random, "TPE {tpe} vs random {random}");
    }

    #[test]
    fn cancelling_stops_the_search() {
        let config = SearchConfig { method: SearchMethod::Random, trials: 10, folds: 2 };
        let mut calls = 0;
        let mut objective = |c: &[(String, String)], p: &mut Progress<'_>| {
            calls += 1;
            p.report(0.5).map_err(|_| TabmlError::Cancelled)?;
            Ok((c.to_vec(), vec![0.0]))
        };
        let mut stop_after_half = |done: f64| done < 0.3;
        let err = optimise(&SPECS, &config, 1, &mut objective, &mut Progress::new(&mut stop_after_half))
            .unwrap_err();
        assert_eq!(err, TabmlError::Cancelled);
        // Trials report 0.05, 0.15, 0.25, then 0.35, which the callback refuses.
        assert_eq!(calls, 4);
    }
}
