//! Group commit of the audit entries that stand alone (reads, lists,
//! refusals): every page view appends one, and on PostgreSQL each append
//! holds the organisation's chain head until its `COMMIT` is on disk, so
//! appends one transaction each are serialised by the disk. One task per
//! database handle takes what has queued while the previous batch committed,
//! appends it in one transaction and answers each caller once it is durable:
//! a page is still sent only after its audit entry is committed.

use crate::audit::{Actor, AuditAction, AuditWriter, Outcome};
use crate::{Db, Result, StoreError};
use carnet_core::model::{OrganisationId, PersonId};
use jiff::Timestamp;
use tokio::sync::{mpsc, oneshot};

/// Most entries committed together.
const BATCH: usize = 256;

pub(crate) struct Pending {
    pub now: Timestamp,
    pub actor: Actor,
    pub organisation: OrganisationId,
    pub action: AuditAction,
    pub person: Option<PersonId>,
    pub resource: String,
    pub outcome: Outcome,
    pub done: oneshot::Sender<Result<()>>,
}

pub(crate) type Queue = mpsc::UnboundedSender<Pending>;

/// Starts the task of `db` (a handle without a queue of its own, so that the
/// task ends when the last handle with the queue is dropped).
pub(crate) fn start(db: Db) -> Queue {
    let (sender, mut receiver) = mpsc::unbounded_channel::<Pending>();
    tokio::spawn(async move {
        while let Some(first) = receiver.recv().await {
            let mut batch = vec![first];
            while batch.len() < BATCH {
                match receiver.try_recv() {
                    Ok(next) => batch.push(next),
                    Err(_) => break,
                }
            }
            if let Err(e) = write(&db, &batch).await {
                // One bad entry must not fail the others: each alone.
                tracing::warn!(error = %e, entries = batch.len(), "audit batch failed, retrying one by one");
                for p in batch {
                    let one = write(&db, std::slice::from_ref(&p)).await;
                    let _ = p.done.send(one);
                }
                continue;
            }
            for p in batch {
                let _ = p.done.send(Ok(()));
            }
        }
    });
    sender
}

async fn write(db: &Db, batch: &[Pending]) -> Result<()> {
    let mut tx = db.begin_write().await?;
    let mut organisations: Vec<OrganisationId> = batch.iter().map(|p| p.organisation).collect();
    organisations.sort_unstable_by_key(|o| o.0);
    organisations.dedup();
    // Heads are locked in id order, so two processes never wait on each other.
    for organisation in organisations {
        let mut writer = AuditWriter::open(db, &mut tx, organisation).await?;
        for p in batch.iter().filter(|p| p.organisation == organisation) {
            writer
                .append(
                    &mut tx,
                    p.now,
                    &p.actor,
                    p.action,
                    p.person,
                    &p.resource,
                    p.outcome,
                )
                .await?;
        }
        writer.close(&mut tx).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// The answer when the task is gone (its runtime ended).
pub(crate) fn stopped() -> StoreError {
    StoreError::Conflict("journal d'audit indisponible : le serveur s'arrête".into())
}
