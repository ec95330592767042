//! Everything one establishment records: staff, persons and their identity,
//! stays, projets personnalisés, events, agenda, documents and messages.

use crate::catalogue::Template;
use crate::simulate::{Clock, PLANNED_AHEAD, State, add_days, bump, pick, wait};
use crate::texts::{self, Audience};
use crate::{ORGANISATION_ID, ident, names};
use base64::Engine;
use carnet_core::interchange::{Blob, Line};
use carnet_core::model::*;
use jiff::Timestamp;
use jiff::tz::TimeZone;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use sha2::{Digest, Sha256};
use std::collections::VecDeque;

mod exchange;
mod record;

pub(crate) struct StayDraft {
    stay: Stay,
    person_index: usize,
    /// Day offsets of start and (recorded) end.
    start: i32,
    end: Option<i32>,
}

pub(crate) struct PersonDraft {
    person: Person,
    display: String,
    /// When the identity became qualified (documents may then go to the DMP).
    qualified_at: Option<Timestamp>,
    /// Professionals write in this record.
    used: bool,
    /// Already written by an earlier establishment (a transfer).
    emitted: bool,
}

/// A young adult leaving an IME, who may be admitted later in an ESAT or a foyer
/// of the same organisation (a person counted in two ESSMS counts in each).
pub struct Transfer {
    person: Person,
    display: String,
    qualified_at: Option<Timestamp>,
    exit_day: i32,
}

/// Bound on pending transfers, so that the bench organisation streams in bounded memory.
const MAX_TRANSFERS: usize = 200;

pub struct Block {
    template: Template,
    establishment_id: EstablishmentId,
    establishment_name: String,
    finess: String,
    clock: Clock,
    rich: bool,
    event_rate: f64,
    /// First day with data, first day of use, last day of use.
    window_start: i32,
    adoption: i32,
    horizon: i32,
    professionals: Vec<Professional>,
    persons: Vec<PersonDraft>,
    identity_changes: Vec<IdentityChange>,
    stays: Vec<StayDraft>,
    care_plans: Vec<CarePlan>,
    events: Vec<Event>,
    appointments: Vec<Appointment>,
    documents: Vec<(Document, Blob)>,
    /// Messages with the indices of their documents in `documents`.
    messages: Vec<(MssMessage, Vec<usize>)>,
    reunion: bool,
    /// Who writes each kind of event (index: position in `EventKind::ALL`).
    writers: Vec<Vec<ProfessionalId>>,
    /// Last recorded day of the stay being generated: its records stay inside it.
    stay_to: i32,
}

pub(crate) fn minute(rng: &mut ChaCha8Rng, from_hour: i32, to_hour: i32) -> i32 {
    rng.random_range(from_hour * 60..to_hour * 60)
}

impl Block {
    pub fn new(
        state: &State,
        template: &Template,
        establishment: &Establishment,
        department: &str,
    ) -> Self {
        let window_start = -state.window_days;
        let horizon = if template.usage.stopped {
            let stop = state
                .today
                .checked_sub(jiff::Span::new().months(2))
                .unwrap_or(state.today);
            let days = (stop - state.today).get_days();
            days - 3
        } else {
            // Data as of last night: nothing later today, except the agenda.
            -1
        };
        let adoption = template.usage.adopted_days_ago.map_or(window_start, |d| -d);
        let tz = TimeZone::get(&establishment.time_zone).unwrap_or(TimeZone::UTC);
        Self {
            template: *template,
            establishment_id: establishment.id,
            establishment_name: establishment.name.clone(),
            finess: establishment.finess.to_string(),
            clock: Clock::new(tz, state.today, window_start - 1, PLANNED_AHEAD + 1),
            rich: state.params.rich_text,
            event_rate: state.params.event_rate,
            window_start,
            adoption,
            horizon,
            professionals: Vec::new(),
            persons: Vec::new(),
            identity_changes: Vec::new(),
            stays: Vec::new(),
            care_plans: Vec::new(),
            events: Vec::new(),
            appointments: Vec::new(),
            documents: Vec::new(),
            messages: Vec::new(),
            reunion: department == "974",
            writers: Vec::new(),
            stay_to: 0,
        }
    }
}

/// (profession, role, people per 20 places (at least one), has RPPS, has MSSanté).
type StaffRow = (Profession, Role, u32, f64, f64);

fn staff_table(audience: Audience, medical: bool) -> Vec<StaffRow> {
    use Profession as P;
    use Role as R;
    let mut rows = vec![
        (P::Direction, R::Direction, 0, 0.0, 1.0),
        (P::Cadre, R::Cadre, 0, 0.0, 1.0),
        (P::Accueil, R::Accueil, 0, 0.0, 0.0),
    ];
    if medical {
        rows.push((P::Medecin, R::Medecin, 0, 1.0, 1.0));
        rows.push((P::Infirmier, R::Infirmier, 2, 0.6, 0.8));
    }
    match audience {
        Audience::Elderly => {
            rows.push((P::AideSoignant, R::AideSoignant, 5, 0.0, 0.0));
            rows.push((P::Kinesitherapeute, R::IntervenantExterieur, 0, 1.0, 1.0));
            rows.push((P::Psychologue, R::Psychologue, 0, 0.0, 0.5));
        }
        Audience::Home => {
            rows.push((P::AideSoignant, R::AideSoignant, 4, 0.0, 0.0));
            rows.push((P::AssistantSocial, R::TravailleurSocial, 1, 0.0, 0.6));
            rows.push((P::Ergotherapeute, R::Educatif, 0, 0.5, 0.5));
        }
        Audience::Child | Audience::Residential => {
            rows.push((P::Educateur, R::Educatif, 4, 0.0, 0.2));
            rows.push((P::Psychologue, R::Psychologue, 0, 0.0, 0.5));
            rows.push((P::AssistantSocial, R::TravailleurSocial, 0, 0.0, 0.5));
            rows.push((P::Ergotherapeute, R::Educatif, 0, 0.5, 0.3));
        }
        Audience::Work => {
            rows.push((P::Educateur, R::Educatif, 2, 0.0, 0.2));
            rows.push((P::AssistantSocial, R::TravailleurSocial, 0, 0.0, 0.5));
            rows.push((P::Psychologue, R::Psychologue, 0, 0.0, 0.3));
        }
        Audience::Social => {
            rows.push((P::AssistantSocial, R::TravailleurSocial, 2, 0.0, 0.5));
            rows.push((P::Educateur, R::Educatif, 2, 0.0, 0.2));
        }
    }
    rows
}

/// Given names fitting a birth year and sex.
fn given_names(birth_year: i16, female: bool) -> &'static [&'static str] {
    match (birth_year, female) {
        (..1956, true) => names::FEMALE_OLD,
        (..1956, false) => names::MALE_OLD,
        (..2003, true) => names::FEMALE_ADULT,
        (..2003, false) => names::MALE_ADULT,
        (_, true) => names::FEMALE_CHILD,
        (_, false) => names::MALE_CHILD,
    }
}

impl Block {
    pub fn staff(&mut self, state: &mut State, rng: &mut ChaCha8Rng) {
        let places = (f64::from(self.template.capacity) * state.params.capacity_scale) as u32;
        for (profession, role, per_20, rpps, mss) in
            staff_table(self.template.audience, self.template.medical)
        {
            let count = (places * per_20 / 20).max(1);
            for _ in 0..count {
                let female = rng.random_bool(0.75);
                let family = (*pick(rng, names::FAMILY_NAMES)).to_owned();
                let given = (*pick(
                    rng,
                    if female {
                        names::FEMALE_ADULT
                    } else {
                        names::MALE_ADULT
                    },
                ))
                .to_owned();
                let rpps = if rng.random_bool(rpps) {
                    ident::rpps(rng)
                } else {
                    None
                };
                let mss_address = rng
                    .random_bool(mss)
                    .then(|| state.unique_address(&given, &family));
                let mut establishment_ids = vec![self.establishment_id];
                // Psychologists often share their time between two establishments.
                if profession == Profession::Psychologue
                    && let Some(previous) = state.previous_establishment
                    && rng.random_bool(0.4)
                {
                    establishment_ids.insert(0, previous);
                }
                self.professionals.push(Professional {
                    id: ProfessionalId(bump(&mut state.next.professional)),
                    organisation_id: ORGANISATION_ID,
                    family_name: family,
                    given_name: given,
                    profession,
                    rpps,
                    mss_address,
                    role,
                    establishment_ids,
                });
            }
        }
    }

    /// A professional likely to record this kind of thing.
    fn author(&self, rng: &mut ChaCha8Rng, wanted: &[Profession]) -> Option<ProfessionalId> {
        let matching: Vec<&Professional> = self
            .professionals
            .iter()
            .filter(|p| wanted.contains(&p.profession))
            .collect();
        if matching.is_empty() {
            return self
                .professionals
                .get(rng.random_range(0..self.professionals.len().max(1)))
                .map(|p| p.id);
        }
        Some(matching[rng.random_range(0..matching.len())].id)
    }

    /// Places are occupied one stay after another over the window: exits,
    /// temporary absences (hospital) and new admissions.
    pub fn people(&mut self, state: &mut State, rng: &mut ChaCha8Rng) {
        let places = ((f64::from(self.template.capacity) * state.params.capacity_scale).round()
            as usize)
            .max(1);
        for _ in 0..places {
            let mode = *pick(rng, self.template.modes);
            let mean = if mode == StayMode::HebergementTemporaire
                && self.template.audience == Audience::Elderly
            {
                35.0
            } else {
                self.template.mean_stay_days
            };
            // The first occupant came before the window.
            let mut start = self.window_start - (rng.random::<f64>() * mean * 1.5) as i32 - 1;
            let mut end = self.window_start + wait(rng, 1.0 / mean) as i32;
            let mut person: Option<usize> = None;
            loop {
                if start > self.horizon {
                    break;
                }
                let recorded_end = (end <= self.horizon).then_some(end);
                // Stays over before the software was adopted were not migrated.
                let kept = recorded_end.is_none_or(|e| e >= self.adoption);
                let temporary_absence = recorded_end.is_some()
                    && mode != StayMode::HebergementTemporaire
                    && matches!(
                        self.template.audience,
                        Audience::Elderly | Audience::Residential
                    )
                    && rng.random_bool(0.12);
                if kept {
                    let index = match person {
                        Some(i) => i,
                        None => self.new_person(state, rng, start),
                    };
                    person = Some(index);
                    self.new_stay(state, index, mode, start, recorded_end, temporary_absence);
                    if let Some(e) = recorded_end
                        && !temporary_absence
                        && self.template.category == Category::Ime
                        && rng.random_bool(0.8)
                    {
                        self.offer_transfer(state, index, e);
                    }
                }
                let Some(e) = recorded_end else { break };
                if temporary_absence && kept {
                    start = e + rng.random_range(4..25);
                } else {
                    person = None;
                    start = e + rng.random_range(1..30);
                }
                end = start + (wait(rng, 1.0 / mean) as i32).max(1);
            }
        }
    }

    fn new_stay(
        &mut self,
        state: &mut State,
        person_index: usize,
        mode: StayMode,
        start: i32,
        end: Option<i32>,
        temporary_absence: bool,
    ) {
        let stay = Stay {
            id: StayId(bump(&mut state.next.stay)),
            organisation_id: ORGANISATION_ID,
            person_id: self.persons[person_index].person.id,
            establishment_id: self.establishment_id,
            start: self.clock.date(start),
            end: end.map(|e| self.clock.date(e)),
            end_kind: end.map(|_| {
                if temporary_absence {
                    EndKind::AbsenceTemporaire
                } else {
                    EndKind::SortieDefinitive
                }
            }),
            mode,
        };
        self.stays.push(StayDraft {
            stay,
            person_index,
            start,
            end,
        });
    }

    fn offer_transfer(&self, state: &mut State, index: usize, exit_day: i32) {
        let draft = &self.persons[index];
        let age = (self.clock.date(exit_day) - draft.person.birth_date).get_days() / 365;
        if age >= 17 {
            if state.transfers.len() >= MAX_TRANSFERS {
                state.transfers.remove(0);
            }
            state.transfers.push(Transfer {
                person: draft.person.clone(),
                display: draft.display.clone(),
                qualified_at: draft.qualified_at,
                exit_day,
            });
        }
    }

    /// An adult establishment admits, now and then, a young adult who left an IME.
    fn take_transfer(
        &mut self,
        state: &mut State,
        rng: &mut ChaCha8Rng,
        admission: i32,
    ) -> Option<usize> {
        if !matches!(
            self.template.category,
            Category::Esat | Category::FoyerVie | Category::FoyerHebergement | Category::Fam
        ) || !rng.random_bool(0.6)
        {
            return None;
        }
        let (_, high) = self.template.ages;
        let date = self.clock.date(admission);
        let position = state.transfers.iter().position(|t| {
            let age = (date - t.person.birth_date).get_days() / 365;
            t.exit_day + 7 < admission && (18..=high).contains(&age)
        })?;
        let transfer = state.transfers.remove(position);
        self.persons.push(PersonDraft {
            person: transfer.person,
            display: transfer.display,
            qualified_at: transfer.qualified_at,
            used: rng.random_bool(self.template.usage.coverage),
            emitted: true,
        });
        Some(self.persons.len() - 1)
    }

    fn new_person(&mut self, state: &mut State, rng: &mut ChaCha8Rng, admission: i32) -> usize {
        if let Some(index) = self.take_transfer(state, rng, admission) {
            return index;
        }
        let (low, high) = self.template.ages;
        // Triangular: ages cluster in the middle of the range.
        let age = (low + high) / 2
            + ((rng.random::<f64>() + rng.random::<f64>() - 1.0) * f64::from(high - low) / 2.0)
                as i32;
        let admission_date = self.clock.date(admission);
        let birth = add_days(admission_date, -(age * 365 + rng.random_range(0..365)));
        let female = match self.template.audience {
            Audience::Elderly => rng.random_bool(0.72),
            Audience::Child => rng.random_bool(0.38),
            _ => rng.random_bool(0.45),
        };
        let family_list = if self.reunion && rng.random_bool(0.85) {
            names::REUNION_FAMILY_NAMES
        } else {
            names::FAMILY_NAMES
        };
        let family = (*pick(rng, family_list)).to_owned();
        let given_list = given_names(birth.year(), female);
        let mut given = vec![(*pick(rng, given_list)).to_owned()];
        for _ in 0..rng.random_range(0..3) {
            let next = (*pick(rng, given_list)).to_owned();
            if !given.contains(&next) {
                given.push(next);
            }
        }
        let used_family_name = (female && age > 30 && rng.random_bool(0.45))
            .then(|| (*pick(rng, family_list)).to_owned())
            .filter(|n| *n != family);
        let used_given_name = (given.len() > 1 && rng.random_bool(0.06)).then(|| given[1].clone());
        let places = if self.reunion {
            names::REUNION_BIRTH_PLACES
        } else {
            names::BIRTH_PLACES
        };
        let birth_place_code = (!rng.random_bool(0.03)).then(|| (*pick(rng, places)).to_owned());
        // Identity vigilance is better where the software is well used.
        let quality = self.template.usage.coverage;
        let draw: f64 = rng.random();
        let mut status = if draw < 0.15 + 0.55 * quality {
            IdentityStatus::Qualifiee
        } else if draw < 0.27 + 0.55 * quality {
            IdentityStatus::Recuperee
        } else if draw < 0.42 + 0.5 * quality {
            IdentityStatus::Validee
        } else {
            IdentityStatus::Provisoire
        };
        let ins = match (&birth_place_code, status) {
            (Some(place), IdentityStatus::Qualifiee | IdentityStatus::Recuperee) => {
                ident::ins(rng, !female, birth, place)
            }
            _ => None,
        };
        if ins.is_none()
            && matches!(
                status,
                IdentityStatus::Qualifiee | IdentityStatus::Recuperee
            )
        {
            status = IdentityStatus::Validee;
        }
        let id = PersonId(bump(&mut state.next.person));
        // The record is created at admission, or when data were migrated.
        let created = if self.template.usage.adopted_days_ago.is_some() {
            admission.max(self.adoption)
        } else {
            admission
        };
        let mut at = self.clock.at(created, minute(rng, 9, 17));
        let by = self.author(rng, &[Profession::Accueil, Profession::Cadre]);
        let mut changes = vec![(IdentityStatus::Provisoire, at, None)];
        let document = *pick(
            rng,
            if age < 16 {
                &[
                    IdentityDocument::LivretFamille,
                    IdentityDocument::ActeNaissance,
                    IdentityDocument::CarteIdentite,
                ][..]
            } else {
                &[
                    IdentityDocument::CarteIdentite,
                    IdentityDocument::CarteIdentite,
                    IdentityDocument::Passeport,
                    IdentityDocument::TitreSejour,
                ][..]
            },
        );
        let mut qualified_at = None;
        if matches!(
            status,
            IdentityStatus::Recuperee | IdentityStatus::Qualifiee
        ) {
            at += jiff::SignedDuration::from_mins(rng.random_range(2..3 * 24 * 60));
            changes.push((IdentityStatus::Recuperee, at, None));
        }
        if matches!(status, IdentityStatus::Validee | IdentityStatus::Qualifiee) {
            at += jiff::SignedDuration::from_hours(rng.random_range(1..30 * 24));
            changes.push((status, at, Some(document)));
            if status == IdentityStatus::Qualifiee {
                qualified_at = Some(at);
            }
        }
        // Nothing is recorded after the horizon: the identity stays where it was.
        let limit = self.clock.at(self.horizon, 23 * 60 + 59);
        changes.retain(|(_, at, _)| *at <= limit);
        let final_status = changes.last().map_or(IdentityStatus::Provisoire, |c| c.0);
        if qualified_at.is_some_and(|q| q > limit) {
            qualified_at = None;
        }
        for (status, at, document) in changes {
            self.identity_changes.push(IdentityChange {
                organisation_id: ORGANISATION_ID,
                person_id: id,
                status,
                at,
                by,
                document,
            });
        }
        let person = Person {
            id,
            organisation_id: ORGANISATION_ID,
            birth_family_name: family,
            birth_given_names: given,
            used_family_name,
            used_given_name,
            sex: if female { Sex::F } else { Sex::M },
            birth_date: birth,
            birth_place_code,
            ins: if matches!(
                final_status,
                IdentityStatus::Recuperee | IdentityStatus::Qualifiee
            ) {
                ins
            } else {
                None
            },
            identity_status: final_status,
        };
        let display = person.display_name();
        let used = rng.random_bool(self.template.usage.coverage);
        self.persons.push(PersonDraft {
            person,
            display,
            qualified_at,
            used,
            emitted: false,
        });
        self.persons.len() - 1
    }
}

impl Block {
    /// Appends the block's lines in dependency order; ids are given here, in
    /// chronological order within each type.
    pub fn emit(self, state: &mut State, out: &mut VecDeque<Line>) {
        let next = &mut state.next;
        out.extend(self.professionals.into_iter().map(Line::Professional));
        out.extend(
            self.persons
                .into_iter()
                .filter(|p| !p.emitted)
                .map(|p| Line::Person(p.person)),
        );
        out.extend(self.identity_changes.into_iter().map(Line::IdentityChange));
        out.extend(self.stays.into_iter().map(|s| Line::Stay(s.stay)));
        for mut plan in self.care_plans {
            plan.id = CarePlanId(bump(&mut next.care_plan));
            out.push_back(Line::CarePlan(plan));
        }
        let mut events = self.events;
        events.sort_by_key(|e| e.at);
        for mut event in events {
            event.id = EventId(bump(&mut next.event));
            out.push_back(Line::Event(event));
        }
        let mut appointments = self.appointments;
        appointments.sort_by_key(|a| a.starts_at);
        for mut appointment in appointments {
            appointment.id = AppointmentId(bump(&mut next.appointment));
            out.push_back(Line::Appointment(appointment));
        }
        let mut order: Vec<usize> = (0..self.documents.len()).collect();
        order.sort_by_key(|&i| self.documents[i].0.added_at);
        let mut document_ids = vec![DocumentId(0); self.documents.len()];
        let mut seen = std::collections::HashSet::new();
        for &i in &order {
            document_ids[i] = DocumentId(bump(&mut next.document));
            let blob = &self.documents[i].1;
            if seen.insert(blob.sha256.clone()) {
                out.push_back(Line::Blob(blob.clone()));
            }
        }
        let mut documents = self.documents;
        for &i in &order {
            let mut document = documents[i].0.clone();
            document.id = document_ids[i];
            out.push_back(Line::Document(document));
        }
        documents.clear();
        let mut messages = self.messages;
        messages.sort_by_key(|(m, _)| m.sent_at);
        for (mut message, attached) in messages {
            message.id = MessageId(bump(&mut next.message));
            message.document_ids = attached.iter().map(|&i| document_ids[i]).collect();
            out.push_back(Line::Message(message));
        }
    }
}
