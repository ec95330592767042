//! Who may use which route of the collection platform, decided in one place.
//!
//! Every platform route declares a [`PlatformNeed`]. [`enforce`] finds the
//! caller exactly as the DUI does (page session or API token:
//! `access::identify`), then its platform account (`carnet_collect::accounts`);
//! it refuses with 401, or 403 and a French message naming the roles allowed
//! (the refusal audited), or hands the handler a [`PlatformPrincipal`]. Which
//! *project* a caller sees is the next check, inside the handlers, through
//! [`PlatformPrincipal::project`]: a project outside the caller's scope is
//! answered 404, as an unknown one, and the attempt is audited.

use crate::AppState;
use crate::access::{self, Principal, Surface};
use crate::error::ApiError;
use crate::session;
use axum::extract::{FromRequestParts, Request};
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::Response;
use carnet_collect::accounts::{self, Account, PlatformRole, ProjectScope};
use carnet_collect::projects::{self, Project};
use carnet_collect::versions::ArchiveError;
use carnet_store::{AuditAction, Outcome};

/// What a platform route requires of its caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlatformNeed {
    /// Anyone (sign-in page, style sheet, OpenAPI document).
    Public,
    /// Any signed-in account, even one without a platform role (sign-out).
    SignedIn,
    /// A platform account with one of these roles.
    Roles(&'static [PlatformRole]),
}

pub const EVERYONE: &[PlatformRole] = &PlatformRole::ALL;
pub const SENDERS: &[PlatformRole] = &[PlatformRole::Porteur];
pub const CHECKERS: &[PlatformRole] = &[
    PlatformRole::Ars,
    PlatformRole::Cnsa,
    PlatformRole::Auditeur,
];
pub const NATIONAL: &[PlatformRole] = &[PlatformRole::Cnsa, PlatformRole::Auditeur];

impl PlatformNeed {
    /// Whether an account with this role meets the need (signed in assumed).
    pub fn allows(self, role: Option<PlatformRole>) -> bool {
        match self {
            PlatformNeed::Public | PlatformNeed::SignedIn => true,
            PlatformNeed::Roles(roles) => role.is_some_and(|r| roles.contains(&r)),
        }
    }

    fn refusal(self, role: Option<PlatformRole>) -> String {
        let PlatformNeed::Roles(roles) = self else {
            return "accès refusé".to_owned();
        };
        let allowed = roles
            .iter()
            .map(|r| format!("« {} »", r.label()))
            .collect::<Vec<_>>()
            .join(", ");
        match role {
            Some(role) => format!(
                "accès refusé : cette page de la plateforme de collecte est réservée aux rôles {allowed} (votre rôle : « {} »)",
                role.label()
            ),
            None => "accès refusé : ce compte n'a pas de rôle sur la plateforme de collecte \
                     (porteur, agent d'ARS, agent de la CNSA ou auditeur)"
                .to_owned(),
        }
    }
}

/// The signed-in caller of a platform route: the sign-in account (actor,
/// CSRF token, audit organisation) and its platform account.
#[derive(Debug, Clone)]
pub struct PlatformPrincipal {
    pub principal: Principal,
    pub account: Account,
}

impl From<ArchiveError> for ApiError {
    fn from(e: ArchiveError) -> Self {
        match e {
            ArchiveError::Store(e) => e.into(),
            e => ApiError::Internal(e.to_string()),
        }
    }
}

impl PlatformPrincipal {
    pub fn role(&self) -> PlatformRole {
        self.account.role()
    }

    /// Appends an entry to the audit log of the platform's organisation.
    pub async fn audit(
        &self,
        state: &AppState,
        action: AuditAction,
        resource: &str,
        outcome: Outcome,
    ) -> Result<(), ApiError> {
        state
            .db
            .audit(
                &self.principal.ctx,
                self.principal.scope.organisation,
                action,
                None,
                resource,
                outcome,
            )
            .await?;
        Ok(())
    }

    /// The registry's projects this caller sees.
    pub async fn projects(&self, state: &AppState) -> Result<Vec<Project>, ApiError> {
        Ok(projects::list(&state.db)
            .await?
            .into_iter()
            .filter(|p| self.account.sees(Some(&ProjectScope::of(p))))
            .collect())
    }

    /// Checks that the caller sees the project of a Référence GALIS (a GALIS
    /// absent from the registry: the national roles only). Otherwise the
    /// attempt is audited and the answer is 404, as for an unknown project.
    pub async fn project(
        &self,
        state: &AppState,
        galis: &str,
    ) -> Result<Option<Project>, ApiError> {
        let project = projects::list(&state.db)
            .await?
            .into_iter()
            .find(|p| p.galis == galis);
        let scope = project.as_ref().map(ProjectScope::of);
        if self.account.sees(scope.as_ref()) {
            return Ok(project);
        }
        self.audit(
            state,
            AuditAction::Read,
            &format!("collecte/projet/{galis}"),
            Outcome::Refused,
        )
        .await?;
        Err(ApiError::NotFound)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for PlatformPrincipal {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        // Put there by `enforce` on every route that needs a platform role.
        parts
            .extensions
            .get::<PlatformPrincipal>()
            .cloned()
            .ok_or(ApiError::Unauthenticated)
    }
}

/// Header that carries the session's CSRF token when the API is called with
/// the page session's cookie instead of a token.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// The API with a page session instead of a token (a browser script of the
/// platform's own origin): the cookie, sent only by our own pages
/// (`SameSite=Strict`), plus the session's CSRF token in [`CSRF_HEADER`].
async fn api_session(state: &AppState, parts: &Parts) -> Result<Option<Principal>, ApiError> {
    let Some(principal) = access::identify(state, Surface::Pages, parts).await? else {
        return Ok(None);
    };
    let given = parts
        .headers
        .get(CSRF_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let expected = principal.csrf.clone().unwrap_or_default();
    let trusted = session::same_origin(&parts.headers) && session::csrf_matches(&expected, given);
    Ok(trusted.then_some(Principal {
        csrf: None,
        ..principal
    }))
}

/// The layer every platform route goes through (see the module documentation).
pub async fn enforce(
    state: AppState,
    need: PlatformNeed,
    surface: Surface,
    request: Request,
    next: Next,
) -> Response {
    if need == PlatformNeed::Public {
        return next.run(request).await;
    }
    let (mut parts, body) = request.into_parts();
    let found = match access::identify(&state, surface, &parts).await {
        Ok(None) if surface == Surface::Api => api_session(&state, &parts).await,
        other => other,
    };
    let principal = match found {
        Ok(Some(p)) => p,
        Ok(None) => return access::unauthenticated(surface, &parts),
        Err(e) => return access::refusal_response(surface, e, &parts),
    };
    tracing::Span::current().record("user_id", principal.user.id.0);
    let account = match accounts::account(&state.db, principal.user.id.0).await {
        Ok(account) => account,
        Err(e) => return access::refusal_response(surface, e.into(), &parts),
    };
    let role = account.as_ref().map(Account::role);
    if !need.allows(role) {
        return access::forbidden(&state, &principal, surface, &parts, need.refusal(role)).await;
    }
    if surface == Surface::Pages
        && parts.method != axum::http::Method::GET
        && !session::same_origin(&parts.headers)
    {
        return access::refusal_response(
            surface,
            ApiError::Forbidden("formulaire envoyé depuis un autre site : refusé".into()),
            &parts,
        );
    }
    if let Some(account) = account {
        parts.extensions.insert(PlatformPrincipal {
            principal: principal.clone(),
            account,
        });
    }
    parts.extensions.insert(principal);
    next.run(Request::from_parts(parts, body)).await
}
