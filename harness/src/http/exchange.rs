//! What the report keeps of each HTTP exchange, with secrets removed.

use serde::{Deserialize, Serialize};

use crate::tls::Handshake;

use super::printable::printable;
use super::redact::Redactor;

/// One request and its answer (or transport error), as the report shows it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Exchange {
    /// The step that made or observed the exchange.
    pub step: String,
    /// `harness->iut` for calls the harness made, `iut->NAME` for requests a mock peer received.
    pub direction: String,
    /// HTTP method.
    pub method: String,
    /// Full URL or path.
    pub url: String,
    /// Request headers, credentials shown as fingerprints.
    pub request_headers: Vec<Header>,
    /// Request body, truncated and redacted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_body: Option<String>,
    /// Response status, if an answer came.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// Response headers, credentials shown as fingerprints (empty without an answer).
    pub response_headers: Vec<Header>,
    /// Response body, truncated and redacted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_body: Option<String>,
    /// Transport error, if no answer came.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// How long it took.
    pub duration_ms: u64,
    /// When it began (the call went out, the request arrived), in ms since its run
    /// started; absent where no run's clock applies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_ms: Option<u64>,
    /// What the TLS handshake settled (absent: plain HTTP, or no connection).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls: Option<Handshake>,
    /// A shell command that sends the request again (calls the harness made), secrets
    /// read from environment variables.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub curl: Option<String>,
}

/// One header as the report shows it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Header {
    /// Name, lower case.
    pub name: String,
    /// Value; a fingerprint for credentials.
    pub value: String,
}

impl Header {
    /// Every header of `headers` as the report shows it.
    pub fn shown(headers: &[(String, String)], redactor: &Redactor) -> Vec<Header> {
        headers
            .iter()
            .map(|(name, value)| Header {
                name: printable(&name.to_ascii_lowercase()).into_owned(),
                value: redactor.header(name, value),
            })
            .collect()
    }
}
