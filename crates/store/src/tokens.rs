//! Accounts and their API tokens. A token is a random 256-bit secret shown once;
//! only its SHA-256 is stored, so a stolen database does not give access.

use crate::audit::AuditAction;
use crate::records::Scope;
use crate::values::{RowExt, code, from_json, json, us};
use crate::{Db, Result, StoreError, WriteCtx};
use carnet_core::model::{EstablishmentId, OrganisationId, ProfessionalId, Role, UserId};

#[derive(Debug, Clone)]
pub struct NewUser {
    pub organisation_id: OrganisationId,
    pub login: String,
    pub display_name: String,
    pub role: Role,
    pub professional_id: Option<ProfessionalId>,
    /// Empty: every establishment of the organisation.
    pub establishment_ids: Vec<EstablishmentId>,
    pub password_hash: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: UserId,
    pub organisation_id: OrganisationId,
    pub login: String,
    pub display_name: String,
    pub role: Role,
    pub professional_id: Option<ProfessionalId>,
    pub establishment_ids: Vec<EstablishmentId>,
    pub disabled: bool,
}

impl User {
    /// What this user may see.
    pub fn scope(&self) -> Scope {
        Scope {
            organisation: self.organisation_id,
            establishments: if self.establishment_ids.is_empty() {
                None
            } else {
                Some(self.establishment_ids.clone())
            },
            persons: None,
        }
    }
}

/// The account a token was issued to.
pub type TokenOwner = User;

fn token_hash(token: &str) -> String {
    crate::accounts::sha256_hex(token)
}

pub(crate) const USER_COLUMNS: &str =
    "id, organisation_id, login, display_name, role, professional_id, establishment_ids, disabled";

pub(crate) fn user_from_row(row: &sqlx::any::AnyRow) -> Result<User> {
    Ok(User {
        id: UserId(row.int("id")?),
        organisation_id: OrganisationId(row.int("organisation_id")?),
        login: row.text("login")?,
        display_name: row.text("display_name")?,
        role: code(&row.text("role")?, Role::from_code)?,
        professional_id: row.opt_int("professional_id")?.map(ProfessionalId),
        establishment_ids: from_json(&row.text("establishment_ids")?)?,
        disabled: row.int("disabled")? != 0,
    })
}

impl Db {
    pub async fn create_user(&self, ctx: &WriteCtx, user: NewUser) -> Result<User> {
        let mut tx = self.begin_write().await?;
        let created = self.create_user_in(&mut tx, ctx, user).await?;
        tx.commit().await?;
        Ok(created)
    }

    /// [`Db::create_user`] inside the caller's write transaction (from
    /// [`Db::begin_write`]), for a crate that writes its own row for the new
    /// account (the collection platform's role): both are committed, or
    /// neither, and a failure never leaves a login without that row.
    pub async fn create_user_in(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        ctx: &WriteCtx,
        user: NewUser,
    ) -> Result<User> {
        if user.login.trim().is_empty() {
            return Err(StoreError::Conflict(
                "l'identifiant de connexion est obligatoire".into(),
            ));
        }
        let taken = sqlx::query("SELECT COUNT(*) AS n FROM users WHERE login = $1")
            .bind(user.login.clone())
            .fetch_one(&mut **tx)
            .await?;
        if taken.int("n")? > 0 {
            return Err(StoreError::Conflict(format!(
                "l'identifiant « {} » est déjà pris",
                user.login
            )));
        }
        let row = sqlx::query(
            "INSERT INTO users (organisation_id, login, display_name, role, professional_id, establishment_ids, password_hash, disabled) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, 0) RETURNING id",
        )
        .bind(user.organisation_id.0)
        .bind(user.login.clone())
        .bind(user.display_name.clone())
        .bind(user.role.code())
        .bind(user.professional_id.map(|p| p.0))
        .bind(json(&user.establishment_ids))
        .bind(user.password_hash.clone())
        .fetch_one(&mut **tx)
        .await?;
        let id = UserId(row.int("id")?);
        self.audit_in(
            tx,
            ctx,
            user.organisation_id,
            AuditAction::Create,
            None,
            &format!("user/{id}"),
        )
        .await?;
        Ok(User {
            id,
            organisation_id: user.organisation_id,
            login: user.login,
            display_name: user.display_name,
            role: user.role,
            professional_id: user.professional_id,
            establishment_ids: user.establishment_ids,
            disabled: false,
        })
    }

    pub async fn user_by_login(&self, login: &str) -> Result<Option<User>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {USER_COLUMNS} FROM users WHERE login = $1"
        )))
        .bind(login.to_owned())
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(user_from_row).transpose()
    }

    /// Issues a new token for a user; the clear token is returned once.
    pub async fn create_token(&self, ctx: &WriteCtx, user: &User, label: &str) -> Result<String> {
        let token = format!("carnet_{}", crate::accounts::random_hex());
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO api_tokens (organisation_id, user_id, token_hash, label, created_at_us, revoked) VALUES ($1, $2, $3, $4, $5, 0)",
        )
        .bind(user.organisation_id.0)
        .bind(user.id.0)
        .bind(token_hash(&token))
        .bind(label.to_owned())
        .bind(us(ctx.now))
        .execute(&mut *tx)
        .await?;
        self.audit_in(
            &mut tx,
            ctx,
            user.organisation_id,
            AuditAction::Create,
            None,
            &format!("api_token/user/{}", user.id),
        )
        .await?;
        tx.commit().await?;
        Ok(token)
    }

    /// The active account a token belongs to, if the token is valid.
    pub async fn token_owner(&self, token: &str) -> Result<Option<TokenOwner>> {
        let sql = format!(
            "SELECT {} FROM users u JOIN api_tokens t ON t.user_id = u.id \
             WHERE t.token_hash = $1 AND t.revoked = 0 AND u.disabled = 0",
            USER_COLUMNS
                .split(", ")
                .map(|c| format!("u.{c}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(token_hash(token))
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(user_from_row).transpose()
    }
}
