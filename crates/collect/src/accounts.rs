//! Accounts of the collection platform (issue 5): porteur, ARS agent, CNSA
//! agent and auditeur, each with what it may see.
//!
//! A platform account is a sign-in account of carnet-store (`users`: password
//! hash, sessions, API tokens, sign-in throttling are all theirs) plus one row
//! of `collect_accounts` (migration 0005) giving its platform role and scope.
//! Those users belong to one organisation of their own (`collect_platform`),
//! which never holds a person's record and whose rights matrix denies every
//! DUI category: a platform account opens nothing of the DUI.
//!
//! [`Account::sees`] is the one rule of who sees which project; it is pure and
//! tested as an allow/deny table. This module never reads the clock.

use std::collections::BTreeSet;

use carnet_core::Siret;
use carnet_core::model::{DataCategory, Organisation, OrganisationId, Role};
use carnet_core::rights::{Access, Matrix};
use carnet_store::{Db, NewUser, User, WriteCtx};
use sqlx::Row as _;

use crate::projects::{Desk, Project};
use crate::regions::{self, Region};
use crate::versions::ArchiveError;

/// The role of an account on the platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PlatformRole {
    /// Sends the workbooks of its own projects (scoped by its SIRET).
    Porteur,
    /// Reads and checks the projects of its region.
    Ars,
    /// Reads and checks every project.
    Cnsa,
    /// Reads everything, changes nothing.
    Auditeur,
}

impl PlatformRole {
    pub const ALL: [PlatformRole; 4] = [
        PlatformRole::Porteur,
        PlatformRole::Ars,
        PlatformRole::Cnsa,
        PlatformRole::Auditeur,
    ];

    /// Stable code, stored and typed on the command line.
    pub fn code(self) -> &'static str {
        match self {
            PlatformRole::Porteur => "porteur",
            PlatformRole::Ars => "ars",
            PlatformRole::Cnsa => "cnsa",
            PlatformRole::Auditeur => "auditeur",
        }
    }

    /// French name shown to users.
    pub fn label(self) -> &'static str {
        match self {
            PlatformRole::Porteur => "porteur",
            PlatformRole::Ars => "agent d'ARS",
            PlatformRole::Cnsa => "agent de la CNSA",
            PlatformRole::Auditeur => "auditeur",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.code() == code)
    }
}

/// What an account reaches: its role and the scope that goes with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reach {
    /// The projects whose porteur has this SIRET.
    Porteur(Siret),
    /// The projects with an establishment in this region, or followed by its desk.
    Region(Region),
    /// Every project (CNSA agent).
    Nation,
    /// Every project, read-only (auditeur).
    Audit,
}

/// A platform account: the sign-in account and what it reaches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub user_id: i64,
    pub reach: Reach,
}

/// A project as the visibility rule needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectScope {
    pub siret: String,
    /// INSEE codes of the regions of its establishments and of its desk.
    pub regions: BTreeSet<&'static str>,
}

impl ProjectScope {
    pub fn of(project: &Project) -> Self {
        let mut regions: BTreeSet<&'static str> = project
            .establishments
            .iter()
            .filter_map(regions::of_finess)
            .map(|r| r.code)
            .collect();
        if let Desk::Region(r) = project.desk {
            regions.insert(r.code);
        }
        Self {
            siret: project.siret.to_string(),
            regions,
        }
    }
}

impl Account {
    pub fn role(&self) -> PlatformRole {
        match self.reach {
            Reach::Porteur(_) => PlatformRole::Porteur,
            Reach::Region(_) => PlatformRole::Ars,
            Reach::Nation => PlatformRole::Cnsa,
            Reach::Audit => PlatformRole::Auditeur,
        }
    }

    /// Whether the account sees a project. `None`: a Référence GALIS absent
    /// from the registry, which only the national roles see.
    pub fn sees(&self, project: Option<&ProjectScope>) -> bool {
        match (&self.reach, project) {
            (Reach::Nation | Reach::Audit, _) => true,
            (_, None) => false,
            (Reach::Porteur(siret), Some(p)) => p.siret == siret.as_str(),
            (Reach::Region(region), Some(p)) => p.regions.contains(region.code),
        }
    }

    /// Whether the account sees a region's aggregates.
    pub fn sees_region(&self, code: &str) -> bool {
        match &self.reach {
            Reach::Nation | Reach::Audit => true,
            Reach::Region(r) => r.code == code,
            Reach::Porteur(_) => false,
        }
    }

    /// A French description of the scope, for the pages.
    pub fn scope_label(&self) -> String {
        match &self.reach {
            Reach::Porteur(siret) => format!("projets du porteur SIRET {siret}"),
            Reach::Region(r) => format!("région {} ({})", r.name, r.code),
            Reach::Nation => "France entière".to_owned(),
            Reach::Audit => "France entière, en lecture seule".to_owned(),
        }
    }
}

/// A platform account to create.
#[derive(Debug, Clone)]
pub struct NewAccount {
    pub login: String,
    pub display_name: String,
    pub reach: Reach,
    /// Argon2id PHC string (carnet-web's `password::hash`); `None`: API token only.
    pub password_hash: Option<String>,
}

const PLATFORM_NAME: &str = "Plateforme de collecte ARS / CNSA";
/// A SIRET with a valid key, for the platform's own organisation row (the
/// table requires one); it names no real legal entity.
const PLATFORM_SIRET: &str = "18000000200006";

fn corrupt(what: impl std::fmt::Display) -> ArchiveError {
    ArchiveError::Corrupt(what.to_string())
}

/// A rights matrix that denies every DUI category to every role.
fn deny_all() -> Matrix {
    let mut matrix = Matrix::defaults();
    for role in Role::ALL {
        for category in DataCategory::ALL {
            let _ = matrix.set(*role, *category, Access::NONE);
        }
    }
    matrix
}

/// The platform's organisation, if it was created.
pub async fn platform_organisation(db: &Db) -> Result<Option<OrganisationId>, ArchiveError> {
    let row = sqlx::query("SELECT organisation_id FROM collect_platform WHERE id = 1")
        .fetch_optional(db.pool())
        .await?;
    row.map(|r| r.try_get::<i64, _>(0).map(OrganisationId))
        .transpose()
        .map_err(ArchiveError::from)
}

/// The platform's organisation, created on first use with a rights matrix
/// that opens nothing of the DUI.
pub async fn ensure_platform_organisation(
    db: &Db,
    ctx: &WriteCtx,
) -> Result<OrganisationId, ArchiveError> {
    if let Some(id) = platform_organisation(db).await? {
        return Ok(id);
    }
    let next = db
        .organisations()
        .await?
        .iter()
        .map(|o| o.id.0)
        .max()
        .unwrap_or(0)
        + 1;
    let siret = Siret::parse(PLATFORM_SIRET).map_err(corrupt)?;
    let organisation = Organisation {
        id: OrganisationId(next),
        name: PLATFORM_NAME.to_owned(),
        siren: carnet_core::Siren::parse(siret.siren()).map_err(corrupt)?,
        siret,
        finess_ej: None,
        demo: false,
    };
    let organisation = db.create_organisation(ctx, organisation).await?;
    db.set_rights(ctx, organisation.id, &deny_all()).await?;
    sqlx::query("INSERT INTO collect_platform (id, organisation_id) VALUES (1, $1)")
        .bind(organisation.id.0)
        .execute(db.pool())
        .await?;
    Ok(organisation.id)
}

/// Creates a platform account: a sign-in account of the platform's
/// organisation and its platform role, in one transaction (a failure of the
/// second row leaves no login without a platform role). A login already
/// taken is refused with a French message (`StoreError::Conflict`).
pub async fn create(
    db: &Db,
    ctx: &WriteCtx,
    account: NewAccount,
) -> Result<(User, Account), ArchiveError> {
    // Its own transactions, before: an organisation without any account is
    // harmless, and found again by the next call.
    let organisation = ensure_platform_organisation(db, ctx).await?;
    let mut tx = db.begin_write().await?;
    let user = db
        .create_user_in(
            &mut tx,
            ctx,
            NewUser {
                organisation_id: organisation,
                login: account.login,
                display_name: account.display_name,
                role: Role::Accueil,
                professional_id: None,
                establishment_ids: Vec::new(),
                password_hash: account.password_hash,
            },
        )
        .await?;
    let (siret, region) = match &account.reach {
        Reach::Porteur(s) => (Some(s.to_string()), None),
        Reach::Region(r) => (None, Some(r.code)),
        Reach::Nation | Reach::Audit => (None, None),
    };
    let created = Account {
        user_id: user.id.0,
        reach: account.reach,
    };
    sqlx::query(
        "INSERT INTO collect_accounts (user_id, role, siret, region) VALUES ($1, $2, $3, $4)",
    )
    .bind(created.user_id)
    .bind(created.role().code())
    .bind(siret)
    .bind(region)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok((user, created))
}

/// A platform account as the accounts page lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    pub login: String,
    pub display_name: String,
    pub disabled: bool,
    pub account: Account,
}

fn reach_of(
    user_id: i64,
    role: &str,
    siret: Option<String>,
    region: Option<String>,
) -> Result<Reach, ArchiveError> {
    Ok(match (PlatformRole::from_code(role), siret, region) {
        (Some(PlatformRole::Porteur), Some(s), _) => {
            Reach::Porteur(Siret::parse(&s).map_err(corrupt)?)
        }
        (Some(PlatformRole::Ars), _, Some(code)) => Reach::Region(
            regions::by_code(&code).ok_or_else(|| corrupt(format!("région « {code} »")))?,
        ),
        (Some(PlatformRole::Cnsa), _, _) => Reach::Nation,
        (Some(PlatformRole::Auditeur), _, _) => Reach::Audit,
        _ => return Err(corrupt(format!("compte de plateforme {user_id}"))),
    })
}

/// Every platform account, by login.
pub async fn list(db: &Db) -> Result<Vec<Listed>, ArchiveError> {
    let rows = sqlx::query(
        "SELECT u.id, u.login, u.display_name, u.disabled, c.role, c.siret, c.region \
         FROM collect_accounts c JOIN users u ON u.id = c.user_id ORDER BY u.login",
    )
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|row| {
            let user_id: i64 = row.try_get("id")?;
            let role: String = row.try_get("role")?;
            let disabled: i64 = row.try_get("disabled")?;
            Ok(Listed {
                login: row.try_get("login")?,
                display_name: row.try_get("display_name")?,
                disabled: disabled != 0,
                account: Account {
                    user_id,
                    reach: reach_of(
                        user_id,
                        &role,
                        row.try_get("siret")?,
                        row.try_get("region")?,
                    )?,
                },
            })
        })
        .collect()
}

/// The platform account of a sign-in account, if it has one.
pub async fn account(db: &Db, user_id: i64) -> Result<Option<Account>, ArchiveError> {
    let row = sqlx::query("SELECT role, siret, region FROM collect_accounts WHERE user_id = $1")
        .bind(user_id)
        .fetch_optional(db.pool())
        .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let role: String = row.try_get("role")?;
    let reach = reach_of(
        user_id,
        &role,
        row.try_get("siret")?,
        row.try_get("region")?,
    )?;
    Ok(Some(Account { user_id, reach }))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]
    use super::*;

    fn project(siret: &str, regions: &[&'static str]) -> ProjectScope {
        ProjectScope {
            siret: siret.to_owned(),
            regions: regions.iter().copied().collect(),
        }
    }

    fn account(reach: Reach) -> Account {
        Account { user_id: 1, reach }
    }

    #[test]
    fn who_sees_which_project() {
        let mine = "73282932000074";
        let other = "77572284600117";
        let gironde = project(mine, &["75"]);
        let paris = project(other, &["11"]);
        let porteur = account(Reach::Porteur(Siret::parse(mine).unwrap()));
        let ars_na = account(Reach::Region(regions::by_code("75").unwrap()));
        let cnsa = account(Reach::Nation);
        let audit = account(Reach::Audit);
        // (account, project, seen)
        let table = [
            (&porteur, Some(&gironde), true),
            (&porteur, Some(&paris), false),
            (&porteur, None, false),
            (&ars_na, Some(&gironde), true),
            (&ars_na, Some(&paris), false),
            (&ars_na, None, false),
            (&cnsa, Some(&gironde), true),
            (&cnsa, Some(&paris), true),
            (&cnsa, None, true),
            (&audit, Some(&paris), true),
            (&audit, None, true),
        ];
        for (a, p, seen) in table {
            assert_eq!(a.sees(p), seen, "{:?} {:?}", a.reach, p);
        }
        assert!(ars_na.sees_region("75"));
        assert!(!ars_na.sees_region("11"));
        assert!(!porteur.sees_region("75"));
        assert!(cnsa.sees_region("11") && audit.sees_region("11"));
    }

    #[test]
    fn roles_have_stable_codes() {
        for role in PlatformRole::ALL {
            assert_eq!(PlatformRole::from_code(role.code()), Some(role));
        }
        assert_eq!(PlatformRole::from_code("admin"), None);
    }
}
