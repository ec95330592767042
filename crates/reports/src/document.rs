//! A plain printable document: French headings, paragraphs and tables flowed
//! over A4 pages, as PDF/A-2b with the bundled font embedded (the platform's
//! monthly flash report). It renders what it is given and computes nothing;
//! the text and every cell are the caller's, already in French and formatted.

use jiff::Timestamp;
use krilla::configure::{Archival, ConfigurationBuilder};
use krilla::geom::{PathBuilder, Point};
use krilla::metadata::Metadata;
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};
use krilla::surface::Surface;
use krilla::text::{Font, TextDirection};
use krilla::{Document, SerializeSettings};

use crate::error::{Error, Result};
use crate::proof::{
    FONT, LINE_HEIGHT, Line, MARGIN, PAGE_HEIGHT, PAGE_WIDTH, pdf_date, text_width, wrap,
};
use crate::table::{Align, CELL_PAD_X, CELL_PAD_Y, SizedRow, SizedTable, TABLE_SIZE, Table, glue};

/// What [`text_document_pdf`] renders.
#[derive(Debug, Clone, PartialEq)]
pub struct TextDocument {
    /// Title in the document's metadata and in each page's footer (the first
    /// block usually says it too).
    pub title: String,
    /// Author in the metadata (the platform, an ARS…).
    pub author: String,
    /// When the document was produced; passed in, never read from the clock.
    pub produced_at: Timestamp,
    /// The content, in reading order.
    pub blocks: Vec<Block>,
}

/// One part of a [`TextDocument`].
#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    /// A section title (12 pt, space above); never left alone at the bottom
    /// of a page: it moves to the next page with the start of what follows.
    Heading(String),
    /// A paragraph (9.5 pt), wrapped to the page width.
    Paragraph(String),
    /// Text with its own size and space above (a title, a subtitle), wrapped
    /// like a paragraph.
    Line(Line),
    /// A table (9 pt), its header row repeated on each page it runs over.
    Table(Table),
}

impl From<Line> for Block {
    fn from(line: Line) -> Self {
        Self::Line(line)
    }
}

impl From<Table> for Block {
    fn from(table: Table) -> Self {
        Self::Table(table)
    }
}

/// Lowest baseline or table edge allowed, leaving room for the page number.
const BOTTOM: f32 = PAGE_HEIGHT - 48.0;
const FOOTER_SIZE: f32 = 8.0;
const HEADING_SIZE: f32 = 12.0;
const HEADING_SPACE: f32 = 10.0;
const PARAGRAPH_SIZE: f32 = 9.5;
const PARAGRAPH_SPACE: f32 = 4.0;
/// Space between the text above a table and its top rule.
const TABLE_SPACE: f32 = 6.0;
/// Thickness of a table's rules.
const RULE_WIDTH: f32 = 0.5;
const USABLE_WIDTH: f32 = PAGE_WIDTH - 2.0 * MARGIN;

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
    let pages = layout(&doc.blocks);
    let count = pages.len();
    let settings = PageSettings::from_wh(PAGE_WIDTH, PAGE_HEIGHT)
        .ok_or(Error::PdfStructure("format de page"))?;
    for (index, marks) in pages.iter().enumerate() {
        let mut page = document.start_page_with(settings.clone());
        let mut surface = page.surface();
        for mark in marks {
            draw(&mut surface, &font, mark)?;
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

/// What is drawn on a page, in points from the top left corner.
#[derive(Debug, Clone, PartialEq)]
enum Mark {
    Text {
        x: f32,
        baseline: f32,
        size: f32,
        text: String,
    },
    /// A horizontal rule of a table.
    Rule { y: f32, from: f32, to: f32 },
}

fn draw(surface: &mut Surface<'_>, font: &Font, mark: &Mark) -> Result<()> {
    match mark {
        Mark::Text {
            x,
            baseline,
            size,
            text,
        } => surface.draw_text(
            Point::from_xy(*x, *baseline),
            font.clone(),
            *size,
            text,
            false,
            TextDirection::Auto,
        ),
        Mark::Rule { y, from, to } => {
            let mut path = PathBuilder::new();
            path.move_to(*from, *y);
            path.line_to(*to, *y);
            let path = path
                .finish()
                .ok_or(Error::PdfStructure("filet de tableau"))?;
            surface.set_fill(None);
            surface.set_stroke(Some(Stroke {
                width: RULE_WIDTH,
                ..Stroke::default()
            }));
            surface.draw_path(&path);
            surface.set_stroke(None);
            surface.set_fill(Some(Fill::default()));
        }
    }
    Ok(())
}

/// A block ready to be placed: text already wrapped, tables sized.
enum Prepared {
    Text {
        parts: Vec<String>,
        size: f32,
        space_before: f32,
        keep_with_next: bool,
    },
    Table(SizedTable),
}

impl Prepared {
    fn new(block: &Block) -> Self {
        let text = |text: &str, size: f32, space_before: f32, keep_with_next: bool| {
            let parts = wrap(&glue(text), size)
                .into_iter()
                .map(|p| p.replace('\u{a0}', " "))
                .collect();
            Self::Text {
                parts,
                size,
                space_before,
                keep_with_next,
            }
        };
        match block {
            Block::Heading(t) => text(t, HEADING_SIZE, HEADING_SPACE, true),
            Block::Paragraph(t) => text(t, PARAGRAPH_SIZE, PARAGRAPH_SPACE, false),
            Block::Line(l) => text(&l.text, l.size, l.space_before, false),
            Block::Table(t) => {
                let room = BOTTOM - MARGIN - 2.0 * CELL_PAD_Y;
                #[allow(
                    clippy::cast_possible_truncation,
                    clippy::cast_sign_loss,
                    reason = "a positive number of lines on a page"
                )]
                let max_lines = (room / (TABLE_SIZE * LINE_HEIGHT)).floor().max(1.0) as usize;
                Self::Table(SizedTable::new(t, USABLE_WIDTH, max_lines))
            }
        }
    }

    /// Height from the cursor to the end of the first line or row (what must
    /// follow a heading on its page).
    fn first_height(&self) -> f32 {
        match self {
            Self::Text {
                size, space_before, ..
            } => space_before + size * LINE_HEIGHT,
            Self::Table(t) => {
                TABLE_SPACE + t.header.height() + t.rows.first().map_or(0.0, SizedRow::height)
            }
        }
    }
}

/// The marks of each page, in order.
struct Pages {
    pages: Vec<Vec<Mark>>,
    /// Lowest point used on the current page (a baseline, or a table's last rule).
    y: f32,
}

impl Pages {
    fn break_page(&mut self) {
        self.pages.push(Vec::new());
        self.y = MARGIN;
    }

    fn at_top(&self) -> bool {
        self.y <= MARGIN
    }

    fn push(&mut self, mark: Mark) {
        if let Some(page) = self.pages.last_mut() {
            page.push(mark);
        }
    }

    fn text(&mut self, parts: &[String], size: f32, space_before: f32, keep: f32) {
        let total: f32 = space_before + size * LINE_HEIGHT * count(parts.len());
        if keep > 0.0 && !self.at_top() && self.y + total + keep > BOTTOM {
            self.break_page();
        }
        for (i, part) in parts.iter().enumerate() {
            let space = if i == 0 { space_before } else { 0.0 };
            let mut next = self.y + space + size * LINE_HEIGHT;
            if next > BOTTOM {
                self.break_page();
                next = MARGIN + size * LINE_HEIGHT;
            }
            self.y = next;
            self.push(Mark::Text {
                x: MARGIN,
                baseline: next,
                size,
                text: part.clone(),
            });
        }
    }

    fn table(&mut self, table: &SizedTable) {
        let width: f32 = table.widths.iter().sum();
        if width <= 0.0 {
            // No column: nothing to draw, and a rule must have a length.
            return;
        }
        let first = table.rows.first().map_or(0.0, SizedRow::height);
        let mut top = if self.at_top() {
            MARGIN
        } else {
            self.y + TABLE_SPACE
        };
        if top + table.header.height() + first > BOTTOM && !self.at_top() {
            self.break_page();
            top = MARGIN;
        }
        let mut y = self.header(table, top, width);
        for row in &table.rows {
            if y + row.height() > BOTTOM {
                self.push(Mark::Rule {
                    y,
                    from: MARGIN,
                    to: MARGIN + width,
                });
                self.break_page();
                y = self.header(table, MARGIN, width);
            }
            self.row(table, row, y);
            y += row.height();
        }
        self.push(Mark::Rule {
            y,
            from: MARGIN,
            to: MARGIN + width,
        });
        self.y = y;
    }

    /// Draws the header row between two rules; returns where the body starts.
    fn header(&mut self, table: &SizedTable, top: f32, width: f32) -> f32 {
        self.push(Mark::Rule {
            y: top,
            from: MARGIN,
            to: MARGIN + width,
        });
        self.row(table, &table.header, top);
        let bottom = top + table.header.height();
        self.push(Mark::Rule {
            y: bottom,
            from: MARGIN,
            to: MARGIN + width,
        });
        bottom
    }

    fn row(&mut self, table: &SizedTable, row: &SizedRow, top: f32) {
        let mut left = MARGIN;
        for ((lines, width), align) in row.cells.iter().zip(&table.widths).zip(&table.aligns) {
            for (j, line) in lines.iter().enumerate() {
                let x = match align {
                    Align::Left => left + CELL_PAD_X,
                    Align::Right => left + width - CELL_PAD_X - text_width(line, TABLE_SIZE),
                };
                self.push(Mark::Text {
                    x,
                    baseline: top + CELL_PAD_Y + TABLE_SIZE * (LINE_HEIGHT * count(j) + 1.0),
                    size: TABLE_SIZE,
                    text: line.clone(),
                });
            }
            left += width;
        }
    }
}

#[allow(clippy::cast_precision_loss, reason = "a few lines")]
fn count(n: usize) -> f32 {
    n as f32
}

/// The blocks placed on pages.
fn layout(blocks: &[Block]) -> Vec<Vec<Mark>> {
    let prepared: Vec<Prepared> = blocks.iter().map(Prepared::new).collect();
    let mut pages = Pages {
        pages: vec![Vec::new()],
        y: MARGIN,
    };
    for (i, block) in prepared.iter().enumerate() {
        match block {
            Prepared::Text {
                parts,
                size,
                space_before,
                keep_with_next,
            } => {
                let keep = if *keep_with_next {
                    prepared.get(i + 1).map_or(0.0, Prepared::first_height)
                } else {
                    0.0
                };
                pages.text(parts, *size, *space_before, keep);
            }
            Prepared::Table(t) => pages.table(t),
        }
    }
    pages.pages
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]
    use super::*;
    use crate::table::Column;

    fn line(text: &str) -> Block {
        Block::Line(Line {
            text: text.to_owned(),
            size: 10.0,
            space_before: 0.0,
        })
    }

    fn texts(page: &[Mark]) -> Vec<&str> {
        page.iter()
            .filter_map(|m| match m {
                Mark::Text { text, .. } => Some(text.as_str()),
                Mark::Rule { .. } => None,
            })
            .collect()
    }

    fn document(blocks: Vec<Block>) -> TextDocument {
        TextDocument {
            title: "Essai".to_owned(),
            author: "Carnet".to_owned(),
            produced_at: "2026-11-30T10:00:00Z".parse().unwrap(),
            blocks,
        }
    }

    #[test]
    fn many_lines_flow_onto_more_pages_and_none_is_lost() {
        let blocks: Vec<Block> = (0..200).map(|i| line(&format!("ligne {i}"))).collect();
        let pages = layout(&blocks);
        assert!(pages.len() > 1);
        let placed: Vec<&str> = pages.iter().flat_map(|p| texts(p)).collect();
        assert_eq!(placed.len(), 200);
        assert!(pages.iter().flatten().all(|m| match m {
            Mark::Text { baseline, .. } => *baseline <= BOTTOM && *baseline > MARGIN,
            Mark::Rule { .. } => false,
        }));
        let pdf = text_document_pdf(&document(blocks)).unwrap();
        assert!(pdf.starts_with(b"%PDF-"));
    }

    #[test]
    fn a_number_and_its_percent_sign_stay_on_one_line() {
        let long = format!("{} ESSMS à la cible : 0 sur 19 (0,0 %)", "mot ".repeat(18));
        for width in 0..12 {
            let text = format!("{}{long}", "x".repeat(width));
            let pages = layout(&[line(&text)]);
            let parts: Vec<&str> = pages.iter().flat_map(|p| texts(p)).collect();
            assert!(parts.iter().all(|p| !p.starts_with('%')), "{parts:?}");
            assert_eq!(parts.join(" "), text);
        }
        assert_eq!(
            glue("410 000 et 36,8 % ok"),
            "410\u{a0}000 et 36,8\u{a0}% ok"
        );
    }

    fn long_table(rows: usize) -> Table {
        Table {
            columns: vec![
                Column::text("Mois"),
                Column::number("DUI actifs"),
                Column::number("Taux"),
            ],
            rows: (0..rows)
                .map(|i| vec![format!("mois {i}"), format!("{i} 000"), "36,8 %".to_owned()])
                .collect(),
        }
    }

    #[test]
    fn a_table_over_two_pages_repeats_its_header_and_stays_inside_the_page() {
        let pages = layout(&[
            Block::Heading("Évolution".to_owned()),
            long_table(70).into(),
        ]);
        assert_eq!(pages.len(), 2);
        for page in &pages {
            let t = texts(page);
            let header = t.iter().position(|s| *s == "Mois").unwrap();
            assert_eq!(&t[header..header + 3], ["Mois", "DUI actifs", "Taux"]);
            for mark in page {
                match mark {
                    Mark::Text { x, baseline, .. } => {
                        assert!(*x >= MARGIN && *x < PAGE_WIDTH - MARGIN);
                        assert!(*baseline <= BOTTOM);
                    }
                    Mark::Rule { y, from, to } => {
                        assert!(
                            *y <= BOTTOM && *from >= MARGIN && *to <= PAGE_WIDTH - MARGIN + 0.01
                        );
                    }
                }
            }
        }
        let all: Vec<&str> = pages.iter().flat_map(|p| texts(p)).collect();
        assert_eq!(all.iter().filter(|s| s.starts_with("mois ")).count(), 70);
        let pdf = text_document_pdf(&document(vec![long_table(70).into()])).unwrap();
        assert!(pdf.starts_with(b"%PDF-"));
    }

    #[test]
    fn numbers_are_right_aligned_on_their_column_edge() {
        let pages = layout(&[long_table(3).into()]);
        let right_edges: Vec<f32> = pages[0]
            .iter()
            .filter_map(|m| match m {
                Mark::Text { x, text, size, .. } if text.ends_with(" 000") => {
                    Some(x + text_width(text, *size))
                }
                _ => None,
            })
            .collect();
        assert_eq!(right_edges.len(), 3);
        assert!(
            right_edges
                .iter()
                .all(|e| (e - right_edges[0]).abs() < 0.01)
        );
    }

    #[test]
    fn a_heading_at_the_foot_of_a_page_moves_with_its_table() {
        let mut blocks: Vec<Block> = (0..60).map(|i| line(&format!("ligne {i}"))).collect();
        blocks.push(Block::Heading("Titre du tableau".to_owned()));
        blocks.push(long_table(2).into());
        let pages = layout(&blocks);
        let last = pages.last().unwrap();
        let t = texts(last);
        assert_eq!(t.first(), Some(&"Titre du tableau"), "{t:?}");
    }
}
