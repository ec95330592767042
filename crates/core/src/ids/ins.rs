//! Matricule INS (NIR or NIA) with its OID (SPEC.md §2.1, §2.2).

use super::{IdError, compact};
use serde::{Deserialize, Serialize};

/// The assigning authority of a matricule INS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum InsOid {
    /// 1.2.250.1.213.1.4.8
    #[serde(rename = "1.2.250.1.213.1.4.8")]
    Nir,
    /// 1.2.250.1.213.1.4.9
    #[serde(rename = "1.2.250.1.213.1.4.9")]
    Nia,
    /// 1.2.250.1.213.1.4.10, test identities: demo databases only.
    #[serde(rename = "1.2.250.1.213.1.4.10")]
    Test,
    /// 1.2.250.1.213.1.4.11, demonstration identities: demo databases only.
    #[serde(rename = "1.2.250.1.213.1.4.11")]
    Demo,
}

impl InsOid {
    pub fn as_str(self) -> &'static str {
        match self {
            InsOid::Nir => "1.2.250.1.213.1.4.8",
            InsOid::Nia => "1.2.250.1.213.1.4.9",
            InsOid::Test => "1.2.250.1.213.1.4.10",
            InsOid::Demo => "1.2.250.1.213.1.4.11",
        }
    }

    pub fn parse(raw: &str, demo_mode: bool) -> Result<Self, IdError> {
        let oid = match raw.trim() {
            "1.2.250.1.213.1.4.8" => InsOid::Nir,
            "1.2.250.1.213.1.4.9" => InsOid::Nia,
            "1.2.250.1.213.1.4.10" => InsOid::Test,
            "1.2.250.1.213.1.4.11" => InsOid::Demo,
            other => {
                return Err(IdError::UnknownOid {
                    oid: other.to_owned(),
                });
            }
        };
        oid.check_mode(demo_mode)?;
        Ok(oid)
    }

    /// Test and demonstration OIDs are refused outside demo mode (SPEC.md §2.1).
    pub fn check_mode(self, demo_mode: bool) -> Result<(), IdError> {
        match self {
            InsOid::Test | InsOid::Demo if !demo_mode => Err(IdError::OidNotAllowed {
                oid: self.as_str().to_owned(),
                label: if self == InsOid::Test {
                    "identités de test"
                } else {
                    "identités de démonstration"
                },
            }),
            _ => Ok(()),
        }
    }
}

/// A matricule INS: 13 characters and a 2-digit key, with its OID.
///
/// Deserialising checks the key but accepts every OID: whether test and
/// demonstration OIDs are allowed depends on the database, checked by the store.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "RawIns")]
pub struct Ins {
    matricule: String,
    oid: InsOid,
}

impl Ins {
    /// `demo_mode` is the database's mode: test and demonstration OIDs are refused
    /// unless it is set.
    pub fn parse(matricule: &str, oid: InsOid, demo_mode: bool) -> Result<Self, IdError> {
        oid.check_mode(demo_mode)?;
        let value = compact(matricule).to_ascii_uppercase();
        if !value.is_ascii() || value.len() != 15 {
            return Err(IdError::Length {
                kind: "matricule INS",
                value: matricule.to_owned(),
                expected: "15 caractères (13 + clé)",
                found: value.chars().count(),
            });
        }
        let body = &value[..13];
        let corsican = match &body[5..7] {
            "2A" => Some("19"),
            "2B" => Some("18"),
            _ => None,
        };
        let numeric = match corsican {
            Some(n) => format!("{}{n}{}", &body[..5], &body[7..]),
            None => body.to_owned(),
        };
        let (Ok(n), Ok(key)) = (numeric.parse::<u64>(), value[13..].parse::<u64>()) else {
            return Err(IdError::NotDigits {
                kind: "matricule INS",
                value: matricule.to_owned(),
                extra: " (sauf 2A/2B en 6e–7e position)",
            });
        };
        if !numeric.bytes().all(|b| b.is_ascii_digit()) || 97 - n % 97 != key {
            return Err(IdError::Key {
                kind: "matricule INS",
                value,
            });
        }
        Ok(Self {
            matricule: value,
            oid,
        })
    }

    pub fn matricule(&self) -> &str {
        &self.matricule
    }

    pub fn oid(&self) -> InsOid {
        self.oid
    }

    /// The key for the 13 first characters; used by the demo generator.
    pub fn key_for(body: &str) -> Option<u64> {
        let numeric = body.replacen("2A", "19", 1).replacen("2B", "18", 1);
        numeric.parse::<u64>().ok().map(|n| 97 - n % 97)
    }
}

#[derive(Deserialize)]
struct RawIns {
    matricule: String,
    oid: InsOid,
}

impl TryFrom<RawIns> for Ins {
    type Error = IdError;
    fn try_from(raw: RawIns) -> Result<Self, IdError> {
        Ins::parse(&raw.matricule, raw.oid, true)
    }
}
