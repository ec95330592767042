//! The explanation: for every record, each per-record indicator counted or
//! not, and why not. SPEC.md §3: "for any ESSMS and period the user can list
//! which records were counted in each indicator and, for those not counted,
//! why"; EU auditors draw records among the declared active DUIs.
//!
//! A reason always names the first rule that failed along the chain
//! informatisé → ouvert → actif → avec PP / avec agenda, so that an auditor
//! reads the root cause ("séjour terminé le …") rather than "pas actif".

use super::activity::ActivitySource;
use super::period::{Period, french_date};
use crate::ids::Finess;
use crate::model::{EstablishmentId, PersonId};
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The indicators that count records (SPEC.md §3). The MSSanté count is per
/// message, not per record, and has no explanation line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Indicator {
    /// dossiers informatisés
    Record,
    /// dossiers ouverts
    Open,
    /// dossiers actifs (DUI actifs)
    Active,
    /// personnes accompagnées (file active)
    Accompanied,
    /// DUI avec projet personnalisé
    ActiveWithCarePlan,
    /// DUI avec au moins un événement d'agenda
    ActiveWithAppointment,
    /// DMP alimentés
    DmpFed,
}

impl Indicator {
    pub const ALL: [Indicator; 7] = [
        Indicator::Record,
        Indicator::Open,
        Indicator::Active,
        Indicator::Accompanied,
        Indicator::ActiveWithCarePlan,
        Indicator::ActiveWithAppointment,
        Indicator::DmpFed,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Indicator::Record => "Dossiers informatisés",
            Indicator::Open => "Dossiers ouverts",
            Indicator::Active => "DUI actifs",
            Indicator::Accompanied => "Personnes accompagnées",
            Indicator::ActiveWithCarePlan => "DUI avec projet personnalisé",
            Indicator::ActiveWithAppointment => "DUI avec au moins un événement d'agenda",
            Indicator::DmpFed => "DMP alimentés",
        }
    }
}

/// Why a record is not counted in an indicator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "code", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Reason {
    /// The record did not exist yet on the last day of the period.
    RecordCreatedAfter { on: Date },
    /// No stay of the person in this establishment.
    NoStay,
    /// The last stay before the period ended on `on`, none overlaps it.
    StayEndedBefore { on: Date },
    /// The first stay starts on `on`, after the period.
    StayStartsAfter { on: Date },
    /// Out between two stays during the whole period.
    BetweenStays { ended: Date, next: Date },
    /// No business event nor any other activity in the period.
    NoBusinessEvent,
    /// Only technical changes in the period (SPEC.md §2.4), of these kinds.
    OnlyTechnicalChanges { sources: Vec<ActivitySource> },
    /// No projet personnalisé at all.
    NoCarePlan,
    /// The projet personnalisé begins after the period.
    CarePlanStartsAfter { on: Date },
    /// The projet personnalisé was terminated on `on`, before the period or at
    /// its very start.
    CarePlanTerminated { on: Date },
    /// The projet personnalisé was only in pause during the period and the
    /// rule set does not count ENPAUSE.
    CarePlanPaused,
    /// No agenda event dated in the period.
    NoAppointment,
    /// Agenda events in the period, all cancelled.
    AppointmentsCancelled,
    /// No document accepted by the DMP in the period.
    NoDmpDocument,
    /// Documents answered by the DMP in the period, all rejected.
    DmpRejected,
    /// Documents sent to the DMP in the period, no answer yet.
    DmpPending,
}

impl Reason {
    /// French sentence shown to users and auditors.
    pub fn label(&self) -> String {
        match self {
            Reason::RecordCreatedAfter { on } => {
                format!("dossier créé après la période (le {})", french_date(*on))
            }
            Reason::NoStay => "aucun séjour dans l'établissement".to_owned(),
            Reason::StayEndedBefore { on } => {
                format!("séjour terminé avant la période, le {}", french_date(*on))
            }
            Reason::StayStartsAfter { on } => {
                format!(
                    "séjour commençant après la période, le {}",
                    french_date(*on)
                )
            }
            Reason::BetweenStays { ended, next } => format!(
                "aucun séjour pendant la période (sorti le {}, réadmis le {})",
                french_date(*ended),
                french_date(*next)
            ),
            Reason::NoBusinessEvent => "aucun événement métier pendant la période".to_owned(),
            Reason::OnlyTechnicalChanges { sources } => {
                let kinds: Vec<&str> = sources.iter().map(|s| s.label()).collect();
                format!(
                    "seulement des modifications techniques, non retenues comme événements \
                     métier, pendant la période ({})",
                    kinds.join(", ")
                )
            }
            Reason::NoCarePlan => "aucun projet personnalisé".to_owned(),
            Reason::CarePlanStartsAfter { on } => format!(
                "projet personnalisé commencé après la période, le {}",
                french_date(*on)
            ),
            Reason::CarePlanTerminated { on } => {
                format!("projet personnalisé terminé le {}", french_date(*on))
            }
            Reason::CarePlanPaused => {
                "projet personnalisé en pause pendant la période (la pause ne compte pas)"
                    .to_owned()
            }
            Reason::NoAppointment => "aucun événement d'agenda pendant la période".to_owned(),
            Reason::AppointmentsCancelled => {
                "événement(s) d'agenda de la période tous annulés".to_owned()
            }
            Reason::NoDmpDocument => {
                "aucun document accepté par le DMP pendant la période".to_owned()
            }
            Reason::DmpRejected => {
                "document(s) envoyé(s) au DMP pendant la période, tous rejetés".to_owned()
            }
            Reason::DmpPending => {
                "document(s) envoyé(s) au DMP pendant la période, sans réponse".to_owned()
            }
        }
    }
}

/// Counted, or not and why. Serialised with its French label.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Verdict {
    pub counted: bool,
    pub reason: Option<Reason>,
}

impl Verdict {
    pub const COUNTED: Verdict = Verdict {
        counted: true,
        reason: None,
    };

    pub fn not_counted(reason: Reason) -> Self {
        Self {
            counted: false,
            reason: Some(reason),
        }
    }

    pub fn label(&self) -> String {
        match &self.reason {
            None => "compté".to_owned(),
            Some(reason) => format!("non compté : {}", reason.label()),
        }
    }
}

impl Serialize for Verdict {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("Verdict", 3)?;
        st.serialize_field("counted", &self.counted)?;
        st.serialize_field("reason", &self.reason)?;
        st.serialize_field("label", &self.label())?;
        st.end()
    }
}

/// One record of an establishment and its verdict for each indicator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordExplanation {
    /// The record is the person's DUI in this establishment.
    pub person_id: PersonId,
    pub record: Verdict,
    pub open: Verdict,
    pub active: Verdict,
    pub accompanied: Verdict,
    pub active_with_care_plan: Verdict,
    pub active_with_appointment: Verdict,
    pub dmp_fed: Verdict,
}

impl RecordExplanation {
    pub fn verdict(&self, indicator: Indicator) -> &Verdict {
        match indicator {
            Indicator::Record => &self.record,
            Indicator::Open => &self.open,
            Indicator::Active => &self.active,
            Indicator::Accompanied => &self.accompanied,
            Indicator::ActiveWithCarePlan => &self.active_with_care_plan,
            Indicator::ActiveWithAppointment => &self.active_with_appointment,
            Indicator::DmpFed => &self.dmp_fed,
        }
    }
}

/// Every record of one establishment for one period, sorted by person id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EstablishmentExplanation {
    pub establishment_id: EstablishmentId,
    pub finess: Finess,
    pub name: String,
    pub period: Period,
    pub rule_set_id: String,
    pub rule_set_sha256: String,
    pub records: Vec<RecordExplanation>,
    /// MSSanté messages of the period (counted per message, not per record).
    pub mss_messages: u64,
}

impl EstablishmentExplanation {
    /// How many records count in `indicator`: equal to the figure.
    pub fn count(&self, indicator: Indicator) -> u64 {
        self.records
            .iter()
            .filter(|r| r.verdict(indicator).counted)
            .count() as u64
    }

    /// The sorted ids of the records counted in `indicator`, with their hash.
    pub fn counted(&self, indicator: Indicator) -> CountedRecords {
        let ids: Vec<PersonId> = self
            .records
            .iter()
            .filter(|r| r.verdict(indicator).counted)
            .map(|r| r.person_id)
            .collect();
        CountedRecords::new(indicator, ids)
    }
}

/// The records counted in one indicator, as the proof embeds them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CountedRecords {
    pub indicator: Indicator,
    /// Sorted ascending, no duplicates.
    pub person_ids: Vec<PersonId>,
    /// `record_list_sha256(person_ids)`.
    pub sha256: String,
}

impl CountedRecords {
    pub fn new(indicator: Indicator, mut person_ids: Vec<PersonId>) -> Self {
        person_ids.sort_unstable();
        person_ids.dedup();
        let sha256 = record_list_sha256(&person_ids);
        Self {
            indicator,
            person_ids,
            sha256,
        }
    }
}

/// SHA-256 (lower-case hex) of a list of record ids in canonical form: the ids
/// sorted in ascending numeric order (9 before 10, not as text), without
/// duplicates, each written in decimal and followed by `\n`. Anyone can
/// recompute it from the list (`printf '12\n40\n' | sha256sum`).
///
/// The only rule for this digest: results (`active_records_sha256`) and the
/// signed proof (`counted_records_sha256`) both carry what this returns.
pub fn record_list_sha256(person_ids: &[PersonId]) -> String {
    let strictly_sorted = person_ids.windows(2).all(|w| w[0] < w[1]);
    let owned;
    let ids = if strictly_sorted {
        person_ids
    } else {
        let mut sorted = person_ids.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        owned = sorted;
        &owned
    };
    // The lines are written into one buffer and hashed at once: this runs
    // for every establishment of every indicator query.
    let mut text: Vec<u8> = Vec::with_capacity(ids.len() * 8);
    for id in ids {
        push_decimal_line(&mut text, id.0);
    }
    hex::encode(Sha256::digest(&text))
}

/// `format!("{n}\n")`, appended.
fn push_decimal_line(out: &mut Vec<u8>, n: i64) {
    if n < 0 {
        out.push(b'-');
    }
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    let mut v = n.unsigned_abs();
    loop {
        i -= 1;
        digits[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    out.extend_from_slice(digits.get(i..).unwrap_or_default());
    out.push(b'\n');
}
