//! Running scenarios: against the built-in simulators (a fresh simulator and mock peer
//! per scenario, in parallel) or against an external target (shared mock peers, one
//! scenario at a time).

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::http::{HttpClient, Redactor};
use crate::protocols::cci::faults::Fault;
use crate::protocols::cci::key::Dialect;
use crate::protocols::cci::sim::{
    self, counterpart_role, start_counterpart, Counterpart, RunningSim,
};
use crate::protocols::cci::world::{self, SimConfig};
use crate::protocols::Protocol;
use crate::report::{Outcome, ScenarioResult};
use crate::scenario::{run_scenario, Scenario, Stage};
use crate::target::{Credential, Providers, Target};

/// What a scenario runs against: which IUT, and for the built-in one, which faults.
#[derive(Debug, Clone)]
pub enum Iut {
    /// A reference simulator started per scenario.
    BuiltIn {
        /// Faults to switch on.
        faults: BTreeSet<Fault>,
    },
    /// An implementation described by a target file.
    External,
}

/// The target for a built-in simulator of `role`; its URLs are filled per stage.
pub fn builtin_target(role: &str, dialect: Dialect) -> Target {
    let (harness_token, iut_token) = if role == "csp-a" {
        (world::TOKEN_B, world::TOKEN_A)
    } else {
        (world::TOKEN_A, world::TOKEN_B)
    };
    let (iut, harness) = if role == "csp-a" {
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

/// A stage plus the built-in simulator it keeps alive.
pub struct Prepared {
    /// The stage.
    pub stage: Stage,
    _sim: Option<RunningSim>,
}

fn loopback() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

/// Starts a mock counterpart and a simulator IUT with `faults`, wired to each other.
pub async fn builtin_stage(
    role: &str,
    dialect: Dialect,
    faults: &BTreeSet<Fault>,
    http: &HttpClient,
) -> Result<Prepared, String> {
    let mut target = builtin_target(role, dialect);
    let Counterpart { peer, issuer } = start_counterpart(&target, loopback())
        .await
        .map_err(|e| e.to_string())?;
    let mut config = SimConfig::new(role, dialect);
    config.peer_base = Some(format!("{}{}", peer.url(), world::API_PREFIX));
    config.faults = faults.clone();
    config.peer_timeout = target.iut_peer_timeout;
    let running = sim::start(role, config, loopback())
        .await
        .map_err(|e| e.to_string())?;
    target.api_base = Some(running.api_base(world::API_PREFIX));
    target.customer_base = Some(running.customer_base());
    target.test_base = Some(running.test_base());
    let redactor = Redactor::new(target.secrets.clone());
    Ok(Prepared {
        stage: Stage {
            peers: BTreeMap::from([(peer.name().to_string(), peer)]),
            target: Arc::new(target),
            issuer,
            http: http.clone(),
            redactor,
        },
        _sim: Some(running),
    })
}

/// One planned scenario run.
#[derive(Debug, Clone)]
pub struct Job {
    /// The scenario.
    pub scenario: Arc<Scenario>,
    /// Role of the IUT.
    pub role: String,
    /// Dialect.
    pub dialect: Dialect,
    /// Report id.
    pub id: String,
}

/// Plans built-in runs: every scenario in every dialect it declares.
pub fn plan_builtin(scenarios: &[Arc<Scenario>], roles: &[String]) -> Vec<Job> {
    let mut jobs = Vec::new();
    for role in roles {
        for dialect in Dialect::ALL {
            for s in scenarios
                .iter()
                .filter(|s| &s.role == role && s.dialects.contains(&dialect))
            {
                jobs.push(Job {
                    scenario: s.clone(),
                    role: role.clone(),
                    dialect,
                    id: format!("{}[{}]", s.id, dialect.name()),
                });
            }
        }
    }
    jobs
}

fn errored(job: &Job, reason: String) -> ScenarioResult {
    ScenarioResult {
        id: job.id.clone(),
        scenario: job.scenario.id.clone(),
        title: job.scenario.title.clone(),
        protocol: job.scenario.protocol.name().into(),
        role: job.role.clone(),
        dialect: job.dialect.name().into(),
        requirements: job.scenario.requirements.clone(),
        outcome: Outcome::Errored,
        duration_ms: 0,
        reason: Some(reason),
        failures: vec![],
        warnings: vec![],
        exchanges: vec![],
        source: job.scenario.source.clone(),
    }
}

/// Runs jobs against fresh built-in simulators, `jobs` at a time; results in plan order.
pub async fn run_builtin(
    plan: Vec<Job>,
    faults: &BTreeSet<Fault>,
    parallel: usize,
) -> Result<Vec<ScenarioResult>, String> {
    let http = HttpClient::new().map_err(|e| e.to_string())?;
    let gate = Arc::new(Semaphore::new(parallel.max(1)));
    let mut set = JoinSet::new();
    for (index, job) in plan.into_iter().enumerate() {
        let gate = gate.clone();
        let http = http.clone();
        let faults: BTreeSet<Fault> = faults
            .iter()
            .copied()
            .filter(|f| f.role() == job.role)
            .collect();
        set.spawn(async move {
            let _permit = gate.acquire().await;
            let result = match builtin_stage(&job.role, job.dialect, &faults, &http).await {
                Ok(prepared) => run_scenario(&job.scenario, &prepared.stage, job.id.clone()).await,
                Err(e) => errored(&job, format!("could not start the simulator: {e}")),
            };
            (index, result)
        });
    }
    let mut results = Vec::new();
    while let Some(done) = set.join_next().await {
        match done {
            Ok(r) => results.push(r),
            Err(e) => return Err(format!("a scenario task failed: {e}")),
        }
    }
    results.sort_by_key(|(i, _)| *i);
    Ok(results.into_iter().map(|(_, r)| r).collect())
}

/// Runs scenarios one at a time against an external target, with the mock peer on
/// the address the target names (so the IUT can be pointed at it).
pub async fn run_external(
    target: Target,
    scenarios: &[Arc<Scenario>],
) -> Result<Vec<ScenarioResult>, String> {
    let http = HttpClient::new().map_err(|e| e.to_string())?;
    let peer_name = counterpart_role(&target);
    let listen = match target.mock_peers.get(peer_name) {
        Some(a) => *a,
        None if target.role == "csp-b" => {
            return Err(format!(
                "the target must say where the harness's mock {peer_name} listens (mock_peers.{peer_name}.listen), so the IUT can be pointed at it"
            ))
        }
        None => {
            tracing::warn!("mock_peers.{peer_name} is not set: CCI-A-05 cannot see traffic the IUT sends elsewhere");
            loopback()
        }
    };
    let Counterpart { peer, issuer } = start_counterpart(&target, listen)
        .await
        .map_err(|e| e.to_string())?;
    let redactor = Redactor::new(target.secrets.clone());
    let dialect = target.dialect;
    let stage = Stage {
        peers: BTreeMap::from([(peer.name().to_string(), peer.clone())]),
        target: Arc::new(target),
        issuer,
        http,
        redactor,
    };
    let mut results = Vec::new();
    for s in scenarios
        .iter()
        .filter(|s| s.role == stage.target.role && s.dialects.contains(&dialect))
    {
        peer.reset();
        results.push(run_scenario(s, &stage, s.id.clone()).await);
    }
    Ok(results)
}
