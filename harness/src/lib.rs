//! crosscheck: a conformance harness for two-party provisioning protocols.
//!
//! It plays every party but the implementation under test, replays YAML scenarios
//! against it, and reports pass/fail per scenario and per requirement.

pub mod answer_fuzz;
pub mod cli;
pub mod clock;
pub mod fuzz;
pub mod http;
pub mod listing;
pub mod nulls;
pub mod peers;
pub mod profile;
pub mod protocols;
pub mod report;
pub mod scenario;
pub mod selftest;
pub mod server;
pub mod suite;
pub mod tls;
pub mod transport;
pub mod yaml;
