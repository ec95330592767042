//! Errors of this crate. Messages are French: they reach users through the CLI and web.

use thiserror::Error;

/// Everything that can go wrong while writing a workbook, a proof or a certificate.
#[derive(Debug, Error)]
pub enum Error {
    #[error("classeur : ligne {row} : le FINESS géographique est vide")]
    EmptyFiness { row: usize },
    #[error("classeur : le FINESS géographique {0} apparaît sur plusieurs lignes")]
    DuplicateFiness(String),
    #[error(
        "classeur : la colonne « {column} » doit être identique sur toutes les lignes (« {first} » puis « {other} »)"
    )]
    InconsistentColumn {
        column: &'static str,
        first: String,
        other: String,
    },
    #[error("classeur : la valeur {0} est trop grande pour une cellule numérique")]
    NumberTooLarge(u64),
    #[error("classeur : {0}")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
    #[error("données de preuve : format « {0} » inconnu")]
    UnknownProofFormat(String),
    #[error("données de preuve : le champ « {0} » est vide")]
    MissingField(&'static str),
    #[error("données de preuve : la période se termine ({to}) avant de commencer ({from})")]
    InvertedPeriod {
        from: jiff::civil::Date,
        to: jiff::civil::Date,
    },
    #[error(
        "données de preuve : l'empreinte des dossiers comptés doit être un SHA-256 en hexadécimal minuscule (« {0} »)"
    )]
    BadRecordsDigest(String),
    #[error("données de preuve : {0}")]
    Json(#[from] serde_json::Error),
    #[error("PDF : la police intégrée est illisible")]
    Font,
    #[error("PDF : {0}")]
    Pdf(String),
    #[error("PDF : structure inattendue ({0})")]
    PdfStructure(&'static str),
    #[error("PKCS#12 : {0}")]
    Pkcs12(String),
    #[error("PKCS#12 : aucune clé privée avec sa chaîne de certificats")]
    Pkcs12NoKey,
    #[error("clé privée : seules les clés ECDSA P-256 sont prises en charge ({0})")]
    UnsupportedKey(String),
    #[error("certificat : {0}")]
    Certificate(String),
    #[error("signature : {needed} octets nécessaires, {reserved} réservés")]
    SignatureTooLarge { needed: usize, reserved: usize },
    #[error("encodage ASN.1 : {0}")]
    Der(#[from] der::Error),
    #[error("date hors des bornes prises en charge : {0}")]
    Time(String),
    #[error("fichier : {0}")]
    Io(#[from] std::io::Error),
}

/// Shorthand used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
