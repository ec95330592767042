//! Finding the data sheet, its header row and its columns by their text.
//!
//! SPEC.md §4.1: "Readers must find columns by header text (accents, case, spaces
//! and line breaks ignored), not by position." Real files have a title row merged
//! above the header, the establishment name between C and D, line breaks inside
//! headers and "MS Santé" spelt "MSSanté". This module owns that matching; it
//! never reads a data cell.

use std::collections::BTreeMap;

use crate::report::{CellRef, Finding, Rule, Severity};
use crate::sheet::{Grid, Value};

/// The columns of "Liste des mesures d'usage" (SPEC.md §4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Field {
    Galis,
    Siret,
    Finess,
    Name,
    Dmp,
    Mss,
    Actifs,
    Accompanied,
    CarePlan,
    Appointment,
    Start,
    End,
}

impl Field {
    pub const ALL: [Field; 12] = [
        Field::Galis,
        Field::Siret,
        Field::Finess,
        Field::Name,
        Field::Dmp,
        Field::Mss,
        Field::Actifs,
        Field::Accompanied,
        Field::CarePlan,
        Field::Appointment,
        Field::Start,
        Field::End,
    ];

    /// The header as the CNSA instructions spell it.
    pub fn header(self) -> &'static str {
        match self {
            Field::Galis => "Référence GALIS",
            Field::Siret => "SIRET Porteur",
            Field::Finess => "FINESS Géographique",
            Field::Name => "Nom de l'ESSMS",
            Field::Dmp => "Nombre de DMP alimentés",
            Field::Mss => "Nombre de messages envoyés via la MS Santé",
            Field::Actifs => "Nombre de DUI actifs",
            Field::Accompanied => "Nombre de personnes accompagnées par la structure",
            Field::CarePlan => "Nombre de DUI avec projet personnalisé",
            Field::Appointment => "Nombre de DUI avec au moins un événement d'agenda",
            Field::Start => "Premier jour de la période de recueil",
            Field::End => "Dernier jour de la période de recueil",
        }
    }

    /// "À date, seules les colonnes A, B, C, F, G, J et K sont à compléter"
    /// (seed 000): the cells of the other columns may be empty.
    pub fn cell_required(self) -> bool {
        matches!(
            self,
            Field::Galis
                | Field::Siret
                | Field::Finess
                | Field::Actifs
                | Field::Accompanied
                | Field::Start
                | Field::End
        )
    }

    /// Whether the column holds a count (integer ≥ 0).
    pub fn is_count(self) -> bool {
        matches!(
            self,
            Field::Dmp
                | Field::Mss
                | Field::Actifs
                | Field::Accompanied
                | Field::CarePlan
                | Field::Appointment
        )
    }

    /// Recognises a normalised header. Ordered from the most specific words so
    /// that "DUI avec projet personnalisé" is not taken for "DUI actifs".
    fn from_normalised(h: &str) -> Option<Field> {
        let has = |w: &str| h.contains(w);
        if has("galis") {
            Some(Field::Galis)
        } else if has("siret") {
            Some(Field::Siret)
        } else if has("finess") && !has("juridique") && !has("finessej") {
            // The FINESS juridique of the OG is another number: never taken for
            // the establishment's.
            Some(Field::Finess)
        } else if has("projetpersonnalise") || (has("ppa") && has("dui")) {
            Some(Field::CarePlan)
        } else if has("agenda") {
            Some(Field::Appointment)
        } else if has("dmp") {
            Some(Field::Dmp)
        } else if has("mssante") || has("messagerie") {
            Some(Field::Mss)
        } else if has("duiactif") || has("dossiersactif") || has("dossieractif") {
            Some(Field::Actifs)
        } else if has("personnesaccompagnees") || has("fileactive") {
            Some(Field::Accompanied)
        } else if has("premierjour") || has("debutdelaperiode") || has("datededebut") {
            Some(Field::Start)
        } else if has("dernierjour") || has("findelaperiode") || has("datedefin") {
            Some(Field::End)
        } else if (h.starts_with("nom") && !h.starts_with("nombre"))
            || h.starts_with("raisonsociale")
            || h.starts_with("libelle")
        {
            Some(Field::Name)
        } else {
            None
        }
    }
}

/// Lower case, no accents, nothing but letters and digits: "Nombre de\nmessages
/// envoyés via la MS Santé" and "nombre de messages envoyes via la MSSanté"
/// become the same string.
pub fn normalise(text: &str) -> String {
    text.chars()
        .flat_map(char::to_lowercase)
        .map(fold_accent)
        .filter(|c| c.is_ascii_alphanumeric())
        .collect()
}

fn fold_accent(c: char) -> char {
    match c {
        'à' | 'â' | 'ä' | 'á' | 'ã' => 'a',
        'é' | 'è' | 'ê' | 'ë' => 'e',
        'î' | 'ï' | 'í' => 'i',
        'ô' | 'ö' | 'ó' => 'o',
        'ù' | 'û' | 'ü' | 'ú' => 'u',
        'ç' => 'c',
        'ÿ' => 'y',
        'œ' => 'o',
        _ => c,
    }
}

/// Whether a sheet name is a variant of "Liste des mesures d'usage".
pub fn is_data_sheet_name(name: &str) -> bool {
    let n = normalise(name);
    n.contains("mesure") && n.contains("usage") && !n.contains("preuve")
}

/// The header row of a sheet and where each field is.
#[derive(Debug, Clone)]
pub struct Layout {
    /// Zero-based row of the header.
    pub header_row: u32,
    pub columns: BTreeMap<Field, u32>,
}

impl Layout {
    pub fn column(&self, field: Field) -> Option<u32> {
        self.columns.get(&field).copied()
    }
}

/// How far down a header is looked for: title rows and notes above it are
/// common, a header below row 30 is not a collection file.
const HEADER_SEARCH_ROWS: u32 = 30;
/// A row naming fewer of the identifying columns is not taken for the header.
const MIN_HEADER_FIELDS: usize = 4;

fn cell_text(value: &Value) -> Option<&str> {
    match value {
        Value::Text(t) => Some(t),
        _ => None,
    }
}

/// Finds the header row: the first row (in the top 30) naming the most fields,
/// with at least four of them.
pub fn find_header(grid: &Grid) -> Option<u32> {
    let mut best: Option<(usize, u32)> = None;
    for (row, cells) in grid.rows() {
        if row >= HEADER_SEARCH_ROWS {
            break;
        }
        let mut fields: Vec<Field> = cells
            .values()
            .filter_map(cell_text)
            .filter_map(|t| Field::from_normalised(&normalise(t)))
            .collect();
        fields.sort();
        fields.dedup();
        let count = fields.len();
        if count >= MIN_HEADER_FIELDS && best.is_none_or(|(n, _)| count > n) {
            best = Some((count, row));
        }
        if count == Field::ALL.len() {
            // No later row can name more: the rows below (the data) are not read.
            break;
        }
    }
    best.map(|(_, row)| row)
}

/// Maps the columns of the header row, reporting missing, doubled and unknown
/// columns.
pub fn map_columns(grid: &Grid, header_row: u32, findings: &mut Vec<Finding>) -> Layout {
    let sheet = grid.name.as_str();
    let mut columns: BTreeMap<Field, u32> = BTreeMap::new();
    if let Some((_, cells)) = grid.rows().find(|(r, _)| *r == header_row) {
        for (&col, value) in cells {
            let at = CellRef::new(header_row, col);
            let Some(text) = cell_text(value) else {
                if !value.is_blank() {
                    findings.push(Finding::new(
                        Severity::Avertissement,
                        Rule::Column,
                        sheet,
                        Some(at),
                        None,
                        "cellule d'en-tête qui n'est pas un texte : colonne ignorée",
                    ));
                }
                continue;
            };
            if text.trim().is_empty() {
                continue;
            }
            match Field::from_normalised(&normalise(text)) {
                Some(field) => {
                    if let Some(first) = columns.get(&field) {
                        findings.push(Finding::new(
                            Severity::Erreur,
                            Rule::Column,
                            sheet,
                            Some(at),
                            Some(text.to_owned()),
                            format!(
                                "la colonne « {} » apparaît deux fois (déjà en {}) ; \
                                 laquelle est la bonne ne peut être deviné",
                                field.header(),
                                CellRef::new(header_row, *first)
                            ),
                        ));
                    } else {
                        columns.insert(field, col);
                    }
                }
                None => findings.push(Finding::new(
                    Severity::Avertissement,
                    Rule::Column,
                    sheet,
                    Some(at),
                    Some(text.to_owned()),
                    "colonne non reconnue : son contenu est ignoré",
                )),
            }
        }
    }
    for field in Field::ALL {
        if columns.contains_key(&field) {
            continue;
        }
        let (severity, why) = if field == Field::Name {
            (
                Severity::Avertissement,
                "le nom de l'ESSMS aide à relire le fichier",
            )
        } else if field.cell_required() {
            (Severity::Erreur, "cette colonne est obligatoire")
        } else {
            (
                Severity::Avertissement,
                "cette colonne fait partie du modèle CNSA, même si ses cellules peuvent rester vides",
            )
        };
        findings.push(Finding::new(
            severity,
            Rule::Column,
            sheet,
            Some(CellRef::new(header_row, 0)),
            None,
            format!(
                "colonne « {} » introuvable dans la ligne d'en-tête {} ; {why}",
                field.header(),
                u64::from(header_row) + 1
            ),
        ));
    }
    Layout {
        header_row,
        columns,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_match_whatever_their_accents_case_spaces_and_line_breaks() {
        for (text, field) in [
            ("Référence GALIS", Field::Galis),
            ("reference galis", Field::Galis),
            ("SIRET\nPorteur", Field::Siret),
            ("FINESS Géographique", Field::Finess),
            ("Nom de l'ESSMS", Field::Name),
            ("Nombre de\nDMP alimentés", Field::Dmp),
            ("Nombre de messages envoyés via la MS Santé", Field::Mss),
            ("Nombre de messages envoyés via la MSSanté", Field::Mss),
            ("NOMBRE DE DUI ACTIFS", Field::Actifs),
            (
                "Nombre de personnes accompagnées par la structure",
                Field::Accompanied,
            ),
            ("Nombre de DUI avec projet personnalisé", Field::CarePlan),
            (
                "Nombre de DUI avec au moins un événement d’agenda",
                Field::Appointment,
            ),
            ("Premier jour de la période de recueil", Field::Start),
            ("Dernier  jour de la\npériode de recueil", Field::End),
        ] {
            assert_eq!(
                Field::from_normalised(&normalise(text)),
                Some(field),
                "{text}"
            );
        }
        assert_eq!(Field::from_normalised(&normalise("Observations")), None);
        assert_eq!(Field::from_normalised(&normalise("FINESS juridique")), None);
    }

    #[test]
    fn data_sheet_name_variants_are_recognised() {
        assert!(is_data_sheet_name("Liste des mesures d'usage"));
        assert!(is_data_sheet_name("Liste des mesures d’usage "));
        assert!(is_data_sheet_name("LISTE MESURES USAGE 2024"));
        assert!(!is_data_sheet_name("Preuves d'usage"));
        assert!(!is_data_sheet_name("Consignes"));
    }
}
