//! The plain document's tables, read back by poppler's `pdftotext -layout`
//! (one line per row, cells in column order, the header repeated on the next
//! page) and checked by `qpdf --check`.

use carnet_reports::{Block, Column, Line, Table, TextDocument, text_document_pdf};

use super::{produced_at, run, scratch, tool};

const HEADER: [&str; 4] = [
    "Mois",
    "DUI actifs",
    "Personnes accompagnées",
    "Taux de dossiers actifs",
];

/// Whether `cells` appear in `line` left to right, none overlapping.
fn in_order(line: &str, cells: &[&str]) -> bool {
    let mut from = 0;
    for cell in cells {
        match line[from..].find(cell) {
            Some(at) => from += at + cell.len(),
            None => return false,
        }
    }
    true
}

fn long_document() -> TextDocument {
    let mut rows: Vec<Vec<String>> = (0..70)
        .map(|i| {
            vec![
                format!("mois n° {i}"),
                format!("{} 234", i + 1),
                format!("{} 567", i + 2),
                format!("{i},5 %"),
            ]
        })
        .collect();
    rows.insert(
        3,
        vec![
            format!("{} fin-du-libellé", "libellé très long ".repeat(12)),
            "7 777".to_owned(),
            "8 888".to_owned(),
            "99,9 %".to_owned(),
        ],
    );
    TextDocument {
        title: "Flash d'essai".to_owned(),
        author: "Carnet".to_owned(),
        produced_at: produced_at(),
        blocks: vec![
            Block::Line(Line {
                text: "Flash d'essai".to_owned(),
                size: 15.0,
                space_before: 0.0,
            }),
            Block::Paragraph("Un paragraphe avant le tableau.".to_owned()),
            Block::Heading("Évolution de la région".to_owned()),
            Block::Table(Table {
                columns: vec![
                    Column::text(HEADER[0]),
                    Column::number(HEADER[1]),
                    Column::number(HEADER[2]),
                    Column::number(HEADER[3]),
                ],
                rows,
            }),
            Block::Paragraph("Un paragraphe après le tableau.".to_owned()),
        ],
    }
}

#[test]
fn a_table_over_two_pages_reads_row_by_row_and_repeats_its_header() {
    let dir = scratch("document-table");
    let path = dir.join("flash.pdf");
    std::fs::write(&path, text_document_pdf(&long_document()).unwrap()).unwrap();
    if !tool("pdftotext", "poppler-utils") {
        return;
    }
    let (ok, text) = run("pdftotext", &["-layout", path.to_str().unwrap(), "-"]);
    assert!(ok, "{text}");
    let pages: Vec<&str> = text
        .split('\u{c}')
        .filter(|p| !p.trim().is_empty())
        .collect();
    assert_eq!(pages.len(), 2, "{text}");
    for (n, page) in pages.iter().enumerate() {
        assert!(
            page.lines().any(|l| in_order(l, &HEADER)),
            "en-tête absent de la page {} :\n{page}",
            n + 1
        );
        assert!(page.contains(&format!("page {} sur 2", n + 1)), "{page}");
    }
    let row = |cells: &[&str]| text.lines().filter(|l| in_order(l, cells)).count();
    assert_eq!(row(&["mois n° 0", "1 234", "2 567", "0,5 %"]), 1, "{text}");
    assert_eq!(
        row(&["mois n° 69", "70 234", "71 567", "69,5 %"]),
        1,
        "{text}"
    );
    // The long label wraps inside its column: its row's figures stay on its
    // first line and its last word is printed, not cut off by the page edge.
    assert_eq!(
        row(&["libellé très long", "7 777", "8 888", "99,9 %"]),
        1,
        "{text}"
    );
    assert!(text.contains("fin-du-libellé"), "{text}");
    assert!(pages[1].contains("Un paragraphe après le tableau."));
}

#[test]
fn a_document_with_tables_passes_qpdf_check() {
    let dir = scratch("document-qpdf");
    let path = dir.join("flash.pdf");
    std::fs::write(&path, text_document_pdf(&long_document()).unwrap()).unwrap();
    if !tool("qpdf", "qpdf") {
        return;
    }
    let (ok, out) = run("qpdf", &["--check", path.to_str().unwrap()]);
    assert!(ok, "{out}");
    assert!(
        out.contains("No syntax or stream encoding errors found"),
        "{out}"
    );
}
