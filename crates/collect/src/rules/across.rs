//! The rules across rows (SPEC.md §4.1): one GALIS and one SIRET per file, each
//! FINESS once and within the project, no row twice, one period per file.
//!
//! This module owns the comparisons between rows; reading each cell is done
//! before, in `rules`, and a value that could not be read is not compared.

use std::collections::HashMap;

use carnet_core::Finess;
use jiff::civil::Date;

use super::{Ctx, Row};
use crate::ProjectRef;
use crate::cells::{display, french_date};
use crate::headers::Field;
use crate::report::{CellRef, Finding, Rule, Severity};

fn first_cell(ctx: &Ctx<'_>, r: u32) -> CellRef {
    CellRef::new(r, ctx.layout.columns.values().copied().min().unwrap_or(0))
}

pub(crate) fn check(ctx: &mut Ctx<'_>, rows: &[Row], project: Option<&ProjectRef>) {
    same_galis(ctx, rows, project);
    same_siret(ctx, rows, project);
    let duplicates = duplicate_rows(ctx, rows);
    unique_finess(ctx, rows, project, &duplicates);
    one_period(ctx, rows);
    if let Some(p) = project {
        every_establishment(ctx, rows, p);
    }
}

/// SPEC.md §4.1: one row per ESSMS of the project. A missing one is a warning,
/// not an error: an establishment not yet started has nothing to declare, and
/// the ARS follows completeness on its dashboards.
fn every_establishment(ctx: &mut Ctx<'_>, rows: &[Row], project: &ProjectRef) {
    for finess in &project.establishments {
        if rows.iter().any(|r| r.finess.as_ref() == Some(finess)) {
            continue;
        }
        ctx.findings.push(Finding::new(
            Severity::Avertissement,
            Rule::MissingEstablishment,
            &ctx.grid.name,
            None,
            None,
            format!(
                "l'ESSMS {finess} du projet {} n'a pas de ligne dans ce fichier : \
                 ses indicateurs ne seront pas comptés pour cette période",
                project.galis
            ),
        ));
    }
}

fn same_galis(ctx: &mut Ctx<'_>, rows: &[Row], project: Option<&ProjectRef>) {
    let reference = match project {
        Some(p) => Some((p.galis.clone(), "celle du projet".to_owned())),
        None => rows.iter().find_map(|r| {
            r.galis
                .clone()
                .map(|g| (g, format!("celle de la ligne {}", r.row)))
        }),
    };
    let Some((expected, whose)) = reference else {
        return;
    };
    for row in rows {
        if let Some(galis) = &row.galis
            && galis.trim() != expected.trim()
            && let Some((at, _)) = ctx.at(row.row - 1, Field::Galis)
        {
            ctx.push(
                Severity::Erreur,
                Rule::Galis,
                at,
                Some(galis.clone()),
                format!(
                    "Référence GALIS différente de {whose} (« {expected} ») : un fichier ne porte qu'un projet"
                ),
            );
        }
    }
}

fn same_siret(ctx: &mut Ctx<'_>, rows: &[Row], project: Option<&ProjectRef>) {
    let reference = match project {
        Some(p) => Some((
            p.siret.clone(),
            "celui du porteur déclaré dans GALIS".to_owned(),
        )),
        None => rows.iter().find_map(|r| {
            r.siret
                .clone()
                .map(|s| (s, format!("celui de la ligne {}", r.row)))
        }),
    };
    let Some((expected, whose)) = reference else {
        return;
    };
    for row in rows {
        if let Some(siret) = &row.siret
            && *siret != expected
            && let Some((at, _)) = ctx.at(row.row - 1, Field::Siret)
        {
            ctx.push(
                Severity::Erreur,
                Rule::Siret,
                at,
                Some(siret.to_string()),
                format!("SIRET du porteur différent de {whose} (« {expected} »)"),
            );
        }
    }
}

/// Rows identical to an earlier one in every recognised column. Returns their
/// row numbers so that the FINESS rule does not report them a second time.
///
/// Rows are first grouped by their FINESS cell (by their first recognised
/// column without a FINESS column): only rows of the same group can be
/// identical, so the full comparison is made for those alone.
fn duplicate_rows(ctx: &mut Ctx<'_>, rows: &[Row]) -> Vec<u32> {
    let columns: Vec<u32> = ctx.layout.columns.values().copied().collect();
    let anchor = ctx
        .layout
        .column(Field::Finess)
        .or_else(|| columns.first().copied());
    let cell =
        |ctx: &Ctx<'_>, r: u32, c: u32| display(ctx.grid.get(r, c), ctx.is_1904).trim().to_owned();
    let key = |ctx: &Ctx<'_>, r: u32| -> Vec<String> {
        columns.iter().map(|c| cell(ctx, r, *c)).collect()
    };
    // Sheet rows (1-based) of the first row of each content, by anchor text.
    let mut firsts: HashMap<String, Vec<u32>> = HashMap::new();
    let mut duplicates = Vec::new();
    for row in rows {
        let r = row.row - 1;
        let group = firsts
            .entry(anchor.map(|c| cell(ctx, r, c)).unwrap_or_default())
            .or_default();
        let first = if group.is_empty() {
            None
        } else {
            let mine = key(ctx, r);
            group.iter().copied().find(|f| key(ctx, f - 1) == mine)
        };
        match first {
            Some(first) => {
                let at = first_cell(ctx, r);
                ctx.push(
                    Severity::Erreur,
                    Rule::DuplicateRow,
                    at,
                    None,
                    format!(
                        "la ligne {} est identique à la ligne {first} : supprimez le doublon",
                        row.row
                    ),
                );
                duplicates.push(row.row);
            }
            None => group.push(row.row),
        }
    }
    duplicates
}

fn unique_finess(
    ctx: &mut Ctx<'_>,
    rows: &[Row],
    project: Option<&ProjectRef>,
    duplicates: &[u32],
) {
    let mut first: HashMap<&Finess, u32> = HashMap::new();
    for row in rows {
        let Some(finess) = &row.finess else {
            continue;
        };
        let Some((at, _)) = ctx.at(row.row - 1, Field::Finess) else {
            continue;
        };
        if let Some(p) = project
            && !p.establishments.contains(finess)
        {
            ctx.push(
                Severity::Erreur,
                Rule::NotInProject,
                at,
                Some(finess.to_string()),
                format!(
                    "l'ESSMS {finess} ne fait pas partie des établissements du projet {} : \
                     retirez la ligne ou demandez à l'ARS de mettre le projet à jour",
                    p.galis
                ),
            );
        }
        match first.get(finess) {
            Some(&earlier) if !duplicates.contains(&row.row) => ctx.push(
                Severity::Erreur,
                Rule::DuplicateFiness,
                at,
                Some(finess.to_string()),
                format!(
                    "FINESS déjà déclaré ligne {earlier} : un ESSMS n'a qu'une ligne par fichier"
                ),
            ),
            Some(_) => {}
            None => {
                first.insert(finess, row.row);
            }
        }
    }
}

/// A file declares one period (the declaration is per project and period).
fn one_period(ctx: &mut Ctx<'_>, rows: &[Row]) {
    let mut reference: Option<(Date, Date, u32)> = None;
    for row in rows {
        let (Some(start), Some(end)) = (row.start, row.end) else {
            continue;
        };
        match reference {
            None => reference = Some((start, end, row.row)),
            Some((s, e, first)) if (s, e) != (start, end) => {
                let col = if s != start { Field::Start } else { Field::End };
                if let Some((at, cell)) = ctx.at(row.row - 1, col) {
                    let shown = ctx.shown(cell);
                    ctx.push(
                        Severity::Erreur,
                        Rule::Period,
                        at,
                        shown,
                        format!(
                            "période du {} au {} différente de celle de la ligne {first} (du {} au {}) : \
                             un fichier ne déclare qu'une période ; envoyez un fichier par période",
                            french_date(start),
                            french_date(end),
                            french_date(s),
                            french_date(e)
                        ),
                    );
                }
            }
            Some(_) => {}
        }
    }
}

/// The single period of the file, when every row agrees.
pub(crate) fn file_period(rows: &[Row]) -> Option<(Date, Date)> {
    let mut periods = rows.iter().map(|r| (r.start, r.end));
    let (Some(start), Some(end)) = periods.next()? else {
        return None;
    };
    periods
        .all(|p| p == (Some(start), Some(end)))
        .then_some((start, end))
}
