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
    self, CarePlanSpan, DayCount, DayMark, EstablishmentActivity, IndicatorReport, Mark, MarkSet,
    Month, MonthDays, Period, PeriodActivity, PeriodFigures, PeriodSink, RawRecords,
    RecordActivity, RuleSet, StaySpan,
};
use carnet_core::model::*;
use codec::{MonthBlob, Or};
use futures_util::TryStreamExt;
use jiff::civil::Date;
use sqlx::{AnyConnection, AnyPool, AssertSqlSafe};
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
pub(crate) mod fused;

mod codec {
    use super::*;

    /// First byte of every blob.
    const VERSION: u8 = 1;

    fn corrupt(what: &str) -> StoreError {
        StoreError::corrupt(format!("index d'activité : {what}"))
    }

    /// A damaged blob, what the decoding primitives return: a pointer wide,
    /// so that their results travel in registers (a `StoreError` is large
    /// and the read path decodes millions of numbers).
    #[derive(Debug, Clone, Copy)]
    pub(super) struct Damaged(&'static &'static str);

    type Read<T> = std::result::Result<T, Damaged>;

    /// `Damaged` with a literal message (`&"…"` is promoted to a static).
    macro_rules! damaged {
        ($what:literal) => {
            Damaged(&$what)
        };
    }

    impl From<Damaged> for StoreError {
        fn from(d: Damaged) -> Self {
            corrupt(d.0)
        }
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

    #[cfg(test)]
    fn put_day(out: &mut Vec<u8>, d: Date) {
        put_i(out, day_number(d));
    }

    #[cfg(test)]
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

        #[inline(always)]
        fn byte(&mut self) -> Read<u8> {
            let b = *self.buf.get(self.pos).ok_or(damaged!("donnée tronquée"))?;
            self.pos += 1;
            Ok(b)
        }

        fn take(&mut self, n: usize) -> Read<&'a [u8]> {
            let end = self
                .pos
                .checked_add(n)
                .ok_or(damaged!("longueur invalide"))?;
            let slice = self
                .buf
                .get(self.pos..end)
                .ok_or(damaged!("donnée tronquée"))?;
            self.pos = end;
            Ok(slice)
        }

        /// A varint: the read path decodes millions of them, mostly one
        /// byte long.
        #[inline(always)]
        pub fn u(&mut self) -> Read<u64> {
            match self.buf.get(self.pos..) {
                Some([b0, ..]) if *b0 < 0x80 => {
                    self.pos += 1;
                    Ok(u64::from(*b0))
                }
                Some([b0, b1, ..]) if *b1 < 0x80 => {
                    self.pos += 2;
                    Ok(u64::from(b0 & 0x7f) | (u64::from(*b1) << 7))
                }
                _ => self.u_long(),
            }
        }

        #[inline(never)]
        fn u_long(&mut self) -> Read<u64> {
            let mut v = 0u64;
            let mut shift = 0;
            loop {
                let b = self.byte()?;
                if shift > 63 {
                    return Err(damaged!("entier trop long"));
                }
                v |= u64::from(b & 0x7f) << shift;
                if b & 0x80 == 0 {
                    return Ok(v);
                }
                shift += 7;
            }
        }

        #[inline(always)]
        pub fn i(&mut self) -> Read<i64> {
            let u = self.u()?;
            Ok(((u >> 1) as i64) ^ -((u & 1) as i64))
        }

        /// A count of items of at least one byte each: never more than what
        /// is left, so that a damaged blob cannot ask for a huge allocation.
        #[inline(always)]
        pub fn len(&mut self) -> Read<usize> {
            let n = usize::try_from(self.u()?).map_err(|_| damaged!("longueur invalide"))?;
            if n > self.buf.len() - self.pos {
                return Err(damaged!("longueur invalide"));
            }
            Ok(n)
        }

        #[inline(always)]
        fn u32le(&mut self) -> Read<u32> {
            let b: [u8; 4] = self
                .take(4)?
                .try_into()
                .map_err(|_| damaged!("donnée tronquée"))?;
            Ok(u32::from_le_bytes(b))
        }

        /// A day as its number, unchecked beyond its range (the compact
        /// input compares numbers).
        #[inline(always)]
        fn day_number(&mut self) -> Read<i32> {
            i32::try_from(self.i()?).map_err(|_| damaged!("date invalide"))
        }

        fn opt_day_number(&mut self) -> Read<Option<i32>> {
            match self.byte()? {
                0 => Ok(None),
                1 => Ok(Some(self.day_number()?)),
                _ => Err(damaged!("date optionnelle invalide")),
            }
        }

        /// A dictionary of mark codes, as the mark set of each position;
        /// parsed once per distinct dictionary of the blobs of one read.
        fn mark_sets<'c>(&mut self, cache: &'c mut Dictionaries) -> Result<&'c [MarkSet]> {
            let start = self.pos;
            for _ in 0..self.len()? {
                let n = self.len()?;
                self.take(n)?;
            }
            let bytes = self
                .buf
                .get(start..self.pos)
                .ok_or_else(|| corrupt("donnée tronquée"))?;
            if !cache.0.contains_key(bytes) {
                let mut r = Reader { buf: bytes, pos: 0 };
                let mut sets = Vec::new();
                for _ in 0..r.len()? {
                    let text = r.text()?;
                    let mark = Mark::from_code(text)
                        .ok_or_else(|| corrupt(&format!("marque « {text} » inconnue")))?;
                    sets.push(MarkSet::of(mark));
                }
                cache.0.insert(bytes.into(), sets);
            }
            cache
                .0
                .get(bytes)
                .map(Vec::as_slice)
                .ok_or_else(|| corrupt("dictionnaire de marques"))
        }

        fn text(&mut self) -> Read<&'a str> {
            let n = self.len()?;
            std::str::from_utf8(self.take(n)?).map_err(|_| damaged!("texte invalide"))
        }

        fn finish(&self) -> Read<()> {
            if self.pos == self.buf.len() {
                Ok(())
            } else {
                Err(damaged!("octets en trop"))
            }
        }
    }

    /// Days since 1970-01-01 (`indicators::day_number`, the engine's
    /// compact input uses the same numbers).
    pub(super) fn day_number(d: Date) -> i64 {
        i64::from(indicators::day_number(d))
    }

    /// The inverse of [`day_number`].
    pub(super) fn day_from_number(n: i64) -> Result<Date> {
        indicators::date_of_day_number(n).ok_or_else(|| corrupt("date invalide"))
    }

    /// First byte of an establishment blob since the compact layout: days as
    /// differences, care-plan statuses through a dictionary (version 1 wrote
    /// every day in full and every status as text; it is still read).
    const RECORDS_VERSION: u8 = 2;

    /// A difference of days, as stored (an end before its start is allowed).
    fn put_day_delta(out: &mut Vec<u8>, day: Date, base: i64) {
        put_i(out, day_number(day).wrapping_sub(base));
    }

    /// An optional end: 0 for none, else the zigzag difference from `base`
    /// plus one.
    fn put_opt_day_delta(out: &mut Vec<u8>, day: Option<Date>, base: i64) {
        match day {
            None => out.push(0),
            Some(d) => {
                let v = day_number(d).wrapping_sub(base);
                put_u(out, ((v << 1) ^ (v >> 63)) as u64 + 1);
            }
        }
    }

    /// The establishment blob (version 2): every record (sorted by person,
    /// stays and spans sorted and without duplicates), without its day rows.
    ///
    /// The dictionary of care-plan status codes, the number of records, then
    /// per record: person (difference from the previous one), first day
    /// (difference from the previous record's), its stays (start as a
    /// difference from the first day, end from the start) and its status
    /// spans (plan id as a difference from the previous span's, status as a
    /// dictionary position, first day as a difference from the record's
    /// first day, last day from the span's first).
    pub(super) fn encode_records(records: &[RecordActivity]) -> Vec<u8> {
        let mut statuses: Vec<CarePlanStatus> = records
            .iter()
            .flat_map(|r| r.care_plans.iter().map(|c| c.status))
            .collect();
        statuses.sort_unstable();
        statuses.dedup();
        let mut out = Vec::with_capacity(16 + records.len() * 16);
        out.push(RECORDS_VERSION);
        put_len(&mut out, statuses.len());
        for s in &statuses {
            put_text(&mut out, s.code());
        }
        put_len(&mut out, records.len());
        let mut previous = 0i64;
        let mut previous_day = 0i64;
        let mut previous_plan = 0i64;
        for r in records {
            put_i(&mut out, r.person_id.0.wrapping_sub(previous));
            previous = r.person_id.0;
            let first = day_number(r.exists_from);
            put_i(&mut out, first.wrapping_sub(previous_day));
            previous_day = first;
            put_len(&mut out, r.stays.len());
            for s in &r.stays {
                put_day_delta(&mut out, s.start, first);
                put_opt_day_delta(&mut out, s.end, day_number(s.start));
            }
            put_len(&mut out, r.care_plans.len());
            for c in &r.care_plans {
                put_i(&mut out, c.care_plan_id.0.wrapping_sub(previous_plan));
                previous_plan = c.care_plan_id.0;
                put_len(
                    &mut out,
                    statuses.binary_search(&c.status).unwrap_or_default(),
                );
                put_day_delta(&mut out, c.from, first);
                put_opt_day_delta(&mut out, c.until, day_number(c.from));
            }
        }
        out
    }

    /// The version 1 encoding, for the tests of old blobs.
    #[cfg(test)]
    pub(super) fn encode_records_v1(records: &[RecordActivity]) -> Vec<u8> {
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

    /// What reading an establishment blob gives, in blob order: the number
    /// of records, then each record followed by its stays and its status
    /// spans; days as day numbers.
    pub(super) trait RecordSink {
        fn records(&mut self, n: usize);
        fn record(&mut self, person: i64, exists_from: i32) -> Result<()>;
        fn stay(&mut self, start: i32, end: Option<i32>) -> Result<()>;
        fn care_plan(
            &mut self,
            id: i64,
            status: CarePlanStatus,
            from: i32,
            until: Option<i32>,
        ) -> Result<()>;
    }

    #[inline(always)]
    fn day_plus(base: i32, delta: i64) -> Read<i32> {
        i64::from(base)
            .checked_add(delta)
            .and_then(|d| i32::try_from(d).ok())
            .ok_or(damaged!("date invalide"))
    }

    impl Reader<'_> {
        /// An optional end written by `put_opt_day_delta`.
        #[inline(always)]
        fn opt_day_delta(&mut self, base: i32) -> Read<Option<i32>> {
            match self.u()? {
                0 => Ok(None),
                v => {
                    let v = v - 1;
                    let delta = ((v >> 1) as i64) ^ -((v & 1) as i64);
                    Ok(Some(day_plus(base, delta)?))
                }
            }
        }
    }

    /// Reads an establishment blob (version 1 or 2) into `sink`.
    pub(super) fn visit_records(buf: &[u8], sink: &mut impl RecordSink) -> Result<()> {
        let mut r = Reader { buf, pos: 1 };
        match buf.first() {
            Some(&VERSION) => {
                let n = r.len()?;
                sink.records(n);
                let mut person = 0i64;
                for _ in 0..n {
                    person = person.wrapping_add(r.i()?);
                    sink.record(person, r.day_number()?)?;
                    for _ in 0..r.len()? {
                        let start = r.day_number()?;
                        sink.stay(start, r.opt_day_number()?)?;
                    }
                    for _ in 0..r.len()? {
                        let id = r.i()?;
                        let status = code(r.text()?, CarePlanStatus::from_code)?;
                        let from = r.day_number()?;
                        sink.care_plan(id, status, from, r.opt_day_number()?)?;
                    }
                }
            }
            Some(&RECORDS_VERSION) => {
                let mut statuses = Vec::new();
                for _ in 0..r.len()? {
                    statuses.push(code(r.text()?, CarePlanStatus::from_code)?);
                }
                let n = r.len()?;
                sink.records(n);
                let mut person = 0i64;
                let mut first = 0i32;
                let mut plan = 0i64;
                for _ in 0..n {
                    person = person.wrapping_add(r.i()?);
                    first = day_plus(first, r.i()?)?;
                    sink.record(person, first)?;
                    for _ in 0..r.len()? {
                        let start = day_plus(first, r.i()?)?;
                        sink.stay(start, r.opt_day_delta(start)?)?;
                    }
                    for _ in 0..r.len()? {
                        plan = plan.wrapping_add(r.i()?);
                        let status = usize::try_from(r.u()?)
                            .ok()
                            .and_then(|i| statuses.get(i))
                            .copied()
                            .ok_or_else(|| corrupt("statut invalide"))?;
                        let from = day_plus(first, r.i()?)?;
                        sink.care_plan(plan, status, from, r.opt_day_delta(from)?)?;
                    }
                }
            }
            _ => return Err(corrupt("version de donnée inconnue")),
        }
        Ok(r.finish()?)
    }

    fn date_of(n: i32) -> Result<Date> {
        day_from_number(i64::from(n))
    }

    /// Full records (`RecordActivity`), for the explanation and the writes.
    struct FullRecords {
        out: Vec<RecordActivity>,
        day_rows: usize,
    }

    impl RecordSink for FullRecords {
        fn records(&mut self, n: usize) {
            self.out.reserve(n);
        }

        fn record(&mut self, person: i64, exists_from: i32) -> Result<()> {
            self.out.push(RecordActivity {
                person_id: PersonId(person),
                exists_from: date_of(exists_from)?,
                stays: Vec::new(),
                care_plans: Vec::new(),
                days: Vec::with_capacity(self.day_rows),
            });
            Ok(())
        }

        fn stay(&mut self, start: i32, end: Option<i32>) -> Result<()> {
            let span = StaySpan {
                start: date_of(start)?,
                end: end.map(date_of).transpose()?,
            };
            if let Some(r) = self.out.last_mut() {
                r.stays.push(span);
            }
            Ok(())
        }

        fn care_plan(
            &mut self,
            id: i64,
            status: CarePlanStatus,
            from: i32,
            until: Option<i32>,
        ) -> Result<()> {
            let span = CarePlanSpan {
                care_plan_id: CarePlanId(id),
                status,
                from: date_of(from)?,
                until: until.map(date_of).transpose()?,
            };
            if let Some(r) = self.out.last_mut() {
                r.care_plans.push(span);
            }
            Ok(())
        }
    }

    /// The records of an establishment blob whose first day passes `keep`.
    pub(super) fn decode_records(
        buf: &[u8],
        keep: impl Fn(Date) -> bool,
        day_rows: usize,
    ) -> Result<Vec<RecordActivity>> {
        let mut sink = FullRecords {
            out: Vec::new(),
            day_rows,
        };
        visit_records(buf, &mut sink)?;
        let mut out = sink.out;
        out.retain(|r| keep(r.exists_from));
        Ok(out)
    }

    /// Gives an establishment's records blob to `sink` (every record: one
    /// created after the period counts in nothing), each record with its
    /// marks from `months` (merged by person), then the months' MSSanté
    /// messages of the period.
    pub(super) fn feed(
        records: Option<&[u8]>,
        months: &mut [MarkCursor<'_>],
        sink: &mut impl PeriodSink,
    ) -> Result<()> {
        if let Some(buf) = records {
            visit_records(buf, &mut Feed { sink, months })?;
        }
        let mut messages = 0u64;
        for m in months.iter_mut() {
            messages = messages.saturating_add(m.messages);
            m.drain()?;
        }
        sink.mss_messages(messages);
        Ok(())
    }

    struct Feed<'x, 'b, S> {
        sink: &'x mut S,
        months: &'x mut [MarkCursor<'b>],
    }

    impl<S: PeriodSink> RecordSink for Feed<'_, '_, S> {
        #[inline(always)]
        fn records(&mut self, n: usize) {
            self.sink.expect(n);
        }

        #[inline(always)]
        fn record(&mut self, person: i64, exists_from: i32) -> Result<()> {
            self.sink
                .record(PersonId(person), exists_from)
                .map_err(indicator_error)?;
            let mut marks = MarkSet::EMPTY;
            for m in self.months.iter_mut() {
                marks |= m.take(person)?;
            }
            if !marks.is_empty() {
                self.sink.marks(marks);
            }
            Ok(())
        }

        #[inline(always)]
        fn stay(&mut self, start: i32, end: Option<i32>) -> Result<()> {
            self.sink.stay(start, end);
            Ok(())
        }

        #[inline(always)]
        fn care_plan(
            &mut self,
            _id: i64,
            status: CarePlanStatus,
            from: i32,
            until: Option<i32>,
        ) -> Result<()> {
            self.sink.care_plan(status, from, until);
            Ok(())
        }
    }

    /// The marks of one month for a period, person by person (increasing),
    /// from the month's summary (a month the period covers whole) or from its
    /// day bitmaps (a month it covers in part: only the period's days count).
    pub(super) struct MarkCursor<'b> {
        r: Reader<'b>,
        /// Persons not read yet.
        left: usize,
        /// The last person read (persons are stored as differences).
        person: i64,
        /// Summary: the mark set of each position of its set table; day
        /// bitmaps: the mark of each dictionary position.
        sets: Vec<MarkSet>,
        /// `None` for a summary, else the period's days in the month.
        mask: Option<u32>,
        /// The next person and its marks, read but not taken yet.
        head: Option<(i64, MarkSet)>,
        /// MSSanté messages of the month sent during the period.
        pub messages: u64,
    }

    impl<'b> MarkCursor<'b> {
        /// A month summary (`MonthBlob::summary`).
        pub fn summary(buf: &'b [u8], cache: &mut Dictionaries) -> Result<Self> {
            let mut r = Reader::new(buf)?;
            let marks = r.mark_sets(cache)?.to_vec();
            let messages = r.u()?;
            let n = r.len()?;
            let mut sets = Vec::with_capacity(n);
            for _ in 0..n {
                let mut bits = r.u()?;
                let mut set = MarkSet::EMPTY;
                while bits != 0 {
                    let i = bits.trailing_zeros() as usize;
                    set |= *marks.get(i).ok_or_else(|| corrupt("marque invalide"))?;
                    bits &= bits - 1;
                }
                sets.push(set);
            }
            Self::start(r, sets, None, messages)
        }

        /// A month blob, for the period's days of `month` only.
        pub fn days(
            buf: &'b [u8],
            month: Month,
            period: Period,
            cache: &mut Dictionaries,
        ) -> Result<Self> {
            let mask = period.mask(month);
            let mut r = Reader::new(buf)?;
            let sets = r.mark_sets(cache)?.to_vec();
            let mut messages = 0u64;
            for _ in 0..r.len()? {
                let day = i8::try_from(r.byte()?).map_err(|_| corrupt("jour invalide"))?;
                let count = r.u()?;
                if !(1..=month.days()).contains(&day) {
                    return Err(corrupt("jour invalide"));
                }
                if (1u32 << (day - 1)) & mask != 0 {
                    messages = messages.saturating_add(count);
                }
            }
            Self::start(r, sets, Some(mask), messages)
        }

        fn start(
            mut r: Reader<'b>,
            sets: Vec<MarkSet>,
            mask: Option<u32>,
            messages: u64,
        ) -> Result<Self> {
            let left = r.len()?;
            let mut cursor = Self {
                r,
                left,
                person: 0,
                sets,
                mask,
                head: None,
                messages,
            };
            cursor.advance()?;
            Ok(cursor)
        }

        /// Reads the next person into `head`.
        #[inline(always)]
        fn advance(&mut self) -> Read<()> {
            if self.left == 0 {
                self.head = None;
                return Ok(());
            }
            self.left -= 1;
            self.person = self.person.wrapping_add(self.r.i()?);
            let marks = match self.mask {
                None => {
                    let i = usize::try_from(self.r.u()?)
                        .map_err(|_| damaged!("ensemble de marques invalide"))?;
                    *self
                        .sets
                        .get(i)
                        .ok_or(damaged!("ensemble de marques invalide"))?
                }
                Some(mask) => {
                    let mut marks = MarkSet::EMPTY;
                    for _ in 0..self.r.len()? {
                        let i = usize::try_from(self.r.u()?)
                            .map_err(|_| damaged!("marque invalide"))?;
                        let set = *self.sets.get(i).ok_or(damaged!("marque invalide"))?;
                        if self.r.u32le()? & mask != 0 {
                            marks |= set;
                        }
                    }
                    marks
                }
            };
            self.head = Some((self.person, marks));
            Ok(())
        }

        /// The marks of `person` (none if absent); persons before it are
        /// skipped. Persons must be asked in increasing order.
        #[inline(always)]
        pub fn take(&mut self, person: i64) -> Read<MarkSet> {
            while let Some((p, marks)) = self.head {
                if p > person {
                    break;
                }
                self.advance()?;
                if p == person {
                    return Ok(marks);
                }
            }
            Ok(MarkSet::EMPTY)
        }

        /// Reads what is left, so that a damaged blob is an error.
        pub fn drain(&mut self) -> Result<()> {
            while self.head.is_some() {
                self.advance()?;
            }
            Ok(self.r.finish()?)
        }
    }

    /// Mark dictionaries already parsed, by their bytes.
    #[derive(Default)]
    pub(super) struct Dictionaries(
        HashMap<Box<[u8]>, Vec<MarkSet>, std::hash::BuildHasherDefault<SampleHasher>>,
    );

    /// Hashes a dictionary by its length and a few of its bytes: the keys
    /// are few and compared in full on a hit, and hashing each blob's
    /// dictionary in full costs more than parsing the rest of a summary.
    #[derive(Default)]
    pub(super) struct SampleHasher(u64);

    impl std::hash::Hasher for SampleHasher {
        fn finish(&self) -> u64 {
            self.0
        }

        fn write(&mut self, bytes: &[u8]) {
            let n = bytes.len();
            let mut h = self.0 ^ (n as u64);
            for i in [0, n / 4, n / 2, 3 * n / 4, n.saturating_sub(1)] {
                if let Some(&b) = bytes.get(i) {
                    h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
                }
            }
            self.0 = h.rotate_left(5);
        }
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
        Ok(r.finish()?)
    }

    /// What `MonthBlob::or` changed: the summary changes only with a new
    /// (person, mark) entry.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
    pub(crate) enum Or {
        Unchanged,
        Days,
        Entry,
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

        /// The marks used, sorted: the blob's dictionary.
        fn dictionary(&self) -> Vec<Mark> {
            let mut dictionary: Vec<Mark> = self.marks.iter().map(|&(_, m, _)| m).collect();
            dictionary.sort_unstable();
            dictionary.dedup();
            dictionary
        }

        fn put_dictionary(out: &mut Vec<u8>, dictionary: &[Mark]) {
            put_len(out, dictionary.len());
            for m in dictionary {
                put_text(out, &m.code());
            }
        }

        pub fn encode(&self) -> Vec<u8> {
            let dictionary = self.dictionary();
            let mut out = Vec::with_capacity(64 + self.marks.len() * 7);
            out.push(VERSION);
            Self::put_dictionary(&mut out, &dictionary);
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

        /// The month's summary (`visit_summary`): the mark dictionary, the
        /// month's MSSanté message count, the distinct sets of marks that
        /// records carry (one bit per dictionary position), then each person
        /// (difference from the previous one) and the position of its set.
        pub fn summary(&self) -> Vec<u8> {
            let dictionary = self.dictionary();
            let persons: Vec<(i64, u64)> = self
                .marks
                .chunk_by(|a, b| a.0 == b.0)
                .map(|group| {
                    let person = group.first().map_or(0, |g| g.0);
                    let mut bits = 0u64;
                    for &(_, mark, _) in group {
                        // At most 64 marks exist (`MarkSet`).
                        let i = dictionary.binary_search(&mark).unwrap_or_default();
                        bits |= 1u64.checked_shl(i as u32).unwrap_or(0);
                    }
                    (person, bits)
                })
                .collect();
            // The sets that occur, the most frequent first (one-byte
            // positions), ties by value.
            let mut frequency: BTreeMap<u64, usize> = BTreeMap::new();
            for &(_, bits) in &persons {
                *frequency.entry(bits).or_default() += 1;
            }
            let mut sets: Vec<(usize, u64)> = frequency.into_iter().map(|(b, n)| (n, b)).collect();
            sets.sort_unstable_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
            let position: HashMap<u64, usize> =
                sets.iter().enumerate().map(|(i, &(_, b))| (b, i)).collect();
            let mut out = Vec::with_capacity(64 + sets.len() * 4 + persons.len() * 2);
            out.push(VERSION);
            Self::put_dictionary(&mut out, &dictionary);
            let messages: u64 = self.messages.iter().map(|&(_, c)| u64::from(c)).sum();
            put_u(&mut out, messages);
            put_len(&mut out, sets.len());
            for &(_, bits) in &sets {
                put_u(&mut out, bits);
            }
            put_len(&mut out, persons.len());
            let mut previous = 0i64;
            for (person, bits) in persons {
                put_i(&mut out, person.wrapping_sub(previous));
                previous = person;
                put_len(&mut out, position.get(&bits).copied().unwrap_or_default());
            }
            out
        }

        /// ORs `days` into (person, mark); what changed.
        pub fn or(&mut self, person: i64, mark: Mark, days: u32) -> Or {
            if days == 0 {
                return Or::Unchanged;
            }
            match self
                .marks
                .binary_search_by(|&(p, m, _)| (p, m).cmp(&(person, mark)))
            {
                Ok(i) => {
                    let old = self.marks[i].2;
                    self.marks[i].2 = old | days;
                    if old | days == old {
                        Or::Unchanged
                    } else {
                        Or::Days
                    }
                }
                Err(i) => {
                    self.marks.insert(i, (person, mark, days));
                    Or::Entry
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

/// Bits of the days that exist in `month`.
fn month_bits(month: Month) -> u32 {
    month.mask(month.first_day(), month.last_day())
}

/// A row's `data`, borrowed (the read path does not copy the blobs).
fn blob(row: &sqlx::any::AnyRow) -> Result<&[u8]> {
    sqlx::Row::try_get::<&[u8], _>(row, "data")
        .map_err(|e| StoreError::corrupt(format!("colonne data : {e}")))
}

/// A nullable blob column, borrowed.
fn opt_blob<'r>(row: &'r sqlx::any::AnyRow, column: &str) -> Result<Option<&'r [u8]>> {
    sqlx::Row::try_get::<Option<&[u8]>, _>(row, column)
        .map_err(|e| StoreError::corrupt(format!("colonne {column} : {e}")))
}

/// The marks of a month blob for `period`: its summary when the period
/// covers the month whole, else its day bitmaps.
fn month_cursor<'b>(
    data: &'b [u8],
    (month, whole): (Month, bool),
    period: Period,
    cache: &mut codec::Dictionaries,
) -> Result<codec::MarkCursor<'b>> {
    if whole {
        codec::MarkCursor::summary(data, cache)
    } else {
        codec::MarkCursor::days(data, month, period, cache)
    }
}

/// A month blob of a period: its month, whether the period covers it whole
/// (then it is the month's summary), its bytes.
type MonthBlobRef<'b> = (Month, bool, &'b [u8]);

/// Months joined per statement of `feed_period`.
const MONTHS_PER_QUERY: usize = 12;

/// Reads the index for a period into `sinks` (one per establishment, in the
/// same order): each establishment's records blob, with the summaries of the
/// months the period covers whole and the day bitmaps of those it covers in
/// part. Returns the establishments not built yet (`activity_pending`),
/// whose sinks got nothing.
///
/// Up to `MONTHS_PER_QUERY` months, one statement returns one row per
/// establishment with all of its blobs (one subquery per blob), decoded as
/// it arrives. Fewer, wider rows: on SQLite each row costs a hop between
/// sqlx's thread and the caller. Subqueries rather than outer joins: on
/// PostgreSQL a hash join per month must be built before the first row comes
/// out, a subquery lets each row go as soon as its blobs are found (the
/// caller decodes while the server reads). Longer periods read the month
/// rows apart and group them.
/// Each establishment's index in `establishments` by id, and the ids as a
/// list for `IN (…)`: integers, written into the text, need no parameters.
fn id_positions(establishments: &[Establishment]) -> (HashMap<i64, usize>, String) {
    let position = establishments
        .iter()
        .enumerate()
        .map(|(i, e)| (e.id.0, i))
        .collect();
    let ids = establishments
        .iter()
        .map(|e| e.id.0.to_string())
        .collect::<Vec<_>>()
        .join(",");
    (position, ids)
}

/// One part of `Db::period_indicators`, owning what it reads so that it can
/// run in a task of its own: the results of `establishments` in their order,
/// and those not built yet (their results are empty, the caller replaces them).
async fn count_period(
    pool: AnyPool,
    rules: RuleSet,
    period: Period,
    establishments: Vec<Establishment>,
) -> Result<(Vec<indicators::EstablishmentResult>, HashSet<i64>)> {
    let figures = PeriodFigures::new(&rules, period).map_err(indicator_error)?;
    let mut counters: Vec<_> = establishments
        .iter()
        .map(|e| figures.establishment(e))
        .collect();
    let mut conn = pool.acquire().await?;
    let pending = feed_period(&mut conn, &establishments, period, &mut counters).await?;
    Ok((counters.into_iter().map(|c| c.finish()).collect(), pending))
}

/// From how many establishments a period's figures are read on two
/// connections at once (below, the second connection costs more than it saves).
const SPLIT_FROM: usize = 16;

async fn feed_period<S: PeriodSink>(
    conn: &mut AnyConnection,
    establishments: &[Establishment],
    period: Period,
    sinks: &mut [S],
) -> Result<HashSet<i64>> {
    let mut pending = HashSet::new();
    if establishments.is_empty() {
        return Ok(pending);
    }
    let (position, ids) = id_positions(establishments);
    let months: Vec<(Month, bool)> = period
        .months()
        .into_iter()
        .map(|m| (m, period.mask(m) == month_bits(m)))
        .collect();
    let mut cache = codec::Dictionaries::default();
    let table = |whole: bool| {
        if whole {
            "activity_summaries"
        } else {
            "activity_months"
        }
    };
    let head = "SELECT x.id AS establishment_id, p.establishment_id AS pending, e.data AS records";
    let head_joins = "LEFT JOIN activity_pending p ON p.establishment_id = x.id \
                      LEFT JOIN activity_establishments e ON e.establishment_id = x.id";
    if months.len() <= MONTHS_PER_QUERY {
        let mut columns = vec![
            "x.id AS establishment_id".to_owned(),
            "(SELECT p.establishment_id FROM activity_pending p WHERE p.establishment_id = x.id) AS pending".to_owned(),
            "(SELECT e.data FROM activity_establishments e WHERE e.establishment_id = x.id) AS records".to_owned(),
        ];
        for (i, &(month, whole)) in months.iter().enumerate() {
            columns.push(format!(
                "(SELECT m.data FROM {} m WHERE m.establishment_id = x.id AND m.month = {}) AS m{i}",
                table(whole),
                month.ordinal()
            ));
        }
        let sql = format!(
            "SELECT {} FROM establishments x WHERE x.id IN ({ids})",
            columns.join(", ")
        );
        let names: Vec<String> = (0..months.len()).map(|i| format!("m{i}")).collect();
        // Each row is decoded as it comes, while the database prepares the
        // next ones.
        let mut rows = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch(&mut *conn);
        while let Some(row) = rows.try_next().await? {
            let id = row.int("establishment_id")?;
            let Some(sink) = position.get(&id).and_then(|&i| sinks.get_mut(i)) else {
                continue;
            };
            if row.opt_int("pending")?.is_some() {
                pending.insert(id);
                continue;
            }
            let mut cursors = Vec::with_capacity(months.len());
            for (name, &month) in names.iter().zip(&months) {
                if let Some(data) = opt_blob(&row, name)? {
                    cursors.push(month_cursor(data, month, period, &mut cache)?);
                }
            }
            codec::feed(opt_blob(&row, "records")?, &mut cursors, sink)?;
        }
        return Ok(pending);
    }
    let heads = sqlx::query(sqlx::AssertSqlSafe(format!(
        "{head} FROM establishments x {head_joins} WHERE x.id IN ({ids})"
    )))
    .fetch_all(&mut *conn)
    .await?;
    let mut month_rows = Vec::new();
    for whole in [true, false] {
        let wanted: Vec<String> = months
            .iter()
            .filter(|m| m.1 == whole)
            .map(|m| m.0.ordinal().to_string())
            .collect();
        if wanted.is_empty() {
            continue;
        }
        let sql = format!(
            "SELECT establishment_id, month, data FROM {} WHERE establishment_id IN ({ids}) AND month IN ({})",
            table(whole),
            wanted.join(",")
        );
        for row in sqlx::query(sqlx::AssertSqlSafe(sql))
            .fetch_all(&mut *conn)
            .await?
        {
            month_rows.push((whole, row));
        }
    }
    let mut by_establishment: HashMap<i64, Vec<MonthBlobRef<'_>>> = HashMap::new();
    for (whole, row) in &month_rows {
        let ordinal = i32::try_from(row.int("month")?).map_err(StoreError::corrupt)?;
        let month = Month::from_ordinal(ordinal).map_err(indicator_error)?;
        by_establishment
            .entry(row.int("establishment_id")?)
            .or_default()
            .push((month, *whole, blob(row)?));
    }
    for row in &heads {
        let id = row.int("establishment_id")?;
        let Some(sink) = position.get(&id).and_then(|&i| sinks.get_mut(i)) else {
            continue;
        };
        if row.opt_int("pending")?.is_some() {
            pending.insert(id);
            continue;
        }
        let mut cursors = Vec::new();
        for &(month, whole, data) in by_establishment
            .get(&id)
            .map(Vec::as_slice)
            .unwrap_or_default()
        {
            cursors.push(month_cursor(data, (month, whole), period, &mut cache)?);
        }
        codec::feed(opt_blob(row, "records")?, &mut cursors, sink)?;
    }
    Ok(pending)
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

/// Writes a month blob of `table` (`activity_months` or
/// `activity_summaries`), its four parameters (organisation, establishment,
/// month, data) numbered from `$first`.
fn upsert_blob_sql(table: &str, first: usize) -> String {
    format!(
        "INSERT INTO {table} (organisation_id, establishment_id, month, data) VALUES (${}, ${}, ${}, ${}) \
         ON CONFLICT (establishment_id, month) DO UPDATE SET data = excluded.data",
        first,
        first + 1,
        first + 2,
        first + 3
    )
}

/// Writes one month blob, and its summary when `summary` is set (deletes
/// both when empty).
async fn save_month(
    conn: &mut AnyConnection,
    organisation: OrganisationId,
    establishment: EstablishmentId,
    month: i32,
    blob: &MonthBlob,
    summary: bool,
) -> Result<()> {
    if blob.is_empty() {
        for sql in [
            "DELETE FROM activity_months WHERE establishment_id = $1 AND month = $2",
            "DELETE FROM activity_summaries WHERE establishment_id = $1 AND month = $2",
        ] {
            sqlx::query(sql)
                .bind(establishment.0)
                .bind(i64::from(month))
                .execute(&mut *conn)
                .await?;
        }
        return Ok(());
    }
    sqlx::query(AssertSqlSafe(upsert_blob_sql("activity_months", 1)))
        .bind(organisation.0)
        .bind(establishment.0)
        .bind(i64::from(month))
        .bind(blob.encode())
        .execute(&mut *conn)
        .await?;
    if summary {
        sqlx::query(AssertSqlSafe(upsert_blob_sql("activity_summaries", 1)))
            .bind(organisation.0)
            .bind(establishment.0)
            .bind(i64::from(month))
            .bind(blob.summary())
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// The month summaries of one establishment, as stored.
async fn load_summaries(
    conn: &mut AnyConnection,
    establishment: EstablishmentId,
) -> Result<BTreeMap<i32, Vec<u8>>> {
    let rows =
        sqlx::query("SELECT month, data FROM activity_summaries WHERE establishment_id = $1")
            .bind(establishment.0)
            .fetch_all(&mut *conn)
            .await?;
    let mut out = BTreeMap::new();
    for row in &rows {
        let month = i32::try_from(row.int("month")?).map_err(StoreError::corrupt)?;
        out.insert(month, row.bytes("data")?);
    }
    Ok(out)
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
    for month in months_of(&rows, message) {
        let mut blobs = load_months(conn, establishment, Some(month)).await?;
        let ordinal = month.ordinal();
        let blob = blobs.entry(ordinal).or_default();
        let changed = add_to_month(blob, person, &rows, month, message);
        if changed != Or::Unchanged {
            let summary = changed == Or::Entry;
            save_month(conn, organisation, establishment, ordinal, blob, summary).await?;
        }
    }
    if let Some(first) = marks.iter().map(|m| m.day).min()
        && lower_exists_from(conn, organisation, establishment, person, first).await?
    {
        refresh_record(conn, organisation, establishment, person).await?;
    }
    Ok(())
}

/// The months a record's marks (folded by month) and message day fall in.
fn months_of(rows: &[indicators::MonthDays], message: Option<Date>) -> Vec<Month> {
    let mut months: Vec<Month> = rows.iter().map(|r| r.month).collect();
    months.extend(message.map(Month::of));
    months.sort_unstable();
    months.dedup();
    months
}

/// Adds a record's marks of `month` (and its message, when sent that month)
/// to the month's blob; says what changed (the summary holds the month's
/// message count, so a message changes an entry).
fn add_to_month(
    blob: &mut MonthBlob,
    person: PersonId,
    rows: &[indicators::MonthDays],
    month: Month,
    message: Option<Date>,
) -> Or {
    let mut changed = Or::Unchanged;
    for row in rows.iter().filter(|r| r.month == month) {
        changed = changed.max(blob.or(person.0, row.mark, row.days));
    }
    if let Some(day) = message.filter(|d| Month::of(*d) == month) {
        blob.add_message(day.day());
        changed = Or::Entry;
    }
    changed
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

/// Serialises, on PostgreSQL, the transactions that rewrite one
/// establishment's index blobs (`activity_months`, `activity_establishments`):
/// each reads a blob, changes it in Rust and writes it back, and under READ
/// COMMITTED two such transactions would both start from the same blob and
/// the second write would erase the first one's marks. A transaction-scoped
/// advisory lock, taken before the first read of the index, makes the next
/// statements of a waiting transaction see the committed blobs. SQLite needs
/// nothing: its writes run one at a time on the writer connection.
pub(crate) async fn lock_index(
    conn: &mut AnyConnection,
    establishment: EstablishmentId,
) -> Result<()> {
    if conn.backend_name() == "PostgreSQL" {
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(index_lock_key(establishment))
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// The advisory lock key of an establishment's index: its id in a range of
/// keys of its own ("CA" in the high bytes), away from other users of
/// PostgreSQL's advisory locks such as sqlx's migration lock.
pub(crate) fn index_lock_key(establishment: EstablishmentId) -> i64 {
    0x4341_0000_0000_0000 ^ establishment.0
}

/// Index maintenance after a new row, in the write's transaction.
pub(crate) async fn on_insert<R: crate::records::Attached>(
    db: &Db,
    conn: &mut AnyConnection,
    record: &R,
) -> Result<()> {
    lock_index(conn, record.establishment()).await?;
    let tz = db.time_zone(conn, record.establishment()).await?;
    if let Some(m) = PersonMarks::of(record, &tz) {
        return add_marks(
            conn,
            m.organisation,
            m.establishment,
            m.person,
            &m.marks,
            m.message,
        )
        .await;
    }
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
        Touch::Message(r) if r.person_id.is_none() => {
            let day = indicators::local_day(r.sent_at, &tz);
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
                true,
            )
            .await
        }
        // Records of one person: `PersonMarks` above.
        Touch::Event(_) | Touch::Appointment(_) | Touch::Document(_) | Touch::Message(_) => Ok(()),
    }
}

/// What the index learns of a new record of one person (an event, an
/// appointment, a document, a message about someone), known before it is
/// inserted: its day marks and, for a message, the day it counts on.
#[derive(Clone)]
pub(crate) struct PersonMarks {
    organisation: OrganisationId,
    establishment: EstablishmentId,
    person: PersonId,
    marks: Vec<DayMark>,
    message: Option<Date>,
}

impl PersonMarks {
    /// `None` for a stay or a message about nobody (they change other blobs).
    pub(crate) fn of<R: crate::records::Attached>(
        record: &R,
        tz: &jiff::tz::TimeZone,
    ) -> Option<Self> {
        let of = |organisation, establishment, person, marks, message| {
            Some(PersonMarks {
                organisation,
                establishment,
                person,
                marks,
                message,
            })
        };
        match record.touch() {
            Touch::Stay(_) => None,
            Touch::Event(r) => of(
                r.organisation_id,
                r.establishment_id,
                r.person_id,
                indicators::event_marks(r, tz),
                None,
            ),
            Touch::Appointment(r) => of(
                r.organisation_id,
                r.establishment_id,
                r.person_id,
                indicators::appointment_marks(r, tz),
                None,
            ),
            Touch::Document(r) => of(
                r.organisation_id,
                r.establishment_id,
                r.person_id,
                indicators::document_marks(r, tz),
                None,
            ),
            Touch::Message(r) => of(
                r.organisation_id,
                r.establishment_id,
                r.person_id?,
                indicators::message_marks(r, tz),
                Some(indicators::local_day(r.sent_at, tz)),
            ),
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
    lock_index(conn, establishment_id).await?;
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
            save_month(
                conn,
                e.organisation_id,
                establishment_id,
                *month,
                blob,
                true,
            )
            .await?;
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
    lock_index(conn, id).await?;
    let e = establishment(conn, id).await?;
    for table in [
        "activity_records",
        "activity_care_plans",
        "activity_months",
        "activity_summaries",
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
        save_month(conn, e.organisation_id, id, *month, blob, true).await?;
    }
    save_records(conn, e.organisation_id, id, &activity.records).await
}

impl Db {
    /// The time zone of an establishment if this process already read it.
    pub(crate) fn known_time_zone(&self, id: EstablishmentId) -> Option<jiff::tz::TimeZone> {
        self.time_zones
            .read()
            .ok()
            .and_then(|m| m.get(&id.0).cloned())
    }

    /// An establishment's time zone, cached: it never changes once created.
    pub(crate) async fn time_zone(
        &self,
        conn: &mut AnyConnection,
        id: EstablishmentId,
    ) -> Result<jiff::tz::TimeZone> {
        // Parsed once: looking a zone up in the database on every note costs
        // more than the note's own statements.
        if let Some(tz) = self.known_time_zone(id) {
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
        let (position, ids) = id_positions(establishments);
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

    /// The engine's compact input for these establishments and period
    /// (`indicators::compute_period`), kept: what the checks compare.
    /// `Db::indicators` counts the same input without keeping it.
    pub async fn period_activity(
        &self,
        establishments: &[Establishment],
        period: Period,
    ) -> Result<Vec<PeriodActivity>> {
        let mut out: Vec<PeriodActivity> = establishments
            .iter()
            .map(|e| PeriodActivity::new(e, period))
            .collect();
        let mut conn = self.pool.acquire().await?;
        let pending = feed_period(&mut conn, establishments, period, &mut out).await?;
        for (e, a) in establishments.iter().zip(out.iter_mut()) {
            if pending.contains(&e.id.0) {
                // Not built yet (migrated database): the raw rows answer.
                let raw = load_raw(&mut conn, e.id, None).await?.derive(e)?;
                *a = PeriodActivity::from_activity(&raw, period).map_err(indicator_error)?;
            }
        }
        Ok(out)
    }

    /// Every figure of these establishments for a period under `rules`, from
    /// the index: each establishment's records are counted as they are
    /// decoded (`indicators::PeriodFigures`), nothing is kept per record but
    /// the ids of the active ones. The same report as `compute` on
    /// `Db::activity` (the checks compare them).
    pub async fn period_indicators(
        &self,
        rules: &RuleSet,
        period: Period,
        establishments: &[Establishment],
    ) -> Result<IndicatorReport> {
        let figures = PeriodFigures::new(rules, period).map_err(indicator_error)?;
        let (mut results, pending) = if establishments.len() >= SPLIT_FROM {
            // Two halves on two connections, each decoded in a task of its
            // own: each statement runs in its own connection's thread
            // (SQLite) or server process (PostgreSQL) and each half's rows
            // are counted on another worker thread as they come. Decoding
            // both halves in this one task made it the bottleneck on SQLite.
            let half = establishments.len() / 2;
            let (first, second) = establishments.split_at(half);
            let spawned = tokio::spawn(count_period(
                self.pool.clone(),
                rules.clone(),
                period,
                first.to_vec(),
            ));
            let mut conn = self.pool.acquire().await?;
            let mut counters: Vec<_> = second.iter().map(|e| figures.establishment(e)).collect();
            let other = feed_period(&mut conn, second, period, &mut counters).await?;
            let (mut results, mut pending) = match spawned.await {
                Ok(counted) => counted?,
                Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
                Err(_) => {
                    return Err(StoreError::Conflict(
                        "calcul des indicateurs interrompu (arrêt du programme)".to_owned(),
                    ));
                }
            };
            results.extend(counters.into_iter().map(|c| c.finish()));
            pending.extend(other);
            (results, pending)
        } else {
            let mut conn = self.pool.acquire().await?;
            let mut counters: Vec<_> = establishments
                .iter()
                .map(|e| figures.establishment(e))
                .collect();
            let pending = feed_period(&mut conn, establishments, period, &mut counters).await?;
            (counters.into_iter().map(|c| c.finish()).collect(), pending)
        };
        if !pending.is_empty() {
            let mut conn = self.pool.acquire().await?;
            for (e, result) in establishments.iter().zip(results.iter_mut()) {
                if pending.contains(&e.id.0) {
                    // Not built yet (migrated database): the raw rows answer.
                    let raw = load_raw(&mut conn, e.id, None).await?.derive(e)?;
                    let mut counter = figures.establishment(e);
                    PeriodActivity::from_activity(&raw, period)
                        .and_then(|a| a.feed(&mut counter))
                        .map_err(indicator_error)?;
                    *result = counter.finish();
                }
            }
        }
        figures.report(results).map_err(indicator_error)
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
        // Every index table was rewritten: without fresh statistics the
        // planners read a period's months by scanning them all.
        self.analyze().await
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
            let pending: HashSet<i64> =
                sqlx::query("SELECT establishment_id FROM activity_pending")
                    .fetch_all(self.pool())
                    .await?
                    .iter()
                    .map(|row| row.int("establishment_id"))
                    .collect::<Result<_>>()?;
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
                // The compact input (establishment blob, month summaries).
                let compact = self
                    .period_activity(std::slice::from_ref(e), period)
                    .await?
                    .pop();
                let expected_compact =
                    PeriodActivity::from_activity(&expected, period).map_err(indicator_error)?;
                // Each month's summary is that of its day bitmaps.
                let summaries_agree = pending.contains(&e.id.0) || {
                    let mut conn = self.pool.acquire().await?;
                    let months = load_months(&mut conn, e.id, None).await?;
                    let summaries = load_summaries(&mut conn, e.id).await?;
                    months.len() == summaries.len()
                        && months
                            .iter()
                            .all(|(m, blob)| summaries.get(m) == Some(&blob.summary()))
                };
                if indexed.as_ref() != Some(&expected)
                    || compact.as_ref() != Some(&expected_compact)
                    || !summaries_agree
                {
                    if std::env::var("CARNET_DEBUG_ACTIVITY").is_ok() {
                        eprintln!("index: {indexed:?}\nraw:   {expected:?}");
                        eprintln!("compact: {compact:?}\nraw:     {expected_compact:?}");
                        eprintln!("summaries agree: {summaries_agree}");
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

#[cfg(test)]
mod tests {
    use super::codec::*;
    use super::*;
    use jiff::civil::date;

    fn records() -> Vec<RecordActivity> {
        let span = |id, status, from, until| CarePlanSpan {
            care_plan_id: CarePlanId(id),
            status,
            from,
            until,
        };
        vec![
            RecordActivity {
                person_id: PersonId(3),
                exists_from: date(2024, 2, 29),
                stays: vec![
                    StaySpan {
                        start: date(2024, 2, 29),
                        end: Some(date(2024, 3, 1)),
                    },
                    StaySpan {
                        start: date(2024, 6, 1),
                        end: None,
                    },
                ],
                care_plans: vec![
                    span(
                        40,
                        CarePlanStatus::EnPreparation,
                        date(2024, 3, 1),
                        Some(date(2024, 3, 9)),
                    ),
                    span(40, CarePlanStatus::EnCours, date(2024, 3, 10), None),
                ],
                days: Vec::new(),
            },
            RecordActivity {
                person_id: PersonId(7),
                // Before 1970, and a stay that ends before it starts: stored
                // as given.
                exists_from: date(1969, 12, 31),
                stays: vec![StaySpan {
                    start: date(2030, 1, 1),
                    end: Some(date(2029, 12, 31)),
                }],
                care_plans: vec![span(12, CarePlanStatus::Termine, date(1969, 12, 31), None)],
                days: Vec::new(),
            },
            RecordActivity {
                person_id: PersonId(1_000_000),
                exists_from: date(2024, 1, 1),
                stays: Vec::new(),
                // The last status of the dictionary ends the blob.
                care_plans: vec![
                    span(
                        90,
                        CarePlanStatus::EnPause,
                        date(2024, 1, 1),
                        Some(date(2024, 1, 2)),
                    ),
                    span(90, CarePlanStatus::Termine, date(2024, 1, 3), None),
                ],
                days: Vec::new(),
            },
        ]
    }

    fn establishment() -> Establishment {
        Establishment {
            id: EstablishmentId(1),
            organisation_id: OrganisationId(1),
            finess: "330780495".parse().unwrap(),
            name: "ESSMS".to_owned(),
            category: Category::Ehpad,
            sector: Sector::PersonnesAgees,
            time_zone: "Europe/Paris".to_owned(),
        }
    }

    /// Blobs written before the compact layout (version 1) read the same as
    /// the ones written now, in full and into the compact input.
    #[test]
    fn establishment_blobs_of_both_versions_read_the_same() {
        let records = records();
        let v1 = encode_records_v1(&records);
        let v2 = encode_records(&records);
        assert_eq!(v1.first(), Some(&1));
        assert_eq!(v2.first(), Some(&2));
        assert!(v2.len() < v1.len());
        for blob in [&v1, &v2] {
            assert_eq!(decode_records(blob, |_| true, 0).unwrap(), records);
            let kept = decode_records(blob, |d| d >= date(2024, 1, 1), 0).unwrap();
            assert_eq!(kept.len(), 2);
        }
        let period = Period::new(date(2024, 3, 1), date(2024, 3, 31)).unwrap();
        let activity = EstablishmentActivity {
            establishment_id: EstablishmentId(1),
            finess: "330780495".parse().unwrap(),
            name: "ESSMS".to_owned(),
            time_zone: "Europe/Paris".to_owned(),
            records: records.clone(),
            mss_messages: Vec::new(),
        };
        let expected = PeriodActivity::from_activity(&activity, period).unwrap();
        for blob in [&v1, &v2] {
            let mut compact = PeriodActivity::new(&establishment(), period);
            feed(Some(blob), &mut [], &mut compact).unwrap();
            assert_eq!(compact, expected);
        }
        // A damaged blob is an error, not a panic.
        for cut in 0..v2.len() {
            assert!(decode_records(&v2[..cut], |_| true, 0).is_err());
        }
    }

    /// A month's summary holds each record's marks and the month's message
    /// count; the day bitmaps give the marks of the period's days only.
    #[test]
    fn month_cursors_give_each_persons_marks_in_the_period() {
        let transmission =
            Mark::Activity(indicators::ActivitySource::Event(EventKind::Transmission));
        let mut blob = MonthBlob::default();
        assert_eq!(blob.or(5, transmission, 1 << 3), Or::Entry);
        assert_eq!(blob.or(5, transmission, 1 << 4), Or::Days);
        assert_eq!(blob.or(5, transmission, 1 << 4), Or::Unchanged);
        assert_eq!(blob.or(5, Mark::DmpAccepted, 1), Or::Entry);
        assert_eq!(blob.or(2, Mark::Appointment, 1 << 29), Or::Entry);
        assert_eq!(blob.or(9, Mark::Appointment, 1 << 29), Or::Entry);
        blob.add_message(3);
        blob.add_message(3);
        blob.add_message(30);
        let summary = blob.summary();
        let data = blob.encode();
        let mut cache = Dictionaries::default();
        let month = Month::new(2024, 4).unwrap();
        let whole = Period::new(date(2024, 4, 1), date(2024, 4, 30)).unwrap();
        // Days 1 to 4 (bits 0 to 3) only.
        let part = Period::new(date(2024, 3, 20), date(2024, 4, 4)).unwrap();
        let mut s = MarkCursor::summary(&summary, &mut cache).unwrap();
        let mut d = MarkCursor::days(&data, month, whole, &mut cache).unwrap();
        let mut p = MarkCursor::days(&data, month, part, &mut cache).unwrap();
        assert_eq!((s.messages, d.messages, p.messages), (3, 3, 2));
        let five = MarkSet::of(transmission) | MarkSet::of(Mark::DmpAccepted);
        for c in [&mut s, &mut d] {
            assert_eq!(c.take(1).unwrap(), MarkSet::EMPTY);
            assert_eq!(c.take(2).unwrap(), MarkSet::of(Mark::Appointment));
            // Person 3 has nothing; person 5 skips nothing.
            assert_eq!(c.take(3).unwrap(), MarkSet::EMPTY);
            assert_eq!(c.take(5).unwrap(), five);
            // Person 9 is never asked: drained at the end.
            c.drain().unwrap();
        }
        assert_eq!(p.take(2).unwrap(), MarkSet::EMPTY);
        assert_eq!(p.take(5).unwrap(), five);
        p.drain().unwrap();
        for cut in 1..summary.len() {
            let damaged = MarkCursor::summary(&summary[..cut], &mut Dictionaries::default())
                .and_then(|mut c| c.drain());
            assert!(damaged.is_err(), "{cut}");
        }
        for cut in 1..data.len() {
            let damaged =
                MarkCursor::days(&data[..cut], month, whole, &mut Dictionaries::default())
                    .and_then(|mut c| c.drain());
            assert!(damaged.is_err(), "{cut}");
        }
    }
}
