//! The aggregates as tables, in three renderings that show the same cells: a
//! French text table for the terminal (thousands separated by a space,
//! decimal comma), a CSV for French spreadsheets (`;`, UTF-8 with BOM), and an
//! .xlsx workbook (numbers stay numbers, rates formatted as percentages).
//!
//! This module decides what is shown and how it is written; it computes
//! nothing (that is `aggregate`).

use std::collections::BTreeSet;

use rust_xlsxwriter::{Format, Workbook, XlsxError};

use super::{Aggregate, Month, Scope, Share, Summary};

/// The level of detail asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Nation,
    Region,
    Project,
}

/// Which aggregates to show: a level, and optionally one region (INSEE code),
/// which keeps the region's aggregate, or the projects with an establishment
/// in it (or followed by its desk).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selection {
    pub level: Level,
    pub region: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
enum Cell {
    Text(String),
    Count(Option<u64>),
    Signed(Option<i64>),
    /// Per mille; `None` absent (shown « – »).
    Percent(Option<u64>),
}

struct Table {
    title: &'static str,
    /// Short name for a worksheet (31 characters at most).
    sheet: &'static str,
    headers: Vec<&'static str>,
    rows: Vec<Vec<Cell>>,
}

const RATE_HEADERS: [&str; 5] = [
    "Taux de dossiers actifs",
    "Taux de dossiers actifs avec PP",
    "Taux de dossiers actifs avec agenda",
    "Taux d'utilisation du DMP",
    "Taux d'utilisation de la MSSanté",
];

const SHARE_HEADERS: [&str; 5] = [
    "ESSMS à la cible : dossiers actifs",
    "ESSMS à la cible : PP",
    "ESSMS à la cible : agenda",
    "ESSMS à la cible : DMP",
    "ESSMS à la cible : MSSanté",
];

impl Selection {
    fn keeps(&self, summary: &Summary, aggregate: &Aggregate) -> bool {
        match (&aggregate.scope, &self.region) {
            (_, None) => true,
            (Scope::Nation, Some(_)) => true,
            (Scope::Region(r), Some(code)) => r.is_some_and(|r| r.code == code),
            (Scope::Project(galis), Some(code)) => self.project_in_region(summary, galis, code),
        }
    }

    fn project_in_region(&self, summary: &Summary, galis: &str, code: &str) -> bool {
        summary
            .project_regions
            .get(galis)
            .is_some_and(|set| set.contains(code))
    }

    fn keeps_project(&self, summary: &Summary, galis: &str) -> bool {
        self.region
            .as_deref()
            .is_none_or(|code| self.project_in_region(summary, galis, code))
    }

    fn aggregates<'a>(&self, summary: &'a Summary) -> Vec<&'a Aggregate> {
        let all = match self.level {
            Level::Nation => &summary.nation,
            Level::Region => &summary.regions,
            Level::Project => &summary.projects,
        };
        all.iter().filter(|a| self.keeps(summary, a)).collect()
    }
}

fn share(s: Share) -> Cell {
    Cell::Percent(s.per_mille())
}

fn scope_cell(a: &Aggregate) -> Cell {
    Cell::Text(match &a.scope {
        Scope::Project(galis) => galis.clone(),
        other => other.label(),
    })
}

/// The main table: every figure, rate and share of each aggregate selected.
fn indicators(summary: &Summary, selection: &Selection) -> Table {
    let mut headers = vec![
        "Mois",
        match selection.level {
            Level::Nation => "Périmètre",
            Level::Region => "Région",
            Level::Project => "Référence GALIS",
        },
        "Projets déclarants",
        "ESSMS déclarés",
        "DUI actifs",
        "Personnes accompagnées",
        "DMP alimentés",
        "Messages MSSanté",
        "DUI avec PP",
        "DUI avec agenda",
    ];
    headers.extend(RATE_HEADERS);
    headers.extend(SHARE_HEADERS);
    let rows = selection
        .aggregates(summary)
        .into_iter()
        .map(|a| {
            let mut row = vec![
                Cell::Text(a.month.to_string()),
                scope_cell(a),
                Cell::Count(Some(a.projects)),
                Cell::Count(Some(a.establishments)),
                Cell::Count(Some(a.actifs)),
                Cell::Count(Some(a.accompanied)),
                Cell::Count(a.dmp),
                Cell::Count(a.mss),
                Cell::Count(a.care_plan),
                Cell::Count(a.appointment),
            ];
            row.extend(
                a.rates
                    .all()
                    .map(|r| Cell::Percent(r.and_then(|r| r.per_mille))),
            );
            row.extend(a.shares.all().map(share));
            row
        })
        .collect();
    Table {
        title: "Indicateurs d'usage (déclarations en vigueur)",
        sheet: "Indicateurs",
        headers,
        rows,
    }
}

fn trajectory(summary: &Summary) -> Table {
    Table {
        title: "Trajectoire nationale (cibles du programme, SPEC §5)",
        sheet: "Trajectoire",
        headers: vec![
            "Mois",
            "DUI actifs",
            "Cible DUI actifs",
            "Écart DUI actifs",
            "ESSMS embarqués",
            "Cible ESSMS embarqués",
            "Écart ESSMS embarqués",
        ],
        rows: summary
            .trajectory
            .iter()
            .map(|p| {
                vec![
                    Cell::Text(p.month.to_string()),
                    Cell::Count(Some(p.actifs)),
                    Cell::Count(Some(p.actifs_target)),
                    Cell::Signed(Some(p.actifs_gap)),
                    Cell::Count(Some(p.embarked)),
                    Cell::Count(p.embarked_target),
                    Cell::Signed(p.embarked_gap),
                ]
            })
            .collect(),
    }
}

fn completeness(summary: &Summary, selection: &Selection) -> Table {
    let expected = summary
        .registered
        .iter()
        .filter(|g| selection.keeps_project(summary, g))
        .count();
    let rows = summary
        .months
        .iter()
        .map(|&month| {
            let receipts: Vec<_> = summary
                .receipts
                .iter()
                .filter(|r| r.month == month && selection.keeps_project(summary, &r.galis))
                .collect();
            let missing = summary
                .missing
                .iter()
                .filter(|m| m.month == month && selection.keeps_project(summary, &m.galis))
                .count();
            vec![
                Cell::Text(month.to_string()),
                Cell::Count(Some(expected as u64)),
                Cell::Count(Some(receipts.len() as u64)),
                Cell::Count(Some(missing as u64)),
                Cell::Count(Some(receipts.iter().filter(|r| r.late).count() as u64)),
            ]
        })
        .collect();
    Table {
        title: "Complétude et ponctualité",
        sheet: "Complétude",
        headers: vec![
            "Mois",
            "Projets connus",
            "Projets déclarants",
            "Projets sans déclaration",
            "Déclarations en retard",
        ],
        rows,
    }
}

fn tables(summary: &Summary, selection: &Selection) -> Vec<Table> {
    let mut out = vec![indicators(summary, selection)];
    if selection.level == Level::Nation && selection.region.is_none() {
        out.push(trajectory(summary));
    }
    out.push(completeness(summary, selection));
    out
}

/// « 12 345 » (a space between thousands).
pub fn french_count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(' ');
        }
        out.push(c);
    }
    out
}

/// « +1 200 », « -3 », « 0 ».
pub fn french_signed(n: i64) -> String {
    let sign = if n < 0 {
        "-"
    } else if n > 0 {
        "+"
    } else {
        ""
    };
    format!("{sign}{}", french_count(n.unsigned_abs()))
}

/// « 93,4 » from per mille.
pub fn french_percent(per_mille: u64) -> String {
    format!("{},{}", per_mille / 10, per_mille % 10)
}

fn shown(cell: &Cell) -> String {
    match cell {
        Cell::Text(t) => t.clone(),
        Cell::Count(Some(n)) => french_count(*n),
        Cell::Signed(Some(n)) => french_signed(*n),
        Cell::Percent(Some(pm)) => format!("{} %", french_percent(*pm)),
        Cell::Count(None) | Cell::Signed(None) | Cell::Percent(None) => "–".to_owned(),
    }
}

/// The summary as French text tables, one after the other.
pub fn to_table(summary: &Summary, selection: &Selection) -> String {
    let mut out = String::new();
    if summary.months.is_empty() {
        out.push_str("Aucune déclaration enregistrée pour ces mois.\n");
    }
    for table in tables(summary, selection) {
        out.push_str(&format!("{}\n", table.title));
        let cells: Vec<Vec<String>> = table
            .rows
            .iter()
            .map(|r| r.iter().map(shown).collect())
            .collect();
        let widths: Vec<usize> = table
            .headers
            .iter()
            .enumerate()
            .map(|(i, h)| {
                cells
                    .iter()
                    .map(|r| r[i].chars().count())
                    .chain([h.chars().count()])
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let line = |values: &mut dyn Iterator<Item = (usize, String, bool)>| {
            let mut text = String::new();
            for (i, value, right) in values {
                let pad = " ".repeat(widths[i].saturating_sub(value.chars().count()));
                if i > 0 {
                    text.push_str("  ");
                }
                if right {
                    text.push_str(&pad);
                    text.push_str(&value);
                } else {
                    text.push_str(&value);
                    text.push_str(&pad);
                }
            }
            format!("{}\n", text.trim_end())
        };
        out.push_str(&line(
            &mut table
                .headers
                .iter()
                .enumerate()
                .map(|(i, h)| (i, (*h).to_owned(), false)),
        ));
        for (row, texts) in table.rows.iter().zip(cells) {
            out.push_str(&line(&mut texts.into_iter().enumerate().map(|(i, v)| {
                let right = !matches!(row[i], Cell::Text(_));
                (i, v, right)
            })));
        }
        out.push('\n');
    }
    out
}

fn csv_field(text: &str) -> String {
    if text.contains([';', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

/// The indicators table as CSV for French spreadsheets: UTF-8 with BOM, `;`
/// separated, decimal comma, rates in percent without the sign, an absent
/// value left empty. (The trajectory and completeness are in the .xlsx.)
pub fn to_csv(summary: &Summary, selection: &Selection) -> Vec<u8> {
    let table = indicators(summary, selection);
    let mut out = String::from("\u{feff}");
    let headers: Vec<String> = table
        .headers
        .iter()
        .map(|h| {
            if RATE_HEADERS.contains(h) || SHARE_HEADERS.contains(h) {
                csv_field(&format!("{h} (%)"))
            } else {
                csv_field(h)
            }
        })
        .collect();
    out.push_str(&headers.join(";"));
    out.push_str("\r\n");
    for row in &table.rows {
        let fields: Vec<String> = row
            .iter()
            .map(|c| match c {
                Cell::Text(t) => csv_field(t),
                Cell::Count(n) => n.map(|n| n.to_string()).unwrap_or_default(),
                Cell::Signed(n) => n.map(|n| n.to_string()).unwrap_or_default(),
                Cell::Percent(p) => p.map(french_percent).unwrap_or_default(),
            })
            .collect();
        out.push_str(&fields.join(";"));
        out.push_str("\r\n");
    }
    out.into_bytes()
}

/// Every table of the summary as a worksheet of an .xlsx workbook.
pub fn to_xlsx(summary: &Summary, selection: &Selection) -> Result<Vec<u8>, XlsxError> {
    let mut workbook = Workbook::new();
    let bold = Format::new().set_bold().set_text_wrap();
    let percent = Format::new().set_num_format("0.0%");
    let count = Format::new().set_num_format("# ##0");
    for table in tables(summary, selection) {
        let sheet = workbook.add_worksheet();
        sheet.set_name(table.sheet)?;
        for (c, h) in table.headers.iter().enumerate() {
            let c = u16::try_from(c).unwrap_or(u16::MAX);
            sheet.write_string_with_format(0, c, *h, &bold)?;
            sheet.set_column_width(c, 14)?;
        }
        for (r, row) in table.rows.iter().enumerate() {
            let r = u32::try_from(r + 1).unwrap_or(u32::MAX);
            for (c, cell) in row.iter().enumerate() {
                let c = u16::try_from(c).unwrap_or(u16::MAX);
                // Counts fit an f64 exactly below 2^53, far above any declared figure.
                match cell {
                    Cell::Text(t) => {
                        sheet.write_string(r, c, t)?;
                    }
                    Cell::Count(Some(n)) => {
                        sheet.write_number_with_format(r, c, *n as f64, &count)?;
                    }
                    Cell::Signed(Some(n)) => {
                        sheet.write_number_with_format(r, c, *n as f64, &count)?;
                    }
                    Cell::Percent(Some(pm)) => {
                        sheet.write_number_with_format(r, c, *pm as f64 / 1000.0, &percent)?;
                    }
                    Cell::Count(None) | Cell::Signed(None) | Cell::Percent(None) => {}
                }
            }
        }
        sheet.set_freeze_panes(1, 0)?;
    }
    workbook.save_to_buffer()
}

/// The projects without a declaration for a month (those of a region when
/// given), one French line each.
pub fn missing_text(summary: &Summary, month: Month, region: Option<&str>) -> String {
    let selection = Selection {
        level: Level::Project,
        region: region.map(str::to_owned),
    };
    let missing: Vec<_> = summary
        .missing
        .iter()
        .filter(|m| m.month == month && selection.keeps_project(summary, &m.galis))
        .collect();
    let mut out = format!(
        "Projets sans déclaration pour {} : {} sur {}\n",
        month.label(),
        missing.len(),
        summary
            .registered
            .iter()
            .filter(|g| selection.keeps_project(summary, g))
            .count()
    );
    for m in missing {
        let regions: BTreeSet<&str> = m
            .regions
            .iter()
            .filter_map(|c| crate::regions::by_code(c).map(|r| r.name))
            .collect();
        out.push_str(&format!(
            "  {}{} — {}\n",
            m.galis,
            m.label
                .as_deref()
                .map(|l| format!(" ({l})"))
                .unwrap_or_default(),
            if regions.is_empty() {
                "région inconnue".to_owned()
            } else {
                regions.into_iter().collect::<Vec<_>>().join(", ")
            }
        ));
    }
    let late: Vec<_> = summary
        .receipts
        .iter()
        .filter(|r| r.month == month && r.late && selection.keeps_project(summary, &r.galis))
        .collect();
    out.push_str(&format!(
        "Déclarations en retard pour {} : {}\n",
        month.label(),
        late.len()
    ));
    for r in late {
        out.push_str(&format!(
            "  {} — reçue le {}, échéance le {}\n",
            r.galis,
            crate::cells::french_date(
                r.first_received
                    .to_zoned_datetime(
                        jiff::tz::TimeZone::get("Europe/Paris").unwrap_or(jiff::tz::TimeZone::UTC)
                    )
                    .date()
            ),
            crate::cells::french_date(r.deadline)
        ));
    }
    out
}
