//! The protocols crosscheck speaks: codecs, bindings, reference simulators, faults.
//! This module dispatches the protocol-specific pieces the engine needs.

pub mod cci;
pub mod onapi;
pub mod requirements;

use std::collections::BTreeSet;
use std::sync::Arc;

use serde::Serialize;
use serde_json::{Map, Value};

use crate::peers::ScriptedAnswer;
use crate::scenario::binding::{Binding, Credentials};
use crate::target::Target;

/// A protocol profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    /// Cross-cloud interconnect, establishing customer intent.
    Cci,
    /// ON-API 2.5 Activation Notice.
    Onapi,
}

impl Protocol {
    /// Every protocol the harness implements.
    pub const ALL: [Protocol; 2] = [Protocol::Cci, Protocol::Onapi];

    /// The protocol's name in files and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Protocol::Cci => "cci",
            Protocol::Onapi => "onapi",
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
            Protocol::Onapi => &["sp", "co"],
        }
    }

    /// The role the harness plays when the IUT plays `role`: the other one.
    pub fn counterpart_role(self, role: &str) -> &'static str {
        let roles = self.roles();
        if roles[0] == role {
            roles[1]
        } else {
            roles[0]
        }
    }

    /// Whether scenarios run once per key dialect.
    pub fn has_dialects(self) -> bool {
        matches!(self, Protocol::Cci)
    }

    /// The requirement id prefix of an IUT role.
    pub fn requirement_prefix(self, role: &str) -> &'static str {
        match (self, role) {
            (Protocol::Cci, "csp-a") => "CCI-A-",
            (Protocol::Cci, _) => "CCI-B-",
            (Protocol::Onapi, "sp") => "ON-SP-",
            (Protocol::Onapi, _) => "ON-CO-",
        }
    }

    /// Operation names a scenario of this protocol may call for a role.
    pub fn operations(self, role: &str) -> &'static [&'static str] {
        match self {
            Protocol::Cci => cci::binding::operations(role),
            Protocol::Onapi => onapi::binding::operations(role),
        }
    }

    /// Names of the mock peer's canned answers.
    pub fn presets(self) -> &'static [&'static str] {
        match self {
            Protocol::Cci => cci::binding::PRESETS,
            Protocol::Onapi => onapi::binding::PRESETS,
        }
    }

    /// The simulators' faults.
    pub fn faults(self) -> Vec<FaultInfo> {
        match self {
            Protocol::Cci => cci::faults::Fault::infos(self),
            Protocol::Onapi => onapi::fault::Fault::infos(self),
        }
    }
}

/// A protocol's table of simulator faults: each a realistic bug, tied to the
/// requirement it breaks.
pub trait FaultTable: Copy + 'static {
    /// Every fault, in listing order.
    const ALL: &'static [Self];

    /// Name, requirement and description.
    fn info(self) -> (&'static str, &'static str, &'static str);

    /// The role whose simulator has the fault.
    fn role(self) -> &'static str;

    /// The fault's name on the command line.
    fn name(self) -> &'static str {
        self.info().0
    }

    /// The requirement the fault breaks.
    fn requirement(self) -> &'static str {
        self.info().1
    }

    /// What the bug is.
    fn description(self) -> &'static str {
        self.info().2
    }

    /// Looks a fault up by name.
    fn from_name(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|f| f.name() == name)
    }

    /// The table as protocol-independent entries.
    fn infos(protocol: Protocol) -> Vec<FaultInfo> {
        Self::ALL
            .iter()
            .map(|f| FaultInfo {
                protocol,
                name: f.name(),
                role: f.role(),
                requirement: f.requirement(),
                description: f.description(),
            })
            .collect()
    }
}

/// A simulator fault, whatever its protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FaultInfo {
    /// Its protocol.
    pub protocol: Protocol,
    /// Command-line name.
    pub name: &'static str,
    /// The role whose simulator has it.
    pub role: &'static str,
    /// The requirement it breaks.
    pub requirement: &'static str,
    /// What the bug is.
    pub description: &'static str,
}

/// Finds a fault by name in any protocol.
pub fn find_fault(name: &str) -> Option<FaultInfo> {
    Protocol::ALL
        .into_iter()
        .flat_map(Protocol::faults)
        .find(|f| f.name == name)
}

/// What the harness knows of its own counterpart, for template functions.
#[derive(Debug, Clone, Default)]
pub enum Counterpart {
    /// Nothing beyond the recording mock peer.
    #[default]
    Recorder,
    /// The mock CSP A's books (CCI, IUT csp-b): issues keys B will be asked about.
    CciIssuer(Arc<cci::sim_a::CspA>),
}

/// The default binding of `operation` for the target's protocol and role (every role
/// has `advance_clock`), with the target's override applied.
pub fn binding(target: &Target, operation: &str) -> Option<Binding> {
    let base = match operation {
        "advance_clock" => Binding::new("POST", "test", "/clock/advance", Credentials::None)
            .body(serde_json::json!({ "seconds": "{{ arg.seconds }}" })),
        _ => match target.protocol {
            Protocol::Cci => cci::binding::binding(target, operation)?,
            Protocol::Onapi => onapi::binding::binding(target, operation)?,
        },
    };
    Some(match target.bindings.get(operation) {
        Some(o) => base.with_override(o),
        None => base,
    })
}

/// The variables every scenario on this target starts with.
pub fn base_vars(target: &Target) -> Map<String, Value> {
    let mut vars = match target.protocol {
        Protocol::Cci => cci::binding::base_vars(target),
        Protocol::Onapi => onapi::binding::base_vars(target),
    };
    vars.insert(
        "has_test_clock".into(),
        Value::Bool(target.test_base.is_some()),
    );
    vars.insert(
        "step_timeout".into(),
        target.step_timeout.as_secs_f64().into(),
    );
    vars.insert("silence".into(), target.silence.as_secs_f64().into());
    vars
}

/// Registers the protocol's template functions.
pub fn register_functions(
    env: &mut minijinja::Environment<'static>,
    target: &Target,
    counterpart: &Counterpart,
) {
    match target.protocol {
        Protocol::Cci => {
            let issuer = match counterpart {
                Counterpart::CciIssuer(a) => Some(a.clone()),
                Counterpart::Recorder => None,
            };
            cci::binding::register_functions(env, target, issuer);
        }
        Protocol::Onapi => onapi::binding::register_functions(env),
    }
}

/// A canned answer of the mock peer.
pub fn preset(target: &Target, name: &str) -> Option<ScriptedAnswer> {
    match target.protocol {
        Protocol::Cci => cci::binding::preset(name, target),
        Protocol::Onapi => onapi::binding::preset(name, target),
    }
}

/// Fault names valid for `protocol` and `role`.
pub fn faults_for(
    protocol: Protocol,
    role: &str,
    names: &BTreeSet<String>,
) -> Result<Vec<&'static str>, String> {
    let known = protocol.faults();
    names
        .iter()
        .map(|n| match known.iter().find(|f| f.name == n) {
            Some(f) if f.role == role => Ok(f.name),
            Some(f) => Err(format!("`{n}` is a fault of {}, not {role}", f.role)),
            None => Err(format!(
                "unknown fault `{n}` (see `crosscheck faults {}`)",
                protocol.name()
            )),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::target::BindingOverride;

    #[test]
    fn a_target_override_replaces_only_what_it_names() {
        let mut target = cci::sim::builtin_target("csp-a", cci::key::Dialect::V1);
        target.bindings.insert(
            "create_connection".into(),
            BindingOverride {
                method: Some("put".into()),
                path: Some("/v2/interconnects".into()),
                outputs: Some([("activationKey".to_string(), "$.key".to_string())].into()),
                ..BindingOverride::default()
            },
        );
        let b = binding(&target, "create_connection").expect("bound");
        assert_eq!(
            (b.method.as_str(), b.base.as_str(), b.path.as_str()),
            ("PUT", "customer", "/v2/interconnects")
        );
        assert_eq!(b.outputs["activationKey"], "$.key");
        assert_eq!(
            b.outputs["connectionId"], "$.connectionId",
            "other outputs stay"
        );
        assert!(b.body.is_some(), "the default body stays");
        assert!(binding(&target, "advance_clock").is_some());
        assert!(
            binding(&target, "accept_key").is_none(),
            "csp-b's operation is not csp-a's"
        );
    }

    #[test]
    fn counterparts_and_faults() {
        assert_eq!(Protocol::Cci.counterpart_role("csp-a"), "csp-b");
        assert_eq!(Protocol::Onapi.counterpart_role("co"), "sp");
        let all: Vec<FaultInfo> = Protocol::ALL
            .into_iter()
            .flat_map(Protocol::faults)
            .collect();
        let mut names: Vec<&str> = all.iter().map(|f| f.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(
            names.len(),
            all.len(),
            "fault names are unique across protocols"
        );
        assert!(all
            .iter()
            .all(|f| requirements::find(f.requirement).is_some()));
        assert!(all.iter().all(|f| f.protocol.roles().contains(&f.role)));
    }
}
