//! ARPA numbers: `str::parse::<f32>`'s grammar and rounding (by
//! `fast-float2`, straight from the bytes), plus the spellings of infinity
//! that toolkits write.

/// Parses an ARPA number: decimal, scientific, `-inf`/`inf`/`-infinity`, any case.
pub(super) fn parse_number(field: &[u8]) -> Option<f32> {
    // Fast path: a finite number can only be plain decimal or scientific
    // notation, which fast-float2 parses straight from the bytes with
    // `str::parse`'s grammar and rounding.
    if let Ok(v) = fast_float2::parse::<f32, _>(field) {
        if v.is_finite() {
            return Some(v);
        }
    }
    // Decimal notation that overflows, `inf` and `nan` spellings, errors.
    if field
        .iter()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'+' | b'e' | b'E'))
    {
        return fast_float2::parse(field).ok();
    }
    let text = std::str::from_utf8(field).ok()?;
    let lower = text.to_ascii_lowercase();
    match lower.as_str() {
        "-inf" | "-infinity" => return Some(f32::NEG_INFINITY),
        "inf" | "+inf" | "infinity" => return Some(f32::INFINITY),
        _ => {}
    }
    if lower.contains("nan") || lower.contains("inf") {
        return None;
    }
    text.parse::<f32>().ok()
}

/// Whether `field`, which [`parse_number`] read as infinite, spells infinity
/// (`-inf`, `Infinity`) rather than writing a number beyond f32's range
/// (`-1e39`, which rounds to infinity): every spelling of infinity has an
/// `i`, and no number in decimal or scientific notation has one.
pub(super) fn spells_infinity(field: &[u8]) -> bool {
    field.iter().any(|b| b.eq_ignore_ascii_case(&b'i'))
}

#[cfg(test)]
mod tests {
    use super::parse_number;

    /// `str::parse`'s bits for `text`.
    fn std_bits(text: &str) -> Option<u32> {
        text.parse::<f32>().ok().map(f32::to_bits)
    }

    /// The fast path accepts exactly what `str::parse` does, with the same value.
    #[test]
    fn numbers_parse_as_std_does() {
        let cases = [
            "0",
            "-0",
            "-1.5280055",
            "1.",
            ".5",
            "-.5",
            "+.5",
            "+1",
            "1e5",
            "1E-5",
            "-2.5e+3",
            "1e",
            "1e+",
            "e5",
            ".",
            "-",
            "+",
            "-.",
            "--1",
            "+-1",
            "1-",
            "1.2.3",
            "1e5e",
            "1ee5",
            "00012.50",
            "1e-50",
            "1e50",
            "-1e-46",
            "3.4028235e38",
            "3.4028236e38",
            "1.17549435e-38",
            "1.4e-45",
            "0.1000000000000000055511151231257827",
            "-0.30103000000000001",
            "123456789012345678901234567890",
            "-99",
            "",
        ];
        for c in cases {
            let ours = parse_number(c.as_bytes()).map(f32::to_bits);
            assert_eq!(ours, std_bits(c), "`{c}`");
        }
        for i in 0..20_000u32 {
            let c = format!(
                "-{}.{:07}",
                i % 7,
                i.wrapping_mul(2_654_435_761) % 10_000_000
            );
            let ours = parse_number(c.as_bytes()).map(f32::to_bits);
            assert_eq!(ours, std_bits(&c), "`{c}`");
        }
    }

    /// Numbers beyond f32's range read as infinite, as spelled infinities
    /// do; only the spellings have an `i`.
    #[test]
    fn overflow_is_told_from_spelled_infinity() {
        for text in ["-1e39", "1e400", "-340282356779733661637539395458142568448"] {
            assert_eq!(
                parse_number(text.as_bytes()).map(f32::is_infinite),
                Some(true)
            );
            assert!(!super::spells_infinity(text.as_bytes()), "{text}");
        }
        for text in ["-inf", "-Infinity", "INF", "+inf"] {
            assert_eq!(
                parse_number(text.as_bytes()).map(f32::is_infinite),
                Some(true)
            );
            assert!(super::spells_infinity(text.as_bytes()), "{text}");
        }
    }

    /// Decimal strings close to halfway between two `f32`s, the hardest to
    /// round, parse as `str::parse` does.
    #[test]
    fn numbers_near_f32_midpoints_parse_as_std_does() {
        for i in 0..200_000u32 {
            let v = f32::from_bits(0x3a00_0000 + i.wrapping_mul(2_654_435_761) % 0x1100_0000);
            let mid = (f64::from(v) + f64::from(f32::from_bits(v.to_bits() + 1))) / 2.0;
            for digits in [6, 7, 8, 9, 12, 15, 16, 17] {
                let text = format!("-{mid:.digits$}");
                let ours = parse_number(text.as_bytes()).map(f32::to_bits);
                assert_eq!(ours, std_bits(&text), "`{text}`");
            }
        }
    }

    proptest::proptest! {
        /// Plain decimals of any length and point position parse as
        /// `str::parse` does.
        #[test]
        fn plain_decimals_parse_as_std_does(
            negative: bool,
            digits in proptest::collection::vec(0u8..10, 0..24),
            point in proptest::option::of(0usize..25),
        ) {
            let mut text = String::from(if negative { "-" } else { "" });
            for (i, d) in digits.iter().enumerate() {
                if point == Some(i) {
                    text.push('.');
                }
                text.push(char::from(b'0' + d));
            }
            if point.is_some_and(|p| p >= digits.len()) {
                text.push('.');
            }
            proptest::prop_assert_eq!(parse_number(text.as_bytes()).map(f32::to_bits), std_bits(&text));
        }
    }
}
