//! Scenarios: the model, loading with precise errors, templating, expectations, and
//! the runner that plays them against a target.

pub mod checks;
pub mod expect;
pub mod loader;
pub mod model;
pub mod run;
pub mod template;

pub use crate::profile::Stage;
pub use loader::{load_paths, LoadError};
pub use model::{Action, Scenario, Step};
pub use run::run_scenario;
