//! FINESS numbers (établissement géographique ET or entité juridique EJ).
//!
//! Layout (SPEC.md §2.1): département on positions 1–2 ("2A"/"2B" for Corsica,
//! "97" overseas with the territory on position 4, "98" Mayotte), "0" on
//! position 3, a Luhn key on position 9 computed with "2A" read as "21" and "2B"
//! as "22".

use super::{IdError, compact, luhn, string_identifier};

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Finess(String);

/// Where an establishment is, as far as its FINESS tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Territory {
    Metropole,
    Corse,
    Guadeloupe,
    Martinique,
    Guyane,
    Reunion,
    SaintPierreEtMiquelon,
    Mayotte,
}

impl Territory {
    /// Default IANA time zone (DESIGN.md §4.2); editable per establishment.
    pub fn time_zone(self) -> &'static str {
        match self {
            Territory::Metropole | Territory::Corse => "Europe/Paris",
            Territory::Guadeloupe => "America/Guadeloupe",
            Territory::Martinique => "America/Martinique",
            Territory::Guyane => "America/Cayenne",
            Territory::Reunion => "Indian/Reunion",
            Territory::SaintPierreEtMiquelon => "America/Miquelon",
            Territory::Mayotte => "Indian/Mayotte",
        }
    }

    /// Corsica and overseas have lower thresholds in the funding rules (SPEC.md §6).
    pub fn is_corsica_or_overseas(self) -> bool {
        !matches!(self, Territory::Metropole)
    }
}

impl Finess {
    pub fn parse(raw: &str) -> Result<Self, IdError> {
        let value = compact(raw).to_ascii_uppercase();
        if value.len() == 8 && value.bytes().all(|b| b.is_ascii_digit()) {
            return Err(IdError::LeadingZeroLost { value });
        }
        if !value.is_ascii() || value.len() != 9 {
            return Err(IdError::Length {
                kind: "FINESS",
                value: raw.to_owned(),
                expected: "9 caractères",
                found: value.chars().count(),
            });
        }
        let dept = &value[..2];
        let numeric_dept = match dept {
            "2A" => "21",
            "2B" => "22",
            d if d.bytes().all(|b| b.is_ascii_digit()) => d,
            _ => {
                return Err(IdError::Department {
                    value: value.clone(),
                    dept: dept.to_owned(),
                });
            }
        };
        if !value[2..].bytes().all(|b| b.is_ascii_digit()) {
            return Err(IdError::NotDigits {
                kind: "FINESS",
                value: raw.to_owned(),
                extra: " après le département",
            });
        }
        let dept_number: u32 = numeric_dept.parse().unwrap_or(0);
        let valid_dept =
            matches!(dept, "2A" | "2B") || matches!(dept_number, 1..=19 | 21..=95 | 97 | 98);
        if !valid_dept {
            return Err(IdError::Department {
                value: value.clone(),
                dept: dept.to_owned(),
            });
        }
        if &value[2..3] != "0" {
            return Err(IdError::ThirdCharacter { value });
        }
        if dept == "97" && !matches!(&value[3..4], "1" | "2" | "3" | "4" | "5") {
            return Err(IdError::Overseas { value });
        }
        let keyed = format!("{numeric_dept}{}", &value[2..]);
        if !luhn::is_valid(luhn::digits(&keyed)) {
            return Err(IdError::Key {
                kind: "FINESS",
                value,
            });
        }
        Ok(Self(value))
    }

    /// The département part: "33", "2A", "97", "98".
    pub fn department(&self) -> &str {
        &self.0[..2]
    }

    pub fn territory(&self) -> Territory {
        match self.department() {
            "2A" | "2B" => Territory::Corse,
            "98" => Territory::Mayotte,
            "97" => match &self.0[3..4] {
                "1" => Territory::Guadeloupe,
                "2" => Territory::Martinique,
                "3" => Territory::Guyane,
                "4" => Territory::Reunion,
                _ => Territory::SaintPierreEtMiquelon,
            },
            _ => Territory::Metropole,
        }
    }

    pub fn default_time_zone(&self) -> &'static str {
        self.territory().time_zone()
    }

    /// Builds a valid FINESS from its first eight characters by computing the key.
    /// Used by the demo generator and tests; user input always goes through `parse`.
    pub fn with_computed_key(first_eight: &str) -> Result<Self, IdError> {
        let numeric = first_eight.replacen("2A", "21", 1).replacen("2B", "22", 1);
        let key = (0..10u32)
            .find(|k| luhn::is_valid(luhn::digits(&format!("{numeric}{k}"))))
            .unwrap_or(0);
        Self::parse(&format!("{first_eight}{key}"))
    }
}
string_identifier!(Finess);
