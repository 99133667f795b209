//! Starting the ONAPI reference simulators, as IUTs or as the harness's mock peers.

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;

use super::co::CoSim;
use super::config::{OnapiConfig, TOKEN_CO, TOKEN_NO_RIGHT};
use super::fault::Fault;
use super::sp::SpSim;
use crate::clock::TestClock;
use crate::http::HttpClient;
use crate::peers::{Behaviour, MockPeer, PeerReply};
use crate::protocols::cci::key::Dialect;
use crate::protocols::FaultTable;
use crate::protocols::{Counterpart, Protocol};
use crate::scenario::Stage;
use crate::suite::{loopback, Prepared};
use crate::target::{Credential, Providers, Target};

/// A running simulator (dropping it stops it).
pub type RunningSim = crate::server::Served;

/// Starts the simulator for `role` (`sp` or `co`) on `listen`.
pub async fn start(
    role: &str,
    config: OnapiConfig,
    listen: SocketAddr,
) -> Result<RunningSim, String> {
    let clock = TestClock::new();
    let app = if role == "sp" {
        Arc::new(SpSim::new(config, clock)).router()
    } else {
        Arc::new(CoSim::new(config, clock).map_err(|e| e.to_string())?).router()
    };
    crate::server::serve(app, listen, "onapi simulator")
        .await
        .map_err(|e| format!("cannot listen on {listen}: {e}"))
}

/// Starts the harness's counterpart on `listen`: a recorder when the IUT is the SP
/// (nobody calls the CO during a notice), the reference SP when the IUT is the CO.
pub async fn start_counterpart(
    target: &Target,
    listen: SocketAddr,
) -> Result<Arc<MockPeer>, String> {
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
    MockPeer::start(
        target.protocol.counterpart_role(&target.role),
        listen,
        behaviour,
    )
    .await
    .map(Arc::new)
    .map_err(|e| format!("cannot listen on {listen}: {e}"))
}

/// The target for a built-in simulator of `role`; its URLs are filled per stage.
pub fn builtin_target(role: &str) -> Target {
    Target {
        name: format!("built-in onapi {role} simulator"),
        protocol: Protocol::Onapi,
        role: role.into(),
        dialect: Dialect::Seed,
        api_base: None,
        customer_base: None,
        trigger_base: None,
        test_base: None,
        providers: Providers {
            iut: role.into(),
            harness: Protocol::Onapi.counterpart_role(role).into(),
            other: "other".into(),
        },
        environments: Vec::new(),
        unknown_environment: String::new(),
        customer_account: String::new(),
        other_account: String::new(),
        harness_credential: Credential::bearer(TOKEN_CO),
        iut_credential: Credential::bearer(TOKEN_CO),
        customer_credential: None,
        no_right_credential: Some(Credential::bearer(TOKEN_NO_RIGHT)),
        mock_peers: BTreeMap::new(),
        peer_prefix: String::new(),
        step_timeout: Duration::from_secs(5),
        silence: Duration::from_secs(1),
        iut_peer_timeout: Duration::from_secs(2),
        key_lifetime: Duration::from_secs(3600),
        real_wait_limit: Duration::ZERO,
        bindings: BTreeMap::new(),
        secrets: vec![TOKEN_CO.into(), TOKEN_NO_RIGHT.into()],
    }
}

/// Starts a mock counterpart and a simulator IUT with the named faults, wired together.
pub async fn builtin_stage(
    role: &str,
    faults: &BTreeSet<&'static str>,
    http: &HttpClient,
) -> Result<Prepared, String> {
    let mut target = builtin_target(role);
    let peer = start_counterpart(&target, loopback()).await?;
    let mut config = OnapiConfig::new();
    config.faults = faults.iter().filter_map(|f| Fault::from_name(f)).collect();
    config.sp_base = peer.url();
    let running = start(role, config, loopback()).await?;
    let base = format!("http://{}", running.addr);
    if role == "sp" {
        target.api_base = Some(base.clone());
    } else {
        target.trigger_base = Some(format!("{base}/trigger"));
    }
    target.test_base = Some(format!("{base}/test"));
    Ok(Prepared {
        stage: Stage::new(target, peer, Counterpart::Recorder, http.clone()),
        keep_alive: Box::new(running),
    })
}
