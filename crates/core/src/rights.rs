//! The rights matrix (*matrice d'habilitations*): roles × data categories ×
//! read/write. One matrix per organisation, starting from [`Matrix::defaults`]
//! and edited by an administrator. Pages and the JSON API ask the same
//! question — [`Matrix::allows`] — so that they cannot disagree.
//!
//! Two rules hold whatever the matrix says, because breaking them would lock
//! an organisation out or leak what the law reserves: the administrator keeps
//! the administration pages (they are not a data category), and medical
//! content can only be granted to health professionals (CSP L.1110-4: sharing
//! health data is limited to those who take part in the person's care).

use crate::model::{DataCategory, DocumentType, EventKind, Role};
use std::collections::BTreeMap;

/// Read or write. Write implies read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Mode {
    Read,
    Write,
}

impl Mode {
    pub fn label(self) -> &'static str {
        match self {
            Mode::Read => "lecture",
            Mode::Write => "écriture",
        }
    }
}

/// What one role may do with one category.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Access {
    pub read: bool,
    pub write: bool,
}

impl Access {
    pub const NONE: Access = Access {
        read: false,
        write: false,
    };
    pub const READ: Access = Access {
        read: true,
        write: false,
    };
    pub const WRITE: Access = Access {
        read: true,
        write: true,
    };

    pub fn allows(self, mode: Mode) -> bool {
        match mode {
            Mode::Read => self.read || self.write,
            Mode::Write => self.write,
        }
    }
}

impl Role {
    /// Health professionals of the CSP (fourth part): the only roles to whom
    /// medical content may be opened.
    pub fn is_health_professional(self) -> bool {
        matches!(
            self,
            Role::Medecin | Role::Infirmier | Role::AideSoignant | Role::Psychologue
        )
    }

    /// Roles that only see the persons assigned to them, whatever their
    /// establishments.
    pub fn assigned_persons_only(self) -> bool {
        matches!(self, Role::IntervenantExterieur)
    }
}

impl DataCategory {
    /// Categories whose content is health data reserved to health professionals.
    pub fn is_medical(self) -> bool {
        matches!(
            self,
            DataCategory::Medical | DataCategory::DocumentsMedicaux
        )
    }
}

impl EventKind {
    /// The category an event of this kind belongs to.
    pub fn category(self) -> DataCategory {
        match self {
            EventKind::Transmission | EventKind::TransmissionCiblee | EventKind::Observation => {
                DataCategory::Transmissions
            }
            EventKind::Soin => DataCategory::Soins,
            EventKind::ActiviteEducative => DataCategory::Educatif,
            EventKind::Entretien | EventKind::VisiteDomicile => DataCategory::Social,
            EventKind::RendezVousRealise => DataCategory::Agenda,
            EventKind::ProjetModifie | EventKind::Evaluation => DataCategory::ProjetPersonnalise,
            EventKind::DocumentAjoute | EventKind::EnvoiDmp => {
                DataCategory::DocumentsAccompagnement
            }
            EventKind::MessageEnvoye => DataCategory::Messages,
            EventKind::Consultation
            | EventKind::ImportDonnees
            | EventKind::CorrectionIdentite
            | EventKind::Reindexation => DataCategory::Identite,
        }
    }
}

impl DocumentType {
    /// The category a document of this type belongs to ("documents by type").
    pub fn category(self) -> DataCategory {
        match self {
            DocumentType::SyntheseMedicale
            | DocumentType::CompteRenduBiologie
            | DocumentType::CertificatMedical
            | DocumentType::DossierLiaisonUrgence => DataCategory::DocumentsMedicaux,
            DocumentType::ProjetPersonnalise
            | DocumentType::GrilleEvaluation
            | DocumentType::LettreLiaisonEntree
            | DocumentType::LettreLiaisonSortie => DataCategory::DocumentsAccompagnement,
            DocumentType::AttestationHebergement | DocumentType::DocumentSocial => {
                DataCategory::DocumentsAdministratifs
            }
        }
    }
}

/// The whole matrix of one organisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matrix {
    cells: BTreeMap<(Role, DataCategory), Access>,
}

impl Matrix {
    /// The defaults a new organisation starts from.
    pub fn defaults() -> Self {
        use DataCategory as C;
        const R: Access = Access::READ;
        const W: Access = Access::WRITE;
        let mut cells = BTreeMap::new();
        let mut grant = |role: Role, list: &[(DataCategory, Access)]| {
            for &(category, access) in list {
                cells.insert((role, category), access);
            }
        };
        // The administrator manages accounts, rights, establishments and rules
        // (the administration pages, not a data category): by default they
        // read no person's data (least privilege); an organisation may grant
        // more in its matrix.
        grant(
            Role::Direction,
            &[
                (C::Identite, W),
                (C::Social, R),
                (C::Educatif, R),
                (C::Soins, R),
                (C::Transmissions, R),
                (C::ProjetPersonnalise, R),
                (C::Agenda, R),
                (C::DocumentsAdministratifs, W),
                (C::DocumentsAccompagnement, R),
                (C::Messages, R),
                (C::Indicateurs, R),
                (C::Declarations, W),
                (C::JournalAcces, R),
            ],
        );
        grant(
            Role::Cadre,
            &[
                (C::Identite, W),
                (C::Social, W),
                (C::Educatif, W),
                (C::Soins, W),
                (C::Transmissions, W),
                (C::ProjetPersonnalise, W),
                (C::Agenda, W),
                (C::DocumentsAdministratifs, W),
                (C::DocumentsAccompagnement, W),
                (C::Messages, W),
                (C::Indicateurs, R),
                (C::Declarations, R),
            ],
        );
        let care = [
            (C::Identite, R),
            (C::Social, R),
            (C::Educatif, R),
            (C::Soins, W),
            (C::Transmissions, W),
            (C::ProjetPersonnalise, W),
            (C::Agenda, W),
            (C::DocumentsAdministratifs, R),
            (C::DocumentsAccompagnement, W),
            (C::Messages, W),
        ];
        grant(Role::Medecin, &care);
        grant(Role::Medecin, &[(C::Medical, W), (C::DocumentsMedicaux, W)]);
        grant(Role::Infirmier, &care);
        grant(
            Role::Infirmier,
            &[(C::Medical, R), (C::DocumentsMedicaux, W)],
        );
        grant(
            Role::AideSoignant,
            &[
                (C::Identite, R),
                (C::Soins, W),
                (C::Transmissions, W),
                (C::ProjetPersonnalise, R),
                (C::Agenda, W),
                (C::DocumentsAccompagnement, R),
            ],
        );
        grant(
            Role::Educatif,
            &[
                (C::Identite, R),
                (C::Social, R),
                (C::Educatif, W),
                (C::Transmissions, W),
                (C::ProjetPersonnalise, W),
                (C::Agenda, W),
                (C::DocumentsAdministratifs, R),
                (C::DocumentsAccompagnement, W),
                (C::Messages, R),
            ],
        );
        grant(
            Role::Psychologue,
            &[
                (C::Identite, R),
                (C::Social, R),
                (C::Educatif, R),
                (C::Soins, R),
                (C::Transmissions, W),
                (C::ProjetPersonnalise, W),
                (C::Agenda, W),
                (C::DocumentsAccompagnement, W),
                (C::Messages, W),
            ],
        );
        grant(
            Role::TravailleurSocial,
            &[
                (C::Identite, W),
                (C::Social, W),
                (C::Educatif, R),
                (C::Transmissions, W),
                (C::ProjetPersonnalise, W),
                (C::Agenda, W),
                (C::DocumentsAdministratifs, W),
                (C::DocumentsAccompagnement, W),
                (C::Messages, W),
            ],
        );
        grant(
            Role::Accueil,
            &[
                (C::Identite, W),
                (C::Agenda, W),
                (C::DocumentsAdministratifs, W),
            ],
        );
        grant(
            Role::IntervenantExterieur,
            &[
                (C::Identite, R),
                (C::Soins, R),
                (C::Transmissions, W),
                (C::Agenda, R),
            ],
        );
        Self { cells }
    }

    /// The access a role has to a category. Medical categories are closed to
    /// roles that are not health professionals, even if a stored matrix says
    /// otherwise.
    pub fn access(&self, role: Role, category: DataCategory) -> Access {
        if category.is_medical() && !role.is_health_professional() {
            return Access::NONE;
        }
        self.cells
            .get(&(role, category))
            .copied()
            .unwrap_or(Access::NONE)
    }

    pub fn allows(&self, role: Role, category: DataCategory, mode: Mode) -> bool {
        self.access(role, category).allows(mode)
    }

    /// Changes one cell; refuses what [`Matrix::access`] would ignore, so that
    /// the page never shows a right that does not apply.
    pub fn set(
        &mut self,
        role: Role,
        category: DataCategory,
        access: Access,
    ) -> Result<(), String> {
        if category.is_medical() && access != Access::NONE && !role.is_health_professional() {
            return Err(format!(
                "le rôle « {} » n'est pas une profession de santé : la catégorie « {} » ne peut pas lui être ouverte",
                role.label(),
                category.label()
            ));
        }
        // Write without read is not a state a user can understand.
        let access = Access {
            read: access.read || access.write,
            write: access.write,
        };
        self.cells.insert((role, category), access);
        Ok(())
    }

    /// Every cell, defaults included, in a stable order.
    pub fn cells(&self) -> impl Iterator<Item = (Role, DataCategory, Access)> + '_ {
        Role::ALL.iter().flat_map(move |&role| {
            DataCategory::ALL
                .iter()
                .map(move |&category| (role, category, self.access(role, category)))
        })
    }
}

impl Default for Matrix {
    fn default() -> Self {
        Self::defaults()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]
    use super::*;

    #[test]
    fn medical_content_only_for_health_professionals() {
        let m = Matrix::defaults();
        for &role in Role::ALL {
            for category in [DataCategory::Medical, DataCategory::DocumentsMedicaux] {
                if m.allows(role, category, Mode::Read) {
                    assert!(role.is_health_professional(), "{role:?} reads {category:?}");
                }
            }
        }
        assert!(m.allows(Role::Medecin, DataCategory::Medical, Mode::Write));
        assert!(!m.allows(Role::Direction, DataCategory::Medical, Mode::Read));
        assert!(!m.allows(Role::Educatif, DataCategory::DocumentsMedicaux, Mode::Read));
    }

    #[test]
    fn a_stored_matrix_cannot_open_medical_content_to_others() {
        let mut m = Matrix::defaults();
        let err = m
            .set(Role::Accueil, DataCategory::Medical, Access::READ)
            .unwrap_err();
        assert!(err.contains("profession de santé"), "{err}");
        assert!(!m.allows(Role::Accueil, DataCategory::Medical, Mode::Read));
    }

    #[test]
    fn write_implies_read_and_is_editable() {
        let mut m = Matrix::defaults();
        assert!(!m.allows(Role::Accueil, DataCategory::Transmissions, Mode::Read));
        m.set(
            Role::Accueil,
            DataCategory::Transmissions,
            Access {
                read: false,
                write: true,
            },
        )
        .unwrap();
        assert!(m.allows(Role::Accueil, DataCategory::Transmissions, Mode::Read));
        assert!(m.allows(Role::Accueil, DataCategory::Transmissions, Mode::Write));
    }

    #[test]
    fn every_category_is_reachable_and_every_role_can_do_something() {
        let m = Matrix::defaults();
        for &category in DataCategory::ALL {
            assert!(
                Role::ALL.iter().any(|&r| m.allows(r, category, Mode::Read)),
                "{category:?} is read by nobody"
            );
        }
        for &role in Role::ALL {
            let reads = DataCategory::ALL
                .iter()
                .any(|&c| m.allows(role, c, Mode::Read));
            // The administrator works on the administration pages only.
            assert_eq!(reads, role != Role::Administrateur, "{role:?}");
        }
        assert_eq!(m.cells().count(), Role::ALL.len() * DataCategory::ALL.len());
    }

    #[test]
    fn every_event_kind_and_document_type_has_a_category() {
        // The match is exhaustive; this checks the ones users see most.
        assert_eq!(
            EventKind::Transmission.category(),
            DataCategory::Transmissions
        );
        assert_eq!(
            EventKind::Evaluation.category(),
            DataCategory::ProjetPersonnalise
        );
        assert_eq!(
            DocumentType::SyntheseMedicale.category(),
            DataCategory::DocumentsMedicaux
        );
        assert!(Role::IntervenantExterieur.assigned_persons_only());
    }
}
