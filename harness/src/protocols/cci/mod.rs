//! CCI: cross-cloud interconnect (PROTOCOLS.md §1 and §1b): customer intent by
//! activation key and ConfirmActivationKey, then the Connection Coordinator lifecycle.
//!
//! - [`intent`]: the key codec, its mutators and the uniqueness check;
//! - [`lifecycle`]: what follows intent (§1b): routes, static resources, placement;
//! - [`sim`]: the reference simulators (CSP A, CSP B), their faults and variations;
//! - [`fuzz`]: the key fuzzer, its campaign, regressions and the answer oracle;
//! - [`profile`], [`binding`], [`target`], [`shape`]: CCI as a profile of the engine.

pub mod binding;
pub mod fuzz;
pub mod intent;
pub mod lifecycle;
pub mod profile;
pub mod shape;
pub mod sim;
pub mod target;
