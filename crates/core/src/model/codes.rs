//! Closed code lists of the record model. Each code is stable (it is stored and
//! exchanged) and has a French label for users. Codes follow the ANS DUI data
//! model and the value sets cited in SPEC.md where one exists.

/// Declares a closed list of codes: serialised as the code, parsed strictly.
macro_rules! code_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $code:literal, $label:literal;)* }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($variant),* }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),*];

            pub fn code(self) -> &'static str {
                match self { $($name::$variant => $code),* }
            }

            pub fn label(self) -> &'static str {
                match self { $($name::$variant => $label),* }
            }

            pub fn from_code(code: &str) -> Option<Self> {
                match code { $($code => Some($name::$variant),)* _ => None }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.code())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.code())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let raw = String::deserialize(d)?;
                Self::from_code(&raw).ok_or_else(|| {
                    let allowed: Vec<&str> = Self::ALL.iter().map(|v| v.code()).collect();
                    serde::de::Error::custom(format!(
                        "code « {raw} » inconnu (valeurs admises : {})",
                        allowed.join(", ")
                    ))
                })
            }
        }
    };
}

code_enum!(
    /// Category of an establishment (FINESS categories, simplified).
    Category {
        Ehpad = "EHPAD", "EHPAD";
        ResidenceAutonomie = "RESIDENCE_AUTONOMIE", "Résidence autonomie";
        Ssiad = "SSIAD", "SSIAD";
        Saad = "SAAD", "Service d'aide à domicile";
        Spasad = "SPASAD", "SPASAD";
        Ime = "IME", "IME";
        Itep = "ITEP", "ITEP";
        Sessad = "SESSAD", "SESSAD";
        Esat = "ESAT", "ESAT";
        FoyerVie = "FOYER_VIE", "Foyer de vie";
        FoyerHebergement = "FOYER_HEBERGEMENT", "Foyer d'hébergement";
        Fam = "FAM", "Foyer d'accueil médicalisé";
        Mas = "MAS", "Maison d'accueil spécialisée";
        Savs = "SAVS", "SAVS";
        Samsah = "SAMSAH", "SAMSAH";
        Chrs = "CHRS", "CHRS";
        Mecs = "MECS", "MECS";
        Autre = "AUTRE", "Autre";
    }
);

code_enum!(
    /// Sector of the ESMS numérique programme.
    Sector {
        PersonnesAgees = "PA", "Personnes âgées";
        Handicap = "PH", "Personnes handicapées";
        Domicile = "DOM", "Domicile";
        ProtectionEnfance = "PDE", "Protection de l'enfance";
        PersonnesEnDifficulte = "PDS", "Personnes en difficulté spécifique";
        AccueilHebergementInsertion = "AHI", "Accueil, hébergement, insertion";
        ProtectionJudiciaireJeunesse = "PJM", "Protection judiciaire des mineurs";
    }
);

code_enum!(
    /// Administrative sex; only F and M are allowed in an INS identity.
    Sex {
        F = "F", "Féminin";
        M = "M", "Masculin";
        Indetermine = "I", "Indéterminé";
    }
);

code_enum!(
    /// Identity status (RNIV, SPEC.md §2.2).
    IdentityStatus {
        Provisoire = "PROV", "Identité provisoire";
        Recuperee = "RECUP", "Identité récupérée";
        Validee = "VALI", "Identité validée";
        Qualifiee = "QUAL", "Identité qualifiée";
    }
);

code_enum!(
    /// Identity document checked to validate an identity (RNIV).
    IdentityDocument {
        CarteIdentite = "CNI", "Carte nationale d'identité";
        Passeport = "PASSEPORT", "Passeport";
        TitreSejour = "TITRE_SEJOUR", "Titre de séjour permanent";
        LivretFamille = "LIVRET_FAMILLE", "Livret de famille (mineur)";
        ActeNaissance = "ACTE_NAISSANCE", "Extrait d'acte de naissance (mineur)";
    }
);

code_enum!(
    /// How a person is accompanied during a stay.
    StayMode {
        HebergementPermanent = "HEBERGEMENT_PERMANENT", "Hébergement permanent";
        HebergementTemporaire = "HEBERGEMENT_TEMPORAIRE", "Hébergement temporaire";
        AccueilJour = "ACCUEIL_JOUR", "Accueil de jour";
        Externat = "EXTERNAT", "Externat";
        Internat = "INTERNAT", "Internat";
        Domicile = "DOMICILE", "À domicile";
        MilieuOrdinaire = "MILIEU_ORDINAIRE", "Milieu ordinaire";
    }
);

code_enum!(
    /// How a stay ended.
    EndKind {
        SortieDefinitive = "SORTIE_DEFINITIVE", "Sortie définitive";
        AbsenceTemporaire = "ABSENCE_TEMPORAIRE", "Absence temporaire";
    }
);

code_enum!(
    /// Kinds of event recorded about a person. Whether a kind is a business event
    /// (SPEC.md §2.4) is decided by the rule set; `default_business` gives the
    /// default the first rule set uses.
    EventKind {
        Transmission = "TRANSMISSION", "Transmission";
        TransmissionCiblee = "TRANSMISSION_CIBLEE", "Transmission ciblée";
        Observation = "OBSERVATION", "Observation";
        Soin = "SOIN", "Acte de soin";
        ActiviteEducative = "ACTIVITE_EDUCATIVE", "Activité éducative";
        Entretien = "ENTRETIEN", "Entretien";
        VisiteDomicile = "VISITE_DOMICILE", "Visite à domicile";
        RendezVousRealise = "RDV_REALISE", "Rendez-vous réalisé";
        DocumentAjoute = "DOCUMENT_AJOUTE", "Document ajouté";
        ProjetModifie = "PROJET_MODIFIE", "Projet personnalisé modifié";
        Evaluation = "EVALUATION", "Évaluation";
        MessageEnvoye = "MESSAGE_ENVOYE", "Message envoyé";
        EnvoiDmp = "ENVOI_DMP", "Document envoyé au DMP";
        Consultation = "CONSULTATION", "Consultation du dossier (technique)";
        ImportDonnees = "IMPORT_DONNEES", "Import ou migration de données (technique)";
        CorrectionIdentite = "CORRECTION_IDENTITE", "Correction orthographique de l'identité (technique)";
        Reindexation = "REINDEXATION", "Réindexation (technique)";
    }
);

impl EventKind {
    /// SPEC.md §2.4: reading, re-indexing, importing and identity spelling fixes
    /// are technical changes, never business events.
    pub fn default_business(self) -> bool {
        !matches!(
            self,
            EventKind::Consultation
                | EventKind::ImportDonnees
                | EventKind::CorrectionIdentite
                | EventKind::Reindexation
        )
    }
}

code_enum!(
    /// Status of a projet personnalisé (ANS DUI data model).
    CarePlanStatus {
        EnPreparation = "ENPREPARATION", "En préparation";
        EnCours = "ENCOURS", "Actif";
        EnPause = "ENPAUSE", "En pause";
        Termine = "TERMINE", "Terminé";
    }
);

code_enum!(
    /// Status of an agenda event (ANS DUI data model).
    AppointmentStatus {
        Planifie = "PLANIFIE", "Planifié";
        Valide = "VALIDE", "Validé";
        Termine = "TERMINE", "Terminé";
        Annule = "ANNULE", "Annulé";
    }
);

code_enum!(
    AppointmentKind {
        RendezVousMedical = "RDV_MEDICAL", "Rendez-vous médical";
        RendezVousParamedical = "RDV_PARAMEDICAL", "Rendez-vous paramédical";
        Activite = "ACTIVITE", "Activité";
        Visite = "VISITE", "Visite";
        Entretien = "ENTRETIEN", "Entretien";
        Transport = "TRANSPORT", "Transport";
        Autre = "AUTRE", "Autre";
    }
);

code_enum!(
    /// Document types (LOINC or ANS codes, JDV_J07 / TRE_A05; SPEC.md §7).
    DocumentType {
        ProjetPersonnalise = "80788-3", "Projet personnalisé d'accompagnement";
        DossierLiaisonUrgence = "74207-2", "Dossier de liaison d'urgence (DLU)";
        SyntheseMedicale = "60591-5", "Volet de synthèse médicale";
        CompteRenduBiologie = "11502-2", "Compte rendu de biologie";
        GrilleEvaluation = "34842-5", "Grille d'évaluation médico-sociale";
        LettreLiaisonEntree = "88348-8", "Lettre de liaison d'entrée en structure médico-sociale";
        LettreLiaisonSortie = "83981-1", "Lettre de liaison de sortie";
        AttestationHebergement = "ATTEST-HEBGT", "Attestation d'hébergement";
        CertificatMedical = "89601-9", "Certificat médical";
        DocumentSocial = "28653-4", "Document social ou médico-social";
    }
);

code_enum!(
    /// Where a document stands with the DMP.
    DmpStatus {
        NonEnvoye = "NON_ENVOYE", "Non envoyé";
        Envoye = "ENVOYE", "Envoyé, en attente";
        Accepte = "ACCEPTE", "Accepté par le DMP";
        Rejete = "REJETE", "Rejeté par le DMP";
    }
);

code_enum!(
    Profession {
        Medecin = "MEDECIN", "Médecin";
        Infirmier = "INFIRMIER", "Infirmier";
        AideSoignant = "AIDE_SOIGNANT", "Aide-soignant";
        Educateur = "EDUCATEUR", "Éducateur";
        Psychologue = "PSYCHOLOGUE", "Psychologue";
        AssistantSocial = "ASSISTANT_SOCIAL", "Assistant de service social";
        Ergotherapeute = "ERGOTHERAPEUTE", "Ergothérapeute";
        Kinesitherapeute = "KINESITHERAPEUTE", "Masseur-kinésithérapeute";
        Accueil = "ACCUEIL", "Accueil et secrétariat";
        Direction = "DIRECTION", "Direction";
        Cadre = "CADRE", "Cadre de santé ou coordination";
        Autre = "AUTRE", "Autre";
    }
);

code_enum!(
    /// Role in the rights matrix (matrice d'habilitations).
    Role {
        Administrateur = "ADMINISTRATEUR", "Administrateur";
        Direction = "DIRECTION", "Direction";
        Cadre = "CADRE", "Cadre / coordination";
        Medecin = "MEDECIN", "Médecin";
        Infirmier = "INFIRMIER", "Infirmier";
        AideSoignant = "AIDE_SOIGNANT", "Aide-soignant";
        Educatif = "EDUCATIF", "Éducatif";
        Psychologue = "PSYCHOLOGUE", "Psychologue";
        TravailleurSocial = "TRAVAILLEUR_SOCIAL", "Travailleur social";
        Accueil = "ACCUEIL", "Administratif / accueil";
        IntervenantExterieur = "INTERVENANT_EXTERIEUR", "Intervenant extérieur";
    }
);

code_enum!(
    /// Data categories of the rights matrix (matrice d'habilitations): what a
    /// role may read or write is decided per category.
    DataCategory {
        Identite = "IDENTITE", "Identité et administratif";
        Social = "SOCIAL", "Social";
        Educatif = "EDUCATIF", "Éducatif";
        Soins = "SOINS", "Soins";
        Medical = "MEDICAL", "Médical";
        Transmissions = "TRANSMISSIONS", "Transmissions et observations";
        ProjetPersonnalise = "PROJET", "Projet personnalisé";
        Agenda = "AGENDA", "Agenda";
        DocumentsAdministratifs = "DOC_ADMINISTRATIFS", "Documents administratifs et sociaux";
        DocumentsAccompagnement = "DOC_ACCOMPAGNEMENT", "Documents d'accompagnement et d'évaluation";
        DocumentsMedicaux = "DOC_MEDICAUX", "Documents médicaux";
        Messages = "MESSAGES", "Messages MSSanté";
        Indicateurs = "INDICATEURS", "Indicateurs d'usage";
        Declarations = "DECLARATIONS", "Déclarations et preuves";
        JournalAcces = "JOURNAL", "Journal des accès aux dossiers";
    }
);
