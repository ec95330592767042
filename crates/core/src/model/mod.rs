//! The DUI record model (SPEC.md §2). Plain data: the store persists it, the
//! interchange format serialises it, the indicator engine reads it.
//!
//! Every record carries its organisation (the tenant, DESIGN.md §4.1).
//! Instants are UTC (`jiff::Timestamp`); calendar dates (birth, stay) are
//! `jiff::civil::Date` in the establishment's local time.

mod codes;
mod ids;
mod records;

pub use codes::*;
pub use ids::*;
pub use records::*;
