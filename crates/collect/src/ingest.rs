//! Ingesting one file end to end, for `carnet collect ingest`, the upload page
//! and the API alike: read within the limits, check every cell, store an
//! accepted file as the next declaration version, and say all of it in French.
//!
//! This module owns the wording of the outcome; it never exits the process nor
//! reads the clock (the caller passes `received_at` in the [`Submission`]).

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use carnet_store::Db;

use crate::cells::french_date;
use crate::projects::{self, Registry};
use crate::versions::{self, ArchiveError, Submission, Version};
use crate::{Declaration, Limits, Refusal, Report, read_workbook, read_workbook_in};

/// What happened to one file.
#[derive(Debug, Clone)]
pub struct FileOutcome {
    /// The French text to show: the report, or the refusal, and what was stored.
    pub text: String,
    /// True when the file has no error (it is then stored when a database is given).
    pub accepted: bool,
    /// The version created, when the file was accepted and a database given.
    pub version: Option<Version>,
    /// The validation report; `None` when the file could not be read at all.
    pub report: Option<Report>,
    /// Why the file was refused without a report (not an .xlsx, damaged,
    /// beyond a limit), or refused by the caller's check despite a report
    /// without errors (a project the sender may not declare for), in French.
    pub refusal: Option<String>,
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

/// A file read and checked: its French text so far, and the declaration when
/// it is accepted.
struct Checked {
    text: String,
    declaration: Option<Declaration>,
    report: Option<Report>,
    refusal: Option<String>,
}

/// Reads and checks one submission; never touches the database. Without a
/// registry (no database) the rows are checked among themselves only.
fn check(
    submission: &Submission<'_>,
    registry: Option<&Registry>,
    limits: &Limits,
) -> (Checked, bool) {
    let mut text = format!(
        "Fichier « {} » (SHA-256 {})\n",
        submission.file_name,
        versions::sha256_hex(submission.bytes)
    );
    let read = match registry {
        Some(registry) => read_workbook_in(submission.bytes, registry, limits),
        None => read_workbook(submission.bytes, None, limits),
    };
    let checked = match read {
        Ok(checked) => checked,
        Err(refusal) => {
            text.push_str(&format!("Fichier refusé : {refusal}.\n"));
            return (
                Checked {
                    text,
                    declaration: None,
                    report: None,
                    refusal: Some(refusal.to_string()),
                },
                false,
            );
        }
    };
    text.push_str(&checked.report.to_text());
    let report = Some(checked.report.clone());
    match checked.accept() {
        Ok(declaration) => (
            Checked {
                text,
                declaration: Some(declaration),
                report,
                refusal: None,
            },
            true,
        ),
        Err(_) => (
            Checked {
                text,
                declaration: None,
                report,
                refusal: None,
            },
            false,
        ),
    }
}

const NO_DATABASE: &str = "Aucune base indiquée (--db) : rien n'est enregistré.\n";

/// What is said of a stored version.
fn stored_text(version: &Version) -> String {
    let superseded = if version.version > 1 {
        format!(
            " ; elle remplace la version {}, qui reste consultable",
            version.version - 1
        )
    } else {
        String::new()
    };
    format!(
        "Enregistré : projet {}, période du {} au {}, version {}{superseded}. \
         Conservé jusqu'au {}.\n",
        version.galis,
        french_date(version.period.start),
        french_date(version.period.end),
        version.version,
        french_date(version.retain_until)
    )
}

/// [`check`] on a blocking thread: reading a workbook is CPU work (up to the
/// time limit of [`Limits`]) that must not hold a thread of the async runtime
/// that serves other requests. The file is copied once for that thread.
async fn check_off_runtime(
    submission: &Submission<'_>,
    registry: Option<&Registry>,
    limits: &Limits,
) -> Result<(Checked, bool), ArchiveError> {
    let bytes = submission.bytes.to_vec();
    let file_name = submission.file_name.to_owned();
    let sent_by = submission.sent_by.to_owned();
    let received_at = submission.received_at;
    let registry = registry.cloned();
    let limits = limits.clone();
    let done = tokio::task::spawn_blocking(move || {
        let submission = Submission {
            file_name: &file_name,
            bytes: &bytes,
            sent_by: &sent_by,
            received_at,
        };
        check(&submission, registry.as_ref(), &limits)
    })
    .await;
    match done {
        Ok(checked) => Ok(checked),
        // Calamine runs under catch_unwind (sheet.rs): a panic here is a bug
        // of ours; carry it to the caller.
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Err(e) => Err(ArchiveError::Interrupted(e.to_string())),
    }
}

/// Checks one file and, when it is accepted and `db` is given, stores it as the
/// next version of its declaration. Only a database failure is an `Err`: a
/// refused file is an outcome, with its reasons in the text.
///
/// `registry` is the project registry ([`projects::registry`], loaded once for
/// many files); `None` checks the rows among themselves only.
pub async fn ingest(
    db: Option<&Db>,
    submission: &Submission<'_>,
    registry: Option<&Registry>,
    limits: &Limits,
    retention_years: i16,
) -> Result<FileOutcome, ArchiveError> {
    ingest_authorised(
        db,
        submission,
        registry,
        limits,
        retention_years,
        |_| Ok(()),
    )
    .await
}

/// [`ingest`], with one more check before anything is stored: `authorise`
/// sees the declaration of a file without errors and may refuse it with a
/// French reason (the platform: a porteur declares only for its own
/// projects). A refused file is stored nowhere; its report is still given.
pub async fn ingest_authorised(
    db: Option<&Db>,
    submission: &Submission<'_>,
    registry: Option<&Registry>,
    limits: &Limits,
    retention_years: i16,
    authorise: impl FnOnce(&Declaration) -> Result<(), String>,
) -> Result<FileOutcome, ArchiveError> {
    let (
        Checked {
            mut text,
            declaration,
            report,
            refusal,
        },
        accepted,
    ) = check_off_runtime(submission, registry, limits).await?;
    let Some(declaration) = declaration else {
        return Ok(FileOutcome {
            text,
            accepted,
            version: None,
            report,
            refusal,
        });
    };
    if let Err(reason) = authorise(&declaration) {
        text.push_str(&format!(
            "Fichier refusé : {reason}. Rien n'est enregistré.\n"
        ));
        return Ok(FileOutcome {
            text,
            accepted: false,
            version: None,
            report,
            refusal: Some(reason),
        });
    }
    let Some(db) = db else {
        text.push_str(NO_DATABASE);
        return Ok(FileOutcome {
            text,
            accepted: true,
            version: None,
            report,
            refusal,
        });
    };
    let version = versions::store(db, &declaration, submission, retention_years).await?;
    text.push_str(&stored_text(&version));
    Ok(FileOutcome {
        text,
        accepted: true,
        version: Some(version),
        report,
        refusal,
    })
}

/// Files checked together and stored in one transaction: at most this many,
/// holding at most [`BATCH_BYTES`] of files (by their size on disk).
const BATCH_FILES: usize = 128;
const BATCH_BYTES: u64 = 64 * 1024 * 1024;

/// One file of a batch, read and checked.
struct OnDisk {
    shown: String,
    bytes: Vec<u8>,
    checked: Checked,
    accepted: bool,
}

/// Reads and checks one file from disk.
fn check_path(
    path: &Path,
    registry: Option<&Registry>,
    limits: &Limits,
    sent_by: &str,
    received_at: jiff::Timestamp,
) -> OnDisk {
    let shown = path.display().to_string();
    let bytes = match read_file(path, limits) {
        Ok(bytes) => bytes,
        Err(refusal) => {
            return OnDisk {
                checked: Checked {
                    text: format!("Fichier « {shown} »\nFichier refusé : {refusal}.\n"),
                    declaration: None,
                    report: None,
                    refusal: Some(refusal.to_string()),
                },
                shown,
                bytes: Vec::new(),
                accepted: false,
            };
        }
    };
    let submission = Submission {
        file_name: &shown,
        bytes: &bytes,
        sent_by,
        received_at,
    };
    let (checked, accepted) = check(&submission, registry, limits);
    OnDisk {
        shown,
        bytes,
        checked,
        accepted,
    }
}

/// Threads that read and check files: one per core, the files of a batch
/// shared among them. Each file keeps its own limits (size, cells, time).
fn check_batch(
    paths: Vec<PathBuf>,
    registry: Option<Arc<Registry>>,
    limits: Limits,
    sent_by: String,
    received_at: jiff::Timestamp,
) -> Vec<OnDisk> {
    let threads = std::thread::available_parallelism()
        .map_or(1, std::num::NonZeroUsize::get)
        .min(paths.len());
    if threads <= 1 {
        return paths
            .iter()
            .map(|p| check_path(p, registry.as_deref(), &limits, &sent_by, received_at))
            .collect();
    }
    let next = AtomicUsize::new(0);
    let mut checked: Vec<(usize, OnDisk)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(path) = paths.get(i) else {
                            return done;
                        };
                        done.push((
                            i,
                            check_path(path, registry.as_deref(), &limits, &sent_by, received_at),
                        ));
                    }
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| match w.join() {
                Ok(done) => done,
                // Calamine runs under catch_unwind (sheet.rs): a panic here is
                // a bug of ours; carry it to the caller.
                Err(panic) => std::panic::resume_unwind(panic),
            })
            .collect()
    });
    checked.sort_by_key(|(i, _)| *i);
    checked.into_iter().map(|(_, c)| c).collect()
}

/// Cuts the paths into batches of at most [`BATCH_FILES`] files and
/// [`BATCH_BYTES`] bytes (a file that cannot be looked at counts as empty: its
/// reading will say why).
fn batches(paths: &[PathBuf], limits: &Limits) -> Vec<Vec<PathBuf>> {
    let mut out: Vec<Vec<PathBuf>> = Vec::new();
    let mut current: Vec<PathBuf> = Vec::new();
    let mut bytes = 0u64;
    for path in paths {
        let size = std::fs::metadata(path)
            .map_or(0, |m| m.len())
            .min(limits.max_file_bytes);
        if !current.is_empty()
            && (current.len() >= BATCH_FILES || bytes.saturating_add(size) > BATCH_BYTES)
        {
            out.push(std::mem::take(&mut current));
            bytes = 0;
        }
        bytes = bytes.saturating_add(size);
        current.push(path.clone());
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// Stores the accepted files of a batch in one transaction. Should that
/// transaction fail, the batch is stored again file by file, each in its own
/// transaction, so that what is stored and the error returned are those of
/// ingesting the files one at a time.
async fn store_checked(
    db: &Db,
    batch: &mut [OnDisk],
    sent_by: &str,
    received_at: jiff::Timestamp,
    retention_years: i16,
) -> Result<(), ArchiveError> {
    let submissions: Vec<(usize, Submission<'_>)> = batch
        .iter()
        .enumerate()
        .filter(|(_, f)| f.checked.declaration.is_some())
        .map(|(i, f)| {
            (
                i,
                Submission {
                    file_name: &f.shown,
                    bytes: &f.bytes,
                    sent_by,
                    received_at,
                },
            )
        })
        .collect();
    let items: Vec<(&Declaration, &Submission<'_>)> = submissions
        .iter()
        .filter_map(|(i, s)| batch[*i].checked.declaration.as_ref().map(|d| (d, s)))
        .collect();
    let stored = match versions::store_batch(db, &items, retention_years).await {
        Ok(stored) => stored,
        Err(_) => {
            let mut stored = Vec::with_capacity(items.len());
            for (declaration, submission) in &items {
                stored.push(versions::store(db, declaration, submission, retention_years).await?);
            }
            stored
        }
    };
    let texts: Vec<(usize, String)> = submissions
        .iter()
        .zip(&stored)
        .map(|((i, _), version)| (*i, stored_text(version)))
        .collect();
    for (i, text) in texts {
        batch[i].checked.text.push_str(&text);
    }
    Ok(())
}

/// `carnet collect ingest [--db URL] FILE…` in one call: every file is read and
/// checked, even after a refused one. Returns the French text to print and
/// whether every file was accepted (the command exits non-zero otherwise).
///
/// With a database, each file is checked against the project of its GALIS in
/// the registry, read once for all the files (see [`read_workbook_in`]).
///
/// Files are read and checked on every core, a batch at a time, while the
/// batch before is stored; the accepted files of a batch are stored in one
/// transaction (see [`versions::store_batch`]). The text and the versions are
/// those of ingesting the files one after the other, in the order given.
pub async fn ingest_paths(
    db: Option<&Db>,
    paths: &[PathBuf],
    sent_by: &str,
    received_at: jiff::Timestamp,
    limits: &Limits,
    retention_years: i16,
) -> Result<(String, bool), ArchiveError> {
    let mut text = String::new();
    let mut all_accepted = true;
    let registry = match db {
        Some(db) => Some(Arc::new(projects::registry(db).await?)),
        None => None,
    };
    let spawn = |batch: Vec<PathBuf>| {
        let (limits, sent_by) = (limits.clone(), sent_by.to_owned());
        let registry = registry.clone();
        tokio::task::spawn_blocking(move || {
            check_batch(batch, registry, limits, sent_by, received_at)
        })
    };
    let mut batches = batches(paths, limits).into_iter();
    let mut next = batches.next().map(spawn);
    while let Some(current) = next.take() {
        let mut batch = match current.await {
            Ok(batch) => batch,
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Err(e) => return Err(ArchiveError::Interrupted(e.to_string())),
        };
        // The next batch is read while this one is stored.
        next = batches.next().map(spawn);
        match db {
            Some(db) => {
                store_checked(db, &mut batch, sent_by, received_at, retention_years).await?;
            }
            None => {
                for file in batch.iter_mut().filter(|f| f.checked.declaration.is_some()) {
                    file.checked.text.push_str(NO_DATABASE);
                }
            }
        }
        for file in batch {
            all_accepted &= file.accepted;
            text.push_str(&file.checked.text);
            text.push('\n');
        }
    }
    Ok((text, all_accepted))
}
