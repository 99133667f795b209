//! Running cases: each case's mutant made by its own seeded generator (so a seed
//! replays the same cases whatever the concurrency or partition), sent with up to N in
//! flight, each answer judged, no new case drawn once the time budget is spent; a live
//! progress line on a terminal.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::time::Duration;

use tokio::time::Instant;

use futures_util::stream::{FuturesUnordered, StreamExt};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::findings::{Finding, Findings};
use crate::http::HttpClient;
use crate::profile::fuzz::{Campaign, Mutant, Problem, Rng};

/// Where the cases' results go.
#[derive(Debug, Default)]
pub struct Tally {
    /// Cases sent per class.
    pub classes: BTreeMap<&'static str, usize>,
    /// Findings in all.
    pub findings: usize,
    /// The findings, counted and sampled.
    pub kept: Findings,
}

impl Tally {
    fn record(
        &mut self,
        campaign: &dyn Campaign,
        case: usize,
        mutant: &Mutant,
        problem: Option<Problem>,
    ) {
        *self.classes.entry(mutant.class).or_default() += 1;
        if let Some(problem) = problem {
            self.findings += 1;
            let decoded = campaign.decoded(&mutant.input);
            self.kept
                .add(Finding::new(Some(case), mutant, problem, decoded));
        }
    }
}

/// A live progress line on stderr, only when stderr is a terminal.
#[derive(Debug)]
pub struct Progress(Option<ProgressBar>);

impl Progress {
    /// A progress line for `cases` cases.
    pub fn new(cases: usize) -> Self {
        if !std::io::stderr().is_terminal() {
            return Self(None);
        }
        let bar = ProgressBar::with_draw_target(Some(cases as u64), ProgressDrawTarget::stderr());
        let style =
            ProgressStyle::with_template("fuzz {bar:30} {pos}/{len} cases, {per_sec} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar());
        bar.set_style(style);
        Self(Some(bar))
    }

    fn set(&self, done: usize, findings: usize) {
        if let Some(bar) = &self.0 {
            bar.set_position(done as u64);
            bar.set_message(format!("{findings} findings"));
        }
    }

    /// Removes the line.
    pub fn finish(&self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}

/// Sends one case, timing it.
async fn one(
    campaign: &dyn Campaign,
    http: &HttpClient,
    case: usize,
    mutant: Mutant,
) -> (usize, Mutant, Option<Problem>, Duration) {
    let started = Instant::now();
    let problem = campaign.case(http, mutant.via, &mutant.input).await;
    (case, mutant, problem, started.elapsed())
}

/// Whether the time budget (if any) is spent: no new case is drawn then.
fn spent(deadline: Option<Instant>) -> bool {
    deadline.is_some_and(|d| Instant::now() >= d)
}

/// Case `case` of `seed`'s mutant.
fn mutant(campaign: &dyn Campaign, seed: u64, case: usize) -> Mutant {
    campaign.mutant(&mut Rng::for_case(seed, case))
}

/// Runs `cases` of `seed` one at a time until `deadline`, returning each one's time.
pub async fn sequential(
    campaign: &dyn Campaign,
    http: &HttpClient,
    (seed, deadline): (u64, Option<Instant>),
    cases: impl Iterator<Item = usize>,
    tally: &mut Tally,
) -> Vec<Duration> {
    let mut times = Vec::new();
    for case in cases {
        if spent(deadline) {
            break;
        }
        let mutant = mutant(campaign, seed, case);
        let (case, mutant, problem, took) = one(campaign, http, case, mutant).await;
        tally.record(campaign, case, &mutant, problem);
        times.push(took);
    }
    times
}

/// Runs `cases` of `seed` with up to `concurrency` in flight; once `deadline` has
/// passed no new case starts, and those in flight finish.
pub async fn concurrent(
    campaign: &dyn Campaign,
    http: &HttpClient,
    (seed, deadline): (u64, Option<Instant>),
    cases: impl Iterator<Item = usize>,
    concurrency: usize,
    tally: &mut Tally,
    progress: &Progress,
) {
    let mut running = FuturesUnordered::new();
    let mut done = tally.classes.values().sum::<usize>();
    for case in cases {
        if running.len() >= concurrency.max(1) {
            if let Some((c, m, p, _)) = running.next().await {
                tally.record(campaign, c, &m, p);
                done += 1;
                if done.is_multiple_of(256) {
                    progress.set(done, tally.findings);
                }
            }
        }
        if spent(deadline) {
            break;
        }
        running.push(one(campaign, http, case, mutant(campaign, seed, case)));
    }
    while let Some((c, m, p, _)) = running.next().await {
        tally.record(campaign, c, &m, p);
        done += 1;
    }
    progress.set(done, tally.findings);
}
