//! CCI: cross-cloud interconnect, establishing customer intent (PROTOCOLS.md §1).

pub mod answers;
pub mod binding;
pub mod faults;
pub mod fuzz;
pub mod fuzz_campaign;
pub mod fuzz_regress;
pub mod key;
pub mod keycheck;
pub mod mutate;
pub mod profile;
pub mod shape;
pub mod sim;
pub mod sim_a;
pub mod sim_b;
pub mod target;
pub mod variation;
pub mod world;
