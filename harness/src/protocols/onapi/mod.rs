//! ONAPI: the ON-API 2.5 Activation Notice (PROTOCOLS.md §3), sent by a network
//! operator (CO) to a service provider (SP).

pub mod answers;
pub mod binding;
pub mod co;
pub mod config;
pub mod fault;
pub mod format;
pub mod fuzz;
pub mod fuzz_campaign;
pub mod profile;
pub mod sp;
pub mod stage;
pub mod variation;
