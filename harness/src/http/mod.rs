//! The harness's HTTP side: a client with timeouts and size caps, and the record of
//! every exchange with secrets redacted.

mod client;
pub mod curl;
mod exchange;
pub mod fingerprint;
mod lean;
pub mod printable;
mod redact;
mod trust;

pub use client::{HttpClient, HttpRequest, HttpResponse, TransportError, BODY_CAP};
pub use exchange::{Exchange, Header};
pub use redact::{Piece, Redactor};
pub use trust::{late_ca, trust_late_ca, LateCaFile};

/// The first value of the header `name` (case-insensitive) among `headers`.
pub fn first_header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}
