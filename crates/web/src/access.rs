//! Who may do what, decided in one place for the pages and the JSON API.
//!
//! Every route of both tables declares a [`Need`]. The [`enforce`] layer, put
//! on every route by the router, finds who is calling (an API token or a page
//! session), checks the need against the organisation's rights matrix and
//! either refuses (401/403, the refusal audited) or hands the [`Principal`] to
//! the handler. A handler cannot forget the check: it only ever sees a caller
//! that passed it. Finer checks inside a route (an event kind, a document type)
//! ask the same matrix through [`Principal::require`].

use crate::AppState;
use crate::error::ApiError;
use crate::session;
use axum::extract::{FromRequestParts, Request};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use carnet_core::model::{DataCategory, DocumentType, EventKind, Role};
use carnet_core::rights::{Matrix, Mode};
use carnet_store::{Actor, AuditAction, Outcome, Scope, User, WriteCtx};
use std::sync::Arc;

/// What a route requires of its caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// Anyone, signed in or not (sign-in page, style sheet, OpenAPI).
    Public,
    /// Any signed-in account.
    SignedIn,
    /// The right `Mode` on at least one of these categories.
    Data(&'static [DataCategory], Mode),
    /// The administration pages: the administrator role only.
    Admin,
}

impl Need {
    pub const fn read(categories: &'static [DataCategory]) -> Need {
        Need::Data(categories, Mode::Read)
    }

    pub const fn write(categories: &'static [DataCategory]) -> Need {
        Need::Data(categories, Mode::Write)
    }

    /// Whether a role with this matrix meets the need (signed in assumed).
    pub fn allows(self, role: Role, matrix: &Matrix) -> bool {
        match self {
            Need::Public | Need::SignedIn => true,
            Need::Admin => role == Role::Administrateur,
            Need::Data(categories, mode) => {
                categories.iter().any(|&c| matrix.allows(role, c, mode))
            }
        }
    }

    fn refusal(self, role: Role) -> String {
        match self {
            Need::Public | Need::SignedIn => "accès refusé".to_owned(),
            Need::Admin => format!(
                "accès refusé : l'administration est réservée au rôle « administrateur » (votre rôle : « {} »)",
                role.label()
            ),
            Need::Data(categories, mode) => data_refusal(role, categories, mode),
        }
    }
}

fn data_refusal(role: Role, categories: &[DataCategory], mode: Mode) -> String {
    format!(
        "accès refusé : votre rôle « {} » n'a pas le droit de {} sur « {} » (matrice d'habilitations)",
        role.label(),
        mode.label(),
        categories
            .iter()
            .map(|c| c.label())
            .collect::<Vec<_>>()
            .join(" » ou « ")
    )
}

/// Where a route lives: it decides how the caller proves who they are and
/// how a refusal looks (JSON or a page).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Surface {
    Api,
    Pages,
}

/// The signed-in caller of one request, as every handler sees it.
#[derive(Debug, Clone)]
pub struct Principal {
    pub user: User,
    /// Organisation, establishments and, for an intervenant extérieur, the
    /// persons assigned to them.
    pub scope: Scope,
    pub matrix: Arc<Matrix>,
    /// Actor and instant of this request, for the store's audit entries.
    pub ctx: WriteCtx,
    /// Token the forms of this page session must carry (none for the API).
    pub csrf: Option<String>,
}

impl Principal {
    pub fn role(&self) -> Role {
        self.user.role
    }

    pub fn may(&self, category: DataCategory, mode: Mode) -> bool {
        self.matrix.allows(self.user.role, category, mode)
    }

    pub fn require(&self, category: DataCategory, mode: Mode) -> Result<(), ApiError> {
        if self.may(category, mode) {
            Ok(())
        } else {
            Err(ApiError::Forbidden(data_refusal(
                self.role(),
                &[category],
                mode,
            )))
        }
    }

    /// Event kinds whose category this caller may read or write.
    pub fn event_kinds(&self, mode: Mode) -> Vec<EventKind> {
        EventKind::ALL
            .iter()
            .copied()
            .filter(|k| self.may(k.category(), mode))
            .collect()
    }

    /// Document types whose category this caller may read or write.
    pub fn document_types(&self, mode: Mode) -> Vec<DocumentType> {
        DocumentType::ALL
            .iter()
            .copied()
            .filter(|t| self.may(t.category(), mode))
            .collect()
    }

    /// Builds the principal of an authenticated account: its matrix (cached
    /// per organisation) and, for roles limited to assigned persons, those.
    pub async fn load(
        state: &AppState,
        user: User,
        csrf: Option<String>,
    ) -> Result<Principal, ApiError> {
        let matrix = state.matrix(user.organisation_id).await?;
        let mut scope = user.scope();
        if user.role.assigned_persons_only() {
            scope.persons = Some(state.db.assigned_persons(&user).await?);
        }
        Ok(Principal {
            ctx: WriteCtx {
                actor: Actor::User(user.id),
                now: (state.clock)(),
            },
            user,
            scope,
            matrix,
            csrf,
        })
    }
}

fn bearer(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && token.starts_with("carnet_")).then_some(token)
}

/// The account behind the request, if any.
pub(crate) async fn identify(
    state: &AppState,
    surface: Surface,
    parts: &Parts,
) -> Result<Option<Principal>, ApiError> {
    match surface {
        Surface::Api => {
            let Some(token) = bearer(parts) else {
                return Ok(None);
            };
            match state.db.token_owner(token).await? {
                Some(user) => Principal::load(state, user, None).await.map(Some),
                None => Ok(None),
            }
        }
        Surface::Pages => match session::current(state, parts).await? {
            Some(found) => Principal::load(state, found.user, Some(found.csrf))
                .await
                .map(Some),
            None => Ok(None),
        },
    }
}

/// The layer every route goes through (see the module documentation).
pub async fn enforce(
    state: AppState,
    need: Need,
    surface: Surface,
    request: Request,
    next: Next,
) -> Response {
    if need == Need::Public {
        return next.run(request).await;
    }
    let (mut parts, body) = request.into_parts();
    let principal = match identify(&state, surface, &parts).await {
        Ok(Some(p)) => p,
        Ok(None) => return unauthenticated(surface, &parts),
        Err(e) => return refusal_response(surface, e, &parts),
    };
    tracing::Span::current().record("user_id", principal.user.id.0);
    if !need.allows(principal.role(), &principal.matrix) {
        let message = need.refusal(principal.role());
        return forbidden(&state, &principal, surface, &parts, message).await;
    }
    if surface == Surface::Pages
        && parts.method != axum::http::Method::GET
        && !session::same_origin(&parts.headers)
    {
        return refusal_response(
            surface,
            ApiError::Forbidden("formulaire envoyé depuis un autre site : refusé".into()),
            &parts,
        );
    }
    parts.extensions.insert(principal);
    next.run(Request::from_parts(parts, body)).await
}

/// A 403 for a caller whose role may not use the route, written to the
/// access log first (person unknown at this level).
pub(crate) async fn forbidden(
    state: &AppState,
    principal: &Principal,
    surface: Surface,
    parts: &Parts,
    message: String,
) -> Response {
    let resource = format!("refus {}", parts.uri.path());
    let audited = state
        .db
        .audit(
            &principal.ctx,
            principal.scope.organisation,
            AuditAction::Read,
            None,
            &resource,
            Outcome::Refused,
        )
        .await;
    if let Err(e) = audited {
        return refusal_response(surface, e.into(), parts);
    }
    refusal_response(surface, ApiError::Forbidden(message), parts)
}

pub(crate) fn unauthenticated(surface: Surface, parts: &Parts) -> Response {
    match surface {
        Surface::Api => ApiError::Unauthenticated.into_response(),
        Surface::Pages => crate::pages::sign_in_redirect(parts),
    }
}

pub(crate) fn refusal_response(surface: Surface, error: ApiError, parts: &Parts) -> Response {
    match surface {
        Surface::Api => error.into_response(),
        Surface::Pages => crate::pages::error_page(error, parts),
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Principal {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        // Put there by `enforce`; absent only on a public route, which must
        // not ask for a principal.
        parts
            .extensions
            .get::<Principal>()
            .cloned()
            .ok_or(ApiError::Unauthenticated)
    }
}

impl Principal {
    /// The answer to an id the caller may not see: always 404. When the record
    /// exists in the caller's organisation (outside their establishments), the
    /// refusal is audited on the person's record.
    pub async fn refused<R: carnet_store::Record>(
        &self,
        state: &AppState,
        action: AuditAction,
        id: i64,
    ) -> ApiError {
        let organisation = self.scope.organisation;
        match state.db.record_in_organisation::<R>(organisation, id).await {
            Ok(Some(person)) => {
                let resource = format!("{}/{id}", R::KIND);
                if let Err(e) = state
                    .db
                    .audit(
                        &self.ctx,
                        organisation,
                        action,
                        person,
                        &resource,
                        Outcome::Refused,
                    )
                    .await
                {
                    return e.into();
                }
                ApiError::NotFound
            }
            Ok(None) => ApiError::NotFound,
            Err(e) => e.into(),
        }
    }
}
