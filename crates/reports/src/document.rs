//! A plain printable document: French lines of text flowed over A4 pages,
//! as PDF/A-2b with the bundled font embedded (the platform's monthly flash
//! report). It renders what it is given and computes nothing; the text is
//! the caller's, already in French.

use jiff::Timestamp;
use krilla::configure::{Archival, ConfigurationBuilder};
use krilla::geom::Point;
use krilla::metadata::Metadata;
use krilla::page::PageSettings;
use krilla::text::{Font, TextDirection};
use krilla::{Document, SerializeSettings};

use crate::error::{Error, Result};
use crate::proof::{FONT, LINE_HEIGHT, Line, MARGIN, PAGE_HEIGHT, PAGE_WIDTH, pdf_date, wrap};

/// What [`text_document_pdf`] renders.
#[derive(Debug, Clone, PartialEq)]
pub struct TextDocument {
    /// Title in the document's metadata (the first line usually says it too).
    pub title: String,
    /// Author in the metadata (the platform, an ARS…).
    pub author: String,
    /// When the document was produced; passed in, never read from the clock.
    pub produced_at: Timestamp,
    /// The lines, in reading order; longer ones are wrapped to the page width.
    pub lines: Vec<Line>,
}

/// Lowest baseline allowed, leaving room for the page number.
const BOTTOM: f32 = PAGE_HEIGHT - 48.0;
const FOOTER_SIZE: f32 = 8.0;

/// Renders the document as PDF/A-2b, A4, one font embedded, « page n sur N »
/// at the bottom of each page.
pub fn text_document_pdf(doc: &TextDocument) -> Result<Vec<u8>> {
    let configuration = ConfigurationBuilder::new()
        .with_archival_validator(Archival::A2_B)
        .finish()
        .map_err(|e| Error::Pdf(format!("configuration PDF/A : {e:?}")))?;
    let settings = SerializeSettings {
        configuration,
        ..SerializeSettings::default()
    };
    let mut document = Document::new_with(settings);
    document.set_metadata(
        Metadata::new()
            .title(doc.title.clone())
            .creator(String::from("Carnet"))
            .producer(String::from("Carnet (krilla)"))
            .language(String::from("fr-FR"))
            .authors(vec![doc.author.clone()])
            .creation_date(pdf_date(doc.produced_at)),
    );
    let font = Font::new(FONT.into(), 0).ok_or(Error::Font)?;
    let pages = layout(&doc.lines);
    let count = pages.len();
    let settings = PageSettings::from_wh(PAGE_WIDTH, PAGE_HEIGHT)
        .ok_or(Error::PdfStructure("format de page"))?;
    for (index, placed) in pages.iter().enumerate() {
        let mut page = document.start_page_with(settings.clone());
        let mut surface = page.surface();
        for (text, size, y) in placed {
            surface.draw_text(
                Point::from_xy(MARGIN, *y),
                font.clone(),
                *size,
                text,
                false,
                TextDirection::Auto,
            );
        }
        surface.draw_text(
            Point::from_xy(MARGIN, PAGE_HEIGHT - 24.0),
            font.clone(),
            FOOTER_SIZE,
            &format!("{} — page {} sur {count}", doc.title, index + 1),
            false,
            TextDirection::Auto,
        );
        surface.finish();
        page.finish();
    }
    document.finish().map_err(|e| Error::Pdf(format!("{e:?}")))
}

/// Marks the spaces that must not break a line: after a digit and before a
/// digit or « % » (« 410 000 », « 36,8 % »). They are spaces again once wrapped.
fn glue(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    chars
        .iter()
        .enumerate()
        .map(|(i, &c)| {
            let between = c == ' '
                && i > 0
                && chars[i - 1].is_ascii_digit()
                && chars
                    .get(i + 1)
                    .is_some_and(|n| n.is_ascii_digit() || *n == '%');
            if between { '\u{a0}' } else { c }
        })
        .collect()
}

/// Wrapped lines placed on pages: (text, size, baseline from the top).
fn layout(lines: &[Line]) -> Vec<Vec<(String, f32, f32)>> {
    let mut pages = vec![Vec::new()];
    let mut y = MARGIN;
    for line in lines {
        let wrapped = wrap(&glue(&line.text), line.size);
        for (i, part) in wrapped.into_iter().enumerate() {
            let part = part.replace('\u{a0}', " ");
            let space = if i == 0 { line.space_before } else { 0.0 };
            let mut next = y + space + line.size * LINE_HEIGHT;
            if next > BOTTOM {
                pages.push(Vec::new());
                next = MARGIN + line.size * LINE_HEIGHT;
            }
            y = next;
            if let Some(page) = pages.last_mut() {
                page.push((part, line.size, y));
            }
        }
    }
    pages
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]
    use super::*;

    fn line(text: &str) -> Line {
        Line {
            text: text.to_owned(),
            size: 10.0,
            space_before: 0.0,
        }
    }

    #[test]
    fn many_lines_flow_onto_more_pages_and_none_is_lost() {
        let lines: Vec<Line> = (0..200).map(|i| line(&format!("ligne {i}"))).collect();
        let pages = layout(&lines);
        assert!(pages.len() > 1);
        let placed: Vec<&str> = pages.iter().flatten().map(|(t, _, _)| t.as_str()).collect();
        assert_eq!(placed.len(), 200);
        assert!(
            pages
                .iter()
                .flatten()
                .all(|(_, _, y)| *y <= BOTTOM && *y > MARGIN)
        );
        let pdf = text_document_pdf(&TextDocument {
            title: "Essai".to_owned(),
            author: "Carnet".to_owned(),
            produced_at: "2026-11-30T10:00:00Z".parse().unwrap(),
            lines,
        })
        .unwrap();
        assert!(pdf.starts_with(b"%PDF-"));
    }

    #[test]
    fn a_number_and_its_percent_sign_stay_on_one_line() {
        let long = format!("{} ESSMS à la cible : 0 sur 19 (0,0 %)", "mot ".repeat(18));
        for width in 0..12 {
            let text = format!("{}{long}", "x".repeat(width));
            let pages = layout(&[line(&text)]);
            let parts: Vec<&str> = pages.iter().flatten().map(|(t, _, _)| t.as_str()).collect();
            assert!(parts.iter().all(|p| !p.starts_with('%')), "{parts:?}");
            assert_eq!(parts.join(" "), text);
        }
        assert_eq!(
            glue("410 000 et 36,8 % ok"),
            "410\u{a0}000 et 36,8\u{a0}% ok"
        );
    }
}
