//! What the team records about each stay, and the ordered output of the block.

use super::*;
use Profession as P;

/// Kinds written in each kind of establishment, with weights.
fn kinds(audience: Audience) -> &'static [(EventKind, u32)] {
    use EventKind as K;
    match audience {
        Audience::Elderly => &[
            (K::Transmission, 40),
            (K::TransmissionCiblee, 12),
            (K::Soin, 28),
            (K::Observation, 8),
            (K::ActiviteEducative, 7),
            (K::Entretien, 3),
            (K::Evaluation, 2),
        ],
        Audience::Child => &[
            (K::ActiviteEducative, 38),
            (K::Transmission, 28),
            (K::Observation, 14),
            (K::Entretien, 10),
            (K::Soin, 5),
            (K::Evaluation, 5),
        ],
        Audience::Work => &[
            (K::Transmission, 35),
            (K::ActiviteEducative, 20),
            (K::Entretien, 22),
            (K::Observation, 20),
            (K::Evaluation, 3),
        ],
        Audience::Residential => &[
            (K::Transmission, 38),
            (K::ActiviteEducative, 22),
            (K::Soin, 18),
            (K::Observation, 10),
            (K::TransmissionCiblee, 6),
            (K::Entretien, 4),
            (K::Evaluation, 2),
        ],
        Audience::Home => &[
            (K::VisiteDomicile, 35),
            (K::Soin, 25),
            (K::Transmission, 25),
            (K::Entretien, 12),
            (K::Evaluation, 3),
        ],
        Audience::Social => &[
            (K::Entretien, 40),
            (K::Transmission, 40),
            (K::Observation, 12),
            (K::VisiteDomicile, 8),
        ],
    }
}

fn weighted<T: Copy>(rng: &mut ChaCha8Rng, items: &[(T, u32)]) -> T {
    let total: u32 = items.iter().map(|(_, w)| w).sum();
    let mut draw = rng.random_range(0..total.max(1));
    for (item, weight) in items {
        if draw < *weight {
            return *item;
        }
        draw -= weight;
    }
    items[0].0
}

fn transmissions(audience: Audience) -> &'static [&'static str] {
    match audience {
        Audience::Elderly => texts::TRANSMISSION_ELDERLY,
        Audience::Child => texts::TRANSMISSION_CHILD,
        Audience::Work => texts::TRANSMISSION_WORK,
        Audience::Residential => texts::TRANSMISSION_RESIDENTIAL,
        Audience::Home => texts::TRANSMISSION_HOME,
        Audience::Social => texts::TRANSMISSION_SOCIAL,
    }
}

/// Who writes what: professions by kind of event.
fn writers(kind: EventKind) -> &'static [Profession] {
    use EventKind as K;
    match kind {
        K::Soin => &[P::Infirmier, P::AideSoignant, P::Medecin],
        K::ActiviteEducative => &[P::Educateur, P::Ergotherapeute, P::AideSoignant],
        K::Entretien => &[P::Psychologue, P::AssistantSocial, P::Cadre],
        K::VisiteDomicile => &[P::AideSoignant, P::AssistantSocial, P::Ergotherapeute],
        K::Evaluation => &[P::Medecin, P::Psychologue, P::Ergotherapeute, P::Cadre],
        K::ProjetModifie => &[P::Cadre, P::Educateur, P::Psychologue],
        K::Consultation | K::CorrectionIdentite => &[P::Accueil, P::Cadre],
        _ => &[
            P::AideSoignant,
            P::Educateur,
            P::Infirmier,
            P::AssistantSocial,
        ],
    }
}

impl Block {
    /// Same as `author`, from pools computed once per establishment: this runs
    /// for every event of the bench organisation.
    fn pick_author(&mut self, rng: &mut ChaCha8Rng, kind: EventKind) -> Option<ProfessionalId> {
        if self.writers.is_empty() {
            self.writers = EventKind::ALL
                .iter()
                .map(|k| {
                    let wanted = writers(*k);
                    let pool: Vec<ProfessionalId> = self
                        .professionals
                        .iter()
                        .filter(|p| wanted.contains(&p.profession))
                        .map(|p| p.id)
                        .collect();
                    if pool.is_empty() {
                        self.professionals.iter().map(|p| p.id).collect()
                    } else {
                        pool
                    }
                })
                .collect();
        }
        let index = EventKind::ALL.iter().position(|k| *k == kind)?;
        let pool = self.writers.get(index)?;
        (!pool.is_empty()).then(|| pool[rng.random_range(0..pool.len())])
    }

    pub(super) fn event(
        &mut self,
        person: PersonId,
        kind: EventKind,
        at: Timestamp,
        author: Option<ProfessionalId>,
        text: String,
    ) {
        self.events.push(Event {
            id: EventId(0),
            organisation_id: ORGANISATION_ID,
            person_id: person,
            establishment_id: self.establishment_id,
            kind,
            at,
            author_id: author,
            text,
        });
    }

    fn text(&self, rng: &mut ChaCha8Rng, kind: EventKind) -> String {
        use EventKind as K;
        let audience = self.template.audience;
        if !self.rich {
            return kind.label().to_owned();
        }
        match kind {
            K::Transmission => (*pick(rng, transmissions(audience))).to_owned(),
            K::TransmissionCiblee => {
                let (target, data, action, result) = *pick(rng, texts::TARGETED);
                format!(
                    "Cible : {target}. Données : {data}. Actions : {action}. Résultats : {result}."
                )
            }
            K::Observation => (*pick(rng, texts::OBSERVATIONS)).to_owned(),
            K::Soin => (*pick(
                rng,
                if audience == Audience::Home {
                    texts::CARE_HOME
                } else {
                    texts::CARE_ELDERLY
                },
            ))
            .to_owned(),
            K::ActiviteEducative => (*pick(rng, texts::ACTIVITIES)).to_owned(),
            K::Entretien => (*pick(rng, texts::INTERVIEWS)).to_owned(),
            K::VisiteDomicile => (*pick(rng, texts::HOME_VISITS)).to_owned(),
            K::Evaluation => (*pick(rng, texts::EVALUATIONS)).to_owned(),
            _ => kind.label().to_owned(),
        }
    }

    /// Local minute of the day at which this kind of thing is written.
    fn minute_for(&self, rng: &mut ChaCha8Rng, kind: EventKind) -> i32 {
        match (self.template.audience, kind) {
            (Audience::Elderly | Audience::Residential, EventKind::Transmission) => {
                *pick(rng, &[6 * 60 + 30, 13 * 60 + 45, 20 * 60 + 45]) + rng.random_range(0..40)
            }
            (Audience::Elderly | Audience::Residential, EventKind::Soin) => minute(rng, 7, 12),
            (Audience::Elderly | Audience::Residential, _) => minute(rng, 9, 18),
            (Audience::Home, _) => {
                if rng.random_bool(0.7) {
                    minute(rng, 7, 12)
                } else {
                    minute(rng, 17, 20)
                }
            }
            (Audience::Social, _) => minute(rng, 9, 19),
            _ => minute(rng, 8, 17),
        }
    }

    /// Care plans, events, agenda, documents and messages of every stay.
    pub fn records(&mut self, rng: &mut ChaCha8Rng) {
        for index in 0..self.stays.len() {
            self.stay_records(rng, index);
        }
        self.coordination_messages(rng);
    }

    fn stay_records(&mut self, rng: &mut ChaCha8Rng, index: usize) {
        let (start, end, person_index, stay_id, end_kind) = {
            let s = &self.stays[index];
            (s.start, s.end, s.person_index, s.stay.id, s.stay.end_kind)
        };
        let person = self.persons[person_index].person.id;
        let used = self.persons[person_index].used;
        let from = start.max(self.window_start).max(self.adoption);
        let to = end.unwrap_or(self.horizon).min(self.horizon);
        self.stay_to = to;
        let usage = self.template.usage;
        if self.template.usage.adopted_days_ago.is_some()
            && start <= self.adoption
            && self.adoption <= to
        {
            let at = self
                .clock
                .at(self.adoption, 3 * 60 + rng.random_range(0..60));
            self.event(
                person,
                EventKind::ImportDonnees,
                at,
                None,
                "Reprise des données de l'ancien logiciel".into(),
            );
        }
        if from > to {
            return;
        }
        if !used {
            // Records nobody writes in are still opened now and then.
            let mut t = f64::from(from) + wait(rng, 0.01);
            while t < f64::from(to + 1) {
                let at = self.clock.at(t.floor() as i32, minute(rng, 8, 18));
                let author = self.pick_author(rng, EventKind::Consultation);
                self.event(
                    person,
                    EventKind::Consultation,
                    at,
                    author,
                    "Consultation du dossier".into(),
                );
                t += wait(rng, 0.01);
            }
            return;
        }
        // Admission and exit.
        if start >= from {
            let at = self.clock.at(start, minute(rng, 9, 12));
            let author = self.pick_author(rng, EventKind::Entretien);
            let text = if self.rich {
                "Entretien d'admission avec la personne et son entourage, recueil des habitudes de vie et du consentement."
            } else {
                "Admission"
            };
            self.event(person, EventKind::Entretien, at, author, text.into());
            let title = match self.template.audience {
                Audience::Home => "Document individuel de prise en charge",
                _ => "Contrat de séjour",
            };
            self.document(
                rng,
                person_index,
                DocumentType::DocumentSocial,
                title,
                start,
            );
            if self.template.medical && rng.random_bool(0.6) {
                self.document(
                    rng,
                    person_index,
                    DocumentType::LettreLiaisonEntree,
                    "Lettre de liaison d'entrée",
                    start,
                );
            }
            if self.template.audience == Audience::Elderly {
                let day = start + rng.random_range(0..7);
                self.document(
                    rng,
                    person_index,
                    DocumentType::DossierLiaisonUrgence,
                    "Dossier de liaison d'urgence (DLU)",
                    day,
                );
            }
        }
        if let Some(e) = end.filter(|e| *e <= to && *e >= from) {
            let at = self.clock.at(e, minute(rng, 10, 17));
            let author = self.pick_author(rng, EventKind::Transmission);
            let text = match (end_kind, self.template.audience) {
                (Some(EndKind::AbsenceTemporaire), _) => {
                    "Départ en hospitalisation, absence temporaire."
                }
                (_, Audience::Elderly) => "Sortie définitive : décès, famille prévenue.",
                (_, Audience::Child) => "Sortie définitive : orientation vers une autre structure.",
                _ => "Sortie définitive : fin de l'accompagnement.",
            };
            self.event(person, EventKind::Transmission, at, author, text.into());
            if end_kind == Some(EndKind::SortieDefinitive)
                && (self.template.medical || rng.random_bool(0.3))
            {
                self.document(
                    rng,
                    person_index,
                    DocumentType::LettreLiaisonSortie,
                    "Lettre de liaison de sortie",
                    e,
                );
            }
        }
        // Day-to-day events.
        let mut rate = usage.intensity * self.event_rate;
        if self.template.weekdays_only {
            rate *= 7.0 / 5.0;
        }
        let audience = self.template.audience;
        let mut t = f64::from(from) + wait(rng, rate);
        while t < f64::from(to + 1) {
            let day = t.floor() as i32;
            t += wait(rng, rate);
            if self.template.weekdays_only && self.clock.weekend(day) {
                continue;
            }
            if audience == Audience::Child && self.clock.month(day) == 8 && rng.random_bool(0.7) {
                continue;
            }
            let kind = weighted(rng, kinds(audience));
            let at = self.clock.at(day, self.minute_for(rng, kind));
            let author = self.pick_author(rng, kind);
            let text = self.text(rng, kind);
            self.event(person, kind, at, author, text);
            if rng.random_bool(0.03) {
                let at = self.clock.at(day, minute(rng, 8, 20));
                self.event(
                    person,
                    EventKind::Consultation,
                    at,
                    author,
                    "Consultation du dossier".into(),
                );
            }
        }
        if rng.random_bool(0.02) {
            let day = rng.random_range(from..=to);
            let at = self.clock.at(day, minute(rng, 9, 17));
            let author = self.pick_author(rng, EventKind::CorrectionIdentite);
            self.event(
                person,
                EventKind::CorrectionIdentite,
                at,
                author,
                "Correction de l'orthographe du nom".into(),
            );
        }
        if rng.random_bool(usage.care_plans) {
            self.care_plans_for(rng, person_index, stay_id, start, end, from, to);
        }
        self.periodic_documents(rng, person_index, from, to);
        self.agenda(
            rng,
            person_index,
            from,
            if end.is_none() && !usage.stopped {
                PLANNED_AHEAD
            } else {
                to
            },
        );
        self.messages_for(rng, person_index, from, to);
    }
}
