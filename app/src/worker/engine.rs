//! The worker's state and logic: the data set it holds and the work each [`Request`] asks of it,
//! in plain Rust so that it is tested natively. `mod.rs` is its glue to the browser.
//!
//! Work that fails is an [`EngineError`]; the page gets its message in [`Reply::Failed`].

use super::messages::*;
use super::monitor::Watched;
use super::scoring::Scorer;
use tabml::models::Progress;
use tabml::{
    parse_csv, train_with, validate, ModelBundle, Table, TabmlError, TrainConfig, ValidationOptions,
};
use thiserror::Error;

/// Why the worker could not do a request. Its message is what the learner reads.
#[derive(Debug, Error)]
pub enum EngineError {
    /// A request that needs a file came without one.
    #[error("no file came with the request")]
    NoFile,
    /// A request that needs the data set came before one was loaded.
    #[error("no data set is loaded")]
    NoData,
    /// The model named is not the last one trained here (the worker keeps only that one's rows).
    #[error("this model was not trained in this tab since the page loaded: train it again to {0}")]
    NotTrainedHere(&'static str),
    /// The model has no test rows to measure or watch.
    #[error("the model trained on every row, so there are no test rows to {0}")]
    NoTestRows(&'static str),
    /// A file the learner gave does not read; the core's error says where.
    #[error("{name}: {source}")]
    File {
        /// The file's name.
        name: String,
        /// What is wrong, and where.
        source: TabmlError,
    },
    /// A shift names a column the data set does not have.
    #[error("there is no column named {0:?}")]
    NoColumn(String),
    /// A shift that changes numbers names a column that holds none.
    #[error("column {0:?} does not hold numbers")]
    NotNumeric(String),
    /// A score request names another model than the one the worker holds for the Score page.
    #[error("the model to score with is no longer loaded here: choose it again")]
    NotScoring,
    /// The learner cancelled a training.
    #[error("Training was cancelled.")]
    Cancelled,
    /// The core refused the work.
    #[error(transparent)]
    Core(TabmlError),
}

impl From<TabmlError> for EngineError {
    fn from(error: TabmlError) -> Self {
        match error {
            TabmlError::Cancelled => Self::Cancelled,
            other => Self::Core(other),
        }
    }
}

/// `error` as the failure of reading the file called `name`.
fn in_file<E: Into<TabmlError>>(name: &str) -> impl FnOnce(E) -> EngineError + '_ {
    move |source| EngineError::File { name: name.to_owned(), source: source.into() }
}

/// The last model trained here: the worker keeps its bundle and test rows for the Evaluate and
/// Monitor steps, and what monitoring needs of it once worked out.
#[derive(Debug)]
struct Last {
    digest: String,
    bundle: ModelBundle,
    test_rows: Vec<usize>,
    /// The test rows, scored, and CBPE's reference fitted on them: built on the first check and
    /// kept while the data set stays, so moving a slider only redraws and rescores the copy.
    watched: Option<Watched>,
}

/// The worker's state: the data set it holds, and the work it does on it.
#[derive(Debug, Default)]
pub struct Engine {
    data: Option<(String, Table)>,
    last: Option<Last>,
    /// The Score page's model.
    scorer: Option<Scorer>,
    /// How many times monitoring's model-only work was done (for the tests).
    #[cfg(test)]
    watch_builds: usize,
}

/// Permutation-importance repeats per column in [`Request::Explain`].
const IMPORTANCE_REPEATS: usize = 3;
/// Batches of test rows are scored for at least this many milliseconds to time them.
const TIMING_MS: f64 = 50.0;

impl Engine {
    /// Does one request. `payload` is the bytes attached to it (a CSV for [`Request::Load`]); the
    /// second part of the answer is the bytes to attach to the reply (a bundle for a trained model).
    /// `clock` gives milliseconds.
    pub fn handle(
        &mut self,
        request: Request,
        payload: Option<Vec<u8>>,
        progress: &mut Progress<'_>,
        clock: &dyn Fn() -> f64,
    ) -> (Reply, Option<Vec<u8>>) {
        match self.try_handle(request, payload, progress, clock) {
            Ok(answer) => answer,
            Err(error) => (Reply::Failed(error.to_string()), None),
        }
    }

    fn try_handle(
        &mut self,
        request: Request,
        payload: Option<Vec<u8>>,
        progress: &mut Progress<'_>,
        clock: &dyn Fn() -> f64,
    ) -> Result<(Reply, Option<Vec<u8>>), EngineError> {
        match request {
            Request::Load { name } => {
                let bytes = payload.ok_or(EngineError::NoFile)?;
                // A file that does not parse leaves the data set that was loaded before in place.
                let started = clock();
                let table = parse_csv(&bytes).map_err(in_file(&name))?;
                let parse_millis = clock() - started;
                let summary = DataSummary { parse_millis, ..DataSummary::of(&name, &table) };
                self.data = Some((name, table));
                self.forget_watched();
                Ok((Reply::Loaded(summary), None))
            }
            Request::SetKind { column, kind } => {
                let (name, table) = self.data_mut()?;
                table.set_kind(&column, kind)?;
                let summary = DataSummary::of(name, table);
                self.forget_watched();
                Ok((Reply::Loaded(summary), None))
            }
            Request::Validate { target } => {
                let (_, table) = self.data()?;
                let options = ValidationOptions { target: Some(target), ..Default::default() };
                Ok((Reply::Validated(FindingView::all(&validate(table, &options))), None))
            }
            Request::Train { target, config } => {
                let (_, table) = self.data()?;
                let started = clock();
                let trained = train_with(table, &target, &config, progress, clock)?;
                let millis = clock() - started;
                let bytes = trained.bundle.encode();
                let digest = ModelBundle::digest_of(&bytes);
                let view = Box::new(ModelView::of(&trained.bundle));
                self.last = Some(Last {
                    digest: digest.clone(),
                    bundle: trained.bundle,
                    test_rows: trained.test_rows,
                    watched: None,
                });
                Ok((Reply::Trained { millis, stages: trained.run.durations, digest, view }, Some(bytes)))
            }
            Request::Rows { start, count, columns: (from, to) } => {
                let (_, table) = self.data()?;
                let end = start.saturating_add(count).min(table.n_rows);
                let to = to.min(table.columns.len());
                let shown = &table.columns[from.min(to)..to];
                let rows = (start.min(end)..end)
                    .map(|r| shown.iter().map(|c| c.text(r).map(|t| t.into_owned())).collect())
                    .collect();
                Ok((Reply::Rows { start, rows }, None))
            }
            Request::PreviewSplit { target, test_fraction, seed } => {
                let (_, table) = self.data()?;
                let config = TrainConfig { test_fraction, seed, ..TrainConfig::new(tabml::ModelKind::Dummy) };
                let preview = tabml::preview_split(table, &target, &config)?;
                Ok((Reply::Split(preview), None))
            }
            Request::Explain { digest, group } => {
                let (_, table) = self.data()?;
                let Last { bundle, test_rows, .. } = self
                    .last
                    .as_ref()
                    .filter(|last| last.digest == digest)
                    .ok_or(EngineError::NotTrainedHere("measure more"))?;
                if test_rows.is_empty() {
                    return Err(EngineError::NoTestRows("measure on"));
                }
                let options =
                    tabml::EvaluateOptions { group, importance_repeats: IMPORTANCE_REPEATS, latency_rows: 0 };
                let part = table.take_rows(test_rows);
                let report = tabml::evaluate(bundle, &part, &options, clock)?;
                let explanation = Explanation {
                    n_rows: report.n_rows,
                    groups: report.groups,
                    importance: report.importance,
                    micros_per_row: micros_per_row(bundle, &part, clock),
                };
                Ok((Reply::Explained(Box::new(explanation)), None))
            }
            Request::Open { name } => {
                let bytes = payload.ok_or(EngineError::NoFile)?;
                let bundle = ModelBundle::decode(&bytes).map_err(in_file(&name))?;
                let view = Box::new(ModelView::of(&bundle));
                Ok((Reply::Opened { digest: ModelBundle::digest_of(&bytes), view }, None))
            }
            Request::ScoreWith { name } => {
                let bytes = payload.ok_or(EngineError::NoFile)?;
                let (scorer, setup) = Scorer::open(&name, &bytes)?;
                self.scorer = Some(scorer);
                Ok((Reply::ScoringWith(Box::new(setup)), None))
            }
            Request::ScoreRow { digest, cells } => {
                let score = self.scorer(&digest)?.row(&cells, clock)?;
                Ok((Reply::ScoredRow(Box::new(score)), None))
            }
            Request::ScoreFile { digest, name, run, report } => {
                let bytes = payload.ok_or(EngineError::NoFile)?;
                let scorer = self.scorer_mut(&digest)?;
                let (summary, csv) = scorer.file(&name, &bytes, &run, report.as_ref(), progress, clock)?;
                Ok((Reply::ScoredFile(Box::new(summary)), Some(csv)))
            }
            Request::PredictionsCsv { digest, key } => {
                let csv = self.scorer(&digest)?.csv_with_key(key.as_deref())?;
                Ok((Reply::Predictions, Some(csv)))
            }
            Request::Labels { name, model, version, classification, at_ms } => {
                let bytes = payload.ok_or(EngineError::NoFile)?;
                let read = super::scoring::labels(&name, &bytes, &model, version, classification, at_ms)?;
                Ok((Reply::LabelsRead(Box::new(read)), None))
            }
            Request::Monitor { digest, current } => {
                let (_, table) = self.data.as_ref().ok_or(EngineError::NoData)?;
                let last = self
                    .last
                    .as_mut()
                    .filter(|last| last.digest == digest)
                    .ok_or(EngineError::NotTrainedHere("monitor it"))?;
                if last.watched.is_none() {
                    last.watched = Some(Watched::new(&last.bundle, table, &last.test_rows)?);
                    #[cfg(test)]
                    {
                        self.watch_builds += 1;
                    }
                }
                let watched = last.watched.as_ref().ok_or(EngineError::NoTestRows("watch"))?;
                let view = watched.check(&last.bundle, current, payload, clock)?;
                Ok((Reply::Monitored(Box::new(view)), None))
            }
            Request::DriftFile { name } => {
                let (_, reference) = self.data()?;
                let bytes = payload.ok_or(EngineError::NoFile)?;
                let started = clock();
                let current = parse_csv(&bytes).map_err(in_file(&name))?;
                let parse_millis = clock() - started;
                let started = clock();
                let report =
                    tabml::drift::check_tables(reference, &current, &tabml::drift::DriftOptions::default())
                        .map_err(in_file(&name))?;
                let view = MonitorView {
                    rows: current.n_rows,
                    report,
                    test_rows: 0,
                    estimated: None,
                    realized: None,
                    columns: Vec::new(),
                    ignored: Vec::new(),
                    parse_millis,
                    check_millis: clock() - started,
                };
                Ok((Reply::Monitored(Box::new(view)), None))
            }
        }
    }

    fn scorer(&self, digest: &str) -> Result<&Scorer, EngineError> {
        self.scorer.as_ref().filter(|s| s.digest == digest).ok_or(EngineError::NotScoring)
    }

    fn scorer_mut(&mut self, digest: &str) -> Result<&mut Scorer, EngineError> {
        self.scorer.as_mut().filter(|s| s.digest == digest).ok_or(EngineError::NotScoring)
    }

    fn data(&self) -> Result<&(String, Table), EngineError> {
        self.data.as_ref().ok_or(EngineError::NoData)
    }

    fn data_mut(&mut self) -> Result<(&String, &mut Table), EngineError> {
        self.data.as_mut().map(|(n, t)| (&*n, t)).ok_or(EngineError::NoData)
    }

    /// Drops what monitoring kept of the last model's test rows: they are rows of the data set,
    /// which has just changed.
    fn forget_watched(&mut self) {
        if let Some(last) = &mut self.last {
            last.watched = None;
        }
    }
}

/// Mean time to score one row of `table` from its raw cells (preparation and prediction), in
/// microseconds: whole batches are scored until [`TIMING_MS`] have passed.
fn micros_per_row(bundle: &ModelBundle, table: &Table, clock: &dyn Fn() -> f64) -> f64 {
    let rows: Vec<usize> = (0..table.n_rows).collect();
    let started = clock();
    let mut batches = 0usize;
    while batches == 0 || (clock() - started < TIMING_MS && batches < 1_000) {
        let x = bundle.prep.transform_matrix(table, &rows);
        std::hint::black_box(tabml::Predictions::of(&bundle.estimator, &x, &bundle.task));
        batches += 1;
    }
    (clock() - started) * 1000.0 / (batches * rows.len().max(1)) as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use tabml::{ColumnKind, ModelKind, Task};

    fn iris() -> Vec<u8> {
        std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../public/data/iris.csv")).unwrap()
    }

    /// Runs one request; every reply must survive the trip to the page.
    fn run(engine: &mut Engine, request: Request, payload: Option<Vec<u8>>) -> (Reply, Option<Vec<u8>>) {
        let (reply, bytes) = engine.handle(request, payload, &mut Progress::none(), &|| 0.0);
        let message = ToPage::Reply { id: 1, reply: reply.clone() };
        let encoded = postcard::to_allocvec(&message).expect("every reply encodes");
        assert_eq!(postcard::from_bytes::<ToPage>(&encoded).unwrap(), message);
        (reply, bytes)
    }

    fn learner_support() -> Vec<u8> {
        std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../public/data/learner_support.csv")).unwrap()
    }

    #[test]
    fn monitoring_works_out_what_depends_only_on_the_model_once() {
        let mut engine = Engine::default();
        run(&mut engine, Request::Load { name: "support".into() }, Some(learner_support()));
        let config = Box::new(TrainConfig::new(ModelKind::LogisticRegression));
        let (reply, _) = run(&mut engine, Request::Train { target: "needs_support".into(), config }, None);
        let Reply::Trained { digest, .. } = reply else { panic!("{reply:?}") };
        let monitor = |engine: &mut Engine, shift: Shift| {
            let current = Current::TestCopy { shift, rows: 500, seed: 7 };
            match run(engine, Request::Monitor { digest: digest.clone(), current }, None).0 {
                Reply::Monitored(view) => *view,
                other => panic!("{other:?}"),
            }
        };
        // Moving a slider: three checks, the test rows scored and CBPE fitted once.
        let calm = monitor(&mut engine, Shift::None);
        let flipped = monitor(&mut engine, Shift::LabelFlip { share: 0.3 });
        let again = monitor(&mut engine, Shift::None);
        assert_eq!(engine.watch_builds, 1);
        assert_eq!(again, calm, "a kept model-only part gives the same check as a fresh one");
        assert_ne!(flipped.realized, calm.realized);
        // The same check from scratch agrees with the kept one.
        let Last { bundle, test_rows, .. } = engine.last.as_ref().unwrap();
        let (_, table) = engine.data.as_ref().unwrap();
        let fresh = Watched::new(bundle, table, test_rows)
            .unwrap()
            .check(bundle, Current::TestCopy { shift: Shift::None, rows: 500, seed: 7 }, None, &|| 0.0)
            .unwrap();
        assert_eq!(fresh, calm);
        // Changing a column's type changes the rows it was worked out from: it is worked out again.
        run(&mut engine, Request::SetKind { column: "needs_support".into(), kind: ColumnKind::Text }, None);
        run(
            &mut engine,
            Request::SetKind { column: "needs_support".into(), kind: ColumnKind::Categorical },
            None,
        );
        monitor(&mut engine, Shift::None);
        assert_eq!(engine.watch_builds, 2);
    }

    #[test]
    fn loads_validates_trains_and_the_bundle_round_trips() {
        let mut engine = Engine::default();
        let (reply, _) = run(&mut engine, Request::Load { name: "iris".into() }, Some(iris()));
        let Reply::Loaded(summary) = reply else { panic!("{reply:?}") };
        assert_eq!((summary.n_rows, summary.columns.len(), summary.preview.len()), (150, 5, PREVIEW_ROWS));
        let species = summary.column("species").unwrap();
        assert!(matches!(&species.as_target, Ok(Task::Classification { classes }) if classes.len() == 3));
        assert_eq!(species.possible_kinds, [ColumnKind::Categorical, ColumnKind::Text]);

        let (reply, _) = run(&mut engine, Request::Validate { target: "species".into() }, None);
        assert!(matches!(reply, Reply::Validated(_)));
        let (reply, _) = run(&mut engine, Request::Rows { start: 148, count: 10, columns: (0, 99) }, None);
        let Reply::Rows { start: 148, rows } = reply else { panic!("{reply:?}") };
        assert_eq!(rows.len(), 2, "only two rows after row 148 of 150");
        assert_eq!(rows[1][4].as_deref(), Some("virginica"));
        // A page of a wide table's columns; a range past the end is empty, not a panic.
        let (reply, _) = run(&mut engine, Request::Rows { start: 0, count: 1, columns: (3, 5) }, None);
        assert_eq!(
            reply,
            Reply::Rows { start: 0, rows: vec![vec![Some("0.2".into()), Some("setosa".into())]] }
        );
        let (reply, _) = run(&mut engine, Request::Rows { start: 0, count: 1, columns: (9, 12) }, None);
        assert_eq!(reply, Reply::Rows { start: 0, rows: vec![vec![]] });
        let split = Request::PreviewSplit { target: "species".into(), test_fraction: 0.2, seed: 42 };
        let (reply, _) = run(&mut engine, split, None);
        let Reply::Split(split) = reply else { panic!("{reply:?}") };
        assert_eq!((split.train, split.test), (vec![40, 40, 40], vec![10, 10, 10]));

        // A set with findings of every common kind: they reach the page with their explanations.
        let mut support = Engine::default();
        run(&mut support, Request::Load { name: "learner support".into() }, Some(learner_support()));
        let (reply, _) = run(&mut support, Request::Validate { target: "needs_support".into() }, None);
        let Reply::Validated(findings) = reply else { panic!("{reply:?}") };
        let id = findings.iter().find(|f| f.column.as_deref() == Some("learner_id")).unwrap();
        assert!(id.message.contains("looks like an identifier") && !id.advice.is_empty(), "{id:?}");

        let config = TrainConfig::new(ModelKind::LogisticRegression);
        let mut seen = Vec::new();
        let mut callback = |f: f64| {
            seen.push(f);
            true
        };
        let (reply, bundle) = engine.handle(
            Request::Train { target: "species".into(), config: Box::new(config.clone()) },
            None,
            &mut Progress::new(&mut callback),
            &|| 0.0,
        );
        let Reply::Trained { digest, view, .. } = reply else { panic!("{reply:?}") };
        assert!(!seen.is_empty() && seen.windows(2).all(|w| w[0] <= w[1]));
        let bytes = bundle.unwrap();
        let trained = ModelBundle::decode(&bytes).unwrap();
        assert_eq!(digest, trained.digest(), "the digest sent beside the bytes is theirs");
        assert_eq!(*view, ModelView::of(&trained), "the view describes the bundle sent");
        assert_eq!(view.estimator, trained.estimator.summary());
        let table = parse_csv(&iris()).unwrap();
        let native = tabml::train(&table, "species", &config).unwrap();
        assert_eq!(trained.digest(), native.bundle.digest());

        // The same bytes opened again (a file, or a run saved in the browser) give the same view;
        // bytes that are not a bundle say so, with the name they came under.
        let (reply, _) = run(&mut engine, Request::Open { name: "m.tabml".into() }, Some(bytes));
        assert_eq!(reply, Reply::Opened { digest: digest.clone(), view: view.clone() });
        let (reply, _) =
            run(&mut engine, Request::Open { name: "notes.txt".into() }, Some(b"hello".to_vec()));
        assert!(matches!(&reply, Reply::Failed(m) if m.starts_with("notes.txt: ")), "{reply:?}");
        let (reply, _) = run(&mut engine, Request::Open { name: "m.tabml".into() }, None);
        assert!(matches!(reply, Reply::Failed(_)));

        // More measures of that model on its 30 test rows; another model's digest is refused.
        let explain = Request::Explain { digest: trained.digest(), group: Some("species".into()) };
        let (reply, _) = run(&mut engine, explain, None);
        let Reply::Explained(explanation) = reply else { panic!("{reply:?}") };
        assert_eq!(explanation.n_rows, 30);
        assert_eq!(explanation.importance.len(), 4);
        assert!(explanation.micros_per_row.is_finite() && explanation.micros_per_row >= 0.0);
        assert_eq!(explanation.groups.as_ref().map(|g| g.groups.len()), Some(3));
        let stale = Request::Explain { digest: "sha256:0".into(), group: None };
        assert!(matches!(run(&mut engine, stale, None).0, Reply::Failed(m) if m.contains("train it again")));
    }

    #[test]
    fn a_bad_file_keeps_the_data_set_and_says_where() {
        let mut engine = Engine::default();
        run(&mut engine, Request::Load { name: "iris".into() }, Some(iris()));
        let (reply, _) =
            run(&mut engine, Request::Load { name: "broken.csv".into() }, Some(b"a,b\n1,2\n3\n".to_vec()));
        assert_eq!(
            reply,
            Reply::Failed("broken.csv: line 3: expected 2 fields (as in the header) but found 1".into())
        );
        let (reply, _) = run(&mut engine, Request::Validate { target: "species".into() }, None);
        assert!(matches!(reply, Reply::Validated(_)), "iris is still loaded");
    }

    #[test]
    fn a_kind_change_is_checked_and_training_can_be_cancelled() {
        let mut engine = Engine::default();
        run(&mut engine, Request::Load { name: "iris".into() }, Some(iris()));
        let (reply, _) =
            run(&mut engine, Request::SetKind { column: "species".into(), kind: ColumnKind::Numeric }, None);
        assert!(matches!(&reply, Reply::Failed(m) if m.contains("cannot be read as numeric")), "{reply:?}");
        let (reply, _) = run(
            &mut engine,
            Request::SetKind { column: "petal_width".into(), kind: ColumnKind::Categorical },
            None,
        );
        let Reply::Loaded(summary) = reply else { panic!("{reply:?}") };
        assert_eq!(summary.column("petal_width").unwrap().kind, ColumnKind::Categorical);

        let mut stop = |_: f64| false;
        let (reply, bundle) = engine.handle(
            Request::Train {
                target: "species".into(),
                config: Box::new(TrainConfig::new(ModelKind::RandomForest)),
            },
            None,
            &mut Progress::new(&mut stop),
            &|| 0.0,
        );
        assert_eq!((reply, bundle), (Reply::Failed("Training was cancelled.".into()), None));
    }

    #[test]
    fn messages_round_trip_as_postcard() {
        let message = ToWorker {
            id: 7,
            request: Request::Train {
                target: "y".into(),
                config: Box::new(TrainConfig::new(ModelKind::KNearestNeighbours)),
            },
        };
        let bytes = postcard::to_allocvec(&message).unwrap();
        assert_eq!(postcard::from_bytes::<ToWorker>(&bytes).unwrap(), message);
    }
}
