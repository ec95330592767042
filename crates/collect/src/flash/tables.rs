//! The flash report's sections as blocks — paragraphs and tables, cell by
//! cell — for the HTML page (`html`) and the PDF (`pdf`): both draw these very
//! blocks, so a figure cannot differ between them, and the cells are
//! formatted with the same helpers as the text rendering (`text`), whose
//! lines also give the paragraphs. Columns of numbers are right-aligned.

use carnet_reports::{Block, Column, Table};

use super::Flash;
use super::text::{
    RATE_LABELS, Section, SectionKind, nation_share, rate_text, rates_of, share_text, status_text,
    target_list,
};
use crate::aggregate::{Aggregate, french_count, french_signed};

/// Lines as paragraphs.
fn paragraphs(lines: &[String]) -> impl Iterator<Item = Block> + '_ {
    lines.iter().cloned().map(Block::Paragraph)
}

/// A section's summary line followed by its table, or its lines when there
/// is no table to show.
fn summary_and_table(section: &Section, table: Option<Table>) -> Vec<Block> {
    match table {
        Some(table) => paragraphs(section.lines.get(..1).unwrap_or_default())
            .chain([Block::Table(table)])
            .collect(),
        None => paragraphs(&section.lines).collect(),
    }
}

/// What a section shows under its title: its tables, and its lines as
/// paragraphs where there is no table (a summary, « aucune déclaration… »).
pub fn section_blocks(flash: &Flash, section: &Section) -> Vec<Block> {
    let region_month = flash.region_month.as_ref();
    match section.kind {
        SectionKind::Figures => match region_month {
            Some(a) => std::iter::once(Block::Table(figures(flash, a)))
                .chain(nation_share(flash).map(Block::Paragraph))
                .collect(),
            None => paragraphs(&section.lines).collect(),
        },
        SectionKind::Rates => match region_month {
            Some(a) => vec![Block::Table(rates(flash, a))],
            None => paragraphs(&section.lines).collect(),
        },
        SectionKind::Trajectory => match trajectory(flash) {
            Some(t) => vec![Block::Table(t)],
            None => paragraphs(&section.lines).collect(),
        },
        SectionKind::History => match history(flash) {
            Some(t) => vec![Block::Table(t)],
            None => paragraphs(&section.lines).collect(),
        },
        SectionKind::Completeness => summary_and_table(section, missing(flash)),
        SectionKind::Timeliness => summary_and_table(section, late(flash)),
    }
}

/// « – » for a figure a declaration did not give.
const NOT_GIVEN: &str = "–";

fn optional(n: Option<u64>) -> String {
    n.map_or_else(|| NOT_GIVEN.to_owned(), french_count)
}

/// The region's figures for the month: indicator, value.
pub fn figures(flash: &Flash, a: &Aggregate) -> Table {
    let rows = [
        (
            "Projets déclarants",
            format!(
                "{} sur {} suivis",
                french_count(a.projects),
                french_count(flash.expected.len() as u64)
            ),
        ),
        ("ESSMS déclarés", french_count(a.establishments)),
        ("DUI actifs", french_count(a.actifs)),
        ("Personnes accompagnées", french_count(a.accompanied)),
        ("DMP alimentés", optional(a.dmp)),
        ("Messages MSSanté envoyés", optional(a.mss)),
        ("DUI avec projet personnalisé", optional(a.care_plan)),
        (
            "DUI avec au moins un événement d'agenda",
            optional(a.appointment),
        ),
    ];
    Table {
        columns: vec![Column::text("Indicateur"), Column::number("Valeur")],
        rows: rows
            .into_iter()
            .map(|(label, value)| vec![label.to_owned(), value])
            .collect(),
    }
}

/// Each rate against its target, and the share of establishments meeting it.
pub fn rates(flash: &Flash, a: &Aggregate) -> Table {
    let rows = rates_of(a.rates)
        .into_iter()
        .zip(a.shares.all())
        .zip(RATE_LABELS)
        .zip(target_list(flash))
        .map(|(((rate, share), label), target)| {
            vec![
                label.to_owned(),
                rate_text(rate),
                format!("{target} %"),
                status_text(rate).to_owned(),
                share_text(share),
            ]
        })
        .collect();
    Table {
        columns: vec![
            Column::text("Taux"),
            Column::number("Valeur"),
            Column::number("Cible"),
            Column::text("Résultat"),
            Column::text("ESSMS à la cible"),
        ],
        rows,
    }
}

/// The nation against the programme's targets; `None` when unavailable.
pub fn trajectory(flash: &Flash) -> Option<Table> {
    let p = flash.trajectory.as_ref()?;
    let embarked = match (p.embarked_target, p.embarked_gap) {
        (Some(target), Some(gap)) => vec![
            format!(
                "ESSMS embarqués en France (cible de fin d'année {})",
                p.month.year
            ),
            french_count(p.embarked),
            french_count(target),
            french_signed(gap),
        ],
        _ => vec![
            format!(
                "ESSMS embarqués en France (pas de cible pour {})",
                p.month.year
            ),
            french_count(p.embarked),
            NOT_GIVEN.to_owned(),
            NOT_GIVEN.to_owned(),
        ],
    };
    Some(Table {
        columns: vec![
            Column::text("Indicateur"),
            Column::number("Valeur"),
            Column::number("Cible"),
            Column::number("Écart"),
        ],
        rows: vec![
            vec![
                "DUI actifs déclarés en France".to_owned(),
                french_count(p.actifs),
                french_count(p.actifs_target),
                french_signed(p.actifs_gap),
            ],
            embarked,
        ],
    })
}

/// The region month by month; `None` without any declaration.
pub fn history(flash: &Flash) -> Option<Table> {
    if flash.history.is_empty() {
        return None;
    }
    Some(Table {
        columns: vec![
            Column::text("Mois"),
            Column::number("DUI actifs"),
            Column::number("Personnes accompagnées"),
            Column::number("ESSMS déclarés"),
            Column::number("Taux de dossiers actifs"),
        ],
        rows: flash
            .history
            .iter()
            .map(|a| {
                vec![
                    a.month.label(),
                    french_count(a.actifs),
                    french_count(a.accompanied),
                    french_count(a.establishments),
                    rate_text(a.rates.active),
                ]
            })
            .collect(),
    })
}

/// The expected projects without declaration; `None` when there is none.
pub fn missing(flash: &Flash) -> Option<Table> {
    if flash.missing.is_empty() {
        return None;
    }
    Some(Table {
        columns: vec![Column::text("Projet (GALIS)"), Column::text("Libellé")],
        rows: flash
            .missing
            .iter()
            .map(|m| {
                vec![
                    m.galis.clone(),
                    m.label.clone().unwrap_or_else(|| NOT_GIVEN.to_owned()),
                ]
            })
            .collect(),
    })
}

/// The late declarations; `None` when there is none.
pub fn late(flash: &Flash) -> Option<Table> {
    let late = flash.late();
    if late.is_empty() {
        return None;
    }
    Some(Table {
        columns: vec![
            Column::text("Projet (GALIS)"),
            Column::text("Première version reçue le"),
        ],
        rows: late
            .into_iter()
            .map(|r| {
                vec![
                    r.galis.clone(),
                    carnet_reports::french_instant(r.first_received),
                ]
            })
            .collect(),
    })
}
