//! The versioned rule set: every choice SPEC.md leaves open, in one value that
//! the store keeps as JSON and every result names (SPEC.md §3: "targets and
//! presets are configuration (they changed between 2021 and 2024)"; §2.4:
//! "which event kinds count is one table of configuration, shown in the proof
//! report").

use super::IndicatorError;
use super::activity::ActivitySource;
use super::period::PeriodPreset;
use crate::model::{CarePlanStatus, EventKind};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Sources other than recorded events that count as business activity.
///
/// SPEC.md §2.4 lists among business events "an agenda event that took place,
/// a document added, a change of the projet personnalisé, … a message sent
/// about the person, a document sent to the DMP". The record model keeps these
/// as their own rows (not always doubled by an `Event`), so each can be
/// switched on here. Defaults: all on, as the SPEC lists them all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BusinessSources {
    /// A document added to the record (day of `added_at`).
    pub document_added: bool,
    /// A dated status change of a projet personnalisé, its creation included.
    pub care_plan_status_change: bool,
    /// An agenda event with status TERMINE (day of `starts_at`).
    pub appointment_done: bool,
    /// An MSSanté message about the person (day of `sent_at`).
    pub mss_message: bool,
    /// A document sent to the DMP, whatever the DMP answered (day of the last
    /// DMP status, the only date the model keeps).
    pub dmp_submission: bool,
}

/// Targets in whole percent (SPEC.md §3, seed 001, AAP 2024).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Targets {
    /// taux de dossiers actifs (actifs / personnes accompagnées)
    pub active: u32,
    /// taux de dossiers actifs avec PP (DUI avec PP / actifs)
    pub care_plan: u32,
    /// taux de dossiers actifs avec événement d'agenda (DUI avec agenda / actifs)
    pub appointment: u32,
    /// taux d'utilisation du DMP (DMP alimentés / personnes accompagnées)
    pub dmp: u32,
    /// taux d'utilisation de la MSSanté (messages / personnes accompagnées)
    pub mss: u32,
}

/// A versioned set of counting rules. Never change a published rule set: make
/// a new one with a new `id`, so that old proofs stay explainable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSet {
    /// Stable identifier, e.g. `esms-numerique-2024.1`.
    pub id: String,
    /// French description shown in reports.
    pub label: String,
    /// Event kinds that are business events (SPEC.md §2.4); the others are
    /// technical changes. Default: `EventKind::default_business`.
    pub business_event_kinds: Vec<EventKind>,
    pub business_sources: BusinessSources,
    /// SPEC.md §2.4: "whether ENPAUSE counts is configuration (default: no)".
    pub care_plan_paused_counts: bool,
    pub targets: Targets,
    pub presets: Vec<PeriodPreset>,
}

impl Default for RuleSet {
    fn default() -> Self {
        Self::esms_numerique_2024()
    }
}

impl RuleSet {
    /// The rules of the ESMS numérique programme as of the AAP 2024.
    pub fn esms_numerique_2024() -> Self {
        Self {
            id: "esms-numerique-2024.1".to_owned(),
            label: "ESMS numérique, AAP 2024 (cibles 90/90/90/70/70 %)".to_owned(),
            business_event_kinds: EventKind::ALL
                .iter()
                .copied()
                .filter(|k| k.default_business())
                .collect(),
            business_sources: BusinessSources {
                document_added: true,
                care_plan_status_change: true,
                appointment_done: true,
                mss_message: true,
                dmp_submission: true,
            },
            care_plan_paused_counts: false,
            targets: Targets {
                active: 90,
                care_plan: 90,
                appointment: 90,
                dmp: 70,
                mss: 70,
            },
            presets: vec![
                PeriodPreset {
                    code: "mois".to_owned(),
                    label: "Mois écoulé".to_owned(),
                    months: 1,
                },
                PeriodPreset {
                    code: "3mois".to_owned(),
                    label: "3 derniers mois".to_owned(),
                    months: 3,
                },
                PeriodPreset {
                    code: "6mois".to_owned(),
                    label: "6 derniers mois (DMP, MSSanté)".to_owned(),
                    months: 6,
                },
            ],
        }
    }

    /// Reads a rule set written as JSON (e.g. the file given to
    /// `carnet rules set`) and validates it. Every error is French and names
    /// the field, so that whoever edited the file finds the mistake.
    pub fn from_json(text: &str) -> Result<RuleSet, IndicatorError> {
        let rules: RuleSet = crate::interchange::json_object(text)
            .map_err(|(field, rule)| IndicatorError::RuleSetField { field, rule })?;
        rules.validate()?;
        Ok(rules)
    }

    /// Checks what serde cannot: a usable id and label, targets that are
    /// percentages (0–100), at least one preset, presets of 1 to 12 full
    /// months (the programme uses 1, 3 and 6) with distinct codes usable in a
    /// URL. The message names the field.
    pub fn validate(&self) -> Result<(), IndicatorError> {
        let bad = |field: &str, rule: String| IndicatorError::InvalidRuleSet {
            id: self.id.clone(),
            rule: format!("champ « {field} » : {rule}"),
        };
        let id = self.id.as_str();
        if id.trim().is_empty() {
            return Err(bad("id", "l'identifiant est obligatoire".to_owned()));
        }
        if id.chars().count() > 64
            || !id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
        {
            return Err(bad(
                "id",
                "64 caractères au plus, lettres sans accent, chiffres, « . », « - » ou « _ » \
                 (par exemple esms-numerique-2024.1)"
                    .to_owned(),
            ));
        }
        if self.label.trim().is_empty() {
            return Err(bad("label", "le libellé est obligatoire".to_owned()));
        }
        for (i, kind) in self.business_event_kinds.iter().enumerate() {
            if self.business_event_kinds[..i].contains(kind) {
                return Err(bad(
                    &format!("business_event_kinds[{i}]"),
                    format!("le type « {} » est donné deux fois", kind.code()),
                ));
            }
        }
        let t = self.targets;
        for (field, target) in [
            ("active", t.active),
            ("care_plan", t.care_plan),
            ("appointment", t.appointment),
            ("dmp", t.dmp),
            ("mss", t.mss),
        ] {
            if target > 100 {
                return Err(bad(
                    &format!("targets.{field}"),
                    format!("une cible est un pourcentage de 0 à 100 (lu : {target})"),
                ));
            }
        }
        if self.presets.is_empty() {
            return Err(bad(
                "presets",
                "au moins une période prédéfinie est attendue (par exemple mois, 3mois, 6mois)"
                    .to_owned(),
            ));
        }
        for (i, preset) in self.presets.iter().enumerate() {
            let field = |name: &str| format!("presets[{i}].{name}");
            if preset.code.is_empty()
                || preset.code.len() > 16
                || !preset
                    .code
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
            {
                return Err(bad(
                    &field("code"),
                    format!(
                        "code « {} » invalide : 1 à 16 lettres minuscules sans accent ou \
                         chiffres (par exemple 3mois)",
                        preset.code
                    ),
                ));
            }
            if self.presets[..i].iter().any(|p| p.code == preset.code) {
                return Err(bad(
                    &field("code"),
                    format!("le code « {} » est donné deux fois", preset.code),
                ));
            }
            if preset.label.trim().is_empty() {
                return Err(bad(
                    &field("label"),
                    "le libellé est obligatoire".to_owned(),
                ));
            }
            if !(1..=12).contains(&preset.months) {
                return Err(bad(
                    &field("months"),
                    format!(
                        "une période prédéfinie compte de 1 à 12 mois complets (lu : {})",
                        preset.months
                    ),
                ));
            }
        }
        Ok(())
    }

    /// Whether a source of activity makes a record active (SPEC.md §2.4).
    pub fn is_business(&self, source: ActivitySource) -> bool {
        let s = &self.business_sources;
        match source {
            ActivitySource::Event(kind) => self.business_event_kinds.contains(&kind),
            ActivitySource::DocumentAdded => s.document_added,
            ActivitySource::CarePlanStatusChange => s.care_plan_status_change,
            ActivitySource::AppointmentDone => s.appointment_done,
            ActivitySource::MssMessage => s.mss_message,
            ActivitySource::DmpSubmission => s.dmp_submission,
        }
    }

    /// SPEC.md §2.4: "en préparation ou actif" = ENPREPARATION or ENCOURS;
    /// ENPAUSE only when the rule set says so.
    pub fn care_plan_counts(&self, status: CarePlanStatus) -> bool {
        match status {
            CarePlanStatus::EnPreparation | CarePlanStatus::EnCours => true,
            CarePlanStatus::EnPause => self.care_plan_paused_counts,
            CarePlanStatus::Termine => false,
        }
    }

    pub fn preset(&self, code: &str) -> Option<&PeriodPreset> {
        self.presets.iter().find(|p| p.code == code)
    }

    /// The table shown in the proof report: every source of activity with its
    /// French label and whether it makes a record active.
    pub fn business_table(&self) -> Vec<(ActivitySource, &'static str, bool)> {
        ActivitySource::all()
            .into_iter()
            .map(|s| (s, s.label(), self.is_business(s)))
            .collect()
    }

    /// SHA-256 (hex) of the rule set's JSON: names the exact rules, not only
    /// the id, in results and proofs.
    pub fn sha256(&self) -> String {
        // Serialising plain structs, strings and enums cannot fail.
        let json = serde_json::to_vec(self).unwrap_or_default();
        hex::encode(Sha256::digest(&json))
    }
}
