//! TLS, both ways: the target's TLS settings, certificates read or generated, the
//! listener that serves HTTPS, what each handshake settled, and the required version.

mod handshake;
mod identity;
mod listener;
mod policy;
mod settings;

pub use handshake::{Handshake, TlsVersion};
pub use identity::{certificates, pem, GeneratedCa, Identity, TlsError};
pub use listener::{
    current, negotiated, scoped, server_config, Negotiated, ServeTls, TlsListener, TlsScope,
};
pub use policy::{check_handshakes, Connection, TLS_CHECK};
pub use settings::{ClientTls, MockTls, TlsFile, TlsSettings};
