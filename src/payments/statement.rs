//! Bank statement files: the `1CClientBankExchange` text format (version 1.03) that Russian banks
//! export, and a small CSV format we document for banks without a 1C export.
//!
//! Everything here is pure: bytes in, a [`Statement`] or a [`ParseError`] with a 1-based line
//! number out. Nothing panics on any input (the property tests at the end of this file feed it
//! random bytes and mangled statements), and the input is bounded by [`MAX_INPUT_BYTES`] and
//! [`MAX_DOCUMENTS`].
//!
//! A statement lists both directions of an account's movements; [`classify`] tells our incoming
//! payments from the outgoing ones by INN.

// Input is untrusted: keep the ways to panic out of this module (the tests opt back in).
#![deny(
    clippy::indexing_slicing,
    clippy::string_slice,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use std::collections::HashMap;
use std::fmt;

use chrono::NaiveDate;
use encoding_rs::{IBM866, WINDOWS_1251};
use rust_decimal::Decimal;

/// Most documents accepted in one file; more is a [`ParseError`] on line 0.
pub const MAX_DOCUMENTS: usize = 100_000;

/// Largest input accepted, in bytes (64 MiB); more is a [`ParseError`] on line 0.
pub const MAX_INPUT_BYTES: usize = 64 * 1024 * 1024;

/// Largest amount in kopecks: 999 999 999 999.99 roubles.
const MAX_AMOUNT_KOPECKS: i64 = 99_999_999_999_999;

/// Longest CSV bank reference, in characters.
const MAX_REFERENCE_CHARS: usize = 255;

/// First line of every 1C exchange file.
const EXCHANGE_MARKER: &str = "1CClientBankExchange";

/// Columns of the CSV format, in order.
const CSV_COLUMNS: [&str; 7] = [
    "date",
    "amount",
    "payer_inn",
    "payer_kpp",
    "payer_name",
    "purpose",
    "reference",
];

/// Why a file was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// 1-based line of the problem; 0 when it concerns the whole file.
    pub line: usize,
    /// What is wrong, for a person.
    pub message: String,
}

impl ParseError {
    fn new(line: usize, message: impl Into<String>) -> Self {
        ParseError {
            line,
            message: message.into(),
        }
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

impl std::error::Error for ParseError {}

/// The format a statement was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `1CClientBankExchange` text.
    OneC,
    /// Our CSV format: `date,amount,payer_inn,payer_kpp,payer_name,purpose,reference`.
    Csv,
}

/// One payment in a statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementDocument {
    /// Line of its `СекцияДокумент=` (1C) or of its row (CSV).
    pub line: usize,
    /// Document number (`Номер`); in CSV the reference, else the row's line number.
    pub number: String,
    /// Document date (`Дата`).
    pub date: NaiveDate,
    /// Amount (`Сумма`): positive, with exactly two decimals.
    pub amount: Decimal,
    /// Date the money moved: `ДатаПоступило`, else `ДатаСписано`, else `Дата`.
    pub value_date: NaiveDate,
    /// Payer's INN (`ПлательщикИНН`): 10 or 12 digits, or empty when the bank gave none.
    pub payer_inn: String,
    /// Payer's KPP (`ПлательщикКПП`); `None` when empty or "0".
    pub payer_kpp: Option<String>,
    /// Payer's name: `Плательщик1`, else `Плательщик` without a leading "ИНН nnnn ".
    pub payer_name: String,
    /// Payer's account (`ПлательщикСчет`, else `ПлательщикРасчСчет`).
    pub payer_account: Option<String>,
    /// BIC of the payer's bank (`ПлательщикБИК`).
    pub payer_bic: Option<String>,
    /// Recipient's INN (`ПолучательИНН`): 10 or 12 digits, or empty (CSV; a private person).
    pub recipient_inn: String,
    /// Recipient's account (`ПолучательСчет`, else `ПолучательРасчСчет`).
    pub recipient_account: Option<String>,
    /// Purpose of payment (`НазначениеПлатежа`, with its continuation lines).
    pub purpose: String,
    /// Deduplication key: the same payment seen in two overlapping files gets the same one.
    pub bank_reference: String,
}

/// A parsed statement file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// The format it was read from.
    pub format: Format,
    /// Our account (`РасчСчет` of the 1C header); `None` in CSV.
    pub account: Option<String>,
    /// The documents, in file order.
    pub documents: Vec<StatementDocument>,
}

/// Which way a document moves money, seen from our company.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Paid to us.
    Incoming,
    /// Paid by us (including bank fees and transfers between our own accounts).
    Outgoing,
    /// Neither party is us.
    Foreign,
}

/// Classifies a document by INN: `Outgoing` when we pay, `Incoming` when we are paid — or when the
/// recipient is unknown (CSV rows) and the payer is not us — else `Foreign`. An empty `our_inn`
/// matches nothing.
pub fn classify(doc: &StatementDocument, our_inn: &str) -> Direction {
    let is_ours = |inn: &str| !inn.is_empty() && inn == our_inn;
    if is_ours(&doc.payer_inn) {
        Direction::Outgoing
    } else if is_ours(&doc.recipient_inn)
        || (doc.recipient_inn.is_empty() && doc.recipient_account.is_none())
    {
        Direction::Incoming
    } else {
        Direction::Foreign
    }
}

/// Turns file bytes into text: strips a UTF-8 BOM and keeps valid UTF-8 as it is; anything else is
/// windows-1251, or IBM866 when a 1C header says `Кодировка=DOS`. A trailing DOS end-of-file mark
/// (Ctrl-Z) is dropped. Rejects NUL and other control bytes ("not a text file") and input over
/// [`MAX_INPUT_BYTES`], both on line 0. It does not check the format: [`parse`] does.
pub fn decode(bytes: &[u8]) -> Result<String, ParseError> {
    check_size(bytes.len())?;
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if bytes.iter().copied().any(is_binary_byte) {
        return Err(ParseError::new(0, "not a text file"));
    }
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text.trim_end_matches('\u{1A}').to_owned(),
        Err(_) => {
            let encoding = if declares_dos_encoding(bytes) {
                IBM866
            } else {
                WINDOWS_1251
            };
            // Both are single-byte encodings that map every byte, so nothing is replaced.
            let (text, _had_errors) = encoding.decode_without_bom_handling(bytes);
            text.trim_end_matches('\u{1A}').to_owned()
        }
    };
    Ok(text)
}

/// Decodes (see [`decode`]) and parses a statement, 1C when its first non-empty line is
/// `1CClientBankExchange`, CSV when it is the CSV header.
pub fn parse(bytes: &[u8]) -> Result<Statement, ParseError> {
    let text = decode(bytes)?;
    // `decode` bounded the bytes; the text may be longer (cp1251 Cyrillic doubles in UTF-8).
    let (line, first) = first_line(&text)?;
    if first == EXCHANGE_MARKER {
        parse_1c_text(&text)
    } else if csv_separator(first).is_some() {
        parse_csv_text(&text)
    } else {
        Err(ParseError::new(
            line,
            format!(
                "not a bank statement: expected {EXCHANGE_MARKER} or the CSV header {}",
                CSV_COLUMNS.join(",")
            ),
        ))
    }
}

/// Parses `1CClientBankExchange` text: `Key=Value` lines; the header up to the first section (its
/// `РасчСчет` is [`Statement::account`]); `СекцияРасчСчет … КонецРасчСчет`, skipped; and
/// `СекцияДокумент=<kind> … КонецДокумента`, one [`StatementDocument`] each whatever the kind; up
/// to `КонецФайла` or the end of the text. A document needs `Номер`, `Дата`, `Сумма`,
/// `ПолучательИНН` and `ПлательщикИНН`; unknown keys are ignored and of a repeated key the last
/// counts. An error names the offending line, or the section's line for a missing key or a
/// section left open. Text over [`MAX_INPUT_BYTES`] is refused.
pub fn parse_1c(text: &str) -> Result<Statement, ParseError> {
    check_size(text.len())?;
    parse_1c_text(text)
}

/// Parses our CSV format: the header `date,amount,payer_inn,payer_kpp,payer_name,purpose,reference`
/// (any case; `;` may stand for `,`), then one payment per line, RFC 4180 quoting, a quoted field
/// not spanning lines. `date` is YYYY-MM-DD or dd.mm.yyyy; `payer_kpp` and `reference` may be
/// empty — without a reference the bank reference is derived from the row's INN, date, amount and
/// purpose. Blank lines are skipped. Text over [`MAX_INPUT_BYTES`] is refused.
pub fn parse_csv(text: &str) -> Result<Statement, ParseError> {
    check_size(text.len())?;
    parse_csv_text(text)
}

fn check_size(len: usize) -> Result<(), ParseError> {
    if len > MAX_INPUT_BYTES {
        return Err(ParseError::new(0, "the file is larger than 64 MiB"));
    }
    Ok(())
}

fn too_many_documents() -> ParseError {
    ParseError::new(0, format!("more than {MAX_DOCUMENTS} documents"))
}

/// Control bytes that no statement contains: all below 0x20 but tab, line ends, vertical tab,
/// form feed and Ctrl-Z.
fn is_binary_byte(byte: u8) -> bool {
    byte < 0x20 && !matches!(byte, b'\t' | b'\n' | 0x0B | 0x0C | b'\r' | 0x1A)
}

/// Whether raw (non-UTF-8) 1C bytes declare `Кодировка=DOS` in their header. The key is looked
/// for in both single-byte encodings; the header ends at the first section.
fn declares_dos_encoding(bytes: &[u8]) -> bool {
    let mut lines = bytes
        .split(|&b| b == b'\n')
        .map(<[u8]>::trim_ascii)
        .filter(|line| !line.is_empty());
    if lines.next() != Some(EXCHANGE_MARKER.as_bytes()) {
        return false;
    }
    let (key_dos, _, _) = IBM866.encode("Кодировка");
    let (key_windows, _, _) = WINDOWS_1251.encode("Кодировка");
    let (section_dos, _, _) = IBM866.encode("Секция");
    let (section_windows, _, _) = WINDOWS_1251.encode("Секция");
    for line in lines {
        if line.starts_with(&section_dos) || line.starts_with(&section_windows) {
            return false;
        }
        let mut parts = line.splitn(2, |&b| b == b'=');
        let (Some(key), Some(value)) = (parts.next(), parts.next()) else {
            continue;
        };
        let key = key.trim_ascii();
        if key == &*key_dos {
            return value.trim_ascii().eq_ignore_ascii_case(b"DOS");
        }
        if key == &*key_windows {
            return false;
        }
    }
    false
}

/// Lines with 1-based numbers, a leading BOM dropped; `\r\n` and `\n` both end a line.
fn numbered_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    text.lines().enumerate().map(|(i, line)| (i + 1, line))
}

/// The first non-empty line, trimmed, with its number.
fn first_line(text: &str) -> Result<(usize, &str), ParseError> {
    numbered_lines(text)
        .map(|(n, line)| (n, line.trim()))
        .find(|(_, line)| !line.is_empty())
        .ok_or_else(|| ParseError::new(0, "the file is empty"))
}

/// At most 40 characters of `text`, for error messages.
fn excerpt(text: &str) -> String {
    let mut chars = text.chars();
    let mut out: String = chars.by_ref().take(40).collect();
    if chars.next().is_some() {
        out.push('…');
    }
    out
}

fn non_empty(value: &str) -> Option<String> {
    (!value.is_empty()).then(|| value.to_owned())
}

fn kpp(value: &str) -> Option<String> {
    non_empty(value).filter(|kpp| kpp != "0")
}

/// A run of ASCII digits as a number; `None` when empty, not all digits, or too large.
fn digits_value(digits: &[u8]) -> Option<i64> {
    if digits.is_empty() {
        return None;
    }
    digits.iter().try_fold(0i64, |acc, &b| {
        let digit = char::from(b).to_digit(10)?;
        acc.checked_mul(10)?.checked_add(i64::from(digit))
    })
}

fn ymd(year: &[u8], month: &[u8], day: &[u8]) -> Option<NaiveDate> {
    let year = i32::try_from(digits_value(year)?).ok()?;
    let month = u32::try_from(digits_value(month)?).ok()?;
    let day = u32::try_from(digits_value(day)?).ok()?;
    NaiveDate::from_ymd_opt(year, month, day)
}

/// `dd.mm.yyyy`, a real calendar date.
fn parse_dmy(value: &str) -> Option<NaiveDate> {
    match *value.as_bytes() {
        [d1, d2, b'.', m1, m2, b'.', y1, y2, y3, y4] => {
            ymd(&[y1, y2, y3, y4], &[m1, m2], &[d1, d2])
        }
        _ => None,
    }
}

/// `yyyy-mm-dd`, a real calendar date.
fn parse_iso_date(value: &str) -> Option<NaiveDate> {
    match *value.as_bytes() {
        [y1, y2, y3, y4, b'-', m1, m2, b'-', d1, d2] => {
            ymd(&[y1, y2, y3, y4], &[m1, m2], &[d1, d2])
        }
        _ => None,
    }
}

/// A positive amount of at most 999 999 999 999.99 with '.' or ',' before at most two decimals,
/// rescaled to two decimals.
fn parse_amount(value: &str) -> Result<Decimal, String> {
    let shown = excerpt(value);
    if value.starts_with('-') {
        return Err(format!("amount must be positive, got '{shown}'"));
    }
    let (units, decimals) = value.split_once(['.', ',']).unwrap_or((value, "00"));
    let is_number = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !is_number(units) || !is_number(decimals) {
        return Err(format!("invalid amount '{shown}'"));
    }
    let scale = match decimals.len() {
        1 => 10,
        2 => 1,
        _ => return Err(format!("amount has more than 2 decimals: '{shown}'")),
    };
    let kopecks = digits_value(units.as_bytes())
        .and_then(|units| units.checked_mul(100))
        .zip(digits_value(decimals.as_bytes()))
        .and_then(|(units, cents)| units.checked_add(cents * scale))
        .filter(|&kopecks| kopecks <= MAX_AMOUNT_KOPECKS)
        .ok_or_else(|| format!("amount is over 999999999999.99: '{shown}'"))?;
    if kopecks == 0 {
        return Err(format!("amount must be positive, got '{shown}'"));
    }
    Ok(Decimal::new(kopecks, 2))
}

/// An INN of 10 or 12 digits; with `allow_missing`, "" and "0" give an empty INN.
fn parse_inn(name: &str, value: &str, allow_missing: bool) -> Result<String, String> {
    if allow_missing && (value.is_empty() || value == "0") {
        return Ok(String::new());
    }
    if matches!(value.len(), 10 | 12) && value.bytes().all(|b| b.is_ascii_digit()) {
        Ok(value.to_owned())
    } else {
        Err(format!(
            "{name} must have 10 or 12 digits, got '{}'",
            excerpt(value)
        ))
    }
}

/// `Плательщик` often reads "ИНН 7702089154 ООО "Вектор""; the name is what follows the INN.
fn strip_inn_prefix(name: &str) -> &str {
    let Some(rest) = name.strip_prefix("ИНН") else {
        return name;
    };
    let number = rest.trim_start();
    let tail = number.trim_start_matches(|c: char| c.is_ascii_digit());
    let spaced = number.len() < rest.len() && tail.starts_with(char::is_whitespace);
    if spaced && tail.len() < number.len() {
        tail.trim_start()
    } else {
        name
    }
}

/// `НазначениеПлатежа` holds the purpose on one line and `НазначениеПлатежа1..6` the same text cut
/// into lines — banks send either or both. Lines that only repeat the one-line text are dropped;
/// others are joined to it with spaces.
fn join_purpose(full: &str, lines: &[&str]) -> String {
    let without_spaces = |s: &str| s.chars().filter(|c| !c.is_whitespace()).collect::<String>();
    let continuation = lines.join(" ");
    if continuation.is_empty() {
        full.to_owned()
    } else if full.is_empty() {
        continuation
    } else if without_spaces(full).contains(&without_spaces(&continuation)) {
        full.to_owned()
    } else {
        format!("{full} {continuation}")
    }
}

/// The purpose cut into lines, in order.
const PURPOSE_LINE_KEYS: [&str; 6] = [
    "НазначениеПлатежа1",
    "НазначениеПлатежа2",
    "НазначениеПлатежа3",
    "НазначениеПлатежа4",
    "НазначениеПлатежа5",
    "НазначениеПлатежа6",
];

/// Section markers of the 1C format; a value after `=` (the document kind) is ignored.
enum Marker {
    Document,
    AccountSection,
    EndDocument,
    EndAccountSection,
    EndFile,
    Exchange,
}

impl Marker {
    fn of(key: &str) -> Option<Marker> {
        Some(match key {
            "СекцияДокумент" => Marker::Document,
            "СекцияРасчСчет" => Marker::AccountSection,
            "КонецДокумента" => Marker::EndDocument,
            "КонецРасчСчет" => Marker::EndAccountSection,
            "КонецФайла" => Marker::EndFile,
            EXCHANGE_MARKER => Marker::Exchange,
            _ => return None,
        })
    }
}

/// Where the 1C parser is.
enum Section<'a> {
    /// Before the first section: the file header.
    Header,
    /// Between sections.
    Outside,
    /// Inside `СекцияРасчСчет`, opened on that line; its balances are not needed.
    Account(usize),
    /// Inside `СекцияДокумент`.
    Document(DocumentFields<'a>),
}

impl Section<'_> {
    /// Fails on `line` when a section is still open there.
    fn ensure_closed(&self, line: usize) -> Result<(), ParseError> {
        match self.open_since() {
            Some(opened) => Err(ParseError::new(
                line,
                format!("section opened at line {opened} is not closed"),
            )),
            None => Ok(()),
        }
    }

    fn open_since(&self) -> Option<usize> {
        match self {
            Section::Header | Section::Outside => None,
            Section::Account(opened) => Some(*opened),
            Section::Document(doc) => Some(doc.opened),
        }
    }
}

#[derive(Clone, Copy)]
struct Field<'a> {
    value: &'a str,
    line: usize,
}

/// The `Key=Value` lines of one `СекцияДокумент`.
struct DocumentFields<'a> {
    opened: usize,
    fields: HashMap<&'a str, Field<'a>>,
}

impl<'a> DocumentFields<'a> {
    fn new(opened: usize) -> Self {
        DocumentFields {
            opened,
            fields: HashMap::new(),
        }
    }

    fn field(&self, key: &str) -> Option<Field<'a>> {
        self.fields.get(key).copied()
    }

    fn value(&self, key: &str) -> &'a str {
        self.field(key).map_or("", |field| field.value)
    }

    fn required(&self, key: &str) -> Result<Field<'a>, ParseError> {
        self.field(key)
            .ok_or_else(|| ParseError::new(self.opened, format!("document has no {key}")))
    }

    /// A required field that must not be empty either.
    fn filled(&self, key: &str) -> Result<Field<'a>, ParseError> {
        let field = self.required(key)?;
        if field.value.is_empty() {
            return Err(ParseError::new(field.line, format!("{key} is empty")));
        }
        Ok(field)
    }

    fn date(field: Field<'_>, key: &str) -> Result<NaiveDate, ParseError> {
        parse_dmy(field.value).ok_or_else(|| {
            ParseError::new(
                field.line,
                format!(
                    "{key} must be a date dd.mm.yyyy, got '{}'",
                    excerpt(field.value)
                ),
            )
        })
    }

    fn optional_date(&self, key: &str) -> Result<Option<NaiveDate>, ParseError> {
        match self.field(key) {
            Some(field) if !field.value.is_empty() => Self::date(field, key).map(Some),
            _ => Ok(None),
        }
    }

    fn inn(&self, key: &str, allow_missing: bool) -> Result<String, ParseError> {
        let field = self.required(key)?;
        parse_inn(key, field.value, allow_missing).map_err(|m| ParseError::new(field.line, m))
    }

    /// The first non-empty of `keys`.
    fn either(&self, keys: &[&str]) -> Option<String> {
        keys.iter().find_map(|key| non_empty(self.value(key)))
    }

    fn finish(&self) -> Result<StatementDocument, ParseError> {
        let number = self.filled("Номер")?.value.to_owned();
        let date = Self::date(self.filled("Дата")?, "Дата")?;
        let amount_field = self.filled("Сумма")?;
        let amount =
            parse_amount(amount_field.value).map_err(|m| ParseError::new(amount_field.line, m))?;
        let recipient_inn = self.inn("ПолучательИНН", true)?;
        let payer_inn = self.inn("ПлательщикИНН", true)?;
        let received = self.optional_date("ДатаПоступило")?;
        let debited = self.optional_date("ДатаСписано")?;
        let payer_name = match self.value("Плательщик1") {
            "" => strip_inn_prefix(self.value("Плательщик")),
            name => name,
        };
        let purpose_lines: Vec<&str> = PURPOSE_LINE_KEYS
            .iter()
            .map(|key| self.value(key))
            .filter(|line| !line.is_empty())
            .collect();
        let payer_bic = non_empty(self.value("ПлательщикБИК"));
        let payer_account = self.either(&["ПлательщикСчет", "ПлательщикРасчСчет"]);
        let bank_reference = format!(
            "1c:{}:{}:{number}:{date}:{amount}",
            payer_bic.as_deref().unwrap_or(""),
            payer_account.as_deref().unwrap_or(""),
        );
        Ok(StatementDocument {
            line: self.opened,
            number,
            date,
            amount,
            value_date: received.or(debited).unwrap_or(date),
            payer_inn,
            payer_kpp: kpp(self.value("ПлательщикКПП")),
            payer_name: payer_name.to_owned(),
            payer_account,
            payer_bic,
            recipient_inn,
            recipient_account: self.either(&["ПолучательСчет", "ПолучательРасчСчет"]),
            purpose: join_purpose(self.value("НазначениеПлатежа"), &purpose_lines),
            bank_reference,
        })
    }
}

fn parse_1c_text(text: &str) -> Result<Statement, ParseError> {
    let (marker_line, marker) = first_line(text)?;
    if marker != EXCHANGE_MARKER {
        return Err(ParseError::new(
            marker_line,
            format!("expected {EXCHANGE_MARKER} as the first line"),
        ));
    }
    let mut account = None;
    let mut documents = Vec::new();
    let mut section = Section::Header;
    let lines = numbered_lines(text)
        .skip(marker_line)
        .map(|(n, line)| (n, line.trim()))
        .filter(|(_, line)| !line.is_empty());
    for (n, line) in lines {
        let (key, value) = match line.split_once('=') {
            Some((key, value)) => (key.trim(), Some(value.trim())),
            None => (line, None),
        };
        match Marker::of(key) {
            Some(Marker::Document) => {
                section.ensure_closed(n)?;
                section = Section::Document(DocumentFields::new(n));
            }
            Some(Marker::AccountSection) => {
                section.ensure_closed(n)?;
                section = Section::Account(n);
            }
            Some(Marker::EndDocument) => match std::mem::replace(&mut section, Section::Outside) {
                Section::Document(doc) => {
                    if documents.len() >= MAX_DOCUMENTS {
                        return Err(too_many_documents());
                    }
                    documents.push(doc.finish()?);
                }
                _ => return Err(ParseError::new(n, "КонецДокумента without СекцияДокумент")),
            },
            Some(Marker::EndAccountSection) => match section {
                Section::Account(_) => section = Section::Outside,
                _ => return Err(ParseError::new(n, "КонецРасчСчет without СекцияРасчСчет")),
            },
            Some(Marker::EndFile) => {
                section.ensure_closed(n)?;
                // Whatever follows КонецФайла is not part of the statement.
                return Ok(Statement {
                    format: Format::OneC,
                    account,
                    documents,
                });
            }
            Some(Marker::Exchange) => {
                return Err(ParseError::new(
                    n,
                    format!("{EXCHANGE_MARKER} may only be the first line"),
                ));
            }
            None => {
                let Some(value) = value else {
                    return Err(ParseError::new(
                        n,
                        format!("expected Key=Value, got '{}'", excerpt(line)),
                    ));
                };
                match &mut section {
                    Section::Header if key == "РасчСчет" && account.is_none() => {
                        account = non_empty(value);
                    }
                    Section::Document(doc) => {
                        doc.fields.insert(key, Field { value, line: n });
                    }
                    _ => {}
                }
            }
        }
    }
    if let Some(opened) = section.open_since() {
        return Err(ParseError::new(
            opened,
            format!("the file is truncated: section opened at line {opened} is not closed"),
        ));
    }
    Ok(Statement {
        format: Format::OneC,
        account,
        documents,
    })
}

/// The separator of a CSV header line, if it is one.
fn csv_separator(header: &str) -> Option<char> {
    [',', ';'].into_iter().find(|&separator| {
        split_csv_record(header, separator).is_ok_and(|cells| {
            cells.len() == CSV_COLUMNS.len()
                && cells
                    .iter()
                    .zip(CSV_COLUMNS)
                    .all(|(cell, column)| cell.trim().eq_ignore_ascii_case(column))
        })
    })
}

/// Splits one CSV line (RFC 4180 quoting, `""` for a quote). A quoted field cannot span lines.
fn split_csv_record(line: &str, separator: char) -> Result<Vec<String>, String> {
    let mut fields = Vec::new();
    let mut chars = line.chars().peekable();
    loop {
        let mut field = String::new();
        while let Some(c) = chars.next_if(|&c| c == ' ' || c == '\t') {
            field.push(c);
        }
        if chars.next_if_eq(&'"').is_some() {
            field.clear();
            loop {
                match chars.next() {
                    Some('"') if chars.next_if_eq(&'"').is_some() => field.push('"'),
                    Some('"') => break,
                    Some(c) => field.push(c),
                    None => {
                        return Err(
                            "unterminated quoted field (a quoted field cannot span lines)"
                                .to_owned(),
                        )
                    }
                }
            }
            while chars.next_if(|&c| c == ' ' || c == '\t').is_some() {}
            match chars.next() {
                None => {
                    fields.push(field);
                    return Ok(fields);
                }
                Some(c) if c == separator => fields.push(field),
                Some(c) => return Err(format!("unexpected '{c}' after a closing quote")),
            }
        } else {
            loop {
                match chars.next() {
                    None => {
                        fields.push(field);
                        return Ok(fields);
                    }
                    Some(c) if c == separator => break,
                    Some(c) => field.push(c),
                }
            }
            fields.push(field);
        }
    }
}

fn parse_csv_text(text: &str) -> Result<Statement, ParseError> {
    let (header_line, header) = first_line(text)?;
    let separator = csv_separator(header).ok_or_else(|| {
        ParseError::new(
            header_line,
            format!("expected the CSV header {}", CSV_COLUMNS.join(",")),
        )
    })?;
    let mut documents = Vec::new();
    let rows = numbered_lines(text)
        .skip(header_line)
        .filter(|(_, line)| !line.trim().is_empty());
    for (n, line) in rows {
        if documents.len() >= MAX_DOCUMENTS {
            return Err(too_many_documents());
        }
        let cells = split_csv_record(line, separator).map_err(|m| ParseError::new(n, m))?;
        let row = <[String; 7]>::try_from(cells).map_err(|cells| {
            ParseError::new(
                n,
                format!(
                    "expected {} columns, found {}",
                    CSV_COLUMNS.len(),
                    cells.len()
                ),
            )
        })?;
        documents.push(csv_document(n, row.each_ref().map(|cell| cell.trim()))?);
    }
    Ok(Statement {
        format: Format::Csv,
        account: None,
        documents,
    })
}

fn csv_document(line: usize, row: [&str; 7]) -> Result<StatementDocument, ParseError> {
    let [date, amount, payer_inn, payer_kpp, payer_name, purpose, reference] = row;
    let error = |message: String| ParseError::new(line, message);
    let date = parse_iso_date(date)
        .or_else(|| parse_dmy(date))
        .ok_or_else(|| {
            error(format!(
                "date must be YYYY-MM-DD or dd.mm.yyyy, got '{}'",
                excerpt(date)
            ))
        })?;
    let amount = parse_amount(amount).map_err(error)?;
    let payer_inn = parse_inn("payer_inn", payer_inn, true).map_err(error)?;
    if reference.chars().count() > MAX_REFERENCE_CHARS {
        return Err(error(format!(
            "reference is longer than {MAX_REFERENCE_CHARS} characters"
        )));
    }
    let (number, bank_reference) = if reference.is_empty() {
        let derived = format!("csv:{payer_inn}:{date}:{amount}:{purpose}");
        (
            line.to_string(),
            derived.chars().take(MAX_REFERENCE_CHARS).collect(),
        )
    } else {
        (reference.to_owned(), reference.to_owned())
    };
    Ok(StatementDocument {
        line,
        number,
        date,
        amount,
        value_date: date,
        payer_inn,
        payer_kpp: kpp(payer_kpp),
        payer_name: payer_name.to_owned(),
        payer_account: None,
        payer_bic: None,
        recipient_inn: String::new(),
        recipient_account: None,
        purpose: purpose.to_owned(),
        bank_reference,
    })
}

#[cfg(test)]
#[allow(
    clippy::indexing_slicing,
    clippy::string_slice,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use proptest::sample::Index;
    use std::str::FromStr;

    const UTF8: &[u8] = include_bytes!("../../tests/fixtures/statement-1c-utf8.txt");
    const CP1251: &[u8] = include_bytes!("../../tests/fixtures/statement-1c-cp1251.txt");
    const OUR_INN: &str = "7801000005";
    const CSV_HEADER: &str = "date,amount,payer_inn,payer_kpp,payer_name,purpose,reference";

    fn sample() -> String {
        String::from_utf8(UTF8.to_vec()).unwrap()
    }

    fn dec(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    /// The sample with its 1-based line `n` replaced by `with` (none: removed).
    fn edit_line(n: usize, with: Option<&str>) -> String {
        let text = sample();
        let mut lines: Vec<&str> = text.split("\r\n").collect();
        match with {
            Some(line) => lines[n - 1] = line,
            None => {
                lines.remove(n - 1);
            }
        }
        lines.join("\r\n")
    }

    fn error_of(text: &str) -> ParseError {
        parse(text.as_bytes()).unwrap_err()
    }

    /// A statement around the given document lines (one document).
    fn one_document(lines: &[&str]) -> String {
        let mut text = String::from(
            "1CClientBankExchange\nВерсияФормата=1.03\nСекцияДокумент=Банковский ордер\n",
        );
        for line in lines {
            text.push_str(line);
            text.push('\n');
        }
        text.push_str("КонецДокумента\nКонецФайла\n");
        text
    }

    const REQUIRED: [&str; 5] = [
        "Номер=7",
        "Дата=03.12.2026",
        "Сумма=10.5",
        "ПлательщикИНН=7702089154",
        "ПолучательИНН=7801000005",
    ];

    fn document_with(extra: &[&str]) -> StatementDocument {
        let lines: Vec<&str> = REQUIRED.iter().chain(extra).copied().collect();
        let statement = parse(one_document(&lines).as_bytes()).unwrap();
        assert_eq!(statement.documents.len(), 1);
        statement.documents.into_iter().next().unwrap()
    }

    #[test]
    fn samples_parse_to_the_same_four_documents() {
        let utf8 = parse(UTF8).unwrap();
        let cp1251 = parse(CP1251).unwrap();
        assert_eq!(utf8.documents.len(), 4);
        assert_eq!(utf8, cp1251);
        assert_eq!(utf8.format, Format::OneC);
        assert_eq!(utf8.account.as_deref(), Some("40702810900000012345"));
        assert_eq!(parse_1c(&sample()).unwrap(), utf8);
        assert_eq!(decode(CP1251).unwrap(), sample());
    }

    #[test]
    fn sample_documents_carry_their_fields() {
        let docs = parse(UTF8).unwrap().documents;
        let lines: Vec<usize> = docs.iter().map(|d| d.line).collect();
        assert_eq!(lines, [21, 52, 83, 114]);
        let first = &docs[0];
        assert_eq!(first.number, "512");
        assert_eq!(first.date, date(2026, 12, 1));
        assert_eq!(first.amount.to_string(), "125400.00");
        assert_eq!(first.value_date, date(2026, 12, 1));
        assert_eq!(first.payer_inn, "7702089154");
        assert_eq!(first.payer_kpp.as_deref(), Some("770201001"));
        assert_eq!(first.payer_name, "ООО \"Вектор\"");
        assert_eq!(first.payer_account.as_deref(), Some("40702810500000054321"));
        assert_eq!(first.payer_bic.as_deref(), Some("044525225"));
        assert_eq!(first.recipient_inn, OUR_INN);
        assert_eq!(
            first.recipient_account.as_deref(),
            Some("40702810900000012345")
        );
        assert!(first.purpose.contains("2026-000123"), "{}", first.purpose);
        assert!(first.purpose.starts_with("Оплата по счету № 2026-000123"));
        assert_eq!(
            first.bank_reference,
            "1c:044525225:40702810500000054321:512:2026-12-01:125400.00"
        );
        let fee = &docs[3];
        assert_eq!(fee.payer_inn, OUR_INN);
        assert_eq!(fee.recipient_inn, "7707083893");
        assert_eq!(fee.value_date, date(2026, 12, 2));
    }

    #[test]
    fn classify_sample_for_our_inn() {
        let docs = parse(UTF8).unwrap().documents;
        let incoming: Vec<String> = docs
            .iter()
            .filter(|d| classify(d, OUR_INN) == Direction::Incoming)
            .map(|d| d.amount.to_string())
            .collect();
        assert_eq!(incoming, ["125400.00", "96000.00", "80000.00"]);
        let outgoing: Vec<&StatementDocument> = docs
            .iter()
            .filter(|d| classify(d, OUR_INN) == Direction::Outgoing)
            .collect();
        assert_eq!(outgoing.len(), 1);
        assert_eq!(outgoing[0].amount, dec("48000.00"));
    }

    #[test]
    fn classify_foreign_and_unknown_recipient() {
        let mut doc = parse(UTF8).unwrap().documents.remove(0);
        assert_eq!(classify(&doc, "5027012348"), Direction::Foreign);
        assert_eq!(classify(&doc, "7702089154"), Direction::Outgoing);
        assert_eq!(classify(&doc, ""), Direction::Foreign);
        doc.recipient_inn.clear();
        // An empty recipient INN with an account is someone else (a private person)...
        assert_eq!(classify(&doc, OUR_INN), Direction::Foreign);
        // ...without one it is a CSV row, addressed to us.
        doc.recipient_account = None;
        assert_eq!(classify(&doc, OUR_INN), Direction::Incoming);
        doc.payer_inn = OUR_INN.to_owned();
        assert_eq!(classify(&doc, OUR_INN), Direction::Outgoing);
    }

    #[test]
    fn dos_encoding_is_honoured() {
        let text = sample().replace("Кодировка=Windows", "Кодировка=DOS");
        let (bytes, _, unmappable) = IBM866.encode(&text);
        assert!(!unmappable);
        assert_eq!(decode(&bytes).unwrap(), text);
        assert_eq!(parse(&bytes).unwrap(), parse(UTF8).unwrap());
        // The same bytes without the declaration are read as windows-1251, and are gibberish.
        let undeclared = IBM866.encode(&sample()).0.into_owned();
        assert_ne!(decode(&undeclared).unwrap(), sample());
    }

    #[test]
    fn bom_lf_and_dos_end_of_file_are_accepted() {
        let expected = parse(UTF8).unwrap();
        let mut with_bom = b"\xEF\xBB\xBF".to_vec();
        with_bom.extend_from_slice(UTF8);
        assert_eq!(parse(&with_bom).unwrap(), expected);
        let lf = sample().replace("\r\n", "\n");
        assert_eq!(parse(lf.as_bytes()).unwrap(), expected);
        let mut with_eof = CP1251.to_vec();
        with_eof.push(0x1A);
        assert_eq!(parse(&with_eof).unwrap(), expected);
        assert_eq!(
            parse_1c(&format!("\u{FEFF}{}", sample())).unwrap(),
            expected
        );
    }

    #[test]
    fn bank_reference_is_stable_across_overlapping_files() {
        // The next day's file starts with the last two documents of this one.
        let text = sample();
        let lines: Vec<&str> = text.split("\r\n").collect();
        let mut next_day = lines[..11].to_vec();
        next_day[7] = "ДатаНачала=02.12.2026";
        next_day.extend_from_slice(&lines[82..]);
        let next_day = parse(next_day.join("\r\n").as_bytes()).unwrap();
        let today = parse(UTF8).unwrap();
        assert_eq!(next_day.documents.len(), 2);
        let refs = |s: &Statement| -> Vec<String> {
            s.documents
                .iter()
                .map(|d| d.bank_reference.clone())
                .collect()
        };
        assert_eq!(refs(&next_day), refs(&today)[2..]);
        let mut all = refs(&today);
        all.sort();
        all.dedup();
        assert_eq!(all.len(), 4);
    }

    #[test]
    fn minimal_document_and_its_defaults() {
        let doc = document_with(&[]);
        assert_eq!(doc.line, 3);
        assert_eq!(doc.number, "7");
        assert_eq!(doc.amount.to_string(), "10.50");
        assert_eq!(doc.value_date, date(2026, 12, 3));
        assert_eq!(doc.payer_kpp, None);
        assert_eq!(doc.payer_name, "");
        assert_eq!(doc.payer_account, None);
        assert_eq!(doc.payer_bic, None);
        assert_eq!(doc.recipient_account, None);
        assert_eq!(doc.purpose, "");
        assert_eq!(doc.bank_reference, "1c:::7:2026-12-03:10.50");
    }

    #[test]
    fn value_date_falls_back_from_receipt_to_debit_to_document_date() {
        let received = ["ДатаСписано=04.12.2026", "ДатаПоступило=05.12.2026"];
        assert_eq!(document_with(&received).value_date, date(2026, 12, 5));
        let debited = ["ДатаСписано=04.12.2026", "ДатаПоступило="];
        assert_eq!(document_with(&debited).value_date, date(2026, 12, 4));
    }

    #[test]
    fn payer_fields_fall_back_and_normalise() {
        let doc = document_with(&[
            "Плательщик=ИНН 7702089154 ООО \"Вектор\"",
            "ПлательщикКПП=0",
            "ПлательщикРасчСчет=40702810500000054321",
            "ПолучательРасчСчет=40702810900000012345",
            "НеизвестныйКлюч=что угодно",
        ]);
        assert_eq!(doc.payer_name, "ООО \"Вектор\"");
        assert_eq!(doc.payer_kpp, None);
        assert_eq!(doc.payer_account.as_deref(), Some("40702810500000054321"));
        assert_eq!(
            doc.recipient_account.as_deref(),
            Some("40702810900000012345")
        );
        assert_eq!(
            document_with(&["Плательщик=ИП Иванов"]).payer_name,
            "ИП Иванов"
        );
        assert_eq!(
            document_with(&["Плательщик=ИНН 7702089154"]).payer_name,
            "ИНН 7702089154"
        );
        for inn in ["ПлательщикИНН=", "ПлательщикИНН=0"] {
            assert_eq!(document_with(&[inn]).payer_inn, "", "{inn}");
        }
    }

    #[test]
    fn repeated_key_last_wins_and_values_are_trimmed() {
        let doc = document_with(&["Номер=8", "  Сумма = 12,3  "]);
        assert_eq!(doc.number, "8");
        assert_eq!(doc.amount, dec("12.30"));
    }

    #[test]
    fn purpose_lines_are_joined_without_repeating() {
        let purpose = |lines: &[&str]| document_with(lines).purpose;
        assert_eq!(
            purpose(&[
                "НазначениеПлатежа1=Оплата по сч. 2026-",
                "НазначениеПлатежа2=000123 от 28.11.2026"
            ]),
            "Оплата по сч. 2026- 000123 от 28.11.2026"
        );
        assert_eq!(
            purpose(&[
                "НазначениеПлатежа=Оплата по сч. 2026-000123. Без НДС",
                "НазначениеПлатежа1=Оплата по сч. 2026-",
                "НазначениеПлатежа2=000123. Без НДС",
            ]),
            "Оплата по сч. 2026-000123. Без НДС"
        );
        assert_eq!(
            purpose(&[
                "НазначениеПлатежа=Оплата по сч. 5",
                "НазначениеПлатежа3=В т.ч. НДС 20%"
            ]),
            "Оплата по сч. 5 В т.ч. НДС 20%"
        );
    }

    #[test]
    fn end_of_file_stops_parsing_and_is_optional() {
        let trailing = format!("{}\r\nмусор без знака равенства\r\n", sample());
        assert_eq!(parse(trailing.as_bytes()).unwrap().documents.len(), 4);
        let without_end = edit_line(145, None);
        assert_eq!(parse(without_end.as_bytes()).unwrap().documents.len(), 4);
        let empty = "1CClientBankExchange\r\nВерсияФормата=1.03\r\nКонецФайла\r\n";
        let statement = parse(empty.as_bytes()).unwrap();
        assert!(statement.documents.is_empty());
        assert_eq!(statement.account, None);
    }

    #[test]
    fn truncated_file_points_at_the_open_section() {
        let text = sample();
        let cut: Vec<&str> = text.split("\r\n").take(60).collect();
        let error = error_of(&cut.join("\r\n"));
        assert_eq!(error.line, 52);
        assert!(
            error
                .message
                .contains("section opened at line 52 is not closed"),
            "{error}"
        );
        let cut_in_account = &text[..text.find("КонецРасчСчет").unwrap()];
        assert_eq!(error_of(cut_in_account).line, 12);
        let unclosed_before_end = edit_line(144, None);
        let error = error_of(&unclosed_before_end);
        assert_eq!(
            (error.line, error.message.as_str()),
            (144, "section opened at line 114 is not closed")
        );
    }

    #[test]
    fn nested_document_section_is_rejected() {
        let error = error_of(&edit_line(51, Some("")));
        assert_eq!(error.line, 52);
        assert_eq!(error.message, "section opened at line 21 is not closed");
        let error = error_of(&edit_line(20, Some("")));
        assert_eq!(error.line, 21);
        assert_eq!(error.message, "section opened at line 12 is not closed");
    }

    #[test]
    fn bad_dates_are_rejected_on_their_line() {
        for bad in [
            "31.11.2026",
            "1.12.2026",
            "2026-12-01",
            "01.12.26",
            "01.13.2026",
            "аа.бб.вввв",
        ] {
            let error = error_of(&edit_line(23, Some(&format!("Дата={bad}"))));
            assert_eq!(error.line, 23, "{bad}: {error}");
            assert!(error.message.contains("Дата"), "{error}");
        }
        let error = error_of(&edit_line(37, Some("ДатаПоступило=32.12.2026")));
        assert_eq!(error.line, 37);
        assert_eq!(error_of(&edit_line(23, Some("Дата="))).line, 23);
    }

    #[test]
    fn bad_amounts_are_rejected_on_their_line() {
        let cases = [
            ("-125400.00", "positive"),
            ("0.00", "positive"),
            ("0", "positive"),
            ("125400.001", "more than 2 decimals"),
            ("125 400.00", "invalid"),
            ("1e5", "invalid"),
            ("12.", "invalid"),
            (".5", "invalid"),
            ("+5.00", "invalid"),
            ("1000000000000.00", "over"),
            ("99999999999999999999999999", "over"),
            ("", "empty"),
        ];
        for (bad, why) in cases {
            let error = error_of(&edit_line(24, Some(&format!("Сумма={bad}"))));
            assert_eq!(error.line, 24, "{bad}: {error}");
            assert!(error.message.contains(why), "{bad}: {error}");
        }
    }

    #[test]
    fn amounts_accept_both_separators_and_up_to_two_decimals() {
        for (text, expected) in [
            ("125400", "125400.00"),
            ("125400,5", "125400.50"),
            ("0.01", "0.01"),
            ("000125400.00", "125400.00"),
            ("999999999999.99", "999999999999.99"),
        ] {
            let amount = parse_amount(text).unwrap();
            assert_eq!(amount.to_string(), expected);
            assert_eq!(amount.scale(), 2);
        }
    }

    #[test]
    fn missing_required_keys_are_reported_on_the_section_line() {
        for (line, key) in [
            (22, "Номер"),
            (23, "Дата"),
            (24, "Сумма"),
            (28, "ПлательщикИНН"),
            (39, "ПолучательИНН"),
        ] {
            let error = error_of(&edit_line(line, None));
            assert_eq!(error.line, 21, "{key}: {error}");
            assert_eq!(error.message, format!("document has no {key}"));
        }
    }

    #[test]
    fn bad_inns_are_rejected_on_their_line() {
        for bad in ["12345", "78010000051", "780100000X"] {
            let error = error_of(&edit_line(39, Some(&format!("ПолучательИНН={bad}"))));
            assert_eq!(error.line, 39, "{bad}: {error}");
        }
        // Banks leave it empty (or "0") for a private person: accepted as empty.
        for empty in ["", "0"] {
            let text = edit_line(39, Some(&format!("ПолучательИНН={empty}")));
            assert_eq!(
                parse(text.as_bytes()).unwrap().documents[0].recipient_inn,
                ""
            );
        }
        let error = error_of(&edit_line(28, Some("ПлательщикИНН=770208915")));
        assert_eq!(error.line, 28);
        assert!(error.message.contains("10 or 12 digits"), "{error}");
        let twelve = document_with(&["ПлательщикИНН=500100732259"]);
        assert_eq!(twelve.payer_inn, "500100732259");
    }

    #[test]
    fn junk_and_stray_markers_are_rejected_on_their_line() {
        let error = error_of(&edit_line(30, Some("Плательщик1 ООО Вектор")));
        assert_eq!(error.line, 30);
        assert!(error.message.starts_with("expected Key=Value"), "{error}");
        assert_eq!(error_of(&edit_line(5, Some("junk"))).line, 5);
        let error = error_of(&edit_line(21, Some("КонецДокумента")));
        assert_eq!(error.line, 21);
        let error = error_of(&edit_line(21, Some("")));
        assert_eq!(
            (error.line, error.message.as_str()),
            (51, "КонецДокумента without СекцияДокумент")
        );
        assert_eq!(error_of(&edit_line(12, Some(""))).line, 20);
        assert_eq!(
            error_of(&edit_line(30, Some("1CClientBankExchange"))).line,
            30
        );
    }

    #[test]
    fn not_a_statement() {
        let error = error_of("hello");
        assert_eq!(error.line, 1);
        assert!(error.message.starts_with("not a bank statement"), "{error}");
        assert_eq!(error_of("\r\n\r\nhello\r\n").line, 3);
        assert_eq!(error_of("").line, 0);
        assert_eq!(error_of(" \n \n").line, 0);
        let error = parse_1c("date,amount\n").unwrap_err();
        assert_eq!(error.line, 1);
        assert_eq!(parse_csv("1CClientBankExchange\n").unwrap_err().line, 1);
    }

    #[test]
    fn binary_input_is_not_a_text_file() {
        let zip = b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00";
        for bytes in [
            &zip[..],
            b"1CClientBankExchange\r\n\x00\x00",
            b"\x01\x02\x03",
        ] {
            let error = parse(bytes).unwrap_err();
            assert_eq!((error.line, error.message.as_str()), (0, "not a text file"));
        }
    }

    #[test]
    fn input_over_the_size_limit_is_refused() {
        let huge = vec![b' '; MAX_INPUT_BYTES + 1];
        assert_eq!(parse(&huge).unwrap_err().line, 0);
        let huge = String::from_utf8(huge).unwrap();
        assert_eq!(parse_1c(&huge).unwrap_err().line, 0);
        assert_eq!(parse_csv(&huge).unwrap_err().line, 0);
    }

    #[test]
    fn too_many_documents_are_refused() {
        // The boundary on the cheaper CSV rows; 1C shares the check.
        let row = "2026-12-01,1,,,,,\n";
        let mut csv = format!("{CSV_HEADER}\n{}", row.repeat(MAX_DOCUMENTS));
        assert_eq!(parse_csv(&csv).unwrap().documents.len(), MAX_DOCUMENTS);
        csv.push_str(row);
        let error = parse_csv(&csv).unwrap_err();
        assert_eq!(
            (error.line, error.message.as_str()),
            (0, "more than 100000 documents")
        );

        let document = "СекцияДокумент=\nНомер=1\nДата=01.12.2026\nСумма=1\nПлательщикИНН=\nПолучательИНН=7801000005\nКонецДокумента\n";
        let text = format!(
            "1CClientBankExchange\n{}",
            document.repeat(MAX_DOCUMENTS + 1)
        );
        assert_eq!(parse_1c(&text).unwrap_err(), error);
    }

    #[test]
    fn error_display_names_the_line() {
        assert_eq!(
            error_of("hello").to_string().split(':').next(),
            Some("line 1")
        );
        let error = ParseError::new(24, "amount must be positive");
        assert_eq!(error.to_string(), "line 24: amount must be positive");
    }

    #[test]
    fn csv_with_commas() {
        let text = format!(
            "{CSV_HEADER}\r\n2026-12-01,125400.00,7702089154,770201001,ООО Вектор,Оплата по счету 2026-000123,PP-512\r\n\r\n2026-12-02,80000,6315033307,,АО Волга,Предоплата,\r\n"
        );
        let statement = parse(text.as_bytes()).unwrap();
        assert_eq!(statement.format, Format::Csv);
        assert_eq!(statement.account, None);
        let [first, second] = &statement.documents[..] else {
            panic!("two documents expected: {statement:?}")
        };
        assert_eq!(first.line, 2);
        assert_eq!(first.number, "PP-512");
        assert_eq!(first.bank_reference, "PP-512");
        assert_eq!(first.date, date(2026, 12, 1));
        assert_eq!(first.value_date, first.date);
        assert_eq!(first.amount, dec("125400.00"));
        assert_eq!(first.payer_kpp.as_deref(), Some("770201001"));
        assert_eq!(first.payer_name, "ООО Вектор");
        assert_eq!(first.recipient_inn, "");
        assert_eq!(classify(first, OUR_INN), Direction::Incoming);
        assert_eq!(second.line, 4);
        assert_eq!(second.number, "4");
        assert_eq!(second.payer_kpp, None);
        assert_eq!(second.amount.to_string(), "80000.00");
        assert_eq!(
            second.bank_reference,
            "csv:6315033307:2026-12-02:80000.00:Предоплата"
        );
        assert_eq!(parse_csv(&text).unwrap(), statement);
    }

    #[test]
    fn csv_with_semicolons_russian_dates_and_cp1251() {
        let text = "DATE; Amount ;payer_inn;payer_kpp;payer_name;purpose;reference\n01.12.2026;125400,50;7702089154;;ООО Вектор;Оплата;\n";
        let statement = parse(text.as_bytes()).unwrap();
        let doc = &statement.documents[0];
        assert_eq!(doc.date, date(2026, 12, 1));
        assert_eq!(doc.amount, dec("125400.50"));
        let (cp1251, _, _) = WINDOWS_1251.encode(text);
        assert_eq!(parse(&cp1251).unwrap(), statement);
    }

    #[test]
    fn csv_quoted_fields() {
        let text = format!(
            "{CSV_HEADER}\n\"2026-12-01\",\"1,5\",7702089154,\"\",\"ООО \"\"Вектор\"\", Москва\" , \"Оплата; по счету, 2026-000123\",\n"
        );
        let doc = &parse(text.as_bytes()).unwrap().documents[0];
        assert_eq!(doc.amount, dec("1.50"));
        assert_eq!(doc.payer_name, "ООО \"Вектор\", Москва");
        assert_eq!(doc.purpose, "Оплата; по счету, 2026-000123");
        let quoted_header = "\"date\";\"amount\";\"payer_inn\";\"payer_kpp\";\"payer_name\";\"purpose\";\"reference\"\n";
        assert!(parse(quoted_header.as_bytes())
            .unwrap()
            .documents
            .is_empty());
    }

    #[test]
    fn csv_errors_name_the_line() {
        let row = "2026-12-01,100.00,7702089154,,Вектор,Оплата,R1";
        let cases = [
            (
                "2026-12-01,100.00,7702089154,,Вектор,Оплата",
                "expected 7 columns, found 6",
            ),
            (
                "2026-12-01,100.00,7702089154,,Вектор,Оплата,R1,extra",
                "expected 7 columns, found 8",
            ),
            (
                "2026-12-01,100.00,7702089154,,\"Вектор,Оплата,R1",
                "unterminated quoted field",
            ),
            (
                "2026-12-01,100.00,7702089154,,\"Вектор\"x,Оплата,R1",
                "after a closing quote",
            ),
            (
                "2026-02-30,100.00,7702089154,,Вектор,Оплата,R1",
                "date must be",
            ),
            (
                "2026-12-01,100.001,7702089154,,Вектор,Оплата,R1",
                "more than 2 decimals",
            ),
            ("2026-12-01,-1,7702089154,,Вектор,Оплата,R1", "positive"),
            ("2026-12-01,100.00,77020891,,Вектор,Оплата,R1", "payer_inn"),
        ];
        for (bad, why) in cases {
            let text = format!("{CSV_HEADER}\n{row}\n{bad}\n");
            let error = parse_csv(&text).unwrap_err();
            assert_eq!(error.line, 3, "{bad}: {error}");
            assert!(error.message.contains(why), "{bad}: {error}");
        }
        let long = format!("{CSV_HEADER}\n2026-12-01,1,,,,,{}\n", "r".repeat(256));
        assert!(parse_csv(&long)
            .unwrap_err()
            .message
            .contains("reference is longer"));
        assert_eq!(parse_csv("date,amount\n").unwrap_err().line, 1);
    }

    #[test]
    fn csv_derived_reference_is_at_most_255_characters() {
        let purpose = "Я".repeat(300);
        let text = format!("{CSV_HEADER}\n2026-12-01,1,0,0,,{purpose},\n");
        let doc = &parse_csv(&text).unwrap().documents[0];
        assert_eq!(doc.payer_inn, "");
        assert_eq!(doc.bank_reference.chars().count(), 255);
        assert!(doc.bank_reference.starts_with("csv::2026-12-01:1.00:ЯЯ"));
    }

    /// Every accepted document honours the amount invariants and points at its section.
    fn check_invariants(text: Option<&str>, statement: &Statement) {
        let max = Decimal::new(MAX_AMOUNT_KOPECKS, 2);
        for doc in &statement.documents {
            assert!(doc.amount > Decimal::ZERO && doc.amount <= max, "{doc:?}");
            assert_eq!(doc.amount.scale(), 2);
            if let (Some(text), Format::OneC) = (text, statement.format) {
                let line = text.lines().nth(doc.line - 1).unwrap_or_default();
                assert!(line.trim_start().starts_with("СекцияДокумент"), "{doc:?}");
            }
        }
    }

    /// Any byte, but in place of the ASCII ones mostly letters and what the parsers look for.
    fn interesting_byte() -> impl Strategy<Value = u8> {
        const MEANINGFUL: &[u8] = b"=\r\n\n.,-0123456789\";  \xD0\xD1\xEF\xBB\xBF\x00";
        any::<u8>().prop_map(|b| match MEANINGFUL.get(usize::from(b % 128)) {
            Some(&meaningful) if b < 128 => meaningful,
            _ if b < 128 => b'a' + b % 26,
            _ => b,
        })
    }

    #[derive(Debug, Clone)]
    enum ByteEdit {
        Replace(Index, u8),
        Insert(Index, u8),
        Delete(Index),
    }

    fn byte_edit() -> impl Strategy<Value = ByteEdit> {
        prop_oneof![
            (any::<Index>(), interesting_byte()).prop_map(|(i, b)| ByteEdit::Replace(i, b)),
            (any::<Index>(), interesting_byte()).prop_map(|(i, b)| ByteEdit::Insert(i, b)),
            any::<Index>().prop_map(ByteEdit::Delete),
        ]
    }

    #[derive(Debug, Clone)]
    enum LineEdit {
        Drop(Index),
        Duplicate(Index),
        Swap(Index),
    }

    fn line_edit() -> impl Strategy<Value = LineEdit> {
        prop_oneof![
            any::<Index>().prop_map(LineEdit::Drop),
            any::<Index>().prop_map(LineEdit::Duplicate),
            any::<Index>().prop_map(LineEdit::Swap),
        ]
    }

    fn random_input() -> impl Strategy<Value = Vec<u8>> {
        let tail = || prop::collection::vec(interesting_byte(), 0..4096);
        prop_oneof![
            prop::collection::vec(any::<u8>(), 0..4096),
            tail().prop_map(|t| [b"1CClientBankExchange\r\n".to_vec(), t].concat()),
            tail().prop_map(|t| [format!("{CSV_HEADER}\n").into_bytes(), t].concat()),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn arbitrary_bytes_never_panic(bytes in random_input()) {
            if let Ok(statement) = parse(&bytes) {
                check_invariants(None, &statement);
            }
        }

        #[test]
        fn mutated_sample_never_panics(
            edits in prop::collection::vec(byte_edit(), 1..6),
            cut in prop::option::of(any::<Index>()),
        ) {
            let mut bytes = UTF8.to_vec();
            for edit in edits {
                match edit {
                    ByteEdit::Replace(i, b) => { let i = i.index(bytes.len()); bytes[i] = b; }
                    ByteEdit::Insert(i, b) => bytes.insert(i.index(bytes.len() + 1), b),
                    ByteEdit::Delete(i) => { bytes.remove(i.index(bytes.len())); }
                }
            }
            if let Some(cut) = cut {
                bytes.truncate(cut.index(bytes.len() + 1));
            }
            if let Ok(statement) = parse(&bytes) {
                check_invariants(None, &statement);
            }
        }

        #[test]
        fn line_edited_sample_never_panics(edits in prop::collection::vec(line_edit(), 1..6)) {
            let text = sample();
            let mut lines: Vec<&str> = text.split("\r\n").collect();
            for edit in edits {
                match edit {
                    LineEdit::Drop(i) => { lines.remove(i.index(lines.len())); }
                    LineEdit::Duplicate(i) => { let i = i.index(lines.len()); lines.insert(i, lines[i]); }
                    LineEdit::Swap(i) => { let i = i.index(lines.len() - 1); lines.swap(i, i + 1); }
                }
            }
            let edited = lines.join("\r\n");
            if let Ok(statement) = parse(edited.as_bytes()) {
                check_invariants(Some(&edited), &statement);
            }
        }
    }
}
