//! How a model's figures look, in a colour and a word, the same on a model's page and in a class's
//! overview: accuracy (realized or estimated), drift share, failures, overrides and freshness.

/// How a figure looks: the word says it, the class gives its colour.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Look {
    Good(&'static str),
    Watch(&'static str),
    Bad(&'static str),
    /// Nothing to judge (no traffic, no labels).
    Quiet(&'static str),
}

impl Look {
    /// The CSS class of its colour.
    pub fn class(self) -> &'static str {
        match self {
            Look::Good(_) => "good",
            Look::Watch(_) => "watch",
            Look::Bad(_) => "bad",
            Look::Quiet(_) => "quiet",
        }
    }

    /// The word.
    pub fn word(self) -> &'static str {
        match self {
            Look::Good(w) | Look::Watch(w) | Look::Bad(w) | Look::Quiet(w) => w,
        }
    }

    /// How bad, for sorting worst first.
    pub fn rank(self) -> u32 {
        match self {
            Look::Bad(_) => 10,
            Look::Watch(_) => 3,
            Look::Quiet(_) => 1,
            Look::Good(_) => 0,
        }
    }
}

/// A share as a percentage, or "—".
pub fn percent(share: Option<f64>) -> String {
    share.map_or_else(|| "—".into(), |s| format!("{:.1}%", s * 100.0))
}

/// Accuracy: good from 80%, watch from 60%.
pub fn accuracy(share: Option<f64>) -> Look {
    match share {
        None => Look::Quiet("not known"),
        Some(a) if a >= 0.8 => Look::Good("good"),
        Some(a) if a >= 0.6 => Look::Watch("watch it"),
        Some(_) => Look::Bad("poor"),
    }
}

/// The share of columns drifted: steady under 10%, drifted from 50%.
pub fn drift(share: Option<f64>) -> Look {
    match share {
        None => Look::Quiet("no profiles"),
        Some(s) if s < 0.1 => Look::Good("steady"),
        Some(s) if s < 0.5 => Look::Watch("some drift"),
        Some(_) => Look::Bad("drifted"),
    }
}

/// The share of predictions that failed.
pub fn errors(share: Option<f64>) -> Look {
    match share {
        None => Look::Quiet("no traffic"),
        Some(0.0) => Look::Good("none"),
        Some(e) if e < 0.05 => Look::Watch("a few"),
        Some(_) => Look::Bad("many"),
    }
}

/// The share of predictions a mentor overrode: a few are normal; from 5% the model misses often
/// enough that people correct it.
pub fn overrides(share: Option<f64>) -> Look {
    match share {
        None => Look::Quiet("no traffic"),
        Some(0.0) => Look::Good("none"),
        Some(o) if o < 0.05 => Look::Watch("a few"),
        Some(_) => Look::Bad("often"),
    }
}

/// How recent the last event is: within the hour fresh, within the day quiet, else silent.
pub fn freshness(last: Option<i64>, now: i64) -> Look {
    match last.map(|at| now - at) {
        None => Look::Quiet("never"),
        Some(age) if age < 3_600_000 => Look::Good("fresh"),
        Some(age) if age < 86_400_000 => Look::Watch("quiet today"),
        Some(_) => Look::Bad("silent"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_figure_gets_a_word_and_the_worst_ranks_highest() {
        assert_eq!(accuracy(Some(0.95)), Look::Good("good"));
        assert_eq!(accuracy(Some(0.5)).word(), "poor");
        assert_eq!(drift(Some(0.6)).class(), "bad");
        assert_eq!(errors(Some(0.0)), Look::Good("none"));
        assert_eq!(freshness(Some(0), 2 * 86_400_000), Look::Bad("silent"));
        assert!(Look::Bad("").rank() > Look::Watch("").rank());
        assert_eq!(percent(Some(0.1234)), "12.3%");
    }
}
