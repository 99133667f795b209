//! The CCI reference simulators ([`csp_a`], [`csp_b`]) with their shared world, faults
//! and legal variations; and starting them, as IUTs or as the harness's mock peers, as
//! CCI's part of a stage.

pub mod csp_a;
pub mod csp_b;
pub mod faults;
pub mod variation;
pub mod world;

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Map, Value};

use crate::clock::TestClock;
use crate::http::HttpClient;
use crate::peers::{Behaviour, MockPeer, PeerReply, ScriptedAnswer};
use crate::profile::target::{Credential, Target};
use crate::profile::{loopback, Binding, Counterpart, Prepared, SimError, Stage, StageProtocol};
use crate::protocols::cci::binding;
use crate::protocols::cci::intent::key::Dialect;
use crate::protocols::cci::shape::Shape;
use crate::protocols::cci::target::{CciTarget, Providers};
use crate::server::Served;
use csp_a::CspA;
use csp_b::CspB;
use world::SimConfig;

/// Starts the simulator for `role` on `listen` (port 0 for an ephemeral port).
pub async fn start(role: &str, config: SimConfig, listen: SocketAddr) -> Result<Served, SimError> {
    let clock = TestClock::new();
    let answers = config.answers.clone();
    let variations = config.variations.clone();
    let app = if role == "csp-a" {
        Arc::new(CspA::new(config, clock)?).router()
    } else {
        Arc::new(CspB::new(config, clock)?).router()
    };
    let app = variation::apply(app, &variations);
    crate::server::serve(crate::server::vary(app, &answers), listen, "cci simulator")
        .await
        .map_err(|source| SimError::Bind {
            addr: listen,
            source,
        })
}

/// CCI's part of a stage: the target's CCI fields and, when the harness plays A, the
/// mock CSP A's books, which issue the keys scenarios hand to B.
#[derive(Debug)]
pub struct CciStage {
    cci: CciTarget,
    issuer: Option<Arc<CspA>>,
}

impl StageProtocol for CciStage {
    fn base_vars(&self, _target: &Target) -> Map<String, Value> {
        binding::base_vars(&self.cci)
    }

    fn register_functions(&self, target: &Target, env: &mut minijinja::Environment<'static>) {
        binding::register_functions(env, target, &self.cci, self.issuer.clone());
    }

    fn binding(&self, target: &Target, operation: &str) -> Option<Binding> {
        binding::binding(&target.role, operation)
    }

    fn preset(&self, target: &Target, name: &str) -> Option<ScriptedAnswer> {
        binding::preset(name, target)
    }

    /// The harness, as A, deleted a connection at B: A's own copy goes too (its
    /// bandwidth, VLANs and subnets freed), as A's delete workflow does.
    fn performed(&self, operation: &str, args: &Value, status: u16) {
        if operation != "lc_delete_connection" || !(200..300).contains(&status) {
            return;
        }
        if let (Some(issuer), Some(id)) = (&self.issuer, args.get("id").and_then(Value::as_str)) {
            issuer.forget_placed(id);
        }
    }
}

impl CciStage {
    /// The mock CSP A, when the harness plays A.
    pub fn issuer(&self) -> Option<&Arc<CspA>> {
        self.issuer.as_ref()
    }

    /// The target's CCI fields.
    pub fn cci(&self) -> &CciTarget {
        &self.cci
    }
}

/// Starts the counterpart for `target` on `listen`.
pub async fn start_counterpart(
    target: &Target,
    cci: &CciTarget,
    listen: SocketAddr,
) -> Result<Counterpart, SimError> {
    let (peer, protocol) = counterpart(target, cci, listen).await?;
    Ok(Counterpart { peer, protocol })
}

/// The mock peer and CCI's part of the stage, typed (the fuzzer issues keys with it).
pub(super) async fn counterpart(
    target: &Target,
    cci: &CciTarget,
    listen: SocketAddr,
) -> Result<(Arc<MockPeer>, Arc<CciStage>), SimError> {
    let name = target.counterpart_role();
    let bind = |source| SimError::Bind {
        addr: listen,
        source,
    };
    if target.role == "csp-a" {
        // The harness plays B, which expects nothing from A during intent: every
        // request is recorded (so scenarios can forbid it) and answered 404, but A's
        // NotifyConnectionStatus, which a correct responder sends once its features
        // are final (CCI-L-39), is acknowledged (scenarios script other answers).
        let behaviour: Behaviour = Arc::new(|r| {
            if r.method == "POST" && r.path.ends_with("/NotifyConnectionStatus") {
                return PeerReply::json(200, &json!({}));
            }
            PeerReply::json(
                404,
                &json!({"error": format!("mock csp-b has no {} {}", r.method, r.path)}),
            )
        });
        let peer = MockPeer::start(name, listen, behaviour)
            .await
            .map_err(bind)?;
        let stage = CciStage {
            cci: cci.clone(),
            issuer: None,
        };
        return Ok((Arc::new(peer), Arc::new(stage)));
    }
    let config = SimConfig {
        dialect: cci.dialect,
        own_id: cci.providers.harness.clone(),
        peer_id: cci.providers.iut.clone(),
        peer_base: None,
        api_prefix: cci.peer_prefix.clone(),
        environments: cci.environments.clone(),
        credential_header: target.iut_credential.header.clone(),
        peer_tokens: BTreeMap::from([(
            target.iut_credential.value.clone(),
            cci.providers.iut.clone(),
        )]),
        own_token: String::new(),
        customer_account: cci.customer_account.clone(),
        key_lifetime: cci.key_lifetime,
        peer_timeout: target.step_timeout,
        faults: Default::default(),
        answers: Vec::new(),
        variations: Vec::new(),
    };
    let issuer = Arc::new(CspA::new(config, TestClock::new())?);
    let books = issuer.clone();
    let behaviour: Behaviour = Arc::new(move |r| books.peer_reply(r));
    let peer = MockPeer::start(name, listen, behaviour)
        .await
        .map_err(bind)?;
    let stage = CciStage {
        cci: cci.clone(),
        issuer: Some(issuer),
    };
    Ok((Arc::new(peer), Arc::new(stage)))
}

/// The target for a built-in simulator of `role` in `shape`; its URLs are filled per
/// stage.
pub fn builtin_target(role: &str, dialect: Dialect, shape: &Shape) -> Target {
    let a = role == "csp-a";
    let (harness_token, iut_token) = if a {
        (world::TOKEN_B, world::TOKEN_A)
    } else {
        (world::TOKEN_A, world::TOKEN_B)
    };
    let (iut, harness) = if a {
        (&shape.provider_a, &shape.provider_b)
    } else {
        (&shape.provider_b, &shape.provider_a)
    };
    let section = CciTarget {
        dialect,
        providers: Providers {
            iut: iut.clone(),
            harness: harness.clone(),
            other: shape.provider_other.clone(),
        },
        environments: shape.environments.clone(),
        unknown_environment: shape.unknown_environment.clone(),
        customer_account: shape.customer_account.clone(),
        other_account: shape.other_account.clone(),
        peer_prefix: shape.api_prefix.clone(),
        key_lifetime: Duration::from_secs(3600),
        second_peer: true,
        provision_timeout: Duration::from_secs(60),
        converge_timeout: Duration::from_secs(60),
    };
    Target {
        name: format!("built-in cci {role} simulator ({})", dialect.name()),
        profile: &crate::protocols::cci::profile::Cci,
        role: role.into(),
        bases: BTreeMap::new(),
        harness_credential: Credential::bearer(harness_token),
        iut_credential: Credential::bearer(iut_token),
        // providers.other is a peer of the simulator too, with its own token.
        credentials: BTreeMap::from([(
            crate::protocols::cci::target::SECOND_PEER.to_string(),
            Credential::bearer(world::TOKEN_OTHER),
        )]),
        mock_peers: BTreeMap::new(),
        step_timeout: Duration::from_secs(5),
        silence: Duration::from_secs(1),
        iut_peer_timeout: Duration::from_secs(1),
        real_wait_limit: Duration::ZERO,
        quiet_between: Duration::ZERO,
        quiet_limit: Duration::ZERO,
        bindings: BTreeMap::new(),
        tls: Default::default(),
        secrets: vec![
            world::TOKEN_A.into(),
            world::TOKEN_B.into(),
            world::TOKEN_OTHER.into(),
        ],
        section: Arc::new(section),
        capabilities: None,
    }
}

/// Starts a mock counterpart and a simulator IUT with the named faults or variations,
/// wired to each other (a shape variation among them shapes both and the target).
pub async fn builtin_stage(
    role: &str,
    dialect: Dialect,
    switches: &BTreeSet<&'static str>,
    http: &HttpClient,
) -> Result<Prepared, SimError> {
    let shape = Shape::chosen(switches.iter().copied());
    Ok(builtin(role, dialect, switches, &shape, http).await?.0)
}

/// A stage on simulators in `shape` with the named faults or variations, also
/// returning CCI's part of the stage (the fuzzer issues keys with its mock CSP A).
pub async fn builtin(
    role: &str,
    dialect: Dialect,
    switches: &BTreeSet<&'static str>,
    shape: &Shape,
    http: &HttpClient,
) -> Result<(Prepared, Arc<CciStage>), SimError> {
    let mut target = builtin_target(role, dialect, shape);
    let cci = CciTarget::of(&target)?.clone();
    let (peer, cci_stage) = counterpart(&target, &cci, loopback()).await?;
    let counterpart = Counterpart {
        peer,
        protocol: cci_stage.clone(),
    };
    let mut config = SimConfig::shaped(role, dialect, shape);
    config.peer_base = Some(format!("{}{}", counterpart.peer.url(), shape.api_prefix));
    config.switch_on(switches.iter().copied());
    config.peer_timeout = target.iut_peer_timeout;
    let running = start(role, config, loopback()).await?;
    let url = running.url();
    target
        .bases
        .insert("api".into(), format!("{url}{}", shape.api_prefix));
    target
        .bases
        .insert("customer".into(), format!("{url}/customer"));
    target.bases.insert("test".into(), format!("{url}/test"));
    let prepared = Prepared {
        stage: Stage::new(target, counterpart, http.clone()),
        keep_alive: Box::new(running),
    };
    Ok((prepared, cci_stage))
}
