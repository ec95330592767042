//! `carnet serve` (and the end of `carnet demo`): binds the address, serves the
//! pages and the API until Ctrl+C or SIGTERM, then stops cleanly.

use anyhow::Context;
use carnet_store::Db;
use std::net::SocketAddr;

/// The state of the server: the database and, when one is found, the
/// certificate that signs proofs from the dashboard (`--p12`, or the demo
/// PKI beside the database).
pub fn state(
    db: Db,
    p12: Option<(std::path::PathBuf, String)>,
    secure_cookies: bool,
) -> carnet_web::AppState {
    let url = db.url().to_owned();
    let mut state = carnet_web::AppState::new(db);
    state.secure_cookies = secure_cookies;
    let signing = p12.or_else(|| {
        let demo = crate::proof_cmd::pki_dir(&url).join("organisation.p12");
        demo.is_file()
            .then(|| (demo, crate::proof_cmd::DEMO_P12_PASSWORD.to_owned()))
    });
    state.signing =
        signing.map(|(p12, password)| std::sync::Arc::new(carnet_web::Signing { p12, password }));
    state
}

pub async fn run(
    state: carnet_web::AppState,
    addr: &str,
    announce: impl FnOnce(SocketAddr),
) -> anyhow::Result<()> {
    let addr: SocketAddr = addr.parse().with_context(|| {
        format!("adresse d'écoute invalide « {addr} » (attendu par exemple 127.0.0.1:8080)")
    })?;
    let listener = carnet_web::bind(addr)
        .await
        .with_context(|| format!("impossible d'écouter sur {addr} (port déjà utilisé ?)"))?;
    let local = listener.local_addr()?;
    announce(local);
    carnet_web::serve_on(listener, state, shutdown()).await?;
    eprintln!("Carnet arrêté.");
    Ok(())
}

/// `carnet platform serve` (and the platform of `carnet demo`): the same as
/// [`run`], with the collection platform's router.
pub async fn run_platform(
    state: carnet_web::AppState,
    addr: &str,
    announce: impl FnOnce(SocketAddr),
) -> anyhow::Result<()> {
    let addr: SocketAddr = addr.parse().with_context(|| {
        format!("adresse d'écoute invalide « {addr} » (attendu par exemple 127.0.0.1:8081)")
    })?;
    let listener = carnet_web::bind(addr)
        .await
        .with_context(|| format!("impossible d'écouter sur {addr} (port déjà utilisé ?)"))?;
    announce(listener.local_addr()?);
    carnet_web::platform::serve_on(listener, state, shutdown()).await?;
    eprintln!("Plateforme de collecte arrêtée.");
    Ok(())
}

async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}

/// Logs for operators on stderr (ids only, never personal data: see carnet-web).
pub fn init_logs() {
    let _ = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::INFO)
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}
