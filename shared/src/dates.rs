//! Reading ISO 8601 dates and date-times from cell text: the check for the datetime kind, Unix
//! seconds for the drift checks' freshness and the calendar parts features are made of.

/// `YYYY-MM-DD`, optionally followed by `T` or a space and a time.
pub(crate) fn looks_like_datetime(text: &str) -> bool {
    let b = text.trim().as_bytes();
    let date_ok = b.len() >= 10
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'-'
        && b[5..7].iter().all(u8::is_ascii_digit)
        && b[7] == b'-'
        && b[8..10].iter().all(u8::is_ascii_digit);
    date_ok && (b.len() == 10 || matches!(b[10], b'T' | b' '))
}

/// Seconds since the Unix epoch of `YYYY-MM-DD`, optionally followed by `T` or a space,
/// `HH:MM[:SS[.fff]]` and `Z` or an offset `±HH:MM`; without an offset, UTC. `None` if the text is
/// not such a date or names a day that does not exist.
pub(crate) fn parse_datetime(text: &str) -> Option<f64> {
    let t = text.trim();
    if !looks_like_datetime(t) {
        return None;
    }
    let num = |s: &str| s.parse::<i64>().ok();
    let (year, month, day) = (num(&t[..4])?, num(&t[5..7])?, num(&t[8..10])?);
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days_in_month = [31, if leap { 29 } else { 28 }, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month[(month - 1) as usize] {
        return None;
    }
    let days = days_from_civil(year, month, day);
    let mut seconds = days as f64 * 86_400.0;
    let rest = &t[10..];
    if rest.len() > 1 {
        let time = &rest[1..];
        let (clock, offset) = match time.find(['Z', '+', '-']) {
            Some(i) => (&time[..i], &time[i..]),
            None => (time, ""),
        };
        let mut parts = clock.split(':');
        let hours = num(parts.next()?)?;
        let minutes = num(parts.next()?)?;
        let secs = match parts.next() {
            Some(s) => s.parse::<f64>().ok()?,
            None => 0.0,
        };
        if parts.next().is_some()
            || !(0..24).contains(&hours)
            || !(0..60).contains(&minutes)
            || !(0.0..61.0).contains(&secs)
        {
            return None;
        }
        seconds += (hours * 3600 + minutes * 60) as f64 + secs;
        if let Some(sign) =
            offset.strip_prefix(['+', '-']).map(|_| if offset.starts_with('-') { -1.0 } else { 1.0 })
        {
            let (oh, om) = offset[1..].split_once(':').unwrap_or((&offset[1..], "0"));
            seconds -= sign * (num(oh)? * 3600 + num(om)? * 60) as f64;
        } else if !offset.is_empty() && offset != "Z" {
            return None;
        }
    }
    Some(seconds)
}

/// Year, month, day, weekday (Monday = 0) and hour of an ISO 8601 date or date-time.
pub(crate) fn date_parts(text: &str) -> Option<[f64; 5]> {
    let t = text.trim();
    let number = |range: std::ops::Range<usize>| t.get(range)?.parse::<i64>().ok();
    let (year, month, day) = (number(0..4)?, number(5..7)?, number(8..10)?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    let hour = if t.len() >= 13 { number(11..13).filter(|h| (0..24).contains(h))? } else { 0 };
    let weekday = (days_from_civil(year, month, day) + 3).rem_euclid(7);
    Some([year as f64, month as f64, day as f64, weekday as f64, hour as f64])
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
pub(crate) fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
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
        assert_eq!(parse_datetime("2024-02-29"), Some(1_709_164_800.0));
        assert_eq!(parse_datetime("2026-02-29"), None);
        assert_eq!(parse_datetime("2026-11-23T25:00"), None);
        assert_eq!(parse_datetime("yesterday"), None);
    }

    #[test]
    fn dates_become_their_parts() {
        assert_eq!(date_parts("2026-11-23"), Some([2026.0, 11.0, 23.0, 0.0, 0.0]), "a Monday");
        assert_eq!(date_parts("2000-02-29T17:05:00"), Some([2000.0, 2.0, 29.0, 1.0, 17.0]), "a Tuesday");
        assert_eq!(date_parts("1969-12-31"), Some([1969.0, 12.0, 31.0, 2.0, 0.0]), "a Wednesday");
        assert_eq!(date_parts("2026-13-01"), None);
    }
}
