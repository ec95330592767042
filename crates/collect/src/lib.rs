//! The collection platform of ARS and CNSA (issue 5): reading the porteurs' usage
//! workbooks ("fichier de recueil", SPEC.md §4.1), checking every cell against
//! SPEC.md §4.1 and §2.1, and saying in French what must be fixed.
//!
//! One entry point, [`read_workbook`]: bytes in, a [`Checked`] workbook (rows as
//! read + the [`Report`]) or a [`Refusal`] when the file cannot be read at all
//! (not an .xlsx, damaged, beyond the [`Limits`]). Only a report without errors
//! turns into a [`Declaration`] ([`Checked::accept`]): a file with errors is
//! refused as a whole and nothing of it is counted.
//!
//! Accepted files are kept as declaration versions by [`versions`] (tables of
//! their own in the `carnet-store` database), and [`ingest::ingest`] does the
//! whole path for one file, for the CLI, the upload page and the API. Nothing
//! here reads the clock: `received_at` is an argument.
//!
//! Modules, one job each: `limits` (container checks before parsing), `sheet`
//! (calamine, streamed cells, cell and time budget), `headers` (sheet, header
//! row, columns by text), `cells` (what one cell says), `rules` (SPEC.md §4.1 on
//! rows and across rows), `report` (findings and their French text),
//! `versions` (declaration versions, files by SHA-256), `ingest` (one file end
//! to end, in French), `funding` (a registered project's subsidy and
//! eligibility, `docs/financement.md`), `sampling` (EU audit samples and the
//! outcomes of their checks, `docs/audit-echantillon.md`), `proofs` (proof
//! PDFs per establishment and period, their automatic check and manual
//! review, `docs/preuves-plateforme.md`), `flash` (the monthly flash report
//! of a region, `docs/collecte-agregats.md`), `accounts` (platform accounts,
//! their roles and which projects each sees).

pub mod accounts;
pub mod aggregate;
mod cells;
pub mod flash;
pub mod funding;
mod headers;
pub mod ingest;
mod limits;
pub mod projects;
pub mod proofs;
pub mod regions;
mod report;
mod rules;
pub mod sampling;
mod sheet;
pub mod versions;

use std::collections::BTreeSet;

use carnet_core::{Finess, Siret};
use jiff::civil::Date;

pub use headers::Field;
pub use limits::{Limits, Refusal};
pub use report::{Finding, Report, Rule, Severity};
pub use rules::Row;

/// What the platform knows of the project a file is sent for (from GALIS).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectRef {
    /// Référence GALIS, compared with each row's column A (spaces at the ends ignored).
    pub galis: String,
    /// The porteur's SIRET declared in GALIS.
    pub siret: Siret,
    /// The FINESS géographiques of the project's establishments.
    pub establishments: BTreeSet<Finess>,
}

/// A workbook read and checked. It may contain errors: see [`Checked::accept`].
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Checked {
    /// The name of the data sheet that was read.
    pub sheet: String,
    /// Every data row, with the values that could be read.
    pub rows: Vec<Row>,
    pub report: Report,
}

/// The period a declaration is for: [start, end], both days included (SPEC.md §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct Period {
    pub start: Date,
    pub end: Date,
}

/// One establishment's figures in an accepted file. Columns the CNSA allows
/// empty (SPEC.md §4.1: D, E, H, I) stay `None` when empty.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DeclaredRow {
    /// The row number in the sheet, for tracing a figure back to the file.
    pub row: u32,
    pub finess: Finess,
    pub name: Option<String>,
    pub dmp: Option<u64>,
    pub mss: Option<u64>,
    pub actifs: u64,
    pub accompanied: u64,
    pub care_plan: Option<u64>,
    pub appointment: Option<u64>,
}

/// A file without errors: one project, one period, one row per establishment.
/// Only this type can be stored as a declaration version.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Declaration {
    pub galis: String,
    pub siret: Siret,
    pub period: Period,
    pub rows: Vec<DeclaredRow>,
    /// The report, with its warnings, kept with the declaration.
    pub report: Report,
}

impl Checked {
    /// Whether the file is accepted: no finding is an error.
    pub fn is_accepted(&self) -> bool {
        !self.report.has_errors()
    }

    /// Turns an error-free file into a declaration; a file with any error is
    /// given back whole, for its report.
    pub fn accept(self) -> Result<Declaration, Box<Checked>> {
        if !self.is_accepted() {
            return Err(Box::new(self));
        }
        match declaration(&self) {
            Some(declaration) => Ok(declaration),
            // Unreachable when the rules are right: every missing value is an error.
            None => Err(Box::new(self)),
        }
    }
}

fn declaration(checked: &Checked) -> Option<Declaration> {
    let first = checked.rows.first()?;
    let (start, end) = rules::file_period(&checked.rows)?;
    let mut rows = Vec::with_capacity(checked.rows.len());
    for row in &checked.rows {
        rows.push(DeclaredRow {
            row: row.row,
            finess: row.finess.clone()?,
            name: row.name.clone(),
            dmp: row.dmp,
            mss: row.mss,
            actifs: row.actifs?,
            accompanied: row.accompanied?,
            care_plan: row.care_plan,
            appointment: row.appointment,
        });
    }
    Some(Declaration {
        galis: first.galis.clone()?,
        siret: first.siret.clone()?,
        period: Period { start, end },
        rows,
        report: checked.report.clone(),
    })
}

/// Reads a collection workbook and checks every cell.
///
/// `project` is what GALIS says of the project, when known; without it, the
/// rows are only checked against each other. Returns a [`Refusal`] when the file
/// cannot be read at all (its French text says why); otherwise every finding is
/// in the report, errors and warnings alike.
pub fn read_workbook(
    bytes: &[u8],
    project: Option<&ProjectRef>,
    limits: &Limits,
) -> Result<Checked, Refusal> {
    read(bytes, rules::Lookup::Given(project), limits)
}

/// Reads a collection workbook and checks it against the project of its
/// Référence GALIS in `registry`: the SIRET must be the porteur's and every
/// FINESS one of the project's. A GALIS unknown to a non-empty registry is an
/// error on its cell; an empty registry is a warning, and the rows are then
/// only checked against each other, as [`read_workbook`] without a project.
pub fn read_workbook_in(
    bytes: &[u8],
    registry: &projects::Registry,
    limits: &Limits,
) -> Result<Checked, Refusal> {
    read(bytes, rules::Lookup::Registry(registry), limits)
}

fn read(bytes: &[u8], lookup: rules::Lookup<'_>, limits: &Limits) -> Result<Checked, Refusal> {
    limits::check_container(bytes, limits)?;
    let mut book = sheet::Book::open(bytes, limits)?;
    let mut findings = Vec::new();
    let (grid, header_row) = find_data_sheet(&mut book, &mut findings)?;
    let layout = headers::map_columns(&grid, header_row, &mut findings);
    let rows = rules::check(&grid, &layout, book.is_1904, lookup, &mut findings);
    let mut report = Report { findings };
    report.sort();
    Ok(Checked {
        sheet: grid.name,
        rows,
        report,
    })
}

/// The data sheet is looked for by name first ("Liste des mesures d'usage" and
/// variants), then, with a warning, in any sheet whose header matches.
fn find_data_sheet(
    book: &mut sheet::Book<'_>,
    findings: &mut Vec<Finding>,
) -> Result<(sheet::Grid, u32), Refusal> {
    let names = book.sheet_names();
    let (named, others): (Vec<&String>, Vec<&String>) =
        names.iter().partition(|n| headers::is_data_sheet_name(n));
    for name in &named {
        let grid = book.load(name)?;
        if let Some(row) = headers::find_header(&grid) {
            return Ok((grid, row));
        }
    }
    for name in &others {
        let grid = book.load(name)?;
        if let Some(row) = headers::find_header(&grid) {
            let message = if named.is_empty() {
                format!(
                    "aucune feuille « Liste des mesures d'usage » : la feuille « {} » est lue car \
                     son en-tête est celui du recueil",
                    grid.name
                )
            } else {
                format!(
                    "la feuille « {} » n'a pas l'en-tête attendu : la feuille « {} » est lue car \
                     son en-tête est celui du recueil",
                    named
                        .iter()
                        .map(|n| n.as_str())
                        .collect::<Vec<_>>()
                        .join(" », « "),
                    grid.name
                )
            };
            findings.push(Finding::new(
                Severity::Avertissement,
                Rule::DataSheet,
                &grid.name,
                None,
                None,
                message,
            ));
            return Ok((grid, row));
        }
    }
    Err(Refusal::NoDataSheet {
        sheets: names
            .iter()
            .map(|n| format!("« {n} »"))
            .collect::<Vec<_>>()
            .join(", "),
    })
}
