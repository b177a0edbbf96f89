//! The problem card (stage 1): what the model is for, written before any data is touched, and
//! carried with every model as its model card.

use serde::{Deserialize, Serialize};

/// Why a model exists and how it will be judged.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProblemCard {
    /// The outcome to predict, in plain words.
    pub target_outcome: String,
    /// Who the predictions serve.
    pub serves: String,
    /// The decision the predictions support.
    pub decision: String,
    /// Which mistakes are costly, and which are cheap (false alarms against misses).
    pub costly_errors: String,
    /// The metric that says whether the model is good enough, with its bar.
    pub success_metric: String,
    /// Limits the model must respect (latency, data it may not use, explainability, …).
    pub constraints: String,
    /// What could go wrong for people if the model is wrong or misused.
    pub risks: String,
}

/// A field of the card a learner left empty.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MissingField {
    /// The field's name as the card shows it.
    pub field: &'static str,
    /// Why it matters.
    pub why: &'static str,
}

impl ProblemCard {
    /// The card's fields in order, with their labels: for forms and printed model cards.
    pub fn fields(&self) -> [(&'static str, &str); 7] {
        [
            ("target outcome", &self.target_outcome),
            ("who it serves", &self.serves),
            ("decision it supports", &self.decision),
            ("costly errors", &self.costly_errors),
            ("success metric", &self.success_metric),
            ("constraints", &self.constraints),
            ("risks", &self.risks),
        ]
    }

    /// The fields still empty (white space counts as empty), each with why it matters. A card
    /// with none missing is complete; an incomplete card is allowed but shown as such.
    pub fn missing_fields(&self) -> Vec<MissingField> {
        const WHY: [&str; 7] = [
            "without it nobody can tell what a prediction means",
            "the people affected decide which errors matter",
            "a prediction nobody acts on is not worth making",
            "it decides the metric and the threshold",
            "without a bar set in advance, any score can be called good",
            "they rule out models before any training",
            "naming them early is how they get checked",
        ];
        self.fields()
            .iter()
            .zip(WHY)
            .filter(|((_, value), _)| value.trim().is_empty())
            .map(|((field, _), why)| MissingField { field, why })
            .collect()
    }

    /// A worked example for the learner-support sample data set.
    pub fn learner_support_example() -> Self {
        Self {
            target_outcome: "Whether a learner will need extra support from a mentor in the coming weeks (needs_support = yes).".into(),
            serves: "Mentors, who have limited time, and the learners who would otherwise fall behind unnoticed.".into(),
            decision: "Which learners a mentor contacts first each week.".into(),
            costly_errors: "Missing a learner who needs support (a false negative) is costly; an unneeded check-in (a false positive) costs a few minutes.".into(),
            success_metric: "Recall of 'yes' of at least 0.8 at a precision of at least 0.4 on held-back learners, and balanced accuracy above the baseline's 0.5.".into(),
            constraints: "Predictions must be explainable to the learner; mentor notes are written after contact, so features must be known before it.".into(),
            risks: "Groups with less data may be flagged less or more often than they should; a label could discourage a learner if shown to them.".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_worked_example_is_complete_and_an_empty_card_lists_every_field() {
        assert!(ProblemCard::learner_support_example().missing_fields().is_empty());
        let empty = ProblemCard { risks: "  ".into(), ..Default::default() };
        let missing = empty.missing_fields();
        assert_eq!(missing.len(), 7);
        assert_eq!(missing[6].field, "risks");
    }

    #[test]
    fn a_card_survives_a_json_round_trip() {
        let card = ProblemCard::learner_support_example();
        let json = serde_json::to_string(&card).unwrap();
        assert_eq!(serde_json::from_str::<ProblemCard>(&json).unwrap(), card);
    }
}
