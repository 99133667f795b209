//! Starting the CCI reference simulators, as IUTs or as the harness's mock peers.

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;

use super::faults::Fault;
use super::key::Dialect;
use super::sim_a::CspA;
use super::sim_b::CspB;
use super::world::{self, SimConfig};
use crate::clock::TestClock;
use crate::http::HttpClient;
use crate::peers::{Behaviour, MockPeer, PeerReply};
use crate::protocols::FaultTable;
use crate::protocols::{Counterpart as Known, Protocol};
use crate::scenario::Stage;
use crate::suite::{loopback, Prepared};
use crate::target::{Credential, Providers, Target};

/// A running simulator (dropping it stops it).
pub type RunningSim = crate::server::Served;

/// Why a simulator could not start.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// The address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The cause.
        source: std::io::Error,
    },
    /// The HTTP client could not be made.
    #[error("cannot create the HTTP client: {0}")]
    Client(#[from] crate::http::TransportError),
}

/// Starts the simulator for `role` on `listen` (port 0 for an ephemeral port).
pub async fn start(
    role: &str,
    config: SimConfig,
    listen: SocketAddr,
) -> Result<RunningSim, SimError> {
    let clock = TestClock::new();
    let app = if role == "csp-a" {
        Arc::new(CspA::new(config, clock)?).router()
    } else {
        Arc::new(CspB::new(config, clock)?).router()
    };
    crate::server::serve(app, listen, "cci simulator")
        .await
        .map_err(|source| SimError::Bind {
            addr: listen,
            source,
        })
}

/// The harness's counterpart for a CCI target: the mock peer, and (when the IUT is B)
/// the mock CSP A's books, which issue the keys scenarios hand to B.
#[derive(Debug)]
pub struct Counterpart {
    /// The recording mock peer.
    pub peer: Arc<MockPeer>,
    /// The mock CSP A, when the harness plays A.
    pub issuer: Option<Arc<CspA>>,
}

/// Starts the counterpart for `target` on `listen`.
pub async fn start_counterpart(
    target: &Target,
    listen: SocketAddr,
) -> Result<Counterpart, SimError> {
    let name = target.protocol.counterpart_role(&target.role);
    if target.role == "csp-a" {
        // The harness plays B, which expects nothing from A during intent: every
        // request is recorded (so scenarios can forbid it) and answered 404.
        let behaviour: Behaviour = Arc::new(|r| {
            PeerReply::json(
                404,
                &json!({"error": format!("mock csp-b has no {} {}", r.method, r.path)}),
            )
        });
        let peer = MockPeer::start(name, listen, behaviour)
            .await
            .map_err(|source| SimError::Bind {
                addr: listen,
                source,
            })?;
        return Ok(Counterpart {
            peer: Arc::new(peer),
            issuer: None,
        });
    }
    let config = SimConfig {
        dialect: target.dialect,
        own_id: target.providers.harness.clone(),
        peer_id: target.providers.iut.clone(),
        peer_base: None,
        api_prefix: target.peer_prefix.clone(),
        environments: target.environments.clone(),
        credential_header: target.iut_credential.header.clone(),
        peer_tokens: BTreeMap::from([(
            target.iut_credential.value.clone(),
            target.providers.iut.clone(),
        )]),
        own_token: String::new(),
        customer_account: target.customer_account.clone(),
        key_lifetime: target.key_lifetime,
        peer_timeout: target.step_timeout,
        faults: Default::default(),
    };
    let issuer = Arc::new(CspA::new(config, TestClock::new())?);
    let books = issuer.clone();
    let behaviour: Behaviour = Arc::new(move |r| books.peer_reply(r));
    let peer = MockPeer::start(name, listen, behaviour)
        .await
        .map_err(|source| SimError::Bind {
            addr: listen,
            source,
        })?;
    Ok(Counterpart {
        peer: Arc::new(peer),
        issuer: Some(issuer),
    })
}

/// The target for a built-in simulator of `role`; its URLs are filled per stage.
pub fn builtin_target(role: &str, dialect: Dialect) -> Target {
    let a = role == "csp-a";
    let (harness_token, iut_token) = if a {
        (world::TOKEN_B, world::TOKEN_A)
    } else {
        (world::TOKEN_A, world::TOKEN_B)
    };
    let (iut, harness) = if a {
        (world::PROVIDER_A, world::PROVIDER_B)
    } else {
        (world::PROVIDER_B, world::PROVIDER_A)
    };
    Target {
        name: format!("built-in cci {role} simulator ({})", dialect.name()),
        protocol: Protocol::Cci,
        role: role.into(),
        dialect,
        api_base: None,
        customer_base: None,
        trigger_base: None,
        test_base: None,
        providers: Providers {
            iut: iut.into(),
            harness: harness.into(),
            other: world::PROVIDER_OTHER.into(),
        },
        environments: world::environments(),
        unknown_environment: "env-never-offered".into(),
        customer_account: world::CUSTOMER_ACCOUNT.into(),
        other_account: "999999999999".into(),
        harness_credential: Credential::bearer(harness_token),
        iut_credential: Credential::bearer(iut_token),
        customer_credential: None,
        no_right_credential: None,
        mock_peers: BTreeMap::new(),
        peer_prefix: world::API_PREFIX.into(),
        step_timeout: Duration::from_secs(5),
        silence: Duration::from_secs(1),
        iut_peer_timeout: Duration::from_secs(1),
        key_lifetime: Duration::from_secs(3600),
        real_wait_limit: Duration::ZERO,
        bindings: BTreeMap::new(),
        secrets: vec![
            world::TOKEN_A.into(),
            world::TOKEN_B.into(),
            world::TOKEN_OTHER.into(),
        ],
    }
}

/// Starts a mock counterpart and a simulator IUT with the named faults, wired to each other.
pub async fn builtin_stage(
    role: &str,
    dialect: Dialect,
    faults: &BTreeSet<&'static str>,
    http: &HttpClient,
) -> Result<Prepared, String> {
    let mut target = builtin_target(role, dialect);
    let Counterpart { peer, issuer } = start_counterpart(&target, loopback())
        .await
        .map_err(|e| e.to_string())?;
    let mut config = SimConfig::new(role, dialect);
    config.peer_base = Some(format!("{}{}", peer.url(), world::API_PREFIX));
    config.faults = faults.iter().filter_map(|f| Fault::from_name(f)).collect();
    config.peer_timeout = target.iut_peer_timeout;
    let running = start(role, config, loopback())
        .await
        .map_err(|e| e.to_string())?;
    target.api_base = Some(format!("{}{}", running.url(), world::API_PREFIX));
    target.customer_base = Some(format!("{}/customer", running.url()));
    target.test_base = Some(format!("{}/test", running.url()));
    Ok(Prepared {
        stage: Stage::new(
            target,
            peer,
            issuer.map_or(Known::Recorder, Known::CciIssuer),
            http.clone(),
        ),
        keep_alive: Box::new(running),
    })
}
