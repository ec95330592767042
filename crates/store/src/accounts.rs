//! What the web sign-in needs from the database: passwords (hashes only),
//! server-side sessions, failed sign-in counts, the rights matrix and the
//! persons assigned to a user. Hashing a password is the web layer's job; the
//! store only keeps what it is given.

use crate::audit::AuditAction;
use crate::tokens::{USER_COLUMNS, user_from_row};
use crate::values::{RowExt, code, ts, us};
use crate::{Db, Result, StoreError, User, WriteCtx};
use carnet_core::model::{DataCategory, OrganisationId, PersonId, Role, UserId};
use carnet_core::rights::{Access, Matrix};
use jiff::{SignedDuration, Timestamp};
use rand::RngCore;
use sha2::{Digest, Sha256};

/// A live session: who, and the token its forms must carry.
#[derive(Debug, Clone)]
pub struct Session {
    pub user: User,
    pub csrf: String,
    pub created_at: Timestamp,
}

/// How long a session lives.
#[derive(Debug, Clone, Copy)]
pub struct SessionPolicy {
    /// Without a request for this long, the session ends.
    pub idle: SignedDuration,
    /// Whatever the activity, the session ends this long after sign-in.
    pub absolute: SignedDuration,
}

impl Default for SessionPolicy {
    fn default() -> Self {
        Self {
            idle: SignedDuration::from_mins(30),
            absolute: SignedDuration::from_hours(12),
        }
    }
}

/// `last_seen` is refreshed at most this often: a page view should not be a
/// database write (SQLite has one writer).
const TOUCH_EVERY: SignedDuration = SignedDuration::from_secs(60);

/// Secrets (session ids, tokens) are kept as their SHA-256 only.
pub(crate) fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// 256 random bits from the operating system, in hex.
pub(crate) fn random_hex() -> String {
    let mut secret = [0u8; 32];
    rand::rng().fill_bytes(&mut secret);
    hex::encode(secret)
}

fn user_columns(prefix: &str) -> String {
    USER_COLUMNS
        .split(", ")
        .map(|c| format!("{prefix}.{c}"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl Db {
    /// The account and its password hash, for checking a sign-in.
    pub async fn user_for_sign_in(&self, login: &str) -> Result<Option<(User, Option<String>)>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {USER_COLUMNS}, password_hash FROM users WHERE login = $1"
        )))
        .bind(login.to_owned())
        .fetch_optional(&self.pool)
        .await?;
        match row {
            None => Ok(None),
            Some(row) => Ok(Some((user_from_row(&row)?, row.opt_text("password_hash")?))),
        }
    }

    /// Opens a session for a user who just proved who they are; returns the
    /// cookie value, shown once. A new value at every sign-in: a session id
    /// set before sign-in is never promoted (fixation).
    pub async fn open_session(&self, ctx: &WriteCtx, user: &User) -> Result<(String, Session)> {
        let token = random_hex();
        let csrf = random_hex();
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO sessions (id_hash, organisation_id, user_id, csrf, created_at_us, last_seen_us) VALUES ($1, $2, $3, $4, $5, $5)",
        )
        .bind(sha256_hex(&token))
        .bind(user.organisation_id.0)
        .bind(user.id.0)
        .bind(csrf.clone())
        .bind(us(ctx.now))
        .execute(&mut *tx)
        .await?;
        self.audit_in(
            &mut tx,
            ctx,
            user.organisation_id,
            AuditAction::Create,
            None,
            "session",
        )
        .await?;
        tx.commit().await?;
        Ok((
            token,
            Session {
                user: user.clone(),
                csrf,
                created_at: ctx.now,
            },
        ))
    }

    /// The session a cookie value designates, if it is alive and its account
    /// enabled. An expired session is deleted.
    pub async fn session(
        &self,
        token: &str,
        now: Timestamp,
        policy: SessionPolicy,
    ) -> Result<Option<Session>> {
        let hash = sha256_hex(token);
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {}, s.csrf, s.created_at_us, s.last_seen_us FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id_hash = $1",
            user_columns("u")
        )))
        .bind(hash.clone())
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let user = user_from_row(&row)?;
        let created_at = ts(row.int("created_at_us")?)?;
        let last_seen = ts(row.int("last_seen_us")?)?;
        let expired = user.disabled
            || now.duration_since(last_seen) > policy.idle
            || now.duration_since(created_at) > policy.absolute;
        if expired {
            sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
                .bind(hash)
                .execute(&self.pool)
                .await?;
            return Ok(None);
        }
        if now.duration_since(last_seen) > TOUCH_EVERY {
            sqlx::query("UPDATE sessions SET last_seen_us = $1 WHERE id_hash = $2")
                .bind(us(now))
                .bind(hash)
                .execute(&self.pool)
                .await?;
        }
        Ok(Some(Session {
            user,
            csrf: row.text("csrf")?,
            created_at,
        }))
    }

    /// Signs out this session.
    pub async fn close_session(&self, ctx: &WriteCtx, token: &str) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let row = sqlx::query("DELETE FROM sessions WHERE id_hash = $1 RETURNING organisation_id")
            .bind(sha256_hex(token))
            .fetch_optional(&mut *tx)
            .await?;
        if let Some(row) = row {
            let organisation = OrganisationId(row.int("organisation_id")?);
            self.audit_in(
                &mut tx,
                ctx,
                organisation,
                AuditAction::Update,
                None,
                "session/fin",
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Signs a user out everywhere; returns how many sessions ended.
    pub async fn close_user_sessions(
        &self,
        ctx: &WriteCtx,
        organisation: OrganisationId,
        user: UserId,
    ) -> Result<u64> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query("DELETE FROM sessions WHERE organisation_id = $1 AND user_id = $2")
            .bind(organisation.0)
            .bind(user.0)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        self.audit_in(
            &mut tx,
            ctx,
            organisation,
            AuditAction::Update,
            None,
            &format!("user/{user}/sessions/fin"),
        )
        .await?;
        tx.commit().await?;
        Ok(done)
    }

    /// Counts a failed sign-in against each key (`login:…`, `addr:…`).
    pub async fn record_sign_in_failure(&self, keys: &[String], now: Timestamp) -> Result<()> {
        let mut tx = self.begin_write().await?;
        for key in keys {
            sqlx::query("INSERT INTO sign_in_failures (key_hash, at_us) VALUES ($1, $2)")
                .bind(sha256_hex(key))
                .bind(us(now))
                .execute(&mut *tx)
                .await?;
        }
        // Old failures are of no use to throttling; keep the table small.
        sqlx::query("DELETE FROM sign_in_failures WHERE at_us < $1")
            .bind(us(now - SignedDuration::from_hours(24)))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Failed sign-ins against a key since an instant.
    pub async fn sign_in_failures(&self, key: &str, since: Timestamp) -> Result<i64> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS n FROM sign_in_failures WHERE key_hash = $1 AND at_us >= $2",
        )
        .bind(sha256_hex(key))
        .bind(us(since))
        .fetch_one(&self.pool)
        .await?;
        row.int("n")
    }

    pub async fn clear_sign_in_failures(&self, key: &str) -> Result<()> {
        sqlx::query("DELETE FROM sign_in_failures WHERE key_hash = $1")
            .bind(sha256_hex(key))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    // ----- rights matrix -----

    /// The organisation's matrix: the defaults, overlaid by its decisions.
    pub async fn rights(&self, organisation: OrganisationId) -> Result<Matrix> {
        let rows = sqlx::query(
            "SELECT role, category, can_read, can_write FROM rights WHERE organisation_id = $1",
        )
        .bind(organisation.0)
        .fetch_all(&self.pool)
        .await?;
        let mut matrix = Matrix::defaults();
        for row in &rows {
            let role = code(&row.text("role")?, Role::from_code)?;
            let category = code(&row.text("category")?, DataCategory::from_code)?;
            let access = Access {
                read: row.int("can_read")? != 0,
                write: row.int("can_write")? != 0,
            };
            // A stored cell the rules forbid (medical content to a non-health
            // role) is ignored by `Matrix::access` anyway.
            let _ = matrix.set(role, category, access);
        }
        Ok(matrix)
    }

    /// Replaces the organisation's matrix, every cell written, audited.
    pub async fn set_rights(
        &self,
        ctx: &WriteCtx,
        organisation: OrganisationId,
        matrix: &Matrix,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM rights WHERE organisation_id = $1")
            .bind(organisation.0)
            .execute(&mut *tx)
            .await?;
        for (role, category, access) in matrix.cells() {
            sqlx::query(
                "INSERT INTO rights (organisation_id, role, category, can_read, can_write) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(organisation.0)
            .bind(role.code())
            .bind(category.code())
            .bind(i64::from(access.read))
            .bind(i64::from(access.write))
            .execute(&mut *tx)
            .await?;
        }
        self.audit_in(
            &mut tx,
            ctx,
            organisation,
            AuditAction::Update,
            None,
            "matrice-habilitations",
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    // ----- accounts -----

    pub async fn users(&self, organisation: OrganisationId) -> Result<Vec<User>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {USER_COLUMNS} FROM users WHERE organisation_id = $1 ORDER BY login"
        )))
        .bind(organisation.0)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(user_from_row).collect()
    }

    pub async fn user(&self, organisation: OrganisationId, id: UserId) -> Result<Option<User>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {USER_COLUMNS} FROM users WHERE organisation_id = $1 AND id = $2"
        )))
        .bind(organisation.0)
        .bind(id.0)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(user_from_row).transpose()
    }

    /// Disables (or enables again) an account; disabling ends its sessions.
    pub async fn set_user_disabled(
        &self,
        ctx: &WriteCtx,
        organisation: OrganisationId,
        id: UserId,
        disabled: bool,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let done =
            sqlx::query("UPDATE users SET disabled = $1 WHERE organisation_id = $2 AND id = $3")
                .bind(i64::from(disabled))
                .bind(organisation.0)
                .bind(id.0)
                .execute(&mut *tx)
                .await?
                .rows_affected();
        if done == 0 {
            return Err(StoreError::Conflict(
                "compte inconnu dans cet organisme".into(),
            ));
        }
        if disabled {
            sqlx::query("DELETE FROM sessions WHERE organisation_id = $1 AND user_id = $2")
                .bind(organisation.0)
                .bind(id.0)
                .execute(&mut *tx)
                .await?;
        }
        let what = if disabled { "desactive" } else { "reactive" };
        self.audit_in(
            &mut tx,
            ctx,
            organisation,
            AuditAction::Update,
            None,
            &format!("user/{id}/{what}"),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Sets a password hash (already hashed by the caller).
    pub async fn set_password_hash(
        &self,
        ctx: &WriteCtx,
        organisation: OrganisationId,
        id: UserId,
        hash: &str,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query(
            "UPDATE users SET password_hash = $1 WHERE organisation_id = $2 AND id = $3",
        )
        .bind(hash.to_owned())
        .bind(organisation.0)
        .bind(id.0)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if done == 0 {
            return Err(StoreError::Conflict(
                "compte inconnu dans cet organisme".into(),
            ));
        }
        self.audit_in(
            &mut tx,
            ctx,
            organisation,
            AuditAction::Update,
            None,
            &format!("user/{id}/mot-de-passe"),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Persons assigned to a user (for roles that only see those).
    pub async fn assigned_persons(&self, user: &User) -> Result<Vec<PersonId>> {
        let rows = sqlx::query(
            "SELECT person_id FROM user_persons WHERE organisation_id = $1 AND user_id = $2 ORDER BY person_id",
        )
        .bind(user.organisation_id.0)
        .bind(user.id.0)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| r.int("person_id").map(PersonId))
            .collect()
    }

    pub async fn assign_person(&self, ctx: &WriteCtx, user: &User, person: PersonId) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO user_persons (organisation_id, user_id, person_id) VALUES ($1, $2, $3)",
        )
        .bind(user.organisation_id.0)
        .bind(user.id.0)
        .bind(person.0)
        .execute(&mut *tx)
        .await?;
        self.audit_in(
            &mut tx,
            ctx,
            user.organisation_id,
            AuditAction::Update,
            Some(person),
            &format!("user/{}/personnes", user.id),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
