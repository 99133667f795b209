//! Certificates and keys: read from PEM files, or generated at start for the mock
//! peers (a CA, written out as PEM so an IUT can trust it, and a server certificate
//! for each listen address, signed by it).

use std::net::{IpAddr, SocketAddr};
use std::path::Path;

use base64::Engine as _;
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, KeyUsagePurpose,
    SanType,
};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// Why a certificate, key or TLS configuration could not be had.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TlsError {
    /// A PEM file is missing, unreadable or holds nothing usable.
    #[error("{path}: {reason}")]
    Pem {
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
    /// A certificate could not be generated.
    #[error("cannot generate a certificate: {0}")]
    Generate(String),
    /// rustls refused the configuration (e.g. a key that does not match its certificate).
    #[error("TLS configuration: {0}")]
    Config(String),
    /// The CA certificate could not be written.
    #[error("cannot write {path}: {reason}")]
    Write {
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
}

/// A certificate chain and its private key. The key is never printed.
pub struct Identity {
    /// The chain, leaf first.
    pub chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
}

impl std::fmt::Debug for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Identity")
            .field("certificates", &self.chain.len())
            .field("key", &"(secret)")
            .finish()
    }
}

impl Identity {
    /// Reads a chain and a key from PEM files.
    pub fn from_files(cert: &Path, key: &Path) -> Result<Self, TlsError> {
        let chain = certificates(cert)?;
        let key = PrivateKeyDer::from_pem_file(key).map_err(|e| pem_error(key, &e))?;
        Ok(Self { chain, key })
    }

    /// The private key (a copy).
    pub fn key(&self) -> PrivateKeyDer<'static> {
        self.key.clone_key()
    }
}

fn pem_error(path: &Path, e: &rustls::pki_types::pem::Error) -> TlsError {
    let reason = match e {
        rustls::pki_types::pem::Error::Io(io) => format!("cannot read: {io}"),
        rustls::pki_types::pem::Error::NoItemsFound => "no PEM item of the expected kind".into(),
        other => format!("not valid PEM: {other:?}"),
    };
    TlsError::Pem {
        path: path.display().to_string(),
        reason,
    }
}

/// Every certificate in a PEM file (at least one).
pub fn certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(|e| pem_error(path, &e))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| pem_error(path, &e))?;
    if certs.is_empty() {
        return Err(TlsError::Pem {
            path: path.display().to_string(),
            reason: "holds no CERTIFICATE".into(),
        });
    }
    Ok(certs)
}

/// `der` as a PEM block labelled `label`.
pub fn pem(label: &str, der: &[u8]) -> String {
    let text = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in text.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(line));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

/// A certificate authority made at start, which signs a server certificate for each
/// address a mock peer or simulator listens on.
pub struct GeneratedCa {
    issuer: CertifiedIssuer<'static, KeyPair>,
}

impl std::fmt::Debug for GeneratedCa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("GeneratedCa")
    }
}

fn generate_error(e: rcgen::Error) -> TlsError {
    TlsError::Generate(e.to_string())
}

impl GeneratedCa {
    /// A new CA with a fresh key.
    pub fn new() -> Result<Self, TlsError> {
        let mut params = CertificateParams::new(Vec::<String>::new()).map_err(generate_error)?;
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(DnType::CommonName, "crosscheck mock CA");
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let key = KeyPair::generate().map_err(generate_error)?;
        let issuer = CertifiedIssuer::self_signed(params, key).map_err(generate_error)?;
        Ok(Self { issuer })
    }

    /// The CA certificate as PEM: what an IUT must trust.
    pub fn pem(&self) -> String {
        pem("CERTIFICATE", self.issuer.der())
    }

    /// The CA certificate.
    pub fn der(&self) -> CertificateDer<'static> {
        self.issuer.der().clone()
    }

    /// Writes the CA certificate to `path` (creating its folder).
    pub fn write(&self, path: &Path) -> Result<(), TlsError> {
        let write_error = |e: std::io::Error| TlsError::Write {
            path: path.display().to_string(),
            reason: e.to_string(),
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(write_error)?;
        }
        std::fs::write(path, self.pem()).map_err(write_error)
    }

    /// A server certificate for `addr` (its IP, plus `localhost` and 127.0.0.1 when it
    /// listens on every address), signed by this CA.
    pub fn server_identity(&self, addr: SocketAddr) -> Result<Identity, TlsError> {
        let mut params =
            CertificateParams::new(vec!["localhost".to_string()]).map_err(generate_error)?;
        params
            .distinguished_name
            .push(DnType::CommonName, format!("crosscheck {addr}"));
        let mut ips = vec![addr.ip()];
        if addr.ip().is_unspecified() {
            ips.push(IpAddr::from([127, 0, 0, 1]));
        }
        params
            .subject_alt_names
            .extend(ips.into_iter().map(SanType::IpAddress));
        let key = KeyPair::generate().map_err(generate_error)?;
        let cert = params
            .signed_by(&key, &self.issuer)
            .map_err(generate_error)?;
        let key = PrivateKeyDer::try_from(key.serialize_der())
            .map_err(|e| TlsError::Generate(e.to_string()))?;
        Ok(Identity {
            chain: vec![cert.der().clone(), self.der()],
            key,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_ca_signs_a_certificate_for_the_address_and_reads_back_as_pem() {
        let ca = GeneratedCa::new().expect("ca");
        let identity = ca
            .server_identity("127.0.0.1:8443".parse().expect("addr"))
            .expect("leaf");
        assert_eq!(identity.chain.len(), 2);
        assert!(format!("{identity:?}").contains("key: \"(secret)\""));
        let dir = std::env::temp_dir().join(format!("crosscheck-ca-{}", uuid::Uuid::new_v4()));
        let path = dir.join("mock-ca.pem");
        ca.write(&path).expect("written");
        let read = certificates(&path).expect("reads back");
        assert_eq!(read, vec![ca.der()]);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn missing_and_empty_pem_files_are_errors_naming_the_file() {
        let missing = certificates(Path::new("/nonexistent/ca.pem")).expect_err("missing");
        assert!(missing
            .to_string()
            .starts_with("/nonexistent/ca.pem: cannot read"));
        let dir = std::env::temp_dir().join(format!("crosscheck-pem-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).expect("dir");
        let empty = dir.join("empty.pem");
        std::fs::write(&empty, "not pem at all\n").expect("write");
        let err = certificates(&empty).expect_err("empty");
        assert!(err.to_string().contains("empty.pem"), "{err}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
