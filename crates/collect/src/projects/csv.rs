//! Reading the projects CSV (`docs/projets-csv.md`): semicolon-separated,
//! UTF-8 (with or without the BOM French spreadsheets write), one line per
//! project, columns found by their header text.
//!
//! The import is all-or-nothing: every line is checked and every problem is
//! listed with its line, column, value and rule, so that one pass fixes the
//! file. Nothing here touches the database.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;

use carnet_core::{Finess, Siret};
use jiff::civil::Date;

use super::{Dates, Desk, Kind, Milestone, Project};
use crate::headers::normalise;

/// One problem of the file, in French.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvError {
    /// Line of the file, 1-based (the header is line 1).
    pub line: usize,
    pub column: Option<String>,
    pub value: Option<String>,
    /// The rule broken and what is expected.
    pub message: String,
}

impl fmt::Display for CsvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ligne {}", self.line)?;
        if let Some(column) = &self.column {
            write!(f, ", colonne « {column} »")?;
        }
        if let Some(value) = &self.value {
            write!(f, ", valeur « {value} »")?;
        }
        write!(f, " : {}", self.message)
    }
}

/// The columns of the file. Milestone columns are `<code>_prevu` and `<code>_reel`.
const GALIS: &str = "reference_galis";
const LABEL: &str = "libelle";
const SIRET: &str = "siret_porteur";
const YEAR: &str = "annee_appel";
const RULES: &str = "regles";
const KIND: &str = "nature";
const SMALL: &str = "petit_organisme";
const DESK: &str = "guichet";
const FINESS: &str = "finess";

fn columns() -> Vec<String> {
    let mut all: Vec<String> = [GALIS, LABEL, SIRET, YEAR, RULES, KIND, SMALL, DESK, FINESS]
        .iter()
        .map(|c| (*c).to_owned())
        .collect();
    for m in Milestone::ALL {
        all.push(format!("{}_prevu", m.code()));
        all.push(format!("{}_reel", m.code()));
    }
    all
}

/// Splits the text into records of fields, each with the line it starts on.
/// Quoted fields may hold `;`, line breaks and `""`.
fn records(text: &str) -> Result<Vec<(usize, Vec<String>)>, CsvError> {
    let mut out = Vec::new();
    let mut fields = Vec::new();
    let mut field = String::new();
    let (mut line, mut start) = (1usize, 1usize);
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => {
                if c == '\n' {
                    line += 1;
                }
                field.push(c);
            }
            (false, '"') if field.trim().is_empty() => {
                field.clear();
                quoted = true;
            }
            (false, ';') => fields.push(std::mem::take(&mut field)),
            (false, '\r') if chars.peek() == Some(&'\n') => {}
            (false, '\n') => {
                fields.push(std::mem::take(&mut field));
                out.push((start, std::mem::take(&mut fields)));
                line += 1;
                start = line;
            }
            (false, c) => field.push(c),
        }
    }
    if quoted {
        return Err(CsvError {
            line: start,
            column: None,
            value: None,
            message: "guillemet ouvrant sans guillemet fermant".to_owned(),
        });
    }
    if !field.is_empty() || !fields.is_empty() {
        fields.push(field);
        out.push((start, fields));
    }
    out.retain(|(_, f)| f.iter().any(|v| !v.trim().is_empty()));
    Ok(out)
}

/// One line being checked: its fields by column, and the problems found.
struct Line<'a> {
    number: usize,
    fields: &'a [String],
    index: &'a HashMap<String, usize>,
    errors: &'a mut Vec<CsvError>,
}

impl Line<'_> {
    fn value(&self, column: &str) -> &str {
        self.index
            .get(column)
            .and_then(|i| self.fields.get(*i))
            .map_or("", |v| v.trim())
    }

    fn error(&mut self, column: &str, message: impl Into<String>) {
        let value = self.value(column).to_owned();
        self.errors.push(CsvError {
            line: self.number,
            column: Some(column.to_owned()),
            value: (!value.is_empty()).then_some(value),
            message: message.into(),
        });
    }

    fn mandatory(&mut self, column: &str) -> Option<String> {
        let value = self.value(column).to_owned();
        if value.is_empty() {
            self.error(column, "valeur obligatoire absente");
            return None;
        }
        Some(value)
    }

    fn date(&mut self, column: &str) -> Option<Date> {
        let text = self.value(column).to_owned();
        if text.is_empty() {
            return None;
        }
        let parsed = parse_date(&text);
        if parsed.is_none() {
            self.error(column, DATE_RULE);
        }
        parsed
    }
}

/// What a date of the registry must look like, in French.
pub const DATE_RULE: &str =
    "date invalide : attendue au format AAAA-MM-JJ ou JJ/MM/AAAA, et réelle";

/// A date as the registry accepts it: `AAAA-MM-JJ` or `JJ/MM/AAAA`, and real.
pub fn parse_date(text: &str) -> Option<Date> {
    let text = text.trim();
    match text.split('/').collect::<Vec<_>>().as_slice() {
        [d, m, y] if y.len() == 4 => format!("{y}-{m:0>2}-{d:0>2}").parse::<Date>().ok(),
        _ => text.parse::<Date>().ok(),
    }
}

fn parse_line(line: &mut Line<'_>) -> Option<Project> {
    let galis = line.mandatory(GALIS);
    let label = Some(line.value(LABEL).to_owned()).filter(|l| !l.is_empty());
    let siret = line.mandatory(SIRET).and_then(|s| match Siret::parse(&s) {
        Ok(siret) => Some(siret),
        Err(e) => {
            line.error(SIRET, format!("SIRET invalide : {e}"));
            None
        }
    });
    let call_year = line.mandatory(YEAR).and_then(|y| match y.parse::<i16>() {
        Ok(year) if (2021..=2100).contains(&year) => Some(year),
        _ => {
            line.error(YEAR, "année d'appel attendue : un nombre de 2021 à 2100");
            None
        }
    });
    let rule_set = line.mandatory(RULES).and_then(|r| {
        let ok = r
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'));
        if ok {
            Some(r)
        } else {
            line.error(
                RULES,
                "identifiant de jeu de règles attendu (lettres, chiffres, « - », « . », « _ »), \
                 par exemple « aap-2024 »",
            );
            None
        }
    });
    let kind = line
        .mandatory(KIND)
        .and_then(|k| match normalise(&k).as_str() {
            "acquisition" => Some(Kind::Acquisition),
            "miseaniveau" => Some(Kind::Upgrade),
            _ => {
                line.error(
                    KIND,
                    "nature attendue : « acquisition » ou « mise à niveau »",
                );
                None
            }
        });
    let small = line
        .mandatory(SMALL)
        .and_then(|s| match normalise(&s).as_str() {
            "oui" => Some(true),
            "non" => Some(false),
            _ => {
                line.error(SMALL, "valeur attendue : « oui » ou « non »");
                None
            }
        });
    let desk = line.mandatory(DESK).and_then(|d| {
        let wanted = normalise(&d);
        let found = if wanted == "national" {
            Some(Desk::National)
        } else {
            crate::regions::REGIONS
                .iter()
                .find(|r| r.code == d || normalise(r.name) == wanted)
                .map(|r| Desk::Region(*r))
        };
        if found.is_none() {
            line.error(
                DESK,
                "guichet attendu : « national », ou le code INSEE ou le nom d'une des 18 régions \
                 ARS (par exemple « 75 » ou « Nouvelle-Aquitaine »)",
            );
        }
        found
    });
    let establishments = finess_list(line);
    let mut milestones = BTreeMap::new();
    for m in Milestone::ALL {
        let dates = Dates {
            planned: line.date(&format!("{}_prevu", m.code())),
            actual: line.date(&format!("{}_reel", m.code())),
        };
        if dates != Dates::default() {
            milestones.insert(m, dates);
        }
    }
    Some(Project {
        galis: galis?,
        label,
        siret: siret?,
        call_year: call_year?,
        rule_set: rule_set?,
        kind: kind?,
        small_organisation: small?,
        desk: desk?,
        establishments: establishments?,
        milestones,
    })
}

/// The establishments, separated by `,`, `|` or spaces; each FINESS valid and once.
fn finess_list(line: &mut Line<'_>) -> Option<BTreeSet<Finess>> {
    let text = line.mandatory(FINESS)?;
    let mut set = BTreeSet::new();
    let mut ok = true;
    for raw in text
        .split(|c: char| c == ',' || c == '|' || c.is_whitespace())
        .filter(|s| !s.is_empty())
    {
        match Finess::parse(raw) {
            Ok(f) => {
                if !set.insert(f) {
                    line.error(FINESS, format!("FINESS « {raw} » cité deux fois"));
                    ok = false;
                }
            }
            Err(e) => {
                line.error(FINESS, format!("FINESS invalide : {e}"));
                ok = false;
            }
        }
    }
    ok.then_some(set)
}

/// Reads the whole file. Either every project, or every problem.
pub fn parse_csv(bytes: &[u8]) -> Result<Vec<Project>, Vec<CsvError>> {
    parse_csv_numbered(bytes).map(|lines| lines.into_iter().map(|(_, p)| p).collect())
}

/// As [`parse_csv`], each project with the line of the file it was read on
/// (for the checks that come after parsing, such as an ARS agent's region).
pub fn parse_csv_numbered(bytes: &[u8]) -> Result<Vec<(usize, Project)>, Vec<CsvError>> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        vec![CsvError {
            line: bytes[..e.valid_up_to()]
                .iter()
                .filter(|b| **b == b'\n')
                .count()
                + 1,
            column: None,
            value: None,
            message: "le fichier n'est pas en UTF-8 : enregistrez-le au format « CSV UTF-8 »"
                .to_owned(),
        }]
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let records = records(text).map_err(|e| vec![e])?;
    let Some(((header_line, header), lines)) = records.split_first() else {
        return Err(vec![CsvError {
            line: 1,
            column: None,
            value: None,
            message: "fichier vide : la première ligne doit être l'en-tête".to_owned(),
        }]);
    };
    let mut errors = Vec::new();
    let expected = columns();
    let mut index = HashMap::new();
    for (i, name) in header.iter().enumerate() {
        let wanted = normalise(name);
        match expected.iter().find(|c| normalise(c) == wanted) {
            Some(c) if index.contains_key(c) => errors.push(CsvError {
                line: *header_line,
                column: Some(c.clone()),
                value: Some(name.trim().to_owned()),
                message: "colonne présente deux fois".to_owned(),
            }),
            Some(c) => {
                index.insert(c.clone(), i);
            }
            None => errors.push(CsvError {
                line: *header_line,
                column: None,
                value: Some(name.trim().to_owned()),
                message: "colonne inconnue (voir docs/projets-csv.md)".to_owned(),
            }),
        }
    }
    for c in &expected {
        if !index.contains_key(c) {
            errors.push(CsvError {
                line: *header_line,
                column: Some(c.clone()),
                value: None,
                message: "colonne absente de l'en-tête".to_owned(),
            });
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut projects = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (number, fields) in lines {
        if fields.len() > header.len() {
            errors.push(CsvError {
                line: *number,
                column: None,
                value: None,
                message: format!(
                    "{} champs pour {} colonnes : un « ; » de trop, ou une valeur à mettre entre guillemets",
                    fields.len(),
                    header.len()
                ),
            });
            continue;
        }
        let mut line = Line {
            number: *number,
            fields,
            index: &index,
            errors: &mut errors,
        };
        let galis = line.value(GALIS).to_owned();
        if let Some(first) = seen.get(&galis).filter(|_| !galis.is_empty()) {
            line.error(
                GALIS,
                format!("projet déjà décrit ligne {first} : une ligne par projet"),
            );
        } else {
            seen.insert(galis, *number);
        }
        if let Some(project) = parse_line(&mut line) {
            projects.push((*number, project));
        }
    }
    if lines.is_empty() {
        errors.push(CsvError {
            line: *header_line,
            column: None,
            value: None,
            message: "aucun projet sous l'en-tête".to_owned(),
        });
    }
    if errors.is_empty() {
        Ok(projects)
    } else {
        Err(errors)
    }
}
