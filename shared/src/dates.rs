//! Reading ISO 8601 dates and date-times from cell text: the check for the datetime kind, Unix
//! seconds for the drift checks' freshness and the calendar parts features are made of.
//!
//! The grammar is `jiff`'s (RFC 3339 / ISO 8601 as Temporal reads it), not a hand-written one: a
//! hand-written reader took the offset `+0100` for 100 hours. A cell is a date when it starts with
//! `YYYY-MM-DD`, then ends or goes on with `T`, `t` or a space and a time `HH[:MM[:SS[.fff]]]`
//! (or `HHMM[SS]`), then optionally `Z`, `z` or an offset `±HH`, `±HHMM` or `±HH:MM` below 24 hours.
//! Without an offset the time is read as UTC. shared/tests/fixtures/dates.json holds what pandas
//! reads from the same texts.

use jiff::civil::{DateTime, Time};
use jiff::fmt::temporal::{Pieces, PiecesOffset};
use jiff::tz::Offset;

/// A date's wall-clock reading as written and the offset that turns it into UTC.
fn read(text: &str) -> Option<(DateTime, Offset)> {
    let t = text.trim();
    // jiff also reads six-digit years, week dates, basic `20240301` and bare times; the contract
    // (and the kind inference built on it) is the extended `YYYY-MM-DD` date first.
    let b = t.as_bytes();
    let date_first = b.len() >= 10
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'-'
        && b[5..7].iter().all(u8::is_ascii_digit)
        && b[7] == b'-'
        && b[8..10].iter().all(u8::is_ascii_digit)
        && (b.len() == 10 || matches!(b[10], b'T' | b't' | b' '));
    if !date_first {
        return None;
    }
    let pieces = Pieces::parse(t).ok()?;
    // A named zone (`[Europe/Paris]`) would need the time zone database, which the core never reads.
    if pieces.time_zone_annotation().is_some() {
        return None;
    }
    let offset = match pieces.offset() {
        None | Some(PiecesOffset::Zulu) => Offset::UTC,
        Some(PiecesOffset::Numeric(numeric)) => numeric.offset(),
        Some(_) => return None,
    };
    // jiff allows offsets up to ±25:59:59; ISO 8601 (and pandas, and Python) stop below 24 hours.
    if offset.seconds().unsigned_abs() >= 24 * 3600 {
        return None;
    }
    let time = pieces.time().unwrap_or(Time::midnight());
    Some((pieces.date().to_datetime(time), offset))
}

/// Whether `text` is a date or date-time this module reads (the check for the datetime kind).
pub(crate) fn is_datetime(text: &str) -> bool {
    read(text).is_some()
}

/// Seconds since the Unix epoch of an ISO 8601 date or date-time (see the module's grammar); without
/// an offset, UTC. `None` if the text is not such a date or names a day or time that does not exist.
pub(crate) fn parse_datetime(text: &str) -> Option<f64> {
    let (when, offset) = read(text)?;
    let stamp = offset.to_timestamp(when).ok()?;
    Some(stamp.as_second() as f64 + f64::from(stamp.subsec_nanosecond()) / 1e9)
}

/// Year, month, day, weekday (Monday = 0) and hour of an ISO 8601 date or date-time, as written
/// (the local wall clock, before any offset: the hour of day is what a feature means).
pub(crate) fn date_parts(text: &str) -> Option<[f64; 5]> {
    let (when, _) = read(text)?;
    let weekday = when.weekday().to_monday_zero_offset();
    Some([
        f64::from(when.year()),
        f64::from(when.month()),
        f64::from(when.day()),
        f64::from(weekday),
        f64::from(when.hour()),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_datetimes_to_epoch_seconds() {
        assert_eq!(parse_datetime("1970-01-01"), Some(0.0));
        assert_eq!(parse_datetime("2026-11-23"), Some(1_795_392_000.0));
        assert_eq!(parse_datetime("2026-11-23T08:00:00Z"), Some(1_795_392_000.0 + 8.0 * 3600.0));
        assert_eq!(parse_datetime("2026-11-23 09:30+01:30"), Some(1_795_392_000.0 + 8.0 * 3600.0));
        assert_eq!(
            parse_datetime("2026-11-23 09:30+0130"),
            Some(1_795_392_000.0 + 8.0 * 3600.0),
            "not 130 hours"
        );
        assert_eq!(parse_datetime("2024-02-29"), Some(1_709_164_800.0));
        assert_eq!(parse_datetime("2026-02-29"), None);
        assert_eq!(parse_datetime("2026-11-23T25:00"), None);
        assert_eq!(parse_datetime("yesterday"), None);
    }

    #[test]
    fn reads_what_pandas_reads() {
        let fixture: serde_json::Value =
            serde_json::from_str(include_str!("../tests/fixtures/dates.json")).unwrap();
        for case in fixture["cases"].as_array().unwrap() {
            let text = case["text"].as_str().unwrap();
            let expected = case["seconds"].as_i64().map(|s| s as f64 + case["nanos"].as_f64().unwrap() / 1e9);
            let got = parse_datetime(text);
            match (got, expected) {
                (Some(got), Some(expected)) => {
                    assert!((got - expected).abs() < 1e-6, "{text}: {got} vs {expected}")
                }
                _ => assert_eq!(got, expected, "{text}"),
            }
            assert_eq!(is_datetime(text), expected.is_some(), "{text}");
        }
    }

    #[test]
    fn other_forms_are_not_dates() {
        // Outside the contract although jiff or pandas read them: no `YYYY-MM-DD` first, or a zone
        // name the core cannot look up.
        for text in
            ["20240301", "2024-3-1", "+002024-03-01", "2024-W09-5", "2024-03-01[Europe/Paris]", "2024-03-01x"]
        {
            assert_eq!(parse_datetime(text), None, "{text}");
        }
    }

    #[test]
    fn dates_become_their_parts() {
        assert_eq!(date_parts("2026-11-23"), Some([2026.0, 11.0, 23.0, 0.0, 0.0]), "a Monday");
        assert_eq!(date_parts("2000-02-29T17:05:00"), Some([2000.0, 2.0, 29.0, 1.0, 17.0]), "a Tuesday");
        assert_eq!(date_parts("1969-12-31"), Some([1969.0, 12.0, 31.0, 2.0, 0.0]), "a Wednesday");
        assert_eq!(date_parts("2026-11-23T23:30-0500"), Some([2026.0, 11.0, 23.0, 0.0, 23.0]), "as written");
        assert_eq!(date_parts("2026-13-01"), None);
        assert_eq!(date_parts("2026-02-30"), None);
    }
}
