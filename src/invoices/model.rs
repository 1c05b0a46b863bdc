use crate::money::Money;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum InvoiceStatus {
    Issued,
    Paid,
    Void,
}

impl InvoiceStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            InvoiceStatus::Issued => "issued",
            InvoiceStatus::Paid => "paid",
            InvoiceStatus::Void => "void",
        }
    }
    pub fn parse(s: &str) -> Option<InvoiceStatus> {
        [
            InvoiceStatus::Issued,
            InvoiceStatus::Paid,
            InvoiceStatus::Void,
        ]
        .into_iter()
        .find(|x| x.as_str() == s)
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct InvoiceView {
    pub id: String,
    /// Gapless per year: `2026-000001`.
    pub number: String,
    pub client_id: String,
    pub order_id: String,
    pub status: InvoiceStatus,
    /// VAT included.
    pub total: Money,
    pub vat: Money,
    pub paid: Money,
    pub issue_date: chrono::NaiveDate,
    pub due_date: chrono::NaiveDate,
    pub issued_at: chrono::DateTime<chrono::Utc>,
    pub voided_at: Option<chrono::DateTime<chrono::Utc>>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InvoiceQuery {
    /// Staff: one company's bills.
    #[param(max_length = 64)]
    pub client_id: Option<String>,
    pub status: Option<InvoiceStatus>,
}

/// `2026-000123`.
pub fn format_number(series: &str, seq: i32) -> String {
    format!("{series}-{seq:06}")
}

// ---------------------------------------------------------------------------------------------
// The payment bill as a document ("Счёт на оплату"): its data, Russian number words and formats.
// Pure: the service loads the rows and renders `BillDocument` with the embedded template.

/// Seller requisites as printed on the bill (from `BusinessSettings`).
#[derive(Debug, Clone, Serialize)]
pub struct BillSeller {
    pub name: String,
    pub inn: String,
    pub kpp: String,
    pub address: String,
    pub bank: String,
    pub bik: String,
    pub account: String,
    pub corr_account: String,
}

/// The buyer's requisites.
#[derive(Debug, Clone, Serialize)]
pub struct BillBuyer {
    pub name: String,
    pub inn: String,
    pub kpp: Option<String>,
    pub address: String,
}

/// One line as it enters the bill (kopecks).
#[derive(Debug, Clone)]
pub struct BillLineInput {
    pub line_no: i32,
    pub sku: String,
    pub name: String,
    pub unit: String,
    pub quantity: i64,
    pub unit_price_minor: i64,
    pub vat_rate_bp: i32,
    pub total_minor: i64,
    pub vat_minor: i64,
}

/// Everything a bill shows, before formatting.
#[derive(Debug, Clone)]
pub struct BillInput {
    pub number: String,
    pub status: InvoiceStatus,
    pub issue_date: chrono::NaiveDate,
    pub due_date: chrono::NaiveDate,
    pub total_minor: i64,
    pub vat_minor: i64,
    pub paid_minor: i64,
    pub order_id: String,
    pub client_reference: Option<String>,
    pub seller: BillSeller,
    pub buyer: BillBuyer,
    pub lines: Vec<BillLineInput>,
}

#[derive(Debug, Clone, Serialize)]
pub struct BillLine {
    pub no: i32,
    pub sku: String,
    pub name: String,
    pub quantity: String,
    pub unit: String,
    pub price: String,
    pub sum: String,
}

/// VAT of the lines at one rate: "В том числе НДС 22%: 162,30".
#[derive(Debug, Clone, Serialize)]
pub struct BillVat {
    pub label: String,
    pub amount: String,
}

/// The template context: every value already formatted (`1 234,50`, `03.12.2026`).
#[derive(Debug, Clone, Serialize)]
pub struct BillDocument {
    pub title: String,
    pub number: String,
    pub issue_date: String,
    pub due_date: String,
    pub status: &'static str,
    /// "Выставлен", "Оплачен", "Аннулирован".
    pub status_label: &'static str,
    pub void: bool,
    pub paid: bool,
    pub order_id: String,
    pub client_reference: Option<String>,
    pub seller: BillSeller,
    pub buyer: BillBuyer,
    pub lines: Vec<BillLine>,
    pub line_count: usize,
    pub total: String,
    pub vat_lines: Vec<BillVat>,
    /// Paid so far, when anything is.
    pub paid_amount: Option<String>,
    pub total_in_words: String,
    pub payment_purpose: String,
}

impl BillDocument {
    pub fn build(b: BillInput) -> BillDocument {
        let mut rates: Vec<(i32, i64)> = Vec::new();
        for l in &b.lines {
            match rates.iter_mut().find(|(r, _)| *r == l.vat_rate_bp) {
                Some((_, v)) => *v += l.vat_minor,
                None => rates.push((l.vat_rate_bp, l.vat_minor)),
            }
        }
        rates.sort_by_key(|r| std::cmp::Reverse(r.0));
        let vat_lines = if rates.is_empty() {
            vec![BillVat {
                label: "В том числе НДС".into(),
                amount: format_amount_ru(b.vat_minor),
            }]
        } else {
            rates
                .into_iter()
                .map(|(rate, vat)| BillVat {
                    label: if rate == 0 {
                        "Без налога (НДС)".into()
                    } else {
                        format!("В том числе НДС {}%", format_rate_bp(rate))
                    },
                    amount: if rate == 0 {
                        "—".into()
                    } else {
                        format_amount_ru(vat)
                    },
                })
                .collect()
        };
        let issue_date = format_date_ru(b.issue_date);
        let vat_note = if b.vat_minor > 0 {
            format!("в т.ч. НДС {} руб.", format_amount_ru(b.vat_minor))
        } else {
            "без налога (НДС)".to_string()
        };
        BillDocument {
            title: format!("Счёт на оплату № {} от {}", b.number, issue_date),
            payment_purpose: format!(
                "Оплата по счёту № {} от {}, {}",
                b.number, issue_date, vat_note
            ),
            number: b.number,
            issue_date,
            due_date: format_date_ru(b.due_date),
            status: b.status.as_str(),
            status_label: match b.status {
                InvoiceStatus::Issued => "Выставлен",
                InvoiceStatus::Paid => "Оплачен",
                InvoiceStatus::Void => "Аннулирован",
            },
            void: b.status == InvoiceStatus::Void,
            paid: b.status == InvoiceStatus::Paid,
            order_id: b.order_id,
            client_reference: b.client_reference,
            seller: b.seller,
            buyer: b.buyer,
            line_count: b.lines.len(),
            lines: b
                .lines
                .into_iter()
                .map(|l| BillLine {
                    no: l.line_no,
                    quantity: group_thousands(&l.quantity.to_string()),
                    price: format_amount_ru(l.unit_price_minor),
                    sum: format_amount_ru(l.total_minor),
                    sku: l.sku,
                    name: l.name,
                    unit: l.unit,
                })
                .collect(),
            total: format_amount_ru(b.total_minor),
            vat_lines,
            paid_amount: (b.paid_minor > 0).then(|| format_amount_ru(b.paid_minor)),
            total_in_words: amount_in_words_ru(b.total_minor),
        }
    }
}

/// `03.12.2026`.
pub fn format_date_ru(d: chrono::NaiveDate) -> String {
    d.format("%d.%m.%Y").to_string()
}

/// Kopecks as `1 234,50`: a space between thousands, a decimal comma.
pub fn format_amount_ru(minor: i64) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    let abs = minor.unsigned_abs();
    format!(
        "{sign}{},{:02}",
        group_thousands(&(abs / 100).to_string()),
        abs % 100
    )
}

/// A VAT rate in basis points as percent: 2200 → `22`, 1000 → `10`, 550 → `5,5`.
pub fn format_rate_bp(bp: i32) -> String {
    let (whole, frac) = (bp / 100, bp % 100);
    if frac == 0 {
        whole.to_string()
    } else {
        format!("{whole},{frac:02}")
            .trim_end_matches('0')
            .to_string()
    }
}

fn group_thousands(digits: &str) -> String {
    let (sign, digits) = match digits.strip_prefix('-') {
        Some(d) => ("-", d),
        None => ("", digits),
    };
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(' ');
        }
        out.push(ch);
    }
    format!("{sign}{out}")
}

/// The Russian plural form for `n`: `one` (1, 21, 101), `few` (2–4, 22–24), `many` (0, 5–20, 25…).
fn plural_ru<'a>(n: u64, one: &'a str, few: &'a str, many: &'a str) -> &'a str {
    match (n % 100, n % 10) {
        (11..=14, _) => many,
        (_, 1) => one,
        (_, 2..=4) => few,
        _ => many,
    }
}

/// Words for 1..=999 (empty for 0); `feminine` for thousands ("одна", "две").
fn triad_words(n: u64, feminine: bool, out: &mut Vec<&'static str>) {
    const HUNDREDS: [&str; 10] = [
        "",
        "сто",
        "двести",
        "триста",
        "четыреста",
        "пятьсот",
        "шестьсот",
        "семьсот",
        "восемьсот",
        "девятьсот",
    ];
    const TENS: [&str; 10] = [
        "",
        "",
        "двадцать",
        "тридцать",
        "сорок",
        "пятьдесят",
        "шестьдесят",
        "семьдесят",
        "восемьдесят",
        "девяносто",
    ];
    const TEENS: [&str; 10] = [
        "десять",
        "одиннадцать",
        "двенадцать",
        "тринадцать",
        "четырнадцать",
        "пятнадцать",
        "шестнадцать",
        "семнадцать",
        "восемнадцать",
        "девятнадцать",
    ];
    const UNITS: [&str; 10] = [
        "",
        "один",
        "два",
        "три",
        "четыре",
        "пять",
        "шесть",
        "семь",
        "восемь",
        "девять",
    ];
    let (h, t, u) = (n / 100 % 10, n / 10 % 10, n % 10);
    if h > 0 {
        out.push(HUNDREDS[h as usize]);
    }
    if t == 1 {
        out.push(TEENS[u as usize]);
        return;
    }
    if t > 1 {
        out.push(TENS[t as usize]);
    }
    match (u, feminine) {
        (0, _) => {}
        (1, true) => out.push("одна"),
        (2, true) => out.push("две"),
        _ => out.push(UNITS[u as usize]),
    }
}

/// An amount in kopecks in words, as written on Russian bills:
/// 123450 → "Одна тысяча двести тридцать четыре рубля 50 копеек".
/// Roubles in words (thousands feminine, millions and up masculine), kopecks in digits.
pub fn amount_in_words_ru(minor: i64) -> String {
    const SCALES: [(u64, bool, [&str; 3]); 5] = [
        (
            1_000_000_000_000_000,
            false,
            ["квадриллион", "квадриллиона", "квадриллионов"],
        ),
        (
            1_000_000_000_000,
            false,
            ["триллион", "триллиона", "триллионов"],
        ),
        (
            1_000_000_000,
            false,
            ["миллиард", "миллиарда", "миллиардов"],
        ),
        (1_000_000, false, ["миллион", "миллиона", "миллионов"]),
        (1_000, true, ["тысяча", "тысячи", "тысяч"]),
    ];
    let abs = minor.unsigned_abs();
    let (roubles, kopecks) = (abs / 100, abs % 100);
    let mut words: Vec<&'static str> = Vec::new();
    if minor < 0 {
        words.push("минус");
    }
    if roubles == 0 {
        words.push("ноль");
    } else {
        let mut rest = roubles;
        for (scale, feminine, forms) in SCALES {
            let n = rest / scale;
            if n > 0 {
                // At most 9 223 квадриллиона from an i64: a triad covers it.
                triad_words(n, feminine, &mut words);
                words.push(plural_ru(n, forms[0], forms[1], forms[2]));
            }
            rest %= scale;
        }
        triad_words(rest, false, &mut words);
    }
    let text = format!(
        "{} {} {:02} {}",
        words.join(" "),
        plural_ru(roubles, "рубль", "рубля", "рублей"),
        kopecks,
        plural_ru(kopecks, "копейка", "копейки", "копеек"),
    );
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_for_small_amounts() {
        assert_eq!(amount_in_words_ru(0), "Ноль рублей 00 копеек");
        assert_eq!(amount_in_words_ru(1), "Ноль рублей 01 копейка");
        assert_eq!(amount_in_words_ru(2), "Ноль рублей 02 копейки");
        assert_eq!(amount_in_words_ru(11), "Ноль рублей 11 копеек");
        assert_eq!(amount_in_words_ru(100), "Один рубль 00 копеек");
        assert_eq!(amount_in_words_ru(200), "Два рубля 00 копеек");
        assert_eq!(amount_in_words_ru(500), "Пять рублей 00 копеек");
        assert_eq!(amount_in_words_ru(1_000), "Десять рублей 00 копеек");
        assert_eq!(amount_in_words_ru(1_100), "Одиннадцать рублей 00 копеек");
        assert_eq!(amount_in_words_ru(1_200), "Двенадцать рублей 00 копеек");
        assert_eq!(amount_in_words_ru(1_400), "Четырнадцать рублей 00 копеек");
        assert_eq!(amount_in_words_ru(1_900), "Девятнадцать рублей 00 копеек");
        assert_eq!(amount_in_words_ru(2_100), "Двадцать один рубль 00 копеек");
        assert_eq!(amount_in_words_ru(2_221), "Двадцать два рубля 21 копейка");
        assert_eq!(amount_in_words_ru(10_000), "Сто рублей 00 копеек");
        assert_eq!(amount_in_words_ru(10_100), "Сто один рубль 00 копеек");
        assert_eq!(
            amount_in_words_ru(11_100),
            "Сто одиннадцать рублей 00 копеек"
        );
        assert_eq!(
            amount_in_words_ru(99_999),
            "Девятьсот девяносто девять рублей 99 копеек"
        );
    }

    #[test]
    fn words_for_thousands_are_feminine() {
        assert_eq!(amount_in_words_ru(100_000), "Одна тысяча рублей 00 копеек");
        assert_eq!(
            amount_in_words_ru(123_450),
            "Одна тысяча двести тридцать четыре рубля 50 копеек"
        );
        assert_eq!(amount_in_words_ru(200_000), "Две тысячи рублей 00 копеек");
        assert_eq!(amount_in_words_ru(500_000), "Пять тысяч рублей 00 копеек");
        assert_eq!(
            amount_in_words_ru(1_100_000),
            "Одиннадцать тысяч рублей 00 копеек"
        );
        assert_eq!(
            amount_in_words_ru(2_100_000),
            "Двадцать одна тысяча рублей 00 копеек"
        );
        assert_eq!(
            amount_in_words_ru(2_200_100),
            "Двадцать две тысячи один рубль 00 копеек"
        );
        assert_eq!(
            amount_in_words_ru(11_200_000),
            "Сто двенадцать тысяч рублей 00 копеек"
        );
    }

    #[test]
    fn words_for_millions_and_billions() {
        assert_eq!(
            amount_in_words_ru(100_000_000),
            "Один миллион рублей 00 копеек"
        );
        assert_eq!(
            amount_in_words_ru(200_000_000),
            "Два миллиона рублей 00 копеек"
        );
        assert_eq!(
            amount_in_words_ru(500_000_100),
            "Пять миллионов один рубль 00 копеек"
        );
        assert_eq!(
            amount_in_words_ru(2_100_000_000),
            "Двадцать один миллион рублей 00 копеек"
        );
        assert_eq!(
            amount_in_words_ru(100_100_000),
            "Один миллион одна тысяча рублей 00 копеек"
        );
        assert_eq!(
            amount_in_words_ru(123_456_789_012),
            "Один миллиард двести тридцать четыре миллиона пятьсот шестьдесят семь тысяч \
             восемьсот девяносто рублей 12 копеек"
        );
        assert_eq!(
            amount_in_words_ru(300_000_000_000),
            "Три миллиарда рублей 00 копеек"
        );
        assert_eq!(
            amount_in_words_ru(1_100_000_000_000),
            "Одиннадцать миллиардов рублей 00 копеек"
        );
        // The largest amount the API accepts: 10^13 roubles less a kopeck.
        assert_eq!(
            amount_in_words_ru(999_999_999_999_999),
            "Девять триллионов девятьсот девяносто девять миллиардов девятьсот девяносто девять \
             миллионов девятьсот девяносто девять тысяч девятьсот девяносто девять рублей 99 копеек"
        );
    }

    #[test]
    fn words_at_the_limits_of_i64() {
        let max = amount_in_words_ru(i64::MAX);
        assert!(max.starts_with("Девяносто два квадриллиона"), "{max}");
        assert!(max.ends_with("рублей 07 копеек"), "{max}");
        let min = amount_in_words_ru(i64::MIN);
        assert!(min.starts_with("Минус девяносто два квадриллиона"), "{min}");
        assert_eq!(amount_in_words_ru(-100), "Минус один рубль 00 копеек");
    }

    #[test]
    fn plural_forms() {
        for (n, form) in [
            (0, "many"),
            (1, "one"),
            (2, "few"),
            (4, "few"),
            (5, "many"),
            (11, "many"),
            (12, "many"),
            (14, "many"),
            (21, "one"),
            (22, "few"),
            (111, "many"),
            (112, "many"),
            (101, "one"),
            (1_001, "one"),
        ] {
            assert_eq!(plural_ru(n, "one", "few", "many"), form, "{n}");
        }
    }

    #[test]
    fn amounts_dates_and_rates_are_formatted_the_russian_way() {
        assert_eq!(format_amount_ru(0), "0,00");
        assert_eq!(format_amount_ru(5), "0,05");
        assert_eq!(format_amount_ru(99_999), "999,99");
        assert_eq!(format_amount_ru(123_450), "1 234,50");
        assert_eq!(format_amount_ru(123_456_789_012), "1 234 567 890,12");
        assert_eq!(format_amount_ru(-100_000), "-1 000,00");
        assert_eq!(
            format_date_ru(chrono::NaiveDate::from_ymd_opt(2026, 12, 3).unwrap()),
            "03.12.2026"
        );
        assert_eq!(format_rate_bp(2200), "22");
        assert_eq!(format_rate_bp(1000), "10");
        assert_eq!(format_rate_bp(550), "5,5");
        assert_eq!(format_rate_bp(0), "0");
        assert_eq!(group_thousands("1000000"), "1 000 000");
        assert_eq!(group_thousands("100"), "100");
    }
}
