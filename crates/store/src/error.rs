//! Errors of the store. "Not found" is never an error here: finders return
//! `Option` (STYLE.md, Storage).

use carnet_core::model::FieldError;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("erreur de la base de données")]
    Database(#[from] sqlx::Error),
    #[error("mise à jour du schéma impossible : {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("adresse de base invalide « {0} » : attendu sqlite://chemin ou postgres://…")]
    Url(String),
    /// The record breaks its own rules; each error names its field.
    #[error("données invalides : {}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join(" ; "))]
    Invalid(Vec<FieldError>),
    /// The record points to something that does not exist in this organisation,
    /// or would break a rule spanning records.
    #[error("{0}")]
    Conflict(String),
    /// Stored data that cannot be read back (edited by hand, or a bug).
    #[error("donnée stockée illisible : {0}")]
    Corrupt(String),
    #[error("lecture ou écriture de fichier : {0}")]
    Io(#[from] std::io::Error),
    /// Rules that cannot be applied, or an input the engine refuses.
    #[error("{0}")]
    Indicators(#[from] carnet_core::indicators::IndicatorError),
}

impl StoreError {
    pub(crate) fn corrupt(what: impl std::fmt::Display) -> Self {
        StoreError::Corrupt(what.to_string())
    }

    /// True when the database refused the write because of a constraint (unique,
    /// foreign key): the caller's data is at fault, not the database.
    pub fn is_constraint(&self) -> bool {
        match self {
            StoreError::Database(sqlx::Error::Database(e)) => {
                e.kind() != sqlx::error::ErrorKind::Other
            }
            _ => false,
        }
    }
}
