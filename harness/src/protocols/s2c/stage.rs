//! Starting the S2C provider simulator, the target file's S2C fields, and S2C's part
//! of a stage: the mock notification sink and the scenario variables.

use std::any::Any;
use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use serde_json::{Map, Value};
use serde_saphyr::Spanned;

use super::api;
use super::binding;
use super::config::{S2cConfig, CAPACITY_MBPS, TOKEN_CONSUMER_1, TOKEN_CONSUMER_2, TOKEN_EXPIRED};
use super::sim::{spawn_ticker, Provider};
use crate::clock::TestClock;
use crate::http::HttpClient;
use crate::peers::{Behaviour, MockPeer, ScriptedAnswer};
use crate::profile::target::{BindingOverride, Credential, Target};
use crate::profile::{
    loopback, Binding, BoxFuture, Counterpart, Prepared, SimError, Stage, StageProtocol,
    TargetSection,
};
use crate::server::Served;
use crate::yaml::{self, InputError};

/// A running provider simulator.
#[derive(Debug)]
pub struct Running {
    /// The server.
    pub served: Served,
    /// The provider (its ticker stops when this is dropped).
    pub provider: Arc<Provider>,
}

/// Starts a provider with `config` on `listen`; `http` sends its notifications.
pub async fn start(
    config: S2cConfig,
    listen: SocketAddr,
    http: HttpClient,
) -> Result<Running, SimError> {
    let clock = TestClock::new();
    let answers = config.answers.clone();
    let provider = Arc::new(Provider::new(config, clock.clone(), http));
    spawn_ticker(&provider);
    let app = api::router(provider.clone(), clock);
    let served = crate::server::serve(crate::server::vary(app, &answers), listen, "s2c simulator")
        .await
        .map_err(|source| SimError::Bind {
            addr: listen,
            source,
        })?;
    Ok(Running { served, provider })
}

/// S2C's top-level fields of the target file.
pub const FIELDS: &[&str] = &["duration_unit", "capacity_mbps", "sink"];

/// S2C's part of a target.
#[derive(Debug, Clone)]
pub struct S2cTarget {
    /// Seconds per unit of `duration`.
    pub unit_seconds: u64,
    /// The bandwidth the provider can give in all, if the target states it.
    pub capacity_mbps: Option<u64>,
    /// Whether the provider takes an http sink on loopback.
    pub http_sink: bool,
    /// The sink URL to give the IUT, when it must reach the mock sink by another name.
    pub sink_url: Option<String>,
    /// Whether the target names an expired token.
    pub has_expired_token: bool,
    /// Binding overrides, to tell which shapes the target keeps.
    pub bindings: BTreeMap<String, BindingOverride>,
}

impl S2cTarget {
    /// The built-in provider's section.
    pub fn builtin() -> Self {
        Self {
            unit_seconds: 1,
            capacity_mbps: Some(CAPACITY_MBPS),
            http_sink: true,
            sink_url: None,
            has_expired_token: true,
            bindings: BTreeMap::new(),
        }
    }
}

#[derive(Debug, Deserialize)]
struct S2cFile {
    duration_unit: Option<Spanned<String>>,
    capacity_mbps: Option<Spanned<u64>>,
    sink: Option<SinkFile>,
    #[serde(default)]
    credentials: BTreeMap<String, Value>,
    #[serde(default)]
    bindings: BTreeMap<String, BindingOverride>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SinkFile {
    http_on_loopback: Option<bool>,
    url: Option<Spanned<String>>,
}

/// Parses and checks S2C's fields of a target file.
pub fn parse(text: &str, file: &str) -> Result<Arc<S2cTarget>, InputError> {
    let f: S2cFile = yaml::parse(text, file)?;
    let unit_seconds = match &f.duration_unit {
        None => 1,
        Some(u) if u.value == "seconds" => 1,
        Some(u) if u.value == "hours" => 3600,
        Some(u) => {
            return Err(InputError::at(
                file,
                &u.referenced,
                format!("duration_unit: `{}` is not seconds or hours", u.value),
            ))
        }
    };
    if let Some(c) = f.capacity_mbps.as_ref().filter(|c| c.value == 0) {
        return Err(InputError::at(
            file,
            &c.referenced,
            "capacity_mbps: must be at least 1",
        ));
    }
    if !f.credentials.contains_key("consumer2") {
        return Err(InputError::whole(
            file,
            "credentials.consumer2: required (a second consumer, for S2C-05; `harness` is the first)",
        ));
    }
    let sink_url = match f.sink.as_ref().and_then(|s| s.url.as_ref()) {
        Some(u) if u.value.starts_with("http://") || u.value.starts_with("https://") => {
            Some(u.value.trim_end_matches('/').to_string())
        }
        Some(u) => {
            return Err(InputError::at(
                file,
                &u.referenced,
                format!("sink.url: `{}` is not an http(s) URL", u.value),
            ))
        }
        None => None,
    };
    Ok(Arc::new(S2cTarget {
        unit_seconds,
        capacity_mbps: f.capacity_mbps.map(|c| c.value),
        http_sink: f.sink.and_then(|s| s.http_on_loopback).unwrap_or(true),
        sink_url,
        has_expired_token: f.credentials.contains_key("expired_token"),
        bindings: f.bindings,
    }))
}

impl TargetSection for S2cTarget {
    fn variant(&self) -> Option<&str> {
        None
    }

    fn lacks(&self, need: &str) -> Option<String> {
        match need {
            "session-shape" => binding::SESSION_OPERATIONS.iter().find_map(|op| {
                let o = self.bindings.get(*op)?;
                let what: Vec<&str> = [("method", o.method.is_some()), ("body", o.body.is_some()), ("outputs", o.outputs.is_some())]
                    .iter()
                    .filter_map(|(n, set)| set.then_some(*n))
                    .collect();
                (!what.is_empty()).then(|| {
                    format!(
                        "bindings.{op} overrides its {}, so the CAMARA session shape (201 and 204, status, startedAt, expiresAt, extend, sink) cannot be checked",
                        what.join(" and ")
                    )
                })
            }),
            "verbatim-bodies" => self
                .bindings
                .get("create_session")
                .and_then(|o| o.body.as_ref())
                .map(|_| "bindings.create_session.body maps the scenario's body into another shape, so bodies with unknown properties or of the wrong shape cannot be sent as written".to_string()),
            "http-sink" => (!self.http_sink).then(|| {
                "sink.http_on_loopback is false and the mock sink speaks plain http".to_string()
            }),
            "capacity" => self
                .capacity_mbps
                .is_none()
                .then(|| "the target states no capacity_mbps".to_string()),
            "expired-token" => (!self.has_expired_token)
                .then(|| "the target gives no credentials.expired_token".to_string()),
            _ => None,
        }
    }

    fn start_counterpart<'a>(
        &'a self,
        target: &'a Target,
        listen: SocketAddr,
    ) -> BoxFuture<'a, Result<Counterpart, SimError>> {
        Box::pin(start_counterpart(self, target, listen))
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// S2C's part of a stage.
#[derive(Debug)]
pub struct S2cStage {
    sink_url: String,
    unit_seconds: u64,
    capacity_mbps: Option<u64>,
}

impl StageProtocol for S2cStage {
    fn base_vars(&self, target: &Target) -> Map<String, Value> {
        binding::base_vars(
            target,
            &self.sink_url,
            self.unit_seconds,
            self.capacity_mbps,
        )
    }

    fn register_functions(&self, target: &Target, env: &mut minijinja::Environment<'static>) {
        let token = target
            .iut_credential
            .value
            .strip_prefix("Bearer ")
            .unwrap_or(&target.iut_credential.value)
            .to_string();
        binding::register_functions(env, self.sink_url.clone(), token, self.unit_seconds);
    }

    fn binding(&self, _target: &Target, operation: &str) -> Option<Binding> {
        binding::binding(operation)
    }

    fn preset(&self, target: &Target, name: &str) -> Option<ScriptedAnswer> {
        binding::preset(name, target)
    }
}

/// Starts the mock sink on `listen`: it records notifications and answers 204.
pub async fn start_counterpart(
    section: &S2cTarget,
    target: &Target,
    listen: SocketAddr,
) -> Result<Counterpart, SimError> {
    let behaviour: Behaviour = Arc::new(|_| binding::accepted());
    let peer = MockPeer::start(target.counterpart_role(), listen, behaviour)
        .await
        .map_err(|source| SimError::Bind {
            addr: listen,
            source,
        })?;
    let sink_url = format!(
        "{}/notifications",
        section.sink_url.clone().unwrap_or_else(|| peer.url())
    );
    Ok(Counterpart {
        peer: Arc::new(peer),
        protocol: Arc::new(S2cStage {
            sink_url,
            unit_seconds: section.unit_seconds,
            capacity_mbps: section.capacity_mbps,
        }),
    })
}

/// The sink token built-in runs give the provider by default.
pub const SINK_TOKEN: &str = "sim-sink-token";

/// The target for the built-in provider; its URLs are filled per stage.
pub fn builtin_target() -> Target {
    Target {
        name: "built-in s2c provider simulator".into(),
        profile: &super::profile::S2c,
        role: "provider".into(),
        bases: BTreeMap::new(),
        harness_credential: Credential::bearer(TOKEN_CONSUMER_1),
        iut_credential: Credential::bearer(SINK_TOKEN),
        credentials: BTreeMap::from([
            (
                "consumer2".to_string(),
                Credential::bearer(TOKEN_CONSUMER_2),
            ),
            (
                "expired_token".to_string(),
                Credential::bearer(TOKEN_EXPIRED),
            ),
        ]),
        mock_peers: BTreeMap::new(),
        step_timeout: Duration::from_secs(5),
        silence: Duration::from_secs(1),
        iut_peer_timeout: Duration::from_secs(2),
        real_wait_limit: Duration::ZERO,
        quiet_between: Duration::ZERO,
        quiet_limit: Duration::ZERO,
        bindings: BTreeMap::new(),
        tls: Default::default(),
        secrets: vec![
            TOKEN_CONSUMER_1.into(),
            TOKEN_CONSUMER_2.into(),
            TOKEN_EXPIRED.into(),
            SINK_TOKEN.into(),
        ],
        section: Arc::new(S2cTarget::builtin()),
        capabilities: None,
    }
}

/// Starts the mock sink and a provider with the named faults and variations.
pub async fn builtin_stage(
    faults: &BTreeSet<&'static str>,
    http: &HttpClient,
) -> Result<Prepared, SimError> {
    let mut target = builtin_target();
    let counterpart = start_counterpart(&S2cTarget::builtin(), &target, loopback()).await?;
    let mut config = S2cConfig::new();
    config.switch_on(faults.iter().copied());
    let running = start(config, loopback(), http.clone()).await?;
    let base = running.served.url();
    target.bases.insert("api".into(), base.clone());
    target.bases.insert("test".into(), format!("{base}/test"));
    Ok(Prepared {
        stage: Stage::new(target, counterpart, http.clone()),
        keep_alive: Box::new(running),
    })
}
