//! SIREN, SIRET and RPPS: fixed-length digit strings with a Luhn key.

use super::{IdError, compact, luhn, string_identifier};

fn check_digits(
    kind: &'static str,
    raw: &str,
    len: usize,
    expected: &'static str,
) -> Result<String, IdError> {
    let value = compact(raw);
    if !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(IdError::NotDigits {
            kind,
            value: raw.to_owned(),
            extra: "",
        });
    }
    if value.len() != len {
        return Err(IdError::Length {
            kind,
            value: raw.to_owned(),
            expected,
            found: value.len(),
        });
    }
    Ok(value)
}

/// SIREN of a legal entity: 9 digits, Luhn.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Siren(String);

impl Siren {
    pub fn parse(raw: &str) -> Result<Self, IdError> {
        let value = check_digits("SIREN", raw, 9, "9 chiffres")?;
        if !luhn::is_valid(luhn::digits(&value)) {
            return Err(IdError::Key {
                kind: "SIREN",
                value,
            });
        }
        Ok(Self(value))
    }
}
string_identifier!(Siren);

/// SIRET of an establishment of a legal entity: 14 digits, Luhn, except La Poste.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Siret(String);

/// La Poste's establishments share one SIREN and use another key (SPEC.md §2.1).
const LA_POSTE_SIREN: &str = "356000000";
const LA_POSTE_HEAD_OFFICE: &str = "35600000000048";

impl Siret {
    pub fn parse(raw: &str) -> Result<Self, IdError> {
        let value = check_digits("SIRET", raw, 14, "14 chiffres")?;
        let valid = if value.starts_with(LA_POSTE_SIREN) && value != LA_POSTE_HEAD_OFFICE {
            luhn::digits(&value).sum::<u32>() % 5 == 0
        } else {
            luhn::is_valid(luhn::digits(&value))
        };
        if !valid {
            return Err(IdError::Key {
                kind: "SIRET",
                value,
            });
        }
        Ok(Self(value))
    }

    /// The SIREN of the legal entity this establishment belongs to.
    pub fn siren(&self) -> &str {
        &self.0[..9]
    }
}
string_identifier!(Siret);

/// RPPS of a health professional: 11 digits, Luhn.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Rpps(String);

impl Rpps {
    pub fn parse(raw: &str) -> Result<Self, IdError> {
        let value = check_digits("RPPS", raw, 11, "11 chiffres")?;
        if !luhn::is_valid(luhn::digits(&value)) {
            return Err(IdError::Key {
                kind: "RPPS",
                value,
            });
        }
        Ok(Self(value))
    }
}
string_identifier!(Rpps);
