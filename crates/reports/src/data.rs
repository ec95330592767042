//! The plain data this crate renders: what the indicator engine hands over.
//!
//! These structs are deliberately free of `carnet-core` types: the caller maps the
//! engine's result onto them, and the proof embeds them verbatim as JSON, so their
//! field names are part of the proof format (see `PROOF_FORMAT`).

use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

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
    /// Lower-case hex SHA-256 of the active records (DUI actifs) counted, as the
    /// engine computes it (`carnet_core::indicators::record_list_sha256`): the
    /// record ids in decimal, sorted in ascending numeric order (9 before 10),
    /// without duplicates, each followed by a line feed. One rule, owned by the
    /// engine: this crate never recomputes it.
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

impl ProofFileEntry {
    /// The line of "Preuves d'usage" for a signed proof of `data`, named by
    /// [`proof_file_name`], with the SHA-256 of `pdf`.
    pub fn for_proof(data: &ProofData, pdf: &[u8]) -> Self {
        Self {
            finess: data.establishment_finess.clone(),
            file_name: proof_file_name(data),
            sha256: hex::encode(Sha256::digest(pdf)),
        }
    }
}

/// Conventional file name of a proof: `preuve-usage-<FINESS>-<from>-<to>.pdf`.
pub fn proof_file_name(data: &ProofData) -> String {
    format!(
        "preuve-usage-{}-{}-{}.pdf",
        data.establishment_finess, data.period_from, data.period_to
    )
}

impl ProofData {
    /// Checks what the proof format requires before anything is rendered.
    pub(crate) fn check(&self) -> crate::error::Result<()> {
        use crate::error::Error;
        if self.format != PROOF_FORMAT {
            return Err(Error::UnknownProofFormat(self.format.clone()));
        }
        let missing = [
            ("FINESS géographique", &self.establishment_finess),
            ("nom de l'ESSMS", &self.establishment_name),
            ("organisme gestionnaire", &self.organisation_name),
            ("SIRET de l'organisme", &self.organisation_siret),
            ("jeu de règles", &self.rule_set),
            ("personne déclarante", &self.declarant),
            ("représentant légal", &self.legal_representative),
        ]
        .into_iter()
        .find(|(_, value)| value.trim().is_empty());
        if let Some((field, _)) = missing {
            return Err(Error::MissingField(field));
        }
        if self.period_to < self.period_from {
            return Err(Error::InvertedPeriod {
                from: self.period_from,
                to: self.period_to,
            });
        }
        let hash = &self.counted_records_sha256;
        if hash.len() != 64 || !hash.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            return Err(Error::BadRecordsDigest(hash.clone()));
        }
        Ok(())
    }
}
