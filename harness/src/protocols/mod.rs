//! The protocols crosscheck speaks: codecs, bindings, reference simulators, faults.

pub mod cci;
pub mod onapi;
pub mod requirements;

use serde::Serialize;

/// A protocol profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    /// Cross-cloud interconnect, establishing customer intent.
    Cci,
}

impl Protocol {
    /// Every protocol the harness implements.
    pub const ALL: [Protocol; 1] = [Protocol::Cci];

    /// The protocol's name in files and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Protocol::Cci => "cci",
        }
    }

    /// Parses a protocol name.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.name() == name)
    }

    /// Known protocol names, for error messages.
    pub fn names() -> String {
        Self::ALL.map(|p| p.name()).join(", ")
    }

    /// The roles an IUT may play.
    pub fn roles(self) -> &'static [&'static str] {
        match self {
            Protocol::Cci => &["csp-a", "csp-b"],
        }
    }
}
