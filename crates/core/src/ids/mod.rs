//! Identifiers of the French health and social sector (SPEC.md §2.1).
//!
//! Each type can only hold a valid value: parse at the edge, trust inside.
//! Error messages are French because they reach users as they are.

mod finess;
mod ins;
mod luhn;
mod siret;

pub use finess::{Finess, Territory};
pub use ins::{Ins, InsOid};
pub use siret::{Rpps, Siren, Siret};

/// Why a string is not a valid identifier. The `Display` text is French and names
/// the identifier, the value read and the rule broken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("{kind} « {value} » : {expected} attendus, {found} caractères lus")]
    Length {
        kind: &'static str,
        value: String,
        expected: &'static str,
        found: usize,
    },
    #[error("{kind} « {value} » : seuls des chiffres sont admis{extra}")]
    NotDigits {
        kind: &'static str,
        value: String,
        extra: &'static str,
    },
    #[error("{kind} « {value} » : la clé de contrôle est fausse (le numéro est mal saisi)")]
    Key { kind: &'static str, value: String },
    #[error(
        "FINESS « {value} » : 8 chiffres seulement ; un tableur a sans doute supprimé le zéro initial \
         (« 0{value} » ?). Corrigez la cellule au format texte ; Carnet ne corrige jamais seul"
    )]
    LeadingZeroLost { value: String },
    #[error(
        "FINESS « {value} » : le département « {dept} » n'existe pas (01 à 95, 2A, 2B, 97x, 98)"
    )]
    Department { value: String, dept: String },
    #[error("FINESS « {value} » : le 3e caractère doit être « 0 »")]
    ThirdCharacter { value: String },
    #[error("FINESS « {value} » : pour l'outre-mer (97), le 4e caractère doit être 1 à 5")]
    Overseas { value: String },
    #[error(
        "matricule INS : l'OID « {oid} » est inconnu (attendu 1.2.250.1.213.1.4.8 NIR ou 1.2.250.1.213.1.4.9 NIA)"
    )]
    UnknownOid { oid: String },
    #[error(
        "matricule INS : l'OID « {oid} » ({label}) n'est admis que dans une base de démonstration"
    )]
    OidNotAllowed { oid: String, label: &'static str },
}

/// Keeps only what a person may legitimately type between the characters of a
/// number (spaces, non-breaking spaces, dots). Nothing else is ever removed.
pub(crate) fn compact(raw: &str) -> String {
    raw.chars()
        .filter(|c| !matches!(c, ' ' | '\u{a0}' | '\u{202f}' | '.'))
        .collect()
}

macro_rules! string_identifier {
    ($name:ident) => {
        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl std::str::FromStr for $name {
            type Err = IdError;
            fn from_str(s: &str) -> Result<Self, IdError> {
                Self::parse(s)
            }
        }
        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }
        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let raw = String::deserialize(d)?;
                Self::parse(&raw).map_err(serde::de::Error::custom)
            }
        }
    };
}
pub(crate) use string_identifier;

#[cfg(test)]
mod tests;
