//! Carnet's domain: identifiers, regions, the DUI record model, periods, the
//! usage indicators, the funding rules of each call and the EU audit samples.
//! This crate owns the rules of SPEC.md and must never do I/O, read the clock
//! or depend on a database or HTTP crate: `now` and the period are always
//! arguments, so that the same functions serve the CLI, the API, the
//! workbook and the proof, and are tested at 23:59 on a DST day.

pub mod funding;
pub mod ids;
pub mod indicators;
pub mod interchange;
pub mod model;
pub mod region;
pub mod rights;
pub mod sampling;
pub mod text;

pub use ids::{Finess, IdError, Ins, InsOid, Rpps, Siren, Siret};
