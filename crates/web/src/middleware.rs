//! What every response gets, whatever the route: a request id and its log
//! span (ids only, never the query string, which may hold a name), and the
//! security headers. The API serves personal data: nothing may be cached,
//! framed, sniffed or leak through a referrer.

use crate::request_id;
use axum::extract::Request;
use axum::http::HeaderValue;
use axum::http::header::{self, HeaderName};
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;

const SECURITY_HEADERS: &[(HeaderName, &str)] = &[
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    (header::REFERRER_POLICY, "no-referrer"),
    (header::X_FRAME_OPTIONS, "DENY"),
];

/// The API answers data, never documents to render.
const API_CSP: &str = "default-src 'none'; frame-ancestors 'none'; sandbox";
/// Pages: our own style sheet and script files only, no inline script, forms
/// posted to ourselves, never framed.
const PAGES_CSP: &str = "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

pub const REQUEST_ID_HEADER: &str = "x-request-id";

pub async fn around(request: Request, next: Next) -> Response {
    let id = request_id::next();
    let api = request.uri().path().starts_with("/api/");
    let static_file = request.uri().path().starts_with("/static/");
    let span = tracing::info_span!(
        "request",
        request_id = %id,
        method = %request.method(),
        path = %request.uri().path(),
        user_id = tracing::field::Empty,
        status = tracing::field::Empty,
    );
    let started = std::time::Instant::now();
    let mut response =
        request_id::scope(id.clone(), next.run(request).instrument(span.clone())).await;
    span.record("status", response.status().as_u16());
    span.in_scope(|| {
        tracing::info!(
            elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            "served"
        );
    });
    let headers = response.headers_mut();
    for (name, value) in SECURITY_HEADERS {
        headers.insert(name.clone(), HeaderValue::from_static(value));
    }
    // A page may bring its own policy, as strict as the pages' one but for
    // what it names (the flash report allows its one inline style sheet by
    // its hash); otherwise the surface's. The API always gets its own.
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) || api {
        let csp = if api { API_CSP } else { PAGES_CSP };
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(csp),
        );
    }
    // Personal data is never kept by a browser or a proxy; the style sheet
    // may be.
    if !static_file {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if let Ok(value) = HeaderValue::from_str(&id) {
        headers.insert(REQUEST_ID_HEADER, value);
    }
    response
}
