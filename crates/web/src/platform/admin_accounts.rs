//! The platform's accounts on a page, for CNSA agents only: the list (login,
//! name, role, scope) and the creation of one account, the same as
//! `carnet platform account` (`carnet_collect::accounts::create`, one
//! transaction). The initial password is checked (`password::weakness`),
//! hashed (`password::hash`) and then dropped: it is never logged, audited,
//! nor shown again, not even in the form sent back after an error.

use super::access::PlatformPrincipal;
use super::chrome;
use crate::error::ApiError;
use crate::pages::{Chrome, CsrfForm, PageResult, render};
use crate::{AppState, password};
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use carnet_collect::accounts::{self, NewAccount, PlatformRole, Reach};
use carnet_collect::regions::{self, Region};
use carnet_collect::versions::ArchiveError;
use carnet_core::Siret;
use carnet_store::{AuditAction, Outcome, StoreError};
use serde::Deserialize;

pub const PATH: &str = "/plateforme/comptes";

/// Who manages the platform's accounts.
pub const ADMINS: &[PlatformRole] = &[PlatformRole::Cnsa];

pub struct AccountLine {
    pub login: String,
    pub name: String,
    pub role: &'static str,
    pub scope: String,
    pub disabled: bool,
}

/// The form's values sent back after an error (never the password).
#[derive(Default)]
pub struct Entered {
    pub login: String,
    pub name: String,
    pub role: String,
    pub siret: String,
    pub region: String,
}

#[derive(Template)]
#[template(path = "plateforme/comptes.html")]
struct AccountsPage {
    chrome: Chrome,
    accounts: Vec<AccountLine>,
    roles: Vec<(&'static str, &'static str)>,
    regions: Vec<Region>,
    entered: Entered,
    /// `(field id, message)` of a refused creation.
    error: Option<(&'static str, String)>,
    created: Option<String>,
}

async fn respond(
    state: &AppState,
    who: &PlatformPrincipal,
    status: StatusCode,
    entered: Entered,
    error: Option<(&'static str, String)>,
    created: Option<String>,
) -> PageResult {
    let accounts = accounts::list(&state.db)
        .await?
        .into_iter()
        .map(|a| AccountLine {
            login: a.login,
            name: a.display_name,
            role: a.account.role().label(),
            scope: a.account.scope_label(),
            disabled: a.disabled,
        })
        .collect();
    let page = AccountsPage {
        chrome: chrome(who, "Comptes de la plateforme", PATH),
        accounts,
        roles: PlatformRole::ALL
            .iter()
            .map(|r| (r.code(), r.label()))
            .collect(),
        regions: regions::REGIONS.clone(),
        entered,
        error,
        created,
    };
    let mut response = render(&page);
    *response.status_mut() = status;
    Ok(response)
}

/// `GET /plateforme/comptes`.
pub async fn show(State(state): State<AppState>, who: PlatformPrincipal) -> PageResult {
    who.audit(&state, AuditAction::List, "collecte/comptes", Outcome::Ok)
        .await?;
    respond(&state, &who, StatusCode::OK, Entered::default(), None, None).await
}

/// The creation form. No `Debug`: it holds a password.
#[derive(Deserialize)]
pub struct AccountForm {
    #[serde(default)]
    identifiant: String,
    #[serde(default)]
    nom: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    siret: String,
    #[serde(default)]
    region: String,
    #[serde(default)]
    mot_de_passe: String,
}

/// A refused field: its id on the page and the French message.
type Refusal = (&'static str, String);

/// The account the form describes, or the first field at fault.
fn read(form: &AccountForm) -> Result<NewAccount, Refusal> {
    let login = form.identifiant.trim();
    if login.is_empty() {
        return Err(("identifiant", "identifiant : obligatoire".into()));
    }
    if login.chars().any(char::is_whitespace) || login.chars().count() > 64 {
        return Err((
            "identifiant",
            "identifiant : sans espace, 64 caractères au plus".into(),
        ));
    }
    let name = form.nom.trim();
    if name.is_empty() {
        return Err(("nom", "nom affiché : obligatoire".into()));
    }
    let Some(role) = PlatformRole::from_code(form.role.trim()) else {
        return Err((
            "role",
            "rôle : choisissez porteur, agent d'ARS, agent de la CNSA ou auditeur".into(),
        ));
    };
    let siret = form.siret.trim();
    let region = form.region.trim();
    let reach = match role {
        PlatformRole::Porteur => match Siret::parse(siret) {
            Ok(s) => Reach::Porteur(s),
            Err(e) => {
                return Err((
                    "siret",
                    format!("SIRET du porteur : {e} (obligatoire pour un porteur)"),
                ));
            }
        },
        PlatformRole::Ars => match regions::by_code(region) {
            Some(r) => Reach::Region(r),
            None => {
                return Err((
                    "region",
                    "région : choisissez la région de l'ARS (obligatoire pour un agent d'ARS)"
                        .into(),
                ));
            }
        },
        PlatformRole::Cnsa => Reach::Nation,
        PlatformRole::Auditeur => Reach::Audit,
    };
    if let Some(rule) = password::weakness(&form.mot_de_passe) {
        return Err(("mot_de_passe", format!("mot de passe initial : {rule}")));
    }
    let hash = password::hash(&form.mot_de_passe).map_err(|e| ("mot_de_passe", e))?;
    Ok(NewAccount {
        login: login.to_owned(),
        display_name: name.to_owned(),
        reach,
        password_hash: Some(hash),
    })
}

/// `POST /plateforme/comptes`: creates one account; a refusal names the field.
pub async fn create(
    State(state): State<AppState>,
    who: PlatformPrincipal,
    CsrfForm(form): CsrfForm<AccountForm>,
) -> PageResult {
    let entered = Entered {
        login: form.identifiant.trim().to_owned(),
        name: form.nom.trim().to_owned(),
        role: form.role.trim().to_owned(),
        siret: form.siret.trim().to_owned(),
        region: form.region.trim().to_owned(),
    };
    let refusal = match read(&form) {
        Err(refusal) => refusal,
        Ok(new) => match accounts::create(&state.db, &who.principal.ctx, new).await {
            Ok((user, _)) => {
                let resource = format!("collecte/compte/{}", user.id.0);
                who.audit(&state, AuditAction::Create, &resource, Outcome::Ok)
                    .await?;
                let created = format!("Compte « {} » créé.", user.login);
                return respond(
                    &state,
                    &who,
                    StatusCode::OK,
                    Entered::default(),
                    None,
                    Some(created),
                )
                .await;
            }
            Err(ArchiveError::Store(StoreError::Conflict(message))) => {
                ("identifiant", format!("identifiant : {message}"))
            }
            Err(e) => return Err(ApiError::from(e).into()),
        },
    };
    who.audit(
        &state,
        AuditAction::Create,
        "collecte/compte",
        Outcome::Refused,
    )
    .await?;
    let status = StatusCode::UNPROCESSABLE_ENTITY;
    respond(&state, &who, status, entered, Some(refusal), None).await
}
