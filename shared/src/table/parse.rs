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

/// A number read from a cell's text, and what its text looks like: enough to tell whether the
/// value printed shortest ([`Number::spelled`]) or to fixed decimals ([`Number::decimals`]) gives
/// the text back.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Number {
    /// The value, finite.
    pub(super) value: f64,
    /// A plain decimal: at most 15 significant digits, no `+`, no exponent, a digit before any
    /// point, and no leading zero but the one before a point.
    plain: bool,
    /// Whether the text has a point.
    point: bool,
    /// How many digits follow the point (0 without one).
    fraction: u8,
    /// Whether the last digit is a zero.
    trailing_zero: bool,
}

impl Number {
    /// A number whose text is none of the forms printing gives back.
    fn unspelled(value: f64) -> Self {
        Number { value, plain: false, point: false, fraction: 0, trailing_zero: false }
    }

    /// Whether `format!("{}", value)` gives back the very text read, so that the text need not be
    /// kept: a plain decimal with no trailing zero after a point, and at least one digit after it.
    #[inline(always)]
    pub(super) fn spelled(&self) -> bool {
        self.plain & (!self.point | ((self.fraction > 0) & !self.trailing_zero))
    }

    /// How many digits follow the point when the text is the value written to that many decimals
    /// (`format!("{:.N}", value)`, trailing zeros and all: `2.50`, `-0.000`): a plain decimal with
    /// at least one digit after its point. 0 for any other text.
    #[inline(always)]
    pub(super) fn decimals(&self) -> u8 {
        if self.plain {
            self.fraction
        } else {
            0
        }
    }
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
/// Most cells are short plain decimals with the rest of their line after them: those are read
/// from one or two 8-byte loads ([`first_window`]), with no loop and no branch per digit. The
/// general path below reads the rest.
///
/// `spelled` holds with at most 15 significant digits: no other decimal of as few digits lies
/// within the value's rounding interval, so the shortest round-trip form Rust prints is this
/// text's digits, and the rules on [`Number::spelled`] make it the same text.
#[inline(always)]
pub(super) fn number_prefix(bytes: &[u8]) -> Option<(Number, usize)> {
    let (negative, plus, sign) = split_sign(bytes);
    let digits = &bytes[sign..];
    let mut mantissa: u64 = 0;
    let mut i = match first_window(digits) {
        Some(Window::Short(short)) => {
            if !matches!(short.next, b'e' | b'E') {
                return Some((short.number(negative, plus), sign + short.end));
            }
            digit_run(digits, 0, &mut mantissa)
        }
        Some(Window::Integer { digits: n, value }) => {
            mantissa = value;
            if n == 8 {
                digit_run(digits, 8, &mut mantissa)
            } else {
                n
            }
        }
        None => digit_run(digits, 0, &mut mantissa),
    };
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
    // More than 19 digits may have wrapped; 2^53 is the exact limit anyway. (`count - 1 >= 19`
    // also refuses no digits at all.)
    if (count.wrapping_sub(1) >= 19) | (mantissa >= (1 << 53)) {
        return None;
    }
    // The last digit, before any exponent (there is one: `count > 0`).
    let last = digits.get(i.wrapping_sub(1)).copied().unwrap_or(b'0');
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
    // Below 2^53, the digits convert as a signed integer (one instruction; unsigned takes six).
    let digits_value = mantissa as i64 as f64;
    let value = if (0..=22).contains(&power) {
        digits_value * EXACT_POWERS_OF_TEN[power as usize]
    } else if (-22..0).contains(&power) {
        digits_value / EXACT_POWERS_OF_TEN[(-power) as usize]
    } else {
        return None;
    };
    let value = if negative { -value } else { value };
    // The digits read as one integer have no leading zeros: its length is the significant digits.
    // Evaluated without short cuts (`&`, not `&&`): a branch per rule was mispredicted often.
    let first = digits.first().copied().unwrap_or(b'0');
    let plain = !plus
        & !has_exponent
        & (integer_digits > 0)
        & ((integer_digits == 1) | (first != b'0'))
        & (mantissa < 1_000_000_000_000_000);
    // Below 2^53 · 10^22: finite. At most 19 digits in all: the fraction's count fits a byte.
    let number = Number { value, plain, point, fraction: fraction_digits as u8, trailing_zero: last == b'0' };
    Some((number, sign + i))
}

/// Reads the number that fills the field at the start of `rest` (it ends where `rest` does or at
/// `delimiter`, which is no digit, point or `e`), and how many bytes it took. A short decimal
/// ends within its window, where the byte after it is seen without another load.
#[inline(always)]
pub(super) fn number_field(rest: &[u8], delimiter: u8) -> Option<(Number, usize)> {
    let (negative, plus, sign) = split_sign(rest);
    let digits = &rest[sign..];
    if let Some(Window::Short(short)) = first_window(digits) {
        if short.next == delimiter {
            return Some((short.number(negative, plus), sign + short.end));
        }
    }
    number_prefix(rest).filter(|&(_, length)| rest.get(length).is_none_or(|&b| b == delimiter))
}

/// Whether a number's text starts with `-`, whether with `+`, and the sign's length (0 or 1).
#[inline(always)]
fn split_sign(bytes: &[u8]) -> (bool, bool, usize) {
    let lead = bytes.first().copied().unwrap_or(0);
    let (negative, plus) = (lead == b'-', lead == b'+');
    (negative, plus, usize::from(negative | plus))
}

/// A short plain decimal (digits, then optionally a point and digits; at most 7 digits on each
/// side) read whole from one or two 8-byte windows.
struct Short {
    /// The digits as one integer, below 10^14.
    mantissa: u64,
    integer_digits: usize,
    fraction_digits: usize,
    point: bool,
    /// Where the decimal ends: the first byte after it that is no digit.
    end: usize,
    /// That byte, read from the window.
    next: u8,
    /// Whether the first digit is a zero, and whether the last is.
    leading_zero: bool,
    trailing_zero: bool,
}

impl Short {
    /// The number, exact as in [`number_prefix`], with the same spelling rules.
    #[inline(always)]
    fn number(&self, negative: bool, plus: bool) -> Number {
        // Below 10^14: exact, and converted as a signed integer (one instruction). At most 7
        // fraction digits: the power is one of the first 8, and 10^0 divides exactly too.
        let size = self.mantissa as i64 as f64 / EXACT_POWERS_OF_TEN[self.fraction_digits & 7];
        let plain = !plus & (self.integer_digits > 0) & ((self.integer_digits == 1) | !self.leading_zero);
        Number {
            value: if negative { -size } else { size },
            plain,
            point: self.point,
            fraction: self.fraction_digits as u8,
            trailing_zero: self.trailing_zero,
        }
    }
}

/// `0x01` in each of 8 bytes.
const ONES: u64 = u64::from_le_bytes([1; 8]);

/// Eight bytes as digit values (a digit becomes 0..=9, the point 0x1E; nothing borrows across
/// bytes), and a flag (the byte's top bit) on each byte that is no digit. Over 9, a byte's top bit
/// is set by adding 0x76, or was set. Only a byte of 0x8A or more carries into the next, and such a
/// byte (no digit and no point) ends a number, so the flags up to a number's end are right.
#[inline(always)]
fn digit_values(bytes: [u8; 8]) -> (u64, u64) {
    let x = u64::from_le_bytes(bytes) ^ (0x30 * ONES);
    (x, (x.wrapping_add(0x76 * ONES) | x) & (0x80 * ONES))
}

/// The byte at `n` (below 8) of a window read by [`digit_values`], as it was in the text.
#[inline(always)]
fn byte_at(x: u64, n: usize) -> u8 {
    (x >> (8 * n)) as u8 ^ b'0'
}

/// The value of the first `n` bytes of `x` (digit values 0..=9, the first the most significant).
#[inline(always)]
fn leading_value(x: u64, n: usize) -> u64 {
    if n == 0 {
        0
    } else {
        combine_eight(x << (8 * (8 - n)))
    }
}

/// What the first 8 bytes of a number's digits show.
enum Window {
    /// A whole short plain decimal (digits, then optionally a point and digits): most cells of
    /// numbers written to a few decimals.
    Short(Short),
    /// How many digits come first (8: all of them) and their value, for the general path to go on.
    Integer { digits: usize, value: u64 },
}

/// Reads the first 8 bytes of `digits` in one load: the first byte that is no digit is found for
/// all 8 at once, and when it is the point, so is the next. A decimal that ends within the window
/// has its point taken out and its digits combined at once; one whose fraction runs on takes a
/// second load from the fraction's start. Otherwise the integer digits are returned for
/// [`number_prefix`]'s general path. `None` when fewer than 8 bytes follow (the last cells of a
/// line or file).
#[inline(always)]
fn first_window(digits: &[u8]) -> Option<Window> {
    let (x, flags) = digit_values(digits.get(..8)?.try_into().ok()?);
    let integer_digits = (flags.trailing_zeros() / 8) as usize;
    let at_point = integer_digits < 8 && (x >> (8 * integer_digits)) as u8 == b'.' ^ 0x30;
    if at_point {
        let end = ((flags & !(0x80 << (8 * integer_digits))).trailing_zeros() / 8) as usize;
        // At least one digit, and the decimal's end within the window.
        if (2..8).contains(&end) {
            let count = end - 1;
            // The digits' values with the point's byte taken out, moved to the top so that the
            // bytes below become leading zeros.
            let below_point = (1u64 << (8 * integer_digits)) - 1;
            let values = (x & below_point) | ((x >> 8) & !below_point);
            let mantissa = combine_eight(values << (8 * (8 - count)));
            let fraction_digits = end - integer_digits - 1;
            return Some(Window::Short(Short {
                mantissa,
                integer_digits,
                fraction_digits,
                point: true,
                end,
                next: byte_at(x, end),
                leading_zero: x as u8 == 0,
                trailing_zero: byte_at(x, end - 1) == b'0',
            }));
        }
        // The fraction runs past the window: one more window from its start, when it ends there.
        let start = integer_digits + 1;
        if end == 8 {
            if let Some(fraction) = digits.get(start..start + 8).and_then(|w| <[u8; 8]>::try_from(w).ok()) {
                let (fraction_x, fraction_flags) = digit_values(fraction);
                let fraction_digits = (fraction_flags.trailing_zeros() / 8) as usize;
                if (1..8).contains(&fraction_digits) {
                    // At most 7 digits each side: below 10^15.
                    let mantissa = leading_value(x, integer_digits) * POWERS_OF_TEN_U64[fraction_digits]
                        + leading_value(fraction_x, fraction_digits);
                    return Some(Window::Short(Short {
                        mantissa,
                        integer_digits,
                        fraction_digits,
                        point: true,
                        end: start + fraction_digits,
                        next: byte_at(fraction_x, fraction_digits),
                        leading_zero: x as u8 == 0,
                        trailing_zero: byte_at(fraction_x, fraction_digits - 1) == b'0',
                    }));
                }
            }
        }
    }
    let value = leading_value(x, integer_digits);
    if !at_point && (1..8).contains(&integer_digits) {
        // An integer that ends within the window is a short decimal too.
        return Some(Window::Short(Short {
            mantissa: value,
            integer_digits,
            fraction_digits: 0,
            point: false,
            end: integer_digits,
            next: byte_at(x, integer_digits),
            leading_zero: x as u8 == 0,
            trailing_zero: byte_at(x, integer_digits - 1) == b'0',
        }));
    }
    Some(Window::Integer { digits: integer_digits, value })
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
        let (x, flags) = digit_values(chunk.try_into().unwrap_or_default());
        let n = (flags.trailing_zeros() / 8) as usize;
        if n == 0 {
            return i;
        }
        *mantissa = mantissa.wrapping_mul(POWERS_OF_TEN_U64[n]).wrapping_add(leading_value(x, n));
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
    Some(Number::unspelled(value))
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
        let mut short = 0;
        for text in fixed.iter().copied().chain(random.iter().map(String::as_str)) {
            let expected = text.trim().parse::<f64>().ok().filter(|v| v.is_finite());
            let got = parse_number(text);
            assert_eq!(got.map(f64::to_bits), expected.map(f64::to_bits), "{text:?}");
            // Mid-line, with the rest of the line after the field, the one-window path reads it.
            if let Some(number) = in_line(text.trim()) {
                assert_eq!(Some(number.value.to_bits()), expected.map(f64::to_bits), "{text:?}");
                assert_eq!(Some(number), read_number(text.trim().as_bytes()), "{text:?}");
                short += 1;
            }
        }
        assert!(short > 50_000, "{short}");
    }

    /// The number `number_prefix` reads from `text` followed by a delimiter and more of a line,
    /// when it takes all of `text`.
    fn in_line(text: &str) -> Option<Number> {
        let line = format!("{text},-12.5,7,abcdefghijklmnop");
        number_prefix(line.as_bytes()).filter(|&(_, length)| length == text.len()).map(|(number, _)| number)
    }

    #[test]
    fn a_spelled_number_prints_as_its_text() {
        for text in ["0", "-0", "12", "1500", "-3.45678", "0.000123", "0.5", "999999999999999", "1.25"] {
            let number = read_number(text.as_bytes()).unwrap();
            assert!(number.spelled(), "{text}");
        }
        for text in ["+1", "01", ".5", "1.", "1.50", "-0.0", "1e5", "1000000000000000", "0.1000000000000001"]
        {
            let number = read_number(text.as_bytes()).unwrap();
            assert!(!number.spelled(), "{text}");
        }
        for (text, decimals) in [
            ("2.50", 2),
            ("-0.000", 3),
            ("1.5", 1),
            ("0.10", 2),
            ("1.", 0),
            ("+1.50", 0),
            ("01.50", 0),
            ("10", 0),
        ] {
            assert_eq!(read_number(text.as_bytes()).unwrap().decimals(), decimals, "{text}");
            assert_eq!(in_line(text).map_or(decimals, |n| n.decimals()), decimals, "{text}");
        }
        assert_eq!(read_number(b"1.50e3").unwrap().decimals(), 0);
        // Every text read as spelled is what Rust prints for its value, bit for bit the same number;
        // every text with decimals is its value written to that many.
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
            if let Some(number) = in_line(&text) {
                assert_eq!(Some(number), read_number(text.as_bytes()), "{text}");
            }
            if let Some(number) = read_number(text.as_bytes()) {
                if number.spelled() {
                    spelled += 1;
                    assert_eq!(format!("{}", number.value), text);
                }
                if number.decimals() > 0 {
                    assert_eq!(format!("{:.*}", usize::from(number.decimals()), number.value), text);
                }
            }
        }
        assert!(spelled > 50_000, "{spelled}");
    }
}
