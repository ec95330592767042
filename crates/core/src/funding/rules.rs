//! A funding rule set: the amounts, thresholds, caps and percentages of one
//! call for projects, as data (SPEC.md §6: "rule sets are versioned by call
//! year, never hard-coded into the calculation"). The calculation reads every
//! number from here; the published sets live in `crates/core/funding/*.json`.

use super::FundingError;
use serde::{Deserialize, Serialize};

/// The rule sets shipped with Carnet, embedded so that a build always has them.
const BUILTIN: [(&str, &str); 2] = [
    ("aap-2021", include_str!("../../funding/aap-2021.json")),
    ("aap-2024", include_str!("../../funding/aap-2024.json")),
];

/// Above this an amount is surely a unit mistake (euros typed as cents the
/// other way round); it also keeps every sum far from `u64` overflow.
const MAX_AMOUNT_CENTS: u64 = 10_000_000_000;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FundingRules {
    /// Stable identifier, e.g. `aap-2024`. A published set never changes:
    /// make a new one with a new id.
    pub id: String,
    /// French description shown with every computed subsidy.
    pub label: String,
    pub call_year: u16,
    /// Where the numbers come from, for whoever checks them.
    pub source: String,
    /// Flat amounts per establishment when the project acquires a new DUI.
    pub acquisition: Vec<Component>,
    /// Flat amounts per establishment when the project upgrades its DUI.
    pub upgrade: Vec<Component>,
    pub small_organisation: SmallOrganisation,
    pub payment: Payment,
    pub eligibility: Eligibility,
}

/// One flat amount per establishment, by rank (seed 001: "7 k€ par ESSMS
/// jusqu'au 49ème ESSMS ; 2 k€ par ESSMS à partir du 50ème").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Component {
    pub code: String,
    pub label: String,
    /// Ordered by `from_rank`, the first from rank 1.
    pub tiers: Vec<Tier>,
    /// Establishments beyond this rank get nothing (2021: "financement limité
    /// à 30 structures par projet").
    pub max_establishments: Option<u32>,
    /// SAAD: prorated to the share of eligible hours (seed 001, annexe 1).
    pub saad_prorated: bool,
    /// Shown beside the amount, e.g. why it is zero.
    pub note: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tier {
    /// First rank (1-based) this amount applies to.
    pub from_rank: u32,
    pub amount_cents: u64,
}

/// A threshold that is lower in Corsica and overseas (SPEC.md §6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ByTerritory {
    pub metropolitan: u32,
    pub corsica_overseas: u32,
}

impl ByTerritory {
    pub fn get(self, corsica_or_overseas: bool) -> u32 {
        if corsica_or_overseas {
            self.corsica_overseas
        } else {
            self.metropolitan
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmallOrganisation {
    /// An organisation with fewer establishments than this is "small".
    pub fewer_than: ByTerritory,
    pub equipment: Option<SmallEquipment>,
    pub amoa: Option<Amoa>,
}

/// Equipment and infrastructure of small organisations: a ceiling per
/// establishment, never above the quotes (seed 001 §4.4.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmallEquipment {
    pub code: String,
    pub label: String,
    pub max_per_establishment_cents: u64,
    pub max_establishments: Option<u32>,
}

/// A flat amount per project, not per establishment (seed 003: "attribué par
/// projet, et non par établissement").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Amoa {
    pub code: String,
    pub label: String,
    pub amount_per_project_cents: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Payment {
    /// Share paid at signature; the rest is the balance.
    pub advance_percent: u32,
    pub balance_requires_usage_targets: bool,
    pub balance_requires_expense_proofs: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Eligibility {
    /// "Idéalement quinze structures … huit dans les territoires ultramarins
    /// et la Corse" (seed 001).
    pub ideal_minimum: ByTerritory,
    /// Below this a project is rejected (seed 003: "moins de 10
    /// établissements seront écartées").
    pub rejected_below: ByTerritory,
    /// Whether joining a group already funded lifts the rejection (seed 001).
    pub joining_funded_group_exempts: bool,
    /// `None`: every project goes to its regional desk.
    pub national_desk: Option<NationalDesk>,
}

/// "≥ 50 ESSMS in more than one region → national" (seed 001 §4.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NationalDesk {
    pub min_establishments: u32,
    pub min_regions: u32,
}

impl FundingRules {
    /// Ids of the rule sets shipped with Carnet.
    pub fn builtin_ids() -> impl Iterator<Item = &'static str> {
        BUILTIN.iter().map(|(id, _)| *id)
    }

    /// A shipped rule set by id; `Ok(None)` when there is none of that id.
    pub fn builtin(id: &str) -> Result<Option<FundingRules>, FundingError> {
        BUILTIN
            .iter()
            .find(|(known, _)| *known == id)
            .map(|(_, text)| FundingRules::from_json(text))
            .transpose()
    }

    /// Reads a rule set written as JSON and validates it. Every error is
    /// French and names the field, so that whoever edited the file finds it.
    pub fn from_json(text: &str) -> Result<FundingRules, FundingError> {
        let rules: FundingRules = crate::interchange::json_object(text)
            .map_err(|(field, rule)| FundingError::RuleSetField { field, rule })?;
        rules.validate()?;
        Ok(rules)
    }

    /// Checks what serde cannot; the message names the field.
    pub fn validate(&self) -> Result<(), FundingError> {
        let bad = |field: String, rule: String| FundingError::RuleSetField { field, rule };
        let id_ok = !self.id.is_empty()
            && self.id.len() <= 64
            && self
                .id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
        if !id_ok {
            return Err(bad(
                "id".into(),
                format!(
                    "identifiant « {} » invalide : 1 à 64 lettres sans accent, chiffres, « . », \
                     « - » ou « _ » (par exemple aap-2024)",
                    self.id
                ),
            ));
        }
        for (field, text) in [("label", &self.label), ("source", &self.source)] {
            if text.trim().is_empty() {
                return Err(bad(field.into(), "ce texte est obligatoire".into()));
            }
        }
        if !(2000..=2100).contains(&self.call_year) {
            return Err(bad(
                "call_year".into(),
                format!(
                    "l'année de l'appel doit être comprise entre 2000 et 2100 (lu : {})",
                    self.call_year
                ),
            ));
        }
        for (kind, components) in [
            ("acquisition", &self.acquisition),
            ("upgrade", &self.upgrade),
        ] {
            if components.is_empty() {
                return Err(bad(
                    kind.into(),
                    "au moins un financement par ESSMS est attendu".into(),
                ));
            }
            for (i, component) in components.iter().enumerate() {
                let field = format!("{kind}[{i}]");
                if components[..i].iter().any(|c| c.code == component.code) {
                    return Err(bad(
                        format!("{field}.code"),
                        format!("le code « {} » est donné deux fois", component.code),
                    ));
                }
                component.validate(&field)?;
            }
        }
        let small = &self.small_organisation;
        check_threshold(small.fewer_than, "small_organisation.fewer_than")?;
        if let Some(equipment) = &small.equipment {
            let field = "small_organisation.equipment";
            check_code_label(&equipment.code, &equipment.label, field)?;
            check_amount(
                equipment.max_per_establishment_cents,
                &format!("{field}.max_per_establishment_cents"),
            )?;
            check_cap(
                equipment.max_establishments,
                &format!("{field}.max_establishments"),
            )?;
        }
        if let Some(amoa) = &small.amoa {
            let field = "small_organisation.amoa";
            check_code_label(&amoa.code, &amoa.label, field)?;
            check_amount(
                amoa.amount_per_project_cents,
                &format!("{field}.amount_per_project_cents"),
            )?;
        }
        if self.payment.advance_percent > 100 {
            return Err(bad(
                "payment.advance_percent".into(),
                format!(
                    "l'avance est un pourcentage de 0 à 100 (lu : {})",
                    self.payment.advance_percent
                ),
            ));
        }
        let eligibility = &self.eligibility;
        check_threshold(eligibility.ideal_minimum, "eligibility.ideal_minimum")?;
        check_threshold(eligibility.rejected_below, "eligibility.rejected_below")?;
        if let Some(desk) = eligibility.national_desk {
            if desk.min_establishments == 0 {
                return Err(bad(
                    "eligibility.national_desk.min_establishments".into(),
                    "le seuil du guichet national est d'au moins 1 ESSMS (lu : 0)".into(),
                ));
            }
            if desk.min_regions < 2 {
                return Err(bad(
                    "eligibility.national_desk.min_regions".into(),
                    format!(
                        "le guichet national suppose au moins 2 régions (lu : {})",
                        desk.min_regions
                    ),
                ));
            }
        }
        Ok(())
    }

    /// The flat components of a project kind.
    pub fn components(&self, kind: super::ProjectKind) -> &[Component] {
        match kind {
            super::ProjectKind::Acquisition => &self.acquisition,
            super::ProjectKind::Upgrade => &self.upgrade,
        }
    }
}

impl Component {
    fn validate(&self, field: &str) -> Result<(), FundingError> {
        check_code_label(&self.code, &self.label, field)?;
        if self.tiers.is_empty() {
            return Err(FundingError::RuleSetField {
                field: format!("{field}.tiers"),
                rule: "au moins un montant par ESSMS est attendu".into(),
            });
        }
        for (i, tier) in self.tiers.iter().enumerate() {
            let tier_field = format!("{field}.tiers[{i}]");
            let previous = i.checked_sub(1).map(|p| self.tiers[p].from_rank);
            let rank_ok = match previous {
                None => tier.from_rank == 1,
                Some(previous) => tier.from_rank > previous,
            };
            if !rank_ok {
                return Err(FundingError::RuleSetField {
                    field: format!("{tier_field}.from_rank"),
                    rule: match previous {
                        None => format!(
                            "la première tranche commence au 1er ESSMS (lu : {})",
                            tier.from_rank
                        ),
                        Some(previous) => format!(
                            "les tranches doivent commencer à des rangs croissants ({} après {})",
                            tier.from_rank, previous
                        ),
                    },
                });
            }
            check_amount(tier.amount_cents, &format!("{tier_field}.amount_cents"))?;
        }
        check_cap(
            self.max_establishments,
            &format!("{field}.max_establishments"),
        )?;
        if self.note.as_deref().is_some_and(|n| n.trim().is_empty()) {
            return Err(FundingError::RuleSetField {
                field: format!("{field}.note"),
                rule: "la note est vide : écrivez-la ou mettez null".into(),
            });
        }
        Ok(())
    }

    /// The amount per establishment at a 1-based rank, before any cap.
    pub fn amount_at(&self, rank: u32) -> Tier {
        self.tiers
            .iter()
            .rev()
            .find(|t| t.from_rank <= rank)
            .or(self.tiers.first())
            .copied()
            .unwrap_or(Tier {
                from_rank: 1,
                amount_cents: 0,
            })
    }
}

fn check_code_label(code: &str, label: &str, field: &str) -> Result<(), FundingError> {
    if code.is_empty()
        || code.len() > 32
        || !code
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    {
        return Err(FundingError::RuleSetField {
            field: format!("{field}.code"),
            rule: format!(
                "code « {code} » invalide : 1 à 32 minuscules sans accent, chiffres ou « _ »"
            ),
        });
    }
    if label.trim().is_empty() {
        return Err(FundingError::RuleSetField {
            field: format!("{field}.label"),
            rule: "le libellé est obligatoire".into(),
        });
    }
    Ok(())
}

fn check_amount(amount_cents: u64, field: &str) -> Result<(), FundingError> {
    if amount_cents > MAX_AMOUNT_CENTS {
        return Err(FundingError::RuleSetField {
            field: field.into(),
            rule: format!(
                "montant de {} hors de toute mesure (au plus {}) : les montants sont en centimes",
                super::euros(amount_cents),
                super::euros(MAX_AMOUNT_CENTS)
            ),
        });
    }
    Ok(())
}

fn check_cap(cap: Option<u32>, field: &str) -> Result<(), FundingError> {
    if cap == Some(0) {
        return Err(FundingError::RuleSetField {
            field: field.into(),
            rule: "un plafond de 0 ESSMS ne finance rien : mettez null pour aucun plafond".into(),
        });
    }
    Ok(())
}

fn check_threshold(threshold: ByTerritory, field: &str) -> Result<(), FundingError> {
    for (name, value) in [
        ("metropolitan", threshold.metropolitan),
        ("corsica_overseas", threshold.corsica_overseas),
    ] {
        if value == 0 {
            return Err(FundingError::RuleSetField {
                field: format!("{field}.{name}"),
                rule: "un seuil en nombre d'ESSMS est au moins 1 (lu : 0)".into(),
            });
        }
    }
    Ok(())
}
