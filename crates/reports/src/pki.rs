//! Certificates: the demo certificate authority and organisation certificate that
//! `carnet demo` creates, and PEM loading of trust anchors.
//!
//! Demo keys are ECDSA P-256. The demo CA is not a qualified trust service: a proof it
//! signs is checkable (integrity, origin within the demo) but carries no legal weight.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use der::asn1::{GeneralizedTime, UtcTime};
use der::{Encode, EncodePem, pem::LineEnding};
use jiff::Timestamp;
use p256::ecdsa::{DerSignature, SigningKey};
use p256::pkcs8::EncodePrivateKey;
use rand_core::{OsRng, RngCore};
use sha2::{Digest, Sha256};
use x509_cert::Certificate;
use x509_cert::builder::{Builder, CertificateBuilder, Profile};
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::spki::SubjectPublicKeyInfoOwned;
use x509_cert::time::{Time, Validity};

use crate::error::{Error, Result};

const DAY: i64 = 86_400;

/// A freshly generated demo PKI: the CA certificate (the trust anchor to give to
/// `verify`) and the organisation's certificate, key and PKCS#12 bundle.
pub struct DemoPki {
    pub ca_certificate: Certificate,
    pub organisation_certificate: Certificate,
    /// PKCS#12 holding the organisation key and the chain (organisation, CA).
    pub pkcs12: Vec<u8>,
}

impl std::fmt::Debug for DemoPki {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DemoPki").finish_non_exhaustive()
    }
}

/// Paths written by [`DemoPki::write_to`].
#[derive(Debug, Clone)]
pub struct DemoPkiFiles {
    pub ca_pem: PathBuf,
    pub organisation_pem: PathBuf,
    pub organisation_p12: PathBuf,
}

impl DemoPki {
    /// Writes `ca.pem`, `organisation.pem` and `organisation.p12` into `dir`.
    pub fn write_to(&self, dir: &Path) -> Result<DemoPkiFiles> {
        std::fs::create_dir_all(dir)?;
        let files = DemoPkiFiles {
            ca_pem: dir.join("ca.pem"),
            organisation_pem: dir.join("organisation.pem"),
            organisation_p12: dir.join("organisation.p12"),
        };
        std::fs::write(&files.ca_pem, certificate_pem(&self.ca_certificate)?)?;
        std::fs::write(
            &files.organisation_pem,
            certificate_pem(&self.organisation_certificate)?,
        )?;
        std::fs::write(&files.organisation_p12, &self.pkcs12)?;
        Ok(files)
    }
}

/// Generates a demo CA and an organisation certificate valid from one day before
/// `now` (CA: 10 years, organisation: 3 years), protected by `password` in PKCS#12.
pub fn generate_demo_pki(
    organisation_name: &str,
    organisation_siret: &str,
    now: Timestamp,
    password: &str,
) -> Result<DemoPki> {
    let ca_key = SigningKey::random(&mut OsRng);
    let ca_name = name(&format!(
        "CN=Carnet démo - autorité de certification,O={},C=FR",
        escape(organisation_name)
    ))?;
    let ca_certificate = issue(
        Profile::Root,
        &ca_name,
        &ca_key,
        &ca_key,
        validity(now, 10 * 365)?,
    )?;

    let organisation_key = SigningKey::random(&mut OsRng);
    let organisation_name_dn = name(&format!(
        "CN={},O={},serialNumber=SIRET {},C=FR",
        escape(organisation_name),
        escape(organisation_name),
        escape(organisation_siret)
    ))?;
    let organisation_certificate = issue(
        Profile::Leaf {
            issuer: ca_name,
            enable_key_agreement: false,
            enable_key_encipherment: false,
        },
        &organisation_name_dn,
        &organisation_key,
        &ca_key,
        validity(now, 3 * 365)?,
    )?;

    let key_der = organisation_key
        .to_pkcs8_der()
        .map_err(|e| Error::Certificate(e.to_string()))?;
    let leaf_der = organisation_certificate.to_der()?;
    let chain = [leaf_der.clone(), ca_certificate.to_der()?]
        .iter()
        .map(|der| {
            p12_keystore::Certificate::from_der(der).map_err(|e| Error::Pkcs12(e.to_string()))
        })
        .collect::<Result<Vec<_>>>()?;
    let local_key_id = Sha256::digest(&leaf_der);
    let mut store = p12_keystore::KeyStore::new();
    store.add_entry(
        "organisation",
        p12_keystore::KeyStoreEntry::PrivateKeyChain(p12_keystore::PrivateKeyChain::new(
            key_der.as_bytes(),
            &local_key_id[..20],
            chain,
        )),
    );
    let pkcs12 = store
        .writer(password)
        .write()
        .map_err(|e| Error::Pkcs12(e.to_string()))?;
    Ok(DemoPki {
        ca_certificate,
        organisation_certificate,
        pkcs12,
    })
}

/// Every certificate of a PEM file (trust anchors for `verify`).
pub fn certificates_from_pem(pem: &[u8]) -> Result<Vec<Certificate>> {
    Certificate::load_pem_chain(pem).map_err(|e| Error::Certificate(e.to_string()))
}

/// A certificate as PEM text.
pub fn certificate_pem(certificate: &Certificate) -> Result<String> {
    Ok(certificate.to_pem(LineEnding::LF)?)
}

fn issue(
    profile: Profile,
    subject: &Name,
    subject_key: &SigningKey,
    issuer_key: &SigningKey,
    validity: Validity,
) -> Result<Certificate> {
    let spki = SubjectPublicKeyInfoOwned::from_key(*subject_key.verifying_key())
        .map_err(|e| Error::Certificate(e.to_string()))?;
    let builder = CertificateBuilder::new(
        profile,
        random_serial()?,
        validity,
        subject.clone(),
        spki,
        issuer_key,
    )
    .map_err(|e| Error::Certificate(e.to_string()))?;
    builder
        .build::<DerSignature>()
        .map_err(|e| Error::Certificate(e.to_string()))
}

fn random_serial() -> Result<SerialNumber> {
    let mut bytes = [0u8; 16];
    OsRng.fill_bytes(&mut bytes);
    bytes[0] &= 0x7f;
    bytes[0] |= 0x01;
    Ok(SerialNumber::new(&bytes)?)
}

fn validity(now: Timestamp, days: i64) -> Result<Validity> {
    Ok(Validity {
        not_before: x509_time(now.as_second() - DAY)?,
        not_after: x509_time(now.as_second() + days * DAY)?,
    })
}

/// RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050.
pub(crate) fn x509_time(unix_seconds: i64) -> Result<Time> {
    let seconds = u64::try_from(unix_seconds).map_err(|_| Error::Time(unix_seconds.to_string()))?;
    let duration = Duration::from_secs(seconds);
    const YEAR_2050: u64 = 2_524_608_000;
    if seconds < YEAR_2050 {
        Ok(Time::UtcTime(UtcTime::from_unix_duration(duration)?))
    } else {
        Ok(Time::GeneralTime(GeneralizedTime::from_unix_duration(
            duration,
        )?))
    }
}

fn name(text: &str) -> Result<Name> {
    Name::from_str(text).map_err(|e| Error::Certificate(e.to_string()))
}

/// RFC 4514 escaping of an attribute value.
fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for (i, c) in value.chars().enumerate() {
        let special = matches!(c, ',' | '+' | '"' | '\\' | '<' | '>' | ';' | '=')
            || (i == 0 && matches!(c, '#' | ' '))
            || (i + 1 == value.chars().count() && c == ' ');
        if special {
            out.push('\\');
        }
        out.push(c);
    }
    out
}
