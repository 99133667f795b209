//! Trusting a CA file that may appear (or change) after the client was made: a
//! simulator started before the harness's run trusts the CA of the mock peers that the
//! run writes when it starts. The file is read at each handshake the platform's roots
//! do not vouch for.

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, RootCertStore, SignatureScheme};

/// The CA file every default client of this process also trusts, once set.
static LATE_CA: OnceLock<PathBuf> = OnceLock::new();

/// Makes every default client made from now on also trust the CA certificates in
/// `path`, read when a handshake needs them. Returns `false` if one was already set.
pub fn trust_late_ca(path: PathBuf) -> bool {
    LATE_CA.set(path).is_ok()
}

/// The CA file set by [`trust_late_ca`], if any.
pub fn late_ca() -> Option<PathBuf> {
    LATE_CA.get().cloned()
}

/// The platform's verdict first, then the CA file's.
#[derive(Debug)]
pub struct LateCaFile {
    /// The CA file (PEM).
    pub path: PathBuf,
    /// The verifier tried first.
    pub first: Arc<dyn ServerCertVerifier>,
    /// The crypto provider, for signatures.
    pub provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for LateCaFile {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let first = self.first.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        );
        let Err(refused) = first else {
            return first;
        };
        let Ok(certs) = crate::tls::certificates(&self.path) else {
            return Err(refused);
        };
        let mut roots = RootCertStore::empty();
        for cert in certs {
            roots
                .add(cert)
                .map_err(|e| rustls::Error::General(e.to_string()))?;
        }
        WebPkiServerVerifier::builder_with_provider(Arc::new(roots), Arc::clone(&self.provider))
            .build()
            .map_err(|e| rustls::Error::General(e.to_string()))?
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}
