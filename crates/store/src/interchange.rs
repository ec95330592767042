//! Import and export of the interchange format (docs/format.md).
//!
//! Import is all-or-nothing: a first pass reads and checks every line (its own
//! rules, and that every reference points to a record earlier in the file or
//! already in the database, in the same organisation) and lists every error;
//! only a clean file is written, in one transaction.

use crate::audit::{AuditAction, AuditWriter, Outcome};
use crate::records::{Record, insert, insert_many, load_care_plan_history};
use crate::values::{RowExt, code, ts, us};
use crate::{Db, Result, StoreError, WriteCtx};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use carnet_core::interchange::{Blob, FORMAT_NAME, FORMAT_VERSION, Header, Line};
use carnet_core::model::*;
use futures_util::TryStreamExt;
use sha2::{Digest, Sha256};
use sqlx::AnyConnection;
use std::collections::{HashMap, HashSet};
use std::io::{BufRead, Write};

/// One problem of an import file, in French.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportError {
    pub line: u64,
    pub field: String,
    pub value: String,
    pub message: String,
}

impl std::fmt::Display for ImportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ligne {}", self.line)?;
        if !self.field.is_empty() {
            write!(f, ", champ « {} »", self.field)?;
        }
        if !self.value.is_empty() {
            write!(f, ", valeur « {} »", self.value)?;
        }
        write!(f, " : {}", self.message)
    }
}

#[derive(Debug)]
pub enum ImportOutcome {
    /// Everything was written.
    Imported { lines: u64 },
    /// Nothing was written; every error found is listed (up to a limit).
    Refused {
        errors: Vec<ImportError>,
        total: u64,
    },
}

/// The most errors listed; the total is still counted.
const MAX_LISTED_ERRORS: usize = 1000;

/// What the first pass knows of ids, from the database and the lines read so far.
#[derive(Default)]
struct Known {
    organisations: HashMap<i64, bool>,
    establishments: HashMap<i64, i64>,
    finess: HashSet<String>,
    professionals: HashMap<i64, i64>,
    persons: HashMap<i64, i64>,
    stays: HashMap<i64, (i64, i64, i64)>,
    documents: HashMap<i64, (i64, i64)>,
    blobs: HashSet<(i64, String)>,
    care_plans: HashSet<i64>,
    events: HashSet<i64>,
    appointments: HashSet<i64>,
    messages: HashSet<i64>,
}

async fn pairs(db: &Db, sql: &'static str) -> Result<Vec<(i64, i64)>> {
    let rows = sqlx::query(sql).fetch_all(&db.pool).await?;
    rows.iter()
        .map(|r| Ok((r.int("a")?, r.int("b")?)))
        .collect()
}

impl Known {
    async fn from_db(db: &Db) -> Result<Known> {
        let mut k = Known {
            organisations: HashMap::new(),
            ..Known::default()
        };
        k.organisations = pairs(db, "SELECT id AS a, demo AS b FROM organisations")
            .await?
            .into_iter()
            .map(|(a, b)| (a, b != 0))
            .collect();
        k.establishments = pairs(
            db,
            "SELECT id AS a, organisation_id AS b FROM establishments",
        )
        .await?
        .into_iter()
        .collect();
        for row in sqlx::query("SELECT finess FROM establishments")
            .fetch_all(&db.pool)
            .await?
        {
            k.finess.insert(row.text("finess")?);
        }
        k.professionals = pairs(
            db,
            "SELECT id AS a, organisation_id AS b FROM professionals",
        )
        .await?
        .into_iter()
        .collect();
        k.persons = pairs(db, "SELECT id AS a, organisation_id AS b FROM persons")
            .await?
            .into_iter()
            .collect();
        for row in sqlx::query("SELECT id, organisation_id, person_id, establishment_id FROM stays")
            .fetch_all(&db.pool)
            .await?
        {
            k.stays.insert(
                row.int("id")?,
                (
                    row.int("organisation_id")?,
                    row.int("person_id")?,
                    row.int("establishment_id")?,
                ),
            );
        }
        for row in sqlx::query("SELECT id, organisation_id, person_id FROM documents")
            .fetch_all(&db.pool)
            .await?
        {
            k.documents.insert(
                row.int("id")?,
                (row.int("organisation_id")?, row.int("person_id")?),
            );
        }
        for row in sqlx::query("SELECT organisation_id, sha256 FROM blobs")
            .fetch_all(&db.pool)
            .await?
        {
            k.blobs
                .insert((row.int("organisation_id")?, row.text("sha256")?));
        }
        Ok(k)
    }
}

/// Checks of one line against what precedes it; records its ids when clean.
struct Checker {
    known: Known,
    errors: Vec<ImportError>,
    total: u64,
    line: u64,
}

impl Checker {
    fn error(&mut self, field: &str, value: impl ToString, message: impl Into<String>) {
        self.total += 1;
        if self.errors.len() < MAX_LISTED_ERRORS {
            self.errors.push(ImportError {
                line: self.line,
                field: field.to_owned(),
                value: value.to_string(),
                message: message.into(),
            });
        }
    }

    fn organisation(&mut self, org: OrganisationId) -> Option<bool> {
        let demo = self.known.organisations.get(&org.0).copied();
        if demo.is_none() {
            self.error(
                "organisation_id",
                org,
                "organisme inconnu (ni plus haut dans le fichier, ni dans la base)",
            );
        }
        demo
    }

    fn reference(
        &mut self,
        field: &str,
        id: i64,
        owner: Option<&i64>,
        org: OrganisationId,
        what: &str,
    ) {
        match owner {
            None => self.error(
                field,
                id,
                format!("{what} inconnu(e) (ni plus haut dans le fichier, ni dans la base)"),
            ),
            Some(o) if *o != org.0 => self.error(field, id, format!("{what} d'un autre organisme")),
            Some(_) => {}
        }
    }

    fn unique(&mut self, fresh: bool, id: i64, what: &str) {
        if !fresh {
            self.error("id", id, format!("identifiant de {what} déjà utilisé"));
        }
    }

    fn person(&mut self, field: &str, p: PersonId, org: OrganisationId) {
        let owner = self.known.persons.get(&p.0).copied();
        self.reference(field, p.0, owner.as_ref(), org, "personne");
    }

    fn establishment(&mut self, field: &str, e: EstablishmentId, org: OrganisationId) {
        let owner = self.known.establishments.get(&e.0).copied();
        self.reference(field, e.0, owner.as_ref(), org, "établissement");
    }

    fn professional(&mut self, field: &str, p: Option<ProfessionalId>, org: OrganisationId) {
        if let Some(p) = p {
            let owner = self.known.professionals.get(&p.0).copied();
            self.reference(field, p.0, owner.as_ref(), org, "professionnel");
        }
    }

    fn check(&mut self, line: &Line) {
        let demo = match line {
            Line::Header(_) | Line::Organisation(_) => true,
            Line::Establishment(r) => self.organisation(r.organisation_id).unwrap_or(true),
            Line::Professional(r) => self.organisation(r.organisation_id).unwrap_or(true),
            Line::Person(r) => self.organisation(r.organisation_id).unwrap_or(true),
            Line::IdentityChange(r) => self.organisation(r.organisation_id).unwrap_or(true),
            Line::Stay(r) => self.organisation(r.organisation_id).unwrap_or(true),
            Line::CarePlan(r) => self.organisation(r.organisation_id).unwrap_or(true),
            Line::Event(r) => self.organisation(r.organisation_id).unwrap_or(true),
            Line::Appointment(r) => self.organisation(r.organisation_id).unwrap_or(true),
            Line::Blob(r) => self.organisation(r.organisation_id).unwrap_or(true),
            Line::Document(r) => self.organisation(r.organisation_id).unwrap_or(true),
            Line::Message(r) => self.organisation(r.organisation_id).unwrap_or(true),
        };
        for e in line.validate(demo) {
            self.error(e.field, e.value, e.rule);
        }
        match line {
            Line::Header(_) => self.error(
                "type",
                "header",
                "l'en-tête n'est admis qu'en première ligne",
            ),
            Line::Organisation(r) => {
                let fresh = !self.known.organisations.contains_key(&r.id.0);
                self.unique(fresh, r.id.0, "organisme");
                self.known.organisations.insert(r.id.0, r.demo);
            }
            Line::Establishment(r) => {
                let fresh = self
                    .known
                    .establishments
                    .insert(r.id.0, r.organisation_id.0)
                    .is_none();
                self.unique(fresh, r.id.0, "établissement");
                if !self.known.finess.insert(r.finess.to_string()) {
                    self.error(
                        "finess",
                        &r.finess,
                        "ce FINESS est déjà celui d'un autre établissement",
                    );
                }
            }
            Line::Professional(r) => {
                for e in &r.establishment_ids {
                    self.establishment("establishment_ids", *e, r.organisation_id);
                }
                let fresh = self
                    .known
                    .professionals
                    .insert(r.id.0, r.organisation_id.0)
                    .is_none();
                self.unique(fresh, r.id.0, "professionnel");
            }
            Line::Person(r) => {
                let fresh = self
                    .known
                    .persons
                    .insert(r.id.0, r.organisation_id.0)
                    .is_none();
                self.unique(fresh, r.id.0, "personne");
            }
            Line::IdentityChange(r) => {
                self.person("person_id", r.person_id, r.organisation_id);
                self.professional("by", r.by, r.organisation_id);
            }
            Line::Stay(r) => {
                self.person("person_id", r.person_id, r.organisation_id);
                self.establishment("establishment_id", r.establishment_id, r.organisation_id);
                let fresh = self
                    .known
                    .stays
                    .insert(
                        r.id.0,
                        (r.organisation_id.0, r.person_id.0, r.establishment_id.0),
                    )
                    .is_none();
                self.unique(fresh, r.id.0, "séjour");
            }
            Line::CarePlan(r) => {
                self.person("person_id", r.person_id, r.organisation_id);
                self.establishment("establishment_id", r.establishment_id, r.organisation_id);
                match self.known.stays.get(&r.stay_id.0).copied() {
                    None => self.error(
                        "stay_id",
                        r.stay_id,
                        "séjour inconnu (ni plus haut dans le fichier, ni dans la base)",
                    ),
                    Some(s) if s != (r.organisation_id.0, r.person_id.0, r.establishment_id.0) => {
                        self.error(
                            "stay_id",
                            r.stay_id,
                            "ce séjour est celui d'une autre personne ou d'un autre établissement",
                        )
                    }
                    Some(_) => {}
                }
                for change in &r.history {
                    self.professional("history.by", change.by, r.organisation_id);
                }
                let fresh = self.known.care_plans.insert(r.id.0);
                self.unique(fresh, r.id.0, "projet personnalisé");
            }
            Line::Event(r) => {
                self.person("person_id", r.person_id, r.organisation_id);
                self.establishment("establishment_id", r.establishment_id, r.organisation_id);
                self.professional("author_id", r.author_id, r.organisation_id);
                let fresh = self.known.events.insert(r.id.0);
                self.unique(fresh, r.id.0, "événement");
            }
            Line::Appointment(r) => {
                self.person("person_id", r.person_id, r.organisation_id);
                self.establishment("establishment_id", r.establishment_id, r.organisation_id);
                self.professional("professional_id", r.professional_id, r.organisation_id);
                let fresh = self.known.appointments.insert(r.id.0);
                self.unique(fresh, r.id.0, "rendez-vous");
            }
            Line::Blob(r) => match BASE64.decode(&r.content_base64) {
                Err(e) => self.error("content_base64", "…", format!("base64 invalide : {e}")),
                Ok(bytes) => {
                    let actual = hex::encode(Sha256::digest(&bytes));
                    if actual != r.sha256 {
                        self.error(
                            "sha256",
                            &r.sha256,
                            format!("ne correspond pas au contenu (empreinte calculée {actual})"),
                        );
                    } else {
                        self.known
                            .blobs
                            .insert((r.organisation_id.0, r.sha256.clone()));
                    }
                }
            },
            Line::Document(r) => {
                self.person("person_id", r.person_id, r.organisation_id);
                self.establishment("establishment_id", r.establishment_id, r.organisation_id);
                self.professional("added_by", r.added_by, r.organisation_id);
                if !self
                    .known
                    .blobs
                    .contains(&(r.organisation_id.0, r.sha256.clone()))
                {
                    self.error(
                        "sha256",
                        &r.sha256,
                        "contenu absent : une ligne « blob » doit le précéder",
                    );
                }
                let fresh = self
                    .known
                    .documents
                    .insert(r.id.0, (r.organisation_id.0, r.person_id.0))
                    .is_none();
                self.unique(fresh, r.id.0, "document");
            }
            Line::Message(r) => {
                self.establishment("establishment_id", r.establishment_id, r.organisation_id);
                if let Some(p) = r.person_id {
                    self.person("person_id", p, r.organisation_id);
                }
                self.professional("sender_id", r.sender_id, r.organisation_id);
                for d in &r.document_ids {
                    match self.known.documents.get(&d.0).copied() {
                        None => self.error("document_ids", d, "document inconnu"),
                        Some((org, _)) if org != r.organisation_id.0 => {
                            self.error("document_ids", d, "document d'un autre organisme")
                        }
                        Some(_) => {}
                    }
                }
                let fresh = self.known.messages.insert(r.id.0);
                self.unique(fresh, r.id.0, "message");
            }
        }
    }
}

/// Reads the lines of a file: `(line number, text)`, skipping blank lines.
fn lines(path: &std::path::Path) -> Result<impl Iterator<Item = Result<(u64, String)>>> {
    let file = std::fs::File::open(path)?;
    let reader = std::io::BufReader::with_capacity(1 << 20, file);
    Ok(reader.lines().enumerate().filter_map(|(i, l)| match l {
        Ok(l) if l.trim().is_empty() => None,
        Ok(l) => Some(Ok((i as u64 + 1, l))),
        Err(e) => Some(Err(StoreError::Io(e))),
    }))
}

/// Rows a statement when importing events and appointments.
const BATCH: usize = 2000;

impl Db {
    /// Imports a file of the interchange format. `progress` is called with the
    /// number of lines done, first while checking, then while writing.
    pub async fn import(
        &self,
        ctx: &WriteCtx,
        path: &std::path::Path,
        mut progress: impl FnMut(&'static str, u64),
    ) -> Result<ImportOutcome> {
        // Pass 1: check everything, write nothing.
        let mut checker = Checker {
            known: Known::from_db(self).await?,
            errors: Vec::new(),
            total: 0,
            line: 0,
        };
        let mut count = 0;
        let mut header_seen = false;
        for item in lines(path)? {
            let (number, text) = item?;
            checker.line = number;
            count += 1;
            match Line::parse(&text) {
                Err(e) => checker.error(&e.field, "", e.message),
                Ok(Line::Header(h)) if !header_seen && count == 1 => {
                    header_seen = true;
                    if h.format != FORMAT_NAME || h.version != FORMAT_VERSION {
                        checker.error(
                            "format",
                            format!("{} {}", h.format, h.version),
                            format!("format « {FORMAT_NAME} » version {FORMAT_VERSION} attendu"),
                        );
                    }
                }
                Ok(line) => {
                    if count == 1 {
                        checker.error("type", "", format!("la première ligne doit être l'en-tête {{\"type\":\"header\",\"format\":\"{FORMAT_NAME}\",\"version\":{FORMAT_VERSION}}}"));
                    }
                    checker.check(&line);
                }
            }
            if count % 10_000 == 0 {
                progress("vérification", count);
            }
        }
        if count == 0 {
            checker.line = 1;
            checker.error("", "", "fichier vide");
        }
        if checker.total > 0 {
            return Ok(ImportOutcome::Refused {
                errors: checker.errors,
                total: checker.total,
            });
        }
        drop(checker);

        // Pass 2: write everything in one transaction.
        let mut tx = self.begin_write().await?;
        let mut audits: HashMap<i64, AuditWriter> = HashMap::new();
        let mut events: Vec<Event> = Vec::new();
        let mut appointments: Vec<Appointment> = Vec::new();
        let mut done = 0;
        let mut touched = std::collections::BTreeSet::new();
        for item in lines(path)? {
            let (number, text) = item?;
            let line = Line::parse(&text)
                .map_err(|e| StoreError::Conflict(format!("ligne {number} : {}", e.message)))?;
            if let Some(e) = line_establishment(&line) {
                touched.insert(e);
            }
            let written = self
                .write_line(
                    &mut tx,
                    ctx,
                    &mut audits,
                    &mut events,
                    &mut appointments,
                    line,
                )
                .await;
            written.map_err(|e| match e {
                StoreError::Database(db) => {
                    StoreError::Conflict(format!("ligne {number} : refusée par la base ({db})"))
                }
                other => other,
            })?;
            done += 1;
            if events.len() >= BATCH {
                insert_many(&mut tx, self.backend, &events).await?;
                events.clear();
            }
            if appointments.len() >= BATCH {
                insert_many(&mut tx, self.backend, &appointments).await?;
                appointments.clear();
            }
            if done % 10_000 == 0 {
                progress("écriture", done);
            }
        }
        insert_many(&mut tx, self.backend, &events).await?;
        insert_many(&mut tx, self.backend, &appointments).await?;
        progress("index d'activité", 0);
        for (n, establishment) in touched.iter().enumerate() {
            crate::activity::rebuild_establishment(&mut tx, *establishment).await?;
            progress("index d'activité", n as u64 + 1);
        }
        let file_hash = {
            let mut hasher = Sha256::new();
            std::io::copy(&mut std::fs::File::open(path)?, &mut hasher)?;
            hex::encode(hasher.finalize())
        };
        for (_, mut audit) in audits {
            audit
                .append(
                    &mut tx,
                    ctx.now,
                    &ctx.actor,
                    AuditAction::Import,
                    None,
                    &format!("file/sha256:{file_hash}"),
                    Outcome::Ok,
                )
                .await?;
            audit.close(&mut tx).await?;
        }
        self.reset_sequences(&mut tx).await?;
        tx.commit().await?;
        // A bulk load changes the tables' shape: without fresh statistics
        // the planners pick an establishment index to read one person.
        self.analyze().await?;
        Ok(ImportOutcome::Imported { lines: count })
    }

    async fn write_line(
        &self,
        tx: &mut AnyConnection,
        ctx: &WriteCtx,
        audits: &mut HashMap<i64, AuditWriter>,
        events: &mut Vec<Event>,
        appointments: &mut Vec<Appointment>,
        line: Line,
    ) -> Result<()> {
        match line {
            Line::Header(_) => {}
            Line::Organisation(r) => {
                insert(tx, &r, true).await?;
                crate::audit::create_head(tx, r.id).await?;
            }
            Line::Establishment(r) => {
                insert(tx, &r, true).await?;
            }
            Line::Professional(r) => {
                insert(tx, &r, true).await?;
            }
            Line::Person(r) => {
                insert(tx, &r, true).await?;
                // One entry per person: the import wrote into this record.
                let audit = match audits.entry(r.organisation_id.0) {
                    std::collections::hash_map::Entry::Occupied(o) => o.into_mut(),
                    std::collections::hash_map::Entry::Vacant(v) => {
                        v.insert(AuditWriter::open(self, tx, r.organisation_id).await?)
                    }
                };
                audit
                    .append(
                        tx,
                        ctx.now,
                        &ctx.actor,
                        AuditAction::Import,
                        Some(r.id),
                        &format!("person/{}", r.id),
                        Outcome::Ok,
                    )
                    .await?;
            }
            Line::IdentityChange(r) => insert_identity_change(tx, &r).await?,
            Line::Stay(r) => {
                insert(tx, &r, true).await?;
            }
            Line::CarePlan(r) => {
                insert(tx, &r, true).await?;
                for change in &r.history {
                    crate::records::insert_status_change(tx, r.organisation_id, r.id, change)
                        .await?;
                }
            }
            Line::Event(r) => events.push(r),
            Line::Appointment(r) => appointments.push(r),
            Line::Blob(Blob {
                organisation_id,
                sha256,
                content_base64,
            }) => {
                let content = BASE64.decode(content_base64).map_err(StoreError::corrupt)?;
                crate::records::put_blob(tx, organisation_id, &sha256, content).await?;
            }
            Line::Document(r) => {
                insert(tx, &r, true).await?;
            }
            Line::Message(r) => {
                insert(tx, &r, true).await?;
            }
        }
        Ok(())
    }

    /// After rows were inserted with their own ids, PostgreSQL's identity
    /// sequences must move past them.
    async fn reset_sequences(&self, tx: &mut AnyConnection) -> Result<()> {
        if self.backend != crate::Backend::Postgres {
            return Ok(());
        }
        for table in [
            "organisations",
            "establishments",
            "professionals",
            "persons",
            "identity_changes",
            "stays",
            "care_plans",
            "care_plan_status_changes",
            "events",
            "appointments",
            "documents",
            "messages",
        ] {
            let sql = format!(
                "SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT COALESCE(MAX(id), 0) + 1 FROM {table}), false)"
            );
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .execute(&mut *tx)
                .await?;
        }
        Ok(())
    }

    /// Writes every record of every organisation, in dependency order.
    pub async fn export(&self, out: &mut impl Write, mut progress: impl FnMut(u64)) -> Result<u64> {
        let mut count = 1;
        writeln!(
            out,
            "{}",
            Line::Header(Header {
                format: FORMAT_NAME.into(),
                version: FORMAT_VERSION
            })
            .to_json()
        )?;
        let mut conn = self.pool.acquire().await?;
        for organisation in self.organisations().await? {
            let org = organisation.id;
            writeln!(out, "{}", Line::Organisation(organisation).to_json())?;
            count += 1;
            count += export_table::<Establishment>(
                &mut conn,
                org,
                out,
                Line::Establishment,
                &mut progress,
            )
            .await?;
            count += export_table::<Professional>(
                &mut conn,
                org,
                out,
                Line::Professional,
                &mut progress,
            )
            .await?;
            count +=
                export_table::<Person>(&mut conn, org, out, Line::Person, &mut progress).await?;
            count += export_identity_changes(&mut conn, org, out).await?;
            count += export_table::<Stay>(&mut conn, org, out, Line::Stay, &mut progress).await?;
            count += export_care_plans(&mut conn, org, out).await?;
            count += export_table::<Event>(&mut conn, org, out, Line::Event, &mut progress).await?;
            count +=
                export_table::<Appointment>(&mut conn, org, out, Line::Appointment, &mut progress)
                    .await?;
            count += export_blobs(&mut conn, org, out).await?;
            count += export_table::<Document>(&mut conn, org, out, Line::Document, &mut progress)
                .await?;
            count += export_table::<MssMessage>(&mut conn, org, out, Line::Message, &mut progress)
                .await?;
        }
        out.flush()?;
        Ok(count)
    }
}

async fn insert_identity_change(tx: &mut AnyConnection, r: &IdentityChange) -> Result<()> {
    sqlx::query(
        "INSERT INTO identity_changes (organisation_id, person_id, status, at_us, by_professional, document) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(r.organisation_id.0)
    .bind(r.person_id.0)
    .bind(r.status.code())
    .bind(us(r.at))
    .bind(r.by.map(|b| b.0))
    .bind(r.document.map(|d| d.code()))
    .execute(&mut *tx)
    .await?;
    Ok(())
}

async fn export_table<R: Record>(
    conn: &mut AnyConnection,
    org: OrganisationId,
    out: &mut impl Write,
    wrap: fn(R) -> Line,
    progress: &mut impl FnMut(u64),
) -> Result<u64> {
    let sql = format!(
        "{} WHERE organisation_id = $1 ORDER BY id",
        crate::records::generic_select::<R>()
    );
    let mut rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(org.0)
        .fetch(&mut *conn);
    let mut n = 0;
    while let Some(row) = rows.try_next().await? {
        writeln!(out, "{}", wrap(R::from_row(&row)?).to_json())?;
        n += 1;
        if n % 10_000 == 0 {
            progress(n);
        }
    }
    Ok(n)
}

async fn export_identity_changes(
    conn: &mut AnyConnection,
    org: OrganisationId,
    out: &mut impl Write,
) -> Result<u64> {
    let mut rows = sqlx::query(
        "SELECT person_id, status, at_us, by_professional, document FROM identity_changes WHERE organisation_id = $1 ORDER BY id",
    )
    .bind(org.0)
    .fetch(&mut *conn);
    let mut n = 0;
    while let Some(row) = rows.try_next().await? {
        let change = IdentityChange {
            organisation_id: org,
            person_id: PersonId(row.int("person_id")?),
            status: code(&row.text("status")?, IdentityStatus::from_code)?,
            at: ts(row.int("at_us")?)?,
            by: row.opt_int("by_professional")?.map(ProfessionalId),
            document: row
                .opt_text("document")?
                .map(|d| code(&d, IdentityDocument::from_code))
                .transpose()?,
        };
        writeln!(out, "{}", Line::IdentityChange(change).to_json())?;
        n += 1;
    }
    Ok(n)
}

async fn export_care_plans(
    conn: &mut AnyConnection,
    org: OrganisationId,
    out: &mut impl Write,
) -> Result<u64> {
    let mut after = 0;
    let mut n = 0;
    loop {
        let sql = format!(
            "{} WHERE organisation_id = $1 AND id > $2 ORDER BY id LIMIT 1000",
            crate::records::generic_select::<CarePlan>()
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(org.0)
            .bind(after)
            .fetch_all(&mut *conn)
            .await?;
        if rows.is_empty() {
            return Ok(n);
        }
        let mut plans = rows
            .iter()
            .map(CarePlan::from_row)
            .collect::<Result<Vec<_>>>()?;
        load_care_plan_history(conn, &mut plans).await?;
        for plan in plans {
            after = plan.id.0;
            writeln!(out, "{}", Line::CarePlan(plan).to_json())?;
            n += 1;
        }
    }
}

async fn export_blobs(
    conn: &mut AnyConnection,
    org: OrganisationId,
    out: &mut impl Write,
) -> Result<u64> {
    let mut rows =
        sqlx::query("SELECT sha256, content FROM blobs WHERE organisation_id = $1 ORDER BY sha256")
            .bind(org.0)
            .fetch(&mut *conn);
    let mut n = 0;
    while let Some(row) = rows.try_next().await? {
        let blob = Blob {
            organisation_id: org,
            sha256: row.text("sha256")?,
            content_base64: BASE64.encode(row.bytes("content")?),
        };
        writeln!(out, "{}", Line::Blob(blob).to_json())?;
        n += 1;
    }
    Ok(n)
}

/// The establishment whose activity index a line changes.
fn line_establishment(line: &Line) -> Option<EstablishmentId> {
    match line {
        Line::Establishment(r) => Some(r.id),
        Line::Stay(r) => Some(r.establishment_id),
        Line::CarePlan(r) => Some(r.establishment_id),
        Line::Event(r) => Some(r.establishment_id),
        Line::Appointment(r) => Some(r.establishment_id),
        Line::Document(r) => Some(r.establishment_id),
        Line::Message(r) => Some(r.establishment_id),
        _ => None,
    }
}
