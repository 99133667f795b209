//! The required TLS version (`tls.require_version`): every connection with the IUT,
//! both ways, must have negotiated at least it. No requirement of the protocols'
//! catalogue says this (it is a transport policy between the parties), so a shortfall is
//! charged to the engine's own check, [`TLS_CHECK`].

use super::handshake::{Handshake, TlsVersion};

/// The check a TLS version shortfall is charged to.
pub const TLS_CHECK: &str = "X-TLS";

/// One connection with the IUT: who spoke to whom, and what its handshake settled
/// (`None`: plain HTTP).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connection<'a> {
    /// `harness->iut` or `iut->PEER`.
    pub direction: &'a str,
    /// The URL or path of the request it carried.
    pub url: &'a str,
    /// The handshake's outcome.
    pub handshake: Option<&'a Handshake>,
}

/// The first connection of `connections` below `required`, as (expected, actual).
pub fn check_handshakes<'a>(
    required: TlsVersion,
    connections: impl IntoIterator<Item = Connection<'a>>,
) -> Option<(String, String)> {
    let short = connections
        .into_iter()
        .find(|c| !c.handshake.is_some_and(|s| s.meets(required)))?;
    let expected = format!(
        "TLS {} or later on every connection with the IUT (tls.require_version: \"{}\")",
        required.number(),
        required.number()
    );
    let actual = match short.handshake {
        Some(s) => format!(
            "{} {} negotiated {} ({})",
            short.direction, short.url, s.version, s.cipher
        ),
        None => format!(
            "{} {} over plain HTTP, without TLS",
            short.direction, short.url
        ),
    };
    Some((expected, actual))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_connection_below_the_requirement_is_named() {
        let new = Handshake {
            version: "TLSv1_3".into(),
            cipher: "TLS13_AES_128_GCM_SHA256".into(),
        };
        let old = Handshake {
            version: "TLSv1_2".into(),
            cipher: "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256".into(),
        };
        let ok = Connection {
            direction: "harness->iut",
            url: "https://a/x",
            handshake: Some(&new),
        };
        assert_eq!(check_handshakes(TlsVersion::Tls13, [ok.clone()]), None);
        let bad = Connection {
            direction: "iut->peer",
            url: "/api/confirm",
            handshake: Some(&old),
        };
        let (expected, actual) =
            check_handshakes(TlsVersion::Tls13, [ok, bad]).expect("a shortfall");
        assert!(expected.starts_with("TLS 1.3 or later"), "{expected}");
        assert_eq!(
            actual,
            "iut->peer /api/confirm negotiated TLSv1_2 (TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256)"
        );
        let plain = Connection {
            direction: "harness->iut",
            url: "http://a/x",
            handshake: None,
        };
        let (_, actual) = check_handshakes(TlsVersion::Tls12, [plain]).expect("plain");
        assert!(actual.ends_with("without TLS"), "{actual}");
    }
}
