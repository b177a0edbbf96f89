//! The model bundle: one self-contained, versioned document per trained model. Scoring and drift
//! checks need nothing else.
//!
//! Layout: the 8-byte signature `TABMLBND`, the format version (u16, little-endian), the payload
//! length (u64, little-endian), the SHA-256 of the payload (32 bytes), then the payload: the
//! [`ModelBundle`] in `postcard` (a compact, deterministic serde encoding: varint integers, raw
//! little-endian floats). A reader checks each in turn and names what is wrong; it never guesses at
//! a version it does not know. Encoding the same bundle twice gives the same bytes.
//!
//! The checksum guards against damage, not against a hand-made file, so [`ModelBundle::decode`]
//! also checks that the estimators fit the preparation's width and the task's classes (tree splits
//! point forward inside their tree, one weight per feature…) and validates the profile: a crafted
//! bundle cannot make scoring index past itself. [`ModelBundle::score`] refuses data that does not
//! fit the schema (`SchemaError`, with line, column and value); [`ModelBundle::score_batch`]
//! (`scoring/`) scores the rows that fit and names the others.

use crate::drift::DataProfile;
use crate::error::{BundleError, TabmlError};
use crate::evaluation::{Evaluation, Predictions};
use crate::features::FeaturePlan;
use crate::models::{Estimator, ModelKind, Params};
use crate::problem::ProblemCard;
use crate::search::SearchSummary;
use crate::table::{ColumnKind, Table};
use crate::train::DataFingerprints;
use crate::Task;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The bundle signature.
pub const MAGIC: &[u8; 8] = b"TABMLBND";
/// The format version this library writes and reads.
pub const FORMAT_VERSION: u16 = 2;
const HEADER: usize = 8 + 2 + 8 + 32;

/// An input column the model reads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SchemaColumn {
    /// The column name.
    pub name: String,
    /// Its type in training.
    pub kind: ColumnKind,
}

/// How the model was trained.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainingInfo {
    /// The seed of the split and the model.
    pub seed: u64,
    /// The share of labelled rows held back for testing (0: none).
    pub test_fraction: f64,
    /// Training rows.
    pub n_train: usize,
    /// Test rows.
    pub n_test: usize,
    /// Rows without a label, not used.
    pub n_unlabelled: usize,
    /// Content fingerprints of the data and its split.
    pub fingerprints: DataFingerprints,
    /// The hyperparameter search, if one chose the parameters.
    pub search: Option<SearchSummary>,
}

/// A bar the model must clear before promotion (used by the registry's gates).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Gate {
    /// A metric name as in [`Evaluation::metric_table`].
    pub metric: String,
    /// The bar.
    pub threshold: f64,
    /// Whether larger values are better (`accuracy`) or smaller (`rmse`).
    pub higher_is_better: bool,
}

/// Everything about one trained model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelBundle {
    /// The tabml version that trained it.
    pub tabml_version: String,
    /// The model family.
    pub model: ModelKind,
    /// Every hyperparameter.
    pub params: Params,
    /// The target column.
    pub target: String,
    /// The task and its classes.
    pub task: Task,
    /// The input columns, with their training types.
    pub schema: Vec<SchemaColumn>,
    /// The names of the prepared features, in estimator order.
    pub feature_names: Vec<String>,
    /// The fitted preparation.
    pub prep: FeaturePlan,
    /// The fitted model.
    pub estimator: Estimator,
    /// The dummy baseline fitted on the same rows, for metrics beside it on new data.
    pub baseline: Estimator,
    /// How it was trained.
    pub training: TrainingInfo,
    /// Test metrics (none when every row trained).
    pub evaluation: Option<Evaluation>,
    /// The training rows' profile and the model's predictions on them, for drift checks.
    pub profile: DataProfile,
    /// Bars for promotion.
    pub gates: Vec<Gate>,
    /// The problem card.
    pub card: ProblemCard,
}

/// The input columns a plan reads, with their types in `table`.
pub(crate) fn schema_of(table: &Table, plan: &FeaturePlan) -> Vec<SchemaColumn> {
    table
        .columns_named(plan.inputs.iter().map(|i| i.column.as_str()))
        .into_iter()
        .flatten()
        .map(|c| SchemaColumn { name: c.name.clone(), kind: c.kind })
        .collect()
}

impl ModelBundle {
    /// The bundle as bytes.
    pub fn encode(&self) -> Vec<u8> {
        let payload = postcard::to_allocvec(self).expect("every bundle field serialises");
        let mut out = Vec::with_capacity(HEADER + payload.len());
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
        out.extend_from_slice(&Sha256::digest(&payload));
        out.extend_from_slice(&payload);
        out
    }

    /// Reads a bundle, checking signature, version, length and checksum first.
    pub fn decode(bytes: &[u8]) -> Result<Self, BundleError> {
        let signature_len = bytes.len().min(MAGIC.len());
        if bytes[..signature_len] != MAGIC[..signature_len] {
            return Err(BundleError::NotABundle);
        }
        if bytes.len() < HEADER {
            return Err(BundleError::Truncated { expected: HEADER as u64, found: bytes.len() as u64 });
        }
        let version = u16::from_le_bytes([bytes[8], bytes[9]]);
        if version != FORMAT_VERSION {
            return Err(BundleError::UnknownVersion {
                found: version,
                supported: FORMAT_VERSION,
                tabml: crate::VERSION,
            });
        }
        let length = u64::from_le_bytes(bytes[10..18].try_into().expect("8 bytes"));
        let expected = (HEADER as u64).saturating_add(length);
        let found = bytes.len() as u64;
        if found < expected {
            return Err(BundleError::Truncated { expected, found });
        }
        if found > expected {
            return Err(BundleError::TrailingBytes { extra: found - expected });
        }
        let payload = &bytes[HEADER..];
        if Sha256::digest(payload)[..] != bytes[18..HEADER] {
            return Err(BundleError::ChecksumMismatch);
        }
        let (mut bundle, rest): (ModelBundle, &[u8]) =
            postcard::take_from_bytes(payload).map_err(|e| BundleError::Undecodable(e.to_string()))?;
        // postcard stops where the bundle ends; bytes after it would give one model many digests.
        if !rest.is_empty() {
            return Err(BundleError::TrailingPayload { extra: rest.len() as u64 });
        }
        let classes = match &bundle.task {
            Task::Classification { classes } => classes.len(),
            Task::Regression => 0,
        };
        fn undecodable(part: &'static str) -> impl Fn(String) -> BundleError {
            move |e| BundleError::Undecodable(format!("its {part}: {e}"))
        }
        if bundle.feature_names.len() != bundle.prep.width() {
            return Err(undecodable("feature names")("one per prepared feature".into()));
        }
        bundle.prep.check_fitted().map_err(undecodable("preparation"))?;
        for (name, estimator) in [("estimator", &bundle.estimator), ("baseline", &bundle.baseline)] {
            estimator.check(&bundle.feature_names, classes).map_err(undecodable(name))?;
        }
        if let Estimator::Trees(ensemble) = &mut bundle.estimator {
            ensemble.restore_thresholds();
        }
        // Not held to the cap on clients' profiles: a bundle's profile is read once, never merged.
        bundle.profile.validate_within(usize::MAX).map_err(|e| undecodable("profile")(e.to_string()))?;
        Ok(bundle)
    }

    /// The SHA-256 of the encoded bundle, in hex: two bundles with the same digest are the same model.
    pub fn digest(&self) -> String {
        Self::digest_of(&self.encode())
    }

    /// [`ModelBundle::digest`] from the bundle's encoded bytes, without decoding or encoding.
    pub fn digest_of(encoded: &[u8]) -> String {
        crate::hex(&Sha256::digest(encoded))
    }

    /// Scores every row of `table`, which must have the model's input columns (others are ignored).
    pub fn score(&self, table: &Table) -> Result<Predictions, TabmlError> {
        self.prep.check(table)?;
        let rows: Vec<usize> = (0..table.n_rows).collect();
        let x = self.prep.transform_matrix(table, &rows);
        Ok(Predictions::of(&self.estimator, &x, &self.task))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{parse_csv, train, TrainConfig};

    fn bundle() -> ModelBundle {
        let mut csv = String::from("x,colour,label\n");
        for i in 0..60 {
            let colour = ["red", "blue", "green"][i % 3];
            csv.push_str(&format!("{},{colour},{}\n", i % 17, if i % 17 > 8 { "hi" } else { "lo" }));
        }
        let table = parse_csv(csv.as_bytes()).unwrap();
        train(&table, "label", &TrainConfig::new(ModelKind::RandomForest).with_param("n_estimators", "5"))
            .unwrap()
            .bundle
    }

    /// A bundle of `kind` with its estimator changed by `damage`, re-encoded with a valid checksum.
    fn crafted(kind: ModelKind, damage: impl Fn(&mut Estimator)) -> Result<ModelBundle, BundleError> {
        let mut csv = String::from("x,colour,label\n");
        for i in 0..60 {
            let colour = ["red", "blue", "green"][i % 3];
            csv.push_str(&format!("{},{colour},{}\n", i % 17, ["lo", "mid", "hi"][i % 17 / 6]));
        }
        let table = parse_csv(csv.as_bytes()).unwrap();
        let mut bundle = train(&table, "label", &TrainConfig::new(kind)).unwrap().bundle;
        damage(&mut bundle.estimator);
        ModelBundle::decode(&bundle.encode())
    }

    #[test]
    fn a_hand_made_estimator_that_would_index_past_itself_is_refused() {
        let refused = |kind: ModelKind, damage: &dyn Fn(&mut Estimator)| match crafted(kind, damage) {
            Err(BundleError::Undecodable(why)) => why,
            other => panic!("{kind:?}: {other:?}"),
        };
        let classification = Task::Classification { classes: vec!["hi".into(), "lo".into(), "mid".into()] };
        for kind in ModelKind::ALL.into_iter().filter(|k| k.supports(&classification)) {
            assert!(crafted(kind, |_| {}).is_ok(), "{kind:?}");
        }
        let why = refused(ModelKind::DecisionTree, &|e| {
            let Estimator::Trees(m) = e else { unreachable!() };
            m.trees[0].nodes[0].child = 0;
        });
        assert_eq!(why, "its estimator: tree 0, node 0: a split or leaf that points outside the tree");
        refused(ModelKind::RandomForest, &|e| {
            let Estimator::Trees(m) = e else { unreachable!() };
            let last = m.trees[1].nodes.len() - 1;
            m.trees[1].nodes[last].child = 10_000;
        });
        refused(ModelKind::RandomForest, &|e| {
            let Estimator::Trees(m) = e else { unreachable!() };
            m.binner.edges.pop();
        });
        let why = refused(ModelKind::LogisticRegression, &|e| {
            let Estimator::Logistic(m) = e else { unreachable!() };
            m.coef.pop();
        });
        assert_eq!(why, "its estimator: weights for every feature and class");
        refused(ModelKind::KNearestNeighbours, &|e| {
            let Estimator::Neighbours(m) = e else { unreachable!() };
            m.n_features = 0;
        });
        refused(ModelKind::KNearestNeighbours, &|e| {
            let Estimator::Neighbours(m) = e else { unreachable!() };
            m.classes[0] = 7;
        });
        refused(ModelKind::GaussianNaiveBayes, &|e| {
            let Estimator::NaiveBayes(m) = e else { unreachable!() };
            m.priors.push(0.1);
        });
        refused(ModelKind::Dummy, &|e| {
            let Estimator::Dummy { proba, .. } = e else { unreachable!() };
            proba.clear();
        });
        // Regressors: every kind decodes as trained, and a missing weight is refused.
        let mut csv = String::from("x,colour,y\n");
        for i in 0..60 {
            csv.push_str(&format!("{},{},{}\n", i % 17, ["red", "blue"][i % 2], i as f64 * 0.5 + 1.0));
        }
        let table = parse_csv(csv.as_bytes()).unwrap();
        for kind in ModelKind::ALL.into_iter().filter(|k| k.supports(&Task::Regression)) {
            let mut bundle = train(&table, "y", &TrainConfig::new(kind)).unwrap().bundle;
            assert!(ModelBundle::decode(&bundle.encode()).is_ok(), "{kind:?}");
            if let Estimator::Linear(m) = &mut bundle.estimator {
                m.coef.pop();
                let refused = ModelBundle::decode(&bundle.encode());
                assert_eq!(
                    refused,
                    Err(BundleError::Undecodable("its estimator: one weight per feature".into()))
                );
            }
        }
    }

    /// `payload` framed as a bundle with a correct length and checksum, as anyone can make one.
    fn framed(payload: &[u8]) -> Vec<u8> {
        let mut out = bundle().encode()[..10].to_vec();
        out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
        out.extend_from_slice(&Sha256::digest(payload));
        out.extend_from_slice(payload);
        out
    }

    #[test]
    fn a_payload_with_bytes_after_the_bundle_is_refused() {
        let bytes = bundle().encode();
        assert_eq!(framed(&bytes[HEADER..]), bytes, "framing a payload gives the encoding");
        let mut payload = bytes[HEADER..].to_vec();
        payload.push(0);
        let err = ModelBundle::decode(&framed(&payload)).unwrap_err();
        assert_eq!(err, BundleError::TrailingPayload { extra: 1 });
        assert_eq!(
            err.to_string(),
            "the bundle's content is followed by 1 unexpected byte(s) inside its checksum"
        );
    }

    #[test]
    fn a_fitted_value_that_is_not_a_finite_number_is_refused() {
        let why = |kind: ModelKind, damage: &dyn Fn(&mut Estimator)| match crafted(kind, damage) {
            Err(BundleError::Undecodable(why)) => why,
            other => panic!("{kind:?}: {other:?}"),
        };
        let nan = f64::NAN;
        let message = why(ModelKind::LogisticRegression, &|e| {
            let Estimator::Logistic(m) = e else { unreachable!() };
            m.coef[1] = nan;
        });
        assert_eq!(message, "its estimator: weight 1 (feature \"colour=blue\") is not a finite number");
        let message = why(ModelKind::LogisticRegression, &|e| {
            let Estimator::Logistic(m) = e else { unreachable!() };
            m.intercept[2] = f64::INFINITY;
        });
        assert_eq!(message, "its estimator: intercept 2 is not a finite number");
        why(ModelKind::GaussianNaiveBayes, &|e| {
            let Estimator::NaiveBayes(m) = e else { unreachable!() };
            m.variances[0] = 0.0;
        });
        why(ModelKind::GaussianNaiveBayes, &|e| {
            let Estimator::NaiveBayes(m) = e else { unreachable!() };
            m.means[3] = nan;
        });
        why(ModelKind::GaussianNaiveBayes, &|e| {
            let Estimator::NaiveBayes(m) = e else { unreachable!() };
            m.priors[1] = -0.5;
        });
        why(ModelKind::KNearestNeighbours, &|e| {
            let Estimator::Neighbours(m) = e else { unreachable!() };
            m.x[4] = f64::NEG_INFINITY;
        });
        why(ModelKind::Dummy, &|e| {
            let Estimator::Dummy { proba, .. } = e else { unreachable!() };
            proba[0] = nan;
        });
        why(ModelKind::RandomForest, &|e| {
            let Estimator::Trees(m) = e else { unreachable!() };
            m.binner.edges[0][0] = nan;
        });
        // The preparation's fitted values too: a NaN scale makes every prediction NaN.
        let mut bundle = bundle();
        let crate::features::Encoding::Numeric { scaling, .. } = &mut bundle.prep.inputs[0].encoding else {
            panic!("x is a number")
        };
        *scaling = crate::features::FittedScaling::Standard { mean: 0.0, std: nan };
        assert_eq!(
            ModelBundle::decode(&bundle.encode()),
            Err(BundleError::Undecodable(
                "its preparation: column \"x\": a fitted value is not a finite number (or a scale is 0)"
                    .into()
            ))
        );
        // A regressor's leaf values.
        let mut csv = String::from("x,y\n");
        for i in 0..40 {
            csv.push_str(&format!("{},{}\n", i % 7, i as f64 * 0.5));
        }
        let table = parse_csv(csv.as_bytes()).unwrap();
        let mut bundle = train(&table, "y", &TrainConfig::new(ModelKind::DecisionTree)).unwrap().bundle;
        let Estimator::Trees(m) = &mut bundle.estimator else { unreachable!() };
        m.trees[0].means[0] = nan;
        let refused = ModelBundle::decode(&bundle.encode());
        assert!(
            matches!(&refused, Err(BundleError::Undecodable(why)) if why.contains("not a finite")),
            "{refused:?}"
        );
    }

    #[test]
    fn round_trips_bit_for_bit() {
        let bundle = bundle();
        let bytes = bundle.encode();
        let back = ModelBundle::decode(&bytes).unwrap();
        assert_eq!(back, bundle);
        assert_eq!(back.encode(), bytes);
    }

    #[test]
    fn every_kind_of_damage_has_its_own_error() {
        let bytes = bundle().encode();
        assert_eq!(ModelBundle::decode(b"x,y\n1,2\n"), Err(BundleError::NotABundle));
        assert_eq!(ModelBundle::decode(b""), Err(BundleError::Truncated { expected: 50, found: 0 }));
        let cut = &bytes[..bytes.len() - 10];
        assert_eq!(
            ModelBundle::decode(cut),
            Err(BundleError::Truncated { expected: bytes.len() as u64, found: cut.len() as u64 })
        );
        let mut longer = bytes.clone();
        longer.push(0);
        assert_eq!(ModelBundle::decode(&longer), Err(BundleError::TrailingBytes { extra: 1 }));
        let mut flipped = bytes.clone();
        let last = flipped.len() - 1;
        flipped[last] ^= 1;
        assert_eq!(ModelBundle::decode(&flipped), Err(BundleError::ChecksumMismatch));
        let mut future = bytes.clone();
        future[8] = 3;
        let err = ModelBundle::decode(&future).unwrap_err();
        assert_eq!(err, BundleError::UnknownVersion { found: 3, supported: 2, tabml: crate::VERSION });
        assert!(err.to_string().contains("format version 3"), "{err}");
    }

    #[test]
    fn scoring_data_with_the_wrong_schema_is_refused_with_the_place() {
        let bundle = bundle();
        let missing = parse_csv(b"colour\nred\nblue\n").unwrap();
        assert_eq!(
            bundle.score(&missing).unwrap_err().to_string(),
            "the data has no column \"x\", which the model needs (it was trained on: x, colour)"
        );
        let wrong = parse_csv(b"x,colour\n1,red\n2,blue\nabc,red\n").unwrap();
        assert_eq!(
            bundle.score(&wrong).unwrap_err().to_string(),
            "line 4, column \"x\": \"abc\" is not a number, but the model was trained on numbers in this column"
        );
        // A colour never seen in training scores (as no known colour), it does not fail.
        let unseen = parse_csv(b"x,colour\n1,purple\n12,red\n").unwrap();
        let Predictions::Proba(p) = bundle.score(&unseen).unwrap() else { panic!("a classifier") };
        assert_eq!(p.len(), 2);
    }
}
