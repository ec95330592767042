//! Reading one cell: a count, a date, an identifier's text, and how to show the
//! value to a person.
//!
//! This module owns what a cell *says*. It never fixes a value silently: when a
//! reading is not literal (a comment after a number, a FINESS typed as a number, a
//! date typed as a plain number) the result carries a note saying what was read,
//! which becomes a warning in the report. It does not know about rows or files.

use jiff::civil::Date;

use crate::sheet::Value;

/// The result of reading a cell that should hold something.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Read<T> {
    /// Read literally.
    Ok(T),
    /// Read, but not literally: the note (French) says how.
    Noted(T, Note),
    /// Unreadable: the message (French) says why.
    Bad(String),
}

/// What was done to read a value that was not literal.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Note {
    pub(crate) comment: bool,
    pub(crate) message: String,
}

impl Note {
    fn plain(message: String) -> Self {
        Self {
            comment: false,
            message,
        }
    }
}

/// The value as a person sees it in the cell.
pub(crate) fn display(value: &Value, is_1904: bool) -> String {
    match value {
        Value::Empty => String::new(),
        Value::Text(t) => t.clone(),
        Value::Number(n) => number_text(*n),
        Value::Date(serial) => match serial_to_date(*serial, is_1904) {
            Some(d) => french_date(d),
            None => number_text(*serial),
        },
        Value::Bool(true) => "VRAI".to_owned(),
        Value::Bool(false) => "FAUX".to_owned(),
        Value::Error(e) => e.clone(),
    }
}

fn number_text(n: f64) -> String {
    // Integral values within f64's exact range are shown without ".0", as Excel does.
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

pub(crate) fn french_date(d: Date) -> String {
    format!("{:02}/{:02}/{:04}", d.day(), d.month(), d.year())
}

/// Counts above this are not a number of persons or messages of one ESSMS.
const MAX_COUNT: u64 = 100_000_000;

/// Reads a count: an integer ≥ 0 (SPEC.md §4.1, columns D to I).
pub(crate) fn read_count(value: &Value, is_1904: bool) -> Read<u64> {
    match value {
        Value::Number(n) => count_from_number(*n),
        Value::Date(serial) => match count_from_number(*serial) {
            Read::Ok(n) => Read::Noted(
                n,
                Note::plain(format!(
                    "la cellule est au format date (elle affiche « {} ») ; lu le nombre {n}",
                    display(value, is_1904)
                )),
            ),
            other => other,
        },
        Value::Text(t) => count_from_text(t),
        Value::Bool(_) => Read::Bad("une case VRAI/FAUX n'est pas un nombre".to_owned()),
        Value::Error(e) => Read::Bad(format!("la cellule contient l'erreur Excel {e}")),
        Value::Empty => Read::Bad("cellule vide".to_owned()),
    }
}

fn count_from_number(n: f64) -> Read<u64> {
    if !n.is_finite() || n.fract() != 0.0 {
        return Read::Bad("un nombre entier est attendu (pas de décimales)".to_owned());
    }
    if n < 0.0 {
        return Read::Bad("un nombre positif ou nul est attendu".to_owned());
    }
    if n > MAX_COUNT as f64 {
        return Read::Bad(format!("nombre invraisemblable (au-delà de {MAX_COUNT})"));
    }
    // Checked above: finite, integral, within 0..=MAX_COUNT.
    Read::Ok(n as u64)
}

fn is_group_separator(c: char) -> bool {
    matches!(c, ' ' | '\u{a0}' | '\u{202f}')
}

fn count_from_text(raw: &str) -> Read<u64> {
    let text = raw.trim();
    if text.is_empty() {
        return Read::Bad("cellule vide".to_owned());
    }
    // The leading number, with the group separators a French spreadsheet writes.
    let mut digits = String::new();
    let mut end = 0;
    let mut grouped = false;
    for (i, c) in text.char_indices() {
        if c.is_ascii_digit() {
            digits.push(c);
            end = i + c.len_utf8();
        } else if is_group_separator(c)
            && !digits.is_empty()
            && text[i..]
                .chars()
                .find(|c| !is_group_separator(*c))
                .is_some_and(|c| c.is_ascii_digit())
        {
            grouped = true;
        } else {
            break;
        }
    }
    if digits.is_empty() {
        if text.starts_with('-') {
            return Read::Bad("un nombre positif ou nul est attendu".to_owned());
        }
        return Read::Bad("un nombre entier est attendu".to_owned());
    }
    let rest = text[end..].trim();
    if rest.starts_with([',', '.']) && rest[1..].starts_with(|c: char| c.is_ascii_digit()) {
        return Read::Bad("un nombre entier est attendu (pas de décimales)".to_owned());
    }
    let Ok(n) = digits.parse::<u64>() else {
        return Read::Bad(format!("nombre invraisemblable (au-delà de {MAX_COUNT})"));
    };
    if n > MAX_COUNT {
        return Read::Bad(format!("nombre invraisemblable (au-delà de {MAX_COUNT})"));
    }
    if rest.is_empty() {
        return if grouped {
            Read::Noted(
                n,
                Note::plain(format!("nombre écrit en texte avec des espaces ; lu {n}")),
            )
        } else {
            Read::Ok(n)
        };
    }
    // A comment after the number: "51 (formation du 13 au 15 sept)". Only a
    // parenthesised remark, or words without any other number, are read as a
    // comment; "51 ou 52" or "51-3" stay unreadable rather than guessed.
    let is_remark = rest.starts_with('(')
        || (rest.starts_with(|c: char| c.is_alphabetic())
            && !rest.chars().any(|c| c.is_ascii_digit()));
    if is_remark {
        let comment = rest
            .trim_start_matches('(')
            .trim_end_matches(')')
            .trim()
            .to_owned();
        return Read::Noted(
            n,
            Note {
                comment: true,
                message: format!(
                    "commentaire saisi dans une cellule de nombre : lu {n}, commentaire « {comment} » \
                     non pris en compte ; mettez le commentaire dans une autre colonne"
                ),
            },
        );
    }
    Read::Bad(format!(
        "un nombre entier est attendu ; « {text} » ne peut pas être lu sans deviner"
    ))
}

/// Programme years: a collection period outside is a typing error.
const FIRST_YEAR: i16 = 2020;
const LAST_YEAR: i16 = 2100;

/// Converts an Excel serial to a calendar day (time of day dropped by the caller).
pub(crate) fn serial_to_date(serial: f64, is_1904: bool) -> Option<Date> {
    if !serial.is_finite() || !(0.0..=2_958_465.0).contains(&serial) {
        return None;
    }
    // In range: the cast cannot truncate.
    let days = serial.floor() as i64;
    let (epoch, offset) = if is_1904 {
        (Date::new(1904, 1, 1).ok()?, days)
    } else if days >= 61 {
        // Excel counts 29/02/1900, which never existed; serials from 61 on are
        // one day ahead of a real calendar.
        (Date::new(1899, 12, 30).ok()?, days)
    } else if days == 60 {
        return None;
    } else {
        (Date::new(1899, 12, 31).ok()?, days)
    };
    epoch
        .checked_add(jiff::Span::new().try_days(offset).ok()?)
        .ok()
}

fn plausible(d: Date, shown: &str) -> Result<Date, String> {
    if (FIRST_YEAR..=LAST_YEAR).contains(&d.year()) {
        Ok(d)
    } else {
        Err(format!(
            "date invraisemblable ({shown}) : une période de recueil se situe entre {FIRST_YEAR} et {LAST_YEAR}"
        ))
    }
}

/// Reads a date: an Excel date, or text written jj/mm/aaaa (SPEC.md §4.1).
pub(crate) fn read_date(value: &Value, is_1904: bool) -> Read<Date> {
    match value {
        Value::Date(serial) => {
            let Some(d) = serial_to_date(*serial, is_1904) else {
                return Read::Bad("date Excel hors du calendrier".to_owned());
            };
            match plausible(d, &french_date(d)) {
                Err(e) => Read::Bad(e),
                Ok(d) if serial.fract() != 0.0 => Read::Noted(
                    d,
                    Note::plain(format!(
                        "la date porte aussi une heure ; seul le jour {} est lu",
                        french_date(d)
                    )),
                ),
                Ok(d) => Read::Ok(d),
            }
        }
        Value::Number(n) => {
            // A date typed into a cell left in "Standard" format shows as a number.
            match serial_to_date(*n, is_1904).map(|d| plausible(d, &french_date(d))) {
                Some(Ok(d)) if n.fract() == 0.0 => Read::Noted(
                    d,
                    Note::plain(format!(
                        "nombre {} lu comme la date Excel {} ; mettez la cellule au format date",
                        number_text(*n),
                        french_date(d)
                    )),
                ),
                _ => Read::Bad(
                    "une date est attendue (jj/mm/aaaa) ; ce nombre n'en est pas une".to_owned(),
                ),
            }
        }
        Value::Text(t) => date_from_text(t.trim()),
        Value::Bool(_) => Read::Bad("une case VRAI/FAUX n'est pas une date".to_owned()),
        Value::Error(e) => Read::Bad(format!("la cellule contient l'erreur Excel {e}")),
        Value::Empty => Read::Bad("cellule vide".to_owned()),
    }
}

fn date_from_text(text: &str) -> Read<Date> {
    // "01/05/2024 00:00", as some exports write a date: the day is what counts,
    // and a time other than midnight is said.
    if let Some((day, time)) = text.split_once(' ')
        && !time.trim().is_empty()
        && time.trim().chars().all(|c| c.is_ascii_digit() || c == ':')
    {
        return match date_from_text(day) {
            Read::Ok(d) if time.trim().trim_start_matches(['0', ':']).is_empty() => Read::Ok(d),
            Read::Ok(d) => Read::Noted(
                d,
                Note::plain(format!(
                    "la date porte aussi une heure ({}) ; seul le jour {} est lu",
                    time.trim(),
                    french_date(d)
                )),
            ),
            other => other,
        };
    }
    let parts: Vec<&str> = text.split(['/', '-', '.']).collect();
    let parsed = match parts.as_slice() {
        // jj/mm/aaaa, the French way.
        [d, m, y] if y.len() == 4 && d.len() <= 2 && m.len() <= 2 => Some((*y, *m, *d)),
        // aaaa-mm-jj, ISO 8601, possibly with a time of day from calamine.
        [y, m, d] if y.len() == 4 && m.len() <= 2 => {
            let d = d.split(['T', ' ']).next().unwrap_or(d);
            (d.len() <= 2).then_some((*y, *m, d))
        }
        _ => None,
    };
    let Some((y, m, d)) = parsed else {
        return Read::Bad(
            "date illisible : écrivez-la jj/mm/aaaa (par exemple 01/08/2023)".to_owned(),
        );
    };
    let (Ok(y), Ok(m), Ok(d)) = (y.parse::<i16>(), m.parse::<i8>(), d.parse::<i8>()) else {
        return Read::Bad(
            "date illisible : écrivez-la jj/mm/aaaa (par exemple 01/08/2023)".to_owned(),
        );
    };
    match Date::new(y, m, d) {
        Ok(date) => match plausible(date, text) {
            Ok(date) => Read::Ok(date),
            Err(e) => Read::Bad(e),
        },
        Err(_) => Read::Bad(format!("le {text} n'existe pas au calendrier")),
    }
}

/// The text of an identifier cell (FINESS, SIRET, GALIS), with a note when the
/// cell held a number: a spreadsheet may have dropped leading zeros or rounded it.
pub(crate) fn identifier_text(value: &Value, is_1904: bool) -> Option<(String, Option<String>)> {
    match value {
        Value::Empty => None,
        Value::Text(t) if t.trim().is_empty() => None,
        Value::Text(t) => Some((t.trim().to_owned(), None)),
        Value::Number(n) if n.fract() == 0.0 && *n >= 0.0 && *n < 1e15 => {
            let text = number_text(*n);
            Some((text.clone(), Some(text)))
        }
        other => Some((display(other, is_1904), None)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> Value {
        Value::Text(s.to_owned())
    }

    #[test]
    fn counts_read_literally() {
        assert_eq!(read_count(&Value::Number(51.0), false), Read::Ok(51));
        assert_eq!(read_count(&text("51"), false), Read::Ok(51));
        assert_eq!(read_count(&text(" 0 "), false), Read::Ok(0));
    }

    #[test]
    fn counts_read_with_a_note() {
        assert!(matches!(
            read_count(&text("51 (formation du 13 au 15 sept)"), false),
            Read::Noted(51, Note { comment: true, .. })
        ));
        assert!(matches!(
            read_count(&text("1 234"), false),
            Read::Noted(1234, Note { comment: false, .. })
        ));
        assert!(matches!(
            read_count(&text("12 environ"), false),
            Read::Noted(12, _)
        ));
    }

    #[test]
    fn counts_never_guessed() {
        for bad in ["51 ou 52", "-3", "12,5", "environ 50", "51-3", "n/a"] {
            assert!(
                matches!(read_count(&text(bad), false), Read::Bad(_)),
                "{bad}"
            );
        }
        assert!(matches!(
            read_count(&Value::Number(-1.0), false),
            Read::Bad(_)
        ));
        assert!(matches!(
            read_count(&Value::Number(2.5), false),
            Read::Bad(_)
        ));
    }

    #[test]
    fn excel_serials_are_real_days() {
        assert_eq!(serial_to_date(45413.0, false), Date::new(2024, 5, 1).ok());
        assert_eq!(serial_to_date(1.0, false), Date::new(1900, 1, 1).ok());
        assert_eq!(serial_to_date(61.0, false), Date::new(1900, 3, 1).ok());
        assert_eq!(serial_to_date(60.0, false), None);
        assert_eq!(serial_to_date(43951.0, true), Date::new(2024, 5, 1).ok());
    }

    #[test]
    fn text_dates() {
        assert_eq!(
            date_from_text("01/08/2023"),
            Read::Ok(Date::new(2023, 8, 1).unwrap())
        );
        assert_eq!(
            date_from_text("2023-08-01"),
            Read::Ok(Date::new(2023, 8, 1).unwrap())
        );
        assert_eq!(
            date_from_text("01/08/2023 00:00"),
            Read::Ok(Date::new(2023, 8, 1).unwrap())
        );
        assert!(matches!(
            date_from_text("01/08/2023 14:30"),
            Read::Noted(_, _)
        ));
        assert!(matches!(date_from_text("31/02/2024"), Read::Bad(_)));
        assert!(matches!(date_from_text("01/08/23"), Read::Bad(_)));
        assert!(matches!(date_from_text("août 2023"), Read::Bad(_)));
        assert!(matches!(date_from_text("01/08/1923"), Read::Bad(_)));
    }

    proptest::proptest! {
        #[test]
        fn no_text_makes_the_readers_panic(text in "\\PC{0,40}") {
            let value = Value::Text(text);
            let _ = read_count(&value, false);
            let _ = read_date(&value, false);
            let _ = identifier_text(&value, false);
            let _ = display(&value, false);
        }

        #[test]
        fn no_number_makes_the_readers_panic(n in proptest::num::f64::ANY) {
            for value in [Value::Number(n), Value::Date(n)] {
                let _ = read_count(&value, false);
                let _ = read_date(&value, true);
                let _ = identifier_text(&value, false);
                let _ = display(&value, false);
            }
        }

        #[test]
        fn a_count_followed_by_a_remark_is_read_and_noted(n in 0u64..100_000, remark in "[a-z ]{1,20}") {
            let text = format!("{n} ({remark})");
            let read = read_count(&Value::Text(text), false);
            let noted = matches!(read, Read::Noted(m, Note { comment: true, .. }) if m == n);
            proptest::prop_assert!(noted, "{n} ({remark})");
        }
    }
}
