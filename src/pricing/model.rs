//! Price arithmetic (no I/O). Prices include VAT. A client's unit price is the list price less
//! its tier discount, rounded half-up to the kopeck; a line's VAT is the VAT included in the
//! line total, rounded half-up; totals are sums of lines, so they always add up to the kopeck.

/// `value × num / den` rounded half-up, for non-negative inputs, in i128 so it cannot overflow.
fn mul_div_half_up(value: i64, num: i64, den: i64) -> i64 {
    debug_assert!(value >= 0 && num >= 0 && den > 0);
    let n = value as i128 * num as i128;
    let d = den as i128;
    ((n + d / 2) / d) as i64
}

/// Unit price after a discount in basis points (0..10_000).
pub fn discounted_minor(list_minor: i64, discount_bp: i32) -> i64 {
    mul_div_half_up(list_minor, 10_000 - discount_bp as i64, 10_000)
}

/// The VAT included in a gross amount at `vat_bp` (e.g. 2200 = 22 %).
pub fn vat_included_minor(gross_minor: i64, vat_bp: i32) -> i64 {
    mul_div_half_up(gross_minor, vat_bp as i64, 10_000 + vat_bp as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounding_is_half_up_to_the_kopeck() {
        assert_eq!(discounted_minor(10_000, 300), 9_700);
        assert_eq!(discounted_minor(333, 500), 316); // 316.35 -> 316
        assert_eq!(discounted_minor(1, 5_000), 1); // 0.5 -> 1
        assert_eq!(vat_included_minor(12_200, 2_200), 2_200);
        assert_eq!(vat_included_minor(100, 2_000), 17); // 16.67 -> 17
        assert_eq!(vat_included_minor(100, 0), 0);
    }
}
