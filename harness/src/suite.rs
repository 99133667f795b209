//! Running scenarios: against the built-in simulators (a fresh simulator and mock peer
//! per scenario, in parallel) or against an external target (shared mock peers, one
//! scenario at a time).

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::http::printable::printable;
use crate::http::Redactor;
use crate::http::{HttpClient, TransportError};
use crate::interrupt;
use crate::mutants::{self, Mutant};
use crate::nulls::{self, NullKind, NullServer};
use crate::peers::MockPeer;
use crate::profile::target::Target;
use crate::profile::{loopback, Profile, SimError};
use crate::report::console::Observer;
use crate::report::{LateRequest, Outcome, ScenarioResult};
use crate::scenario::{run_scenario, Scenario, Stage};
use crate::transport;

/// Why a run could not be carried out at all.
#[derive(Debug, thiserror::Error)]
pub enum SuiteError {
    /// The HTTP client could not be made.
    #[error("cannot create the HTTP client: {0}")]
    Client(#[from] TransportError),
    /// The target does not say where the mock peer listens, and the IUT calls it.
    #[error("the target must say where the harness's mock {0} listens (mock_peers.{0}.listen), so the IUT can be pointed at it")]
    NoMockPeerAddress(&'static str),
    /// The mock counterpart could not start (`why` is not a `source`: its text is the
    /// whole message, so it is not repeated).
    #[error("mock_peers.{peer}.listen: {why}")]
    Counterpart {
        /// The mock peer's name.
        peer: &'static str,
        /// Why.
        why: SimError,
    },
    /// A built-in simulator could not start.
    #[error("the built-in {protocol} {role} simulator could not start: {why}")]
    Simulator {
        /// Its protocol.
        protocol: &'static str,
        /// Its role.
        role: String,
        /// Why.
        why: SimError,
    },
    /// The mock peers' TLS could not be set up (a certificate, or writing its CA).
    #[error("tls: {0}")]
    Tls(#[from] crate::tls::TlsError),
    /// A scenario task panicked or was cancelled.
    #[error("a scenario task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
}

/// One planned scenario run.
#[derive(Debug, Clone)]
pub struct Job {
    /// The scenario.
    pub scenario: Arc<Scenario>,
    /// Role of the IUT.
    pub role: String,
    /// The value on the protocol's variant axis, if it has one.
    pub variant: Option<&'static str>,
    /// Report id.
    pub id: String,
}

/// Plans built-in runs: every scenario of `roles`, in every variant it declares.
pub fn plan_builtin(scenarios: &[Arc<Scenario>], roles: &[String]) -> Vec<Job> {
    let mut jobs = Vec::new();
    let profiles: BTreeSet<&'static str> = scenarios.iter().map(|s| s.profile.name()).collect();
    for role in roles {
        for name in &profiles {
            let of_profile: Vec<&Arc<Scenario>> = scenarios
                .iter()
                .filter(|s| s.profile.name() == *name && &s.role == role)
                .collect();
            let Some(first) = of_profile.first() else {
                continue;
            };
            for variant in first.profile.variants() {
                for s in of_profile.iter().filter(|s| s.variants.contains(&variant)) {
                    jobs.push(Job {
                        scenario: Arc::clone(s),
                        role: role.clone(),
                        variant,
                        id: report_id(&s.id, variant),
                    });
                }
            }
        }
    }
    jobs
}

/// Why a `--partition K/N` is not one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PartitionError {
    /// No slash.
    #[error("`{0}` is not K/N")]
    Shape(String),
    /// K or N is not a number.
    #[error("`{0}` is not a number")]
    Number(String),
    /// Not 1 <= K <= N.
    #[error("need 1 <= K <= N, got {0}/{1}")]
    Range(usize, usize),
}

/// Parses `K/N`: run part K of N.
pub fn partition(text: &str) -> Result<(usize, usize), PartitionError> {
    let (k, n) = text
        .split_once('/')
        .ok_or_else(|| PartitionError::Shape(text.to_string()))?;
    let number = |t: &str| {
        t.parse::<usize>()
            .map_err(|_| PartitionError::Number(t.into()))
    };
    let (k, n) = (number(k)?, number(n)?);
    if n == 0 || k == 0 || k > n {
        return Err(PartitionError::Range(k, n));
    }
    Ok((k, n))
}

/// A run's id in reports: the scenario id, with the variant in brackets if any.
pub fn report_id(scenario: &str, variant: Option<&str>) -> String {
    match variant {
        Some(v) => format!("{scenario}[{v}]"),
        None => scenario.to_string(),
    }
}

fn errored(job: &Job, reason: String) -> ScenarioResult {
    ScenarioResult {
        id: job.id.clone(),
        scenario: job.scenario.id.clone(),
        title: job.scenario.title.clone(),
        protocol: job.scenario.profile.name().into(),
        role: job.role.clone(),
        variant: job.variant.map(str::to_string),
        requirements: job.scenario.requirements.clone(),
        outcome: Outcome::Errored,
        duration_ms: 0,
        reason: Some(printable(&reason).into_owned()),
        failures: vec![],
        warnings: vec![],
        exchanges: vec![],
        late_traffic: vec![],
        waiver: None,
        source: job.scenario.source.clone(),
    }
}

/// One run against fresh built-in simulators: a job, the faults or variations switched
/// on for it, and, if set, the null implementation that stands in for the simulator.
#[derive(Debug, Clone)]
pub struct BuiltinRun {
    /// What to run.
    pub job: Job,
    /// Faults and variations by name (those that do not belong to the job's role are
    /// ignored).
    pub switches: BTreeSet<&'static str>,
    /// A null implementation in the simulator's place.
    pub null: Option<NullKind>,
    /// An answer mutant in front of the simulator.
    pub mutant: Option<Arc<Mutant>>,
    /// Tell the observer only that the run ended, not what it found (under a fault,
    /// failures are the point), and keep only its verdict, not its exchanges.
    pub quiet: bool,
}

/// Runs jobs against fresh built-in simulators, `parallel` at a time, longest expected
/// first (`expected`: milliseconds by report id, e.g. from the last report; a run not
/// in it is taken to be long), with the named faults (or variations) switched on where
/// they belong, or, given a `null` kind, against a fresh null implementation in the
/// simulator's place; tells `observer` of each run as it ends; results in plan order.
pub async fn run_builtin(
    plan: Vec<Job>,
    faults: &BTreeSet<&'static str>,
    null: Option<NullKind>,
    parallel: usize,
    expected: &BTreeMap<String, u64>,
    observer: &dyn Observer,
) -> Result<Vec<ScenarioResult>, SuiteError> {
    let order = longest_first(&plan, expected);
    let runs = plan
        .into_iter()
        .map(|job| BuiltinRun {
            job,
            switches: faults.clone(),
            null,
            mutant: None,
            quiet: false,
        })
        .collect();
    run_pool(runs, &order, parallel, observer).await
}

/// The order to start `plan` in: longest expected first, so that the long runs do not
/// start last and stretch the whole; runs of equal (or unknown) length keep plan order.
pub fn longest_first(plan: &[Job], expected: &BTreeMap<String, u64>) -> Vec<usize> {
    let ids: Vec<&str> = plan.iter().map(|j| j.id.as_str()).collect();
    order_ids(&ids, expected)
}

/// Indexes of `ids`, longest expected first (unknown ones count as longest); ties keep
/// their order.
pub fn order_ids(ids: &[&str], expected: &BTreeMap<String, u64>) -> Vec<usize> {
    let mut order: Vec<usize> = (0..ids.len()).collect();
    order.sort_by_key(|i| std::cmp::Reverse(expected.get(ids[*i]).copied().unwrap_or(u64::MAX)));
    order
}

/// Runs every run in one pool, `parallel` at a time, started in `order` (indexes into
/// `runs`; those it leaves out start last, in plan order), with no barrier between
/// them; results in plan order.
pub async fn run_pool(
    runs: Vec<BuiltinRun>,
    order: &[usize],
    parallel: usize,
    observer: &dyn Observer,
) -> Result<Vec<ScenarioResult>, SuiteError> {
    let http = HttpClient::new()?;
    let gate = Arc::new(Semaphore::new(parallel.max(1)));
    let mut set = JoinSet::new();
    let quiet: Vec<bool> = runs.iter().map(|r| r.quiet).collect();
    let mut slots: Vec<Option<BuiltinRun>> = runs.into_iter().map(Some).collect();
    let mut start: Vec<usize> = order.iter().copied().filter(|i| *i < slots.len()).collect();
    start.extend(0..slots.len());
    for index in start {
        let Some(run) = slots.get_mut(index).and_then(Option::take) else {
            continue;
        };
        let gate = gate.clone();
        let http = http.clone();
        let BuiltinRun {
            job,
            switches,
            null,
            mutant,
            ..
        } = run;
        let profile: &'static dyn Profile = job.scenario.profile;
        let known = profile.faults();
        let variations = profile.variations();
        let switches: BTreeSet<&'static str> = switches
            .into_iter()
            .filter(|f| {
                known.iter().any(|k| k.name == *f && k.role == job.role)
                    || variations
                        .iter()
                        .any(|v| v.name == *f && v.role == job.role)
            })
            .collect();
        set.spawn(async move {
            let _permit = gate.acquire().await;
            if interrupt::requested().is_some() {
                // Interrupted: runs not started yet never start.
                return (index, None);
            }
            let result = match mutant {
                Some(mutant) => run_mutant(&job, &mutant, &http).await,
                None => run_one(&job, &switches, null, &http).await,
            };
            (index, Some(result))
        });
    }
    let mut results = Vec::new();
    while let Some(done) = set.join_next().await {
        let (index, result) = done?;
        let Some(mut result) = result else {
            continue;
        };
        if quiet[index] {
            observer.advanced();
            // Only the verdict of a quiet run is read; its exchanges would only hold
            // memory (a self-test keeps thousands of runs).
            result.exchanges = Vec::new();
        } else {
            observer.finished(&result);
        }
        results.push((index, result));
    }
    results.sort_by_key(|(i, _)| *i);
    Ok(results.into_iter().map(|(_, r)| r).collect())
}

async fn run_one(
    job: &Job,
    switches: &BTreeSet<&'static str>,
    null: Option<NullKind>,
    http: &HttpClient,
) -> ScenarioResult {
    let profile = job.scenario.profile;
    let started = profile
        .start_builtin(&job.role, job.variant, switches, http)
        .await;
    match (started, null) {
        (Ok(prepared), None) => run_scenario(&job.scenario, &prepared.stage, job.id.clone()).await,
        (Ok(prepared), Some(kind)) => match NullServer::start(kind).await {
            Ok(server) => {
                let _simulator = prepared.keep_alive;
                let stage = nulls::retarget(prepared.stage, server.addr());
                run_scenario(&job.scenario, &stage, job.id.clone()).await
            }
            Err(e) => errored(job, format!("could not start {}: {e}", kind.name())),
        },
        (Err(e), _) => errored(job, format!("could not start the simulator: {e}")),
    }
}

/// Runs `job` against the clean simulator behind an answer mutant.
async fn run_mutant(job: &Job, mutant: &Mutant, http: &HttpClient) -> ScenarioResult {
    let started = job
        .scenario
        .profile
        .start_builtin(&job.role, job.variant, &BTreeSet::new(), http)
        .await;
    match started {
        Ok(prepared) => match mutants::retarget(prepared.stage, mutant, http).await {
            Ok((stage, proxies)) => {
                let _simulator = prepared.keep_alive;
                let mut result = run_scenario(&job.scenario, &stage, job.id.clone()).await;
                if proxies.changed() == 0 && result.outcome == Outcome::Passed {
                    // Nothing was changed: the run says nothing about the mutant.
                    result.outcome = Outcome::Skipped;
                    result.reason = Some(format!("{} changed no answer", mutant.name()));
                }
                result
            }
            Err(e) => errored(job, format!("could not start {}: {e}", mutant.name())),
        },
        Err(e) => errored(job, format!("could not start the simulator: {e}")),
    }
}

/// Whether `scenario` runs against `target`: the target's protocol and IUT role, and a
/// variant the target has (when the protocol has a variant axis).
pub fn applies(scenario: &Scenario, target: &Target) -> bool {
    let variant = target.variant();
    scenario.profile.name() == target.profile.name()
        && scenario.role == target.role
        && scenario.variants.iter().any(|v| v.as_deref() == variant)
}

/// Runs scenarios one at a time against an external target, with the mock peer on
/// the address the target names (so the IUT can be pointed at it); tells `observer` of
/// each run as it ends. With `tls.mock_https` the mock peer serves HTTPS and its CA is
/// written (by default into `report_dir`); with `tls.require_version` every run is
/// judged on the TLS versions its connections negotiated.
pub async fn run_external(
    target: Target,
    scenarios: &[Arc<Scenario>],
    observer: &dyn Observer,
    report_dir: &std::path::Path,
) -> Result<Vec<ScenarioResult>, SuiteError> {
    let http = HttpClient::with_tls(&target.tls.client)?;
    let serving = transport::mock_serving(&target, report_dir)?;
    if let Some(ca) = &serving.ca_written {
        say!("mock peers serve HTTPS; trust their CA: {}", ca.display());
    }
    let peer_name = target.counterpart_role();
    let listen: SocketAddr = match target.mock_peers.get(peer_name) {
        Some(a) => *a,
        None if target.mock_peer_required() => {
            return Err(SuiteError::NoMockPeerAddress(peer_name));
        }
        None => {
            tracing::info!(
                "mock_peers.{peer_name} is not set: traffic the IUT sends elsewhere goes unseen"
            );
            loopback()
        }
    };
    let section = target.section.clone();
    let counterpart = crate::tls::scoped(serving.scope, section.start_counterpart(&target, listen))
        .await
        .map_err(|why| SuiteError::Counterpart {
            peer: peer_name,
            why,
        })?;
    let peer = counterpart.peer.clone();
    let applicable: Vec<&Arc<Scenario>> =
        scenarios.iter().filter(|s| applies(s, &target)).collect();
    let stage = Stage::new(target, counterpart, http);
    observer.planned(applicable.len());
    let quiet = (stage.target.quiet_between, stage.target.quiet_limit);
    let mut results: Vec<ScenarioResult> = Vec::new();
    for s in applicable {
        if interrupt::requested().is_some() {
            break;
        }
        if !results.is_empty() {
            settle(&peer, quiet, &stage.redactor, &mut results).await;
        }
        peer.begin_run(&s.id);
        let grace_over = async {
            interrupt::wait().await;
            tokio::time::sleep(interrupt::GRACE).await;
        };
        let mut result = tokio::select! {
            r = run_scenario(s, &stage, s.id.clone()) => r,
            () = grace_over => {
                let job = Job {
                    scenario: s.clone(),
                    role: stage.target.role.clone(),
                    variant: None,
                    id: s.id.clone(),
                };
                errored(&job, format!(
                    "interrupted: stopped {:.0} s after the signal, before it ended",
                    interrupt::GRACE.as_secs_f64()
                ))
            }
        };
        peer.end_run();
        transport::judge(&mut result, &stage.target, peer.name(), &peer.requests());
        observer.finished(&result);
        results.push(result);
    }
    settle(&peer, quiet, &stage.redactor, &mut results).await;
    Ok(results)
}

/// Lets the IUT fall quiet at the mock peer (bounded), then files the late traffic
/// set aside so far under the runs it came from.
async fn settle(
    peer: &MockPeer,
    (quiet, limit): (Duration, Duration),
    redactor: &Redactor,
    results: &mut [ScenarioResult],
) {
    if !peer.wait_quiet(quiet, limit).await {
        tracing::warn!(
            "the IUT did not fall quiet at the mock {} for {:.1} s within {:.1} s; going on",
            peer.name(),
            quiet.as_secs_f64(),
            limit.as_secs_f64()
        );
    }
    for late in peer.take_late() {
        let Some(owner) = results.iter_mut().find(|r| r.id == late.from) else {
            continue;
        };
        owner.late_traffic.push(LateRequest {
            peer: peer.name().to_string(),
            method: late.method,
            path: redactor.show(&late.path),
            arrived_during: late.during,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn longest_expected_runs_start_first_and_unknown_ones_before_them() {
        let ids = ["short", "long", "unknown", "middle"];
        let expected: BTreeMap<String, u64> = [("short", 10), ("long", 5000), ("middle", 700)]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect();
        let order = order_ids(&ids, &expected);
        assert_eq!(order, vec![2, 1, 3, 0]);
    }

    #[test]
    fn partitions_are_k_of_n() {
        assert_eq!(partition("2/4"), Ok((2, 4)));
        assert_eq!(partition("2"), Err(PartitionError::Shape("2".into())));
        assert_eq!(partition("a/4"), Err(PartitionError::Number("a".into())));
        assert_eq!(partition("5/4"), Err(PartitionError::Range(5, 4)));
        assert_eq!(partition("0/4"), Err(PartitionError::Range(0, 4)));
    }
}
