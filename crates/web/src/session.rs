//! Page sessions: a random cookie value whose SHA-256 the store keeps with the
//! account, a CSRF token per session, idle and absolute timeouts
//! ([`SessionPolicy`]).
//!
//! Why not `tower-sessions`: Carnet needs what it does not give together —
//! session ids stored hashed (a database copy must not sign anyone in), "sign
//! out everywhere" per account, an absolute lifetime, and the same SQL text on
//! SQLite and PostgreSQL through the store's own migrations. What is left is a
//! cookie, which the `cookie` crate writes.
//!
//! A sign-in method (local password today, Pro Santé Connect tomorrow) only
//! has to establish who the user is and call [`open`]: the pages never know
//! how the session began.

use crate::AppState;
use crate::error::ApiError;
use axum::http::header::{COOKIE, HOST, ORIGIN, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue};
use carnet_store::{Session, SessionPolicy, User, WriteCtx};
use cookie::{Cookie, SameSite};

pub const COOKIE_NAME: &str = "carnet_session";

/// The session cookie's value in a request, if any.
pub fn cookie_value(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == COOKIE_NAME)
        .map(|c| c.value().to_owned())
}

/// The live session of a page request.
pub async fn current(state: &AppState, parts: &Parts) -> Result<Option<Session>, ApiError> {
    let Some(token) = cookie_value(&parts.headers) else {
        return Ok(None);
    };
    Ok(state
        .db
        .session(&token, (state.clock)(), SessionPolicy::default())
        .await?)
}

/// Opens a session for a user whose identity a sign-in method has just
/// established; returns the `Set-Cookie` header. A fresh value every time:
/// whatever cookie the browser had before sign-in is never promoted.
pub async fn open(state: &AppState, ctx: &WriteCtx, user: &User) -> Result<HeaderValue, ApiError> {
    let (token, _) = state.db.open_session(ctx, user).await?;
    set_cookie(state, token, false)
}

/// Ends the request's session; returns the header that removes the cookie.
pub async fn close(
    state: &AppState,
    ctx: &WriteCtx,
    headers: &HeaderMap,
) -> Result<HeaderValue, ApiError> {
    if let Some(token) = cookie_value(headers) {
        state.db.close_session(ctx, &token).await?;
    }
    set_cookie(state, String::new(), true)
}

fn set_cookie(state: &AppState, value: String, remove: bool) -> Result<HeaderValue, ApiError> {
    let mut cookie = Cookie::build((COOKIE_NAME, value))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(state.secure_cookies)
        .build();
    if remove {
        cookie.make_removal();
    }
    HeaderValue::from_str(&cookie.to_string())
        .map_err(|e| ApiError::Internal(format!("en-tête {SET_COOKIE} : {e}")))
}

/// Whether a state-changing page request comes from our own pages. The CSRF
/// token is the real check; this refuses what browsers already label as
/// cross-site.
pub fn same_origin(headers: &HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site") {
        return matches!(site.to_str(), Ok("same-origin" | "none"));
    }
    match (headers.get(ORIGIN), headers.get(HOST)) {
        (Some(origin), Some(host)) => {
            let origin = origin.to_str().unwrap_or_default();
            let host = host.to_str().unwrap_or_default();
            origin
                .split_once("://")
                .is_some_and(|(_, rest)| rest == host)
        }
        _ => true,
    }
}

/// Compares a submitted CSRF token with the session's, in constant time.
pub fn csrf_matches(expected: &str, given: &str) -> bool {
    let (a, b) = (expected.as_bytes(), given.as_bytes());
    a.len() == b.len() && !a.is_empty() && a.iter().zip(b).fold(0u8, |d, (x, y)| d | (x ^ y)) == 0
}
