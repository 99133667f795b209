//! A fictional protocol for the engine's own unit tests, so that they exercise the
//! loader, the runner and the reports through the profile interface without naming a
//! real protocol. `demo` has one role, `server`, whose IUT takes tickets at
//! `POST {service_base}/demo/tickets`; the harness plays `client` with one mock peer.

use std::any::Any;
use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::sync::Arc;

use serde_json::{json, Map, Value};

use super::catalogue::{must, should};
use super::target::Target;
use super::{
    BaseSpec, Binding, BoxFuture, Counterpart, Credentials, FaultInfo, NeedInfo, Prepared, Profile,
    Requirement, RoleSpec, RunningSim, SimError, StageProtocol, TargetSection,
};
use crate::http::HttpClient;
use crate::peers::{MockPeer, PeerReply, ScriptedAnswer};
use crate::yaml::InputError;

/// The fictional protocol.
#[derive(Debug, Clone, Copy)]
pub struct Demo;

/// The one instance tests pass where a list of profiles is asked for.
pub static DEMO: Demo = Demo;

/// `[&DEMO]`, as a list of profiles.
pub fn profiles() -> &'static [&'static dyn Profile] {
    static LIST: [&dyn Profile; 1] = [&DEMO];
    &LIST
}

const ROLES: &[RoleSpec] = &[RoleSpec {
    name: "server",
    counterpart: "client",
    requirement_prefix: "DEMO-",
    operations: &["submit", "advance_clock"],
    bases: &[BaseSpec {
        name: "service",
        required: true,
        credentials: Credentials::Harness,
    }],
    calls_the_harness: false,
}];

const REQUIREMENTS: &[Requirement] = &[
    must("DEMO-01", "a valid ticket is taken"),
    should("DEMO-02", "a ticket is taken quickly"),
];

const DEMO_TEXTS: &str = "\
- id: DEMO-01
  statement: A well-formed ticket posted to the server is taken with 201 and an id.
  source: the demo protocol of the engine's own tests.
  checks: demo scenarios post a ticket and expect 201.
- id: DEMO-02
  statement: The server answers a ticket within the step timeout.
  source: the demo protocol of the engine's own tests.
  checks: demo scenarios time the answer.
";

impl Profile for Demo {
    fn name(&self) -> &'static str {
        "demo"
    }

    fn roles(&self) -> &'static [RoleSpec] {
        ROLES
    }

    fn requirements(&self) -> &'static [Requirement] {
        REQUIREMENTS
    }

    fn requirement_texts(&self) -> super::catalogue::TextFile {
        super::catalogue::TextFile {
            file: "harness/src/profile/demo.rs",
            yaml: DEMO_TEXTS,
        }
    }

    fn faults(&self) -> Vec<FaultInfo> {
        Vec::new()
    }

    fn presets(&self) -> &'static [&'static str] {
        &["ok"]
    }

    fn template_names(&self) -> &'static [&'static str] {
        &["ticket_path", "ticket", "archive_path"]
    }

    fn needs(&self) -> &'static [NeedInfo] {
        &[NeedInfo {
            name: "archive",
            description: "the service keeps an archive of old tickets",
            variables: &["archive_path"],
        }]
    }

    fn schema(&self, name: &str) -> Option<Value> {
        (name == "Flag").then(|| {
            json!({"type": "object", "required": ["granted"], "properties": {"granted": {"type": "boolean"}}})
        })
    }

    fn schema_names(&self) -> &'static [&'static str] {
        &["Flag"]
    }

    fn credential_names(&self) -> &'static [&'static str] {
        &["guest"]
    }

    fn target_fields(&self) -> &'static [&'static str] {
        &[]
    }

    fn parse_target(
        &self,
        _text: &str,
        _file: &str,
        _role: &str,
    ) -> Result<Arc<dyn TargetSection>, InputError> {
        Ok(Arc::new(DemoSection))
    }

    fn start_builtin<'a>(
        &'a self,
        _role: &'a str,
        _variant: Option<&'a str>,
        _faults: &'a BTreeSet<&'static str>,
        _http: &'a HttpClient,
    ) -> BoxFuture<'a, Result<Prepared, SimError>> {
        Box::pin(async { Err(SimError::Setting("demo has no simulator".into())) })
    }

    fn serve<'a>(
        &'a self,
        _role: &'a str,
        _faults: &'a BTreeSet<&'static str>,
        _settings: &'a BTreeMap<String, String>,
        _listen: SocketAddr,
    ) -> BoxFuture<'a, Result<RunningSim, SimError>> {
        Box::pin(async { Err(SimError::Setting("demo has no simulator".into())) })
    }
}

/// The demo's part of a target: nothing.
#[derive(Debug)]
pub struct DemoSection;

impl TargetSection for DemoSection {
    fn variant(&self) -> Option<&str> {
        None
    }

    fn lacks(&self, need: &str) -> Option<String> {
        (need == "archive").then(|| "demo targets keep no archive".to_string())
    }

    fn start_counterpart<'a>(
        &'a self,
        _target: &'a Target,
        listen: SocketAddr,
    ) -> BoxFuture<'a, Result<Counterpart, SimError>> {
        Box::pin(async move {
            let peer = MockPeer::start(
                "client",
                listen,
                Arc::new(|_| PeerReply::json(200, &json!({}))),
            )
            .await
            .map_err(|source| SimError::Bind {
                addr: listen,
                source,
            })?;
            Ok(Counterpart {
                peer: Arc::new(peer),
                protocol: Arc::new(DemoStage),
            })
        })
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// The demo's part of a stage: one variable, one operation, one preset.
#[derive(Debug)]
pub struct DemoStage;

impl StageProtocol for DemoStage {
    fn base_vars(&self, _target: &Target) -> Map<String, Value> {
        let mut vars = Map::new();
        vars.insert("ticket_path".into(), "/demo/tickets".into());
        vars
    }

    fn register_functions(&self, _target: &Target, env: &mut minijinja::Environment<'static>) {
        env.add_function("ticket", || minijinja::Value::from("t-1"));
    }

    fn binding(&self, _target: &Target, operation: &str) -> Option<Binding> {
        (operation == "submit").then(|| {
            Binding::new("POST", "service", "/demo/tickets", Credentials::Harness)
                .body(json!("{{ arg.ticket }}"))
                .outputs(&[("reference", "$.reference")])
        })
    }

    fn preset(&self, _target: &Target, name: &str) -> Option<ScriptedAnswer> {
        (name == "ok").then(|| ScriptedAnswer {
            delay: std::time::Duration::ZERO,
            reply: Some(PeerReply::json(200, &json!({"granted": true}))),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fault_and_variation_names_are_checked_against_the_role() {
        let demo: &dyn Profile = &Demo;
        let names = |n: &[&str]| n.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>();
        assert_eq!(
            demo.variations_for("server", &names(&["slow-answers"])),
            Ok(BTreeSet::from(["slow-answers"]))
        );
        let e = demo
            .variations_for("server", &names(&["slow"]))
            .expect_err("unknown");
        assert_eq!(
            e.to_string(),
            "unknown variation `slow` (see `crosscheck variations demo`)"
        );
        let e = demo
            .faults_for("server", &names(&["slow-answers"]))
            .expect_err("a variation is no fault");
        assert!(
            e.to_string().starts_with("unknown fault `slow-answers`"),
            "{e}"
        );
    }
}
