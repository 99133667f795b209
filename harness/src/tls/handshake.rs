//! What a TLS handshake settled: the protocol version and the cipher suite.

use serde::{Deserialize, Serialize};

/// A TLS protocol version the harness can require or report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum TlsVersion {
    /// TLS 1.2.
    Tls12,
    /// TLS 1.3.
    Tls13,
}

impl TlsVersion {
    /// `"1.2"` or `"1.3"`, as target files write it.
    pub fn number(self) -> &'static str {
        match self {
            TlsVersion::Tls12 => "1.2",
            TlsVersion::Tls13 => "1.3",
        }
    }

    /// The version a target file names (`"1.2"`, `"1.3"`).
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim() {
            "1.2" => Some(TlsVersion::Tls12),
            "1.3" => Some(TlsVersion::Tls13),
            _ => None,
        }
    }

    /// The version rustls negotiated, if it is one the harness knows.
    pub fn from_rustls(version: rustls::ProtocolVersion) -> Option<Self> {
        match version {
            rustls::ProtocolVersion::TLSv1_2 => Some(TlsVersion::Tls12),
            rustls::ProtocolVersion::TLSv1_3 => Some(TlsVersion::Tls13),
            _ => None,
        }
    }
}

impl std::str::FromStr for TlsVersion {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::parse(text).ok_or_else(|| format!("`{text}` is not 1.2 or 1.3"))
    }
}

/// The negotiated parameters of one TLS connection, as exchanges record them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Handshake {
    /// `TLSv1_3`, `TLSv1_2`, ... as rustls names it.
    pub version: String,
    /// The cipher suite, e.g. `TLS13_AES_256_GCM_SHA384`.
    pub cipher: String,
}

impl Handshake {
    /// What a finished handshake on `connection` settled; `None` before it finished.
    pub fn of(connection: &rustls::CommonState) -> Option<Self> {
        let version = connection.protocol_version()?;
        let cipher = connection.negotiated_cipher_suite()?;
        Some(Self {
            version: format!("{version:?}"),
            cipher: format!("{:?}", cipher.suite()),
        })
    }

    /// The version as the harness compares it (`None`: one older than TLS 1.2).
    pub fn tls_version(&self) -> Option<TlsVersion> {
        match self.version.as_str() {
            "TLSv1_2" => Some(TlsVersion::Tls12),
            "TLSv1_3" => Some(TlsVersion::Tls13),
            _ => None,
        }
    }

    /// Whether this handshake meets `required` (an unknown or older version does not).
    pub fn meets(&self, required: TlsVersion) -> bool {
        self.tls_version().is_some_and(|v| v >= required)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_parse_and_compare() {
        assert_eq!(TlsVersion::parse("1.3"), Some(TlsVersion::Tls13));
        assert_eq!(TlsVersion::parse("1.1"), None);
        let old = Handshake {
            version: "TLSv1_2".into(),
            cipher: "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256".into(),
        };
        assert!(!old.meets(TlsVersion::Tls13));
        assert!(old.meets(TlsVersion::Tls12));
        let unknown = Handshake {
            version: "TLSv1_0".into(),
            cipher: "x".into(),
        };
        assert!(!unknown.meets(TlsVersion::Tls12));
    }
}
