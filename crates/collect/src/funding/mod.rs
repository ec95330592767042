//! The funding of a registered project (issue 5 §8, SPEC.md §6) on the
//! platform: builds the `carnet_core::funding::Project` from the registry and
//! the optional details file (`details`), checks its eligibility against the
//! other registered projects, and says the subsidy, advance and balance in
//! French. The rules and amounts are `carnet_core::funding`'s; this module only
//! gathers the inputs and renders. It never reads the clock or a file.

mod details;
mod text;

use carnet_core::Finess;
use carnet_core::funding::{
    self as core, BalanceDecision, BalanceInputs, EligibilityReport, FundedProject, FundingRules,
    OrganisationSize, Project, ProjectEstablishment, ProjectKind, Subsidy,
};
use carnet_store::Db;

pub use details::{Details, DetailsError, EstablishmentDetails};
pub use text::to_text;

use crate::projects::{self, Kind};
use crate::versions::ArchiveError;

#[derive(Debug, thiserror::Error)]
pub enum FundingError {
    #[error(transparent)]
    Archive(#[from] ArchiveError),
    #[error("projet « {0} » inconnu du registre (carnet collect projects list)")]
    UnknownProject(String),
    #[error("jeu de règles « {id} » inconnu : jeux fournis {known}, ou un fichier .json")]
    UnknownRules { id: String, known: String },
    #[error(transparent)]
    Rules(#[from] core::FundingError),
    #[error(transparent)]
    Details(#[from] DetailsError),
}

/// The rule set of a call year when none is asked for: the 2021 call had its
/// own amounts (seed 002); every later call is judged on the 2024 rules, the
/// latest shipped (SPEC.md §6), until a newer set is added.
pub fn default_rules_id(call_year: i16) -> &'static str {
    if call_year == 2021 {
        "aap-2021"
    } else {
        "aap-2024"
    }
}

/// A shipped rule set by id, or a French error listing the shipped ones.
pub fn builtin_rules(id: &str) -> Result<FundingRules, FundingError> {
    FundingRules::builtin(id)?.ok_or_else(|| FundingError::UnknownRules {
        id: id.to_owned(),
        known: FundingRules::builtin_ids().collect::<Vec<_>>().join(", "),
    })
}

/// Everything the command shows.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Funding {
    pub galis: String,
    pub label: Option<String>,
    pub call_year: i16,
    /// How the rule set was chosen, in French.
    pub rules_origin: String,
    /// What was assumed for lack of data, in French (never silently).
    pub notes: Vec<String>,
    pub subsidy: Subsidy,
    pub balance_inputs: BalanceInputs,
    pub balance: BalanceDecision,
    pub eligibility: EligibilityReport,
}

/// The funding of the project `galis`. `rules`: the rule set asked for, with
/// how it was asked; `None` takes the default of the call year.
pub async fn funding(
    db: &Db,
    galis: &str,
    rules: Option<(FundingRules, String)>,
    details: Option<&Details>,
    inputs: BalanceInputs,
) -> Result<Funding, FundingError> {
    let all = projects::list(db).await?;
    let Some(project) = all.iter().find(|p| p.galis == galis.trim()) else {
        return Err(FundingError::UnknownProject(galis.trim().to_owned()));
    };
    let (rules, rules_origin) = match rules {
        Some(given) => given,
        None => {
            let id = default_rules_id(project.call_year);
            (
                builtin_rules(id)?,
                format!(
                    "{id}, d'après l'année d'appel {} du registre (2021 : aap-2021 ; sinon \
                     aap-2024)",
                    project.call_year
                ),
            )
        }
    };
    let others: Vec<FundedProject> = all
        .iter()
        .filter(|p| p.galis != project.galis)
        .map(|p| FundedProject {
            reference: p.galis.clone(),
            solution: None,
            establishments: p.establishments.iter().cloned().collect(),
        })
        .collect();
    let (core_project, notes) = build_project(project, details, &rules)?;
    let subsidy = core::compute_subsidy(&rules, &core_project)?;
    let eligibility = core::check_eligibility(&rules, &core_project, &others);
    Ok(Funding {
        galis: project.galis.clone(),
        label: project.label.clone(),
        call_year: project.call_year,
        rules_origin,
        notes,
        balance: subsidy.balance_due(inputs),
        balance_inputs: inputs,
        subsidy,
        eligibility,
    })
}

/// The core project: establishments from the registry, the rest from the
/// details file. Errors when the file speaks of an ESSMS not in the project.
pub fn build_project(
    project: &projects::Project,
    details: Option<&Details>,
    rules: &FundingRules,
) -> Result<(Project, Vec<String>), FundingError> {
    let empty = Details::default();
    let details = details.unwrap_or(&empty);
    if let Some(stranger) = details
        .establishments
        .keys()
        .find(|f| !project.establishments.contains(*f))
    {
        return Err(DetailsError {
            field: format!("essms.{stranger}"),
            message: format!(
                "cet ESSMS n'est pas dans le projet {} au registre des projets",
                project.galis
            ),
        }
        .into());
    }
    let mut notes = Vec::new();
    // Without a FINESS juridique, the ESSMS are counted as one organisation,
    // the porteur, sized by the registry's flag: the subsidy must still come
    // out, and only equipment and AMOA depend on the organisation.
    let stand_in: Option<Finess> = project.establishments.iter().next().cloned();
    let mut without_organisation = 0usize;
    let mut without_solution = 0usize;
    let mut establishments = Vec::new();
    for finess in &project.establishments {
        let own = details.establishments.get(finess);
        let organisation = own
            .and_then(|e| e.organisation.clone())
            .or_else(|| details.organisation.clone());
        let organisation = match (organisation, &stand_in) {
            (Some(o), _) => o,
            (None, Some(s)) => {
                without_organisation += 1;
                s.clone()
            }
            (None, None) => continue,
        };
        let solution = own
            .and_then(|e| e.solution.clone())
            .or_else(|| details.solution.clone())
            .unwrap_or_default();
        if solution.is_empty() {
            without_solution += 1;
        }
        establishments.push(ProjectEstablishment {
            finess: finess.clone(),
            organisation,
            solution,
            saad_hours: own.and_then(|e| e.saad_hours),
            equipment_quote_cents: own.and_then(|e| e.equipment_quote_cents),
        });
    }
    let mut organisations: Vec<OrganisationSize> = details
        .organisations
        .iter()
        .map(|(finess, n)| OrganisationSize {
            finess: finess.clone(),
            establishments: *n,
        })
        .collect();
    if without_organisation > 0
        && let Some(stand_in) = &stand_in
    {
        let threshold = rules
            .small_organisation
            .fewer_than
            .get(all_corsica_overseas(project));
        notes.push(format!(
            "FINESS juridique non donné pour {without_organisation} ESSMS : ils sont comptés \
             comme un seul organisme gestionnaire, le porteur (SIRET {}), désigné dans les lignes \
             par le FINESS de son premier ESSMS, {stand_in} ; petit organisme d'après le \
             registre : {}",
            project.siret,
            if project.small_organisation {
                "oui"
            } else {
                "non"
            }
        ));
        if !project.small_organisation {
            organisations.push(OrganisationSize {
                finess: stand_in.clone(),
                establishments: threshold,
            });
        }
    }
    if without_solution > 0 {
        notes.push(format!(
            "solution DUI non donnée pour {without_solution} ESSMS (champ « solution » du fichier \
             de détails)"
        ));
    }
    Ok((
        Project {
            kind: match project.kind {
                Kind::Acquisition => ProjectKind::Acquisition,
                Kind::Upgrade => ProjectKind::Upgrade,
            },
            establishments,
            organisations,
            amoa_requested: details.amoa_requested,
            joins_funded_group: details.joins_funded_group,
        },
        notes,
    ))
}

fn all_corsica_overseas(project: &projects::Project) -> bool {
    !project.establishments.is_empty()
        && project
            .establishments
            .iter()
            .all(|f| f.territory().is_corsica_or_overseas())
}
