#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::disallowed_methods,
    reason = "test helpers: a failed set-up should stop the test loudly"
)]
//! The store's story suite, run on SQLite and, when CARNET_TEST_POSTGRES_URL is
//! set (CI sets it), on PostgreSQL too. Each test gets fresh databases.

mod support;

mod accounts;
mod activity;
mod audit;
mod declarations;
mod demo_index;
mod interchange;
mod records;
mod rule_sets;
mod schema;
