//! Customer intent (PROTOCOLS.md §1): what an activation key is, how it is mutated, and
//! how issued keys are judged unique.

pub mod key;
pub mod keycheck;
pub mod mutate;
