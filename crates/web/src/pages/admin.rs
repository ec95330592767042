//! Administration: accounts (create, disable, enable), the rights matrix, the
//! establishments and the indicator rule set. Every change is audited by the
//! store; a disabled account loses its sessions at once.

use super::{Chrome, CsrfForm, PageResult, render, see_other};
use crate::AppState;
use crate::access::Principal;
use crate::error::ApiError;
use crate::password;
use askama::Template;
use axum::extract::{Path, Query, State};
use carnet_core::indicators::RuleSet;
use carnet_core::model::{DataCategory, Establishment, EstablishmentId, Role, UserId};
use carnet_core::rights::Access;
use carnet_store::{NewUser, Scope};
use serde::Deserialize;

#[derive(Deserialize, Default)]
pub struct AdminQuery {
    #[serde(default)]
    info: String,
}

fn notice(code: &str) -> Option<String> {
    Some(
        match code {
            "compte" => "Compte créé.",
            "desactive" => "Compte désactivé : ses sessions sont fermées.",
            "reactive" => "Compte réactivé.",
            "habilitations" => "Matrice d'habilitations enregistrée.",
            "regles" => "Nouvelle version du jeu de règles enregistrée.",
            "regles-identiques" => "Jeu de règles inchangé : aucune nouvelle version.",
            _ => return None,
        }
        .to_owned(),
    )
}

pub struct AccountRow {
    pub id: i64,
    pub login: String,
    pub name: String,
    pub role: String,
    pub establishments: String,
    pub disabled: bool,
    pub is_me: bool,
}

pub struct MatrixCell {
    pub name: String,
    pub category: &'static str,
    pub value: &'static str,
    pub locked: bool,
}

pub struct MatrixRow {
    pub role: String,
    pub cells: Vec<MatrixCell>,
}

pub struct Choice {
    pub code: String,
    pub label: String,
}

#[derive(Template)]
#[template(path = "admin.html")]
struct AdminPage {
    chrome: Chrome,
    accounts: Vec<AccountRow>,
    roles: Vec<Choice>,
    establishments: Vec<Establishment>,
    categories: Vec<String>,
    matrix: Vec<MatrixRow>,
    rules_json: String,
    rules_version: String,
    min_password: usize,
}

fn access_code(a: Access) -> &'static str {
    match (a.read, a.write) {
        (_, true) => "ecriture",
        (true, false) => "lecture",
        _ => "aucun",
    }
}

pub async fn show(
    State(state): State<AppState>,
    principal: Principal,
    Query(query): Query<AdminQuery>,
) -> PageResult {
    let organisation = principal.scope.organisation;
    let establishments = state.db.establishments(&Scope::whole(organisation)).await?;
    let names = |ids: &[EstablishmentId]| {
        if ids.is_empty() {
            "tous".to_owned()
        } else {
            ids.iter()
                .map(|id| {
                    establishments
                        .iter()
                        .find(|e| e.id == *id)
                        .map_or_else(|| id.to_string(), |e| e.name.clone())
                })
                .collect::<Vec<_>>()
                .join(", ")
        }
    };
    let accounts = state
        .db
        .users(organisation)
        .await?
        .into_iter()
        .map(|u| AccountRow {
            id: u.id.0,
            is_me: u.id == principal.user.id,
            login: u.login,
            name: u.display_name,
            role: u.role.label().to_owned(),
            establishments: names(&u.establishment_ids),
            disabled: u.disabled,
        })
        .collect();
    let matrix = state.matrix(organisation).await?;
    let rows = Role::ALL
        .iter()
        .map(|&role| MatrixRow {
            role: role.label().to_owned(),
            cells: DataCategory::ALL
                .iter()
                .map(|&c| MatrixCell {
                    name: format!("{}:{}", role.code(), c.code()),
                    category: c.label(),
                    value: access_code(matrix.access(role, c)),
                    locked: c.is_medical() && !role.is_health_professional(),
                })
                .collect(),
        })
        .collect();
    let rules = state.db.rule_set(&principal.ctx, organisation).await?;
    let rules_json = serde_json::to_string_pretty(&rules.rules)
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(render(&AdminPage {
        chrome: Chrome::new(&principal, "Administration", "/administration")
            .with_notice(notice(&query.info)),
        accounts,
        roles: Role::ALL
            .iter()
            .map(|r| Choice {
                code: r.code().to_owned(),
                label: r.label().to_owned(),
            })
            .collect(),
        establishments,
        categories: DataCategory::ALL
            .iter()
            .map(|c| c.label().to_owned())
            .collect(),
        matrix: rows,
        rules_json,
        rules_version: format!("{} — version {}", rules.rules.id, rules.version),
        min_password: password::MIN_LENGTH,
    }))
}

/// The account form. Establishments come as repeated `etablissement` fields,
/// which `serde_urlencoded` cannot gather: they are read from the raw pairs.
type Pairs = Vec<(String, String)>;

fn one(pairs: &Pairs, name: &str) -> String {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.trim().to_owned())
        .unwrap_or_default()
}

fn all(pairs: &Pairs, name: &str) -> Vec<String> {
    pairs
        .iter()
        .filter(|(k, _)| k == name)
        .map(|(_, v)| v.clone())
        .collect()
}

pub async fn create_account(
    State(state): State<AppState>,
    principal: Principal,
    CsrfForm(form): CsrfForm<Pairs>,
) -> PageResult {
    let organisation = principal.scope.organisation;
    let login = one(&form, "identifiant");
    let name = one(&form, "nom");
    if login.is_empty() || name.is_empty() {
        return Err(ApiError::bad_field("identifiant", "identifiant et nom obligatoires").into());
    }
    if login.len() > 64
        || !login
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || ".-_@".contains(c))
    {
        return Err(ApiError::bad_field(
            "identifiant",
            "lettres sans accent, chiffres, « . », « - », « _ » ou « @ », 64 caractères au plus",
        )
        .into());
    }
    let role = Role::from_code(&one(&form, "role"))
        .ok_or_else(|| ApiError::bad_field("role", "rôle inconnu"))?;
    let secret = one(&form, "mot_de_passe");
    if let Some(rule) = password::weakness(&secret) {
        return Err(ApiError::bad_field("mot_de_passe", rule).into());
    }
    let known = state.db.establishments(&Scope::whole(organisation)).await?;
    let mut establishment_ids = Vec::new();
    for raw in all(&form, "etablissement") {
        let id = raw
            .parse::<i64>()
            .ok()
            .filter(|id| known.iter().any(|e| e.id.0 == *id))
            .ok_or_else(|| ApiError::bad_field("etablissement", "établissement inconnu"))?;
        establishment_ids.push(EstablishmentId(id));
    }
    let hash = tokio::task::spawn_blocking(move || password::hash(&secret))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?
        .map_err(ApiError::Internal)?;
    state
        .db
        .create_user(
            &principal.ctx,
            NewUser {
                organisation_id: organisation,
                login,
                display_name: name,
                role,
                professional_id: None,
                establishment_ids,
                password_hash: Some(hash),
            },
        )
        .await?;
    Ok(see_other("/administration?info=compte#comptes"))
}

#[derive(Deserialize)]
pub struct StateForm {
    #[serde(default)]
    etat: String,
}

pub async fn set_account_state(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<i64>,
    CsrfForm(form): CsrfForm<StateForm>,
) -> PageResult {
    let disable = match form.etat.as_str() {
        "desactive" => true,
        "actif" => false,
        _ => return Err(ApiError::bad_field("etat", "état attendu : actif ou desactive").into()),
    };
    if disable && id == principal.user.id.0 {
        return Err(
            ApiError::Conflict("vous ne pouvez pas désactiver votre propre compte".into()).into(),
        );
    }
    state
        .db
        .set_user_disabled(
            &principal.ctx,
            principal.scope.organisation,
            UserId(id),
            disable,
        )
        .await?;
    let info = if disable { "desactive" } else { "reactive" };
    Ok(see_other(&format!("/administration?info={info}#comptes")))
}

pub async fn save_rights(
    State(state): State<AppState>,
    principal: Principal,
    CsrfForm(form): CsrfForm<Pairs>,
) -> PageResult {
    let organisation = principal.scope.organisation;
    let mut matrix = (*state.matrix(organisation).await?).clone();
    let mut errors = Vec::new();
    for &role in Role::ALL {
        for &category in DataCategory::ALL {
            let value = one(&form, &format!("{}:{}", role.code(), category.code()));
            let access = match value.as_str() {
                // A locked cell is not sent by the browser: it stays closed.
                "" | "aucun" => Access::NONE,
                "lecture" => Access::READ,
                "ecriture" => Access::WRITE,
                other => {
                    errors.push(format!(
                        "{} / {} : valeur « {} » inconnue",
                        role.label(),
                        category.label(),
                        other.chars().take(20).collect::<String>()
                    ));
                    continue;
                }
            };
            if let Err(e) = matrix.set(role, category, access) {
                errors.push(e);
            }
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::Conflict(format!(
            "matrice non enregistrée : {}",
            errors.join(" ; ")
        ))
        .into());
    }
    state
        .db
        .set_rights(&principal.ctx, organisation, &matrix)
        .await?;
    state.matrix_changed(organisation);
    Ok(see_other(
        "/administration?info=habilitations#habilitations",
    ))
}

#[derive(Deserialize)]
pub struct RulesForm {
    #[serde(default)]
    regles: String,
}

pub async fn save_rules(
    State(state): State<AppState>,
    principal: Principal,
    CsrfForm(form): CsrfForm<RulesForm>,
) -> PageResult {
    let rules = RuleSet::from_json(&form.regles)
        .map_err(|e| ApiError::bad_field("regles", e.to_string()))?;
    let saved = state
        .db
        .save_rule_set(&principal.ctx, principal.scope.organisation, &rules)
        .await?;
    let info = match saved {
        carnet_store::SavedRuleSet::Created(_) => "regles",
        carnet_store::SavedRuleSet::Unchanged(_) => "regles-identiques",
    };
    Ok(see_other(&format!("/administration?info={info}#regles")))
}
