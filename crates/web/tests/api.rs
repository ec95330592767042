//! The JSON API's story suite: one binary, each test on SQLite and, when
//! CARNET_TEST_POSTGRES_URL is set (CI sets it), on PostgreSQL too, each with
//! fresh databases. Requests go through the router (`oneshot`); one smoke test
//! uses a real socket.

// Helpers outside `#[test]` functions fail loudly too (clippy's
// allow-expect-in-tests only covers the test functions themselves).
#![allow(clippy::expect_used, clippy::unwrap_used)]

#[path = "api/support.rs"]
mod support;

#[path = "api/crud.rs"]
mod crud;
#[path = "api/errors.rs"]
mod errors;
#[path = "api/indicators.rs"]
mod indicators;
#[path = "api/isolation.rs"]
mod isolation;
#[path = "api/openapi.rs"]
mod openapi;
#[path = "api/pages.rs"]
mod pages;
#[path = "api/platform.rs"]
mod platform;
#[path = "api/platform_proofs.rs"]
mod platform_proofs;
#[path = "api/platform_registry.rs"]
mod platform_registry;
#[path = "api/platform_world.rs"]
mod platform_world;
