//! What a scenario runs against: the target, the mock peers, and the protocol's part
//! (variables, template functions, bindings, canned answers). The runner reaches the
//! protocol only through the methods here.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Map, Value};

use super::binding::{Binding, Credentials};
use super::template::Templates;
use crate::http::{HttpClient, Redactor};
use crate::peers::{MockPeer, ScriptedAnswer};
use crate::protocols::{self, Counterpart};
use crate::target::{Credential, Target};

/// What a scenario runs against.
#[derive(Debug)]
pub struct Stage {
    /// The target.
    pub target: Arc<Target>,
    /// Mock peers by role name.
    pub peers: BTreeMap<String, Arc<MockPeer>>,
    /// What the harness knows of its counterpart (for template functions).
    pub counterpart: Counterpart,
    /// The HTTP client.
    pub http: HttpClient,
    /// Removes secrets from exchanges.
    pub redactor: Redactor,
}

impl Stage {
    /// A stage with one mock peer; the redactor comes from the target's secrets.
    pub fn new(
        target: Target,
        peer: Arc<MockPeer>,
        counterpart: Counterpart,
        http: HttpClient,
    ) -> Self {
        Self {
            redactor: Redactor::new(target.secrets.clone()),
            peers: BTreeMap::from([(peer.name().to_string(), peer)]),
            target: Arc::new(target),
            counterpart,
            http,
        }
    }

    /// A template environment with the generic and the protocol's functions.
    pub fn templates(&self) -> Templates {
        Templates::new(|env| protocols::register_functions(env, &self.target, &self.counterpart))
    }

    /// The variables every scenario on this stage starts with.
    pub fn base_vars(&self) -> Map<String, Value> {
        protocols::base_vars(&self.target)
    }

    /// The binding of `operation` (target overrides applied).
    pub fn binding(&self, operation: &str) -> Result<Binding, String> {
        protocols::binding(&self.target, operation)
            .ok_or_else(|| format!("role {} has no operation `{operation}`", self.target.role))
    }

    /// A canned answer of the mock peer, by name.
    pub fn preset(&self, name: &str) -> Result<ScriptedAnswer, String> {
        protocols::preset(&self.target, name).ok_or_else(|| {
            format!(
                "no preset `{name}` ({})",
                self.target.protocol.presets().join(", ")
            )
        })
    }

    /// The URL of a named base (`api`, `test`...).
    pub fn base_url(&self, base: &str) -> Result<String, String> {
        let t = &self.target;
        let url = match base {
            "api" => &t.api_base,
            "customer" => &t.customer_base,
            "trigger" => &t.trigger_base,
            "test" => &t.test_base,
            other => {
                return Err(format!(
                    "unknown base `{other}` (api, customer, trigger, test)"
                ))
            }
        };
        url.clone()
            .ok_or_else(|| format!("the target has no {base}_base"))
    }

    /// The credential raw HTTP to `base` sends when a step names none.
    pub fn default_credentials(&self, base: &str) -> Credentials {
        if base == "api" {
            Credentials::Harness
        } else {
            Credentials::Customer
        }
    }

    /// A credential by its role in bindings; `None` when the target has none.
    pub fn credential(&self, which: Credentials) -> Option<Credential> {
        let t = &self.target;
        match which {
            Credentials::Harness => Some(t.harness_credential.clone()),
            Credentials::Customer => t.customer_credential.clone(),
            Credentials::None => None,
        }
    }

    /// A credential by the name a step's `auth` gives (`none`, `harness`, `customer`).
    pub fn credential_named(&self, name: &str) -> Result<Option<Credential>, String> {
        match name {
            "none" => Ok(None),
            "harness" => Ok(self.credential(Credentials::Harness)),
            "customer" => Ok(self.credential(Credentials::Customer)),
            other => Err(format!(
                "auth: `{other}` (none, harness, customer or {{header, value}})"
            )),
        }
    }

    /// The header the harness's own credential goes in (default for `auth` maps).
    pub fn credential_header(&self) -> &str {
        &self.target.harness_credential.header
    }

    /// Whether the IUT has a test clock the harness can advance.
    pub fn has_test_clock(&self) -> bool {
        self.target.test_base.is_some()
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

    /// The report's variant label of runs on this stage (`-` when the protocol has none).
    pub fn variant_label(&self) -> String {
        if self.target.protocol.has_dialects() {
            self.target.dialect.name().to_string()
        } else {
            "-".to_string()
        }
    }

    /// The mock peer called `name`, or the only one when no name is given.
    pub fn peer(&self, name: Option<&str>) -> Result<Arc<MockPeer>, String> {
        let found = match name {
            Some(n) => self.peers.get(n),
            None if self.peers.len() == 1 => self.peers.values().next(),
            None => None,
        };
        found.cloned().ok_or_else(|| {
            format!(
                "no mock peer {} (peers here: {})",
                name.unwrap_or("(unnamed)"),
                self.peers.keys().cloned().collect::<Vec<_>>().join(", ")
            )
        })
    }
}
