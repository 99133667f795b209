//! The fuzz engine: runs a protocol's [`Campaign`] (positive control, seeded mutants
//! with N in flight over a connection policy, the untouched input once more), shrinks
//! every kept finding, and reports. It names no protocol: everything protocol-specific
//! comes through the campaign.

pub mod connection;
pub mod files;
pub mod findings;
pub mod pool;
pub mod shrink;

use futures_util::stream::{self, StreamExt};
use tokio::time::Instant;

pub use connection::Policy;
pub use findings::FuzzReport;

use crate::http::HttpClient;
use crate::profile::fuzz::{Campaign, FuzzError, Mutant, Rng};
use connection::Clients;
use findings::{Finding, Shrunk};
use pool::{Progress, Tally};

/// Requests in flight by default (`--concurrency`).
pub const DEFAULT_CONCURRENCY: usize = 8;

/// How a campaign is run.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Mutants to send.
    pub cases: usize,
    /// The seed.
    pub seed: u64,
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
    let mut rng = Rng::new(options.seed);
    let mut tally = Tally::default();
    let progress = Progress::new(options.cases);
    let started = Instant::now();
    let mut next = 0;
    let (fresh, connections) = match options.connections {
        Policy::KeepAlive => (false, Policy::KeepAlive.name().to_string()),
        Policy::Fresh => (true, Policy::Fresh.name().to_string()),
        Policy::Auto => {
            let probes = connection::PROBES.min(options.cases / 2);
            let mut reused = pool::sequential(
                campaign,
                &clients.keep_alive,
                &mut rng,
                0..probes,
                &mut tally,
            )
            .await;
            let mut fresh = pool::sequential(
                campaign,
                &clients.fresh,
                &mut rng,
                probes..2 * probes,
                &mut tally,
            )
            .await;
            next = 2 * probes;
            if probes == 0 {
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
        &mut rng,
        next..options.cases,
        options.concurrency,
        &mut tally,
        &progress,
    )
    .await;
    let elapsed = started.elapsed();
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
        seed: options.seed,
        cases: options.cases,
        concurrency: options.concurrency,
        connections,
        duration_ms: elapsed.as_millis() as u64,
        cases_per_second: options.cases as f64 / elapsed.as_secs_f64().max(1e-9),
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
