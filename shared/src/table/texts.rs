//! Cells' texts kept back to back, and the texts a column of numbers prints from its numbers:
//! as Rust prints them (`format!("{}")`), or to a fixed number of decimals, with the few cells
//! that print otherwise kept as they were written.

use super::parse::read_number;

/// Cells' texts back to back, with the end offset of each (a missing cell is an empty span: cells
/// are trimmed and an empty cell means missing, so a present cell is never empty).
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Texts {
    pub(super) text: String,
    pub(super) ends: Vec<u32>,
}

impl Texts {
    pub(super) fn len(&self) -> usize {
        self.ends.len()
    }

    /// The `i`th text, `None` when empty.
    pub(super) fn get(&self, i: usize) -> Option<&str> {
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        let end = self.ends[i] as usize;
        (end > start).then(|| &self.text[start..end])
    }
}

/// The cells of a column of numbers whose text the number does not print back: their rows,
/// ascending, and their texts in the same order; and how the number prints every other cell.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Unspelled {
    pub(super) rows: Vec<u32>,
    pub(super) texts: Texts,
    /// `None`: every other cell is its number as Rust prints it (`format!("{}")`). `Some(n)`:
    /// written to `n` decimals (`format!("{:.n}")`), for a column written with a fixed number of
    /// decimals (`2.50`, `-1.25`, `0.00`), whose trailing zeros would otherwise each keep a text.
    pub(super) fixed: Option<u8>,
}

impl Unspelled {
    /// Keeps `text` as the cell of `row` (rows come in ascending order).
    pub(super) fn push(&mut self, row: usize, text: &str) {
        self.rows.push(u32::try_from(row).unwrap_or(u32::MAX));
        self.texts.text.push_str(text);
        self.texts.ends.push(u32::try_from(self.texts.text.len()).unwrap_or(u32::MAX));
    }

    /// Whether every kept text is written as an integer.
    pub(super) fn all_integers(&self) -> bool {
        (0..self.rows.len()).all(|i| digits_only(self.texts.get(i).unwrap_or_default()))
    }

    /// The text of `row` when it is one of these cells.
    pub(super) fn text(&self, row: usize) -> Option<&str> {
        let i = self.rows.binary_search(&u32::try_from(row).ok()?).ok()?;
        self.texts.get(i)
    }

    /// Each row with its number and, where the cell is one of these, its kept text.
    pub(super) fn rows_with<'a>(
        &'a self,
        numbers: &'a [f64],
    ) -> impl Iterator<Item = (usize, f64, Option<&'a str>)> + 'a {
        let mut next = 0;
        numbers.iter().enumerate().map(move |(row, &value)| {
            let kept = self.rows.get(next).is_some_and(|&r| r as usize == row);
            let text = kept.then(|| self.texts.get(next).unwrap_or_default());
            next += usize::from(kept);
            (row, value, text)
        })
    }

    /// The same cells kept as a column printed as Rust prints numbers would keep them (`fixed`
    /// `None`): the kept texts Rust prints as their number's are dropped, and the cells written
    /// to fixed decimals that end in a zero are added. Two columns with the same texts then keep
    /// the same cells, however each was built.
    pub(super) fn as_printed_by_rust(&self, numbers: &[f64]) -> Unspelled {
        let Some(decimals) = self.fixed else { return self.clone() };
        let mut out = Unspelled::default();
        for (row, value, kept) in self.rows_with(numbers) {
            if let Some(text) = kept {
                if !read_number(text.as_bytes()).is_some_and(|n| n.spelled()) {
                    out.push(row, text);
                }
            } else if !value.is_nan() {
                // Written to fixed decimals, a cell prints as Rust prints it unless it ends in a
                // zero (the other rules hold by construction).
                let text = written(value, Some(decimals));
                if text.ends_with('0') {
                    out.push(row, &text);
                }
            }
        }
        out
    }

    /// Appends the text of a cell that is none of these, from its number.
    fn push_number(&self, text: &mut Vec<u8>, value: f64, digits: &mut usize) {
        match self.fixed {
            Some(decimals) => push_fixed(text, value, decimals),
            None => push_spelled(text, value, digits),
        }
    }
}

/// Whether a cell is written as an integer: digits only, after an optional sign.
pub(super) fn digits_only(cell: &str) -> bool {
    let digits = cell.strip_prefix(['-', '+']).unwrap_or(cell);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

/// Every cell's text: a kept text where there is one, else the number as Rust prints it (empty for
/// a missing cell, whose number is NaN).
pub(super) fn spell(numbers: &[f64], unspelled: &Unspelled) -> (Vec<u8>, Vec<u32>) {
    let mut text = Vec::with_capacity(numbers.len() * 8);
    let mut ends = Vec::with_capacity(numbers.len());
    let mut digits = 0;
    for (_, value, kept) in unspelled.rows_with(numbers) {
        match kept {
            Some(cell) => text.extend_from_slice(cell.as_bytes()),
            None if !value.is_nan() => unspelled.push_number(&mut text, value, &mut digits),
            None => {}
        }
        ends.push(u32::try_from(text.len()).unwrap_or(u32::MAX));
    }
    (text, ends)
}

/// The text a number prints as a cell's, as a column with `fixed` prints it ([`Unspelled::fixed`];
/// see [`super::parse::Number::spelled`] and [`super::parse::Number::decimals`]).
pub(super) fn written(value: f64, fixed: Option<u8>) -> String {
    let mut text = Vec::new();
    Unspelled { fixed, ..Unspelled::default() }.push_number(&mut text, value, &mut 0);
    // Digits, a point and a sign, or the formatter's text.
    String::from_utf8(text).unwrap_or_default()
}

/// Exact powers of ten 10^0..=10^19 as `f64`.
const POWERS: [f64; 20] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18,
    1e19,
];

/// Appends `value` as `format!("{value}")` writes it, about twice as fast for the numbers a cell can
/// spell (at most 15 significant digits): the fewest fraction digits `d` for which the integer
/// `m = round(|value| · 10^d)` below 10^15 gives `value` back as `m / 10^d` (the reading's own
/// operation) are the shortest round trip, and `m`'s digits with a point `d` from the right are
/// the text. `d` starts from the last number's (`digits`), as a column's numbers usually share it.
/// Others go to the formatter.
fn push_spelled(text: &mut Vec<u8>, value: f64, digits: &mut usize) {
    let size = value.abs();
    // `size · 10^d` is within a quarter of `m` for these numbers, so rounding recovers `m` exactly.
    let mantissa = |d: usize| (size * POWERS[d] + 0.5) as u64;
    let fits = |d: usize| {
        let m = mantissa(d);
        m < 1_000_000_000_000_000 && m as f64 / POWERS[d] == size
    };
    let mut d = (*digits).min(POWERS.len() - 1);
    if fits(d) {
        while d > 0 && fits(d - 1) {
            d -= 1;
        }
    } else {
        loop {
            d += 1;
            if d == POWERS.len() {
                text.extend_from_slice(format!("{value}").as_bytes());
                return;
            }
            if fits(d) {
                break;
            }
        }
    }
    *digits = d;
    write_decimal(text, mantissa(d), d, value.is_sign_negative());
}

/// Appends `value` written to `decimals` places, as `format!("{value:.decimals$}")` writes it, for
/// a value read from such a text with at most 15 significant digits ([`super::parse::Number::decimals`]).
fn push_fixed(text: &mut Vec<u8>, value: f64, decimals: u8) {
    let d = usize::from(decimals).min(POWERS.len() - 1);
    // As in `push_spelled`: within a quarter of the integer the text's digits make.
    write_decimal(text, (value.abs() * POWERS[d] + 0.5) as u64, d, value.is_sign_negative());
}

/// Appends the digits of `m` with a point `d` from the right (and at least one digit before it),
/// after a minus sign when `negative`.
fn write_decimal(text: &mut Vec<u8>, mut m: u64, d: usize, negative: bool) {
    let mut buffer = [b'0'; 40];
    let mut at = buffer.len();
    // Digits from the right, the point after `d` of them, then at least one integer digit.
    let mut written = 0;
    while m > 0 || written <= d {
        if written == d && d > 0 {
            at -= 1;
            buffer[at] = b'.';
        }
        at -= 1;
        buffer[at] = b'0' + (m % 10) as u8;
        m /= 10;
        written += 1;
    }
    if negative {
        at -= 1;
        buffer[at] = b'-';
    }
    text.extend_from_slice(&buffer[at..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_spelled_as_rust_prints_them() {
        let mut rng = crate::rng::SplitMix64::new(5);
        let mut digits = 0;
        for i in 0..300_000 {
            // Short decimals of every scale, then arbitrary bit patterns.
            let value = if i % 3 == 0 {
                f64::from_bits(rng.next_u64())
            } else {
                let m = rng.below(1_000_000_000) as f64;
                let scale = POWERS[rng.below(16)];
                if i % 2 == 0 {
                    m / scale
                } else {
                    -(m * scale) / 1e9
                }
            };
            if !value.is_finite() {
                continue;
            }
            let mut text = Vec::new();
            push_spelled(&mut text, value, &mut digits);
            assert_eq!(String::from_utf8(text).unwrap(), format!("{value}"), "{value:e}");
        }
        for value in [0.0, -0.0, 1.0, 0.1, 123456789012345.0, 1e15, 1e-7, 5e-324, f64::MAX] {
            assert_eq!(written(value, None), format!("{value}"));
        }
    }
}
