//! Verification of a signed proof: what `carnet verify` runs.
//!
//! Checks, each reported in French: one signature whose byte range covers the whole
//! file except its `/Contents`; the CMS message digest and ECDSA signature; the
//! signing-certificate-v2 attribute; the certificate chain up to a trust anchor, valid
//! at the production instant; the JSON attachment; and that the text on the page is
//! exactly the text [`visible_lines`] renders from that JSON. Any failure makes the
//! report not ok. It recomputes nothing it cannot: the figures themselves are the
//! engine's, and the signature is what vouches for them.

use std::collections::BTreeMap;

use cms::cert::CertificateChoices;
use cms::content_info::ContentInfo;
use cms::signed_data::{SignedData, SignerIdentifier, SignerInfo};
use const_oid::db::{rfc5911, rfc5912};
use der::asn1::OctetString;
use der::{Decode, Encode};
use p256::ecdsa::signature::Verifier;
use p256::ecdsa::{Signature, VerifyingKey};
use sha2::{Digest, Sha256};
use x509_cert::Certificate;
use x509_cert::ext::pkix::BasicConstraints;

use crate::data::{PROOF_FORMAT, ProofData};
use crate::pdfscan::{self, RawObject};
use crate::pdftext::page_lines;
use crate::proof::{ATTACHMENT_NAME, SIGNATURE_CAPTION, visible_lines};
use crate::sign::SigningCertificateV2;

/// What a [`Check`] is about, for callers that decide on the kind of failure
/// (the collection platform tells a tampered proof from one signed by an
/// authority it does not trust).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CheckKind {
    /// One signature whose byte range covers the whole file except its value.
    Range,
    /// The CMS SignedData structure.
    CmsStructure,
    /// The signed digest equals the document's.
    Digest,
    /// The signer's certificate, bound by signing-certificate-v2.
    SigningCertificate,
    /// The ECDSA signature of the signed attributes.
    Signature,
    /// The certificate chain up to a trust anchor.
    Chain,
    /// The embedded JSON result object.
    Data,
    /// The page's text equals the text rendered from the data.
    Text,
}

/// One check and its outcome, in French.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    pub kind: CheckKind,
    pub label: &'static str,
    pub ok: bool,
    pub detail: String,
}

/// The outcome of [`verify`].
#[derive(Debug, Clone)]
pub struct VerifyReport {
    /// True only when every check passed.
    pub ok: bool,
    pub checks: Vec<Check>,
    /// The embedded data, when readable.
    pub data: Option<ProofData>,
    /// Subject of the signer's certificate, when found.
    pub signer: Option<String>,
    /// Signature dictionaries found in the file (0 for an unsigned PDF).
    pub signatures: usize,
}

impl VerifyReport {
    /// A French summary, one line per check, ending with the verdict.
    pub fn summary(&self) -> String {
        let mut out = String::new();
        if let Some(data) = &self.data {
            out.push_str(&format!(
                "Preuve d'usage : FINESS {} ({}), période du {} au {}, {} DUI actifs.\n",
                data.establishment_finess,
                data.establishment_name,
                crate::proof::french_date(data.period_from),
                crate::proof::french_date(data.period_to),
                data.figures.active_records
            ));
        }
        if let Some(signer) = &self.signer {
            out.push_str(&format!("Signataire : {signer}\n"));
        }
        for check in &self.checks {
            let mark = if check.ok { "OK" } else { "ÉCHEC" };
            out.push_str(&format!("[{mark}] {} : {}\n", check.label, check.detail));
        }
        out.push_str(if self.ok {
            "Résultat : document authentique et intègre.\n"
        } else {
            "Résultat : VÉRIFICATION ÉCHOUÉE — ce document ne doit pas être accepté.\n"
        });
        out
    }
}

struct Report {
    checks: Vec<Check>,
}

impl Report {
    fn pass(&mut self, kind: CheckKind, detail: impl Into<String>) {
        self.checks.push(Check {
            kind,
            label: label(kind),
            ok: true,
            detail: detail.into(),
        });
    }
    fn fail(&mut self, kind: CheckKind, detail: impl Into<String>) {
        self.checks.push(Check {
            kind,
            label: label(kind),
            ok: false,
            detail: detail.into(),
        });
    }
    fn record<T>(&mut self, kind: CheckKind, result: Result<(T, String), String>) -> Option<T> {
        match result {
            Ok((value, detail)) => {
                self.pass(kind, detail);
                Some(value)
            }
            Err(detail) => {
                self.fail(kind, detail);
                None
            }
        }
    }
}

/// The French label of a check, as printed by [`VerifyReport::summary`].
pub fn label(kind: CheckKind) -> &'static str {
    match kind {
        CheckKind::Signature => "Signature ECDSA",
        CheckKind::CmsStructure => "Signature CMS",
        CheckKind::Range => "Plage signée",
        CheckKind::Digest => "Empreinte SHA-256 du document",
        CheckKind::SigningCertificate => "Certificat du signataire",
        CheckKind::Chain => "Chaîne de confiance",
        CheckKind::Data => "Données jointes",
        CheckKind::Text => "Texte affiché",
    }
}

/// Verifies a signed proof against the given trust anchors.
pub fn verify(pdf: &[u8], trust_anchors: &[Certificate]) -> VerifyReport {
    let mut report = Report { checks: Vec::new() };
    let objects = match pdfscan::objects(pdf) {
        Ok(objects) => objects,
        Err(e) => {
            report.fail(CheckKind::Signature, format!("PDF illisible : {e}"));
            return finish(report, None, None, 0);
        }
    };

    let signatures = signature_dictionaries(&objects).len();
    let mut signer = None;
    let mut signer_chain: Option<(Certificate, Vec<Certificate>)> = None;
    if let Some((start, end, cms_der)) =
        report.record(CheckKind::Range, find_signature(pdf, &objects))
    {
        let mut hasher = Sha256::new();
        hasher.update(&pdf[..start]);
        hasher.update(&pdf[end..]);
        let digest = hasher.finalize();
        if let Some((signed_data, info)) =
            report.record(CheckKind::CmsStructure, parse_cms(&cms_der))
        {
            report.record(CheckKind::Digest, check_digest(&info, &digest));
            let certs = embedded_certificates(&signed_data);
            if let Some(cert) =
                report.record(CheckKind::SigningCertificate, find_signer(&info, &certs))
            {
                signer = Some(cert.tbs_certificate.subject.to_string());
                report.record(CheckKind::Signature, check_signature(&info, &cert));
                signer_chain = Some((cert, certs));
            }
        }
    }
    let data = report.record(CheckKind::Data, read_attachment(&objects));
    match &data {
        Some(data) => {
            report.record(CheckKind::Text, check_text(pdf, &objects, data));
        }
        None => report.fail(CheckKind::Text, "pas de données jointes à comparer"),
    }
    match (&signer_chain, &data) {
        (Some((cert, certs)), Some(data)) => {
            report.record(
                CheckKind::Chain,
                check_chain(cert, certs, trust_anchors, data.produced_at.as_second()),
            );
        }
        _ => report.fail(
            CheckKind::Chain,
            "certificat du signataire ou date de production inconnus",
        ),
    }
    finish(report, data, signer, signatures)
}

fn finish(
    report: Report,
    data: Option<ProofData>,
    signer: Option<String>,
    signatures: usize,
) -> VerifyReport {
    let ok = !report.checks.is_empty() && report.checks.iter().all(|c| c.ok);
    VerifyReport {
        ok,
        checks: report.checks,
        data,
        signer,
        signatures,
    }
}

/// The objects holding a signature dictionary (those with a /ByteRange).
fn signature_dictionaries<'a, 'b>(
    objects: &'a BTreeMap<u64, RawObject<'b>>,
) -> Vec<&'a RawObject<'b>> {
    objects
        .values()
        .filter(|o| pdfscan::dict_value(o.value, b"/ByteRange").is_some())
        .collect()
}

type Checked<T> = Result<(T, String), String>;

/// Offset of `inner` within `outer` (both slices of the same file).
fn offset_in(outer: &[u8], inner: &[u8]) -> Option<usize> {
    let start = (inner.as_ptr() as usize).checked_sub(outer.as_ptr() as usize)?;
    (start + inner.len() <= outer.len()).then_some(start)
}

/// The only signature dictionary; its /ByteRange must be [0 a b c] with a..b exactly
/// the /Contents hex string of that dictionary and b + c the file length.
fn find_signature(
    pdf: &[u8],
    objects: &BTreeMap<u64, RawObject<'_>>,
) -> Checked<(usize, usize, Vec<u8>)> {
    let signatures = signature_dictionaries(objects);
    let count_in_file = pdf.windows(10).filter(|w| w == b"/ByteRange").count();
    let [sig] = signatures.as_slice() else {
        return Err(format!(
            "{} signatures trouvées, une seule attendue",
            signatures.len()
        ));
    };
    if count_in_file != 1 {
        return Err(String::from("plusieurs plages signées dans le fichier"));
    }
    let range = pdfscan::dict_value(sig.value, b"/ByteRange")
        .and_then(pdfscan::array_items)
        .ok_or("/ByteRange illisible")?
        .into_iter()
        .map(|item| {
            std::str::from_utf8(item)
                .ok()
                .and_then(|t| t.parse::<usize>().ok())
        })
        .collect::<Option<Vec<usize>>>()
        .ok_or("/ByteRange illisible")?;
    let [0, a, b, c] = range.as_slice() else {
        return Err(format!("/ByteRange inattendue : {range:?}"));
    };
    let (a, b, c) = (*a, *b, *c);
    let contents = pdfscan::dict_value(sig.value, b"/Contents").ok_or("/Contents absent")?;
    let contents_at = offset_in(pdf, contents).ok_or("/Contents hors du fichier")?;
    if contents_at != a || contents_at + contents.len() != b {
        return Err(String::from(
            "la plage signée ne correspond pas exactement à la valeur /Contents",
        ));
    }
    if b.checked_add(c) != Some(pdf.len()) {
        return Err(format!(
            "la plage signée s'arrête à l'octet {} sur {} : des données ont été ajoutées ou retirées après la signature",
            b.saturating_add(c),
            pdf.len()
        ));
    }
    let hex_digits = contents
        .strip_prefix(b"<")
        .and_then(|c| c.strip_suffix(b">"))
        .filter(|digits| digits.iter().all(u8::is_ascii_hexdigit))
        .ok_or("/Contents n'est pas une chaîne hexadécimale")?;
    let der = hex::decode(hex_digits).map_err(|_| "/Contents illisible")?;
    let der = der_prefix(&der).ok_or("signature CMS tronquée")?.to_vec();
    Ok((
        (a, b, der),
        format!(
            "tout le fichier ({} octets) sauf la signature (octets {a} à {b})",
            pdf.len()
        ),
    ))
}

/// The first DER element of `bytes` (the CMS is followed by zero padding).
fn der_prefix(bytes: &[u8]) -> Option<&[u8]> {
    let first = *bytes.get(1)?;
    let (len, header) = if first < 0x80 {
        (usize::from(first), 2)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 {
            return None;
        }
        let mut len = 0usize;
        for i in 0..n {
            len = (len << 8) | usize::from(*bytes.get(2 + i)?);
        }
        (len, 2 + n)
    };
    bytes.get(..header.checked_add(len)?)
}

fn parse_cms(der: &[u8]) -> Checked<(SignedData, SignerInfo)> {
    let info = ContentInfo::from_der(der).map_err(|e| format!("CMS illisible : {e}"))?;
    if info.content_type != rfc5911::ID_SIGNED_DATA {
        return Err(String::from("le CMS n'est pas un SignedData"));
    }
    let signed: SignedData = info
        .content
        .decode_as()
        .map_err(|e| format!("SignedData illisible : {e}"))?;
    if signed.encap_content_info.econtent.is_some() {
        return Err(String::from("signature non détachée"));
    }
    let infos: Vec<&SignerInfo> = signed.signer_infos.0.iter().collect();
    let [info] = infos.as_slice() else {
        return Err(format!("{} signataires, un seul attendu", infos.len()));
    };
    let info = (*info).clone();
    if info.digest_alg.oid != rfc5912::ID_SHA_256 {
        return Err(String::from("algorithme d'empreinte autre que SHA-256"));
    }
    Ok((
        (signed, info),
        String::from("CMS SignedData détaché, SHA-256"),
    ))
}

fn signed_attribute(info: &SignerInfo, oid: const_oid::ObjectIdentifier) -> Option<&der::Any> {
    let attrs = info.signed_attrs.as_ref()?;
    let attr = attrs.iter().find(|a| a.oid == oid)?;
    let values: Vec<_> = attr.values.iter().collect();
    match values.as_slice() {
        [one] => Some(*one),
        _ => None,
    }
}

fn check_digest(info: &SignerInfo, digest: &[u8]) -> Checked<()> {
    let content_type = signed_attribute(info, rfc5911::ID_CONTENT_TYPE)
        .and_then(|v| v.decode_as::<const_oid::ObjectIdentifier>().ok());
    if content_type != Some(rfc5911::ID_DATA) {
        return Err(String::from("attribut content-type absent ou inattendu"));
    }
    let claimed = signed_attribute(info, rfc5911::ID_MESSAGE_DIGEST)
        .and_then(|v| v.decode_as::<OctetString>().ok())
        .ok_or("attribut message-digest absent")?;
    if claimed.as_bytes() != digest {
        return Err(String::from(
            "l'empreinte signée diffère de celle du document : le document a été modifié",
        ));
    }
    Ok((
        (),
        format!("{} (identique à l'empreinte signée)", hex::encode(digest)),
    ))
}

fn embedded_certificates(signed: &SignedData) -> Vec<Certificate> {
    signed
        .certificates
        .iter()
        .flat_map(|set| set.0.iter())
        .filter_map(|choice| match choice {
            CertificateChoices::Certificate(cert) => Some(cert.clone()),
            CertificateChoices::Other(_) => None,
        })
        .collect()
}

/// The certificate named by the signer identifier, bound by signing-certificate-v2.
fn find_signer(info: &SignerInfo, certs: &[Certificate]) -> Checked<Certificate> {
    let SignerIdentifier::IssuerAndSerialNumber(id) = &info.sid else {
        return Err(String::from("identifiant de signataire non pris en charge"));
    };
    let cert = certs
        .iter()
        .find(|c| {
            c.tbs_certificate.issuer == id.issuer
                && c.tbs_certificate.serial_number == id.serial_number
        })
        .ok_or("certificat du signataire absent de la signature")?;
    let der = cert.to_der().map_err(|e| e.to_string())?;
    let bound = signed_attribute(info, rfc5911::ID_AA_SIGNING_CERTIFICATE_V_2)
        .and_then(|v| v.decode_as::<SigningCertificateV2>().ok())
        .ok_or("attribut signing-certificate-v2 absent (exigé par PAdES)")?;
    let hash = Sha256::digest(&der);
    if bound.certs.first().map(|c| c.cert_hash.as_bytes()) != Some(hash.as_slice()) {
        return Err(String::from(
            "l'attribut signing-certificate-v2 ne désigne pas ce certificat",
        ));
    }
    Ok((cert.clone(), cert.tbs_certificate.subject.to_string()))
}

fn verifying_key(cert: &Certificate) -> Result<VerifyingKey, String> {
    let spki = &cert.tbs_certificate.subject_public_key_info;
    if spki.algorithm.oid != rfc5912::ID_EC_PUBLIC_KEY {
        return Err(String::from(
            "clé publique autre qu'ECDSA (non prise en charge)",
        ));
    }
    VerifyingKey::from_sec1_bytes(spki.subject_public_key.raw_bytes())
        .map_err(|_| String::from("clé publique ECDSA P-256 illisible"))
}

fn check_signature(info: &SignerInfo, cert: &Certificate) -> Checked<()> {
    if info.signature_algorithm.oid != rfc5912::ECDSA_WITH_SHA_256 {
        return Err(String::from(
            "algorithme de signature autre qu'ECDSA avec SHA-256",
        ));
    }
    let attrs = info
        .signed_attrs
        .as_ref()
        .ok_or("attributs signés absents")?;
    let signed = attrs.to_der().map_err(|e| e.to_string())?;
    let signature = Signature::from_der(info.signature.as_bytes())
        .map_err(|_| String::from("valeur de signature illisible"))?;
    verifying_key(cert)?
        .verify(&signed, &signature)
        .map_err(|_| String::from("signature ECDSA invalide"))?;
    Ok((
        (),
        String::from(
            "attributs signés authentifiés par la clé du certificat (ECDSA P-256, SHA-256)",
        ),
    ))
}

fn valid_at(cert: &Certificate, unix_seconds: i64) -> bool {
    let validity = &cert.tbs_certificate.validity;
    let to_i64 = |t: &x509_cert::time::Time| {
        i64::try_from(t.to_unix_duration().as_secs()).unwrap_or(i64::MAX)
    };
    to_i64(&validity.not_before) <= unix_seconds && unix_seconds <= to_i64(&validity.not_after)
}

fn is_ca(cert: &Certificate) -> bool {
    cert.tbs_certificate
        .extensions
        .iter()
        .flatten()
        .find(|e| e.extn_id == rfc5912::ID_CE_BASIC_CONSTRAINTS)
        .and_then(|e| BasicConstraints::from_der(e.extn_value.as_bytes()).ok())
        .is_some_and(|bc| bc.ca)
}

/// Whether `issuer`'s key signed `cert`.
fn issued_by(cert: &Certificate, issuer: &Certificate) -> bool {
    if cert.tbs_certificate.issuer != issuer.tbs_certificate.subject
        || cert.signature_algorithm.oid != rfc5912::ECDSA_WITH_SHA_256
    {
        return false;
    }
    let (Ok(key), Ok(tbs)) = (verifying_key(issuer), cert.tbs_certificate.to_der()) else {
        return false;
    };
    let Some(sig) = cert.signature.as_bytes() else {
        return false;
    };
    Signature::from_der(sig).is_ok_and(|s| key.verify(&tbs, &s).is_ok())
}

/// Walks from the signer to a trust anchor through the certificates carried in the
/// signature; every certificate must be valid at the production instant.
fn check_chain(
    signer: &Certificate,
    carried: &[Certificate],
    anchors: &[Certificate],
    at: i64,
) -> Checked<()> {
    if anchors.is_empty() {
        return Err(String::from("aucune autorité de confiance fournie"));
    }
    let mut current = signer.clone();
    for _ in 0..8 {
        if !valid_at(&current, at) {
            return Err(format!(
                "certificat « {} » hors de sa période de validité à la date de production",
                current.tbs_certificate.subject
            ));
        }
        if anchors.contains(&current) {
            return Ok((
                (),
                format!("reconnue : {}", current.tbs_certificate.subject),
            ));
        }
        if let Some(anchor) = anchors.iter().find(|a| issued_by(&current, a)) {
            if !valid_at(anchor, at) {
                return Err(String::from(
                    "autorité de confiance hors de sa période de validité",
                ));
            }
            return Ok(((), format!("reconnue : {}", anchor.tbs_certificate.subject)));
        }
        let Some(issuer) = carried
            .iter()
            .find(|c| *c != &current && is_ca(c) && issued_by(&current, c))
        else {
            return Err(format!(
                "émetteur « {} » inconnu ou non reconnu comme autorité de confiance",
                current.tbs_certificate.issuer
            ));
        };
        current = issuer.clone();
    }
    Err(String::from("chaîne de certificats trop longue"))
}

/// The JSON attachment: filespec named [`ATTACHMENT_NAME`], relationship /Data.
fn read_attachment(objects: &BTreeMap<u64, RawObject<'_>>) -> Checked<ProofData> {
    let name = format!("({ATTACHMENT_NAME})");
    let spec = objects
        .values()
        .find(|o| {
            pdfscan::dict_value(o.value, b"/Type") == Some(b"/Filespec")
                && pdfscan::dict_value(o.value, b"/F") == Some(name.as_bytes())
        })
        .ok_or_else(|| format!("pièce jointe {ATTACHMENT_NAME} absente"))?;
    if pdfscan::dict_value(spec.value, b"/AFRelationship") != Some(b"/Data") {
        return Err(String::from("pièce jointe sans relation /Data"));
    }
    let file = pdfscan::dict_value(spec.value, b"/EF")
        .and_then(|ef| pdfscan::dict_ref(ef, b"/F"))
        .and_then(|n| objects.get(&n))
        .ok_or("flux de la pièce jointe absent")?;
    let json = pdfscan::decode_stream(file).map_err(|e| e.to_string())?;
    let data: ProofData =
        serde_json::from_slice(&json).map_err(|e| format!("JSON illisible : {e}"))?;
    if data.format != PROOF_FORMAT {
        return Err(format!("format « {} » inconnu", data.format));
    }
    Ok((
        data,
        format!("{ATTACHMENT_NAME} lu ({} octets)", json.len()),
    ))
}

/// Compares the page's text, line by line, with the lines rendered from the data.
fn check_text(pdf: &[u8], objects: &BTreeMap<u64, RawObject<'_>>, data: &ProofData) -> Checked<()> {
    let found = page_lines(pdf, objects)?;
    let mut expected: Vec<String> = visible_lines(data).into_iter().map(|l| l.text).collect();
    expected.push(SIGNATURE_CAPTION.to_owned());
    let mut found_sorted = found.clone();
    found_sorted.sort();
    let mut expected_sorted = expected.clone();
    expected_sorted.sort();
    if found_sorted == expected_sorted {
        return Ok((
            (),
            format!(
                "{} lignes, identiques aux données jointes (dont « Nombre de DUI actifs : {} »)",
                found.len(),
                data.figures.active_records
            ),
        ));
    }
    if let Some(missing) = expected.iter().find(|l| !found.contains(l)) {
        return Err(format!(
            "la page ne montre pas « {missing} » alors que les données jointes l'impliquent"
        ));
    }
    if let Some(extra) = found.iter().find(|l| !expected.contains(l)) {
        return Err(format!(
            "la page montre « {extra} », absent des données jointes"
        ));
    }
    Err(String::from(
        "le texte de la page diffère des données jointes",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{ProofFigures, ProofRates};
    use crate::sign::SigningIdentity;

    fn data() -> ProofData {
        ProofData {
            format: PROOF_FORMAT.to_owned(),
            establishment_finess: "330780495".to_owned(),
            establishment_name: "Foyer de vie".to_owned(),
            organisation_name: "Association test".to_owned(),
            organisation_siret: "73282932000074".to_owned(),
            period_from: jiff::civil::date(2026, 10, 1),
            period_to: jiff::civil::date(2026, 10, 31),
            produced_at: "2026-11-02T08:00:00Z".parse().unwrap(),
            rule_set: "test/v1".to_owned(),
            figures: ProofFigures {
                records: 30,
                open_records: 25,
                active_records: 20,
                accompanied_persons: 25,
                records_with_care_plan: 18,
                records_with_appointment: 15,
                dmp_fed: 5,
                mss_messages: 9,
            },
            rates: ProofRates {
                active: "80,0 %".to_owned(),
                care_plan: "90,0 %".to_owned(),
                appointment: "75,0 %".to_owned(),
                dmp: "20,0 %".to_owned(),
                mss: "36,0 %".to_owned(),
            },
            declarant: "Alex Martin, directeur".to_owned(),
            legal_representative: "Sam Durand, présidente".to_owned(),
            counted_records_sha256: "00".repeat(32),
        }
    }

    /// A correctly signed proof whose page says 21 DUI actifs while its JSON says 20.
    #[test]
    fn a_signed_proof_whose_page_and_data_disagree_is_refused() {
        let pki = crate::pki::generate_demo_pki(
            "Association test",
            "73282932000074",
            data().produced_at,
            "x",
        )
        .unwrap();
        let identity = SigningIdentity::from_pkcs12(&pki.pkcs12, "x").unwrap();
        let mut shown = data();
        shown.figures.active_records = 21;
        let json = serde_json::to_vec(&data()).unwrap();
        let rendered = crate::proof::render_with_attachment(&shown, json).unwrap();
        let pdf = crate::sign::sign_pdf(
            &rendered.pdf,
            rendered.signature_page,
            rendered.signature_rect,
            &identity,
            data().produced_at,
            "test",
            "test",
        )
        .unwrap();
        let report = verify(&pdf, std::slice::from_ref(&pki.ca_certificate));
        assert!(!report.ok);
        let text = report
            .checks
            .iter()
            .find(|c| c.kind == CheckKind::Text)
            .unwrap();
        assert!(!text.ok);
        assert!(
            text.detail.contains("Nombre de DUI actifs : 20"),
            "{}",
            text.detail
        );
        // The signature itself is fine: only the consistency check fails.
        assert!(
            report
                .checks
                .iter()
                .filter(|c| c.kind != CheckKind::Text)
                .all(|c| c.ok)
        );
    }
}
