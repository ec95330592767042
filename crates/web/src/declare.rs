//! The engine's results mapped onto the plain data of `carnet-reports` (the
//! proof and the CNSA workbook), once for the CLI and the dashboard, so that a
//! file produced from either is the same.

use carnet_core::indicators::{EstablishmentResult, IndicatorReport, Month, Period, RuleSet};
use carnet_core::model::Establishment;
use carnet_reports::{
    ChartMonth, PROOF_FORMAT, ProofData, ProofFigures, ProofRates, WorkbookRow, monthly_chart_svg,
};
use carnet_store::{DeclarationKind, NewDeclaration};
use jiff::Timestamp;

/// Who the proof is produced for and by.
pub struct Signatories<'a> {
    pub organisation_name: &'a str,
    pub organisation_siret: &'a str,
    /// « Prénom Nom, fonction ».
    pub declarant: &'a str,
    /// « Prénom Nom, fonction » of the legal representative.
    pub representative: &'a str,
}

pub fn proof_data(
    who: &Signatories<'_>,
    result: &EstablishmentResult,
    produced_at: Timestamp,
) -> ProofData {
    let f = &result.figures;
    let r = &result.rates;
    ProofData {
        format: PROOF_FORMAT.to_owned(),
        establishment_finess: result.finess.to_string(),
        establishment_name: result.name.clone(),
        organisation_name: who.organisation_name.to_owned(),
        organisation_siret: who.organisation_siret.to_owned(),
        period_from: result.period.from(),
        period_to: result.period.to(),
        produced_at,
        rule_set: result.rule_set_id.clone(),
        figures: ProofFigures {
            records: f.records,
            open_records: f.open_records,
            active_records: f.active_records,
            accompanied_persons: f.accompanied_persons,
            records_with_care_plan: f.active_with_care_plan,
            records_with_appointment: f.active_with_appointment,
            dmp_fed: f.dmp_fed_persons,
            mss_messages: f.mss_messages,
        },
        rates: ProofRates {
            active: r.active.display(),
            care_plan: r.care_plan.display(),
            appointment: r.appointment.display(),
            dmp: r.dmp.display(),
            mss: r.mss.display(),
        },
        declarant: who.declarant.trim().to_owned(),
        legal_representative: who.representative.trim().to_owned(),
        // The engine's canonical digest of the active records (ids sorted
        // numerically, one per line), the same as `active_records_sha256` in
        // `carnet indicators --format json`, so an auditor can match the two.
        counted_records_sha256: result.active_records_sha256.clone(),
    }
}

/// One workbook row per establishment result.
pub fn workbook_rows(
    galis: &str,
    porteur_siret: &str,
    period: Period,
    results: &[EstablishmentResult],
) -> Vec<WorkbookRow> {
    results
        .iter()
        .map(|e| WorkbookRow {
            galis_reference: galis.to_owned(),
            porteur_siret: porteur_siret.to_owned(),
            finess: e.finess.to_string(),
            establishment_name: e.name.clone(),
            dmp_fed: e.figures.dmp_fed_persons,
            mss_messages: e.figures.mss_messages,
            active_records: e.figures.active_records,
            accompanied_persons: e.figures.accompanied_persons,
            records_with_care_plan: e.figures.active_with_care_plan,
            records_with_appointment: e.figures.active_with_appointment,
            period_from: period.from(),
            period_to: period.to(),
        })
        .collect()
}

/// The declaration lines recording one produced workbook (one per
/// establishment it lists).
pub fn workbook_declarations(
    report: &IndicatorReport,
    galis: &str,
    file_name: &str,
    file_sha256: &str,
) -> Vec<NewDeclaration> {
    report
        .establishments
        .iter()
        .map(|e| NewDeclaration {
            kind: DeclarationKind::Workbook,
            period: report.period,
            finess: e.finess.to_string(),
            establishment_name: e.name.clone(),
            rule_set_id: e.rule_set_id.clone(),
            figures: e.figures,
            declarant: None,
            galis_reference: Some(galis.trim().to_owned()).filter(|g| !g.is_empty()),
            file_name: file_name.to_owned(),
            file_sha256: file_sha256.to_owned(),
        })
        .collect()
}

/// The monthly trend chart (SVG) of one establishment over `span`.
pub fn trend_chart(
    establishment: &Establishment,
    span: Period,
    months: &[(Month, EstablishmentResult)],
    rules: &RuleSet,
) -> String {
    let points: Vec<ChartMonth> = months
        .iter()
        .map(|(month, r)| ChartMonth {
            label: month.short_french_label(),
            active_records: r.figures.active_records,
            rates_per_mille: r.rates.table().map(|(_, rate)| rate.per_mille),
        })
        .collect();
    let t = rules.targets;
    let title = format!(
        "{} ({}) : DUI actifs et taux par mois, {}",
        establishment.name,
        establishment.finess,
        span.label()
    );
    monthly_chart_svg(
        &title,
        &points,
        [t.active, t.care_plan, t.appointment, t.dmp, t.mss],
    )
}
