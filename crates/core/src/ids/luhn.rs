//! The Luhn key used by FINESS, SIREN, SIRET and RPPS.

/// True when the digits (most significant first) pass the Luhn check.
pub(crate) fn is_valid(digits: impl DoubleEndedIterator<Item = u32>) -> bool {
    let sum: u32 = digits
        .rev()
        .enumerate()
        .map(|(i, d)| {
            if i % 2 == 1 {
                let doubled = d * 2;
                if doubled > 9 { doubled - 9 } else { doubled }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// Digits of an ASCII-digit string; callers check `is_ascii_digit` first.
pub(crate) fn digits(s: &str) -> impl DoubleEndedIterator<Item = u32> + '_ {
    s.bytes().map(|b| u32::from(b - b'0'))
}
