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
    parse_number_bytes(text.trim().as_bytes())
}

/// Powers of ten that are exact in an `f64`.
const EXACT_POWERS_OF_TEN: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18,
    1e19, 1e20, 1e21, 1e22,
];

/// [`parse_number`] on trimmed bytes. Plain decimals (`-12.5`, `0.003511`) whose digits, read as
/// one integer, stay below 2^53 take Clinger's fast path: the digits as an exact integer divided by an exact
/// power of ten, one correctly rounded operation, so the result is the same `f64` the standard
/// parser gives. Everything else (exponents, long digit strings, odd forms) goes to the standard
/// parser.
pub(super) fn parse_number_bytes(bytes: &[u8]) -> Option<f64> {
    let (negative, digits) = match bytes.first() {
        Some(b'-') => (true, &bytes[1..]),
        Some(b'+') => (false, &bytes[1..]),
        _ => (false, bytes),
    };
    let mut mantissa: u64 = 0;
    let mut count = 0usize;
    let mut fraction_digits = 0usize;
    let mut seen_point = false;
    let mut plain = !digits.is_empty() && digits.len() <= 16;
    if plain {
        for &b in digits {
            match b {
                b'0'..=b'9' => {
                    mantissa = mantissa * 10 + u64::from(b - b'0');
                    count += 1;
                    fraction_digits += usize::from(seen_point);
                }
                b'.' if !seen_point => seen_point = true,
                _ => {
                    plain = false;
                    break;
                }
            }
        }
    }
    // At most 16 bytes, so at most 16 digits: below 10^16 and thus 2^54; below 2^53 it is exact.
    if plain && count > 0 && mantissa < (1 << 53) {
        let value = mantissa as f64 / EXACT_POWERS_OF_TEN[fraction_digits];
        return Some(if negative { -value } else { value });
    }
    std::str::from_utf8(bytes).ok()?.parse::<f64>().ok().filter(|v| v.is_finite())
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
            random.push(text);
        }
        for text in fixed.iter().copied().chain(random.iter().map(String::as_str)) {
            let expected = text.trim().parse::<f64>().ok().filter(|v| v.is_finite());
            let got = parse_number(text);
            assert_eq!(got.map(f64::to_bits), expected.map(f64::to_bits), "{text:?}");
        }
    }
}
