//! Random samples for EU audits (SPEC.md §5: "EU audits draw records at random
//! among declared active DUIs and check the proofs"), reproducible by anyone
//! from a published seed, by hand if need be. No random generator is used:
//! its stream could change between library versions and old draws could no
//! longer be checked. The algorithm, also given in French in `ALGORITHM`:
//!
//! 1. **Rank.** Each item (a FINESS as written, 9 characters; or a record id)
//!    gets the SHA-256 of the UTF-8 text `"{seed}:{id}"`, written in lowercase
//!    hexadecimal. Within a stratum items are sorted by that hash, ascending
//!    (ties, which do not happen in practice, by id); the first n are drawn.
//! 2. **Strata.** Establishments are grouped by region (INSEE code; "975" for
//!    Saint-Pierre-et-Miquelon, which has no ARS); strata are taken in
//!    ascending code order. Records form one single stratum.
//! 3. **Allocation** of the sample size n over strata of sizes N_h (total N):
//!    if n ≥ N everything is drawn; if n ≤ the number of non-empty strata,
//!    each gets 1 (the sample grows to that number if n was smaller: at
//!    least one per non-empty stratum comes first). Otherwise each stratum
//!    whose quota n × N_h / N is below 1 gets exactly 1 and leaves the
//!    computation with its seat; quotas of the others are recomputed on the
//!    remaining seats and sizes, until every remaining quota is at least 1.
//!    Remaining strata get the integer part of their quota, then the seats
//!    left go one each to the largest fractional parts (ties: larger stratum,
//!    then smaller code). Integer arithmetic only.

use crate::ids::Finess;
use crate::region::{Region, region_label};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};

/// The algorithm in French, printed with every sample.
pub const ALGORITHM: &str = "Tirage reproductible (version 1). 1) Pour chaque élément (FINESS \
    géographique tel qu'écrit, ou identifiant de dossier), on calcule le SHA-256 du texte UTF-8 \
    « graine:identifiant » écrit en hexadécimal minuscule ; dans chaque strate, les éléments sont \
    classés par empreinte croissante et les n premiers sont tirés. 2) Les strates sont les \
    régions (code INSEE ; 975 pour Saint-Pierre-et-Miquelon), prises par code croissant ; les \
    dossiers forment une seule strate. 3) Répartition de la taille n : tout est tiré si n atteint \
    l'effectif ; chaque strate non vide reçoit au moins 1 ; une strate dont le quota n × N_h / N \
    est inférieur à 1 reçoit 1 et sort du calcul, les quotas des autres sont recalculés sur les \
    places et effectifs restants jusqu'à ce qu'ils soient tous au moins 1 ; chaque strate reçoit \
    la partie entière de son quota, puis les places restantes vont une à une aux plus grandes \
    parties décimales (à égalité : la plus grande strate, puis le plus petit code).";

/// Stratum code of Saint-Pierre-et-Miquelon (INSEE code of the collectivity).
const SPM_CODE: &str = "975";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SamplingError {
    #[error("la graine publiée du tirage est obligatoire")]
    MissingSeed,
    #[error("identifiant de dossier vide en position {position}")]
    EmptyId { position: usize },
}

/// One proof to check on a drawn item, with its French label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ProofCheck {
    pub code: &'static str,
    pub label: &'static str,
}

/// What the auditor checks for each drawn establishment (SPEC.md §4.2: the
/// content of a conforming proof report).
pub const ESTABLISHMENT_CHECKS: [ProofCheck; 8] = [
    ProofCheck {
        code: "preuve_presente",
        label: "Preuve d'usage (état produit par le logiciel de DUI) présente",
    },
    ProofCheck {
        code: "format_non_modifiable",
        label: "État dans un format non modifiable par l'ESSMS",
    },
    ProofCheck {
        code: "finess",
        label: "Le FINESS géographique de l'état correspond à l'ESSMS déclaré",
    },
    ProofCheck {
        code: "periode",
        label: "La période de mesure (début et fin) correspond à la période déclarée",
    },
    ProofCheck {
        code: "dui_actifs",
        label: "Le nombre de DUI actifs de l'état (valeur absolue) correspond à la valeur déclarée",
    },
    ProofCheck {
        code: "date_production",
        label: "La date de production de l'état est indiquée et suit la fin de la période",
    },
    ProofCheck {
        code: "declarant",
        label: "L'identité de la personne déclarante est indiquée",
    },
    ProofCheck {
        code: "signature",
        label: "Signatures du déclarant et du représentant légal présentes et valides",
    },
];

/// What the auditor checks for each drawn record (SPEC.md §3, §2.4).
pub const RECORD_CHECKS: [ProofCheck; 4] = [
    ProofCheck {
        code: "dossier_present",
        label: "Le dossier existe dans le DUI de l'ESSMS déclaré",
    },
    ProofCheck {
        code: "personne_accompagnee",
        label: "La personne était accompagnée pendant la période (séjour couvrant la période)",
    },
    ProofCheck {
        code: "evenement_metier",
        label: "Au moins un événement métier est daté dans la période de mesure",
    },
    ProofCheck {
        code: "explication",
        label: "L'explication de Carnet pour ce dossier concorde avec le dossier consulté",
    },
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckOutcome {
    ToCheck,
    Compliant,
    NonCompliant,
    NotApplicable,
}

impl CheckOutcome {
    pub fn label(self) -> &'static str {
        match self {
            CheckOutcome::ToCheck => "à vérifier",
            CheckOutcome::Compliant => "conforme",
            CheckOutcome::NonCompliant => "non conforme",
            CheckOutcome::NotApplicable => "sans objet",
        }
    }
}

/// A line of the checklist of one drawn item, for the platform to fill in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckEntry {
    pub code: &'static str,
    pub label: &'static str,
    pub outcome: CheckOutcome,
    pub comment: Option<String>,
}

fn checklist(checks: &[ProofCheck]) -> Vec<CheckEntry> {
    checks
        .iter()
        .map(|c| CheckEntry {
            code: c.code,
            label: c.label,
            outcome: CheckOutcome::ToCheck,
            comment: None,
        })
        .collect()
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Stratum {
    pub code: String,
    pub label: String,
    pub population: u32,
    pub allocated: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Drawn {
    pub id: String,
    pub stratum: String,
    /// SHA-256 of `"{seed}:{id}"`, hexadecimal: the rank anyone can recompute.
    pub hash: String,
    pub checklist: Vec<CheckEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Sample {
    pub seed: String,
    pub algorithm: &'static str,
    pub requested: u32,
    /// Distinct items among which the draw was made.
    pub population: u32,
    pub strata: Vec<Stratum>,
    /// By stratum (code order), then by rank.
    pub drawn: Vec<Drawn>,
}

/// The rank key of an item: SHA-256 of `"{seed}:{id}"` in lowercase hex.
pub fn rank_hash(seed: &str, id: &str) -> String {
    hex::encode(Sha256::digest(format!("{seed}:{id}").as_bytes()))
}

/// Sample sizes per stratum (see the module's algorithm, step 3).
pub fn allocate(populations: &[u32], size: u32) -> Vec<u32> {
    let total: u64 = populations.iter().map(|&p| u64::from(p)).sum();
    let non_empty = populations.iter().filter(|&&p| p > 0).count();
    if u64::from(size) >= total {
        return populations.to_vec();
    }
    if size as usize <= non_empty {
        return populations.iter().map(|&p| u32::from(p > 0)).collect();
    }
    let mut seats: Vec<u32> = vec![0; populations.len()];
    let mut fixed: Vec<bool> = populations.iter().map(|&p| p == 0).collect();
    loop {
        let (left, rest) = remaining(populations, &fixed, size);
        let newly: Vec<usize> = (0..populations.len())
            .filter(|&h| !fixed[h] && left * u64::from(populations[h]) < rest)
            .collect();
        if newly.is_empty() {
            break;
        }
        for h in newly {
            fixed[h] = true;
            seats[h] = 1;
        }
    }
    let (left, rest) = remaining(populations, &fixed, size);
    let mut remainders = Vec::new();
    let mut given = 0u64;
    for h in (0..populations.len()).filter(|&h| !fixed[h]) {
        let share = left * u64::from(populations[h]);
        let whole = share / rest;
        seats[h] = u32::try_from(whole).unwrap_or(u32::MAX);
        given += whole;
        remainders.push((share % rest, populations[h], h));
    }
    // Largest fractional part first; then larger stratum; then smaller code.
    remainders.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.cmp(&a.1)).then(a.2.cmp(&b.2)));
    let extra = usize::try_from(left - given).unwrap_or(0);
    for &(_, _, h) in remainders.iter().take(extra) {
        seats[h] += 1;
    }
    seats
}

/// Seats not yet given and the population of strata still in the computation.
fn remaining(populations: &[u32], fixed: &[bool], size: u32) -> (u64, u64) {
    let fixed_count = fixed
        .iter()
        .zip(populations)
        .filter(|(f, p)| **f && **p > 0)
        .count() as u64;
    let rest = populations
        .iter()
        .zip(fixed)
        .filter(|(_, f)| !**f)
        .map(|(p, _)| u64::from(*p))
        .sum();
    (u64::from(size) - fixed_count, rest)
}

fn draw(
    seed: &str,
    strata: BTreeMap<String, (String, BTreeSet<String>)>,
    size: u32,
    checks: &[ProofCheck],
) -> Result<Sample, SamplingError> {
    if seed.trim().is_empty() {
        return Err(SamplingError::MissingSeed);
    }
    let populations: Vec<u32> = strata
        .values()
        .map(|(_, ids)| u32::try_from(ids.len()).unwrap_or(u32::MAX))
        .collect();
    let seats = allocate(&populations, size);
    let mut drawn = Vec::new();
    let mut summary = Vec::new();
    for ((code, (label, ids)), (&population, &allocated)) in
        strata.into_iter().zip(populations.iter().zip(&seats))
    {
        let mut ranked: Vec<(String, String)> = ids
            .into_iter()
            .map(|id| (rank_hash(seed, &id), id))
            .collect();
        ranked.sort();
        drawn.extend(
            ranked
                .into_iter()
                .take(allocated as usize)
                .map(|(hash, id)| Drawn {
                    id,
                    stratum: code.clone(),
                    hash,
                    checklist: checklist(checks),
                }),
        );
        summary.push(Stratum {
            code,
            label,
            population,
            allocated,
        });
    }
    Ok(Sample {
        seed: seed.to_owned(),
        algorithm: ALGORITHM,
        requested: size,
        population: populations.iter().sum(),
        strata: summary,
        drawn,
    })
}

/// Draws `size` establishments among those declared, stratified by region.
/// A FINESS given twice counts once.
pub fn draw_establishments(
    seed: &str,
    establishments: &[Finess],
    size: u32,
) -> Result<Sample, SamplingError> {
    let mut strata: BTreeMap<String, (String, BTreeSet<String>)> = BTreeMap::new();
    for finess in establishments {
        let region = Region::of(finess);
        let code = region.map_or(SPM_CODE, Region::insee_code).to_owned();
        strata
            .entry(code)
            .or_insert_with(|| (region_label(region).to_owned(), BTreeSet::new()))
            .1
            .insert(finess.to_string());
    }
    draw(seed, strata, size, &ESTABLISHMENT_CHECKS)
}

/// Draws `size` records among the declared active DUIs, by the same ranking
/// (one stratum). An id given twice counts once.
pub fn draw_records(seed: &str, record_ids: &[String], size: u32) -> Result<Sample, SamplingError> {
    let mut ids = BTreeSet::new();
    for (position, id) in record_ids.iter().enumerate() {
        if id.trim().is_empty() {
            return Err(SamplingError::EmptyId {
                position: position + 1,
            });
        }
        ids.insert(id.clone());
    }
    let mut strata = BTreeMap::new();
    strata.insert(
        "dossiers".to_owned(),
        ("DUI actifs déclarés".to_owned(), ids),
    );
    draw(seed, strata, size, &RECORD_CHECKS)
}

#[cfg(test)]
mod tests;
