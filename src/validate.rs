//! Collects per-field validation errors so one response lists every bad field.

use crate::error::{ApiError, FieldError};

#[derive(Default)]
pub struct Check(Vec<FieldError>);

impl Check {
    pub fn new() -> Check {
        Check::default()
    }

    pub fn add(&mut self, field: &str, code: &str, message: impl Into<String>) {
        self.0.push(FieldError::new(field, code, message));
    }

    /// Trimmed text of `min..=max` characters without control characters.
    pub fn text(&mut self, field: &str, value: &str, min: usize, max: usize) {
        let n = value.trim().chars().count();
        if n < min {
            self.add(
                field,
                "too_short",
                format!("must have at least {min} characters"),
            );
        } else if n > max {
            self.add(
                field,
                "too_long",
                format!("must have at most {max} characters"),
            );
        } else if value.chars().any(|c| c.is_control()) {
            self.add(
                field,
                "invalid_characters",
                "must not contain control characters",
            );
        }
    }

    pub fn opt_text(&mut self, field: &str, value: Option<&str>, min: usize, max: usize) {
        if let Some(v) = value {
            self.text(field, v, min, max);
        }
    }

    /// A plausible e-mail address: one `@`, non-empty local part, a dotted domain, ≤ 254 chars.
    pub fn email(&mut self, field: &str, value: &str) {
        let v = value.trim();
        let ok = v.len() <= 254
            && !v.chars().any(|c| c.is_whitespace() || c.is_control())
            && match v.split_once('@') {
                Some((local, domain)) => {
                    !local.is_empty()
                        && !domain.contains('@')
                        && domain.contains('.')
                        && !domain.starts_with('.')
                        && !domain.ends_with('.')
                }
                None => false,
            };
        if !ok {
            self.add(field, "invalid_email", "must be a valid e-mail address");
        }
    }

    pub fn password(&mut self, field: &str, value: &str) {
        let n = value.chars().count();
        if n < 10 {
            self.add(field, "too_short", "must have at least 10 characters");
        } else if n > 128 {
            self.add(field, "too_long", "must have at most 128 characters");
        }
    }

    pub fn range(&mut self, field: &str, value: i64, min: i64, max: i64) {
        if value < min || value > max {
            self.add(
                field,
                "out_of_range",
                format!("must be between {min} and {max}"),
            );
        }
    }

    pub fn finish(self) -> Result<(), ApiError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(ApiError::Validation(self.0))
        }
    }
}

/// Lower-cased search key for portable, case-insensitive `LIKE` (SQLite's `lower()` folds ASCII
/// only; Rust folds Cyrillic too).
pub fn search_key(parts: &[&str]) -> String {
    parts
        .iter()
        .map(|p| p.trim().to_lowercase())
        .collect::<Vec<_>>()
        .join(" ")
}

/// A user's search term as a `LIKE` pattern with `%` and `_` escaped (escape char `\`).
pub fn like_pattern(q: &str) -> String {
    let mut out = String::from("%");
    for c in q.trim().to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}
