//! The ESMS numérique usage indicators (SPEC.md §3): figures, rates against
//! targets, and the record-by-record explanation, for any set of
//! establishments and any period [J, K].
//!
//! Pure: no I/O and no clock; "today" and the period are arguments. The
//! engine reads plain data (`EstablishmentActivity`) that the store answers
//! from its activity index (DESIGN.md §4.3) or that `derive_activity` builds
//! from raw rows; both must give the same input, hence the same figures.
//!
//! - `period`: periods, months, day bitmaps, presets;
//! - `rules`: the versioned rule set every result names;
//! - `activity`: the engine's input and its derivation from raw rows;
//! - `compact`: the engine's compact input for one period (figures only);
//! - `engine`: figures, rates, results;
//! - `explain`: verdicts and reasons per record, counted-record hashes.

mod activity;
mod compact;
mod engine;
mod evaluate;
mod explain;
mod period;
mod rules;

pub use activity::{
    ActivitySource, CarePlanSpan, DayCount, DayMark, EstablishmentActivity, Mark, MonthDays,
    RawRecords, RecordActivity, StaySpan, appointment_marks, care_plan_marks, care_plan_spans,
    derive_activity, document_marks, event_marks, fold_marks, message_marks,
};
pub use compact::{MarkSet, PeriodActivity, PeriodSink, date_of_day_number, day_number};
pub use engine::{
    EstablishmentFigures, EstablishmentResult, Explained, Figures, IndicatorReport, PeriodFigures,
    Rate, Rates, TargetStatus, compute, compute_period, explain,
};
pub use explain::{
    CountedRecords, EstablishmentExplanation, Indicator, Reason, RecordExplanation, Verdict,
    record_list_sha256,
};
pub use period::{
    Month, Period, PeriodPreset, day_bit, french_date, french_month_name, local_day, time_zone,
};
pub use rules::{BusinessSources, RuleSet, Targets};

use crate::model::PersonId;
use jiff::civil::Date;

/// Why indicators cannot be computed. The `Display` text is French.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IndicatorError {
    #[error(
        "période invalide : la fin ({}) précède le début ({})",
        french_date(*.to),
        french_date(*.from)
    )]
    PeriodReversed { from: Date, to: Date },
    #[error("mois « {value} » invalide (format AAAA-MM attendu)")]
    InvalidMonth { value: String },
    #[error("période prédéfinie invalide : {months} mois")]
    InvalidPreset { months: u8 },
    #[error("fuseau horaire IANA « {name} » inconnu")]
    UnknownTimeZone { name: String },
    #[error("jeu de règles « {id} » invalide : {rule}")]
    InvalidRuleSet { id: String, rule: String },
    #[error("jeu de règles illisible{} : {rule}", if .field.is_empty() { String::new() } else { format!(", champ « {} »", .field) })]
    RuleSetField { field: String, rule: String },
    #[error("l'établissement FINESS {finess} est donné deux fois")]
    DuplicateEstablishment { finess: String },
    #[error(
        "établissement FINESS {finess} : le dossier de la personne {person_id} est donné deux fois"
    )]
    DuplicateRecord { finess: String, person_id: PersonId },
    #[error(
        "établissement FINESS {finess} : dossiers donnés dans le désordre (personnes croissantes attendues)"
    )]
    RecordsOutOfOrder { finess: String },
    #[error("établissement FINESS {finess} : activité préparée pour une autre période")]
    PeriodMismatch { finess: String },
}

#[cfg(test)]
mod tests;
