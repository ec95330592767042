//! Projets personnalisés, agenda, documents (with the DMP) and MSSanté messages.

use super::*;

const EVALUATIONS: &[&str] = &[
    "Objectif atteint.",
    "Objectif partiellement atteint, à poursuivre.",
    "Objectif non atteint, à reformuler.",
];

impl Block {
    /// Successive projets personnalisés of a stay: prepared, in force for about
    /// a year (sometimes paused), ended when the next one starts or the stay ends.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn care_plans_for(
        &mut self,
        rng: &mut ChaCha8Rng,
        person_index: usize,
        stay_id: StayId,
        start: i32,
        end: Option<i32>,
        from: i32,
        to: i32,
    ) {
        let person = self.persons[person_index].person.id;
        let stay_end = end.unwrap_or(i32::MAX);
        let mut t0 = start + rng.random_range(7..40);
        let mut t0_minute = minute(rng, 9, 17);
        while t0 <= self.horizon && t0 <= stay_end {
            let encours = t0 + rng.random_range(20..60);
            let mut term = (t0 + rng.random_range(330..400)).min(stay_end);
            let continues = term < stay_end;
            if term < self.window_start - 30 {
                t0 = term;
                continue;
            }
            let mut changes = vec![(CarePlanStatus::EnPreparation, t0, t0_minute)];
            if encours < term {
                changes.push((CarePlanStatus::EnCours, encours, minute(rng, 9, 17)));
                if rng.random_bool(0.1) {
                    let pause = encours + rng.random_range(30..200);
                    let resume = pause + rng.random_range(14..45);
                    if resume < term {
                        changes.push((CarePlanStatus::EnPause, pause, minute(rng, 9, 17)));
                        changes.push((CarePlanStatus::EnCours, resume, minute(rng, 9, 17)));
                    }
                }
            }
            term = term.max(t0);
            let term_minute = 17 * 60 + rng.random_range(0..60);
            changes.push((CarePlanStatus::Termine, term, term_minute));
            changes.retain(|(_, day, _)| *day <= self.horizon);
            let mut history = Vec::new();
            for (status, day, m) in changes {
                let by = self.author(
                    rng,
                    &[
                        Profession::Cadre,
                        Profession::Educateur,
                        Profession::Psychologue,
                    ],
                );
                let at = self.clock.at(day, m);
                if history
                    .last()
                    .is_some_and(|c: &CarePlanStatusChange| c.at > at)
                {
                    continue;
                }
                history.push(CarePlanStatusChange { status, at, by });
                if (from..=to).contains(&day) {
                    let text = format!("Projet personnalisé : statut « {} ».", status.label());
                    self.event(person, EventKind::ProjetModifie, at, by, text);
                    if status == CarePlanStatus::EnCours && self.documents.len() < usize::MAX {
                        self.document(
                            rng,
                            person_index,
                            DocumentType::ProjetPersonnalise,
                            "Projet personnalisé d'accompagnement",
                            day,
                        );
                    }
                }
            }
            let agreed =
                (encours <= self.horizon && encours < term).then(|| self.clock.date(encours));
            let year = self.clock.date(t0).year();
            let objectives = (0..rng.random_range(2..4))
                .map(|_| {
                    let (text, action) = *pick(rng, texts::objectives(self.template.audience));
                    Objective {
                        text: text.into(),
                        actions: vec![action.into()],
                        evaluation: (history.last().map(|c| c.status)
                            == Some(CarePlanStatus::Termine))
                        .then(|| (*pick(rng, EVALUATIONS)).to_owned()),
                    }
                })
                .collect();
            let participants = (0..rng.random_range(3..5))
                .map(|_| (*pick(rng, texts::PARTICIPANTS)).to_owned())
                .collect();
            self.care_plans.push(CarePlan {
                id: CarePlanId(0),
                organisation_id: ORGANISATION_ID,
                person_id: person,
                establishment_id: self.establishment_id,
                stay_id,
                title: format!("Projet personnalisé {year}–{}", year + 1),
                objectives,
                participants,
                person_agreement_on: agreed,
                structure_agreement_on: agreed,
                history,
            });
            if !continues {
                break;
            }
            t0 = term;
            t0_minute = term_minute + 1;
        }
    }

    pub(super) fn periodic_documents(
        &mut self,
        rng: &mut ChaCha8Rng,
        person_index: usize,
        from: i32,
        to: i32,
    ) {
        let mut kinds: Vec<(DocumentType, &'static str, f64)> = vec![
            (
                DocumentType::GrilleEvaluation,
                if self.template.audience == Audience::Elderly {
                    "Grille AGGIR"
                } else {
                    "Bilan d'évaluation annuel"
                },
                1.0 / 365.0,
            ),
            (
                DocumentType::AttestationHebergement,
                "Attestation d'hébergement",
                0.3 / 365.0,
            ),
        ];
        if self.template.medical {
            kinds.push((
                DocumentType::CompteRenduBiologie,
                "Compte rendu de biologie",
                1.0 / 90.0,
            ));
            kinds.push((
                DocumentType::SyntheseMedicale,
                "Volet de synthèse médicale",
                1.0 / 365.0,
            ));
            kinds.push((
                DocumentType::CertificatMedical,
                "Certificat médical",
                0.5 / 365.0,
            ));
        }
        if self.template.audience == Audience::Elderly {
            kinds.push((
                DocumentType::DossierLiaisonUrgence,
                "Dossier de liaison d'urgence (DLU) — mise à jour",
                1.0 / 365.0,
            ));
        }
        for (type_code, title, rate) in kinds {
            let mut t = f64::from(from) + wait(rng, rate);
            while t < f64::from(to + 1) {
                self.document(rng, person_index, type_code, title, t.floor() as i32);
                t += wait(rng, rate);
            }
        }
    }

    /// A document with its generated content; may go to the DMP.
    pub(super) fn document(
        &mut self,
        rng: &mut ChaCha8Rng,
        person_index: usize,
        type_code: DocumentType,
        title: &str,
        day: i32,
    ) {
        let day = day.min(self.stay_to);
        if day > self.horizon {
            return;
        }
        let added_at = self.clock.at(day, minute(rng, 9, 18));
        let added_by = self.author(
            rng,
            &[
                Profession::Medecin,
                Profession::Infirmier,
                Profession::Cadre,
                Profession::Accueil,
            ],
        );
        let draft = &self.persons[person_index];
        let person = &draft.person;
        let content = if self.rich {
            format!(
                "{title}\n\nÉtablissement : {}, {} (FINESS {})\nPersonne : {}, date de naissance : {}\nDocument établi le {}\n\n{}\n",
                self.establishment_name,
                self.template.city,
                self.finess,
                draft.display,
                person.birth_date.strftime("%d/%m/%Y"),
                self.clock.date(day).strftime("%d/%m/%Y"),
                type_code.label(),
            )
        } else {
            format!("{title}\n{}\n{}\n{}\n", self.finess, person.id, day)
        };
        let bytes = content.into_bytes();
        let sha256 = hex_sha256(&bytes);
        let objection = rng.random_bool(0.03);
        let eligible = !objection
            && draft.qualified_at.is_some_and(|q| q <= added_at)
            && rng.random_bool(self.template.usage.dmp);
        let mut dmp_status = DmpStatus::NonEnvoye;
        let mut dmp_status_at = None;
        if eligible {
            let sent_day = (day + rng.random_range(0..3)).min(self.stay_to);
            if sent_day <= self.horizon {
                // Sent after it was added, the same day or a little later.
                let at = self
                    .clock
                    .at(sent_day, minute(rng, 10, 19))
                    .max(added_at + jiff::SignedDuration::from_mins(rng.random_range(5..240)))
                    .min(self.clock.at(sent_day, 23 * 60 + 59));
                dmp_status = if sent_day >= -1 {
                    DmpStatus::Envoye
                } else {
                    weighted_status(rng)
                };
                dmp_status_at = Some(at);
                let id = person.id;
                self.event(
                    id,
                    EventKind::EnvoiDmp,
                    at,
                    added_by,
                    format!("Envoi au DMP : {title}"),
                );
            }
        }
        let person_id = self.persons[person_index].person.id;
        self.event(
            person_id,
            EventKind::DocumentAjoute,
            added_at,
            added_by,
            format!("Document ajouté : {title}"),
        );
        let size = bytes.len() as i64;
        self.documents.push((
            Document {
                id: DocumentId(0),
                organisation_id: ORGANISATION_ID,
                person_id,
                establishment_id: self.establishment_id,
                type_code,
                title: title.to_owned(),
                media_type: "text/plain; charset=utf-8".into(),
                sha256: sha256.clone(),
                size,
                added_at,
                added_by,
                dmp_status,
                dmp_status_at,
                dmp_objection: objection,
            },
            Blob {
                organisation_id: ORGANISATION_ID,
                sha256,
                content_base64: base64::engine::general_purpose::STANDARD.encode(&bytes),
            },
        ));
    }

    /// Agenda events up to `until` (planned ahead for ongoing stays).
    pub(super) fn agenda(
        &mut self,
        rng: &mut ChaCha8Rng,
        person_index: usize,
        from: i32,
        until: i32,
    ) {
        let rate = self.template.usage.appointments / 30.0;
        let person = self.persons[person_index].person.id;
        let options: &[(AppointmentKind, &str)] = match self.template.audience {
            Audience::Elderly => &[
                (
                    AppointmentKind::RendezVousMedical,
                    "Consultation chez le médecin traitant",
                ),
                (
                    AppointmentKind::RendezVousParamedical,
                    "Séance de kinésithérapie",
                ),
                (
                    AppointmentKind::RendezVousParamedical,
                    "Passage du pédicure-podologue",
                ),
                (AppointmentKind::Visite, "Visite de la famille"),
                (AppointmentKind::Activite, "Animation : loto"),
                (
                    AppointmentKind::Transport,
                    "Transport vers l'hôpital pour une consultation",
                ),
            ],
            Audience::Child => &[
                (
                    AppointmentKind::RendezVousParamedical,
                    "Séance d'orthophonie",
                ),
                (
                    AppointmentKind::RendezVousParamedical,
                    "Séance de psychomotricité",
                ),
                (AppointmentKind::Entretien, "Entretien avec les parents"),
                (AppointmentKind::Activite, "Sortie piscine"),
                (AppointmentKind::RendezVousMedical, "Consultation au CMP"),
            ],
            Audience::Work => &[
                (
                    AppointmentKind::Entretien,
                    "Entretien de suivi avec le moniteur",
                ),
                (
                    AppointmentKind::RendezVousMedical,
                    "Visite de médecine du travail",
                ),
                (AppointmentKind::Activite, "Formation sécurité"),
                (AppointmentKind::Autre, "Stage en entreprise"),
            ],
            Audience::Residential => &[
                (
                    AppointmentKind::RendezVousMedical,
                    "Consultation chez le psychiatre",
                ),
                (
                    AppointmentKind::RendezVousParamedical,
                    "Séance de balnéothérapie",
                ),
                (AppointmentKind::Activite, "Sortie au marché"),
                (AppointmentKind::Visite, "Visite de la famille"),
                (
                    AppointmentKind::Transport,
                    "Transport vers le centre de rééducation",
                ),
            ],
            Audience::Home => &[
                (AppointmentKind::Visite, "Passage au domicile"),
                (
                    AppointmentKind::RendezVousMedical,
                    "Accompagnement chez le médecin",
                ),
                (AppointmentKind::Entretien, "Entretien de suivi"),
            ],
            Audience::Social => &[
                (AppointmentKind::Entretien, "Entretien avec le référent"),
                (AppointmentKind::Autre, "Rendez-vous à France Travail"),
                (AppointmentKind::Autre, "Rendez-vous à la CAF"),
            ],
        };
        let mut t = f64::from(from) + wait(rng, rate);
        while t < f64::from(until + 1) {
            let day = t.floor() as i32;
            t += wait(rng, rate);
            if self.clock.weekend(day) && rng.random_bool(0.8) {
                continue;
            }
            let (kind, title) = *pick(rng, options);
            let start_minute = minute(rng, 9, 17);
            let starts_at = self.clock.at(day, start_minute);
            let ends_at = self
                .clock
                .at(day, start_minute + *pick(rng, &[30, 45, 60, 90, 120]));
            let draw: f64 = rng.random();
            let (status, reason) = if day >= 0 {
                (
                    if draw < 0.7 {
                        AppointmentStatus::Planifie
                    } else {
                        AppointmentStatus::Valide
                    },
                    None,
                )
            } else if draw < 0.1 {
                (
                    AppointmentStatus::Annule,
                    Some((*pick(rng, texts::CANCEL_REASONS)).to_owned()),
                )
            } else if draw < 0.15 {
                (AppointmentStatus::Valide, None)
            } else {
                (AppointmentStatus::Termine, None)
            };
            let professional_id = self.author(
                rng,
                &[
                    Profession::Educateur,
                    Profession::Infirmier,
                    Profession::Psychologue,
                    Profession::Medecin,
                    Profession::AideSoignant,
                ],
            );
            if status == AppointmentStatus::Termine {
                self.event(
                    person,
                    EventKind::RendezVousRealise,
                    ends_at,
                    professional_id,
                    format!("Rendez-vous réalisé : {title}"),
                );
            }
            self.appointments.push(Appointment {
                id: AppointmentId(0),
                organisation_id: ORGANISATION_ID,
                person_id: person,
                establishment_id: self.establishment_id,
                kind,
                title: title.to_owned(),
                starts_at,
                ends_at,
                status,
                reason,
                professional_id,
            });
        }
    }

    /// MSSanté messages about the person, sometimes with their latest document.
    pub(super) fn messages_for(
        &mut self,
        rng: &mut ChaCha8Rng,
        person_index: usize,
        from: i32,
        to: i32,
    ) {
        let rate = self.template.usage.messages / 30.0;
        let senders: Vec<ProfessionalId> = self
            .professionals
            .iter()
            .filter(|p| p.mss_address.is_some())
            .map(|p| p.id)
            .collect();
        if senders.is_empty() {
            return;
        }
        let person = &self.persons[person_index];
        let person_id = person.person.id;
        let own_mailbox = match (&person.person.ins, person.person.identity_status) {
            (Some(ins), IdentityStatus::Qualifiee) => {
                Some(format!("{}@patient.mssante.fr", ins.matricule()))
            }
            _ => None,
        };
        let mut t = f64::from(from) + wait(rng, rate);
        while t < f64::from(to + 1) {
            let day = t.floor() as i32;
            t += wait(rng, rate);
            let sent_at = self.clock.at(day, minute(rng, 9, 18));
            let mut recipients = vec![(*pick(rng, texts::MSS_RECIPIENTS)).to_owned()];
            if let Some(mailbox) = &own_mailbox
                && rng.random_bool(0.15)
            {
                recipients.push(mailbox.clone());
            }
            let latest = self
                .documents
                .iter()
                .rposition(|(d, _)| d.person_id == person_id && d.added_at <= sent_at);
            let documents: Vec<usize> = latest
                .filter(|_| rng.random_bool(0.4))
                .into_iter()
                .collect();
            let sender = *pick(rng, &senders);
            let subject = (*pick(rng, texts::MSS_SUBJECTS)).to_owned();
            self.event(
                person_id,
                EventKind::MessageEnvoye,
                sent_at,
                Some(sender),
                format!("Message MSSanté envoyé : {subject}"),
            );
            self.messages.push((
                MssMessage {
                    id: MessageId(0),
                    organisation_id: ORGANISATION_ID,
                    establishment_id: self.establishment_id,
                    person_id: Some(person_id),
                    sender_id: Some(sender),
                    sent_at,
                    recipients,
                    subject,
                    document_ids: Vec::new(),
                },
                documents,
            ));
        }
    }
}

const COORDINATION_SUBJECTS: &[&str] = &[
    "Réunion de coordination territoriale",
    "Planning des astreintes médicales",
    "Convention de partenariat avec l'hôpital",
    "Invitation à la commission des admissions",
];

impl Block {
    /// Messages about no one in particular: coordination with partners.
    pub(super) fn coordination_messages(&mut self, rng: &mut ChaCha8Rng) {
        let Some(sender) = self
            .professionals
            .iter()
            .find(|p| p.mss_address.is_some())
            .map(|p| p.id)
        else {
            return;
        };
        let rate = self.template.usage.messages / 15.0;
        let from = self.window_start.max(self.adoption);
        let mut t = f64::from(from) + wait(rng, rate);
        while t < f64::from(self.horizon + 1) {
            let day = t.floor() as i32;
            t += wait(rng, rate);
            self.messages.push((
                MssMessage {
                    id: MessageId(0),
                    organisation_id: ORGANISATION_ID,
                    establishment_id: self.establishment_id,
                    person_id: None,
                    sender_id: Some(sender),
                    sent_at: self.clock.at(day, minute(rng, 9, 18)),
                    recipients: vec![(*pick(rng, texts::MSS_RECIPIENTS)).to_owned()],
                    subject: (*pick(rng, COORDINATION_SUBJECTS)).to_owned(),
                    document_ids: Vec::new(),
                },
                Vec::new(),
            ));
        }
    }
}

fn weighted_status(rng: &mut ChaCha8Rng) -> DmpStatus {
    let draw: f64 = rng.random();
    if draw < 0.9 {
        DmpStatus::Accepte
    } else {
        DmpStatus::Rejete
    }
}

fn hex_sha256(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let digest = Sha256::digest(bytes);
    let mut out = String::with_capacity(64);
    for b in digest {
        let _ = write!(out, "{b:02x}");
    }
    out
}
