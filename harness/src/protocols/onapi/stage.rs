//! Starting the ONAPI reference simulators, as IUTs or as the harness's mock peers, and
//! ONAPI's part of a stage.

use std::any::Any;
use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::binding;
use super::co::CoSim;
use super::config::{OnapiConfig, TOKEN_CO, TOKEN_NO_RIGHT};
use super::sp::SpSim;
use crate::clock::TestClock;
use crate::http::HttpClient;
use crate::peers::{Behaviour, MockPeer, PeerReply, ScriptedAnswer};
use crate::profile::target::{Credential, Target};
use crate::profile::{
    loopback, Binding, BoxFuture, Counterpart, Prepared, SimError, Stage, StageProtocol,
    TargetSection,
};
use crate::server::Served;
use crate::yaml::{self, InputError};

/// Starts the simulator for `role` (`sp` or `co`) on `listen`.
pub async fn start(
    role: &str,
    config: OnapiConfig,
    listen: SocketAddr,
) -> Result<Served, SimError> {
    let clock = TestClock::new();
    let answers = config.answers.clone();
    let app = if role == "sp" {
        Arc::new(SpSim::new(config, clock)).router()
    } else {
        Arc::new(CoSim::new(config, clock)?).router()
    };
    crate::server::serve(
        crate::server::vary(app, &answers),
        listen,
        "onapi simulator",
    )
    .await
    .map_err(|source| SimError::Bind {
        addr: listen,
        source,
    })
}

/// ONAPI's top-level fields of the target file. `providers` is accepted for
/// symmetry with other protocols; ONAPI does not use it.
pub const FIELDS: &[&str] = &["providers"];

/// ONAPI's part of a target: nothing beyond the core.
#[derive(Debug, Clone, Default)]
pub struct OnapiTarget;

/// Parsed only to check its shape.
#[derive(Debug, Deserialize)]
#[allow(dead_code)]
struct OnapiFile {
    providers: Option<ProvidersFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct ProvidersFile {
    iut: String,
    harness: String,
    other: Option<String>,
}

/// Parses and checks ONAPI's fields of a target file.
pub fn parse(text: &str, file: &str) -> Result<Arc<OnapiTarget>, InputError> {
    let _checked: OnapiFile = yaml::parse(text, file)?;
    Ok(Arc::new(OnapiTarget))
}

impl TargetSection for OnapiTarget {
    fn variant(&self) -> Option<&str> {
        None
    }

    fn start_counterpart<'a>(
        &'a self,
        target: &'a Target,
        listen: SocketAddr,
    ) -> BoxFuture<'a, Result<Counterpart, SimError>> {
        Box::pin(start_counterpart(target, listen))
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// ONAPI's part of a stage.
#[derive(Debug)]
pub struct OnapiStage;

impl StageProtocol for OnapiStage {
    fn base_vars(&self, target: &Target) -> Map<String, Value> {
        binding::base_vars(target)
    }

    fn register_functions(&self, _target: &Target, env: &mut minijinja::Environment<'static>) {
        binding::register_functions(env);
    }

    fn binding(&self, target: &Target, operation: &str) -> Option<Binding> {
        binding::binding(&target.role, operation)
    }

    fn preset(&self, target: &Target, name: &str) -> Option<ScriptedAnswer> {
        binding::preset(name, target)
    }
}

/// Starts the harness's counterpart on `listen`: a recorder when the IUT is the SP
/// (nobody calls the CO during a notice), the reference SP when the IUT is the CO.
pub async fn start_counterpart(
    target: &Target,
    listen: SocketAddr,
) -> Result<Counterpart, SimError> {
    let behaviour: Behaviour = if target.role == "sp" {
        Arc::new(|r| {
            PeerReply::json(
                404,
                &json!({"cause": format!("mock CO has no {} {}", r.method, r.path)}),
            )
        })
    } else {
        let mut config = OnapiConfig::new();
        config.credential_header = target.iut_credential.header.clone();
        config.credentials = BTreeMap::from([(target.iut_credential.value.clone(), true)]);
        let sp = Arc::new(SpSim::new(config, TestClock::new()));
        Arc::new(move |r| sp.reply(r))
    };
    let peer = MockPeer::start(target.counterpart_role(), listen, behaviour)
        .await
        .map_err(|source| SimError::Bind {
            addr: listen,
            source,
        })?;
    Ok(Counterpart {
        peer: Arc::new(peer),
        protocol: Arc::new(OnapiStage),
    })
}

/// The target for a built-in simulator of `role`; its URLs are filled per stage.
pub fn builtin_target(role: &str) -> Target {
    Target {
        name: format!("built-in onapi {role} simulator"),
        profile: &super::profile::Onapi,
        role: role.into(),
        bases: BTreeMap::new(),
        harness_credential: Credential::bearer(TOKEN_CO),
        iut_credential: Credential::bearer(TOKEN_CO),
        credentials: BTreeMap::from([("no_right".to_string(), Credential::bearer(TOKEN_NO_RIGHT))]),
        mock_peers: BTreeMap::new(),
        step_timeout: Duration::from_secs(5),
        silence: Duration::from_secs(1),
        iut_peer_timeout: Duration::from_secs(2),
        real_wait_limit: Duration::ZERO,
        quiet_between: Duration::ZERO,
        quiet_limit: Duration::ZERO,
        bindings: BTreeMap::new(),
        tls: Default::default(),
        secrets: vec![TOKEN_CO.into(), TOKEN_NO_RIGHT.into()],
        section: Arc::new(OnapiTarget),
        capabilities: None,
    }
}

/// Starts a mock counterpart and a simulator IUT with the named faults, wired together.
pub async fn builtin_stage(
    role: &str,
    faults: &BTreeSet<&'static str>,
    http: &HttpClient,
) -> Result<Prepared, SimError> {
    let mut target = builtin_target(role);
    let counterpart = start_counterpart(&target, loopback()).await?;
    let mut config = OnapiConfig::new();
    config.switch_on(faults.iter().copied());
    config.sp_base = counterpart.peer.url();
    let running = start(role, config, loopback()).await?;
    let base = running.url();
    if role == "sp" {
        target.bases.insert("api".into(), base.clone());
    } else {
        target
            .bases
            .insert("trigger".into(), format!("{base}/trigger"));
    }
    target.bases.insert("test".into(), format!("{base}/test"));
    Ok(Prepared {
        stage: Stage::new(target, counterpart, http.clone()),
        keep_alive: Box::new(running),
    })
}
