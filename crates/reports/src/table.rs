//! Tables of a [`crate::TextDocument`]: what the caller gives (columns, rows of
//! already formatted French cells) and how they are sized to the page — column
//! widths from the text measured with the bundled font, cells wrapped to their
//! column, a cell taller than a page cut with a visible « … ». Placing rows on
//! pages is `document`'s job; nothing here formats a number.

use crate::proof::{LINE_HEIGHT, text_width, wrap_to};

/// A table: a header row and rows of cells, drawn with thin rules above and
/// below the header and under the last row; when it runs over a page, the
/// header row is repeated on the next.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// The columns, left to right, with their header text.
    pub columns: Vec<Column>,
    /// The rows, each a cell per column in the same order: a missing cell is
    /// blank and cells beyond the last column are ignored.
    pub rows: Vec<Vec<String>>,
}

/// One column of a [`Table`].
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub header: String,
    pub align: Align,
    pub width: Width,
}

impl Column {
    /// A left-aligned column sized from its content (labels, names).
    pub fn text(header: impl Into<String>) -> Self {
        Self {
            header: header.into(),
            align: Align::Left,
            width: Width::Auto,
        }
    }

    /// A right-aligned column sized from its content (counts, rates).
    pub fn number(header: impl Into<String>) -> Self {
        Self {
            header: header.into(),
            align: Align::Right,
            width: Width::Auto,
        }
    }

    /// The same column with a fixed share of the table's width.
    #[must_use]
    pub fn fraction(self, share: f32) -> Self {
        Self {
            width: Width::Fraction(share),
            ..self
        }
    }
}

/// Where a cell's text sits in its column (the header follows its column).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    /// Numbers, so that units and thousands line up.
    Right,
}

/// How wide a column is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Width {
    /// From its widest cell (header included), measured with the font; when
    /// the table is too wide, the widest columns give way first and their
    /// cells wrap. Space left over widens the automatic columns.
    Auto,
    /// This share of the table's width (0 to 1; shares over 1 in total are
    /// scaled down).
    Fraction(f32),
}

/// Font size of the table's text.
pub(crate) const TABLE_SIZE: f32 = 9.0;
/// Space between a column's edge and its text.
pub(crate) const CELL_PAD_X: f32 = 4.0;
/// Space above and below a row's text.
pub(crate) const CELL_PAD_Y: f32 = 2.5;
/// Header lines kept at most (a longer header is cut with « … »).
const HEADER_MAX_LINES: usize = 3;

/// One row sized to its columns: the wrapped lines of each cell.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SizedRow {
    pub cells: Vec<Vec<String>>,
}

impl SizedRow {
    /// Lines of its tallest cell (at least one).
    pub fn lines(&self) -> usize {
        self.cells.iter().map(Vec::len).max().unwrap_or(1).max(1)
    }

    /// Height of the row, paddings included.
    pub fn height(&self) -> f32 {
        row_height(self.lines())
    }
}

/// Height of a row of `lines` lines.
pub(crate) fn row_height(lines: usize) -> f32 {
    #[allow(clippy::cast_precision_loss, reason = "a few lines")]
    let lines = lines as f32;
    2.0 * CELL_PAD_Y + lines * TABLE_SIZE * LINE_HEIGHT
}

/// A table sized for a given width: column widths and wrapped cells.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SizedTable {
    pub widths: Vec<f32>,
    pub aligns: Vec<Align>,
    pub header: SizedRow,
    pub rows: Vec<SizedRow>,
}

impl SizedTable {
    /// Sizes `table` to `usable` points; a row is cut to `max_lines` lines
    /// (what fits on an empty page under the header).
    pub fn new(table: &Table, usable: f32, max_lines: usize) -> Self {
        let widths = column_widths(table, usable);
        let header_texts: Vec<String> = table.columns.iter().map(|c| c.header.clone()).collect();
        let header = size_row(&header_texts, &widths, HEADER_MAX_LINES);
        let max_lines = max_lines.saturating_sub(header.lines()).max(1);
        let rows = table
            .rows
            .iter()
            .map(|r| size_row(r, &widths, max_lines))
            .collect();
        Self {
            aligns: table.columns.iter().map(|c| c.align).collect(),
            widths,
            header,
            rows,
        }
    }
}

fn size_row(texts: &[String], widths: &[f32], max_lines: usize) -> SizedRow {
    let cells = widths
        .iter()
        .enumerate()
        .map(|(i, width)| {
            let text = texts.get(i).map_or("", String::as_str);
            cell_lines(text, width - 2.0 * CELL_PAD_X, max_lines)
        })
        .collect();
    SizedRow { cells }
}

/// The lines of a cell wrapped to `usable` points, at most `max_lines`; the
/// last kept line ends with « … » when some were dropped.
fn cell_lines(text: &str, usable: f32, max_lines: usize) -> Vec<String> {
    if text.is_empty() {
        return Vec::new();
    }
    let mut lines: Vec<String> = wrap_to(&glue(text), TABLE_SIZE, usable)
        .into_iter()
        .map(|l| l.replace('\u{a0}', " "))
        .collect();
    if lines.len() > max_lines {
        lines.truncate(max_lines.max(1));
        if let Some(last) = lines.last_mut() {
            let mut kept = std::mem::take(last);
            while !kept.is_empty() && text_width(&format!("{kept}…"), TABLE_SIZE) > usable {
                kept.pop();
            }
            *last = format!("{}…", kept.trim_end());
        }
    }
    lines
}

/// Marks the spaces that must not break a line: after a digit and before a
/// digit or « % » (« 410 000 », « 36,8 % »). They are spaces again once wrapped.
pub(crate) fn glue(text: &str) -> String {
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

/// Widths of the columns, summing to at most `usable` (exactly, when one
/// column is automatic).
fn column_widths(table: &Table, usable: f32) -> Vec<f32> {
    let count = table.columns.len();
    let natural: Vec<f32> = (0..count)
        .map(|i| {
            let header = text_width(&table.columns[i].header, TABLE_SIZE);
            let widest = table
                .rows
                .iter()
                .filter_map(|r| r.get(i))
                .map(|c| text_width(c, TABLE_SIZE))
                .fold(header, f32::max);
            widest + 2.0 * CELL_PAD_X
        })
        .collect();
    let shares: f32 = table
        .columns
        .iter()
        .map(|c| match c.width {
            Width::Fraction(f) => f.clamp(0.0, 1.0),
            Width::Auto => 0.0,
        })
        .sum();
    let scale = if shares > 1.0 { 1.0 / shares } else { 1.0 };
    let mut widths: Vec<f32> = table
        .columns
        .iter()
        .map(|c| match c.width {
            Width::Fraction(f) => f.clamp(0.0, 1.0) * scale * usable,
            Width::Auto => 0.0,
        })
        .collect();
    let mut left = (usable - widths.iter().sum::<f32>()).max(0.0);
    let mut open: Vec<usize> = (0..count)
        .filter(|&i| table.columns[i].width == Width::Auto)
        .collect();
    if open.is_empty() {
        return widths;
    }
    let total: f32 = open.iter().map(|&i| natural[i]).sum();
    if total <= left {
        // Everything fits: the space left over widens the columns in
        // proportion to their content, so the table spans the page.
        for &i in &open {
            widths[i] = natural[i] * left / total.max(1.0);
        }
        return widths;
    }
    // Too wide: the columns narrower than an equal share keep their width,
    // the others share what remains and their cells wrap.
    loop {
        #[allow(clippy::cast_precision_loss, reason = "a few columns")]
        let share = left / open.len() as f32;
        let (fit, wide): (Vec<usize>, Vec<usize>) =
            open.iter().partition(|&&i| natural[i] <= share);
        if fit.is_empty() {
            for &i in &wide {
                widths[i] = share;
            }
            return widths;
        }
        for &i in &fit {
            widths[i] = natural[i];
            left -= natural[i];
        }
        if wide.is_empty() {
            return widths;
        }
        open = wide;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(columns: Vec<Column>, rows: &[&[&str]]) -> Table {
        Table {
            columns,
            rows: rows
                .iter()
                .map(|r| r.iter().map(|c| (*c).to_owned()).collect())
                .collect(),
        }
    }

    #[test]
    fn a_narrow_table_spans_the_width_and_keeps_its_cells_on_one_line() {
        let t = table(
            vec![Column::text("Mois"), Column::number("DUI actifs")],
            &[&["mai 2024", "105"], &["avril 2024", "1 234 567"]],
        );
        let sized = SizedTable::new(&t, 500.0, 60);
        assert!((sized.widths.iter().sum::<f32>() - 500.0).abs() < 0.01);
        assert!(sized.rows.iter().all(|r| r.lines() == 1));
        assert_eq!(sized.rows[1].cells[1], vec!["1 234 567".to_owned()]);
    }

    #[test]
    fn a_too_wide_column_wraps_and_the_narrow_ones_keep_their_width() {
        let long = "mot ".repeat(80);
        let t = table(
            vec![Column::text("Libellé"), Column::number("Valeur")],
            &[&[long.trim_end(), "36,8 %"]],
        );
        let sized = SizedTable::new(&t, 500.0, 60);
        assert!(sized.widths.iter().sum::<f32>() <= 500.01);
        assert!(sized.rows[0].cells[0].len() > 1);
        assert_eq!(sized.rows[0].cells[1], vec!["36,8 %".to_owned()]);
        for line in &sized.rows[0].cells[0] {
            assert!(text_width(line, TABLE_SIZE) <= sized.widths[0] - 2.0 * CELL_PAD_X);
        }
    }

    #[test]
    fn a_cell_taller_than_a_page_is_cut_with_an_ellipsis() {
        let long = "mot ".repeat(2000);
        let t = table(vec![Column::text("Libellé").fraction(0.3)], &[&[&long]]);
        let sized = SizedTable::new(&t, 500.0, 10);
        let cell = &sized.rows[0].cells[0];
        assert_eq!(cell.len(), 10 - sized.header.lines());
        assert!(cell.last().is_some_and(|l| l.ends_with('…')));
        assert!((sized.widths[0] - 150.0).abs() < 0.01);
    }

    #[test]
    fn fractions_over_one_are_scaled_and_missing_cells_are_blank() {
        let t = table(
            vec![
                Column::text("A").fraction(0.8),
                Column::text("B").fraction(0.8),
            ],
            &[&["x"]],
        );
        let sized = SizedTable::new(&t, 400.0, 60);
        assert!((sized.widths[0] - 200.0).abs() < 0.01);
        assert!(sized.rows[0].cells[1].is_empty());
    }
}
