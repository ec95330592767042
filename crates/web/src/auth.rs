//! Who is calling: the `Authorization: Bearer carnet_…` API token, resolved by
//! the store (which keeps only its hash). Every handler that touches records
//! takes a [`Caller`], so an unauthenticated request never reaches the store,
//! and the scope it passes down is the token owner's, never the client's.

use crate::AppState;
use crate::error::ApiError;
use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use carnet_store::{Actor, AuditAction, Outcome, Record, Scope, WriteCtx};

/// The authenticated caller of one request.
#[derive(Debug, Clone)]
pub struct Caller {
    pub scope: Scope,
    /// Actor and instant of this request, for the store's audit entries.
    pub ctx: WriteCtx,
}

fn bearer(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && token.starts_with("carnet_")).then_some(token)
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = bearer(parts).ok_or(ApiError::Unauthenticated)?;
        let user = state
            .db
            .token_owner(token)
            .await?
            .ok_or(ApiError::Unauthenticated)?;
        tracing::Span::current().record("user_id", user.id.0);
        Ok(Caller {
            scope: user.scope(),
            ctx: WriteCtx {
                actor: Actor::User(user.id),
                now: (state.clock)(),
            },
        })
    }
}

impl Caller {
    /// The answer to an id the caller may not see: always 404. When the record
    /// exists in the caller's organisation (outside their establishments), the
    /// refusal is audited on the person's record.
    pub async fn refused<R: Record>(
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
