//! The flash report as one self-contained, printable French HTML page: no
//! script, no external file (style inline, A4 print rules), every value
//! escaped. The web pages may serve it as is or render [`super::Flash`] in
//! their own templates.

use carnet_reports::{Align, Block, Table};

use super::text::{sections, subtitle, title};
use super::{Flash, tables};

/// Escapes text for HTML content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Escapes `text` and keeps numbers whole on a line: a space after a digit
/// and before a digit or « % » (« 410 000 », « 36,8 % ») becomes a no-break space.
fn html_text(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut glued = String::with_capacity(text.len());
    for (i, &c) in chars.iter().enumerate() {
        let between = c == ' '
            && i > 0
            && chars[i - 1].is_ascii_digit()
            && chars
                .get(i + 1)
                .is_some_and(|n| n.is_ascii_digit() || *n == '%');
        glued.push(if between { '\u{a0}' } else { c });
    }
    escape(&glued).replace('\u{a0}', "&nbsp;")
}

const STYLE: &str = "\
@page { size: A4; margin: 15mm; }
body { font-family: 'DejaVu Sans', Arial, sans-serif; font-size: 10.5pt; color: #111; \
max-width: 190mm; margin: 1em auto; line-height: 1.35; }
h1 { font-size: 16pt; margin: 0 0 .2em; }
h2 { font-size: 12.5pt; margin: 1.2em 0 .4em; border-bottom: 1px solid #555; \
break-after: avoid; }
p.sous-titre { font-size: 9pt; color: #333; margin: 0 0 1em; }
table { border-collapse: collapse; width: 100%; margin: .3em 0; break-inside: avoid; }
th, td { border: 1px solid #888; padding: .2em .4em; text-align: left; vertical-align: top; }
td.n { text-align: right; white-space: nowrap; }
.non-atteinte { font-weight: bold; }
@media print { body { margin: 0; max-width: none; } }
";

/// A table of [`super::tables`]: numbers right-aligned and kept whole, a
/// target not met in bold.
fn table_html(table: &Table) -> String {
    let mut out = String::from("<table>\n<thead><tr>");
    for c in &table.columns {
        out.push_str(&format!("<th scope=\"col\">{}</th>", html_text(&c.header)));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for row in &table.rows {
        out.push_str("<tr>");
        for (cell, column) in row.iter().zip(&table.columns) {
            let class = if column.align == Align::Right {
                " class=\"n\""
            } else if cell == "cible non atteinte" {
                " class=\"non-atteinte\""
            } else {
                ""
            };
            out.push_str(&format!("<td{class}>{}</td>", html_text(cell)));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody></table>\n");
    out
}

fn block_html(block: &Block) -> String {
    match block {
        Block::Heading(text) => format!("<h2>{}</h2>\n", html_text(text)),
        Block::Paragraph(text) => format!("<p>{}</p>\n", html_text(text)),
        Block::Line(line) => format!("<p>{}</p>\n", html_text(&line.text)),
        Block::Table(table) => table_html(table),
    }
}

/// The whole page: under the title, each section's heading and the blocks
/// the PDF shows too ([`tables::section_blocks`]).
pub fn to_html(flash: &Flash) -> String {
    let title = title(flash);
    let mut out = format!(
        "<!DOCTYPE html>\n<html lang=\"fr\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>\n{STYLE}</style>\n</head>\n<body>\n<main>\n\
         <h1>{}</h1>\n<p class=\"sous-titre\">{}</p>\n",
        html_text(&title),
        html_text(&title),
        html_text(&subtitle(flash))
    );
    for section in sections(flash) {
        out.push_str(&block_html(&Block::Heading(section.title.clone())));
        for block in tables::section_blocks(flash, &section) {
            out.push_str(&block_html(&block));
        }
    }
    out.push_str("</main>\n</body>\n</html>\n");
    out
}
