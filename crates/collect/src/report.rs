//! The validation report: one finding per problem, each naming the sheet, the cell
//! as a spreadsheet names it (`H8`), the value read, the rule and the severity.
//!
//! This module owns the wording of a finding line and the order of the report;
//! it never decides whether a value is valid (that is `rules` and `cells`).

use std::fmt;

/// How serious a finding is. Any error refuses the whole file (SPEC.md §4.1);
/// warnings are accepted and shown.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Erreur,
    Avertissement,
}

impl Severity {
    /// The French word shown to users.
    pub fn label(self) -> &'static str {
        match self {
            Severity::Erreur => "erreur",
            Severity::Avertissement => "avertissement",
        }
    }
}

/// The rule a finding is about. The code is stable (for the API, the tests and
/// whoever filters reports); the French text of a finding is in its message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Rule {
    /// The data sheet was not found under its usual name.
    DataSheet,
    /// A mandatory column is missing, an unknown column was ignored, a column appears twice.
    Column,
    /// A mandatory cell is empty.
    Mandatory,
    /// The Référence GALIS differs between rows or from the project.
    Galis,
    /// The SIRET is invalid, differs between rows or from the project, or was read
    /// from a number or with spaces.
    Siret,
    /// The FINESS is invalid (length, key, leading zero lost) or was read from a number.
    Finess,
    /// The same FINESS appears on two rows.
    DuplicateFiness,
    /// The same row appears twice.
    DuplicateRow,
    /// The FINESS is not an establishment of the project.
    NotInProject,
    /// An establishment of the project has no row in the file.
    MissingEstablishment,
    /// A count is not an integer ≥ 0.
    Count,
    /// A comment was typed after the number in a count cell.
    CountWithComment,
    /// A count exceeds the number of DUI actifs (H ≤ F, I ≤ F) or another bound.
    Consistency,
    /// A date is not a real date.
    Date,
    /// The period ends before it starts, lasts one day, or several periods coexist.
    Period,
    /// A totals row was found and left out of the data.
    TotalsRow,
    /// The project registry was empty: the file could not be checked against its project.
    Registry,
}

impl Rule {
    /// Stable code of the rule.
    pub fn code(self) -> &'static str {
        match self {
            Rule::DataSheet => "feuille-de-donnees",
            Rule::Column => "colonne",
            Rule::Mandatory => "cellule-obligatoire",
            Rule::Galis => "reference-galis",
            Rule::Siret => "siret",
            Rule::Finess => "finess",
            Rule::DuplicateFiness => "finess-en-double",
            Rule::DuplicateRow => "ligne-en-double",
            Rule::NotInProject => "essms-hors-projet",
            Rule::MissingEstablishment => "essms-absent",
            Rule::Count => "nombre",
            Rule::CountWithComment => "nombre-avec-commentaire",
            Rule::Consistency => "coherence",
            Rule::Date => "date",
            Rule::Period => "periode",
            Rule::TotalsRow => "ligne-de-totaux",
            Rule::Registry => "registre-des-projets",
        }
    }
}

/// A position in a sheet, zero-based as calamine gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CellRef {
    pub row: u32,
    pub col: u32,
}

impl CellRef {
    pub fn new(row: u32, col: u32) -> Self {
        Self { row, col }
    }
}

/// Column letters as a spreadsheet shows them: 0 → A, 25 → Z, 26 → AA.
pub fn column_name(col: u32) -> String {
    let mut n = u64::from(col) + 1;
    let mut letters = Vec::new();
    while n > 0 {
        let rem = (n - 1) % 26;
        // `rem` < 26, so the cast cannot truncate.
        letters.push(char::from(b'A' + rem as u8));
        n = (n - 1) / 26;
    }
    letters.iter().rev().collect()
}

impl fmt::Display for CellRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", column_name(self.col), u64::from(self.row) + 1)
    }
}

/// One problem found in the file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Finding {
    pub severity: Severity,
    pub rule: Rule,
    pub sheet: String,
    /// The cell as a spreadsheet names it (`H8`); `None` for the whole sheet or file.
    pub cell: Option<String>,
    /// The value as it was read in the cell, shown to the user.
    pub value: Option<String>,
    /// What is wrong and what was read or done, in French.
    pub message: String,
    /// Sort key; not shown.
    #[serde(skip)]
    position: Option<CellRef>,
}

impl Finding {
    pub(crate) fn new(
        severity: Severity,
        rule: Rule,
        sheet: &str,
        at: Option<CellRef>,
        value: Option<String>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            severity,
            rule,
            sheet: sheet.to_owned(),
            cell: at.map(|c| c.to_string()),
            value,
            message: message.into(),
            position: at,
        }
    }

    /// One French line: severity, sheet, cell, value read, message, rule code.
    pub fn to_line(&self) -> String {
        let mut line = format!("[{}] feuille « {} »", self.severity.label(), self.sheet);
        if let Some(cell) = &self.cell {
            line.push_str(&format!(", cellule {cell}"));
        }
        if let Some(value) = &self.value {
            line.push_str(&format!(", valeur lue « {} »", shorten(value)));
        }
        line.push_str(&format!(" : {} (règle {})", self.message, self.rule.code()));
        line
    }
}

/// Keeps report lines readable when a cell holds a whole paragraph.
fn shorten(value: &str) -> String {
    const MAX: usize = 80;
    let flat: String = value
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if flat.chars().count() <= MAX {
        flat
    } else {
        let mut cut: String = flat.chars().take(MAX).collect();
        cut.push('…');
        cut
    }
}

/// Every finding of one file, in sheet order (file-level findings first).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Report {
    pub findings: Vec<Finding>,
}

impl Report {
    /// Orders the findings as a person reads the sheet: row by row, left to right.
    pub(crate) fn sort(&mut self) {
        self.findings.sort_by_key(|f| {
            f.position
                .map(|p| (p.row, p.col))
                .map_or((0, 0, 0), |(r, c)| (1, r, c))
        });
    }

    pub fn errors(&self) -> impl Iterator<Item = &Finding> {
        self.findings
            .iter()
            .filter(|f| f.severity == Severity::Erreur)
    }

    pub fn warnings(&self) -> impl Iterator<Item = &Finding> {
        self.findings
            .iter()
            .filter(|f| f.severity == Severity::Avertissement)
    }

    pub fn has_errors(&self) -> bool {
        self.errors().next().is_some()
    }

    /// The report as French text, one finding a line, ending with a summary line.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for finding in &self.findings {
            out.push_str(&finding.to_line());
            out.push('\n');
        }
        let errors = self.errors().count();
        let warnings = self.warnings().count();
        if errors > 0 {
            out.push_str(&format!(
                "Fichier refusé : {errors} erreur(s), {warnings} avertissement(s). \
                 Rien de ce fichier n'est compté ; corrigez les erreurs et renvoyez-le.\n"
            ));
        } else {
            out.push_str(&format!(
                "Fichier accepté : aucune erreur, {warnings} avertissement(s).\n"
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_named_like_a_spreadsheet() {
        assert_eq!(column_name(0), "A");
        assert_eq!(column_name(25), "Z");
        assert_eq!(column_name(26), "AA");
        assert_eq!(column_name(701), "ZZ");
        assert_eq!(column_name(702), "AAA");
        assert_eq!(CellRef::new(7, 7).to_string(), "H8");
    }
}
