//! The one table of the workbench's steps: each step's id, title and why, in page order. A step's
//! number is its place in [`STEPS`]; nothing else writes step numbers down.

use leptos::prelude::*;

/// A stage of the learner's workbench.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepId {
    /// The problem card, before any data.
    Problem,
    /// Loading a data set and checking its columns.
    Data,
    /// The split and how columns become features.
    Prepare,
    /// Choosing a target and a model, and training it.
    Train,
    /// Judging the model on its test rows.
    Evaluate,
    /// Drift and estimated performance on new data.
    Monitor,
}

/// Every step, in the order the page shows them.
pub const STEPS: [StepId; 6] =
    [StepId::Problem, StepId::Data, StepId::Prepare, StepId::Train, StepId::Evaluate, StepId::Monitor];

impl StepId {
    /// Its place on the page, from 1.
    pub fn number(self) -> usize {
        STEPS.iter().position(|&s| s == self).map_or(0, |i| i + 1)
    }

    /// The short id: the section is `#step-{id}`.
    pub fn id(self) -> &'static str {
        match self {
            Self::Problem => "problem",
            Self::Data => "data",
            Self::Prepare => "prepare",
            Self::Train => "train",
            Self::Evaluate => "evaluate",
            Self::Monitor => "monitor",
        }
    }

    /// The heading.
    pub fn title(self) -> &'static str {
        match self {
            Self::Problem => "Problem",
            Self::Data => "Data",
            Self::Prepare => "Prepare",
            Self::Train => "Train",
            Self::Evaluate => "Evaluate",
            Self::Monitor => "Monitor",
        }
    }

    /// How another step's text names this one: "step 2 (Data)".
    pub fn named(self) -> String {
        format!("step {} ({})", self.number(), self.title())
    }

    /// One or two sentences on why this stage matters, and the mistake it guards against.
    pub fn why(self) -> String {
        match self {
            Self::Problem => "Say what the model is for before looking at any data: what it predicts, for whom, which \
                decision it feeds, and which mistakes hurt. Without this, any score can be called good, and a model \
                can answer a question nobody asked. The card travels inside every model you train here, as its model \
                card."
                .to_owned(),
            Self::Data => "A model can only learn what the data shows. Pick a sample data set or open a CSV file of \
                your own, then check that each column has the right type: numbers that should be categories (or the \
                reverse) are a common, silent mistake."
                .to_owned(),
            Self::Prepare => "Models see numbers, not cells: each column is turned into features here, and every \
                choice (the fill-in value for a gap, the scale of a number, the list of categories) is learned from \
                the training rows only. Learning them from all rows lets the test rows leak into the model and \
                flatters its score. The test rows are set aside first, keeping each class's share."
                .to_owned(),
            Self::Train => format!(
                "Choose the column to predict (the target) and a model. tabml trains only on the training rows of \
                 step {}; the test rows, drawn at random but keeping each class's share (a stratified split), are \
                 held back, so the score in step {} is measured on rows the model has never seen. The same seed \
                 always gives the same split and the same model.",
                Self::Prepare.number(),
                Self::Evaluate.number()
            ),
            Self::Evaluate => "Judge the model on the held-back test rows, and always beside a baseline that ignores \
                the features (for classification: always guess the most common class). A model that does not clearly \
                beat its baseline has not learned anything useful, however high its score looks."
                .to_owned(),
            Self::Monitor => "Once a model is in use, the data it sees drifts away from the data it learned from, and \
                its accuracy can fall long before anyone has the true answers to measure it. Compare new data with \
                the training data column by column, and estimate the accuracy from the model's own confidence until \
                the labels arrive."
                .to_owned(),
        }
    }
}

/// One numbered stage of the lifecycle, opening with what it is for and the mistake it guards against.
#[component]
pub fn Step(
    /// Which step: its id, number, heading and why come from [`STEPS`].
    step: StepId,
    /// The stage's controls and results.
    children: Children,
) -> impl IntoView {
    let title_id = format!("step-{}-title", step.id());
    let labelled_by = title_id.clone();
    view! {
        <section class="step" id=format!("step-{}", step.id()) aria-labelledby=labelled_by>
            <h2 id=title_id><span class="num">{step.number()}</span>{step.title()}</h2>
            <p class="why">{step.why()}</p>
            {children()}
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_are_numbered_in_page_order_with_distinct_ids() {
        for (i, step) in STEPS.iter().enumerate() {
            assert_eq!(step.number(), i + 1);
        }
        let mut ids: Vec<&str> = STEPS.iter().map(|s| s.id()).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), STEPS.len());
        assert_eq!(StepId::Data.named(), "step 2 (Data)");
        assert!(StepId::Train.why().contains("step 3") && StepId::Train.why().contains("step 5"));
    }
}
