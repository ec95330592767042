//! The rules of the collection file (SPEC.md §4.1, identifiers §2.1), applied to
//! every cell of every data row, then across rows.
//!
//! This module owns which findings a data row gets and their severity. Every
//! cell is checked even when the project is unknown or other cells are wrong,
//! so that one report lists everything to fix. It never drops a row without a
//! finding, except rows that are entirely empty.

use std::collections::BTreeMap;

use carnet_core::{Finess, Siret};
use jiff::civil::Date;

mod across;

pub(crate) use across::file_period;

use crate::ProjectRef;
use crate::cells::{self, Read, display, french_date, identifier_text};
use crate::headers::{Field, Layout, normalise};
use crate::projects::Registry;
use crate::report::{CellRef, Finding, Rule, Severity};
use crate::sheet::{Grid, Value};

/// One data row as read. Values that could not be read are `None`, and the
/// report says why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Row {
    /// The row number as a spreadsheet shows it (1-based).
    pub row: u32,
    pub galis: Option<String>,
    pub siret: Option<Siret>,
    pub finess: Option<Finess>,
    pub name: Option<String>,
    pub dmp: Option<u64>,
    pub mss: Option<u64>,
    pub actifs: Option<u64>,
    pub accompanied: Option<u64>,
    pub care_plan: Option<u64>,
    pub appointment: Option<u64>,
    pub start: Option<Date>,
    pub end: Option<Date>,
}

/// A period longer than this is unusual: the presets are 1, 3 and 6 months
/// (SPEC.md §3), so it gets a warning, not an error.
const LONGEST_USUAL_PERIOD_DAYS: i64 = 184;

pub(crate) struct Ctx<'a> {
    pub(crate) grid: &'a Grid,
    pub(crate) layout: &'a Layout,
    pub(crate) is_1904: bool,
    pub(crate) findings: &'a mut Vec<Finding>,
}

impl<'a> Ctx<'a> {
    /// The cell of a field in a row; the value borrows the grid, not the
    /// context, so that findings can be pushed while it is looked at.
    pub(crate) fn at(&self, row: u32, field: Field) -> Option<(CellRef, &'a Value)> {
        let col = self.layout.column(field)?;
        Some((CellRef::new(row, col), self.grid.get(row, col)))
    }

    pub(crate) fn push(
        &mut self,
        severity: Severity,
        rule: Rule,
        at: CellRef,
        value: Option<String>,
        msg: String,
    ) {
        self.findings.push(Finding::new(
            severity,
            rule,
            &self.grid.name,
            Some(at),
            value,
            msg,
        ));
    }

    pub(crate) fn shown(&self, value: &Value) -> Option<String> {
        (!value.is_blank()).then(|| display(value, self.is_1904))
    }

    fn mandatory(&mut self, at: CellRef, field: Field) {
        self.push(
            Severity::Erreur,
            Rule::Mandatory,
            at,
            None,
            format!("cellule vide ; « {} » est obligatoire", field.header()),
        );
    }
}

/// Where the project of a file comes from.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Lookup<'a> {
    /// The caller knows it, or there is no registry to look in.
    Given(Option<&'a ProjectRef>),
    /// Looked up by the file's Référence GALIS once its rows are read.
    Registry(&'a Registry),
}

/// The project of the file from the registry, by the GALIS of its first row
/// that has one. An unknown GALIS is an error on that cell (the rows are then
/// checked among themselves, so that the report still lists everything); an
/// empty registry is a warning: the file is checked as without a registry.
fn resolve<'a>(ctx: &mut Ctx<'_>, rows: &[Row], registry: &'a Registry) -> Option<&'a ProjectRef> {
    if registry.is_empty() {
        ctx.findings.push(Finding::new(
            Severity::Avertissement,
            Rule::Registry,
            &ctx.grid.name,
            None,
            None,
            "le registre des projets est vide : la Référence GALIS, le SIRET du porteur et les \
             FINESS n'ont été comparés qu'entre les lignes du fichier, pas au projet déclaré \
             dans GALIS",
        ));
        return None;
    }
    let row = rows.iter().find(|r| r.galis.is_some())?;
    let galis = row.galis.as_deref()?;
    if let Some(project) = registry.get(galis) {
        return Some(project);
    }
    if let Some((at, _)) = ctx.at(row.row - 1, Field::Galis) {
        ctx.push(
            Severity::Erreur,
            Rule::Galis,
            at,
            Some(galis.to_owned()),
            format!(
                "Référence GALIS inconnue du registre des projets ({} projet(s)) : vérifiez la \
                 référence, ou demandez à l'ARS d'enregistrer le projet",
                registry.len()
            ),
        );
    }
    None
}

/// Checks every data row under the header, then the rules across rows.
pub(crate) fn check(
    grid: &Grid,
    layout: &Layout,
    is_1904: bool,
    lookup: Lookup<'_>,
    findings: &mut Vec<Finding>,
) -> Vec<Row> {
    let mut ctx = Ctx {
        grid,
        layout,
        is_1904,
        findings,
    };
    let mapped: Vec<u32> = layout.columns.values().copied().collect();
    let mut rows = Vec::new();
    // Columns outside the header already warned about, to say it once per column.
    let mut unheaded = std::collections::BTreeSet::new();
    for (r, cells) in grid.rows() {
        if r <= layout.header_row {
            continue;
        }
        let has_data = mapped
            .iter()
            .any(|c| cells.get(c).is_some_and(|v| !v.is_blank()));
        if !has_data {
            if let Some((&col, value)) = cells.iter().find(|(_, v)| !v.is_blank()) {
                let shown = ctx.shown(value);
                ctx.push(
                    Severity::Avertissement,
                    Rule::Column,
                    CellRef::new(r, col),
                    shown,
                    "ligne sans aucune donnée du recueil (seulement des colonnes non reconnues) : ignorée"
                        .to_owned(),
                );
            }
            continue;
        }
        if is_totals_row(&mut ctx, r, cells, &rows) {
            continue;
        }
        for (&col, value) in cells {
            if !mapped.contains(&col) && !value.is_blank() && unheaded.insert(col) {
                let header_blank = grid.get(layout.header_row, col).is_blank();
                if header_blank {
                    let shown = ctx.shown(value);
                    ctx.push(
                        Severity::Avertissement,
                        Rule::Column,
                        CellRef::new(r, col),
                        shown,
                        "valeur dans une colonne sans en-tête : cette colonne est ignorée"
                            .to_owned(),
                    );
                }
            }
        }
        rows.push(check_row(&mut ctx, r));
    }
    if rows.is_empty() {
        ctx.push(
            Severity::Erreur,
            Rule::Mandatory,
            CellRef::new(layout.header_row, 0),
            None,
            "aucune ligne de données sous l'en-tête : une ligne par ESSMS du projet est attendue"
                .to_owned(),
        );
    }
    let project = match lookup {
        Lookup::Given(project) => project,
        Lookup::Registry(registry) => resolve(&mut ctx, &rows, registry),
    };
    across::check(&mut ctx, &rows, project);
    rows
}

/// A totals row is not data: it is left out, with a warning so nothing is dropped
/// silently. It is recognised by a "Total" label, or, without a label, by having
/// no identifier and counts equal to the sums of the rows above.
fn is_totals_row(ctx: &mut Ctx<'_>, r: u32, cells: &BTreeMap<u32, Value>, rows: &[Row]) -> bool {
    let finess_blank = ctx.at(r, Field::Finess).is_none_or(|(_, v)| v.is_blank());
    if !finess_blank {
        return false;
    }
    let label = cells.iter().find(|(_, v)| {
        matches!(v, Value::Text(t) if {
            let n = normalise(t);
            matches!(n.as_str(), "total" | "totaux" | "somme" | "sommes")
                || n.starts_with("totalgeneral")
                || n.starts_with("soustotal")
        })
    });
    if let Some((&col, value)) = label {
        let shown = ctx.shown(value);
        ctx.push(
            Severity::Avertissement,
            Rule::TotalsRow,
            CellRef::new(r, col),
            shown,
            format!(
                "ligne de totaux : la ligne {} n'est pas un ESSMS et n'est pas comptée",
                u64::from(r) + 1
            ),
        );
        return true;
    }
    let ids_blank = [Field::Galis, Field::Siret]
        .iter()
        .all(|f| ctx.at(r, *f).is_none_or(|(_, v)| v.is_blank()));
    if !ids_blank || rows.is_empty() {
        return false;
    }
    let sums: [(Field, CountOf); 6] = [
        (Field::Dmp, |x| x.dmp),
        (Field::Mss, |x| x.mss),
        (Field::Actifs, |x| x.actifs),
        (Field::Accompanied, |x| x.accompanied),
        (Field::CarePlan, |x| x.care_plan),
        (Field::Appointment, |x| x.appointment),
    ];
    let mut matched = 0;
    for (field, get) in sums {
        let Some((_, value)) = ctx.at(r, field) else {
            continue;
        };
        if value.is_blank() {
            continue;
        }
        let Read::Ok(n) = cells::read_count(value, ctx.is_1904) else {
            return false;
        };
        let sum: u64 = rows.iter().filter_map(get).sum();
        if n != sum {
            return false;
        }
        matched += 1;
    }
    if matched < 2 {
        return false;
    }
    ctx.push(
        Severity::Avertissement,
        Rule::TotalsRow,
        CellRef::new(r, 0),
        None,
        format!(
            "ligne {} sans identifiant dont les nombres sont les sommes des lignes au-dessus : \
             lue comme une ligne de totaux, non comptée",
            u64::from(r) + 1
        ),
    );
    true
}

/// Reads one count of a row, to compare a totals row with the sums above it.
type CountOf = fn(&Row) -> Option<u64>;

fn check_row(ctx: &mut Ctx<'_>, r: u32) -> Row {
    let galis = read_galis(ctx, r);
    let siret = read_siret(ctx, r);
    let finess = read_finess(ctx, r);
    let name = ctx
        .at(r, Field::Name)
        .filter(|(_, v)| !v.is_blank())
        .map(|(_, v)| display(v, ctx.is_1904).trim().to_owned());
    let mut row = Row {
        row: r + 1,
        galis,
        siret,
        finess,
        name,
        dmp: read_count(ctx, r, Field::Dmp),
        mss: read_count(ctx, r, Field::Mss),
        actifs: read_count(ctx, r, Field::Actifs),
        accompanied: read_count(ctx, r, Field::Accompanied),
        care_plan: read_count(ctx, r, Field::CarePlan),
        appointment: read_count(ctx, r, Field::Appointment),
        start: read_date(ctx, r, Field::Start),
        end: read_date(ctx, r, Field::End),
    };
    check_bounds(ctx, &row);
    check_period(ctx, &mut row);
    row
}

fn read_galis(ctx: &mut Ctx<'_>, r: u32) -> Option<String> {
    let (at, value) = ctx.at(r, Field::Galis)?;
    match identifier_text(value, ctx.is_1904) {
        None => {
            ctx.mandatory(at, Field::Galis);
            None
        }
        Some((text, _)) => Some(text),
    }
}

fn read_siret(ctx: &mut Ctx<'_>, r: u32) -> Option<Siret> {
    let (at, value) = ctx.at(r, Field::Siret)?;
    let Some((text, as_number)) = identifier_text(value, ctx.is_1904) else {
        ctx.mandatory(at, Field::Siret);
        return None;
    };
    match Siret::parse(&text) {
        Err(e) => {
            ctx.push(Severity::Erreur, Rule::Siret, at, Some(text), e.to_string());
            None
        }
        Ok(siret) => {
            if as_number.is_some() {
                ctx.push(
                    Severity::Avertissement,
                    Rule::Siret,
                    at,
                    Some(text),
                    format!(
                        "SIRET saisi comme un nombre ; lu « {siret} ». Saisissez-le au format texte : \
                         un tableur peut arrondir ou tronquer les grands nombres"
                    ),
                );
            } else if siret.as_str() != text {
                ctx.push(
                    Severity::Avertissement,
                    Rule::Siret,
                    at,
                    Some(text),
                    format!("SIRET écrit avec des espaces ; lu « {siret} »"),
                );
            }
            Some(siret)
        }
    }
}

fn read_finess(ctx: &mut Ctx<'_>, r: u32) -> Option<Finess> {
    let (at, value) = ctx.at(r, Field::Finess)?;
    let Some((text, as_number)) = identifier_text(value, ctx.is_1904) else {
        ctx.push(
            Severity::Erreur,
            Rule::Mandatory,
            at,
            None,
            "FINESS géographique vide : chaque ligne doit identifier son ESSMS".to_owned(),
        );
        return None;
    };
    match Finess::parse(&text) {
        Err(e) => {
            let mut message = e.to_string();
            if as_number.is_some() {
                message.push_str(" (la cellule contient un nombre, pas un texte)");
            }
            ctx.push(Severity::Erreur, Rule::Finess, at, Some(text), message);
            None
        }
        Ok(finess) => {
            if as_number.is_some() {
                ctx.push(
                    Severity::Avertissement,
                    Rule::Finess,
                    at,
                    Some(text),
                    format!(
                        "FINESS saisi comme un nombre ; lu « {finess} ». Saisissez-le au format texte : \
                         un tableur supprime le zéro initial des FINESS qui en ont un"
                    ),
                );
            } else if finess.as_str() != text {
                ctx.push(
                    Severity::Avertissement,
                    Rule::Finess,
                    at,
                    Some(text),
                    format!("FINESS écrit avec des espaces ou des points ; lu « {finess} »"),
                );
            }
            Some(finess)
        }
    }
}

fn read_count(ctx: &mut Ctx<'_>, r: u32, field: Field) -> Option<u64> {
    let (at, value) = ctx.at(r, field)?;
    if value.is_blank() {
        if field.cell_required() {
            ctx.mandatory(at, field);
        }
        return None;
    }
    // The value as shown is written only into a finding: most cells have none.
    match cells::read_count(value, ctx.is_1904) {
        Read::Ok(n) => Some(n),
        Read::Noted(n, note) => {
            let rule = if note.comment {
                Rule::CountWithComment
            } else {
                Rule::Count
            };
            let shown = ctx.shown(value);
            ctx.push(Severity::Avertissement, rule, at, shown, note.message);
            Some(n)
        }
        Read::Bad(why) => {
            let shown = ctx.shown(value);
            ctx.push(
                Severity::Erreur,
                Rule::Count,
                at,
                shown,
                format!("« {} » : {why}", field.header()),
            );
            None
        }
    }
}

fn read_date(ctx: &mut Ctx<'_>, r: u32, field: Field) -> Option<Date> {
    let (at, value) = ctx.at(r, field)?;
    if value.is_blank() {
        ctx.mandatory(at, field);
        return None;
    }
    match cells::read_date(value, ctx.is_1904) {
        Read::Ok(d) => Some(d),
        Read::Noted(d, note) => {
            let shown = ctx.shown(value);
            ctx.push(Severity::Avertissement, Rule::Date, at, shown, note.message);
            Some(d)
        }
        Read::Bad(why) => {
            let shown = ctx.shown(value);
            ctx.push(
                Severity::Erreur,
                Rule::Date,
                at,
                shown,
                format!("« {} » : {why}", field.header()),
            );
            None
        }
    }
}

/// H ≤ F and I ≤ F (SPEC.md §3: those indicators are subsets of the DUI actifs).
/// Actifs and DMP alimentés above the persons accompanied make a rate above
/// 100 %, which is possible only through a counting mistake: a warning, since
/// the seeds do not make it a rule. MSSanté messages may exceed 100 % (SPEC.md §3).
fn check_bounds(ctx: &mut Ctx<'_>, row: &Row) {
    let r = row.row - 1;
    let Some(actifs) = row.actifs else {
        return;
    };
    for (field, value) in [
        (Field::CarePlan, row.care_plan),
        (Field::Appointment, row.appointment),
    ] {
        if let (Some(v), Some((at, cell))) = (value, ctx.at(r, field))
            && v > actifs
        {
            let shown = ctx.shown(cell);
            ctx.push(
                Severity::Erreur,
                Rule::Consistency,
                at,
                shown,
                format!(
                    "« {} » ({v}) dépasse le nombre de DUI actifs ({actifs}) : ce sont des DUI actifs",
                    field.header()
                ),
            );
        }
    }
    let Some(accompanied) = row.accompanied else {
        return;
    };
    for (field, value, what) in [
        (Field::Actifs, Some(actifs), "taux de dossiers actifs"),
        (Field::Dmp, row.dmp, "taux d'utilisation du DMP"),
    ] {
        if let (Some(v), Some((at, cell))) = (value, ctx.at(r, field))
            && v > accompanied
        {
            let shown = ctx.shown(cell);
            ctx.push(
                Severity::Avertissement,
                Rule::Consistency,
                at,
                shown,
                format!(
                    "« {} » ({v}) dépasse le nombre de personnes accompagnées ({accompanied}) : \
                     le {what} dépasserait 100 % ; vérifiez le comptage",
                    field.header()
                ),
            );
        }
    }
}

fn check_period(ctx: &mut Ctx<'_>, row: &mut Row) {
    let (Some(start), Some(end)) = (row.start, row.end) else {
        return;
    };
    let Some((at, cell)) = ctx.at(row.row - 1, Field::End) else {
        return;
    };
    if end < start {
        let shown = ctx.shown(cell);
        ctx.push(
            Severity::Erreur,
            Rule::Period,
            at,
            shown,
            format!(
                "le dernier jour ({}) précède le premier jour ({}) de la période",
                french_date(end),
                french_date(start)
            ),
        );
        // The period cannot be used: no row may be compared against it.
        row.start = None;
        row.end = None;
    } else if end == start {
        let shown = ctx.shown(cell);
        ctx.push(
            Severity::Avertissement,
            Rule::Period,
            at,
            shown,
            format!(
                "période d'un seul jour ({}) : les indicateurs se mesurent d'ordinaire sur le mois écoulé \
                 (ou 3 mois pour la première mesure) ; vérifiez les dates",
                french_date(start)
            ),
        );
    } else if start
        .until(end)
        .map(|s| i64::from(s.get_days()))
        .is_ok_and(|d| d > LONGEST_USUAL_PERIOD_DAYS)
    {
        let shown = ctx.shown(cell);
        ctx.push(
            Severity::Avertissement,
            Rule::Period,
            at,
            shown,
            format!(
                "période de plus de 6 mois (du {} au {}) : inhabituelle, vérifiez les dates",
                french_date(start),
                french_date(end)
            ),
        );
    }
}
