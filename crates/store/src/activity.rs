//! The incremental activity index (DESIGN.md §4.3): what the indicator engine
//! reads, kept up to date in the transaction of each write, so that any period
//! is answered without scanning events.
//!
//! - Inserting an event, appointment, document or message ORs its day marks
//!   (`carnet_core::indicators::*_marks`) into the record's month rows.
//! - Any other change of a record (update, care-plan status, stay) rebuilds that
//!   record's rows from its raw rows with `derive_activity`, the same function
//!   the checks compare against: a bit cannot be taken back incrementally.
//! - An import rebuilds the establishments it touched.
//!
//! [`Db::verify_activity`] compares the index with a full recomputation.

use crate::records::{Record, generic_select, load_care_plan_history};
use crate::values::{RowExt, code, date};
use crate::{Db, Result, StoreError};
use carnet_core::indicators::{
    self, CarePlanSpan, DayCount, DayMark, EstablishmentActivity, Mark, Month, MonthDays, Period,
    RawRecords, RecordActivity, StaySpan,
};
use carnet_core::model::*;
use sqlx::AnyConnection;
use std::collections::BTreeMap;

fn indicator_error(e: indicators::IndicatorError) -> StoreError {
    StoreError::Corrupt(e.to_string())
}

async fn establishment(conn: &mut AnyConnection, id: EstablishmentId) -> Result<Establishment> {
    let sql = format!("{} WHERE id = $1", generic_select::<Establishment>());
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id.0)
        .fetch_optional(&mut *conn)
        .await?;
    let row = row.ok_or_else(|| StoreError::Conflict(format!("établissement {id} inconnu")))?;
    Establishment::from_row(&row)
}

/// ORs day marks into a record's rows and lowers its first day.
pub(crate) async fn add_marks(
    conn: &mut AnyConnection,
    organisation: OrganisationId,
    establishment: EstablishmentId,
    person: PersonId,
    marks: &[DayMark],
) -> Result<()> {
    let rows = indicators::fold_marks(marks.iter().copied());
    for row in &rows {
        sqlx::query(
            "INSERT INTO activity_days (organisation_id, establishment_id, month, person_id, mark, days) \
             VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (establishment_id, month, person_id, mark) DO UPDATE SET days = activity_days.days | excluded.days \
             WHERE (activity_days.days | excluded.days) <> activity_days.days",
        )
        .bind(organisation.0)
        .bind(establishment.0)
        .bind(i64::from(row.month.ordinal()))
        .bind(person.0)
        .bind(row.mark.code())
        .bind(i64::from(row.days))
        .execute(&mut *conn)
        .await?;
    }
    if let Some(first) = marks.iter().map(|m| m.day).min() {
        lower_exists_from(conn, organisation, establishment, person, first).await?;
    }
    Ok(())
}

async fn lower_exists_from(
    conn: &mut AnyConnection,
    organisation: OrganisationId,
    establishment: EstablishmentId,
    person: PersonId,
    day: jiff::civil::Date,
) -> Result<()> {
    // The WHERE leaves the row (and its page) untouched when nothing changes:
    // most writes add a day to a record that already exists.
    let sql = "INSERT INTO activity_records (organisation_id, establishment_id, person_id, exists_from) VALUES ($1, $2, $3, $4) \
               ON CONFLICT (establishment_id, person_id) DO UPDATE SET exists_from = excluded.exists_from \
               WHERE excluded.exists_from < activity_records.exists_from";
    sqlx::query(sql)
        .bind(organisation.0)
        .bind(establishment.0)
        .bind(person.0)
        .bind(day.to_string())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Index maintenance after a new row, in the write's transaction.
pub(crate) async fn on_insert<R: crate::records::Attached>(
    db: &Db,
    conn: &mut AnyConnection,
    record: &R,
) -> Result<()> {
    let tz = db.time_zone(conn, record.establishment()).await?;
    match record.touch() {
        Touch::Stay(stay) => {
            lower_exists_from(
                conn,
                stay.organisation_id,
                stay.establishment_id,
                stay.person_id,
                stay.start,
            )
            .await
        }
        Touch::Event(r) => {
            add_marks(
                conn,
                r.organisation_id,
                r.establishment_id,
                r.person_id,
                &indicators::event_marks(r, &tz),
            )
            .await
        }
        Touch::Appointment(r) => {
            let marks = indicators::appointment_marks(r, &tz);
            add_marks(
                conn,
                r.organisation_id,
                r.establishment_id,
                r.person_id,
                &marks,
            )
            .await
        }
        Touch::Document(r) => {
            let marks = indicators::document_marks(r, &tz);
            add_marks(
                conn,
                r.organisation_id,
                r.establishment_id,
                r.person_id,
                &marks,
            )
            .await
        }
        Touch::Message(r) => {
            sqlx::query(
                "INSERT INTO activity_messages (organisation_id, establishment_id, day, count) VALUES ($1, $2, $3, 1) \
                 ON CONFLICT (establishment_id, day) DO UPDATE SET count = activity_messages.count + 1",
            )
            .bind(r.organisation_id.0)
            .bind(r.establishment_id.0)
            .bind(indicators::local_day(r.sent_at, &tz).to_string())
            .execute(&mut *conn)
            .await?;
            match r.person_id {
                Some(p) => {
                    add_marks(
                        conn,
                        r.organisation_id,
                        r.establishment_id,
                        p,
                        &indicators::message_marks(r, &tz),
                    )
                    .await
                }
                None => Ok(()),
            }
        }
    }
}

/// What a write touched, for the index.
pub enum Touch<'a> {
    Stay(&'a Stay),
    Event(&'a Event),
    Appointment(&'a Appointment),
    Document(&'a Document),
    Message(&'a MssMessage),
}

/// The raw rows of some establishments (all of them when `person` is `None`,
/// else only that person's).
async fn load_raw(
    conn: &mut AnyConnection,
    establishment: EstablishmentId,
    person: Option<PersonId>,
) -> Result<RawOwned> {
    async fn rows<R: Record>(
        conn: &mut AnyConnection,
        establishment: EstablishmentId,
        person: Option<PersonId>,
    ) -> Result<Vec<R>> {
        let sql = match person {
            Some(_) => format!(
                "{} WHERE establishment_id = $1 AND person_id = $2 ORDER BY id",
                generic_select::<R>()
            ),
            None => format!(
                "{} WHERE establishment_id = $1 ORDER BY id",
                generic_select::<R>()
            ),
        };
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(establishment.0);
        if let Some(p) = person {
            query = query.bind(p.0);
        }
        let rows = query.fetch_all(&mut *conn).await?;
        rows.iter().map(R::from_row).collect()
    }
    let mut care_plans: Vec<CarePlan> = rows(conn, establishment, person).await?;
    load_care_plan_history(conn, &mut care_plans).await?;
    Ok(RawOwned {
        stays: rows(conn, establishment, person).await?,
        events: rows(conn, establishment, person).await?,
        care_plans,
        appointments: rows(conn, establishment, person).await?,
        documents: rows(conn, establishment, person).await?,
        messages: rows(conn, establishment, person).await?,
    })
}

struct RawOwned {
    stays: Vec<Stay>,
    events: Vec<Event>,
    care_plans: Vec<CarePlan>,
    appointments: Vec<Appointment>,
    documents: Vec<Document>,
    messages: Vec<MssMessage>,
}

impl RawOwned {
    fn derive(&self, e: &Establishment) -> Result<EstablishmentActivity> {
        let raw = RawRecords {
            stays: &self.stays,
            events: &self.events,
            care_plans: &self.care_plans,
            appointments: &self.appointments,
            documents: &self.documents,
            messages: &self.messages,
        };
        indicators::derive_activity(e, &raw).map_err(indicator_error)
    }
}

async fn write_record(
    conn: &mut AnyConnection,
    organisation: OrganisationId,
    establishment: EstablishmentId,
    record: &RecordActivity,
) -> Result<()> {
    lower_exists_from(
        conn,
        organisation,
        establishment,
        record.person_id,
        record.exists_from,
    )
    .await?;
    for row in &record.days {
        sqlx::query(
            "INSERT INTO activity_days (organisation_id, establishment_id, month, person_id, mark, days) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(organisation.0)
        .bind(establishment.0)
        .bind(i64::from(row.month.ordinal()))
        .bind(record.person_id.0)
        .bind(row.mark.code())
        .bind(i64::from(row.days))
        .execute(&mut *conn)
        .await?;
    }
    for span in &record.care_plans {
        sqlx::query(
            "INSERT INTO activity_care_plans (organisation_id, establishment_id, person_id, care_plan_id, status, from_day, until_day) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(organisation.0)
        .bind(establishment.0)
        .bind(record.person_id.0)
        .bind(span.care_plan_id.0)
        .bind(span.status.code())
        .bind(span.from.to_string())
        .bind(span.until.map(|d| d.to_string()))
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

const DELETE_RECORD: [&str; 3] = [
    "DELETE FROM activity_days WHERE establishment_id = $1 AND person_id = $2",
    "DELETE FROM activity_records WHERE establishment_id = $1 AND person_id = $2",
    "DELETE FROM activity_care_plans WHERE establishment_id = $1 AND person_id = $2",
];

/// Rebuilds one record's rows (and the establishment's message counts when
/// `messages` is set) from its raw rows.
pub(crate) async fn rebuild_record(
    conn: &mut AnyConnection,
    establishment_id: EstablishmentId,
    person: PersonId,
    messages: bool,
) -> Result<()> {
    let e = establishment(conn, establishment_id).await?;
    for sql in DELETE_RECORD {
        sqlx::query(sql)
            .bind(establishment_id.0)
            .bind(person.0)
            .execute(&mut *conn)
            .await?;
    }
    let raw = load_raw(conn, establishment_id, Some(person)).await?;
    let activity = raw.derive(&e)?;
    for record in &activity.records {
        write_record(conn, e.organisation_id, establishment_id, record).await?;
    }
    if messages {
        rebuild_messages(conn, &e).await?;
    }
    Ok(())
}

async fn rebuild_messages(conn: &mut AnyConnection, e: &Establishment) -> Result<()> {
    sqlx::query("DELETE FROM activity_messages WHERE establishment_id = $1")
        .bind(e.id.0)
        .execute(&mut *conn)
        .await?;
    let sql = format!(
        "{} WHERE establishment_id = $1",
        generic_select::<MssMessage>()
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(e.id.0)
        .fetch_all(&mut *conn)
        .await?;
    let messages = rows
        .iter()
        .map(MssMessage::from_row)
        .collect::<Result<Vec<_>>>()?;
    let raw = RawRecords {
        messages: &messages,
        ..RawRecords::default()
    };
    let activity = indicators::derive_activity(e, &raw).map_err(indicator_error)?;
    for DayCount { day, count } in activity.mss_messages {
        sqlx::query("INSERT INTO activity_messages (organisation_id, establishment_id, day, count) VALUES ($1, $2, $3, $4)")
            .bind(e.organisation_id.0)
            .bind(e.id.0)
            .bind(day.to_string())
            .bind(i64::from(count))
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Rebuilds every row of one establishment from its raw rows.
pub(crate) async fn rebuild_establishment(
    conn: &mut AnyConnection,
    id: EstablishmentId,
) -> Result<()> {
    let e = establishment(conn, id).await?;
    for table in ["activity_days", "activity_records", "activity_care_plans"] {
        let sql = format!("DELETE FROM {table} WHERE establishment_id = $1");
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id.0)
            .execute(&mut *conn)
            .await?;
    }
    let raw = load_raw(conn, id, None).await?;
    let activity = raw.derive(&e)?;
    for record in &activity.records {
        write_record(conn, e.organisation_id, id, record).await?;
    }
    rebuild_messages(conn, &e).await
}

impl Db {
    /// An establishment's time zone, cached: it never changes once created.
    pub(crate) async fn time_zone(
        &self,
        conn: &mut AnyConnection,
        id: EstablishmentId,
    ) -> Result<jiff::tz::TimeZone> {
        // Parsed once: looking a zone up in the database on every note costs
        // more than the note's own statements.
        if let Some(tz) = self
            .time_zones
            .read()
            .ok()
            .and_then(|m| m.get(&id.0).cloned())
        {
            return Ok(tz);
        }
        let e = establishment(conn, id).await?;
        let tz = indicators::time_zone(&e.time_zone).map_err(indicator_error)?;
        if let Ok(mut m) = self.time_zones.write() {
            m.insert(id.0, tz.clone());
        }
        Ok(tz)
    }

    /// The engine's input for these establishments and period, from the index.
    pub async fn activity(
        &self,
        establishments: &[Establishment],
        period: Period,
    ) -> Result<Vec<EstablishmentActivity>> {
        let mut conn = self.pool.acquire().await?;
        let mut out = Vec::with_capacity(establishments.len());
        let first_month = i64::from(Month::of(period.from()).ordinal());
        let last_month = i64::from(Month::of(period.to()).ordinal());
        for e in establishments {
            let mut records: BTreeMap<i64, RecordActivity> = BTreeMap::new();
            let rows = sqlx::query("SELECT person_id, exists_from FROM activity_records WHERE establishment_id = $1 AND exists_from <= $2")
                .bind(e.id.0)
                .bind(period.to().to_string())
                .fetch_all(&mut *conn)
                .await?;
            for row in &rows {
                let person = row.int("person_id")?;
                records.insert(
                    person,
                    RecordActivity {
                        person_id: PersonId(person),
                        exists_from: date(&row.text("exists_from")?)?,
                        stays: Vec::new(),
                        care_plans: Vec::new(),
                        days: Vec::new(),
                    },
                );
            }
            let stays = sqlx::query(
                "SELECT person_id, start_date, end_date FROM stays WHERE establishment_id = $1",
            )
            .bind(e.id.0)
            .fetch_all(&mut *conn)
            .await?;
            for row in &stays {
                if let Some(r) = records.get_mut(&row.int("person_id")?) {
                    r.stays.push(StaySpan {
                        start: date(&row.text("start_date")?)?,
                        end: row.opt_text("end_date")?.map(|d| date(&d)).transpose()?,
                    });
                }
            }
            let spans = sqlx::query(
                "SELECT person_id, care_plan_id, status, from_day, until_day FROM activity_care_plans WHERE establishment_id = $1",
            )
            .bind(e.id.0)
            .fetch_all(&mut *conn)
            .await?;
            for row in &spans {
                if let Some(r) = records.get_mut(&row.int("person_id")?) {
                    r.care_plans.push(CarePlanSpan {
                        care_plan_id: CarePlanId(row.int("care_plan_id")?),
                        status: code(&row.text("status")?, CarePlanStatus::from_code)?,
                        from: date(&row.text("from_day")?)?,
                        until: row.opt_text("until_day")?.map(|d| date(&d)).transpose()?,
                    });
                }
            }
            let days = sqlx::query(
                "SELECT person_id, month, mark, days FROM activity_days WHERE establishment_id = $1 AND month >= $2 AND month <= $3",
            )
            .bind(e.id.0)
            .bind(first_month)
            .bind(last_month)
            .fetch_all(&mut *conn)
            .await?;
            for row in &days {
                if let Some(r) = records.get_mut(&row.int("person_id")?) {
                    let month = i32::try_from(row.int("month")?).map_err(StoreError::corrupt)?;
                    r.days.push(MonthDays {
                        month: Month::from_ordinal(month).map_err(indicator_error)?,
                        mark: Mark::from_code(&row.text("mark")?)
                            .ok_or_else(|| StoreError::corrupt("marque inconnue"))?,
                        days: u32::try_from(row.int("days")?).map_err(StoreError::corrupt)?,
                    });
                }
            }
            let messages = sqlx::query("SELECT day, count FROM activity_messages WHERE establishment_id = $1 AND day >= $2 AND day <= $3")
                .bind(e.id.0)
                .bind(period.from().to_string())
                .bind(period.to().to_string())
                .fetch_all(&mut *conn)
                .await?;
            let mss_messages = messages
                .iter()
                .map(|row| {
                    Ok(DayCount {
                        day: date(&row.text("day")?)?,
                        count: u32::try_from(row.int("count")?).map_err(StoreError::corrupt)?,
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            let mut activity = EstablishmentActivity {
                establishment_id: e.id,
                finess: e.finess.clone(),
                name: e.name.clone(),
                time_zone: e.time_zone.clone(),
                records: records.into_values().collect(),
                mss_messages,
            };
            activity.normalize();
            out.push(activity);
        }
        Ok(out)
    }

    /// The engine's input computed from the raw rows, without the index.
    pub async fn activity_from_raw(
        &self,
        establishments: &[Establishment],
    ) -> Result<Vec<EstablishmentActivity>> {
        let mut conn = self.pool.acquire().await?;
        let mut out = Vec::with_capacity(establishments.len());
        for e in establishments {
            let raw = load_raw(&mut conn, e.id, None).await?;
            out.push(raw.derive(e)?);
        }
        Ok(out)
    }

    /// Rebuilds the whole index from the raw rows (operator command).
    pub async fn rebuild_activity(&self) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let ids = sqlx::query("SELECT id FROM establishments ORDER BY id")
            .fetch_all(&mut *tx)
            .await?;
        for row in &ids {
            rebuild_establishment(&mut tx, EstablishmentId(row.int("id")?)).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Compares the index with a full recomputation; returns the FINESS of the
    /// establishments where they differ (for the whole history).
    pub async fn verify_activity(&self) -> Result<Vec<String>> {
        let mut differ = Vec::new();
        for organisation in self.organisations().await? {
            let establishments = self
                .establishments(&crate::Scope::whole(organisation.id))
                .await?;
            let raw = self.activity_from_raw(&establishments).await?;
            for (e, expected) in establishments.iter().zip(raw) {
                let (from, to) = history_bounds(&expected);
                let period = Period::new(from, to).map_err(indicator_error)?;
                let mut indexed = self.activity(std::slice::from_ref(e), period).await?;
                let mut expected = expected;
                expected.normalize();
                let indexed = indexed.pop();
                if indexed.as_ref() != Some(&expected) {
                    if std::env::var("CARNET_DEBUG_ACTIVITY").is_ok() {
                        eprintln!("index: {indexed:?}\nraw:   {expected:?}");
                    }
                    differ.push(e.finess.to_string());
                }
            }
        }
        Ok(differ)
    }
}

/// A period covering every day of the derived activity.
fn history_bounds(a: &EstablishmentActivity) -> (jiff::civil::Date, jiff::civil::Date) {
    let mut days: Vec<jiff::civil::Date> = a.mss_messages.iter().map(|m| m.day).collect();
    for r in &a.records {
        days.push(r.exists_from);
        for row in &r.days {
            days.push(row.month.first_day());
            days.push(row.month.last_day());
        }
    }
    let from = days
        .iter()
        .min()
        .copied()
        .unwrap_or(jiff::civil::date(2000, 1, 1));
    let to = days
        .iter()
        .max()
        .copied()
        .unwrap_or(from)
        .max(jiff::civil::date(2100, 1, 1));
    (from, to)
}
