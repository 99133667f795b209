//! An HTTP client that never waits forever and never reads an unbounded body.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use tokio::time::Instant;

use serde_json::Value;

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
}

impl HttpResponse {
    /// The first value of a header, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
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
}

/// Installs the process-wide TLS provider once; later calls do nothing.
fn ensure_crypto_provider() {
    // `install_default` fails only if a provider is already installed, which is fine.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// The TLS settings every client shares: the platform's roots (read from disk once per
/// process, not once per client: a run makes a client per simulator) and HTTP/1.1.
fn tls_config() -> Result<rustls::ClientConfig, TransportError> {
    static CONFIG: OnceLock<Result<rustls::ClientConfig, String>> = OnceLock::new();
    let made = CONFIG.get_or_init(|| {
        ensure_crypto_provider();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let verifier = rustls_platform_verifier::Verifier::new(Arc::clone(&provider))
            .map_err(|e| format!("cannot load the platform's TLS roots: {e}"))?;
        let mut config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| e.to_string())?
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(verifier))
            .with_no_client_auth();
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(config)
    });
    made.clone().map_err(|reason| TransportError::Invalid {
        url: String::new(),
        reason,
    })
}

impl HttpClient {
    /// A new client, which keeps connections alive between requests.
    pub fn new() -> Result<Self, TransportError> {
        Self::build(true)
    }

    /// A new client that opens a fresh connection for every request (none is kept
    /// idle for reuse).
    pub fn fresh_connections() -> Result<Self, TransportError> {
        Self::build(false)
    }

    /// A client that sends `http://` requests over its own lean HTTP/1.1 connections
    /// (kept alive, or fresh for every request), for many small requests at once;
    /// `https://` goes through reqwest as usual.
    pub fn lean(keep_alive: bool) -> Result<Self, TransportError> {
        let mut client = Self::build(keep_alive)?;
        client.lean = Some(std::sync::Arc::new(super::lean::Lean::new(keep_alive)));
        Ok(client)
    }

    fn build(keep_alive: bool) -> Result<Self, TransportError> {
        let mut builder = reqwest::Client::builder().tls_backend_preconfigured(tls_config()?);
        if !keep_alive {
            builder = builder.pool_max_idle_per_host(0);
        }
        let inner = builder
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .connect_timeout(Duration::from_secs(5))
            .pool_idle_timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| TransportError::Invalid {
                url: String::new(),
                reason: e.to_string(),
            })?;
        Ok(Self { inner, lean: None })
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
