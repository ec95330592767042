//! Carnet's persistence: one query layer (sqlx `Any`) over SQLite (embedded
//! default, WAL, foreign keys on) and PostgreSQL. Owns the schema and its
//! migrations (one folder per dialect, same numbers), the audit chain, and the
//! interchange import/export. Every write runs in one transaction that also
//! appends its audit entry. This crate never reads the clock: the caller passes
//! `now` in a [`WriteCtx`].

mod accounts;
mod activity;
mod audit;
mod audit_queue;
mod db;
mod declarations;
mod error;
pub mod interchange;
mod records;
mod rule_sets;
mod tokens;
#[doc(hidden)]
pub mod values;

pub use accounts::{Session, SessionPolicy};
pub use activity::Touch;
pub use audit::{Actor, AuditAction, AuditEntry, AuditProblem, Outcome};
pub use db::{Backend, Db};
pub use declarations::{Declaration, DeclarationKind, NewDeclaration};
pub use error::StoreError;
pub use records::{Attached, Dossier, DossierParts, ListFilter, Page, PersonFilter, Record, Scope};
pub use rule_sets::{SavedRuleSet, StoredRuleSet};
pub use tokens::{NewUser, TokenOwner, User};

use jiff::Timestamp;

/// Who writes and when: every write carries it into its audit entry.
#[derive(Debug, Clone)]
pub struct WriteCtx {
    pub actor: Actor,
    pub now: Timestamp,
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;
