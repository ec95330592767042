//! The incremental activity index (DESIGN.md §4.3): what the indicator engine
//! reads, kept up to date in the transaction of each write, so that any period
//! is answered without scanning events.
//!
//! Layout (migration 0006), made for the read: answering every establishment
//! of a large organisation for a period must take a few queries and a few
//! megabytes, not thousands of queries and a million rows.
//! - `activity_months`: one row per (establishment, month) whose `data` holds,
//!   for every record with activity that month, its day bitmaps per mark, and
//!   the establishment's MSSanté message counts per local day (`codec`).
//! - `activity_establishments`: one row per establishment whose `data` holds
//!   every record's first day, stays and care-plan status spans.
//! - `activity_records` (first day of each record) and `activity_care_plans`
//!   (status spans) stay as plain rows: the write path looks a record up there
//!   and rewrites the establishment's blob only when they change.
//! - `activity_pending`: establishments whose blobs are not built yet (a
//!   database migrated from the row layout); they are answered from the raw
//!   rows until `Db::rebuild_activity` (or an import) rebuilds them.
//!
//! Maintenance, in the write's transaction:
//! - Inserting an event, appointment, document or message ORs its day marks
//!   (`carnet_core::indicators::*_marks`) into the month blob (rewritten only
//!   when a bit changes) and lowers the record's first day.
//! - Any other change of a record (update, care-plan status, stay) rebuilds that
//!   record's entries from its raw rows with `derive_activity`, the same function
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
use codec::MonthBlob;
use jiff::civil::Date;
use sqlx::AnyConnection;
use std::collections::{BTreeMap, HashMap, HashSet};

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

/// The stored forms of the index blobs: LEB128 varints (zigzag for signed
/// values), dates as day numbers, marks through a per-blob dictionary of their
/// stable codes (`Mark::code`), so that a new mark or event kind never changes
/// what an existing blob means.
mod codec {
    use super::*;

    /// First byte of every blob.
    const VERSION: u8 = 1;

    fn corrupt(what: &str) -> StoreError {
        StoreError::corrupt(format!("index d'activité : {what}"))
    }

    pub(super) fn put_u(out: &mut Vec<u8>, mut v: u64) {
        while v >= 0x80 {
            out.push((v & 0x7f) as u8 | 0x80);
            v >>= 7;
        }
        out.push(v as u8);
    }

    pub(super) fn put_i(out: &mut Vec<u8>, v: i64) {
        put_u(out, ((v << 1) ^ (v >> 63)) as u64);
    }

    fn put_len(out: &mut Vec<u8>, n: usize) {
        put_u(out, n as u64);
    }

    fn put_day(out: &mut Vec<u8>, d: Date) {
        put_i(out, day_number(d));
    }

    fn put_opt_day(out: &mut Vec<u8>, d: Option<Date>) {
        match d {
            None => out.push(0),
            Some(d) => {
                out.push(1);
                put_day(out, d);
            }
        }
    }

    fn put_text(out: &mut Vec<u8>, text: &str) {
        put_len(out, text.len());
        out.extend_from_slice(text.as_bytes());
    }

    pub(super) struct Reader<'a> {
        buf: &'a [u8],
        pos: usize,
    }

    impl<'a> Reader<'a> {
        pub fn new(buf: &'a [u8]) -> Result<Self> {
            match buf.first() {
                Some(&VERSION) => Ok(Self { buf, pos: 1 }),
                _ => Err(corrupt("version de donnée inconnue")),
            }
        }

        fn byte(&mut self) -> Result<u8> {
            let b = *self
                .buf
                .get(self.pos)
                .ok_or_else(|| corrupt("donnée tronquée"))?;
            self.pos += 1;
            Ok(b)
        }

        fn take(&mut self, n: usize) -> Result<&'a [u8]> {
            let end = self
                .pos
                .checked_add(n)
                .ok_or_else(|| corrupt("longueur invalide"))?;
            let slice = self
                .buf
                .get(self.pos..end)
                .ok_or_else(|| corrupt("donnée tronquée"))?;
            self.pos = end;
            Ok(slice)
        }

        pub fn u(&mut self) -> Result<u64> {
            let mut v = 0u64;
            let mut shift = 0;
            loop {
                let b = self.byte()?;
                if shift > 63 {
                    return Err(corrupt("entier trop long"));
                }
                v |= u64::from(b & 0x7f) << shift;
                if b & 0x80 == 0 {
                    return Ok(v);
                }
                shift += 7;
            }
        }

        pub fn i(&mut self) -> Result<i64> {
            let u = self.u()?;
            Ok(((u >> 1) as i64) ^ -((u & 1) as i64))
        }

        /// A count of items of at least one byte each: never more than what
        /// is left, so that a damaged blob cannot ask for a huge allocation.
        pub fn len(&mut self) -> Result<usize> {
            let n = usize::try_from(self.u()?).map_err(|_| corrupt("longueur invalide"))?;
            if n > self.buf.len() - self.pos {
                return Err(corrupt("longueur invalide"));
            }
            Ok(n)
        }

        fn u32le(&mut self) -> Result<u32> {
            let b: [u8; 4] = self
                .take(4)?
                .try_into()
                .map_err(|_| corrupt("donnée tronquée"))?;
            Ok(u32::from_le_bytes(b))
        }

        fn day(&mut self) -> Result<Date> {
            day_from_number(self.i()?)
        }

        fn opt_day(&mut self) -> Result<Option<Date>> {
            match self.byte()? {
                0 => Ok(None),
                1 => Ok(Some(self.day()?)),
                _ => Err(corrupt("date optionnelle invalide")),
            }
        }

        fn text(&mut self) -> Result<&'a str> {
            let n = self.len()?;
            std::str::from_utf8(self.take(n)?).map_err(|_| corrupt("texte invalide"))
        }

        fn finish(&self) -> Result<()> {
            if self.pos == self.buf.len() {
                Ok(())
            } else {
                Err(corrupt("octets en trop"))
            }
        }
    }

    /// Days since 1970-01-01 (proleptic Gregorian; H. Hinnant's
    /// `days_from_civil`).
    pub(super) fn day_number(d: Date) -> i64 {
        let (m, dd) = (i64::from(d.month()), i64::from(d.day()));
        let y = i64::from(d.year()) - i64::from(m <= 2);
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + dd - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    /// The inverse of [`day_number`] (`civil_from_days`).
    pub(super) fn day_from_number(n: i64) -> Result<Date> {
        let z = n
            .checked_add(719_468)
            .ok_or_else(|| corrupt("date invalide"))?;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let d = doy - (153 * mp + 2) / 5 + 1;
        let m = if mp < 10 { mp + 3 } else { mp - 9 };
        let y = yoe + era * 400 + i64::from(m <= 2);
        let y = i16::try_from(y).map_err(|_| corrupt("date invalide"))?;
        // m in 1..=12 and d in 1..=31 by construction.
        Date::new(y, m as i8, d as i8).map_err(|_| corrupt("date invalide"))
    }

    /// The establishment blob: every record (sorted by person, stays and
    /// spans sorted and without duplicates), without its day rows.
    pub(super) fn encode_records(records: &[RecordActivity]) -> Vec<u8> {
        let mut out = Vec::with_capacity(16 + records.len() * 24);
        out.push(VERSION);
        put_len(&mut out, records.len());
        let mut previous = 0i64;
        for r in records {
            put_i(&mut out, r.person_id.0.wrapping_sub(previous));
            previous = r.person_id.0;
            put_day(&mut out, r.exists_from);
            put_len(&mut out, r.stays.len());
            for s in &r.stays {
                put_day(&mut out, s.start);
                put_opt_day(&mut out, s.end);
            }
            put_len(&mut out, r.care_plans.len());
            for c in &r.care_plans {
                put_i(&mut out, c.care_plan_id.0);
                put_text(&mut out, c.status.code());
                put_day(&mut out, c.from);
                put_opt_day(&mut out, c.until);
            }
        }
        out
    }

    /// The records of an establishment blob whose first day passes `keep`.
    pub(super) fn decode_records(
        buf: &[u8],
        keep: impl Fn(Date) -> bool,
        day_rows: usize,
    ) -> Result<Vec<RecordActivity>> {
        let mut r = Reader::new(buf)?;
        let n = r.len()?;
        let mut out = Vec::with_capacity(n);
        let mut person = 0i64;
        for _ in 0..n {
            person = person.wrapping_add(r.i()?);
            let exists_from = r.day()?;
            let stays_n = r.len()?;
            let mut stays = Vec::with_capacity(stays_n);
            for _ in 0..stays_n {
                stays.push(StaySpan {
                    start: r.day()?,
                    end: r.opt_day()?,
                });
            }
            let spans_n = r.len()?;
            let mut care_plans = Vec::with_capacity(spans_n);
            for _ in 0..spans_n {
                care_plans.push(CarePlanSpan {
                    care_plan_id: CarePlanId(r.i()?),
                    status: code(r.text()?, CarePlanStatus::from_code)?,
                    from: r.day()?,
                    until: r.opt_day()?,
                });
            }
            if keep(exists_from) {
                out.push(RecordActivity {
                    person_id: PersonId(person),
                    exists_from,
                    stays,
                    care_plans,
                    days: Vec::with_capacity(day_rows),
                });
            }
        }
        r.finish()?;
        Ok(out)
    }

    /// Reads a month blob: `on_message(day, count)` per day with messages,
    /// then `on_mark(person, mark, days)` per mark of each record, in order
    /// of person then mark.
    pub(super) fn visit_month(
        buf: &[u8],
        mut on_message: impl FnMut(i8, u32),
        mut on_mark: impl FnMut(i64, Mark, u32),
    ) -> Result<()> {
        let mut r = Reader::new(buf)?;
        let codes = r.len()?;
        let mut marks = Vec::with_capacity(codes);
        for _ in 0..codes {
            let text = r.text()?;
            marks.push(
                Mark::from_code(text)
                    .ok_or_else(|| corrupt(&format!("marque « {text} » inconnue")))?,
            );
        }
        for _ in 0..r.len()? {
            let day = i8::try_from(r.byte()?).map_err(|_| corrupt("jour invalide"))?;
            let count = u32::try_from(r.u()?).map_err(|_| corrupt("nombre invalide"))?;
            on_message(day, count);
        }
        let mut person = 0i64;
        for _ in 0..r.len()? {
            person = person.wrapping_add(r.i()?);
            for _ in 0..r.len()? {
                let i = usize::try_from(r.u()?).map_err(|_| corrupt("marque invalide"))?;
                let mark = *marks.get(i).ok_or_else(|| corrupt("marque invalide"))?;
                on_mark(person, mark, r.u32le()?);
            }
        }
        r.finish()
    }

    /// A month blob, decoded for a write: sorted, one entry per (person,
    /// mark) and per day, no empty entry.
    #[derive(Debug, Default, PartialEq)]
    pub(crate) struct MonthBlob {
        pub messages: Vec<(i8, u32)>,
        pub marks: Vec<(i64, Mark, u32)>,
    }

    impl MonthBlob {
        pub fn decode(buf: &[u8]) -> Result<Self> {
            let mut blob = Self::default();
            visit_month(
                buf,
                |day, count| blob.messages.push((day, count)),
                |person, mark, days| blob.marks.push((person, mark, days)),
            )?;
            // Already sorted unless the order of marks changed since written.
            blob.marks.sort_unstable();
            blob.messages.sort_unstable();
            Ok(blob)
        }

        pub fn is_empty(&self) -> bool {
            self.messages.is_empty() && self.marks.is_empty()
        }

        pub fn encode(&self) -> Vec<u8> {
            let mut dictionary: Vec<Mark> = self.marks.iter().map(|&(_, m, _)| m).collect();
            dictionary.sort_unstable();
            dictionary.dedup();
            let mut out = Vec::with_capacity(64 + self.marks.len() * 7);
            out.push(VERSION);
            put_len(&mut out, dictionary.len());
            for m in &dictionary {
                put_text(&mut out, &m.code());
            }
            put_len(&mut out, self.messages.len());
            for &(day, count) in &self.messages {
                out.push(day.unsigned_abs());
                put_u(&mut out, u64::from(count));
            }
            let persons = self
                .marks
                .chunk_by(|a, b| a.0 == b.0)
                .map(|g| (g[0].0, g))
                .collect::<Vec<_>>();
            put_len(&mut out, persons.len());
            let mut previous = 0i64;
            for (person, group) in persons {
                put_i(&mut out, person.wrapping_sub(previous));
                previous = person;
                put_len(&mut out, group.len());
                for &(_, mark, days) in group {
                    let i = dictionary.binary_search(&mark).unwrap_or_default();
                    put_len(&mut out, i);
                    out.extend_from_slice(&days.to_le_bytes());
                }
            }
            out
        }

        /// ORs `days` into (person, mark); whether anything changed.
        pub fn or(&mut self, person: i64, mark: Mark, days: u32) -> bool {
            if days == 0 {
                return false;
            }
            match self
                .marks
                .binary_search_by(|&(p, m, _)| (p, m).cmp(&(person, mark)))
            {
                Ok(i) => {
                    let old = self.marks[i].2;
                    self.marks[i].2 = old | days;
                    old | days != old
                }
                Err(i) => {
                    self.marks.insert(i, (person, mark, days));
                    true
                }
            }
        }

        /// Replaces a person's entries; whether anything changed.
        pub fn set_person(&mut self, person: i64, rows: &[(Mark, u32)]) -> bool {
            let from = self.marks.partition_point(|&(p, _, _)| p < person);
            let to = self.marks.partition_point(|&(p, _, _)| p <= person);
            let mut new: Vec<(i64, Mark, u32)> = rows
                .iter()
                .filter(|&&(_, days)| days != 0)
                .map(|&(m, d)| (person, m, d))
                .collect();
            new.sort_unstable();
            if self.marks[from..to] == new[..] {
                return false;
            }
            self.marks.splice(from..to, new);
            true
        }

        pub fn add_message(&mut self, day: i8) {
            match self.messages.binary_search_by_key(&day, |&(d, _)| d) {
                Ok(i) => self.messages[i].1 = self.messages[i].1.saturating_add(1),
                Err(i) => self.messages.insert(i, (day, 1)),
            }
        }
    }
}

/// A row's `data`, borrowed (the read path does not copy the blobs).
fn blob(row: &sqlx::any::AnyRow) -> Result<&[u8]> {
    sqlx::Row::try_get::<&[u8], _>(row, "data")
        .map_err(|e| StoreError::corrupt(format!("colonne data : {e}")))
}

/// The month blobs of one establishment (all of them, or one month).
async fn load_months(
    conn: &mut AnyConnection,
    establishment: EstablishmentId,
    month: Option<Month>,
) -> Result<BTreeMap<i32, MonthBlob>> {
    let rows = match month {
        Some(m) => sqlx::query(
            "SELECT month, data FROM activity_months WHERE establishment_id = $1 AND month = $2",
        )
        .bind(establishment.0)
        .bind(i64::from(m.ordinal()))
        .fetch_all(&mut *conn)
        .await?,
        None => {
            sqlx::query("SELECT month, data FROM activity_months WHERE establishment_id = $1")
                .bind(establishment.0)
                .fetch_all(&mut *conn)
                .await?
        }
    };
    let mut out = BTreeMap::new();
    for row in &rows {
        let month = i32::try_from(row.int("month")?).map_err(StoreError::corrupt)?;
        out.insert(month, MonthBlob::decode(&row.bytes("data")?)?);
    }
    Ok(out)
}

/// Writes one month blob (deletes it when empty).
async fn save_month(
    conn: &mut AnyConnection,
    organisation: OrganisationId,
    establishment: EstablishmentId,
    month: i32,
    blob: &MonthBlob,
) -> Result<()> {
    if blob.is_empty() {
        sqlx::query("DELETE FROM activity_months WHERE establishment_id = $1 AND month = $2")
            .bind(establishment.0)
            .bind(i64::from(month))
            .execute(&mut *conn)
            .await?;
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO activity_months (organisation_id, establishment_id, month, data) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (establishment_id, month) DO UPDATE SET data = excluded.data",
    )
    .bind(organisation.0)
    .bind(establishment.0)
    .bind(i64::from(month))
    .bind(blob.encode())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// ORs day marks into a record's month blobs and lowers its first day.
pub(crate) async fn add_marks(
    conn: &mut AnyConnection,
    organisation: OrganisationId,
    establishment: EstablishmentId,
    person: PersonId,
    marks: &[DayMark],
    message: Option<Date>,
) -> Result<()> {
    let rows = indicators::fold_marks(marks.iter().copied());
    let mut months: Vec<Month> = rows.iter().map(|r| r.month).collect();
    months.extend(message.map(Month::of));
    months.sort_unstable();
    months.dedup();
    for month in months {
        let mut blobs = load_months(conn, establishment, Some(month)).await?;
        let ordinal = month.ordinal();
        let blob = blobs.entry(ordinal).or_default();
        let mut changed = false;
        for row in rows.iter().filter(|r| r.month == month) {
            changed |= blob.or(person.0, row.mark, row.days);
        }
        if let Some(day) = message.filter(|d| Month::of(*d) == month) {
            blob.add_message(day.day());
            changed = true;
        }
        if changed {
            save_month(conn, organisation, establishment, ordinal, blob).await?;
        }
    }
    if let Some(first) = marks.iter().map(|m| m.day).min()
        && lower_exists_from(conn, organisation, establishment, person, first).await?
    {
        refresh_record(conn, organisation, establishment, person).await?;
    }
    Ok(())
}

/// Lowers (or sets) a record's first day; whether it changed.
async fn lower_exists_from(
    conn: &mut AnyConnection,
    organisation: OrganisationId,
    establishment: EstablishmentId,
    person: PersonId,
    day: Date,
) -> Result<bool> {
    // The WHERE leaves the row (and its page) untouched when nothing changes:
    // most writes add a day to a record that already exists.
    let sql = "INSERT INTO activity_records (organisation_id, establishment_id, person_id, exists_from) VALUES ($1, $2, $3, $4) \
               ON CONFLICT (establishment_id, person_id) DO UPDATE SET exists_from = excluded.exists_from \
               WHERE excluded.exists_from < activity_records.exists_from";
    let done = sqlx::query(sql)
        .bind(organisation.0)
        .bind(establishment.0)
        .bind(person.0)
        .bind(day.to_string())
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// The establishment blob's records.
async fn load_records(
    conn: &mut AnyConnection,
    establishment: EstablishmentId,
) -> Result<Vec<RecordActivity>> {
    let row = sqlx::query("SELECT data FROM activity_establishments WHERE establishment_id = $1")
        .bind(establishment.0)
        .fetch_optional(&mut *conn)
        .await?;
    match row {
        Some(row) => codec::decode_records(&row.bytes("data")?, |_| true, 0),
        None => Ok(Vec::new()),
    }
}

async fn save_records(
    conn: &mut AnyConnection,
    organisation: OrganisationId,
    establishment: EstablishmentId,
    records: &[RecordActivity],
) -> Result<()> {
    sqlx::query(
        "INSERT INTO activity_establishments (organisation_id, establishment_id, data) VALUES ($1, $2, $3) \
         ON CONFLICT (establishment_id) DO UPDATE SET data = excluded.data",
    )
    .bind(organisation.0)
    .bind(establishment.0)
    .bind(codec::encode_records(records))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Rewrites one record's entry of the establishment blob from its rows:
/// `activity_records`, `stays`, `activity_care_plans`.
async fn refresh_record(
    conn: &mut AnyConnection,
    organisation: OrganisationId,
    establishment: EstablishmentId,
    person: PersonId,
) -> Result<()> {
    let first = sqlx::query(
        "SELECT exists_from FROM activity_records WHERE establishment_id = $1 AND person_id = $2",
    )
    .bind(establishment.0)
    .bind(person.0)
    .fetch_optional(&mut *conn)
    .await?;
    let entry = match first {
        None => None,
        Some(row) => {
            let stays = sqlx::query(
                "SELECT start_date, end_date FROM stays WHERE establishment_id = $1 AND person_id = $2",
            )
            .bind(establishment.0)
            .bind(person.0)
            .fetch_all(&mut *conn)
            .await?;
            let mut stays = stays
                .iter()
                .map(|row| {
                    Ok(StaySpan {
                        start: date(&row.text("start_date")?)?,
                        end: row.opt_text("end_date")?.map(|d| date(&d)).transpose()?,
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            let spans = sqlx::query(
                "SELECT care_plan_id, status, from_day, until_day FROM activity_care_plans WHERE establishment_id = $1 AND person_id = $2",
            )
            .bind(establishment.0)
            .bind(person.0)
            .fetch_all(&mut *conn)
            .await?;
            let mut care_plans = spans
                .iter()
                .map(|row| {
                    Ok(CarePlanSpan {
                        care_plan_id: CarePlanId(row.int("care_plan_id")?),
                        status: code(&row.text("status")?, CarePlanStatus::from_code)?,
                        from: date(&row.text("from_day")?)?,
                        until: row.opt_text("until_day")?.map(|d| date(&d)).transpose()?,
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            stays.sort();
            stays.dedup();
            care_plans.sort();
            care_plans.dedup();
            Some(RecordActivity {
                person_id: person,
                exists_from: date(&row.text("exists_from")?)?,
                stays,
                care_plans,
                days: Vec::new(),
            })
        }
    };
    let mut records = load_records(conn, establishment).await?;
    let at = records.binary_search_by_key(&person, |r| r.person_id);
    match (at, entry) {
        (Ok(i), Some(entry)) => {
            if records[i] == entry {
                return Ok(());
            }
            records[i] = entry;
        }
        (Err(i), Some(entry)) => records.insert(i, entry),
        (Ok(i), None) => {
            records.remove(i);
        }
        (Err(_), None) => return Ok(()),
    }
    save_records(conn, organisation, establishment, &records).await
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
            .await?;
            // The blob holds the record's stays: always rewritten.
            refresh_record(
                conn,
                stay.organisation_id,
                stay.establishment_id,
                stay.person_id,
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
                None,
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
                None,
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
                None,
            )
            .await
        }
        Touch::Message(r) => {
            let day = indicators::local_day(r.sent_at, &tz);
            match r.person_id {
                Some(p) => {
                    add_marks(
                        conn,
                        r.organisation_id,
                        r.establishment_id,
                        p,
                        &indicators::message_marks(r, &tz),
                        Some(day),
                    )
                    .await
                }
                None => {
                    let month = Month::of(day);
                    let mut blobs = load_months(conn, r.establishment_id, Some(month)).await?;
                    let blob = blobs.entry(month.ordinal()).or_default();
                    blob.add_message(day.day());
                    save_month(
                        conn,
                        r.organisation_id,
                        r.establishment_id,
                        month.ordinal(),
                        blob,
                    )
                    .await
                }
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

/// A record's plain rows: its first day and its care-plan spans.
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

const DELETE_RECORD: [&str; 2] = [
    "DELETE FROM activity_records WHERE establishment_id = $1 AND person_id = $2",
    "DELETE FROM activity_care_plans WHERE establishment_id = $1 AND person_id = $2",
];

/// A record's day rows grouped by month.
fn rows_by_month(record: Option<&RecordActivity>) -> BTreeMap<i32, Vec<(Mark, u32)>> {
    let mut out: BTreeMap<i32, Vec<(Mark, u32)>> = BTreeMap::new();
    for row in record.map(|r| r.days.as_slice()).unwrap_or_default() {
        out.entry(row.month.ordinal())
            .or_default()
            .push((row.mark, row.days));
    }
    out
}

/// MSSanté counts per month: (day, count) sorted.
fn messages_by_month(counts: &[DayCount]) -> BTreeMap<i32, Vec<(i8, u32)>> {
    let mut out: BTreeMap<i32, Vec<(i8, u32)>> = BTreeMap::new();
    for c in counts.iter().filter(|c| c.count != 0) {
        out.entry(Month::of(c.day).ordinal())
            .or_default()
            .push((c.day.day(), c.count));
    }
    out
}

/// Rebuilds one record's entries (and the establishment's message counts when
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
    let record = activity.records.iter().find(|r| r.person_id == person);
    if let Some(record) = record {
        write_record(conn, e.organisation_id, establishment_id, record).await?;
    }
    let mut wanted = rows_by_month(record);
    let mut counts = if messages {
        Some(messages_of(conn, &e).await?)
    } else {
        None
    };
    let mut blobs = load_months(conn, establishment_id, None).await?;
    for month in wanted.keys().chain(counts.iter().flat_map(|c| c.keys())) {
        blobs.entry(*month).or_default();
    }
    for (month, blob) in &mut blobs {
        let rows = wanted.remove(month).unwrap_or_default();
        let mut changed = blob.set_person(person.0, &rows);
        if let Some(counts) = &mut counts {
            let day_counts = counts.remove(month).unwrap_or_default();
            if blob.messages != day_counts {
                blob.messages = day_counts;
                changed = true;
            }
        }
        if changed {
            save_month(conn, e.organisation_id, establishment_id, *month, blob).await?;
        }
    }
    refresh_record(conn, e.organisation_id, establishment_id, person).await
}

/// The establishment's MSSanté counts per month, from its raw messages.
async fn messages_of(
    conn: &mut AnyConnection,
    e: &Establishment,
) -> Result<BTreeMap<i32, Vec<(i8, u32)>>> {
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
    Ok(messages_by_month(&activity.mss_messages))
}

/// Rebuilds every row and blob of one establishment from its raw rows.
pub(crate) async fn rebuild_establishment(
    conn: &mut AnyConnection,
    id: EstablishmentId,
) -> Result<()> {
    let e = establishment(conn, id).await?;
    for table in [
        "activity_records",
        "activity_care_plans",
        "activity_months",
        "activity_establishments",
        "activity_pending",
    ] {
        let sql = format!("DELETE FROM {table} WHERE establishment_id = $1");
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id.0)
            .execute(&mut *conn)
            .await?;
    }
    let raw = load_raw(conn, id, None).await?;
    let activity = raw.derive(&e)?;
    let mut blobs: BTreeMap<i32, MonthBlob> = BTreeMap::new();
    for record in &activity.records {
        write_record(conn, e.organisation_id, id, record).await?;
        for row in &record.days {
            // Records come sorted by person and rows by (month, mark): each
            // blob's entries are pushed in order.
            blobs.entry(row.month.ordinal()).or_default().marks.push((
                record.person_id.0,
                row.mark,
                row.days,
            ));
        }
    }
    for (month, counts) in messages_by_month(&activity.mss_messages) {
        blobs.entry(month).or_default().messages = counts;
    }
    for (month, blob) in &mut blobs {
        blob.marks.sort_unstable();
        save_month(conn, e.organisation_id, id, *month, blob).await?;
    }
    save_records(conn, e.organisation_id, id, &activity.records).await
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

    /// The engine's input for these establishments and period, from the index:
    /// two queries for the whole set (blobs of the establishments and of the
    /// period's months), in canonical form (`EstablishmentActivity::normalize`).
    pub async fn activity(
        &self,
        establishments: &[Establishment],
        period: Period,
    ) -> Result<Vec<EstablishmentActivity>> {
        if establishments.is_empty() {
            return Ok(Vec::new());
        }
        let mut conn = self.pool.acquire().await?;
        let pending: HashSet<i64> = sqlx::query("SELECT establishment_id FROM activity_pending")
            .fetch_all(&mut *conn)
            .await?
            .iter()
            .map(|row| row.int("establishment_id"))
            .collect::<Result<_>>()?;
        let position: HashMap<i64, usize> = establishments
            .iter()
            .enumerate()
            .map(|(i, e)| (e.id.0, i))
            .collect();
        // Ids are integers: written into the text, they need no parameters.
        let ids = establishments
            .iter()
            .map(|e| e.id.0.to_string())
            .collect::<Vec<_>>()
            .join(",");
        let first_month = Month::of(period.from()).ordinal();
        let last_month = Month::of(period.to()).ordinal();
        // Two plain index reads, no sort in the database: the month rows are
        // put in order here (the blobs are not copied again).
        let records_sql = format!(
            "SELECT establishment_id, data FROM activity_establishments WHERE establishment_id IN ({ids})"
        );
        let months_sql = format!(
            "SELECT establishment_id, month, data FROM activity_months \
             WHERE establishment_id IN ({ids}) AND month >= {first_month} AND month <= {last_month}"
        );
        let record_rows = sqlx::query(sqlx::AssertSqlSafe(records_sql))
            .fetch_all(&mut *conn)
            .await?;
        let month_rows = sqlx::query(sqlx::AssertSqlSafe(months_sql))
            .fetch_all(&mut *conn)
            .await?;
        let mut records: Vec<Vec<RecordActivity>> = vec![Vec::new(); establishments.len()];
        let mut messages: Vec<Vec<DayCount>> = vec![Vec::new(); establishments.len()];
        let to = period.to();
        // Day rows a record may get: a guess that saves most reallocations.
        let day_rows = 6 * usize::try_from(last_month - first_month + 1).unwrap_or(1);
        for row in &record_rows {
            if let Some(&i) = position.get(&row.int("establishment_id")?) {
                records[i] = codec::decode_records(blob(row)?, |first| first <= to, day_rows)?;
            }
        }
        let mut ordered = Vec::with_capacity(month_rows.len());
        for row in &month_rows {
            if let Some(&i) = position.get(&row.int("establishment_id")?) {
                ordered.push((i, row.int("month")?, row));
            }
        }
        ordered.sort_unstable_by_key(|&(i, month, _)| (i, month));
        for (i, month, row) in ordered {
            let data = blob(row)?;
            let month = Month::from_ordinal(i32::try_from(month).map_err(StoreError::corrupt)?)
                .map_err(indicator_error)?;
            let recs = &mut records[i];
            let counts = &mut messages[i];
            let mut cursor = 0;
            let mut bad_day = None;
            codec::visit_month(
                data,
                |day, count| match Date::new(month.year(), month.month(), day) {
                    Ok(d) if period.contains(d) && count != 0 => {
                        counts.push(DayCount { day: d, count });
                    }
                    Ok(_) => {}
                    Err(_) => bad_day = Some(day),
                },
                |person, mark, days| {
                    while recs.get(cursor).is_some_and(|r| r.person_id.0 < person) {
                        cursor += 1;
                    }
                    if let Some(r) = recs.get_mut(cursor)
                        && r.person_id.0 == person
                    {
                        r.days.push(MonthDays { month, mark, days });
                    }
                },
            )?;
            if let Some(day) = bad_day {
                return Err(StoreError::corrupt(format!(
                    "index d'activité : jour {day} invalide"
                )));
            }
        }
        let mut out = Vec::with_capacity(establishments.len());
        for ((e, records), mss_messages) in establishments.iter().zip(records).zip(messages) {
            if pending.contains(&e.id.0) {
                // Not built yet (migrated database): the raw rows answer.
                out.push(load_raw(&mut conn, e.id, None).await?.derive(e)?);
                continue;
            }
            out.push(EstablishmentActivity {
                establishment_id: e.id,
                finess: e.finess.clone(),
                name: e.name.clone(),
                time_zone: e.time_zone.clone(),
                records,
                mss_messages,
            });
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
        sqlx::query("DELETE FROM activity_pending")
            .execute(&mut *tx)
            .await?;
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
                let indexed = indexed.pop().map(|mut a| {
                    a.normalize();
                    a
                });
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
