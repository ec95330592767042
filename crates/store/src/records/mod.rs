//! Reading and writing the records of the DUI. `tables` maps each record onto
//! its table once; `generic` builds the SQL from that mapping; `api` holds the
//! write paths (validate, check references in the organisation, write, audit —
//! one transaction) and the scoped reads used by the API and the pages.

mod api;
mod dossier;
mod generic;
mod tables;
mod web_support;

pub use api::{Attached, ListFilter, PersonFilter, Scope};
pub(crate) use api::{insert_status_change, put_blob};
pub use dossier::{Dossier, DossierParts};
pub use generic::Record;
pub(crate) use generic::{insert, insert_if_stay_sql, insert_many, select_sql as generic_select};
pub(crate) use tables::load_care_plan_history;

/// Keyset pagination: records with an id greater than `after`, at most `limit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub after: i64,
    pub limit: i64,
}

impl Page {
    pub const MAX_LIMIT: i64 = 500;

    pub fn new(after: Option<i64>, limit: Option<i64>) -> Self {
        Self {
            after: after.unwrap_or(0),
            limit: limit.unwrap_or(50).clamp(1, Self::MAX_LIMIT),
        }
    }
}
