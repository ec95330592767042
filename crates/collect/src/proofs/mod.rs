//! Proofs of usage on the platform (issue 5 §5, SPEC.md §4.2): a proof PDF
//! attached to a project, an establishment (FINESS) and a period, kept
//! content-addressed by SHA-256 with the workbooks (`collect_files`), checked
//! automatically when it is a Carnet-signed proof ([`check::assess`]), and
//! reviewed by a person otherwise. Tables `collect_proof*` (migration 0004).
//!
//! Nothing is updated or deleted: every check and every review is appended
//! (the latest is in force) and each proof carries its retention date. The
//! clock is never read: instants come in. This is the API the CLI and the web
//! pages call: [`attach`], [`recheck`], [`review`], [`list`], [`get`],
//! [`pdf`], and [`text`] for the French rendering.

pub mod check;
mod store;
pub mod text;

use carnet_core::Finess;
use carnet_reports::Certificate;
use carnet_store::Db;
use jiff::Timestamp;
use jiff::civil::Date;

pub use check::{Assessment, Outcome};
pub use store::{get, list};

use crate::Period;
use crate::versions::{self, ArchiveError};

/// Largest proof file accepted: a one-page état is a few tens of kilobytes,
/// a scan a few megabytes.
pub const MAX_PROOF_BYTES: usize = 20 * 1024 * 1024;

/// Errors of the proofs API; the text is French and says what to fix.
#[derive(Debug, thiserror::Error)]
pub enum ProofError {
    #[error(transparent)]
    Archive(#[from] ArchiveError),
    #[error("le fichier « {0} » est vide")]
    Empty(String),
    #[error(
        "le fichier « {name} » ne peut pas être une preuve : il ne commence pas par « %PDF- » \
         (seuls les PDF sont acceptés)"
    )]
    NotPdf { name: String },
    #[error("le fichier « {name} » fait {size} octets : une preuve ne peut dépasser {max} octets")]
    TooLarge {
        name: String,
        size: usize,
        max: usize,
    },
    #[error("la période se termine ({end}) avant de commencer ({start})")]
    InvertedPeriod { start: Date, end: Date },
    #[error("la Référence GALIS est vide")]
    EmptyGalis,
    #[error("preuve n° {0} inconnue")]
    UnknownProof(i64),
    #[error(
        "la preuve n° {id} n'est pas à vérifier manuellement (dernier contrôle : {outcome}) : \
         seule une preuve marquée « à vérifier manuellement » reçoit une décision"
    )]
    NotForReview { id: i64, outcome: &'static str },
    #[error("le nom de la personne qui vérifie est obligatoire")]
    NoReviewer,
    #[error("le commentaire est obligatoire : il dit ce qui a été vérifié")]
    NoComment,
}

/// A proof file to attach, with who attaches it and when.
#[derive(Debug, Clone)]
pub struct Attachment<'a> {
    pub galis: &'a str,
    pub finess: &'a Finess,
    pub period: Period,
    pub file_name: &'a str,
    pub bytes: &'a [u8],
    /// The account (or "cli") attaching it.
    pub by: &'a str,
    pub at: Timestamp,
}

/// A stored proof (without its checks).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Proof {
    pub id: i64,
    pub galis: String,
    pub finess: Finess,
    pub period: Period,
    pub file_name: String,
    pub file_sha256: String,
    pub attached_by: String,
    pub attached_at: Timestamp,
    /// Nothing of it may be deleted before this day (SPEC.md §4.3).
    pub retain_until: Date,
}

/// One stored automatic check.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CheckRecord {
    pub id: i64,
    pub outcome: Outcome,
    pub reasons: Vec<String>,
    pub remarks: Vec<String>,
    /// The Carnet result object found in the PDF, as JSON.
    pub proof_json: Option<String>,
    pub signer: Option<String>,
    /// The declaration version compared with.
    pub version_id: Option<i64>,
    pub by: String,
    pub at: Timestamp,
}

/// A reviewer's decision on a proof to check by hand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum Decision {
    Compliant,
    NonCompliant,
}

impl Decision {
    pub fn code(self) -> &'static str {
        match self {
            Decision::Compliant => "conforme",
            Decision::NonCompliant => "non-conforme",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Decision::Compliant => "conforme",
            Decision::NonCompliant => "non conforme",
        }
    }

    pub fn parse(code: &str) -> Option<Decision> {
        [Decision::Compliant, Decision::NonCompliant]
            .into_iter()
            .find(|d| d.code() == code)
    }
}

/// One stored review.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ReviewRecord {
    pub id: i64,
    pub decision: Decision,
    pub comment: String,
    pub reviewer: String,
    pub at: Timestamp,
}

/// A proof with every check and review, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ProofState {
    pub proof: Proof,
    /// Never empty: a proof is checked when attached.
    pub checks: Vec<CheckRecord>,
    pub reviews: Vec<ReviewRecord>,
}

/// Where a proof stands, for lists and pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Status {
    Checked(Outcome),
    /// To check by hand, and a reviewer decided.
    Reviewed(Decision),
}

impl Status {
    /// French label: « valide », « invalide », « à vérifier manuellement »,
    /// « vérifiée manuellement : conforme »…
    pub fn label(self) -> String {
        match self {
            Status::Checked(o) => o.label().to_owned(),
            Status::Reviewed(d) => format!("vérifiée manuellement : {}", d.label()),
        }
    }
}

impl ProofState {
    /// The check in force (the latest).
    pub fn latest_check(&self) -> Option<&CheckRecord> {
        self.checks.last()
    }

    /// The decision in force (the latest review), if any.
    pub fn latest_review(&self) -> Option<&ReviewRecord> {
        self.reviews.last()
    }

    /// The latest check's outcome; for a proof to check by hand, the latest
    /// decision when there is one.
    pub fn status(&self) -> Status {
        let outcome = self
            .latest_check()
            .map_or(Outcome::ManualReview, |c| c.outcome);
        match (outcome, self.latest_review()) {
            (Outcome::ManualReview, Some(r)) => Status::Reviewed(r.decision),
            (o, _) => Status::Checked(o),
        }
    }
}

/// A reviewer's decision to record.
#[derive(Debug, Clone)]
pub struct Review<'a> {
    pub decision: Decision,
    pub comment: &'a str,
    pub reviewer: &'a str,
    pub at: Timestamp,
}

/// Which proofs [`list`] returns: those matching every criterion given.
#[derive(Debug, Clone, Default)]
pub struct Filter<'a> {
    pub galis: Option<&'a str>,
    pub finess: Option<&'a Finess>,
    /// Exactly this period (first and last day).
    pub period: Option<Period>,
}

fn check_file(name: &str, bytes: &[u8]) -> Result<(), ProofError> {
    if bytes.is_empty() {
        return Err(ProofError::Empty(name.to_owned()));
    }
    if bytes.len() > MAX_PROOF_BYTES {
        return Err(ProofError::TooLarge {
            name: name.to_owned(),
            size: bytes.len(),
            max: MAX_PROOF_BYTES,
        });
    }
    // PDF readers accept leading garbage in the first kilobyte; so do we.
    let head = &bytes[..bytes.len().min(1024)];
    if !head.windows(5).any(|w| w == b"%PDF-") {
        return Err(ProofError::NotPdf {
            name: name.to_owned(),
        });
    }
    Ok(())
}

/// Checks a proof's bytes against the declaration in force for its target.
async fn assess(
    db: &Db,
    galis: &str,
    finess: &Finess,
    period: Period,
    bytes: &[u8],
    anchors: &[Certificate],
) -> Result<Assessment, ProofError> {
    let report = carnet_reports::verify(bytes, anchors);
    let version = versions::current(db, galis, period).await?;
    let rows = match &version {
        Some(v) => versions::rows(db, v.id).await?,
        None => Vec::new(),
    };
    let target = check::Target {
        galis,
        finess,
        period,
    };
    let declared = version.as_ref().map(|version| check::Declared {
        version,
        row: rows.iter().find(|r| &r.finess == finess),
    });
    Ok(check::assess(&report, &target, declared))
}

/// Attaches a proof file to (project, FINESS, period), checks it with the
/// platform's trust anchors and stores both, in one transaction. A file that
/// is not a PDF, empty or too large is refused and nothing is stored.
pub async fn attach(
    db: &Db,
    attachment: &Attachment<'_>,
    anchors: &[Certificate],
    retention_years: i16,
) -> Result<ProofState, ProofError> {
    let galis = attachment.galis.trim();
    if galis.is_empty() {
        return Err(ProofError::EmptyGalis);
    }
    let period = attachment.period;
    if period.end < period.start {
        return Err(ProofError::InvertedPeriod {
            start: period.start,
            end: period.end,
        });
    }
    check_file(attachment.file_name, attachment.bytes)?;
    let assessment = assess(
        db,
        galis,
        attachment.finess,
        period,
        attachment.bytes,
        anchors,
    )
    .await?;
    let id = store::insert(db, galis, attachment, &assessment, retention_years).await?;
    get(db, id).await?.ok_or(ProofError::UnknownProof(id))
}

/// Checks a stored proof again (after a new declaration version, or with
/// other trust anchors) and appends the result.
pub async fn recheck(
    db: &Db,
    id: i64,
    anchors: &[Certificate],
    by: &str,
    at: Timestamp,
) -> Result<ProofState, ProofError> {
    let state = get(db, id).await?.ok_or(ProofError::UnknownProof(id))?;
    let proof = &state.proof;
    let bytes = versions::file(db, &proof.file_sha256)
        .await?
        .ok_or_else(|| {
            ArchiveError::Corrupt(format!(
                "preuve n° {id} : fichier {} manquant",
                proof.file_sha256
            ))
        })?;
    let assessment = assess(
        db,
        &proof.galis,
        &proof.finess,
        proof.period,
        &bytes,
        anchors,
    )
    .await?;
    store::insert_check(db, id, &assessment, by, at).await?;
    get(db, id).await?.ok_or(ProofError::UnknownProof(id))
}

/// Records a reviewer's decision on a proof whose check in force says « à
/// vérifier manuellement »; earlier decisions stay in the history.
pub async fn review(db: &Db, id: i64, review: &Review<'_>) -> Result<ProofState, ProofError> {
    if review.reviewer.trim().is_empty() {
        return Err(ProofError::NoReviewer);
    }
    if review.comment.trim().is_empty() {
        return Err(ProofError::NoComment);
    }
    let state = get(db, id).await?.ok_or(ProofError::UnknownProof(id))?;
    let outcome = state
        .latest_check()
        .map_or(Outcome::ManualReview, |c| c.outcome);
    if outcome != Outcome::ManualReview {
        return Err(ProofError::NotForReview {
            id,
            outcome: outcome.label(),
        });
    }
    store::insert_review(db, id, review).await?;
    get(db, id).await?.ok_or(ProofError::UnknownProof(id))
}

/// The proof file itself, as attached.
pub async fn pdf(db: &Db, id: i64) -> Result<Option<Vec<u8>>, ProofError> {
    let Some(state) = get(db, id).await? else {
        return Ok(None);
    };
    Ok(versions::file(db, &state.proof.file_sha256).await?)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]
    use super::*;

    #[test]
    fn only_pdf_files_of_reasonable_size_are_accepted() {
        assert!(matches!(
            check_file("a.pdf", b""),
            Err(ProofError::Empty(_))
        ));
        assert!(matches!(
            check_file("a.xlsx", b"PK\x03\x04..."),
            Err(ProofError::NotPdf { .. })
        ));
        assert!(check_file("a.pdf", b"%PDF-1.7\n...").is_ok());
        let big = vec![b' '; MAX_PROOF_BYTES + 1];
        assert!(matches!(
            check_file("a.pdf", &big),
            Err(ProofError::TooLarge { .. })
        ));
    }

    #[test]
    fn decision_codes_round_trip() {
        for d in [Decision::Compliant, Decision::NonCompliant] {
            assert_eq!(Decision::parse(d.code()), Some(d));
        }
        assert_eq!(Decision::parse("peut-être"), None);
    }
}
