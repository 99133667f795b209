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
