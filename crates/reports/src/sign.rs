//! The PDF signature: PAdES baseline B (CMS detached, SHA-256, ECDSA P-256).
//!
//! The proof is rendered first, then an incremental update adds the signature field
//! (widget over the box drawn on the page), the signature dictionary with a zeroed
//! `/Contents` placeholder, and rewritten catalog and page objects. The CMS SignedData
//! is computed over the `/ByteRange` (the whole file except the `/Contents` string) and
//! written into the placeholder. Nothing after the signature is allowed: the byte range
//! ends at the end of the file.

use cms::cert::{CertificateChoices, IssuerAndSerialNumber};
use cms::content_info::{CmsVersion, ContentInfo};
use cms::signed_data::{
    CertificateSet, EncapsulatedContentInfo, SignedData, SignerIdentifier, SignerInfo, SignerInfos,
};
use const_oid::db::{rfc5911, rfc5912};
use der::asn1::{OctetString, SetOfVec};
use der::{Any, Decode, Encode, Sequence};
use jiff::Timestamp;
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{DerSignature, SigningKey};
use p256::pkcs8::DecodePrivateKey;
use sha2::{Digest, Sha256};
use spki::AlgorithmIdentifierOwned;
use x509_cert::Certificate;
use x509_cert::attr::{Attribute, AttributeValue};

use crate::data::ProofData;
use crate::error::{Error, Result};
use crate::pdfscan;
use crate::proof::{self, SignatureRect};

/// Bytes reserved for the DER CMS in `/Contents` (written as twice as many hex digits).
const SIGNATURE_RESERVED: usize = 8192;
/// Placeholder for each ByteRange number; patched with space-padded numbers.
const BYTE_RANGE_SLOT: &str = "**********";

/// The organisation's signing key and its certificate chain (leaf first).
pub struct SigningIdentity {
    key: SigningKey,
    chain: Vec<Certificate>,
}

impl std::fmt::Debug for SigningIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningIdentity")
            .field("key", &"<clé privée>")
            .field("chain_len", &self.chain.len())
            .finish()
    }
}

impl SigningIdentity {
    /// Reads the first private key and its chain from a PKCS#12 (`.p12`/`.pfx`) file.
    pub fn from_pkcs12(p12: &[u8], password: &str) -> Result<Self> {
        let store = p12_keystore::KeyStore::from_pkcs12(p12, password)
            .map_err(|e| Error::Pkcs12(e.to_string()))?;
        let (_, chain) = store.private_key_chain().ok_or(Error::Pkcs12NoKey)?;
        let key = SigningKey::from_pkcs8_der(chain.key())
            .map_err(|e| Error::UnsupportedKey(e.to_string()))?;
        let certs = chain
            .chain()
            .iter()
            .map(|c| Certificate::from_der(c.as_der()))
            .collect::<Result<Vec<_>, _>>()?;
        Self::new(key, certs)
    }

    /// Builds an identity from a key and its chain (leaf first); the leaf must carry
    /// the key's public half.
    pub(crate) fn new(key: SigningKey, chain: Vec<Certificate>) -> Result<Self> {
        let leaf = chain
            .first()
            .ok_or_else(|| Error::Certificate(String::from("chaîne de certificats vide")))?;
        let public = p256::PublicKey::from(key.verifying_key());
        let spki = spki::SubjectPublicKeyInfoOwned::from_key(public)
            .map_err(|e| Error::Certificate(e.to_string()))?;
        if spki != leaf.tbs_certificate.subject_public_key_info {
            return Err(Error::Certificate(String::from(
                "la clé privée ne correspond pas au certificat",
            )));
        }
        Ok(Self { key, chain })
    }

    /// The signer's certificate.
    pub fn certificate(&self) -> Option<&Certificate> {
        self.chain.first()
    }
}

/// Renders the proof of `data` as PDF/A-3b and signs it with `identity`.
///
/// The claimed signing time (`/M`) is the production instant of the data: the library
/// never reads the clock.
pub fn signed_proof(data: &ProofData, identity: &SigningIdentity) -> Result<Vec<u8>> {
    let rendered = proof::render(data)?;
    let reason = format!(
        "Preuve d'usage du DUI, FINESS {}, du {} au {}",
        data.establishment_finess,
        proof::french_date(data.period_from),
        proof::french_date(data.period_to)
    );
    sign_pdf(
        &rendered.pdf,
        rendered.signature_page,
        rendered.signature_rect,
        identity,
        data.produced_at,
        &reason,
        &data.legal_representative,
    )
}

/// Adds a signature to a PDF written by this crate, its widget on page `page_index`.
pub(crate) fn sign_pdf(
    pdf: &[u8],
    page_index: usize,
    rect: SignatureRect,
    identity: &SigningIdentity,
    signed_at: Timestamp,
    reason: &str,
    signer_name: &str,
) -> Result<Vec<u8>> {
    let trailer = pdfscan::last_trailer(pdf)?;
    let size = pdfscan::dict_int(trailer, b"/Size").ok_or(Error::PdfStructure("/Size"))?;
    let root = pdfscan::dict_ref(trailer, b"/Root").ok_or(Error::PdfStructure("/Root"))?;
    let prev = pdfscan::last_startxref(pdf)?;
    let info = pdfscan::dict_value(trailer, b"/Info");
    let id = pdfscan::dict_value(trailer, b"/ID");
    let catalog = pdfscan::object_dict(pdf, root).ok_or(Error::PdfStructure("catalogue"))?;
    if pdfscan::dict_value(catalog, b"/AcroForm").is_some() {
        return Err(Error::PdfStructure("document déjà doté d'un formulaire"));
    }
    let pages = pdfscan::dict_ref(catalog, b"/Pages").ok_or(Error::PdfStructure("/Pages"))?;
    let pages_dict = pdfscan::object_dict(pdf, pages).ok_or(Error::PdfStructure("pages"))?;
    let page = pdfscan::kids(pages_dict)
        .and_then(|kids| kids.get(page_index).copied())
        .ok_or(Error::PdfStructure("/Kids"))?;
    let page_dict = pdfscan::object_dict(pdf, page).ok_or(Error::PdfStructure("page"))?;
    if pdfscan::dict_value(page_dict, b"/Annots").is_some() {
        return Err(Error::PdfStructure("page déjà annotée"));
    }

    let sig_id = size;
    let widget_id = size + 1;
    let ap_id = size + 2;
    let new_size = size + 3;
    let mut out = pdf.to_vec();
    if !out.ends_with(b"\n") {
        out.push(b'\n');
    }
    let mut offsets: Vec<(u64, usize)> = Vec::new();

    offsets.push((sig_id, out.len()));
    out.extend_from_slice(
        format!(
            "{sig_id} 0 obj\n<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /ETSI.CAdES.detached \
             /ByteRange [0 {s} {s} {s}] /Contents <",
            s = BYTE_RANGE_SLOT
        )
        .as_bytes(),
    );
    let contents_start = out.len() - 1;
    out.extend(std::iter::repeat_n(b'0', SIGNATURE_RESERVED * 2));
    out.push(b'>');
    let contents_end = out.len();
    out.extend_from_slice(
        format!(
            " /M {} /Name {} /Reason {} >>\nendobj\n",
            pdf_date_string(signed_at),
            pdf_text_string(signer_name),
            pdf_text_string(reason)
        )
        .as_bytes(),
    );

    let [x1, y1, x2, y2] = rect;
    offsets.push((widget_id, out.len()));
    out.extend_from_slice(
        format!(
            "{widget_id} 0 obj\n<< /Type /Annot /Subtype /Widget /FT /Sig /T (Signature1) \
             /V {sig_id} 0 R /F 132 /Rect [{x1:.2} {y1:.2} {x2:.2} {y2:.2}] /P {page} 0 R \
             /AP << /N {ap_id} 0 R >> >>\nendobj\n"
        )
        .as_bytes(),
    );
    offsets.push((ap_id, out.len()));
    out.extend_from_slice(
        format!(
            "{ap_id} 0 obj\n<< /Type /XObject /Subtype /Form /BBox [0 0 {w:.2} {h:.2}] \
             /Resources << >> /Length 0 >>\nstream\n\nendstream\nendobj\n",
            w = x2 - x1,
            h = y2 - y1
        )
        .as_bytes(),
    );
    offsets.push((root, out.len()));
    out.extend_from_slice(format!("{root} 0 obj\n").as_bytes());
    out.extend_from_slice(&pdfscan::dict_with_extra(
        catalog,
        format!(" /AcroForm << /Fields [{widget_id} 0 R] /SigFlags 3 >>").as_bytes(),
    )?);
    out.extend_from_slice(b"\nendobj\n");
    offsets.push((page, out.len()));
    out.extend_from_slice(format!("{page} 0 obj\n").as_bytes());
    out.extend_from_slice(&pdfscan::dict_with_extra(
        page_dict,
        format!(" /Annots [{widget_id} 0 R]").as_bytes(),
    )?);
    out.extend_from_slice(b"\nendobj\n");

    let xref_offset = out.len();
    out.extend_from_slice(&pdfscan::xref_section(&mut offsets));
    let mut trailer_text = format!("trailer\n<< /Size {new_size} /Root {root} 0 R /Prev {prev}");
    if let Some(info) = info {
        trailer_text.push_str(" /Info ");
        trailer_text.push_str(&String::from_utf8_lossy(info));
    }
    if let Some(id) = id {
        trailer_text.push_str(" /ID ");
        trailer_text.push_str(&String::from_utf8_lossy(id));
    }
    trailer_text.push_str(&format!(" >>\nstartxref\n{xref_offset}\n%%EOF\n"));
    out.extend_from_slice(trailer_text.as_bytes());

    // Patch the byte range, then sign it.
    let total = out.len();
    let ranges = [contents_end, total - contents_end];
    let placeholder = format!("[0 {s} {s} {s}]", s = BYTE_RANGE_SLOT);
    let actual = format!("[0 {} {} {}]", contents_start, ranges[0], ranges[1]);
    if actual.len() > placeholder.len() {
        return Err(Error::PdfStructure("document trop volumineux"));
    }
    let patched = format!("{actual:<width$}", width = placeholder.len());
    let at = pdfscan::find_from(&out, placeholder.as_bytes(), pdf.len())
        .ok_or(Error::PdfStructure("/ByteRange"))?;
    out[at..at + patched.len()].copy_from_slice(patched.as_bytes());

    let mut hasher = Sha256::new();
    hasher.update(&out[..contents_start]);
    hasher.update(&out[contents_end..]);
    let digest = hasher.finalize();
    let cms = build_cms(&digest, identity)?;
    if cms.len() > SIGNATURE_RESERVED {
        return Err(Error::SignatureTooLarge {
            needed: cms.len(),
            reserved: SIGNATURE_RESERVED,
        });
    }
    let hex = hex::encode_upper(&cms);
    out[contents_start + 1..contents_start + 1 + hex.len()].copy_from_slice(hex.as_bytes());
    Ok(out)
}

/// ESSCertIDv2 (RFC 5035) with the default hash algorithm (SHA-256).
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub(crate) struct EssCertIdV2 {
    pub cert_hash: OctetString,
}

/// SigningCertificateV2 (RFC 5035), required by PAdES baseline B.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub(crate) struct SigningCertificateV2 {
    pub certs: Vec<EssCertIdV2>,
}

pub(crate) fn sha256_algorithm() -> AlgorithmIdentifierOwned {
    AlgorithmIdentifierOwned {
        oid: rfc5912::ID_SHA_256,
        parameters: None,
    }
}

fn attribute(oid: const_oid::ObjectIdentifier, value: Any) -> Result<Attribute> {
    let mut values = SetOfVec::new();
    values.insert(AttributeValue::from(value))?;
    Ok(Attribute { oid, values })
}

/// CMS SignedData, detached, over a SHA-256 digest.
fn build_cms(digest: &[u8], identity: &SigningIdentity) -> Result<Vec<u8>> {
    let leaf = identity
        .certificate()
        .ok_or_else(|| Error::Certificate(String::from("chaîne de certificats vide")))?;
    let leaf_der = leaf.to_der()?;
    let signing_certificate = SigningCertificateV2 {
        certs: vec![EssCertIdV2 {
            cert_hash: OctetString::new(Sha256::digest(&leaf_der).to_vec())?,
        }],
    };
    let mut attrs = SetOfVec::new();
    attrs.insert(attribute(
        rfc5911::ID_CONTENT_TYPE,
        Any::encode_from(&rfc5911::ID_DATA)?,
    )?)?;
    attrs.insert(attribute(
        rfc5911::ID_MESSAGE_DIGEST,
        Any::encode_from(&OctetString::new(digest.to_vec())?)?,
    )?)?;
    attrs.insert(attribute(
        rfc5911::ID_AA_SIGNING_CERTIFICATE_V_2,
        Any::encode_from(&signing_certificate)?,
    )?)?;
    // The signature covers the DER of the attributes as a SET OF (RFC 5652 §5.4).
    let to_sign = attrs.to_der()?;
    let signature: DerSignature = identity.key.sign(&to_sign);

    let signer = SignerInfo {
        version: CmsVersion::V1,
        sid: SignerIdentifier::IssuerAndSerialNumber(IssuerAndSerialNumber {
            issuer: leaf.tbs_certificate.issuer.clone(),
            serial_number: leaf.tbs_certificate.serial_number.clone(),
        }),
        digest_alg: sha256_algorithm(),
        signed_attrs: Some(attrs),
        signature_algorithm: AlgorithmIdentifierOwned {
            oid: rfc5912::ECDSA_WITH_SHA_256,
            parameters: None,
        },
        signature: OctetString::new(signature.as_bytes().to_vec())?,
        unsigned_attrs: None,
    };
    let mut digest_algorithms = SetOfVec::new();
    digest_algorithms.insert(sha256_algorithm())?;
    let mut certificates = SetOfVec::new();
    for cert in &identity.chain {
        certificates.insert(CertificateChoices::Certificate(cert.clone()))?;
    }
    let mut signer_infos = SetOfVec::new();
    signer_infos.insert(signer)?;
    let signed_data = SignedData {
        version: CmsVersion::V1,
        digest_algorithms,
        encap_content_info: EncapsulatedContentInfo {
            econtent_type: rfc5911::ID_DATA,
            econtent: None,
        },
        certificates: Some(CertificateSet(certificates)),
        crls: None,
        signer_infos: SignerInfos(signer_infos),
    };
    let info = ContentInfo {
        content_type: rfc5911::ID_SIGNED_DATA,
        content: Any::encode_from(&signed_data)?,
    };
    Ok(info.to_der()?)
}

/// PDF date string in UTC: `(D:20261123174512Z)`.
fn pdf_date_string(at: Timestamp) -> String {
    let utc = at.to_zoned_datetime(jiff::tz::TimeZone::UTC);
    format!(
        "(D:{:04}{:02}{:02}{:02}{:02}{:02}Z)",
        utc.year(),
        utc.month(),
        utc.day(),
        utc.hour(),
        utc.minute(),
        utc.second()
    )
}

/// PDF text string as UTF-16BE hex with a byte order mark (safe for any text).
fn pdf_text_string(text: &str) -> String {
    let mut out = String::from("<FEFF");
    for unit in text.encode_utf16() {
        out.push_str(&format!("{unit:04X}"));
    }
    out.push('>');
    out
}
