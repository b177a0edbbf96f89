//! The Score page (`/score`): predictions from any model. The learner chooses the model (the one on
//! the workbench, a `.tabml` file, or one pulled from the registry by name and alias, stage or
//! version: `source.rs`), then scores one row typed into a form made from the model's schema, with
//! the features that moved the prediction (`row.rs`), or a CSV file in the worker, with progress and
//! cancel, a predictions file to download, and, for a registered version, monitoring events and
//! labels queued for the server in the outbox (`batch.rs`).
//!
//! `/score?model=NAME&alias=A` (or `&stage=S`, `&version=N`) pulls that model on arrival: the
//! Registry page links here.

mod batch;
mod row;
mod source;

use crate::worker::messages::ScoreSetup;
use leptos::prelude::*;

/// Where the Score page's model came from.
#[derive(Debug, Clone, PartialEq)]
pub enum Origin {
    /// The model shown on the workbench.
    Workbench,
    /// A bundle file the learner opened.
    File(String),
    /// A registered model's version, pulled from the server.
    Registry {
        /// The registered model.
        model: String,
        /// Its version.
        version: u32,
        /// How it was asked for ("alias champion").
        which: String,
        /// Where the bytes came from.
        fetched: Fetched,
    },
}

impl Origin {
    /// The registered model and version, when the model is one: what its events report.
    pub fn registered(&self) -> Option<(&str, u32)> {
        match self {
            Origin::Registry { model, version, .. } => Some((model, *version)),
            _ => None,
        }
    }

    /// Where it came from, in words.
    pub fn describe(&self) -> String {
        match self {
            Origin::Workbench => "the model on the workbench".into(),
            Origin::File(name) => format!("the file {name}"),
            Origin::Registry { model, version, which, fetched } => format!(
                "{model} version {version} ({which}), {}",
                match fetched {
                    Fetched::Downloaded => "downloaded",
                    Fetched::Unchanged => "unchanged on the server: this browser's copy",
                    Fetched::Kept => "this browser's copy (the server could not be asked)",
                }
            ),
        }
    }
}

/// Where a pulled bundle's bytes came from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Fetched {
    /// Over the network.
    Downloaded,
    /// This browser's copy, which the server said is current.
    Unchanged,
    /// This browser's copy, the server out of reach.
    Kept,
}

/// The model the page scores with: what the worker said of it, and where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Scoring {
    pub setup: ScoreSetup,
    pub origin: Origin,
}

/// The Score page.
#[component]
pub fn ScorePage() -> impl IntoView {
    let scoring = RwSignal::new(None::<Scoring>);
    view! {
        <section class="step" id="score" aria-labelledby="score-title">
            <h2 id="score-title">"Score"</h2>
            <p class="why">"Use a model: type one row to see its prediction and why, or score a whole CSV file. Scoring runs in this tab; a model pulled from your class's registry keeps working here, and what it scores is reported to the server so your mentor can watch how it does."</p>
            <source::ChooseModel scoring/>
        </section>
        {move || scoring.get().map(|chosen| view! {
            <section class="step" id="score-row-step" aria-labelledby="score-row-title">
                <h2 id="score-row-title">"One row"</h2>
                <row::OneRow scoring=chosen.clone()/>
            </section>
            <section class="step" id="score-file-step" aria-labelledby="score-file-title">
                <h2 id="score-file-title">"A file of rows"</h2>
                <batch::FileOfRows scoring=chosen/>
            </section>
        })}
    }
}
