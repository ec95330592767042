//! Sign-in with a local account (login + password), sign-out, and sign-out
//! everywhere. Failed attempts are counted per account and per address; past
//! the limits, the password is not even checked until the window has passed.
//! Any other sign-in method (Pro Santé Connect) ends like this one does: by
//! calling `session::open` with the account it has identified.

use super::{CsrfForm, PageResult, render, see_other};
use crate::AppState;
use crate::access::Principal;
use crate::{password, session};
use askama::Template;
use axum::extract::{ConnectInfo, FromRequestParts, Query, State};
use axum::http::header::SET_COOKIE;
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use carnet_store::{Actor, WriteCtx};
use jiff::SignedDuration;
use serde::Deserialize;
use std::net::SocketAddr;

/// Failed attempts allowed in [`WINDOW`] for one account.
const PER_ACCOUNT: i64 = 5;
/// Failed attempts allowed in [`WINDOW`] from one address (a shared office
/// connection serves many people).
const PER_ADDRESS: i64 = 30;
const WINDOW: SignedDuration = SignedDuration::from_mins(15);

#[derive(Template)]
#[template(path = "sign_in.html")]
struct SignInPage {
    error: Option<String>,
    login: String,
    next: String,
    /// The collection platform's sign-in (same accounts, other words).
    platform: bool,
}

#[derive(Deserialize, Default)]
pub struct Next {
    #[serde(default)]
    suite: String,
}

/// Only a path of ours: never another site (open redirect).
fn safe_next(next: &str) -> String {
    if next.starts_with('/') && !next.starts_with("//") && !next.contains('\\') {
        next.to_owned()
    } else {
        "/".to_owned()
    }
}

pub async fn form(Query(next): Query<Next>) -> Response {
    render(&SignInPage {
        error: None,
        login: String::new(),
        next: safe_next(&next.suite),
        platform: false,
    })
}

/// The sign-in form of the collection platform.
pub async fn platform_form(Query(next): Query<Next>) -> Response {
    render(&SignInPage {
        error: None,
        login: String::new(),
        next: safe_next(&next.suite),
        platform: true,
    })
}

/// The peer address (the socket's; a reverse proxy in front would need its
/// trusted `X-Forwarded-For` read here), or « inconnue » in tests.
pub struct ClientAddr(String);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientAddr(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map_or_else(|| "inconnue".to_owned(), |c| c.0.ip().to_string()),
        ))
    }
}

#[derive(Deserialize)]
pub struct Credentials {
    #[serde(default)]
    identifiant: String,
    #[serde(default)]
    mot_de_passe: String,
    #[serde(default)]
    suite: String,
}

fn refused(
    platform: bool,
    status: StatusCode,
    login: String,
    next: String,
    message: &str,
) -> Response {
    let mut response = render(&SignInPage {
        error: Some(message.to_owned()),
        login,
        next,
        platform,
    });
    *response.status_mut() = status;
    response
}

pub async fn submit(
    State(state): State<AppState>,
    ClientAddr(address): ClientAddr,
    headers: HeaderMap,
    axum::Form(credentials): axum::Form<Credentials>,
) -> PageResult {
    sign_in(false, state, address, headers, credentials).await
}

/// The sign-in of the collection platform: the same checks, its own words.
pub async fn platform_submit(
    State(state): State<AppState>,
    ClientAddr(address): ClientAddr,
    headers: HeaderMap,
    axum::Form(credentials): axum::Form<Credentials>,
) -> PageResult {
    sign_in(true, state, address, headers, credentials).await
}

async fn sign_in(
    platform: bool,
    state: AppState,
    address: String,
    headers: HeaderMap,
    credentials: Credentials,
) -> PageResult {
    let next = safe_next(&credentials.suite);
    let login = credentials.identifiant.trim().to_owned();
    // Sign-in has no session yet, so no CSRF token: the cookie is
    // SameSite=Strict and a cross-site post is refused here.
    if !session::same_origin(&headers) {
        return Ok(refused(
            platform,
            StatusCode::FORBIDDEN,
            login,
            next,
            "Formulaire envoyé depuis un autre site : refusé.",
        ));
    }
    if login.is_empty() || credentials.mot_de_passe.is_empty() {
        return Ok(refused(
            platform,
            StatusCode::UNPROCESSABLE_ENTITY,
            login,
            next,
            "Saisissez votre identifiant et votre mot de passe.",
        ));
    }
    let now = (state.clock)();
    let keys = [
        format!("login:{}", login.to_lowercase()),
        format!("addr:{address}"),
    ];
    let since = now - WINDOW;
    let by_account = state.db.sign_in_failures(&keys[0], since).await?;
    let by_address = state.db.sign_in_failures(&keys[1], since).await?;
    if by_account >= PER_ACCOUNT || by_address >= PER_ADDRESS {
        return Ok(refused(
            platform,
            StatusCode::TOO_MANY_REQUESTS,
            login,
            next,
            "Trop de tentatives de connexion échouées : patientez 15 minutes avant de réessayer, \
             ou demandez à votre administrateur de vérifier votre compte.",
        ));
    }
    let found = state.db.user_for_sign_in(&login).await?;
    let (user, hash) = match found {
        Some((user, hash)) if !user.disabled => (Some(user), hash),
        _ => (None, None),
    };
    let verified = password::verify(credentials.mot_de_passe, hash).await;
    let Some(user) = user.filter(|_| verified) else {
        state.db.record_sign_in_failure(&keys, now).await?;
        return Ok(refused(
            platform,
            StatusCode::UNAUTHORIZED,
            login,
            next,
            "Identifiant ou mot de passe incorrect (ou compte désactivé).",
        ));
    };
    state.db.clear_sign_in_failures(&keys[0]).await?;
    let ctx = WriteCtx {
        actor: Actor::User(user.id),
        now,
    };
    let cookie = session::open(&state, &ctx, &user).await?;
    let mut response = see_other(&next);
    response.headers_mut().insert(SET_COOKIE, cookie);
    Ok(response)
}

#[derive(Deserialize)]
pub struct Nothing {}

pub async fn sign_out(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    CsrfForm(_): CsrfForm<Nothing>,
) -> PageResult {
    let cookie = session::close(&state, &principal.ctx, &headers).await?;
    let mut response = see_other("/connexion");
    response.headers_mut().insert(SET_COOKIE, cookie);
    Ok(response)
}

pub async fn sign_out_everywhere(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    CsrfForm(_): CsrfForm<Nothing>,
) -> PageResult {
    state
        .db
        .close_user_sessions(
            &principal.ctx,
            principal.scope.organisation,
            principal.user.id,
        )
        .await?;
    let cookie = session::close(&state, &principal.ctx, &headers).await?;
    let mut response = see_other("/connexion");
    response.headers_mut().insert(SET_COOKIE, cookie);
    Ok(response)
}

impl IntoResponse for SignInPage {
    fn into_response(self) -> Response {
        render(&self)
    }
}
