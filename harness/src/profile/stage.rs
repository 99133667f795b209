//! What a scenario runs against: the target, the mock peers, and the protocol's part
//! (variables, template functions, bindings, canned answers). The runner reaches the
//! protocol only through the methods here.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Map, Value};

use super::binding::{Binding, Credentials};
use super::{Counterpart, StageProtocol};
use crate::http::{HttpClient, Redactor};
use crate::peers::{MockPeer, ScriptedAnswer};
use crate::profile::target::{Credential, Target, TEST_BASE};

/// Variables the engine gives every scenario, whatever the protocol.
pub const ENGINE_VARIABLES: &[&str] = &[
    "has_test_clock",
    "step_timeout",
    "silence",
    "iut_peer_timeout",
    "iut_credential_header",
    "iut_credential",
    "suite_dir",
];

/// The engine's own operation: move the IUT's test clock forward.
pub const ADVANCE_CLOCK: &str = "advance_clock";

/// A step asked the stage for something it does not have.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StageError {
    /// The role has no such binding operation.
    #[error("role {role} has no operation `{operation}`")]
    NoOperation {
        /// The IUT's role.
        role: String,
        /// The operation asked for.
        operation: String,
    },
    /// The mock peer has no canned answer of that name.
    #[error("no preset `{name}` ({known})")]
    NoPreset {
        /// The name asked for.
        name: String,
        /// The names there are.
        known: String,
    },
    /// The base is not one the role has.
    #[error("unknown base `{name}` ({known})")]
    UnknownBase {
        /// The name asked for.
        name: String,
        /// The names there are.
        known: String,
    },
    /// The target gives no URL for the base.
    #[error("the target has no {0}_base")]
    NoBase(String),
    /// `auth` names no credential the protocol knows.
    #[error("auth: `{name}` (none, harness, {known}or {{header, value}})")]
    UnknownCredential {
        /// The name asked for.
        name: String,
        /// The protocol's names, each followed by ", ".
        known: String,
    },
    /// No mock peer of that name (or several, and no name given).
    #[error("no mock peer {name} (peers here: {known})")]
    NoPeer {
        /// The name asked for.
        name: String,
        /// The peers there are.
        known: String,
    },
}

/// What a scenario runs against.
#[derive(Debug)]
pub struct Stage {
    /// The target.
    pub target: Arc<Target>,
    /// Mock peers by role name.
    pub peers: BTreeMap<String, Arc<MockPeer>>,
    /// The protocol's part of the stage.
    pub protocol: Arc<dyn StageProtocol>,
    /// The HTTP client.
    pub http: HttpClient,
    /// Removes secrets from exchanges.
    pub redactor: Redactor,
}

/// The target's redactor: its secrets, each credential named (for reproducing
/// commands) and its header shown as a fingerprint.
fn redactor(target: &Target) -> Redactor {
    let named = [
        ("harness", &target.harness_credential),
        ("iut", &target.iut_credential),
    ]
    .into_iter()
    .chain(target.credentials.iter().map(|(n, c)| (n.as_str(), c)));
    named.fold(Redactor::new(target.secrets.clone()), |r, (name, c)| {
        r.with_credential(name, &c.header, &c.value)
    })
}

impl Stage {
    /// A stage with one mock peer; the redactor comes from the target's secrets.
    pub fn new(target: Target, counterpart: Counterpart, http: HttpClient) -> Self {
        let peer = counterpart.peer;
        Self {
            redactor: redactor(&target),
            peers: BTreeMap::from([(peer.name().to_string(), peer)]),
            target: Arc::new(target),
            protocol: counterpart.protocol,
            http,
        }
    }

    /// Registers the protocol's template functions.
    pub fn register_functions(&self, env: &mut minijinja::Environment<'static>) {
        self.protocol.register_functions(&self.target, env);
    }

    /// The variables every scenario on this stage starts with: the protocol's, plus
    /// the engine's own ([`ENGINE_VARIABLES`]).
    pub fn base_vars(&self) -> Map<String, Value> {
        let t = &self.target;
        let mut vars = self.protocol.base_vars(t);
        let engine: [(&str, Value); 6] = [
            ("has_test_clock", t.has_test_clock().into()),
            ("step_timeout", t.step_timeout.as_secs_f64().into()),
            ("silence", t.silence.as_secs_f64().into()),
            ("iut_peer_timeout", t.iut_peer_timeout.as_secs_f64().into()),
            (
                "iut_credential_header",
                t.iut_credential.header.clone().into(),
            ),
            ("iut_credential", t.iut_credential.value.clone().into()),
        ];
        for (name, value) in engine {
            vars.insert(name.into(), value);
        }
        vars
    }

    /// The binding of `operation` (target overrides applied).
    pub fn binding(&self, operation: &str) -> Result<Binding, StageError> {
        let t = &self.target;
        let base = if operation == ADVANCE_CLOCK {
            Some(
                Binding::new("POST", TEST_BASE, "/clock/advance", Credentials::None)
                    .body(serde_json::json!({ "seconds": "{{ arg.seconds }}" })),
            )
        } else {
            self.protocol.binding(t, operation)
        };
        let base = base.ok_or_else(|| StageError::NoOperation {
            role: t.role.clone(),
            operation: operation.to_string(),
        })?;
        Ok(match t.bindings.get(operation) {
            Some(o) => base.with_override(o),
            None => base,
        })
    }

    /// A canned answer of the mock peer, by name.
    pub fn preset(&self, name: &str) -> Result<ScriptedAnswer, StageError> {
        self.protocol
            .preset(&self.target, name)
            .ok_or_else(|| StageError::NoPreset {
                name: name.to_string(),
                known: self.target.profile.presets().join(", "),
            })
    }

    /// The URL of a named base.
    pub fn base_url(&self, base: &str) -> Result<String, StageError> {
        let known = self.base_names();
        if !known.contains(&base) {
            return Err(StageError::UnknownBase {
                name: base.to_string(),
                known: known.join(", "),
            });
        }
        self.target
            .base(base)
            .map(str::to_string)
            .ok_or_else(|| StageError::NoBase(base.to_string()))
    }

    /// The bases scenarios may name for this role: the protocol's and `test`.
    pub fn base_names(&self) -> Vec<&'static str> {
        let mut names: Vec<&'static str> = self
            .target
            .role_spec()
            .map(|r| r.bases.iter().map(|b| b.name).collect())
            .unwrap_or_default();
        names.push(TEST_BASE);
        names
    }

    /// The credential raw HTTP to `base` sends when a step names none.
    pub fn default_credentials(&self, base: &str) -> Credentials {
        self.target
            .role_spec()
            .and_then(|r| r.bases.iter().find(|b| b.name == base))
            .map_or(Credentials::None, |b| b.credentials)
    }

    /// A credential by its use in bindings; `None` when the target has none.
    pub fn credential(&self, which: Credentials) -> Option<Credential> {
        match which {
            Credentials::Harness => Some(self.target.harness_credential.clone()),
            Credentials::Named(name) => self.target.credential(name).cloned(),
            Credentials::None => None,
        }
    }

    /// A credential by the name a step's `auth` gives: `none`, `harness`, or one the
    /// protocol names.
    pub fn credential_named(&self, name: &str) -> Result<Option<Credential>, StageError> {
        let extra = self.target.profile.credential_names();
        match name {
            "none" => Ok(None),
            "harness" => Ok(self.credential(Credentials::Harness)),
            other => match extra.iter().find(|n| **n == other) {
                Some(n) => Ok(self.credential(Credentials::Named(n))),
                None => Err(StageError::UnknownCredential {
                    name: other.to_string(),
                    known: extra.iter().map(|n| format!("{n}, ")).collect(),
                }),
            },
        }
    }

    /// The header the harness's own credential goes in (default for `auth` maps).
    pub fn credential_header(&self) -> &str {
        &self.target.harness_credential.header
    }

    /// Whether the IUT has a test clock the harness can advance.
    pub fn has_test_clock(&self) -> bool {
        self.target.has_test_clock()
    }

    /// Default timeout of one step.
    pub fn step_timeout(&self) -> Duration {
        self.target.step_timeout
    }

    /// How long "no traffic" checks listen by default.
    pub fn silence(&self) -> Duration {
        self.target.silence
    }

    /// The longest the harness may really wait for time to pass without a test clock.
    pub fn real_wait_limit(&self) -> Duration {
        self.target.real_wait_limit
    }

    /// The variant of runs on this stage, if the protocol has a variant axis.
    pub fn variant(&self) -> Option<String> {
        self.target.variant().map(str::to_string)
    }

    /// The mock peer called `name`, or the only one when no name is given.
    pub fn peer(&self, name: Option<&str>) -> Result<Arc<MockPeer>, StageError> {
        let found = match name {
            Some(n) => self.peers.get(n),
            None if self.peers.len() == 1 => self.peers.values().next(),
            None => None,
        };
        found.cloned().ok_or_else(|| StageError::NoPeer {
            name: name.unwrap_or("(unnamed)").to_string(),
            known: self.peers.keys().cloned().collect::<Vec<_>>().join(", "),
        })
    }
}
