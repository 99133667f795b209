//! The harness's HTTP side: a client with timeouts and size caps, and the record of
//! every exchange with secrets redacted.

mod client;
mod exchange;
mod lean;
mod trust;

pub use client::{HttpClient, HttpRequest, HttpResponse, TransportError, BODY_CAP};
pub use exchange::{Exchange, Redactor};
pub use trust::{late_ca, trust_late_ca, LateCaFile};
