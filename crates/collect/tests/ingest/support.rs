//! Builders for small collection workbooks and assertions on reports.

use std::collections::BTreeSet;

use carnet_collect::{Checked, Finding, Limits, ProjectRef, Rule, Severity, read_workbook};
use carnet_core::{Finess, Siret};
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook, Worksheet};

/// One cell to write.
#[derive(Debug, Clone)]
pub enum C {
    T(String),
    N(f64),
    D(u16, u8, u8),
    Blank,
}

pub fn t(s: impl Into<String>) -> C {
    C::T(s.into())
}

pub const DATA_SHEET: &str = "Liste des mesures d'usage";
pub const SIRET: &str = "73282932000074";
pub const GALIS: f64 = 4107.0;

/// Headers as real files spell them, with the name column between C and D.
pub const HEADERS: [&str; 12] = [
    "Référence GALIS",
    "SIRET Porteur",
    "FINESS Géographique",
    "Nom de l'ESSMS",
    "Nombre de DMP alimentés",
    "Nombre de messages envoyés via la MS Santé",
    "Nombre de DUI actifs",
    "Nombre de personnes accompagnées par la structure",
    "Nombre de DUI avec projet personnalisé",
    "Nombre de DUI avec au moins un événement d'agenda",
    "Premier jour de la période de recueil",
    "Dernier jour de la période de recueil",
];

pub fn header() -> Vec<C> {
    HEADERS.iter().map(|h| t(*h)).collect()
}

/// A valid FINESS in Gironde, different for each `i`.
pub fn finess(i: usize) -> String {
    Finess::with_computed_key(&format!("330{:05}", 100 + i))
        .unwrap()
        .to_string()
}

/// A valid row: columns A..L (GALIS, SIRET, FINESS, name, E DMP 5, F MSS 10,
/// G actifs 40, H accompanied 50, I PP 30, J agenda 20, K 01/05/2024, L 31/05/2024).
pub fn row(i: usize) -> Vec<C> {
    vec![
        C::N(GALIS),
        t(SIRET),
        t(finess(i)),
        t(format!("ESSMS {i}")),
        C::N(5.0),
        C::N(10.0),
        C::N(40.0),
        C::N(50.0),
        C::N(30.0),
        C::N(20.0),
        C::D(2024, 5, 1),
        C::D(2024, 5, 31),
    ]
}

/// Column index of a letter, for overriding one cell of a row.
pub fn col(letter: char) -> usize {
    (letter as u8 - b'A') as usize
}

/// Header + `n` valid rows.
pub fn table(n: usize) -> Vec<Vec<C>> {
    let mut rows = vec![header()];
    rows.extend((0..n).map(row));
    rows
}

/// Writes rows into a worksheet, starting at A1.
pub fn write_rows(sheet: &mut Worksheet, rows: &[Vec<C>]) {
    let date = Format::new().set_num_format("dd/mm/yyyy");
    for (r, cells) in rows.iter().enumerate() {
        for (c, cell) in cells.iter().enumerate() {
            let (r, c) = (r as u32, c as u16);
            match cell {
                C::T(s) => {
                    sheet.write_string(r, c, s).unwrap();
                }
                C::N(n) => {
                    sheet.write_number(r, c, *n).unwrap();
                }
                C::D(y, m, d) => {
                    let dt = ExcelDateTime::from_ymd(*y, *m, *d).unwrap();
                    sheet.write_datetime_with_format(r, c, &dt, &date).unwrap();
                }
                C::Blank => {}
            }
        }
    }
}

/// Writes sheets of rows starting at A1.
pub fn xlsx(sheets: &[(&str, Vec<Vec<C>>)]) -> Vec<u8> {
    let mut workbook = Workbook::new();
    for (name, rows) in sheets {
        let sheet = workbook.add_worksheet();
        sheet.set_name(*name).unwrap();
        write_rows(sheet, rows);
    }
    workbook.save_to_buffer().unwrap()
}

/// The usual three sheets with the given data table.
pub fn collection_file(rows: Vec<Vec<C>>) -> Vec<u8> {
    xlsx(&[
        (
            "Consignes",
            vec![vec![t("Ce document vous permet de déclarer…")]],
        ),
        (DATA_SHEET, rows),
        ("Preuves d'usage", vec![]),
    ])
}

pub fn check(bytes: &[u8]) -> Checked {
    read_workbook(bytes, None, &Limits::default()).unwrap()
}

pub fn check_for(bytes: &[u8], project: &ProjectRef) -> Checked {
    read_workbook(bytes, Some(project), &Limits::default()).unwrap()
}

/// The project of GALIS 4107 with the establishments `finess(0..n)`.
pub fn project(n: usize) -> ProjectRef {
    ProjectRef {
        galis: "4107".to_owned(),
        siret: Siret::parse(SIRET).unwrap(),
        establishments: (0..n)
            .map(|i| Finess::parse(&finess(i)).unwrap())
            .collect::<BTreeSet<_>>(),
    }
}

/// (cell, rule, severity) of every finding, for exact comparisons.
pub fn summary(checked: &Checked) -> Vec<(String, Rule, Severity)> {
    checked
        .report
        .findings
        .iter()
        .map(|f| (f.cell.clone().unwrap_or_default(), f.rule, f.severity))
        .collect()
}

/// Asserts the report holds exactly these findings, in any order.
pub fn assert_findings(checked: &Checked, expected: &[(&str, Rule, Severity)]) {
    let mut got = summary(checked);
    let mut want: Vec<(String, Rule, Severity)> = expected
        .iter()
        .map(|(c, r, s)| ((*c).to_owned(), *r, *s))
        .collect();
    got.sort_by(|a, b| format!("{a:?}").cmp(&format!("{b:?}")));
    want.sort_by(|a, b| format!("{a:?}").cmp(&format!("{b:?}")));
    assert_eq!(got, want, "report:\n{}", checked.report.to_text());
}

/// The one finding at a cell.
pub fn finding<'a>(checked: &'a Checked, cell: &str) -> &'a Finding {
    let found: Vec<&Finding> = checked
        .report
        .findings
        .iter()
        .filter(|f| f.cell.as_deref() == Some(cell))
        .collect();
    assert_eq!(found.len(), 1, "report:\n{}", checked.report.to_text());
    found[0]
}

pub const E: Severity = Severity::Erreur;
pub const W: Severity = Severity::Avertissement;
