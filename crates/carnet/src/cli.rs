//! Command-line arguments, with French help.

use clap::{Parser, Subcommand};
use std::path::PathBuf;

const DEFAULT_DB: &str = "sqlite://carnet.db";

#[derive(Debug, Parser)]
#[command(
    name = "carnet",
    version,
    about = "Carnet : dossier de l'usager informatisé (DUI) et indicateurs ESMS numérique",
    disable_help_subcommand = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, clap::Args)]
pub struct DbArg {
    /// Base de données : sqlite://chemin (par défaut) ou postgres://utilisateur@hôte/base
    #[arg(long, env = "CARNET_DB", default_value = DEFAULT_DB)]
    pub db: String,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Démarre le serveur (pages web et API JSON sous /api/v1)
    Serve {
        #[command(flatten)]
        db: DbArg,
        /// Adresse d'écoute
        #[arg(long, default_value = "127.0.0.1:8080")]
        addr: String,
        /// Certificat de l'organisme (PKCS#12) qui signe les preuves produites depuis le
        /// tableau de bord ; par défaut celui de `carnet demo` s'il existe
        #[arg(long)]
        p12: Option<PathBuf>,
        /// Variable d'environnement qui contient le mot de passe du PKCS#12
        #[arg(long)]
        p12_password_env: Option<String>,
        /// Cookie de session « Secure » : à activer quand Carnet est servi en HTTPS
        /// (directement ou derrière un mandataire)
        #[arg(long)]
        secure_cookies: bool,
    },
    /// Crée l'organisme de démonstration puis démarre le serveur
    Demo {
        #[command(flatten)]
        db: DbArg,
        /// Graine : la même graine donne les mêmes données
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Crée les données sans démarrer le serveur
        #[arg(long)]
        no_serve: bool,
        /// Date du jour des données (AAAA-MM-JJ) ; par défaut aujourd'hui
        #[arg(long)]
        today: Option<jiff::civil::Date>,
        /// Adresse d'écoute
        #[arg(long, default_value = "127.0.0.1:8080")]
        addr: String,
        /// Adresse d'écoute de la plateforme de collecte ARS / CNSA de démonstration
        #[arg(long, default_value = "127.0.0.1:8081")]
        platform_addr: String,
        /// Base de la plateforme de démonstration, distincte de celle du DUI ; par défaut
        /// celle de --db suffixée « -plateforme » (SQLite) ou « _plateforme » (PostgreSQL)
        #[arg(long)]
        platform_db: Option<String>,
    },
    /// Plateforme de collecte ARS / CNSA : pages et API des porteurs, des ARS, de la CNSA
    /// et des auditeurs (serveur distinct de celui du DUI)
    Platform {
        #[command(subcommand)]
        command: PlatformCommand,
    },
    /// Importe un fichier au format d'échange Carnet (NDJSON) : tout ou rien
    Import {
        #[command(flatten)]
        db: DbArg,
        /// Fichier à importer
        file: PathBuf,
    },
    /// Exporte toute la base au format d'échange Carnet (NDJSON)
    Export {
        #[command(flatten)]
        db: DbArg,
        /// Fichier à écrire
        #[arg(long)]
        out: PathBuf,
    },
    /// Plateforme de collecte ARS / CNSA (fichiers de recueil des porteurs)
    Collect {
        #[command(subcommand)]
        command: CollectCommand,
    },
    /// Journal d'audit
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Indicateurs d'usage ESMS numérique pour une période (tableau, JSON ou CSV)
    Indicators(crate::indicators_cmd::IndicatorsArgs),
    /// Écrit le fichier de recueil CNSA (.xlsx) et l'enregistre dans l'historique
    Workbook(crate::proof_cmd::WorkbookArgs),
    /// Produit la preuve d'usage signée (PDF/A) d'un établissement
    Proof(crate::proof_cmd::ProofArgs),
    /// Vérifie une preuve d'usage signée : signature, chaîne de certificats, données
    Verify(crate::proof_cmd::VerifyArgs),
    /// Historique des déclarations (fichiers de recueil et preuves), mois par mois
    Declarations(crate::declarations_cmd::DeclarationsArgs),
    /// Graphique SVG mensuel des DUI actifs et des taux d'un établissement
    Chart(crate::declarations_cmd::ChartArgs),
    /// Règles de comptage des indicateurs (cibles, événements métier, périodes), versionnées
    Rules {
        #[command(subcommand)]
        command: crate::rules_cmd::RulesCommand,
    },
    /// Jetons d'accès à l'API
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum PlatformCommand {
    /// Démarre la plateforme : pages sous /plateforme, API sous /api/v1/collecte
    Serve {
        #[command(flatten)]
        db: DbArg,
        /// Adresse d'écoute
        #[arg(long, default_value = "127.0.0.1:8081")]
        addr: String,
        /// Cookie de session « Secure » : à activer quand la plateforme est servie en HTTPS
        #[arg(long)]
        secure_cookies: bool,
        #[command(flatten)]
        trust: crate::collect_proofs_cmd::TrustArg,
    },
    /// Crée un compte de la plateforme (porteur, agent d'ARS, agent de la CNSA ou auditeur)
    Account {
        #[command(flatten)]
        db: DbArg,
        /// Identifiant de connexion
        #[arg(long)]
        login: String,
        /// Nom affiché
        #[arg(long)]
        name: String,
        /// Rôle : porteur, ars, cnsa ou auditeur
        #[arg(long)]
        role: String,
        /// SIRET du porteur (rôle porteur : il ne voit et ne dépose que pour ses projets)
        #[arg(long)]
        siret: Option<String>,
        /// Code INSEE de la région (rôle ars : il ne voit que les projets de sa région)
        #[arg(long)]
        region: Option<String>,
        /// Variable d'environnement qui contient le mot de passe (sans elle : accès par
        /// jeton d'API seulement, `carnet token create`)
        #[arg(long)]
        password_env: Option<String>,
    },
    /// Crée les projets, déclarations et comptes de démonstration de la plateforme, puis
    /// la démarre
    Demo {
        #[command(flatten)]
        db: DbArg,
        /// Adresse d'écoute
        #[arg(long, default_value = "127.0.0.1:8081")]
        addr: String,
        /// Crée les données sans démarrer la plateforme
        #[arg(long)]
        no_serve: bool,
        #[command(flatten)]
        trust: crate::collect_proofs_cmd::TrustArg,
    },
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Recalcule la chaîne d'empreintes du journal et signale la première entrée altérée
    Verify {
        #[command(flatten)]
        db: DbArg,
    },
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Crée un jeton d'API pour un compte (affiché une seule fois)
    Create {
        #[command(flatten)]
        db: DbArg,
        /// Identifiant de connexion du compte
        #[arg(long)]
        login: String,
        /// Libellé du jeton (à quoi il sert)
        #[arg(long, default_value = "jeton d'API")]
        label: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum CollectCommand {
    /// Vérifie des fichiers de recueil (.xlsx) cellule par cellule et, avec --db, les archive
    Ingest {
        /// Base où archiver les versions acceptées (sans elle : vérification seule)
        #[arg(long, env = "CARNET_DB")]
        db: Option<String>,
        /// Fichiers de recueil à vérifier
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Recalcule l'empreinte de chaque fichier (recueils et preuves) et rapport archivé
    Verify {
        #[command(flatten)]
        db: DbArg,
    },
    /// Registre des projets (Référence GALIS, porteur, ESSMS, jalons) : import CSV et liste
    Projects {
        #[command(subcommand)]
        command: ProjectsCommand,
    },
    /// Indicateurs agrégés mois par mois (nation, région ou projet), trajectoire,
    /// complétude et ponctualité ; en tableau, CSV ou classeur .xlsx
    Summary(crate::collect_summary_cmd::SummaryArgs),
    /// Projets du registre sans déclaration pour un mois, et déclarations en retard
    Missing(crate::collect_summary_cmd::MissingArgs),
    /// Financement d'un projet du registre : subvention ligne par ligne, avance, solde et
    /// ses conditions, éligibilité
    Funding(crate::collect_funding_cmd::FundingArgs),
    /// Échantillons d'audit européen : tirage reproductible d'ESSMS déclarés, contrôles
    /// des preuves et leurs résultats
    Sample {
        #[command(subcommand)]
        command: crate::collect_sample_cmd::SampleCommand,
    },
    /// Preuves d'usage (PDF) par ESSMS et période : dépôt avec contrôle automatique des
    /// preuves signées par Carnet, liste, vérification manuelle des autres
    Proofs {
        #[command(subcommand)]
        command: crate::collect_proofs_cmd::ProofsCommand,
    },
    /// Flash mensuel d'une région : chiffres des ESSMS déclarés, taux et part à la cible,
    /// trajectoire, projets sans déclaration, retards ; en texte, HTML imprimable ou PDF
    Flash(crate::collect_flash_cmd::FlashArgs),
}

#[derive(Debug, Subcommand)]
pub enum ProjectsCommand {
    /// Importe ou met à jour les projets d'un fichier CSV (tout ou rien ; colonnes
    /// décrites dans docs/projets-csv.md). Un projet déjà connu (même Référence GALIS)
    /// est remplacé, ses ESSMS et jalons compris ; les projets absents du fichier restent.
    Import {
        #[command(flatten)]
        db: DbArg,
        /// Fichier CSV (séparateur « ; », UTF-8)
        file: PathBuf,
    },
    /// Liste les projets du registre
    List {
        #[command(flatten)]
        db: DbArg,
    },
}
