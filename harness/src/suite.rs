//! Running scenarios: against the built-in simulators (a fresh simulator and mock peer
//! per scenario, in parallel) or against an external target (shared mock peers, one
//! scenario at a time).

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::Arc;

use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::http::HttpClient;
use crate::protocols::cci::key::Dialect;
use crate::protocols::{cci, onapi, Counterpart, Protocol};
use crate::report::{Outcome, ScenarioResult};
use crate::scenario::{run_scenario, Scenario, Stage};
use crate::target::Target;

/// A stage plus whatever keeps its built-in simulator alive.
pub struct Prepared {
    /// The stage.
    pub stage: Stage,
    /// The running simulator (dropping it stops it).
    pub keep_alive: Box<dyn std::any::Any + Send + Sync>,
}

/// The loopback address with an ephemeral port.
pub fn loopback() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

/// Starts a mock counterpart and a simulator IUT with `faults`, wired to each other.
pub async fn builtin_stage(
    protocol: Protocol,
    role: &str,
    dialect: Dialect,
    faults: &BTreeSet<&'static str>,
    http: &HttpClient,
) -> Result<Prepared, String> {
    match protocol {
        Protocol::Cci => cci::sim::builtin_stage(role, dialect, faults, http).await,
        Protocol::Onapi => onapi::stage::builtin_stage(role, faults, http).await,
    }
}

/// Starts the mock counterpart of an external target on `listen`.
async fn external_counterpart(
    target: &Target,
    listen: SocketAddr,
) -> Result<(Arc<crate::peers::MockPeer>, Counterpart), String> {
    match target.protocol {
        Protocol::Cci => cci::sim::start_counterpart(target, listen)
            .await
            .map(|c| {
                (
                    c.peer,
                    c.issuer
                        .map_or(Counterpart::Recorder, Counterpart::CciIssuer),
                )
            })
            .map_err(|e| e.to_string()),
        Protocol::Onapi => onapi::stage::start_counterpart(target, listen)
            .await
            .map(|peer| (peer, Counterpart::Recorder)),
    }
}

/// The name of the mock peer for a target: the role the harness plays.
pub fn counterpart_role(target: &Target) -> &'static str {
    target.protocol.counterpart_role(&target.role)
}

/// One planned scenario run.
#[derive(Debug, Clone)]
pub struct Job {
    /// The scenario.
    pub scenario: Arc<Scenario>,
    /// Role of the IUT.
    pub role: String,
    /// Dialect (a placeholder for protocols without dialects).
    pub dialect: Dialect,
    /// Report id.
    pub id: String,
}

/// Plans built-in runs: every scenario of `roles`, in every dialect it declares.
pub fn plan_builtin(scenarios: &[Arc<Scenario>], roles: &[String]) -> Vec<Job> {
    let mut jobs = Vec::new();
    for role in roles {
        for dialect in Dialect::ALL {
            for s in scenarios
                .iter()
                .filter(|s| &s.role == role && s.dialects.contains(&dialect))
            {
                let id = if s.protocol.has_dialects() {
                    format!("{}[{}]", s.id, dialect.name())
                } else {
                    s.id.clone()
                };
                jobs.push(Job {
                    scenario: s.clone(),
                    role: role.clone(),
                    dialect,
                    id,
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

/// Runs jobs against fresh built-in simulators, `parallel` at a time, with the named
/// faults switched on where they belong; results in plan order.
pub async fn run_builtin(
    plan: Vec<Job>,
    faults: &BTreeSet<&'static str>,
    parallel: usize,
) -> Result<Vec<ScenarioResult>, String> {
    let http = HttpClient::new().map_err(|e| e.to_string())?;
    let gate = Arc::new(Semaphore::new(parallel.max(1)));
    let mut set = JoinSet::new();
    for (index, job) in plan.into_iter().enumerate() {
        let gate = gate.clone();
        let http = http.clone();
        let protocol = job.scenario.protocol;
        let known = protocol.faults();
        let faults: BTreeSet<&'static str> = faults
            .iter()
            .copied()
            .filter(|f| known.iter().any(|k| k.name == *f && k.role == job.role))
            .collect();
        set.spawn(async move {
            let _permit = gate.acquire().await;
            let result = match builtin_stage(protocol, &job.role, job.dialect, &faults, &http).await
            {
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
        None if target.mock_peer_required() => {
            return Err(format!(
                "the target must say where the harness's mock {peer_name} listens (mock_peers.{peer_name}.listen), so the IUT can be pointed at it"
            ))
        }
        None => {
            if target.protocol == Protocol::Cci {
                tracing::warn!("mock_peers.{peer_name} is not set: traffic the IUT sends elsewhere goes unseen");
            }
            loopback()
        }
    };
    let (peer, counterpart) = external_counterpart(&target, listen).await?;
    let dialect = target.dialect;
    let has_dialects = target.protocol.has_dialects();
    let stage = Stage::new(target, peer.clone(), counterpart, http);
    let mut results = Vec::new();
    for s in scenarios.iter().filter(|s| {
        s.protocol == stage.target.protocol
            && s.role == stage.target.role
            && (!has_dialects || s.dialects.contains(&dialect))
    }) {
        peer.reset();
        results.push(run_scenario(s, &stage, s.id.clone()).await);
    }
    Ok(results)
}
