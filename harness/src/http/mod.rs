//! The harness's HTTP side: a client with timeouts and size caps, and the record of
//! every exchange with secrets redacted.

mod client;
pub mod curl;
mod exchange;
pub mod fingerprint;
pub mod printable;
mod redact;

pub use client::{HttpClient, HttpRequest, HttpResponse, TransportError, BODY_CAP};
pub use exchange::{Exchange, Header};
pub use redact::{Piece, Redactor};
