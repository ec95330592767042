//! The subsidy of a project, line by line: every amount says on what basis and
//! by which rule of the call it was computed (SPEC.md §6; seed 001 §4.4).
//!
//! Rounding: the only division is the SAAD prorating (amount × eligible hours
//! ÷ total hours), rounded down to the cent, so that the sum paid never
//! exceeds the share of eligible activity. The advance is the rule set's
//! percentage of the total, rounded down to the cent; the balance is the rest,
//! so advance + balance = total exactly.

use super::project::{OrganisationStatus, Project, ProjectEstablishment, organisation_statuses};
use super::{Component, FundingError, FundingRules, Payment, ProjectKind, euros, ordinal};
use crate::ids::Finess;
use serde::Serialize;

/// One amount and its explanation, in French.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SubsidyLine {
    /// Code of the component in the rule set (`developpement_usages`, `amoa`…).
    pub component: String,
    pub label: String,
    /// The ESSMS concerned; `None` for a per-project amount (AMOA).
    pub finess: Option<Finess>,
    /// What the amount is computed on.
    pub basis: String,
    /// The rule of the call applied.
    pub rule: String,
    pub amount_cents: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ComponentTotal {
    pub component: String,
    pub label: String,
    pub amount_cents: u64,
}

/// "Une subvention unique et forfaitaire" (seed 001), with its parts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Subsidy {
    pub rules_id: String,
    pub rules_label: String,
    pub kind: ProjectKind,
    /// Unique FINESS géographiques of the project.
    pub establishments: u32,
    pub lines: Vec<SubsidyLine>,
    /// One per component, in the order of the lines.
    pub totals: Vec<ComponentTotal>,
    pub total_cents: u64,
    /// Paid at the signature of the agreement.
    pub advance_cents: u64,
    /// Paid at the end when its conditions are met (`balance_due`).
    pub balance_cents: u64,
    pub payment: Payment,
}

/// Computes the subsidy of a project under a rule set. Errors only on
/// impossible SAAD hours; everything else gives lines, possibly at zero with
/// the reason.
pub fn compute_subsidy(rules: &FundingRules, project: &Project) -> Result<Subsidy, FundingError> {
    let establishments = project.unique_establishments();
    let count = u32::try_from(establishments.len()).unwrap_or(u32::MAX);
    let mut lines = Vec::new();
    for component in rules.components(project.kind) {
        for (rank, establishment) in (1u32..).zip(&establishments) {
            lines.push(flat_line(component, rank, count, establishment)?);
        }
    }
    let organisations = organisation_statuses(rules, project);
    equipment_lines(rules, &establishments, &organisations, &mut lines);
    amoa_line(rules, project, &organisations, &mut lines);

    let mut totals: Vec<ComponentTotal> = Vec::new();
    for line in &lines {
        match totals.iter_mut().find(|t| t.component == line.component) {
            Some(total) => total.amount_cents += line.amount_cents,
            None => totals.push(ComponentTotal {
                component: line.component.clone(),
                label: line.label.clone(),
                amount_cents: line.amount_cents,
            }),
        }
    }
    let total_cents: u64 = lines.iter().map(|l| l.amount_cents).sum();
    let advance_cents = percent_down(total_cents, rules.payment.advance_percent);
    Ok(Subsidy {
        rules_id: rules.id.clone(),
        rules_label: rules.label.clone(),
        kind: project.kind,
        establishments: count,
        lines,
        totals,
        total_cents,
        advance_cents,
        balance_cents: total_cents - advance_cents,
        payment: rules.payment,
    })
}

/// `amount × percent / 100`, rounded down to the cent.
fn percent_down(amount_cents: u64, percent: u32) -> u64 {
    let exact = u128::from(amount_cents) * u128::from(percent) / 100;
    u64::try_from(exact).unwrap_or(amount_cents)
}

fn flat_line(
    component: &Component,
    rank: u32,
    count: u32,
    establishment: &ProjectEstablishment,
) -> Result<SubsidyLine, FundingError> {
    let basis = format!("{} ESSMS du projet (sur {count})", ordinal(rank));
    let line = |rule: String, amount_cents: u64| SubsidyLine {
        component: component.code.clone(),
        label: component.label.clone(),
        finess: Some(establishment.finess.clone()),
        basis: basis.clone(),
        rule,
        amount_cents,
    };
    if let Some(cap) = component.max_establishments
        && rank > cap
    {
        return Ok(line(
            format!(
                "financement limité à {cap} ESSMS par projet : le {} ESSMS n'est pas financé",
                ordinal(rank)
            ),
            0,
        ));
    }
    let tier = component.amount_at(rank);
    let next = component.tiers.iter().find(|t| t.from_rank > rank);
    let mut rule = match (tier.from_rank, next) {
        (_, Some(next)) => format!(
            "{} par ESSMS jusqu'au {} ESSMS",
            euros(tier.amount_cents),
            ordinal(next.from_rank - 1)
        ),
        (1, None) => format!("{} par ESSMS", euros(tier.amount_cents)),
        (from, None) => format!(
            "{} par ESSMS à partir du {} ESSMS",
            euros(tier.amount_cents),
            ordinal(from)
        ),
    };
    if let Some(cap) = component.max_establishments {
        rule.push_str(&format!(", dans la limite de {cap} ESSMS par projet"));
    }
    if let Some(note) = &component.note {
        rule.push_str(&format!(" ({note})"));
    }
    let mut amount = tier.amount_cents;
    if component.saad_prorated
        && let Some(hours) = establishment.saad_hours
    {
        if hours.total == 0 || hours.eligible > hours.total {
            return Err(FundingError::SaadHours {
                finess: establishment.finess.to_string(),
                eligible: hours.eligible,
                total: hours.total,
            });
        }
        let exact = u128::from(amount) * u128::from(hours.eligible) / u128::from(hours.total);
        let prorated = u64::try_from(exact).unwrap_or(amount);
        rule.push_str(&format!(
            " ; SAAD, au prorata des heures éligibles (APA, PCH…) : {} × {} / {} heures = {} \
             (arrondi au centime inférieur)",
            euros(amount),
            hours.eligible,
            hours.total,
            euros(prorated)
        ));
        amount = prorated;
    }
    Ok(line(rule, amount))
}

fn equipment_lines(
    rules: &FundingRules,
    establishments: &[&ProjectEstablishment],
    organisations: &[OrganisationStatus],
    lines: &mut Vec<SubsidyLine>,
) {
    let Some(equipment) = &rules.small_organisation.equipment else {
        return;
    };
    let mut small_rank = 0u32;
    for establishment in establishments {
        let Some(organisation) = organisations
            .iter()
            .find(|o| o.finess == establishment.organisation)
        else {
            continue;
        };
        let size = format!(
            "organisme gestionnaire FINESS {} : {} ESSMS (petit organisme gestionnaire : moins \
             de {}{})",
            organisation.finess,
            organisation.establishments,
            organisation.threshold,
            if organisation.corsica_overseas {
                ", Corse et outre-mer"
            } else {
                ""
            }
        );
        let line = |basis: String, rule: String, amount_cents: u64| SubsidyLine {
            component: equipment.code.clone(),
            label: equipment.label.clone(),
            finess: Some(establishment.finess.clone()),
            basis,
            rule,
            amount_cents,
        };
        if !organisation.small {
            // Only worth a line when a quote was given: it says why it is not paid.
            if let Some(quote) = establishment.equipment_quote_cents {
                lines.push(line(
                    format!("{size} ; devis de {}", euros(quote)),
                    "équipements financés aux seuls petits organismes gestionnaires".to_owned(),
                    0,
                ));
            }
            continue;
        }
        small_rank += 1;
        let ceiling = euros(equipment.max_per_establishment_cents);
        if let Some(cap) = equipment.max_establishments
            && small_rank > cap
        {
            lines.push(line(
                size,
                format!(
                    "financement limité à {cap} ESSMS par projet : le {} ESSMS de petit \
                     organisme gestionnaire n'est pas financé",
                    ordinal(small_rank)
                ),
                0,
            ));
            continue;
        }
        let rule = format!("au plus {ceiling} par ESSMS, jamais au-delà des devis");
        match establishment.equipment_quote_cents {
            None => lines.push(line(format!("{size} ; aucun devis fourni"), rule, 0)),
            Some(quote) => lines.push(line(
                format!("{size} ; devis de {}", euros(quote)),
                rule,
                quote.min(equipment.max_per_establishment_cents),
            )),
        }
    }
}

fn amoa_line(
    rules: &FundingRules,
    project: &Project,
    organisations: &[OrganisationStatus],
    lines: &mut Vec<SubsidyLine>,
) {
    if !project.amoa_requested {
        return;
    }
    let Some(amoa) = &rules.small_organisation.amoa else {
        lines.push(SubsidyLine {
            component: "amoa".to_owned(),
            label: "Assistance à maîtrise d'ouvrage".to_owned(),
            finess: None,
            basis: "AMOA demandée".to_owned(),
            rule: format!("l'appel « {} » ne fixe aucun montant d'AMOA", rules.label),
            amount_cents: 0,
        });
        return;
    };
    let large: Vec<String> = organisations
        .iter()
        .filter(|o| !o.small)
        .map(|o| format!("{} ({} ESSMS)", o.finess, o.establishments))
        .collect();
    let rule = format!(
        "{} par projet (et non par ESSMS), pour les projets de petits organismes gestionnaires",
        euros(amoa.amount_per_project_cents)
    );
    let (basis, amount_cents) = if large.is_empty() && !organisations.is_empty() {
        (
            format!(
                "AMOA demandée ; {} organisme(s) gestionnaire(s), tous petits",
                organisations.len()
            ),
            amoa.amount_per_project_cents,
        )
    } else {
        (
            format!(
                "AMOA demandée ; organismes gestionnaires qui ne sont pas petits : {}",
                if large.is_empty() {
                    "aucun ESSMS dans le projet".to_owned()
                } else {
                    large.join(", ")
                }
            ),
            0,
        )
    };
    lines.push(SubsidyLine {
        component: amoa.code.clone(),
        label: amoa.label.clone(),
        finess: None,
        basis,
        rule,
        amount_cents,
    });
}
