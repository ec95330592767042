//! What a file may cost before it is refused, and the refusals themselves.
//!
//! This module owns the checks done *before* the workbook is parsed: the file is
//! an .xlsx (a zip holding `xl/workbook.xml`), and its central directory promises
//! no more than the limits once expanded. The zip reader enforces each entry's
//! declared size while inflating, so checking the declared sizes bounds the memory
//! calamine can use. The cell and time limits are enforced while reading the sheet
//! (`sheet.rs`). Nothing here may read a whole entry.

use std::io::Cursor;
use std::time::Duration;

/// Resource limits for one file. The defaults are generous for the CNSA workbook
/// (a real one is under 1 MB and a few hundred cells) and small enough that a
/// server ingesting many files at once cannot be starved by one hostile file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Size of the .xlsx file itself.
    pub max_file_bytes: u64,
    /// Number of entries in the zip.
    pub max_entries: usize,
    /// Sum of the declared uncompressed sizes of all entries.
    pub max_uncompressed_bytes: u64,
    /// Declared uncompressed size of one entry.
    pub max_entry_bytes: u64,
    /// Expansion ratio allowed for an entry larger than `ratio_floor_bytes`.
    /// Repetitive spreadsheet XML compresses well (10–50×); zip bombs reach 1 000×.
    pub max_ratio: u64,
    /// Entries smaller than this are not checked for their ratio: tiny entries
    /// cannot hurt whatever they expand to.
    pub ratio_floor_bytes: u64,
    /// Cells read over all the sheets looked at.
    pub max_cells: usize,
    /// Wall-clock time to parse and read the sheets.
    pub max_duration: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_file_bytes: 10 * 1024 * 1024,
            max_entries: 500,
            max_uncompressed_bytes: 64 * 1024 * 1024,
            max_entry_bytes: 32 * 1024 * 1024,
            max_ratio: 100,
            ratio_floor_bytes: 1024 * 1024,
            max_cells: 200_000,
            max_duration: Duration::from_secs(10),
        }
    }
}

/// Why a file was refused without a cell-by-cell report. The `Display` text is
/// French and tells the sender what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("le fichier est vide")]
    Empty,
    #[error("le fichier ne peut pas être lu ({detail})")]
    Unreadable { detail: String },
    #[error(
        "le fichier pèse {size} octets, au-delà de la limite de {max} octets ; \
         un fichier de recueil pèse d'ordinaire moins d'un mégaoctet"
    )]
    TooLarge { size: u64, max: u64 },
    #[error(
        "le fichier est au format Excel 97-2003 (.xls) ou protégé par un mot de passe ; \
         enregistrez-le au format .xlsx, sans mot de passe"
    )]
    LegacyOrEncrypted,
    #[error("le fichier est au format OpenDocument (.ods) ; enregistrez-le au format .xlsx")]
    OpenDocument,
    #[error("le fichier n'est pas un classeur Excel .xlsx ({detail})")]
    NotXlsx { detail: String },
    #[error("le classeur est endommagé et ne peut pas être lu ({detail})")]
    Damaged { detail: String },
    #[error("le classeur contient {count} éléments internes, au-delà de la limite de {max}")]
    TooManyEntries { count: usize, max: usize },
    #[error(
        "le classeur se décompresserait en {size} octets (élément « {entry} »), au-delà de \
         la limite de {max} octets ; fichier refusé par précaution"
    )]
    EntryTooLarge { entry: String, size: u64, max: u64 },
    #[error(
        "le classeur se décompresserait en {size} octets au total, au-delà de la limite de \
         {max} octets ; fichier refusé par précaution"
    )]
    ExpandsTooMuch { size: u64, max: u64 },
    #[error(
        "l'élément « {entry} » du classeur est compressé {ratio} fois, bien au-delà d'un \
         classeur ordinaire (limite {max}) ; fichier refusé par précaution (bombe zip ?)"
    )]
    Ratio { entry: String, ratio: u64, max: u64 },
    #[error("le classeur contient un élément chiffré ; enregistrez-le sans mot de passe")]
    EncryptedEntry,
    #[error(
        "la feuille « {sheet} » contient plus de {max} cellules ; un fichier de recueil \
         en compte quelques centaines"
    )]
    TooManyCells { sheet: String, max: usize },
    #[error("la lecture du classeur a dépassé {seconds} secondes ; fichier refusé par précaution")]
    TooSlow { seconds: u64 },
    #[error(
        "aucune feuille « Liste des mesures d'usage » ni aucune feuille portant l'en-tête \
         attendu (Référence GALIS, SIRET Porteur, FINESS Géographique…) ; feuilles lues : {sheets}"
    )]
    NoDataSheet { sheets: String },
}

const ZIP_MAGIC: &[u8] = b"PK\x03\x04";
const EMPTY_ZIP_MAGIC: &[u8] = b"PK\x05\x06";
const OLE_MAGIC: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

/// Checks the container before any XML is inflated. Reads only the central
/// directory, whose size is bounded by the file size.
pub fn check_container(bytes: &[u8], limits: &Limits) -> Result<(), Refusal> {
    if bytes.is_empty() {
        return Err(Refusal::Empty);
    }
    let size = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
    if size > limits.max_file_bytes {
        return Err(Refusal::TooLarge {
            size,
            max: limits.max_file_bytes,
        });
    }
    if bytes.starts_with(OLE_MAGIC) {
        // Encrypted .xlsx files are OLE containers too, so both are one refusal.
        return Err(Refusal::LegacyOrEncrypted);
    }
    if !bytes.starts_with(ZIP_MAGIC) && !bytes.starts_with(EMPTY_ZIP_MAGIC) {
        return Err(Refusal::NotXlsx {
            detail: "ce n'est pas une archive zip".to_owned(),
        });
    }
    let archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| Refusal::Damaged {
        detail: format!("archive zip illisible : {e}"),
    })?;
    if archive.len() > limits.max_entries {
        return Err(Refusal::TooManyEntries {
            count: archive.len(),
            max: limits.max_entries,
        });
    }
    if archive.has_duplicate_names() {
        return Err(Refusal::Damaged {
            detail: "deux éléments internes portent le même nom".to_owned(),
        });
    }
    let mut total: u64 = 0;
    let mut has_workbook = false;
    let mut is_ods = false;
    for index in 0..archive.len() {
        let entry = archive.by_index_data(index).map_err(|e| Refusal::Damaged {
            detail: format!("élément {index} illisible : {e}"),
        })?;
        let name = String::from_utf8_lossy(entry.name_raw()).into_owned();
        if entry.encrypted() {
            return Err(Refusal::EncryptedEntry);
        }
        let declared = entry.size();
        if declared > limits.max_entry_bytes {
            return Err(Refusal::EntryTooLarge {
                entry: name,
                size: declared,
                max: limits.max_entry_bytes,
            });
        }
        total = total.saturating_add(declared);
        if total > limits.max_uncompressed_bytes {
            return Err(Refusal::ExpandsTooMuch {
                size: total,
                max: limits.max_uncompressed_bytes,
            });
        }
        if declared > limits.ratio_floor_bytes {
            let ratio = declared / entry.compressed_size().max(1);
            if ratio > limits.max_ratio {
                return Err(Refusal::Ratio {
                    entry: name,
                    ratio,
                    max: limits.max_ratio,
                });
            }
        }
        // Either part marks an Office Open XML package; calamine then finds the
        // workbook through `_rels/.rels` and reports anything missing as damage.
        if name.eq_ignore_ascii_case("xl/workbook.xml") || name == "[Content_Types].xml" {
            has_workbook = true;
        }
        if name == "mimetype" || name == "content.xml" {
            is_ods = true;
        }
    }
    if !has_workbook {
        if is_ods {
            return Err(Refusal::OpenDocument);
        }
        return Err(Refusal::NotXlsx {
            detail: "l'archive ne contient pas de classeur (xl/workbook.xml)".to_owned(),
        });
    }
    Ok(())
}
