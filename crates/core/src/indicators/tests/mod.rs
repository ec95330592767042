//! Tests of the indicator engine, written from SPEC.md §3. Each test builds raw
//! rows of the record model, derives the engine's input from them
//! (`derive_activity`) and reads figures and verdicts.

use super::*;
use crate::model::*;
use jiff::Timestamp;
use jiff::civil::{Date, DateTime, date};
use jiff::tz::TimeZone;

mod compact;
mod periods;
mod proptests;
mod records;
mod results;
mod stays;
mod time;

pub(super) const PARIS: &str = "Europe/Paris";
pub(super) const REUNION: &str = "Indian/Reunion";
pub(super) const CAYENNE: &str = "America/Cayenne";

/// The instant of a local wall-clock time (`2024-03-31T23:59:59`) in `tz`.
pub(super) fn local(tz: &str, wall: &str) -> Timestamp {
    let dt: DateTime = wall.parse().unwrap();
    dt.to_zoned_datetime(TimeZone::get(tz).unwrap())
        .unwrap()
        .timestamp()
}

pub(super) fn period(from: Date, to: Date) -> Period {
    Period::new(from, to).unwrap()
}

pub(super) fn establishment(id: i64, finess: &str, tz: &str) -> Establishment {
    Establishment {
        id: EstablishmentId(id),
        organisation_id: OrganisationId(1),
        finess: finess.parse().unwrap(),
        name: format!("ESSMS {id}"),
        category: Category::Ehpad,
        sector: Sector::PersonnesAgees,
        time_zone: tz.to_owned(),
    }
}

/// Raw rows of several establishments, built by the tests.
#[derive(Default)]
pub(super) struct World {
    pub stays: Vec<Stay>,
    pub events: Vec<Event>,
    pub care_plans: Vec<CarePlan>,
    pub appointments: Vec<Appointment>,
    pub documents: Vec<Document>,
    pub messages: Vec<MssMessage>,
    next: i64,
}

impl World {
    fn id(&mut self) -> i64 {
        self.next += 1;
        self.next
    }

    pub fn stay(&mut self, person: i64, est: i64, start: Date, end: Option<Date>) {
        let id = self.id();
        self.stays.push(Stay {
            id: StayId(id),
            organisation_id: OrganisationId(1),
            person_id: PersonId(person),
            establishment_id: EstablishmentId(est),
            start,
            end,
            end_kind: end.map(|_| EndKind::SortieDefinitive),
            mode: StayMode::HebergementPermanent,
        });
    }

    pub fn event(&mut self, person: i64, est: i64, kind: EventKind, at: Timestamp) {
        let id = self.id();
        self.events.push(Event {
            id: EventId(id),
            organisation_id: OrganisationId(1),
            person_id: PersonId(person),
            establishment_id: EstablishmentId(est),
            kind,
            at,
            author_id: None,
            text: "note".to_owned(),
        });
    }

    pub fn care_plan(&mut self, person: i64, est: i64, history: &[(CarePlanStatus, Timestamp)]) {
        let id = self.id();
        self.care_plans.push(CarePlan {
            id: CarePlanId(id),
            organisation_id: OrganisationId(1),
            person_id: PersonId(person),
            establishment_id: EstablishmentId(est),
            stay_id: StayId(0),
            title: "PP".to_owned(),
            objectives: Vec::new(),
            participants: Vec::new(),
            person_agreement_on: None,
            structure_agreement_on: None,
            history: history
                .iter()
                .map(|&(status, at)| CarePlanStatusChange {
                    status,
                    at,
                    by: None,
                })
                .collect(),
        });
    }

    pub fn appointment(&mut self, person: i64, est: i64, at: Timestamp, status: AppointmentStatus) {
        let id = self.id();
        self.appointments.push(Appointment {
            id: AppointmentId(id),
            organisation_id: OrganisationId(1),
            person_id: PersonId(person),
            establishment_id: EstablishmentId(est),
            kind: AppointmentKind::Activite,
            title: "RDV".to_owned(),
            starts_at: at,
            ends_at: at,
            status,
            reason: (status == AppointmentStatus::Annule).then(|| "absent".to_owned()),
            professional_id: None,
        });
    }

    pub fn document(
        &mut self,
        person: i64,
        est: i64,
        added_at: Timestamp,
        dmp: Option<(DmpStatus, Timestamp)>,
    ) {
        let id = self.id();
        self.documents.push(Document {
            id: DocumentId(id),
            organisation_id: OrganisationId(1),
            person_id: PersonId(person),
            establishment_id: EstablishmentId(est),
            type_code: DocumentType::DocumentSocial,
            title: "doc".to_owned(),
            media_type: "application/pdf".to_owned(),
            sha256: "0".repeat(64),
            size: 1,
            added_at,
            added_by: None,
            dmp_status: dmp.map_or(DmpStatus::NonEnvoye, |(s, _)| s),
            dmp_status_at: dmp.map(|(_, at)| at),
            dmp_objection: false,
        });
    }

    pub fn message(&mut self, est: i64, person: Option<i64>, at: Timestamp) {
        let id = self.id();
        self.messages.push(MssMessage {
            id: MessageId(id),
            organisation_id: OrganisationId(1),
            establishment_id: EstablishmentId(est),
            person_id: person.map(PersonId),
            sender_id: None,
            sent_at: at,
            recipients: vec!["a@b.mssante.fr".to_owned()],
            subject: "s".to_owned(),
            document_ids: Vec::new(),
        });
    }

    pub fn raw(&self) -> RawRecords<'_> {
        RawRecords {
            stays: &self.stays,
            events: &self.events,
            care_plans: &self.care_plans,
            appointments: &self.appointments,
            documents: &self.documents,
            messages: &self.messages,
        }
    }

    pub fn activity(&self, est: &Establishment) -> EstablishmentActivity {
        derive_activity(est, &self.raw()).unwrap()
    }

    pub fn explain_with(&self, rules: &RuleSet, est: &Establishment, p: Period) -> Explained {
        let activity = self.activity(est);
        let explained = explain(rules, p, &activity).unwrap();
        // The compact input (figures only) gives the same result.
        let compact = PeriodActivity::from_activity(&activity, p).unwrap();
        let report = compute_period(rules, p, &[compact]).unwrap();
        assert_eq!(report.establishments, vec![explained.result.clone()]);
        // SPEC.md §3: the explanation adds up to the figures, always.
        let f = explained.result.figures;
        let x = &explained.explanation;
        assert_eq!(x.count(Indicator::Record), f.records);
        assert_eq!(x.count(Indicator::Open), f.open_records);
        assert_eq!(x.count(Indicator::Active), f.active_records);
        assert_eq!(x.count(Indicator::Accompanied), f.accompanied_persons);
        assert_eq!(
            x.count(Indicator::ActiveWithCarePlan),
            f.active_with_care_plan
        );
        assert_eq!(
            x.count(Indicator::ActiveWithAppointment),
            f.active_with_appointment
        );
        assert_eq!(x.count(Indicator::DmpFed), f.dmp_fed_persons);
        assert_eq!(x.mss_messages, f.mss_messages);
        explained
    }

    pub fn explain(&self, est: &Establishment, p: Period) -> Explained {
        self.explain_with(&RuleSet::default(), est, p)
    }
}

pub(super) fn verdict(x: &Explained, person: i64, indicator: Indicator) -> Verdict {
    x.explanation
        .records
        .iter()
        .find(|r| r.person_id == PersonId(person))
        .map(|r| r.verdict(indicator).clone())
        .unwrap()
}

pub(super) fn reason(x: &Explained, person: i64, indicator: Indicator) -> Option<Reason> {
    verdict(x, person, indicator).reason
}

pub(super) fn paris() -> Establishment {
    establishment(1, "330780495", PARIS)
}

pub(super) fn march_2024() -> Period {
    period(date(2024, 3, 1), date(2024, 3, 31))
}

/// A person with a stay over all of 2024 and a business event on `at`.
pub(super) fn active_person(w: &mut World, person: i64, at: Timestamp) {
    w.stay(person, 1, date(2024, 1, 1), None);
    w.event(person, 1, EventKind::Transmission, at);
}
