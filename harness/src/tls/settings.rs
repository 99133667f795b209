//! The target file's `tls:` section: what the harness trusts and presents when it
//! calls the IUT over HTTPS, the TLS version it requires of the IUT, and whether its
//! mock peers serve HTTPS.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Deserialize;
use serde_saphyr::Spanned;

use super::handshake::TlsVersion;
use super::identity::{certificates, Identity};
use crate::yaml::InputError;

/// The `tls:` section as written.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct TlsFile {
    ca_file: Option<Spanned<String>>,
    platform_roots: Option<bool>,
    client_cert: Option<Spanned<String>>,
    client_key: Option<Spanned<String>>,
    require_version: Option<Spanned<String>>,
    mock_https: Option<bool>,
    mock_ca_out: Option<String>,
    mock_cert: Option<Spanned<String>>,
    mock_key: Option<Spanned<String>>,
}

/// How the harness's client calls the IUT over HTTPS.
#[derive(Debug, Clone)]
pub struct ClientTls {
    /// Certificates trusted besides (or instead of) the platform's roots.
    pub extra_roots: Vec<rustls::pki_types::CertificateDer<'static>>,
    /// Whether the platform's roots are trusted too (default yes).
    pub platform_roots: bool,
    /// The certificate and key presented for mutual TLS.
    pub identity: Option<Arc<Identity>>,
}

impl Default for ClientTls {
    fn default() -> Self {
        Self {
            extra_roots: Vec::new(),
            platform_roots: true,
            identity: None,
        }
    }
}

impl ClientTls {
    /// Whether this is the plain default (platform roots, no client certificate).
    pub fn is_default(&self) -> bool {
        self.extra_roots.is_empty() && self.platform_roots && self.identity.is_none()
    }
}

/// How the mock peers serve HTTPS.
#[derive(Debug, Clone, Default)]
pub struct MockTls {
    /// The certificate and key to serve; `None`: generated at start.
    pub identity: Option<Arc<Identity>>,
    /// Where the generated CA certificate is written; `None`: `<report-dir>/mock-ca.pem`.
    pub ca_out: Option<PathBuf>,
}

/// The target's TLS settings.
#[derive(Debug, Clone, Default)]
pub struct TlsSettings {
    /// The client side (calls to the IUT).
    pub client: ClientTls,
    /// The lowest TLS version the IUT may negotiate, both ways.
    pub require: Option<TlsVersion>,
    /// Whether (and how) the mock peers serve HTTPS.
    pub mock: Option<MockTls>,
}

/// A path as the target file writes it, relative to the file's folder.
fn resolve(file: &str, path: &str) -> PathBuf {
    let p = Path::new(path);
    if p.is_absolute() {
        return p.to_path_buf();
    }
    Path::new(file)
        .parent()
        .map_or_else(|| p.to_path_buf(), |dir| dir.join(p))
}

/// Reads the chain and key two fields name, both or neither.
fn identity(
    file: &str,
    (cert_name, cert): (&str, Option<&Spanned<String>>),
    (key_name, key): (&str, Option<&Spanned<String>>),
) -> Result<Option<Arc<Identity>>, InputError> {
    match (cert, key) {
        (None, None) => Ok(None),
        (Some(c), Some(k)) => {
            let (cert_path, key_path) = (resolve(file, &c.value), resolve(file, &k.value));
            certificates(&cert_path).map_err(|e| {
                InputError::at(file, &c.referenced, format!("tls.{cert_name}: {e}"))
            })?;
            Identity::from_files(&cert_path, &key_path)
                .map(|i| Some(Arc::new(i)))
                .map_err(|e| InputError::at(file, &k.referenced, format!("tls.{key_name}: {e}")))
        }
        (Some(only), None) | (None, Some(only)) => Err(InputError::at(
            file,
            &only.referenced,
            format!("tls.{cert_name} and tls.{key_name}: give both or neither"),
        )),
    }
}

impl TlsFile {
    /// Checks the section and reads every file it names; `file` is the target file
    /// (relative paths are from its folder).
    pub fn into_settings(self, file: &str) -> Result<TlsSettings, InputError> {
        let mut client = ClientTls {
            platform_roots: self.platform_roots.unwrap_or(true),
            ..ClientTls::default()
        };
        if let Some(ca) = &self.ca_file {
            client.extra_roots = certificates(&resolve(file, &ca.value))
                .map_err(|e| InputError::at(file, &ca.referenced, format!("tls.ca_file: {e}")))?;
        }
        if !client.platform_roots && client.extra_roots.is_empty() {
            return Err(InputError::whole(
                file,
                "tls.platform_roots: false needs tls.ca_file (nothing would be trusted)",
            ));
        }
        client.identity = identity(
            file,
            ("client_cert", self.client_cert.as_ref()),
            ("client_key", self.client_key.as_ref()),
        )?;
        let require = match &self.require_version {
            None => None,
            Some(v) => Some(TlsVersion::parse(&v.value).ok_or_else(|| {
                InputError::at(
                    file,
                    &v.referenced,
                    format!("tls.require_version: `{}` is not 1.2 or 1.3", v.value),
                )
            })?),
        };
        let given = identity(
            file,
            ("mock_cert", self.mock_cert.as_ref()),
            ("mock_key", self.mock_key.as_ref()),
        )?;
        let https = self.mock_https.unwrap_or(false) || given.is_some();
        let mock = https.then(|| MockTls {
            identity: given,
            ca_out: self.mock_ca_out.as_deref().map(|p| resolve(file, p)),
        });
        Ok(TlsSettings {
            client,
            require,
            mock,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(yaml: &str) -> Result<TlsSettings, InputError> {
        let parsed: TlsFile = crate::yaml::parse(yaml, "targets/t.yaml")?;
        parsed.into_settings("targets/t.yaml")
    }

    #[test]
    fn a_missing_ca_file_is_located_and_named() {
        let err =
            settings("require_version: \"1.3\"\nca_file: nowhere/ca.pem\n").expect_err("missing");
        assert_eq!(err.line, 2, "{err}");
        assert!(
            err.message
                .starts_with("tls.ca_file: targets/nowhere/ca.pem: cannot read"),
            "{err}"
        );
    }

    #[test]
    fn versions_and_halves_of_a_pair_are_checked() {
        let err = settings("require_version: \"1.1\"\n").expect_err("1.1");
        assert!(err.message.contains("not 1.2 or 1.3"), "{err}");
        let err = settings("client_cert: c.pem\n").expect_err("half");
        assert!(err.message.contains("give both or neither"), "{err}");
        let ok = settings("require_version: \"1.3\"\nmock_https: true\n").expect("ok");
        assert_eq!(ok.require, Some(TlsVersion::Tls13));
        assert!(ok.mock.is_some_and(|m| m.identity.is_none()));
        assert!(ok.client.is_default());
    }
}
