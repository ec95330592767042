//! `carnet proof`, `carnet verify` and `carnet workbook`: the files sent to
//! the ARS (SPEC.md §4). The figures come from the indicator engine over the
//! activity index; this module only maps the engine's result onto the plain
//! data of `carnet-reports`, reads the clock once (production instant),
//! writes the file and records the declaration in the store.
//!
//! The demo PKI (`carnet demo`) lives in `carnet-pki/` beside the SQLite file
//! (or in `./carnet-pki/` for PostgreSQL); its PKCS#12 password is the fixed,
//! public value [`DEMO_P12_PASSWORD`]: it protects nothing but a demo key.

use crate::cli::DbArg;
use crate::commands::{connect, now, system};
use crate::indicators_cmd::{PeriodArgs, report, rules_for, select};
use anyhow::{Context, bail};
use carnet_core::indicators::Period;
use carnet_core::model::Organisation;
use carnet_reports::{ProofFileEntry, SigningIdentity};
use carnet_store::{DeclarationKind, NewDeclaration};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Password of the demo PKCS#12 written by `carnet demo`. Public on purpose:
/// the demo certificate authority is trusted by nobody but the demo.
pub const DEMO_P12_PASSWORD: &str = "carnet-demo";

/// Where `carnet demo` writes the demo PKI for this database address.
pub fn pki_dir(db_url: &str) -> PathBuf {
    let path = db_url
        .strip_prefix("sqlite://")
        .or_else(|| db_url.strip_prefix("sqlite:"))
        .map(|p| p.split('?').next().unwrap_or(p));
    match path.map(Path::new).and_then(Path::parent) {
        Some(parent) if !parent.as_os_str().is_empty() => parent.join("carnet-pki"),
        _ => PathBuf::from("carnet-pki"),
    }
}

/// Creates the demo PKI for `organisation` unless the folder already holds one.
pub fn ensure_demo_pki(db_url: &str, organisation: &Organisation) -> anyhow::Result<()> {
    let dir = pki_dir(db_url);
    let ca = dir.join("ca.pem");
    let p12 = dir.join("organisation.p12");
    if !(ca.is_file() && p12.is_file()) {
        let pki = carnet_reports::generate_demo_pki(
            &organisation.name,
            organisation.siret.as_str(),
            now(),
            DEMO_P12_PASSWORD,
        )?;
        pki.write_to(&dir).with_context(|| {
            format!("écriture de l'IGC de démonstration dans {}", dir.display())
        })?;
        eprintln!("IGC de démonstration créée.");
    }
    eprintln!(
        "Autorité de certification de démonstration : {}",
        ca.display()
    );
    eprintln!(
        "Certificat de l'organisme (PKCS#12, mot de passe « {DEMO_P12_PASSWORD} ») : {}",
        p12.display()
    );
    Ok(())
}

/// The demo PKI's CA certificate, as the demo platform's trust anchor.
pub fn demo_trust_anchors(db_url: &str) -> anyhow::Result<Vec<carnet_reports::Certificate>> {
    crate::collect_proofs_cmd::anchors(&crate::collect_proofs_cmd::TrustArg {
        trust: vec![pki_dir(db_url).join("ca.pem")],
    })
}

#[derive(Debug, clap::Args)]
pub struct ProofArgs {
    #[command(flatten)]
    pub db: DbArg,
    #[command(flatten)]
    pub period: PeriodArgs,
    /// FINESS géographique de l'établissement
    #[arg(long)]
    pub finess: String,
    /// Personne déclarante : « Prénom Nom, fonction »
    #[arg(long)]
    pub declarant: String,
    /// Représentant légal signataire : « Prénom Nom, fonction »
    #[arg(long)]
    pub representative: String,
    /// Fichier PDF à écrire
    #[arg(long)]
    pub out: PathBuf,
    /// Certificat de l'organisme (PKCS#12) ; par défaut celui de `carnet demo`
    #[arg(long)]
    pub p12: Option<PathBuf>,
    /// Variable d'environnement qui contient le mot de passe du PKCS#12
    #[arg(long)]
    pub p12_password_env: Option<String>,
}

fn identity(args: &ProofArgs) -> anyhow::Result<SigningIdentity> {
    let (path, password) = match &args.p12 {
        Some(path) => {
            let Some(var) = &args.p12_password_env else {
                bail!(
                    "--p12 demande --p12-password-env VARIABLE : le mot de passe du PKCS#12 \
                     se donne par une variable d'environnement, jamais en argument"
                );
            };
            let password = std::env::var(var).with_context(|| {
                format!("variable d'environnement {var} absente (mot de passe du PKCS#12)")
            })?;
            (path.clone(), password)
        }
        None => {
            let path = pki_dir(&args.db.db).join("organisation.p12");
            if !path.is_file() {
                bail!(
                    "aucun certificat : donnez --p12 FICHIER --p12-password-env VARIABLE, ou \
                     lancez « carnet demo » qui crée {}",
                    path.display()
                );
            }
            let password = match &args.p12_password_env {
                Some(var) => std::env::var(var).with_context(|| {
                    format!("variable d'environnement {var} absente (mot de passe du PKCS#12)")
                })?,
                None => DEMO_P12_PASSWORD.to_owned(),
            };
            (path, password)
        }
    };
    let bytes = std::fs::read(&path)
        .with_context(|| format!("lecture du certificat {}", path.display()))?;
    SigningIdentity::from_pkcs12(&bytes, &password)
        .with_context(|| format!("certificat {} inutilisable", path.display()))
}

pub async fn proof(args: ProofArgs) -> anyhow::Result<ExitCode> {
    if args.declarant.trim().is_empty() || args.representative.trim().is_empty() {
        bail!("--declarant et --representative sont obligatoires : « Prénom Nom, fonction »");
    }
    let signer = identity(&args)?;
    let db = connect(&args.db.db).await?;
    let selection = select(&db, std::slice::from_ref(&args.finess)).await?;
    let Some(establishment) = selection.establishments.first() else {
        bail!("FINESS « {} » inconnu", args.finess);
    };
    let organisation = selection.organisation_of(establishment)?;
    let rules = rules_for(&db, "proof", &selection).await?;
    let period = args.period.resolve(&rules)?;
    let report = report(&db, &rules, period, std::slice::from_ref(establishment)).await?;
    let Some(result) = report.establishments.first() else {
        bail!("aucun résultat pour le FINESS {}", args.finess);
    };
    let siret = organisation.siret.to_string();
    let who = carnet_web::declare::Signatories {
        organisation_name: &organisation.name,
        organisation_siret: &siret,
        declarant: &args.declarant,
        representative: &args.representative,
    };
    let data = carnet_web::declare::proof_data(&who, result, now());
    let pdf = carnet_reports::signed_proof(&data, &signer)?;
    std::fs::write(&args.out, &pdf)
        .with_context(|| format!("écriture de {}", args.out.display()))?;
    let sha256 = carnet_reports::sha256_hex(&pdf);
    let ctx = carnet_store::WriteCtx {
        actor: carnet_store::Actor::System("proof"),
        now: data.produced_at,
    };
    db.record_declarations(
        &ctx,
        organisation.id,
        &[NewDeclaration {
            kind: DeclarationKind::Proof,
            period,
            finess: result.finess.to_string(),
            establishment_name: result.name.clone(),
            rule_set_id: result.rule_set_id.clone(),
            figures: result.figures,
            declarant: Some(data.declarant.clone()),
            galis_reference: None,
            file_name: file_name(&args.out),
            file_sha256: sha256.clone(),
        }],
    )
    .await?;
    println!(
        "Preuve d'usage signée écrite : {} ({} DUI actifs, {} personnes accompagnées, {}).",
        args.out.display(),
        result.figures.active_records,
        result.figures.accompanied_persons,
        period.label()
    );
    println!("Empreinte SHA-256 du fichier : {sha256}");
    Ok(ExitCode::SUCCESS)
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    /// Preuve d'usage (PDF signé) à vérifier
    pub file: PathBuf,
    /// Certificats des autorités de confiance (PEM) ; par défaut l'autorité de `carnet demo`
    #[arg(long)]
    pub trust: Option<PathBuf>,
    /// Base de données dont l'IGC de démonstration sert d'autorité par défaut
    #[command(flatten)]
    pub db: DbArg,
}

pub fn verify(args: VerifyArgs) -> anyhow::Result<ExitCode> {
    let pdf =
        std::fs::read(&args.file).with_context(|| format!("lecture de {}", args.file.display()))?;
    let trust_path = match args.trust {
        Some(p) => Some(p),
        None => {
            let demo = pki_dir(&args.db.db).join("ca.pem");
            if demo.is_file() {
                eprintln!(
                    "Autorité de confiance : {} (IGC de démonstration)",
                    demo.display()
                );
                Some(demo)
            } else {
                eprintln!(
                    "Aucune autorité de confiance donnée (--trust CA.pem) : la chaîne de \
                     certificats ne peut pas être validée."
                );
                None
            }
        }
    };
    let anchors = match &trust_path {
        Some(p) => {
            let pem = std::fs::read(p).with_context(|| format!("lecture de {}", p.display()))?;
            carnet_reports::certificates_from_pem(&pem)
                .with_context(|| format!("certificats illisibles dans {}", p.display()))?
        }
        None => Vec::new(),
    };
    let report = carnet_reports::verify(&pdf, &anchors);
    println!("{}", report.summary());
    Ok(if report.ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

#[derive(Debug, clap::Args)]
pub struct WorkbookArgs {
    #[command(flatten)]
    pub db: DbArg,
    #[command(flatten)]
    pub period: PeriodArgs,
    /// Fichier de recueil à écrire (.xlsx)
    #[arg(long)]
    pub out: PathBuf,
    /// Référence GALIS de la demande de financement (colonne A)
    #[arg(long)]
    pub galis: Option<String>,
    /// Dossier des preuves d'usage signées (PDF) à lister dans « Preuves d'usage »
    #[arg(long)]
    pub proofs: Option<PathBuf>,
}

/// The signed proofs of `dir` for these FINESS and this period, read from
/// the data embedded in each PDF (not from the file name).
fn proofs_in(dir: &Path, period: Period, finess: &[String]) -> anyhow::Result<Vec<ProofFileEntry>> {
    let mut entries = Vec::new();
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("lecture du dossier {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x.eq_ignore_ascii_case("pdf")))
        .collect();
    paths.sort();
    for path in paths {
        let pdf = std::fs::read(&path).with_context(|| format!("lecture de {}", path.display()))?;
        let Some(data) = carnet_reports::verify(&pdf, &[]).data else {
            eprintln!(
                "Ignoré : {} n'est pas une preuve d'usage Carnet lisible.",
                path.display()
            );
            continue;
        };
        if !finess.contains(&data.establishment_finess) {
            continue;
        }
        if data.period_from != period.from() || data.period_to != period.to() {
            eprintln!(
                "Ignoré : {} porte sur une autre période (du {} au {}).",
                path.display(),
                carnet_core::indicators::french_date(data.period_from),
                carnet_core::indicators::french_date(data.period_to)
            );
            continue;
        }
        entries.push(ProofFileEntry {
            finess: data.establishment_finess,
            file_name: file_name(&path),
            sha256: carnet_reports::sha256_hex(&pdf),
        });
    }
    Ok(entries)
}

pub async fn workbook(args: WorkbookArgs) -> anyhow::Result<ExitCode> {
    let db = connect(&args.db.db).await?;
    let selection = select(&db, &[]).await?;
    let [organisation] = selection.organisations.as_slice() else {
        bail!(
            "la base contient {} organismes : le fichier de recueil porte sur un seul porteur",
            selection.organisations.len()
        );
    };
    let rules = rules_for(&db, "workbook", &selection).await?;
    let period = args.period.resolve(&rules)?;
    let report = report(&db, &rules, period, &selection.establishments).await?;
    let galis = args.galis.clone().unwrap_or_default();
    if galis.trim().is_empty() {
        eprintln!("Attention : référence GALIS non renseignée (--galis), colonne A vide.");
    }
    let rows = carnet_web::declare::workbook_rows(
        &galis,
        &organisation.siret.to_string(),
        period,
        &report.establishments,
    );
    let finess: Vec<String> = rows.iter().map(|r| r.finess.clone()).collect();
    let proofs = match &args.proofs {
        Some(dir) => proofs_in(dir, period, &finess)?,
        None => Vec::new(),
    };
    if proofs.is_empty() {
        eprintln!(
            "Note : aucune preuve d'usage listée (--proofs DOSSIER) ; l'onglet « Preuves \
             d'usage » est vide."
        );
    }
    let ctx = system("workbook");
    let bytes = carnet_reports::write_workbook(&rows, &proofs, ctx.now)?;
    std::fs::write(&args.out, &bytes)
        .with_context(|| format!("écriture de {}", args.out.display()))?;
    let sha256 = carnet_reports::sha256_hex(&bytes);
    let lines =
        carnet_web::declare::workbook_declarations(&report, &galis, &file_name(&args.out), &sha256);
    db.record_declarations(&ctx, organisation.id, &lines)
        .await?;
    println!(
        "Fichier de recueil écrit : {} ({} établissement(s), {} preuve(s), {}).",
        args.out.display(),
        rows.len(),
        proofs.len(),
        period.label()
    );
    println!("Empreinte SHA-256 du fichier : {sha256}");
    Ok(ExitCode::SUCCESS)
}
