//! An HTTP client that never waits forever and never reads an unbounded body.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use tokio::time::Instant;

use serde_json::Value;

use crate::tls::{ClientTls, Handshake};

/// The most of a response body the harness reads (1 MiB).
pub const BODY_CAP: usize = 1 << 20;

/// A request the harness sends.
#[derive(Debug, Clone)]
pub struct HttpRequest {
    /// HTTP method, upper case.
    pub method: String,
    /// Absolute URL.
    pub url: String,
    /// Headers to send.
    pub headers: Vec<(String, String)>,
    /// Body bytes, if any.
    pub body: Option<Vec<u8>>,
}

/// An answer, read up to [`BODY_CAP`].
#[derive(Debug, Clone)]
pub struct HttpResponse {
    /// Status code.
    pub status: u16,
    /// Headers, names lower case.
    pub headers: Vec<(String, String)>,
    /// Body bytes (at most [`BODY_CAP`]).
    pub body: Vec<u8>,
    /// The body parsed as JSON, when it is JSON.
    pub json: Option<Value>,
    /// Time to the full answer.
    pub elapsed: Duration,
    /// What the TLS handshake settled (`None`: plain HTTP).
    pub tls: Option<Handshake>,
}

impl HttpResponse {
    /// The first value of a header, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        super::first_header(&self.headers, name)
    }
}

/// Why no answer came.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransportError {
    /// The URL could not be used.
    #[error("invalid request to {url}: {reason}")]
    Invalid {
        /// The URL.
        url: String,
        /// Why.
        reason: String,
    },
    /// Nothing listened, or the connection broke.
    #[error("could not reach {url}: {reason}")]
    Unreachable {
        /// The URL.
        url: String,
        /// Why.
        reason: String,
    },
    /// No full answer within the timeout.
    #[error("no answer from {url} within {timeout:?}")]
    Timeout {
        /// The URL.
        url: String,
        /// The limit.
        timeout: Duration,
    },
    /// The answer's body exceeded [`BODY_CAP`].
    #[error("answer from {url} is larger than {cap} bytes")]
    BodyTooLarge {
        /// The URL.
        url: String,
        /// The cap.
        cap: usize,
    },
}

/// The harness's client: no redirects, no proxies, a timeout on every call.
#[derive(Debug, Clone)]
pub struct HttpClient {
    inner: reqwest::Client,
    /// For `http://` URLs, when set: the lean client (the fuzz engine's).
    lean: Option<std::sync::Arc<super::lean::Lean>>,
    tls: Arc<rustls::ClientConfig>,
    /// The cipher suite each HTTPS authority settled on, learnt once per client.
    ciphers: Arc<Mutex<BTreeMap<String, Option<Handshake>>>>,
}

/// Installs the process-wide TLS provider once; later calls do nothing.
fn ensure_crypto_provider() {
    // `install_default` fails only if a provider is already installed, which is fine.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

fn config_error(reason: impl std::fmt::Display) -> TransportError {
    TransportError::Invalid {
        url: String::new(),
        reason: reason.to_string(),
    }
}

/// The TLS settings every default client shares: the platform's roots (read from disk
/// once per process, not once per client: a run makes a client per simulator).
fn default_tls_config() -> Result<rustls::ClientConfig, TransportError> {
    static CONFIG: OnceLock<Result<rustls::ClientConfig, TransportError>> = OnceLock::new();
    CONFIG
        .get_or_init(|| tls_config(&ClientTls::default()))
        .clone()
}

/// A TLS configuration trusting and presenting what `tls` says (and the process's late
/// CA file, if set: [`super::trust_late_ca`]), speaking TLS 1.2 and 1.3 (so that an
/// IUT that negotiates 1.2 is reached and judged) and HTTP/1.1.
fn tls_config(tls: &ClientTls) -> Result<rustls::ClientConfig, TransportError> {
    ensure_crypto_provider();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier: Arc<dyn rustls::client::danger::ServerCertVerifier> = if tls.platform_roots {
        Arc::new(
            rustls_platform_verifier::Verifier::new_with_extra_roots(
                tls.extra_roots.clone(),
                Arc::clone(&provider),
            )
            .map_err(|e| config_error(format!("cannot load the platform's TLS roots: {e}")))?,
        )
    } else {
        let mut roots = rustls::RootCertStore::empty();
        for root in &tls.extra_roots {
            roots.add(root.clone()).map_err(config_error)?;
        }
        rustls::client::WebPkiServerVerifier::builder_with_provider(
            Arc::new(roots),
            Arc::clone(&provider),
        )
        .build()
        .map_err(config_error)?
    };
    let verifier: Arc<dyn rustls::client::danger::ServerCertVerifier> = match super::late_ca() {
        Some(path) => Arc::new(super::LateCaFile {
            path,
            first: verifier,
            provider: Arc::clone(&provider),
        }),
        None => verifier,
    };
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(config_error)?
        .dangerous()
        .with_custom_certificate_verifier(verifier);
    let mut config = match &tls.identity {
        Some(identity) => builder
            .with_client_auth_cert(identity.chain.clone(), identity.key())
            .map_err(|e| config_error(format!("client certificate: {e}")))?,
        None => builder.with_no_client_auth(),
    };
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

impl HttpClient {
    /// A new client trusting the platform's roots, which keeps connections alive
    /// between requests.
    pub fn new() -> Result<Self, TransportError> {
        Self::with_config(default_tls_config()?, true)
    }

    /// A new client that opens a fresh connection for every request (none is kept
    /// idle for reuse).
    pub fn fresh_connections() -> Result<Self, TransportError> {
        Self::with_config(default_tls_config()?, false)
    }

    /// A client that sends `http://` requests over its own lean HTTP/1.1 connections
    /// (kept alive, or fresh for every request), for many small requests at once;
    /// `https://` goes through reqwest as usual.
    pub fn lean(keep_alive: bool) -> Result<Self, TransportError> {
        let mut client = Self::with_config(default_tls_config()?, keep_alive)?;
        client.lean = Some(std::sync::Arc::new(super::lean::Lean::new(keep_alive)));
        Ok(client)
    }

    /// A client for a target's TLS settings (its CA, its client certificate).
    pub fn with_tls(tls: &ClientTls) -> Result<Self, TransportError> {
        if tls.is_default() {
            return Self::new();
        }
        Self::with_config(tls_config(tls)?, true)
    }

    fn with_config(config: rustls::ClientConfig, keep_alive: bool) -> Result<Self, TransportError> {
        let tls = Arc::new(config.clone());
        let mut builder = reqwest::Client::builder()
            .tls_backend_preconfigured(config)
            .tls_info(true);
        if !keep_alive {
            builder = builder.pool_max_idle_per_host(0);
        }
        let inner = builder
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .connect_timeout(Duration::from_secs(5))
            .pool_idle_timeout(Duration::from_secs(10))
            .build()
            .map_err(config_error)?;
        Ok(Self {
            inner,
            lean: None,
            tls,
            ciphers: Arc::default(),
        })
    }

    /// What the handshake with `url`'s server settled: the version of the connection
    /// the answer came on, and the cipher suite the server picks for this client
    /// (reqwest does not expose it, so one handshake of our own per authority learns
    /// it; a server picks the same suite for the same offer).
    async fn handshake(
        &self,
        url: &reqwest::Url,
        version: Option<reqwest::tls::Version>,
    ) -> Option<Handshake> {
        let host = url
            .host_str()?
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string();
        let port = url.port_or_known_default()?;
        let authority = format!("{host}:{port}");
        let known = self
            .ciphers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&authority)
            .cloned();
        let learnt = match known {
            Some(learnt) => learnt,
            None => {
                let learnt = probe(Arc::clone(&self.tls), &host, port).await;
                self.ciphers
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .insert(authority, learnt.clone());
                learnt
            }
        };
        let version = version.and_then(|v| {
            [
                (reqwest::tls::Version::TLS_1_2, "TLSv1_2"),
                (reqwest::tls::Version::TLS_1_3, "TLSv1_3"),
            ]
            .into_iter()
            .find(|(known, _)| *known == v)
            .map(|(_, name)| name.to_string())
        });
        match (learnt, version) {
            (Some(mut handshake), Some(version)) => {
                handshake.version = version;
                Some(handshake)
            }
            (Some(handshake), None) => Some(handshake),
            (None, Some(version)) => Some(Handshake {
                version,
                cipher: "unknown".into(),
            }),
            (None, None) => None,
        }
    }

    /// Sends a request and reads the whole answer, all within `timeout`.
    pub async fn send(
        &self,
        request: &HttpRequest,
        timeout: Duration,
    ) -> Result<HttpResponse, TransportError> {
        if let Some(lean) = self
            .lean
            .as_ref()
            .filter(|_| super::lean::handles(&request.url))
        {
            return lean.send(request, timeout).await;
        }
        let started = Instant::now();
        let url = request.url.clone();
        let method = reqwest::Method::from_bytes(request.method.as_bytes()).map_err(|e| {
            TransportError::Invalid {
                url: url.clone(),
                reason: e.to_string(),
            }
        })?;
        let mut builder = self.inner.request(method, &url);
        for (name, value) in &request.headers {
            builder = builder.header(name, value);
        }
        if let Some(body) = &request.body {
            builder = builder.body(body.clone());
        }
        let work = async {
            let mut response = builder
                .send()
                .await
                .map_err(|e| classify(&url, timeout, &e))?;
            let version = response
                .extensions()
                .get::<reqwest::tls::TlsInfo>()
                .map(reqwest::tls::TlsInfo::version);
            let tls = match version {
                Some(version) => self.handshake(response.url(), version).await,
                None => None,
            };
            let status = response.status().as_u16();
            let headers = response
                .headers()
                .iter()
                .map(|(k, v)| {
                    (
                        k.as_str().to_ascii_lowercase(),
                        String::from_utf8_lossy(v.as_bytes()).into_owned(),
                    )
                })
                .collect();
            let mut body = Vec::new();
            while let Some(chunk) = response
                .chunk()
                .await
                .map_err(|e| classify(&url, timeout, &e))?
            {
                if body.len() + chunk.len() > BODY_CAP {
                    return Err(TransportError::BodyTooLarge {
                        url: url.clone(),
                        cap: BODY_CAP,
                    });
                }
                body.extend_from_slice(&chunk);
            }
            let json = serde_json::from_slice(&body).ok();
            Ok(HttpResponse {
                status,
                headers,
                body,
                json,
                elapsed: started.elapsed(),
                tls,
            })
        };
        match tokio::time::timeout(timeout, work).await {
            Ok(result) => result,
            Err(_) => Err(TransportError::Timeout {
                url: url.clone(),
                timeout,
            }),
        }
    }
}

/// One handshake with `host:port` (bounded in time), for what it settles.
async fn probe(config: Arc<rustls::ClientConfig>, host: &str, port: u16) -> Option<Handshake> {
    let name = rustls::pki_types::ServerName::try_from(host.to_string()).ok()?;
    let handshake = async {
        let tcp = tokio::net::TcpStream::connect((host, port)).await.ok()?;
        let stream = tokio_rustls::TlsConnector::from(config)
            .connect(name, tcp)
            .await
            .ok()?;
        Handshake::of(stream.get_ref().1)
    };
    tokio::time::timeout(Duration::from_secs(5), handshake)
        .await
        .ok()
        .flatten()
}

fn classify(url: &str, timeout: Duration, e: &reqwest::Error) -> TransportError {
    if e.is_timeout() {
        TransportError::Timeout {
            url: url.to_string(),
            timeout,
        }
    } else if e.is_builder() {
        TransportError::Invalid {
            url: url.to_string(),
            reason: e.to_string(),
        }
    } else {
        let mut reason = e.to_string();
        let mut source = std::error::Error::source(e);
        while let Some(s) = source {
            reason = format!("{reason}: {s}");
            source = s.source();
        }
        TransportError::Unreachable {
            url: url.to_string(),
            reason,
        }
    }
}
