//! The automatic check of one proof, as a pure function: what
//! `carnet_reports::verify` found in the PDF, plus the declared row it must
//! match, give an [`Assessment`] (valid, invalid, or to check by hand) with its
//! French reasons. No I/O here: `proofs::attach` reads the declaration and
//! stores the result.
//!
//! The decision, in this order (docs/preuves-plateforme.md):
//! 1. a signature whose signed digest no longer matches the file: invalid,
//!    whoever signed (the file was changed after signing);
//! 2. no Carnet result object (`preuve-usage.json`): not a Carnet proof, to
//!    check by hand;
//! 3. a Carnet result object but no signature: to check by hand (nothing
//!    vouches for its figures);
//! 4. a Carnet proof failing any check but the chain (range, CMS, signer,
//!    ECDSA, text of the page): invalid;
//! 5. a Carnet proof whose only failure is the chain: signed by someone the
//!    platform does not trust, to check by hand;
//! 6. an authentic Carnet proof: valid when its FINESS, period and DUI actifs
//!    are those of the declared row of the version in force, invalid
//!    otherwise; the other figures that differ are remarks, not reasons.

use carnet_core::Finess;
use carnet_reports::{CheckKind, ProofData, VerifyReport, french_date};

use crate::aggregate::french_count;
use crate::versions::Version;
use crate::{DeclaredRow, Period};

/// The outcome of a check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum Outcome {
    /// An authentic Carnet proof matching the declared row.
    Valid,
    /// Altered, inconsistent, or not matching the declaration.
    Invalid,
    /// Not a Carnet-signed proof: a person must look at it.
    ManualReview,
}

impl Outcome {
    pub const ALL: [Outcome; 3] = [Outcome::Valid, Outcome::Invalid, Outcome::ManualReview];

    /// The code stored and shown in lists.
    pub fn code(self) -> &'static str {
        match self {
            Outcome::Valid => "valide",
            Outcome::Invalid => "invalide",
            Outcome::ManualReview => "a-verifier-manuellement",
        }
    }

    /// French label.
    pub fn label(self) -> &'static str {
        match self {
            Outcome::Valid => "valide",
            Outcome::Invalid => "invalide",
            Outcome::ManualReview => "à vérifier manuellement",
        }
    }

    pub fn parse(code: &str) -> Option<Outcome> {
        Self::ALL.into_iter().find(|o| o.code() == code)
    }
}

/// What a proof is attached to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target<'a> {
    pub galis: &'a str,
    pub finess: &'a Finess,
    pub period: Period,
}

/// The declaration the proof is compared with: the version in force for the
/// project and period, and its row for the FINESS when it has one.
#[derive(Debug, Clone, Copy)]
pub struct Declared<'a> {
    pub version: &'a Version,
    pub row: Option<&'a DeclaredRow>,
}

/// The result of a check, before it is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assessment {
    pub outcome: Outcome,
    /// Why invalid, or why to check by hand (French). Empty when valid.
    pub reasons: Vec<String>,
    /// Figures other than the DUI actifs that differ from the declaration.
    pub remarks: Vec<String>,
    /// The Carnet result object, when the PDF carries one.
    pub data: Option<ProofData>,
    /// Subject of the signer's certificate, when found.
    pub signer: Option<String>,
    /// The declaration version compared with.
    pub version_id: Option<i64>,
}

fn failed(report: &VerifyReport, kind: CheckKind) -> Option<&carnet_reports::Check> {
    report.checks.iter().find(|c| c.kind == kind && !c.ok)
}

fn reason(check: &carnet_reports::Check) -> String {
    format!("{} : {}", check.label, check.detail)
}

/// Decides on a proof (see the module for the order of the rules).
pub fn assess(
    report: &VerifyReport,
    target: &Target<'_>,
    declared: Option<Declared<'_>>,
) -> Assessment {
    let mut out = Assessment {
        outcome: Outcome::ManualReview,
        reasons: Vec::new(),
        remarks: Vec::new(),
        data: report.data.clone(),
        signer: report.signer.clone(),
        version_id: None,
    };
    // 1. A signed digest that no longer matches: the file changed after signing.
    if let Some(check) = failed(report, CheckKind::Digest) {
        out.outcome = Outcome::Invalid;
        out.reasons.push(format!(
            "le fichier a été modifié après sa signature ({})",
            reason(check)
        ));
        return out;
    }
    // 2. Not a Carnet proof.
    let Some(data) = &report.data else {
        out.reasons.push(String::from(
            "ce PDF n'est pas une preuve produite par Carnet : il ne contient pas les données \
             de preuve jointes (preuve-usage.json)",
        ));
        out.reasons.push(match (&report.signer, report.signatures) {
            (_, 0) => String::from("il n'est pas signé électroniquement"),
            (Some(signer), _) => format!("il est signé par « {signer} »"),
            (None, _) => String::from("il porte une signature qu'un autre logiciel a produite"),
        });
        return out;
    };
    // 3. A Carnet proof without signature.
    if report.signatures == 0 {
        out.reasons.push(String::from(
            "preuve Carnet non signée : aucune signature électronique ne garantit ses chiffres",
        ));
        return out;
    }
    // 4. Any failure but the chain.
    let others: Vec<String> = report
        .checks
        .iter()
        .filter(|c| !c.ok && c.kind != CheckKind::Chain)
        .map(reason)
        .collect();
    if !others.is_empty() {
        out.outcome = Outcome::Invalid;
        out.reasons = others;
        return out;
    }
    // 5. Authentic, but from a signer the platform does not trust.
    if let Some(check) = failed(report, CheckKind::Chain) {
        let signer = report.signer.as_deref().unwrap_or("inconnu");
        out.reasons.push(format!(
            "signataire « {signer} » non reconnu par les autorités de confiance de la \
             plateforme ({})",
            check.detail
        ));
        return out;
    }
    // 6. An authentic Carnet proof: compare with the declaration.
    compare(&mut out, data, target, declared);
    out
}

fn period_text(from: jiff::civil::Date, to: jiff::civil::Date) -> String {
    format!("du {} au {}", french_date(from), french_date(to))
}

fn compare(
    out: &mut Assessment,
    data: &ProofData,
    target: &Target<'_>,
    declared: Option<Declared<'_>>,
) {
    let target_period = period_text(target.period.start, target.period.end);
    // The proof must be about what it is attached to.
    if data.establishment_finess != target.finess.to_string() {
        out.reasons.push(format!(
            "FINESS : la preuve porte le FINESS {}, elle est déposée pour le FINESS {}",
            data.establishment_finess, target.finess
        ));
    }
    if (data.period_from, data.period_to) != (target.period.start, target.period.end) {
        out.reasons.push(format!(
            "période : la preuve couvre la période {}, elle est déposée pour la période {}",
            period_text(data.period_from, data.period_to),
            target_period
        ));
    }
    let Some(declared) = declared else {
        out.reasons.push(format!(
            "aucune déclaration reçue pour le projet {} et la période {} : rien à comparer \
             (la preuve pourra être revérifiée quand le fichier de recueil sera arrivé)",
            target.galis, target_period
        ));
        out.outcome = Outcome::Invalid;
        return;
    };
    let version = declared.version;
    out.version_id = Some(version.id);
    let Some(row) = declared.row else {
        out.reasons.push(format!(
            "le FINESS {} n'est pas déclaré dans la version {} du fichier de recueil du projet {} \
             pour la période {}",
            target.finess, version.version, version.galis, target_period
        ));
        out.outcome = Outcome::Invalid;
        return;
    };
    let place = format!(
        "ligne {} du fichier de recueil, version {}",
        row.row, version.version
    );
    let f = &data.figures;
    if f.active_records != row.actifs {
        out.reasons.push(format!(
            "DUI actifs : {} dans la preuve, {} déclarés ({place})",
            french_count(f.active_records),
            french_count(row.actifs)
        ));
    }
    let others = [
        (
            "personnes accompagnées",
            f.accompanied_persons,
            Some(row.accompanied),
        ),
        ("DMP alimentés", f.dmp_fed, row.dmp),
        ("messages MSSanté", f.mss_messages, row.mss),
        (
            "DUI avec projet personnalisé",
            f.records_with_care_plan,
            row.care_plan,
        ),
        (
            "DUI avec événement d'agenda",
            f.records_with_appointment,
            row.appointment,
        ),
    ];
    for (label, shown, declared) in others {
        if let Some(declared) = declared
            && declared != shown
        {
            out.remarks.push(format!(
                "{label} : {} dans la preuve, {} déclarés ({place})",
                french_count(shown),
                french_count(declared)
            ));
        }
    }
    out.outcome = if out.reasons.is_empty() {
        Outcome::Valid
    } else {
        Outcome::Invalid
    };
}

#[cfg(test)]
#[path = "check_tests.rs"]
mod tests;
