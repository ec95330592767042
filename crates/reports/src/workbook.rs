//! The CNSA collection workbook (SPEC.md §4.1): sheets "Consignes", "Liste des mesures
//! d'usage" and "Preuves d'usage".
//!
//! Identifiers (GALIS, SIRET, FINESS) are written as text so that no leading zero is
//! ever lost; counts are numbers shown without decimals; dates are real Excel dates
//! shown dd/mm/yyyy. This module checks the file-level rules it can see (FINESS unique
//! and present, GALIS and SIRET the same on every row); the values themselves come from
//! the indicator engine and are trusted.

use jiff::Timestamp;
use jiff::civil::Date;
use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, FormatAlign, Workbook, Worksheet};

use crate::data::{ProofFileEntry, WorkbookRow};
use crate::error::{Error, Result};

/// Sheet names, exactly as the CNSA template spells them.
pub const SHEET_INSTRUCTIONS: &str = "Consignes";
pub const SHEET_MEASURES: &str = "Liste des mesures d'usage";
pub const SHEET_PROOFS: &str = "Preuves d'usage";

/// Headers of "Liste des mesures d'usage", in order: A, B, C, the name, then D to K.
pub const MEASURE_HEADERS: [&str; 12] = [
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

/// Headers of "Preuves d'usage".
pub const PROOF_HEADERS: [&str; 3] = [
    "FINESS Géographique",
    "Fichier de preuve",
    "Empreinte SHA-256 du fichier",
];

const INSTRUCTIONS: [&str; 9] = [
    "Fichier de recueil des indicateurs d'usage du DUI — programme ESMS numérique",
    "",
    "Onglet « Liste des mesures d'usage » : une ligne par ESSMS (FINESS géographique) du projet.",
    "Colonnes A et B : la référence GALIS et le SIRET du porteur, identiques sur toutes les lignes.",
    "Colonnes D à I : valeurs absolues (nombres entiers), jamais des taux.",
    "Colonnes J et K : premier et dernier jour de la période de recueil (jours inclus), au format jj/mm/aaaa.",
    "Onglet « Preuves d'usage » : pour chaque FINESS, le nom du fichier PDF signé et son empreinte SHA-256.",
    "Chaque preuve est un PDF/A signé électroniquement ; ses données sont jointes au PDF (fichier JSON).",
    "Produit par Carnet à partir des données du DUI ; ne pas modifier les valeurs à la main.",
];

/// Writes the workbook and returns the bytes of the `.xlsx` file.
///
/// `produced_at` becomes the document's creation date, so that the same input gives
/// the same file.
pub fn write_workbook(
    rows: &[WorkbookRow],
    proofs: &[ProofFileEntry],
    produced_at: Timestamp,
) -> Result<Vec<u8>> {
    check_rows(rows)?;
    let mut workbook = Workbook::new();
    let created = ExcelDateTime::from_timestamp(produced_at.as_second())?;
    workbook.set_properties(
        &DocProperties::new()
            .set_title("Fichier de recueil des mesures d'usage")
            .set_author("Carnet")
            .set_creation_datetime(&created),
    );
    let header = Format::new()
        .set_bold()
        .set_text_wrap()
        .set_align(FormatAlign::Top);

    let sheet = workbook.add_worksheet();
    sheet.set_name(SHEET_INSTRUCTIONS)?;
    sheet.set_column_width(0, 110)?;
    for (i, line) in INSTRUCTIONS.iter().enumerate() {
        sheet.write_string(row_index(i)?, 0, *line)?;
    }

    let sheet = workbook.add_worksheet();
    sheet.set_name(SHEET_MEASURES)?;
    write_measures(sheet, rows, &header)?;

    let sheet = workbook.add_worksheet();
    sheet.set_name(SHEET_PROOFS)?;
    for (col, text) in PROOF_HEADERS.iter().enumerate() {
        sheet.write_string_with_format(0, col_index(col), *text, &header)?;
    }
    sheet.set_column_width(0, 20)?;
    sheet.set_column_width(1, 50)?;
    sheet.set_column_width(2, 70)?;
    for (i, proof) in proofs.iter().enumerate() {
        let row = row_index(i + 1)?;
        sheet.write_string(row, 0, &proof.finess)?;
        sheet.write_string(row, 1, &proof.file_name)?;
        sheet.write_string(row, 2, &proof.sha256)?;
    }

    Ok(workbook.save_to_buffer()?)
}

fn write_measures(sheet: &mut Worksheet, rows: &[WorkbookRow], header: &Format) -> Result<()> {
    let count = Format::new().set_num_format("0");
    let date = Format::new().set_num_format("dd/mm/yyyy");
    for (col, text) in MEASURE_HEADERS.iter().enumerate() {
        sheet.write_string_with_format(0, col_index(col), *text, header)?;
        sheet.set_column_width(col_index(col), 18)?;
    }
    sheet.set_column_width(3, 40)?;
    sheet.set_freeze_panes(1, 0)?;
    for (i, r) in rows.iter().enumerate() {
        let row = row_index(i + 1)?;
        sheet.write_string(row, 0, &r.galis_reference)?;
        sheet.write_string(row, 1, &r.porteur_siret)?;
        sheet.write_string(row, 2, &r.finess)?;
        sheet.write_string(row, 3, &r.establishment_name)?;
        let counts = [
            r.dmp_fed,
            r.mss_messages,
            r.active_records,
            r.accompanied_persons,
            r.records_with_care_plan,
            r.records_with_appointment,
        ];
        for (offset, value) in counts.into_iter().enumerate() {
            sheet.write_number_with_format(
                row,
                col_index(4 + offset),
                exact_f64(value)?,
                &count,
            )?;
        }
        sheet.write_datetime_with_format(row, 10, excel_date(r.period_from)?, &date)?;
        sheet.write_datetime_with_format(row, 11, excel_date(r.period_to)?, &date)?;
    }
    Ok(())
}

/// SPEC.md §4.1: FINESS unique and never empty; GALIS and SIRET identical on every row.
fn check_rows(rows: &[WorkbookRow]) -> Result<()> {
    let mut seen = std::collections::BTreeSet::new();
    for (i, r) in rows.iter().enumerate() {
        if r.finess.trim().is_empty() {
            return Err(Error::EmptyFiness { row: i + 2 });
        }
        if !seen.insert(r.finess.as_str()) {
            return Err(Error::DuplicateFiness(r.finess.clone()));
        }
    }
    if let Some(first) = rows.first() {
        for r in rows {
            if r.galis_reference != first.galis_reference {
                return Err(Error::InconsistentColumn {
                    column: MEASURE_HEADERS[0],
                    first: first.galis_reference.clone(),
                    other: r.galis_reference.clone(),
                });
            }
            if r.porteur_siret != first.porteur_siret {
                return Err(Error::InconsistentColumn {
                    column: MEASURE_HEADERS[1],
                    first: first.porteur_siret.clone(),
                    other: r.porteur_siret.clone(),
                });
            }
        }
    }
    Ok(())
}

/// Excel numbers are doubles: integers above 2^53 would be rounded silently.
fn exact_f64(value: u64) -> Result<f64> {
    const MAX_EXACT: u64 = 1 << 53;
    if value > MAX_EXACT {
        return Err(Error::NumberTooLarge(value));
    }
    #[allow(
        clippy::cast_precision_loss,
        reason = "checked above: exact below 2^53"
    )]
    Ok(value as f64)
}

fn excel_date(date: Date) -> Result<ExcelDateTime> {
    let year = u16::try_from(date.year()).map_err(|_| Error::Time(date.to_string()))?;
    let month = u8::try_from(date.month()).map_err(|_| Error::Time(date.to_string()))?;
    let day = u8::try_from(date.day()).map_err(|_| Error::Time(date.to_string()))?;
    Ok(ExcelDateTime::from_ymd(year, month, day)?)
}

fn row_index(i: usize) -> Result<u32> {
    u32::try_from(i).map_err(|_| Error::Xlsx(rust_xlsxwriter::XlsxError::RowColumnLimitError))
}

fn col_index(i: usize) -> u16 {
    // Callers pass fixed column numbers below 16; saturate rather than panic.
    u16::try_from(i).unwrap_or(u16::MAX)
}
