//! What the report keeps of each HTTP exchange, with secrets removed.

use serde::Serialize;

use super::printable::{printable, text_of};

/// How much of a body an exchange record keeps.
const KEPT_BODY_CHARS: usize = 2048;

/// One request and its answer (or transport error), as the report shows it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Exchange {
    /// The step that made or observed the exchange.
    pub step: String,
    /// `harness->iut` for calls the harness made, `iut->NAME` for requests a mock peer received.
    pub direction: String,
    /// HTTP method.
    pub method: String,
    /// Full URL or path.
    pub url: String,
    /// Request body, truncated and redacted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_body: Option<String>,
    /// Response status, if an answer came.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// Response body, truncated and redacted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_body: Option<String>,
    /// Transport error, if no answer came.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// How long it took.
    pub duration_ms: u64,
}

/// Replaces secret values with `***` wherever they appear.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    secrets: Vec<String>,
}

impl Redactor {
    /// A redactor for these secrets; empty strings are ignored.
    pub fn new(secrets: impl IntoIterator<Item = String>) -> Self {
        let mut secrets: Vec<String> = secrets.into_iter().filter(|s| !s.is_empty()).collect();
        // Longest first, so a secret that contains another is removed whole.
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        secrets.dedup();
        Self { secrets }
    }

    /// The text with every secret replaced.
    pub fn redact(&self, text: &str) -> String {
        let mut out = text.to_string();
        for secret in &self.secrets {
            if out.contains(secret.as_str()) {
                out = out.replace(secret.as_str(), "***");
            }
        }
        out
    }

    /// The text with every secret replaced and every control character escaped
    /// ([`printable`]): how any text from an IUT is shown.
    pub fn show(&self, text: &str) -> String {
        printable(&self.redact(text)).into_owned()
    }

    /// Redacts and truncates a body for the report: control characters escaped, and
    /// bytes that are not UTF-8 decoded lossily and marked ([`text_of`]).
    pub fn body(&self, bytes: &[u8]) -> String {
        let redacted = self.redact(&text_of(bytes));
        if redacted.chars().count() > KEPT_BODY_CHARS {
            let kept: String = redacted.chars().take(KEPT_BODY_CHARS).collect();
            format!("{kept}… ({} bytes in all)", bytes.len())
        } else {
            redacted
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_every_secret_and_truncates() {
        let r = Redactor::new([
            "token-b".to_string(),
            "token-b-long".to_string(),
            String::new(),
        ]);
        assert_eq!(
            r.redact("Bearer token-b-long and token-b"),
            "Bearer *** and ***"
        );
        let long = "x".repeat(5000);
        let kept = r.body(long.as_bytes());
        assert!(kept.ends_with("(5000 bytes in all)"));
        assert!(kept.len() < 2200);
    }
}
