//! Carnet reports: the CNSA collection workbook, the signed PDF/A proof, and
//! plain printable documents of headings, paragraphs and tables (the
//! platform's monthly flash report).
//!
//! This crate owns the files Carnet hands to the outside for the ESMS numérique
//! programme (SPEC.md §4.1 and §4.2): it renders them from plain data given by the
//! indicator engine ([`ProofData`], [`WorkbookRow`]), signs proofs with the
//! organisation's certificate (PAdES baseline B) and verifies them. It never computes
//! a figure and never reads the clock: the production instant is an argument.

mod chart;
mod data;
mod document;
mod error;
mod pdfscan;
mod pdftext;
mod pki;
mod proof;
mod sign;
mod table;
mod verify;
mod workbook;

pub use chart::{ChartMonth, RATE_SERIES, monthly_chart_svg};
pub use data::{
    PROOF_FORMAT, ProofData, ProofFigures, ProofFileEntry, ProofRates, WorkbookRow, proof_file_name,
};
pub use document::{Block, TextDocument, text_document_pdf};
pub use error::{Error, Result};
pub use pki::{DemoPki, DemoPkiFiles, certificate_pem, certificates_from_pem, generate_demo_pki};
pub use proof::{
    ATTACHMENT_NAME, Line, SIGNATURE_CAPTION, french_date, french_instant, visible_lines,
};
pub use sign::{SigningIdentity, signed_proof};
pub use table::{Align, Column, Table, Width};
pub use verify::{Check, CheckKind, VerifyReport, label as check_label, verify};
pub use workbook::{
    MEASURE_HEADERS, PROOF_HEADERS, SHEET_INSTRUCTIONS, SHEET_MEASURES, SHEET_PROOFS,
    write_workbook,
};
/// The certificate type taken by [`verify`] and returned by [`certificates_from_pem`].
pub use x509_cert::Certificate;

/// Renders the proof without signing it (for previews and tests).
pub fn unsigned_proof(data: &ProofData) -> Result<Vec<u8>> {
    Ok(proof::render(data)?.pdf)
}

/// Lower-case hex SHA-256 of a file, as written in "Preuves d'usage".
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}
