//! Ingesting one file end to end, for `carnet collect ingest`, the upload page
//! and the API alike: read within the limits, check every cell, store an
//! accepted file as the next declaration version, and say all of it in French.
//!
//! This module owns the wording of the outcome; it never exits the process nor
//! reads the clock (the caller passes `received_at` in the [`Submission`]).

use std::io::Read;
use std::path::Path;

use carnet_store::Db;

use crate::cells::french_date;
use crate::versions::{self, ArchiveError, Submission, Version};
use crate::{Limits, ProjectRef, Refusal, read_workbook};

/// What happened to one file.
#[derive(Debug, Clone)]
pub struct FileOutcome {
    /// The French text to show: the report, or the refusal, and what was stored.
    pub text: String,
    /// True when the file has no error (it is then stored when a database is given).
    pub accepted: bool,
    /// The version created, when the file was accepted and a database given.
    pub version: Option<Version>,
}

/// Reads a file from disk without ever holding more than the size limit in
/// memory, whatever its real size (a file may grow while it is read).
pub fn read_file(path: &Path, limits: &Limits) -> Result<Vec<u8>, Refusal> {
    let unreadable = |e: std::io::Error| Refusal::Unreadable {
        detail: e.to_string(),
    };
    let file = std::fs::File::open(path).map_err(unreadable)?;
    let declared = file.metadata().map_err(unreadable)?.len();
    if declared > limits.max_file_bytes {
        return Err(Refusal::TooLarge {
            size: declared,
            max: limits.max_file_bytes,
        });
    }
    let mut bytes = Vec::new();
    file.take(limits.max_file_bytes.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(unreadable)?;
    let size = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
    if size > limits.max_file_bytes {
        return Err(Refusal::TooLarge {
            size,
            max: limits.max_file_bytes,
        });
    }
    Ok(bytes)
}

/// Checks one file and, when it is accepted and `db` is given, stores it as the
/// next version of its declaration. Only a database failure is an `Err`: a
/// refused file is an outcome, with its reasons in the text.
pub async fn ingest(
    db: Option<&Db>,
    submission: &Submission<'_>,
    project: Option<&ProjectRef>,
    limits: &Limits,
    retention_years: i16,
) -> Result<FileOutcome, ArchiveError> {
    let mut text = format!(
        "Fichier « {} » (SHA-256 {})\n",
        submission.file_name,
        versions::sha256_hex(submission.bytes)
    );
    let checked = match read_workbook(submission.bytes, project, limits) {
        Ok(checked) => checked,
        Err(refusal) => {
            text.push_str(&format!("Fichier refusé : {refusal}.\n"));
            return Ok(FileOutcome {
                text,
                accepted: false,
                version: None,
            });
        }
    };
    text.push_str(&checked.report.to_text());
    let declaration = match checked.accept() {
        Ok(declaration) => declaration,
        Err(_) => {
            return Ok(FileOutcome {
                text,
                accepted: false,
                version: None,
            });
        }
    };
    let Some(db) = db else {
        text.push_str("Aucune base indiquée (--db) : rien n'est enregistré.\n");
        return Ok(FileOutcome {
            text,
            accepted: true,
            version: None,
        });
    };
    let version = versions::store(db, &declaration, submission, retention_years).await?;
    let superseded = if version.version > 1 {
        format!(
            " ; elle remplace la version {}, qui reste consultable",
            version.version - 1
        )
    } else {
        String::new()
    };
    text.push_str(&format!(
        "Enregistré : projet {}, période du {} au {}, version {}{superseded}. \
         Conservé jusqu'au {}.\n",
        version.galis,
        french_date(version.period.start),
        french_date(version.period.end),
        version.version,
        french_date(version.retain_until)
    ));
    Ok(FileOutcome {
        text,
        accepted: true,
        version: Some(version),
    })
}

/// `carnet collect ingest [--db URL] FILE…` in one call: every file is read and
/// checked, even after a refused one. Returns the French text to print and
/// whether every file was accepted (the command exits non-zero otherwise).
pub async fn ingest_paths(
    db: Option<&Db>,
    paths: &[std::path::PathBuf],
    sent_by: &str,
    received_at: jiff::Timestamp,
    limits: &Limits,
    retention_years: i16,
) -> Result<(String, bool), ArchiveError> {
    let mut text = String::new();
    let mut all_accepted = true;
    for path in paths {
        let shown = path.display().to_string();
        let bytes = match read_file(path, limits) {
            Ok(bytes) => bytes,
            Err(refusal) => {
                text.push_str(&format!(
                    "Fichier « {shown} »\nFichier refusé : {refusal}.\n\n"
                ));
                all_accepted = false;
                continue;
            }
        };
        let submission = Submission {
            file_name: &shown,
            bytes: &bytes,
            sent_by,
            received_at,
        };
        let outcome = ingest(db, &submission, None, limits, retention_years).await?;
        all_accepted &= outcome.accepted;
        text.push_str(&outcome.text);
        text.push('\n');
    }
    Ok((text, all_accepted))
}
