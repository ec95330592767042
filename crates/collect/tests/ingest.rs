//! The one integration-test binary of carnet-collect (STYLE.md: one per crate).
//! Workbooks are generated with rust_xlsxwriter, one messy case per test, plus
//! the two shared fixtures; hostile containers are crafted with the zip crate.

#![allow(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] functions: a failed unwrap is a failed test"
)]

#[path = "ingest/batch.rs"]
mod batch;
#[path = "ingest/fixtures.rs"]
mod fixtures;
#[path = "ingest/flash.rs"]
mod flash;
#[path = "ingest/funding.rs"]
mod funding;
#[path = "ingest/limits.rs"]
mod limits;
#[path = "ingest/platform.rs"]
mod platform;
#[path = "ingest/proofs.rs"]
mod proofs;
#[path = "ingest/rules.rs"]
mod rules;
#[path = "ingest/sampling.rs"]
mod sampling;
#[path = "ingest/support.rs"]
mod support;
#[path = "ingest/versions.rs"]
mod versions;
