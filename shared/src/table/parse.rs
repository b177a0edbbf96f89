//! Reading a cell's text: finite numbers (with a fast path for plain decimals), booleans, infinities.

/// Whether a trimmed cell spells an infinity as pandas reads one: `inf` or `infinity`, any case,
/// with an optional sign.
pub(crate) fn is_infinity(cell: &[u8]) -> bool {
    let unsigned = cell.strip_prefix(b"-").or_else(|| cell.strip_prefix(b"+")).unwrap_or(cell);
    unsigned.eq_ignore_ascii_case(b"inf") || unsigned.eq_ignore_ascii_case(b"infinity")
}

/// Parses a finite number; `inf` and `NaN` are not numbers here (`NaN` is a missing marker, and an
/// infinity in a column of numbers is made missing when the column is built).
pub(crate) fn parse_number(text: &str) -> Option<f64> {
    read_number(text.trim().as_bytes()).map(|n| n.value)
}

/// Powers of ten that are exact in an `f64`.
const EXACT_POWERS_OF_TEN: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18,
    1e19, 1e20, 1e21, 1e22,
];

/// A number read from a cell's text.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Number {
    /// The value, finite.
    pub(super) value: f64,
    /// Whether `format!("{}", value)` gives back the very text read, so that the text need not be
    /// kept: a plain decimal with at most 15 significant digits, no `+`, no leading zero (but the
    /// one before a point), no trailing zero after a point, and no exponent.
    pub(super) spelled: bool,
}

/// Reads a finite number from trimmed bytes. Decimals whose digits, read as one integer, stay below
/// 2^53, with an exponent that leaves the power of ten within 10^±22, take Clinger's fast path
/// ([`number_prefix`]); everything else (long digit strings, large exponents, odd forms) goes to
/// the standard parser.
pub(super) fn read_number(bytes: &[u8]) -> Option<Number> {
    match number_prefix(bytes) {
        Some((number, length)) if length == bytes.len() => Some(number),
        _ => slow(bytes),
    }
}

/// Reads the number at the start of `bytes` on the fast path, and how many bytes it took: an
/// optional sign, digits with an optional point, and an optional exponent of at most four digits.
/// The digits as an exact integer times or divided by an exact power of ten is one correctly
/// rounded operation, so the value is the `f64` the standard parser gives for the same text.
/// `None` when the start is no such number, or one outside the fast path's range.
///
/// `spelled` holds with at most 15 significant digits: no other decimal of as few digits lies
/// within the value's rounding interval, so the shortest round-trip form Rust prints is this
/// text's digits, and the rules on [`Number::spelled`] make it the same text.
#[inline(always)]
pub(super) fn number_prefix(bytes: &[u8]) -> Option<(Number, usize)> {
    let sign = usize::from(matches!(bytes.first(), Some(b'-' | b'+')));
    let negative = sign == 1 && bytes[0] == b'-';
    let digits = &bytes[sign..];
    let mut mantissa: u64 = 0;
    let mut i = digit_run(digits, 0, &mut mantissa);
    let integer_digits = i;
    let mut fraction_digits = 0;
    let point = digits.get(i) == Some(&b'.');
    if point {
        i += 1;
        let start = i;
        i = digit_run(digits, i, &mut mantissa);
        fraction_digits = i - start;
    }
    let count = integer_digits + fraction_digits;
    // More than 19 digits may have wrapped; 2^53 is the exact limit anyway.
    if count == 0 || count > 19 || mantissa >= (1 << 53) {
        return None;
    }
    let mut exponent: i64 = 0;
    let mut has_exponent = false;
    if matches!(digits.get(i), Some(b'e' | b'E')) {
        let mut j = i + 1;
        let negative_exponent = digits.get(j) == Some(&b'-');
        j += usize::from(matches!(digits.get(j), Some(b'-' | b'+')));
        let start = j;
        while let Some(d) = digit(digits, j).filter(|_| j - start < 4) {
            exponent = exponent * 10 + d as i64;
            j += 1;
        }
        // Without exponent digits the number ends before the `e`.
        if j > start {
            has_exponent = true;
            i = j;
            if negative_exponent {
                exponent = -exponent;
            }
        }
    }
    let power = exponent - fraction_digits as i64;
    let value = match power {
        0 => mantissa as f64,
        1..=22 => mantissa as f64 * EXACT_POWERS_OF_TEN[power as usize],
        -22..=-1 => mantissa as f64 / EXACT_POWERS_OF_TEN[(-power) as usize],
        _ => return None,
    };
    let value = if negative { -value } else { value };
    // The digits read as one integer have no leading zeros: its length is the significant digits.
    // Evaluated without short cuts (`&`, not `&&`): a branch per rule was mispredicted often.
    let first = digits.first().copied().unwrap_or(b'0');
    let last =
        digits[..integer_digits + usize::from(point) + fraction_digits].last().copied().unwrap_or(b'0');
    let spelled = ((sign == 0) | negative)
        & !has_exponent
        & (integer_digits > 0)
        & ((integer_digits == 1) | (first != b'0'))
        & (!point | ((fraction_digits > 0) & (last != b'0')))
        & (mantissa < 1_000_000_000_000_000);
    // Below 2^53 · 10^22: finite.
    Some((Number { value, spelled }, sign + i))
}

/// The digit at `bytes[i]`, if it is one.
#[inline(always)]
fn digit(bytes: &[u8], i: usize) -> Option<u64> {
    let d = bytes.get(i)?.wrapping_sub(b'0');
    (d < 10).then_some(u64::from(d))
}

/// Reads the digits from `bytes[i]` on into `mantissa` (wrapping past 2^64: callers count the
/// digits) and returns where they end. Eight bytes at a time where eight can be loaded: the run's
/// length is the first byte that is no digit, found for all eight at once, and its digits combine
/// without a branch per digit (the mispredicted branch at a run's end of a byte loop cost more than
/// the arithmetic).
#[inline(always)]
fn digit_run(bytes: &[u8], mut i: usize, mantissa: &mut u64) -> usize {
    while let Some(chunk) = bytes.get(i..i + 8) {
        let v = u64::from_le_bytes(chunk.try_into().unwrap_or_default());
        // Each byte minus '0': a digit becomes 0..=9. A borrow or carry only spills into later
        // bytes, which lie beyond the first byte that is no digit, so that byte is found right.
        let t = v.wrapping_sub(0x3030_3030_3030_3030);
        let flags = (t.wrapping_add(0x7676_7676_7676_7676) | t) & 0x8080_8080_8080_8080;
        let n = (flags.trailing_zeros() / 8) as usize;
        if n == 0 {
            return i;
        }
        // The run's digits moved to the top bytes, zeros (leading zero digits) below.
        let t = t << (8 * (8 - n) as u32);
        *mantissa = mantissa.wrapping_mul(POWERS_OF_TEN_U64[n]).wrapping_add(combine_eight(t));
        i += n;
        if n < 8 {
            return i;
        }
    }
    while let Some(d) = bytes.get(i).map(|b| b.wrapping_sub(b'0')).filter(|&d| d < 10) {
        *mantissa = mantissa.wrapping_mul(10).wrapping_add(u64::from(d));
        i += 1;
    }
    i
}

/// 10^n for n in 0..=8.
const POWERS_OF_TEN_U64: [u64; 9] = [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000];

/// Eight digit values 0..=9, one per byte with the first (lowest) byte the most significant digit,
/// as one number.
#[inline(always)]
fn combine_eight(v: u64) -> u64 {
    // Pairs, then fours, then all eight.
    let v = (v * 10) + (v >> 8);
    (v & 0x0000_00FF_0000_00FF)
        .wrapping_mul(0x000F_4240_0000_0064)
        .wrapping_add(((v >> 16) & 0x0000_00FF_0000_00FF).wrapping_mul(0x0000_2710_0000_0001))
        >> 32
}

/// The standard parser, for forms the fast path leaves alone; never spelled back.
fn slow(bytes: &[u8]) -> Option<Number> {
    let value = std::str::from_utf8(bytes).ok()?.parse::<f64>().ok().filter(|v| v.is_finite())?;
    Some(Number { value, spelled: false })
}

const TRUE_WORDS: [&str; 4] = ["true", "yes", "t", "y"];
const FALSE_WORDS: [&str; 4] = ["false", "no", "f", "n"];

pub(crate) fn parse_bool(text: &str) -> Option<bool> {
    let lower = text.trim().to_ascii_lowercase();
    if TRUE_WORDS.contains(&lower.as_str()) {
        Some(true)
    } else if FALSE_WORDS.contains(&lower.as_str()) {
        Some(false)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn infinities_are_not_numbers() {
        assert_eq!(parse_number("inf"), None);
        assert_eq!(parse_number("NaN"), None);
        assert_eq!(parse_number(" 4.5 "), Some(4.5));
    }

    #[test]
    fn the_fast_number_path_agrees_with_the_standard_parser() {
        let fixed = [
            "0",
            "-0",
            "+7",
            "1.",
            ".5",
            "-.25",
            "0.1",
            "0.3",
            "9007199254740991",
            "9007199254740993",
            "12345678901234567",
            "0.0000000000000001",
            "1e5",
            "-2.5E-3",
            ".",
            "-",
            "+",
            "1.2.3",
            "1,5",
            "0x10",
            "12a",
            "inf",
            "NaN",
            "1_000",
            "  3  ",
            "123456.7890123456",
            "-4873.204539",
            "1e22",
            "1e23",
            "9007199254740991e22",
            "1.5e-22",
            "1.5e-23",
            "2.5e+3",
            "1e",
            "1e+",
            "1.e5",
            ".5e1",
            "1e00005",
            "1e-0005",
            "1e400",
            "-1.23457e-05",
        ];
        let mut rng = crate::rng::SplitMix64::new(7);
        let mut random = Vec::new();
        for _ in 0..100_000 {
            let int_digits = rng.below(10);
            let frac_digits = rng.below(12);
            let mut text = String::new();
            if rng.below(2) == 0 {
                text.push('-');
            }
            for _ in 0..int_digits {
                text.push(char::from(b'0' + rng.below(10) as u8));
            }
            if frac_digits > 0 || rng.below(3) == 0 {
                text.push('.');
            }
            for _ in 0..frac_digits {
                text.push(char::from(b'0' + rng.below(10) as u8));
            }
            if rng.below(4) == 0 {
                text.push(if rng.below(2) == 0 { 'e' } else { 'E' });
                match rng.below(3) {
                    0 => text.push('-'),
                    1 => text.push('+'),
                    _ => {}
                }
                for _ in 0..rng.below(4) {
                    text.push(char::from(b'0' + rng.below(10) as u8));
                }
            }
            random.push(text);
        }
        for text in fixed.iter().copied().chain(random.iter().map(String::as_str)) {
            let expected = text.trim().parse::<f64>().ok().filter(|v| v.is_finite());
            let got = parse_number(text);
            assert_eq!(got.map(f64::to_bits), expected.map(f64::to_bits), "{text:?}");
        }
    }

    #[test]
    fn a_spelled_number_prints_as_its_text() {
        for text in ["0", "-0", "12", "1500", "-3.45678", "0.000123", "0.5", "999999999999999", "1.25"] {
            let number = read_number(text.as_bytes()).unwrap();
            assert!(number.spelled, "{text}");
        }
        for text in ["+1", "01", ".5", "1.", "1.50", "-0.0", "1e5", "1000000000000000", "0.1000000000000001"]
        {
            let number = read_number(text.as_bytes()).unwrap();
            assert!(!number.spelled, "{text}");
        }
        // Every text read as spelled is what Rust prints for its value, bit for bit the same number.
        let mut rng = crate::rng::SplitMix64::new(11);
        let mut spelled = 0;
        for _ in 0..200_000 {
            let mut text = String::new();
            if rng.below(3) == 0 {
                text.push('-');
            }
            for _ in 0..rng.below(9) {
                text.push(char::from(b'0' + rng.below(10) as u8));
            }
            if rng.below(2) == 0 {
                text.push('.');
                for _ in 0..rng.below(12) {
                    text.push(char::from(b'0' + rng.below(10) as u8));
                }
            }
            if let Some(number) = read_number(text.as_bytes()) {
                if number.spelled {
                    spelled += 1;
                    assert_eq!(format!("{}", number.value), text);
                }
            }
        }
        assert!(spelled > 50_000, "{spelled}");
    }
}
