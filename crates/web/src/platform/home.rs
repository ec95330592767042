//! The platform's home page: who is signed in, what they reach, and the
//! projects they see, with links to their declarations and dashboards.

use super::access::PlatformPrincipal;
use super::chrome;
use crate::AppState;
use crate::pages::{Chrome, PageResult, render, see_other};
use askama::Template;
use axum::extract::State;
use axum::response::Response;
use carnet_collect::accounts::{PlatformRole, Reach};
use carnet_collect::regions::{self, Region};
use carnet_collect::versions;

pub async fn root() -> Response {
    see_other("/plateforme")
}

pub struct ProjectLine {
    pub galis: String,
    pub label: String,
    pub siret: String,
    pub desk: String,
    pub establishments: usize,
}

#[derive(Template)]
#[template(path = "plateforme/accueil.html")]
struct HomePage {
    chrome: Chrome,
    scope: String,
    porteur: bool,
    national: bool,
    region: Option<Region>,
    regions: Vec<Region>,
    projects: Vec<ProjectLine>,
    /// Declared GALIS absent from the registry (national roles only).
    unregistered: Vec<String>,
}

pub async fn show(State(state): State<AppState>, who: PlatformPrincipal) -> PageResult {
    let projects = who.projects(&state).await?;
    let national = matches!(who.account.reach, Reach::Nation | Reach::Audit);
    let unregistered = if national {
        versions::declared_projects(&state.db)
            .await?
            .into_iter()
            .filter(|g| !projects.iter().any(|p| &p.galis == g))
            .collect()
    } else {
        Vec::new()
    };
    let region = match &who.account.reach {
        Reach::Region(r) => Some(*r),
        _ => None,
    };
    let page = HomePage {
        chrome: chrome(&who, "Plateforme de collecte", "/plateforme"),
        scope: who.account.scope_label(),
        porteur: who.role() == PlatformRole::Porteur,
        national,
        region,
        regions: regions::REGIONS.clone(),
        projects: projects
            .iter()
            .map(|p| ProjectLine {
                galis: p.galis.clone(),
                label: p.label.clone().unwrap_or_default(),
                siret: p.siret.to_string(),
                desk: p.desk.label().to_owned(),
                establishments: p.establishments.len(),
            })
            .collect(),
        unregistered,
    };
    Ok(render(&page))
}
