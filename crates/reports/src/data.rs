//! The plain data this crate renders: what the indicator engine hands over.
//!
//! These structs are deliberately free of `carnet-core` types: the caller maps the
//! engine's result onto them, and the proof embeds them verbatim as JSON, so their
//! field names are part of the proof format (see `PROOF_FORMAT`).

use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

/// Version tag of the JSON embedded in every proof; bump it when a field changes.
pub const PROOF_FORMAT: &str = "carnet-proof/1";

/// Everything the proof report (SPEC.md §4.2) shows, embedded as its JSON attachment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProofData {
    /// Always [`PROOF_FORMAT`].
    pub format: String,
    /// FINESS géographique of the establishment (9 characters).
    pub establishment_finess: String,
    pub establishment_name: String,
    pub organisation_name: String,
    /// SIRET of the organisation (14 digits).
    pub organisation_siret: String,
    /// First day of the measurement period (included).
    pub period_from: Date,
    /// Last day of the measurement period (included).
    pub period_to: Date,
    /// When the figures were produced; passed in, never read from the clock here.
    pub produced_at: Timestamp,
    /// Identifier of the versioned rule set the engine used.
    pub rule_set: String,
    pub figures: ProofFigures,
    pub rates: ProofRates,
    /// "Prénom Nom, fonction" of the declarant.
    pub declarant: String,
    /// "Prénom Nom, fonction" of the legal representative.
    pub legal_representative: String,
    /// Lower-case hex SHA-256 of the sorted list of counted record ids.
    pub counted_records_sha256: String,
}

/// The absolute figures of SPEC.md §3 for one establishment and one period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProofFigures {
    /// Dossiers informatisés.
    pub records: u64,
    /// Dossiers ouverts.
    pub open_records: u64,
    /// Dossiers actifs (DUI actifs), the EU figure.
    pub active_records: u64,
    /// Personnes accompagnées (file active).
    pub accompanied_persons: u64,
    /// DUI avec projet personnalisé.
    pub records_with_care_plan: u64,
    /// DUI avec au moins un événement d'agenda.
    pub records_with_appointment: u64,
    /// DMP alimentés.
    pub dmp_fed: u64,
    /// Messages MSSanté envoyés.
    pub mss_messages: u64,
}

/// The five rates of SPEC.md §3, already formatted by the engine (e.g. "91,3 %").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProofRates {
    pub active: String,
    pub care_plan: String,
    pub appointment: String,
    pub dmp: String,
    pub mss: String,
}

/// One row of the sheet "Liste des mesures d'usage" (SPEC.md §4.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkbookRow {
    /// A: Référence GALIS (the same on every row).
    pub galis_reference: String,
    /// B: SIRET Porteur (the same on every row).
    pub porteur_siret: String,
    /// C: FINESS Géographique (unique, never empty).
    pub finess: String,
    /// Nom de l'ESSMS (between C and D in the files actually exchanged).
    pub establishment_name: String,
    /// D: Nombre de DMP alimentés.
    pub dmp_fed: u64,
    /// E: Nombre de messages envoyés via la MS Santé.
    pub mss_messages: u64,
    /// F: Nombre de DUI actifs.
    pub active_records: u64,
    /// G: Nombre de personnes accompagnées par la structure.
    pub accompanied_persons: u64,
    /// H: Nombre de DUI avec projet personnalisé.
    pub records_with_care_plan: u64,
    /// I: Nombre de DUI avec au moins un événement d'agenda.
    pub records_with_appointment: u64,
    /// J: Premier jour de la période de recueil.
    pub period_from: Date,
    /// K: Dernier jour de la période de recueil.
    pub period_to: Date,
}

/// One line of the sheet "Preuves d'usage": which proof file belongs to which FINESS.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProofFileEntry {
    pub finess: String,
    /// File name of the signed PDF proof, as sent alongside the workbook.
    pub file_name: String,
    /// Lower-case hex SHA-256 of the whole PDF file.
    pub sha256: String,
}
