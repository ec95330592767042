//! French texts written by professionals: transmissions, observations, care acts,
//! activities, interviews. Short sentences combined so that records read
//! plausibly without repeating the same line everywhere.

/// What kind of accompaniment the texts describe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// EHPAD, résidence autonomie.
    Elderly,
    /// IME, SESSAD, MECS.
    Child,
    /// ESAT.
    Work,
    /// Foyer, FAM, MAS.
    Residential,
    /// SSIAD, SAAD, SAVS, SAMSAH.
    Home,
    /// CHRS.
    Social,
}

pub const TRANSMISSION_ELDERLY: &[&str] = &[
    "Nuit calme, s'est levé(e) deux fois pour aller aux toilettes.",
    "Repas pris en totalité, bonne hydratation.",
    "Refus de la toilette ce matin, retentée à 10 h avec succès.",
    "A reçu la visite de sa fille cet après-midi, très contente.",
    "Se plaint de douleurs au genou droit, paracétamol donné selon prescription.",
    "Somnolence en fin de matinée, constantes normales.",
    "A participé à l'atelier mémoire, bonne humeur.",
    "Appétit diminué depuis deux jours, à surveiller.",
    "Chute sans gravité dans la chambre à 6 h, pas de douleur, médecin prévenu.",
    "Agitation en fin de journée, apaisé(e) après une promenade dans le jardin.",
    "Pesée : poids stable.",
    "Selles normales, pas de plainte.",
    "A téléphoné à son fils, demande des nouvelles de ses petits-enfants.",
    "Rougeur au talon gauche, mise en place d'un matelas à air.",
    "Bonne participation au loto de l'après-midi.",
];
pub const TRANSMISSION_CHILD: &[&str] = &[
    "Arrivée calme ce matin, a dit bonjour à tout le groupe.",
    "Participation active à l'atelier cuisine, a cassé les œufs seul(e).",
    "Crise de colère au moment du repas, apaisement en salle calme.",
    "Bonne séance d'orthophonie, progrès sur les sons « ch » et « j ».",
    "Fatigué(e) aujourd'hui, la maman signale un coucher tardif.",
    "Travail sur les pictogrammes de l'emploi du temps, bonne compréhension.",
    "A joué avec deux camarades dans la cour sans conflit.",
    "Séance piscine : a mis la tête sous l'eau pour la première fois.",
    "Cahier de liaison transmis à la famille.",
    "Difficultés à la transition entre deux activités, prévoir un minuteur visuel.",
    "Retour de week-end difficile, pleurs à l'arrivée.",
    "Très fier(ère) de montrer son dessin à l'éducatrice.",
];
pub const TRANSMISSION_WORK: &[&str] = &[
    "Bonne journée à l'atelier conditionnement, rendement régulier.",
    "Retard de vingt minutes ce matin, bus manqué.",
    "Fatigue en fin de semaine, pause supplémentaire accordée.",
    "A formé un nouveau travailleur au poste d'étiquetage.",
    "Conflit avec un collègue à l'atelier espaces verts, reprise avec le moniteur.",
    "Souhaite découvrir l'atelier blanchisserie, à évoquer en entretien.",
    "Travail soigné sur le chantier de tonte, client satisfait.",
    "Absent ce matin, a prévenu par téléphone (rendez-vous médical).",
    "Bonne application des consignes de sécurité.",
    "Demande d'aide pour remplir un dossier de la CAF.",
];
pub const TRANSMISSION_RESIDENTIAL: &[&str] = &[
    "Soirée calme, a regardé un film avec le groupe.",
    "Participation à la sortie au marché, a choisi ses fruits.",
    "Anxiété au coucher, rassuré(e) par le veilleur de nuit.",
    "Toilette faite avec aide partielle, bonne coopération.",
    "A appelé sa sœur, échange positif.",
    "Refus de l'activité peinture, préfère rester dans sa chambre.",
    "Repas pris en totalité, texture mixée bien tolérée.",
    "Séance de balnéothérapie, détendu(e).",
    "Comportement opposant ce matin, apaisé après échange avec l'éducateur.",
    "Atelier musique : a chanté devant le groupe.",
];
pub const TRANSMISSION_HOME: &[&str] = &[
    "Passage à 8 h : toilette au lavabo, habillage, petit-déjeuner préparé.",
    "Réfrigérateur presque vide, courses à prévoir avec la famille.",
    "Logement rangé, la personne semble en forme.",
    "Pansement refait, plaie propre.",
    "Porte fermée à notre arrivée, voisine prévenue, personne retrouvée chez sa fille.",
    "Aide au coucher, jambes surélevées.",
    "Traitement du pilulier vérifié, pas d'oubli cette semaine.",
    "Accompagnement aux courses, budget respecté.",
    "Démarches auprès de la MDPH engagées avec la personne.",
    "Fatigue importante, médecin traitant informé.",
];
pub const TRANSMISSION_SOCIAL: &[&str] = &[
    "Entretien d'accueil, hébergement en chambre double.",
    "Recherche d'emploi : CV mis à jour avec le référent.",
    "Rendez-vous à la CAF pour l'ouverture des droits au RSA.",
    "Respect du règlement de fonctionnement, pas d'incident.",
    "Demande de logement social déposée.",
    "Consommation d'alcool signalée par l'équipe de nuit, entretien prévu.",
    "Orientation vers le centre de santé pour un bilan.",
];

pub const CARE_ELDERLY: &[&str] = &[
    "Distribution des médicaments du matin.",
    "Toilette complète au lit.",
    "Pansement d'escarre sacrée, évolution favorable.",
    "Glycémie capillaire : 1,32 g/l.",
    "Tension artérielle 13/8, pouls 72.",
    "Injection d'insuline selon protocole.",
    "Aide à la prise des repas.",
    "Prise de sang réalisée pour le bilan trimestriel.",
    "Soins de bouche.",
    "Prévention des escarres : changement de position.",
];
pub const CARE_HOME: &[&str] = &[
    "Toilette au domicile et habillage.",
    "Surveillance des constantes, rien à signaler.",
    "Pose de bas de contention.",
    "Pansement d'ulcère de jambe.",
    "Préparation du pilulier de la semaine.",
    "Aide au lever et transfert au fauteuil.",
];
pub const ACTIVITIES: &[&str] = &[
    "Atelier cuisine : préparation d'un gâteau au yaourt.",
    "Sortie à la médiathèque.",
    "Atelier mémoire.",
    "Séance de gymnastique douce.",
    "Atelier jardinage au potager.",
    "Atelier musique et chant.",
    "Jeux de société en petit groupe.",
    "Sortie au bord du lac.",
    "Atelier autonomie : apprentissage des transports en commun.",
    "Séance d'équithérapie.",
    "Atelier arts plastiques.",
];
pub const INTERVIEWS: &[&str] = &[
    "Entretien avec la famille au sujet du projet personnalisé.",
    "Entretien individuel : la personne exprime le souhait de sortir plus souvent.",
    "Entretien avec le tuteur (UDAF) sur le budget mensuel.",
    "Entretien avec la psychologue, humeur plus stable.",
    "Point avec l'assistante sociale sur le renouvellement des droits MDPH.",
    "Entretien de bilan avec la personne et sa curatrice.",
];
pub const HOME_VISITS: &[&str] = &[
    "Visite à domicile : logement adapté, pas de risque repéré.",
    "Visite à domicile avec l'ergothérapeute pour l'aménagement de la salle de bains.",
    "Visite à domicile : aide à la gestion du courrier administratif.",
    "Passage de l'auxiliaire de vie : ménage et préparation du repas.",
    "Visite à domicile : la personne va bien, réfrigérateur approvisionné.",
];
pub const OBSERVATIONS: &[&str] = &[
    "Observation : le sommeil semble de meilleure qualité depuis le changement de chambre.",
    "Observation : repli sur soi depuis une semaine, à surveiller.",
    "Observation : progrès dans l'autonomie à l'habillage.",
    "Observation : perte de poids de 2 kg en un mois.",
    "Observation : plus souriant(e) et communicant(e) avec le groupe.",
];
pub const TARGETED: &[(&str, &str, &str, &str)] = &[
    (
        "Douleur",
        "se plaint du dos, EVA 6/10",
        "antalgique selon prescription, installation au fauteuil",
        "EVA 2/10 une heure après",
    ),
    (
        "Alimentation",
        "a mangé la moitié du repas",
        "enrichissement des desserts, surveillance du poids",
        "reprise de l'appétit au dîner",
    ),
    (
        "Comportement",
        "agitation et cris en début d'après-midi",
        "mise au calme, présence rassurante",
        "apaisement en vingt minutes",
    ),
    (
        "Chute",
        "retrouvé(e) assis(e) au sol",
        "bilan des constantes, pas de lésion, médecin prévenu",
        "surveillance renforcée cette nuit",
    ),
    (
        "Sommeil",
        "réveils nocturnes répétés",
        "tisane et échange avec le veilleur",
        "rendormi(e) vers 2 h",
    ),
];
pub const EVALUATIONS: &[&str] = &[
    "Évaluation de la dépendance (grille AGGIR) : GIR 2.",
    "Évaluation de la dépendance (grille AGGIR) : GIR 4.",
    "Évaluation nutritionnelle (MNA) : 21/30, risque de dénutrition.",
    "Bilan des compétences à mi-parcours du projet.",
    "Évaluation des risques de chute : risque modéré.",
    "Bilan orthophonique annuel.",
];

pub const CANCEL_REASONS: &[&str] = &[
    "Absence de la personne",
    "Professionnel indisponible",
    "Hospitalisation de la personne",
    "Annulé par la famille",
    "Transport non disponible",
    "Intempéries",
    "Personne malade",
];

/// Objectives of a projet personnalisé, with one action each, by audience.
pub fn objectives(audience: Audience) -> &'static [(&'static str, &'static str)] {
    match audience {
        Audience::Elderly => &[
            (
                "Maintenir l'autonomie pour la toilette",
                "Stimulation quotidienne lors de la toilette du matin",
            ),
            (
                "Favoriser les liens familiaux",
                "Appel vidéo hebdomadaire avec la famille",
            ),
            (
                "Prévenir les chutes",
                "Séances de gymnastique douce deux fois par semaine",
            ),
            (
                "Améliorer l'alimentation",
                "Suivi du poids mensuel et adaptation des menus",
            ),
            (
                "Participer à la vie sociale",
                "Participation aux animations de l'après-midi",
            ),
        ],
        Audience::Child => &[
            (
                "Développer la communication",
                "Utilisation d'un classeur de pictogrammes",
            ),
            (
                "Gagner en autonomie pour les repas",
                "Apprentissage de l'usage des couverts en atelier",
            ),
            (
                "Préparer l'orientation après l'IME",
                "Visites d'ESAT et de foyers",
            ),
            (
                "Favoriser la scolarisation",
                "Temps d'inclusion en classe ordinaire deux matinées par semaine",
            ),
            (
                "Apprendre à gérer ses émotions",
                "Séances hebdomadaires avec la psychologue",
            ),
        ],
        Audience::Work => &[
            (
                "Accéder à un emploi en milieu ordinaire",
                "Stage de découverte en entreprise",
            ),
            (
                "Développer de nouvelles compétences",
                "Formation à la conduite d'autolaveuse",
            ),
            (
                "Apprendre à utiliser les transports en commun",
                "Trajets accompagnés puis en autonomie",
            ),
            (
                "Gérer son budget",
                "Accompagnement mensuel aux courses et aux comptes",
            ),
        ],
        Audience::Residential => &[
            (
                "Participer à la vie sociale",
                "Inscription à une activité de loisir extérieure",
            ),
            (
                "Favoriser les liens familiaux",
                "Week-end mensuel en famille préparé avec l'équipe",
            ),
            (
                "Maintenir les acquis moteurs",
                "Séances de balnéothérapie hebdomadaires",
            ),
            (
                "Développer la communication",
                "Utilisation d'un classeur de pictogrammes",
            ),
        ],
        Audience::Home => &[
            (
                "Rester à domicile en sécurité",
                "Aménagement de la salle de bains avec l'ergothérapeute",
            ),
            (
                "Gérer son budget",
                "Accompagnement mensuel aux courses et aux comptes",
            ),
            (
                "Maintenir l'autonomie pour la toilette",
                "Aide partielle au lever trois fois par semaine",
            ),
            (
                "Accéder aux soins",
                "Accompagnement aux rendez-vous médicaux",
            ),
        ],
        Audience::Social => &[
            (
                "Trouver un logement autonome",
                "Dossier de demande de logement social",
            ),
            (
                "Accéder à un emploi",
                "Rendez-vous réguliers avec France Travail",
            ),
            (
                "Ouvrir ses droits",
                "Constitution du dossier RSA et complémentaire santé",
            ),
        ],
    }
}

pub const PARTICIPANTS: &[&str] = &[
    "La personne",
    "Sa famille",
    "Son représentant légal",
    "Éducateur référent",
    "Infirmière coordinatrice",
    "Psychologue",
    "Médecin coordonnateur",
    "Chef de service",
];

/// Recipients outside the organisation (MSSanté addresses).
pub const MSS_RECIPIENTS: &[&str] = &[
    "dr.lebrun@medecin.mssante.fr",
    "cabinet.saint-augustin@medecin.mssante.fr",
    "secretariat.geriatrie@chu-bordeaux.mssante.fr",
    "urgences@ch-libourne.mssante.fr",
    "pharmacie.centrale@pharmacien.mssante.fr",
    "dr.morin@medecin.mssante.fr",
    "cmp.enfants@ch-perrens.mssante.fr",
    "laboratoire.analyses@biologie.mssante.fr",
    "ssr.readaptation@clinique-les-pins.mssante.fr",
];

pub const MSS_SUBJECTS: &[&str] = &[
    "Lettre de liaison",
    "Demande d'avis médical",
    "Résultats de biologie",
    "Compte rendu de consultation",
    "Transmission du dossier de liaison d'urgence",
    "Projet personnalisé pour information",
    "Demande de rendez-vous",
    "Suivi après hospitalisation",
];
