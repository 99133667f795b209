//! The fuzz engine: runs a protocol's [`Campaign`] (positive control, seeded mutants
//! with N in flight over a connection policy, the untouched input once more), shrinks
//! every kept finding, and reports. It names no protocol: everything protocol-specific
//! comes through the campaign.

pub mod connection;
pub mod files;
pub mod findings;
pub mod merge;
pub mod names;
pub mod plan;
pub mod pool;
pub mod shrink;

use futures_util::stream::{self, StreamExt};
use tokio::time::Instant;

pub use connection::Policy;
pub use findings::{FuzzReport, Identity};
pub use plan::Plan;

use crate::http::HttpClient;
use crate::profile::fuzz::{Campaign, FuzzError, Mutant};
use connection::Clients;
use findings::{Finding, Shrunk};
use pool::{Progress, Tally};

/// Requests in flight by default (`--concurrency`).
pub const DEFAULT_CONCURRENCY: usize = 8;

/// How a campaign is run.
#[derive(Debug, Clone)]
pub struct Options {
    /// The cases to make: all of `--cases`, or one part of them.
    pub plan: Plan,
    /// The seed.
    pub seed: u64,
    /// The time budget: no new case starts once it is spent (`--max-seconds`).
    pub max_seconds: Option<u64>,
    /// What is fuzzed, as the report records it for a merge.
    pub identity: Identity,
    /// Requests in flight at once.
    pub concurrency: usize,
    /// The connection policy.
    pub connections: Policy,
    /// Whether to shrink findings.
    pub shrink: bool,
}

/// Runs `campaign`: the positive control, the mutants, the untouched input again, and
/// shrinking. The report's findings are bounded (counted in full, sampled per class).
pub async fn run(campaign: &dyn Campaign, options: Options) -> Result<FuzzReport, FuzzError> {
    let clients = Clients::new().map_err(|e| FuzzError(e.to_string()))?;
    campaign.control(&clients.keep_alive).await?;
    let mut tally = Tally::default();
    let planned = options.plan.len();
    let progress = Progress::new(planned);
    let started = Instant::now();
    let deadline = options
        .max_seconds
        .map(|s| started + std::time::Duration::from_secs(s));
    let clock = (options.seed, deadline);
    // The part's own cases, in order: `auto`'s probes are its first ones.
    let mut cases = options.plan.numbers();
    let (fresh, connections) = match options.connections {
        Policy::KeepAlive => (false, Policy::KeepAlive.name().to_string()),
        Policy::Fresh => (true, Policy::Fresh.name().to_string()),
        Policy::Auto => {
            let probes = connection::PROBES.min(planned / 2);
            let mut reused = pool::sequential(
                campaign,
                &clients.keep_alive,
                clock,
                cases.by_ref().take(probes),
                &mut tally,
            )
            .await;
            let mut fresh = pool::sequential(
                campaign,
                &clients.fresh,
                clock,
                cases.by_ref().take(probes),
                &mut tally,
            )
            .await;
            if probes == 0 || fresh.is_empty() {
                (
                    false,
                    "auto: keep-alive (too few cases to measure)".to_string(),
                )
            } else {
                // The first reused-client case opened its connection: not a reuse.
                connection::choose(reused.get_mut(1..).unwrap_or_default(), &mut fresh)
            }
        }
    };
    let http = clients.for_choice(fresh);
    pool::concurrent(
        campaign,
        http,
        clock,
        cases,
        options.concurrency,
        &mut tally,
        &progress,
    )
    .await;
    let elapsed = started.elapsed();
    let cases_done = tally.classes.values().sum();
    progress.finish();
    if let Some(problem) = campaign.after(&clients.keep_alive).await {
        tally.findings += 1;
        let untouched = Mutant {
            class: "none (the untouched input)",
            label: "the untouched input, after the mutants".into(),
            via: "after",
            input: Vec::new(),
        };
        tally
            .kept
            .add(Finding::new(None, &untouched, problem, None));
    }
    let mut groups = tally.kept.into_groups();
    if options.shrink {
        // Findings shrink side by side, `concurrency` at a time (each one's candidates in
        // order, so the result does not depend on timing): an oracle that waits for the
        // IUT to settle makes every failing candidate slow.
        let mut found: Vec<&mut Finding> = groups
            .iter_mut()
            .flat_map(|g| g.kept.iter_mut())
            .filter(|f| f.case.is_some())
            .collect();
        let shrunk: Vec<Option<Shrunk>> =
            stream::iter(found.iter().map(|f| shrink_one(campaign, http, f)))
                .buffered(options.concurrency.max(1))
                .collect()
                .await;
        for (f, s) in found.iter_mut().zip(shrunk) {
            f.shrunk = s;
        }
    }
    Ok(FuzzReport {
        title: campaign.title(),
        campaign: options.identity,
        seed: options.seed,
        cases: options.plan.cases,
        cases_done,
        partition: options.plan.part,
        max_seconds: options.max_seconds,
        time_budget_ended: cases_done < planned,
        concurrency: options.concurrency,
        connections,
        duration_ms: elapsed.as_millis() as u64,
        cases_per_second: cases_done as f64 / elapsed.as_secs_f64().max(1e-9),
        classes: tally.classes,
        findings: tally.findings,
        groups,
    })
}

/// Shrinks one finding: candidates that still fail the same oracle.
async fn shrink_one(campaign: &dyn Campaign, http: &HttpClient, f: &Finding) -> Option<Shrunk> {
    let (via, oracle) = (f.via, f.oracle);
    let (input, problem, steps) = shrink::shrink(
        f.input.raw.clone(),
        |i| campaign.shrink(via, i),
        |candidate| async move {
            campaign
                .case(http, via, &candidate)
                .await
                .filter(|p| p.oracle == oracle)
                .map(|p| p.detail)
        },
        shrink::MAX_STEPS,
    )
    .await;
    let problem = problem?;
    let decoded = campaign.decoded(&input);
    Some(Shrunk {
        input: findings::Input::new(input, decoded),
        problem,
        steps,
    })
}
