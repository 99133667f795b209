//! S2C: the CAMARA-style Site-to-Cloud VPN session API (PROTOCOLS.md §2). The IUT is
//! the provider; the harness plays the consumers and the notification sink.

pub mod api;
pub mod binding;
pub mod body;
pub mod config;
pub mod draft;
pub mod fault;
pub mod fuzz;
pub mod fuzz_campaign;
pub mod profile;
pub mod sim;
pub mod stage;
pub mod variation;
