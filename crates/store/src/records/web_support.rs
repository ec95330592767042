//! Small reads the web layer needs beyond the scoped API: they never return
//! personal data, only whether something exists, so that a refused access can
//! be audited while the client still gets a plain 404.

use super::generic::{self, Record};
use crate::{Db, Result};
use carnet_core::model::{Document, DocumentId, DocumentType, OrganisationId, PersonId};

impl Db {
    /// Whether a record with this id exists in the organisation, whatever the
    /// caller's establishments; `Some(person)` holds the person it belongs to
    /// (if any). Used to audit a refused access: the caller still gets 404.
    pub async fn record_in_organisation<R: Record>(
        &self,
        organisation: OrganisationId,
        id: i64,
    ) -> Result<Option<Option<PersonId>>> {
        let mut conn = self.pool.acquire().await?;
        let record = generic::get::<R>(&mut conn, organisation, id).await?;
        Ok(record.map(|r| r.person()))
    }

    /// The type of a document of the organisation, to check the caller's
    /// right on it before anything is read (and audited). A type code is not
    /// personal data.
    pub async fn document_type(
        &self,
        organisation: OrganisationId,
        id: DocumentId,
    ) -> Result<Option<DocumentType>> {
        let mut conn = self.pool.acquire().await?;
        let document = generic::get::<Document>(&mut conn, organisation, id.0).await?;
        Ok(document.map(|d| d.type_code))
    }
}
