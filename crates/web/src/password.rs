//! Local passwords: Argon2id (the `argon2` crate's defaults, RFC 9106's second
//! recommended profile), PHC strings in the database, verification in a
//! blocking thread so that a sign-in never stalls the other requests.

use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use std::sync::OnceLock;

/// Shortest password an administrator may set (ANSSI: 12 characters for a
/// password alone).
pub const MIN_LENGTH: usize = 12;

/// The rule a new password must meet, in French, or `None` when it does.
pub fn weakness(password: &str) -> Option<String> {
    (password.chars().count() < MIN_LENGTH)
        .then(|| format!("le mot de passe doit compter au moins {MIN_LENGTH} caractères"))
}

/// The PHC string of a password.
pub fn hash(password: &str) -> Result<String, String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| format!("hachage du mot de passe impossible : {e}"))
}

fn verify_now(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|h| {
        Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

/// A hash no password matches, checked when the account is unknown so that
/// the answer takes as long as for a known one.
fn decoy() -> &'static str {
    static DECOY: OnceLock<String> = OnceLock::new();
    DECOY.get_or_init(|| hash("compte inconnu : aucun mot de passe").unwrap_or_default())
}

/// Checks a password against a stored hash (or the decoy when `None`).
pub async fn verify(password: String, phc: Option<String>) -> bool {
    tokio::task::spawn_blocking(move || {
        let known = phc.is_some();
        let phc = phc.unwrap_or_else(|| decoy().to_owned());
        verify_now(&password, &phc) && known
    })
    .await
    .unwrap_or(false)
}
