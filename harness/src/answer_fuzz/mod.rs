//! `crosscheck fuzz --answers`: fuzzes the answers the harness's mock peer gives an IUT
//! that calls it. Each case is a generated scenario (the protocol's template around a
//! mutant answer) run by the ordinary runner; a case that fails, and fails again when
//! run once more, is a finding, shrunk and written as a regression scenario. The valid answer runs before and after the cases
//! as the positive control.
//!
//! Modules: `mutate` (the generic mutator), `parts` (what mutants are made of), `case` (a case as a scenario), `run`
//! (where cases run), `shrink` (simpler answers), `regress` (regression files).

pub mod case;
pub mod mutate;
pub mod parts;
pub mod regress;
pub mod run;
pub mod shrink;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::fuzz::findings::{Finding, Findings, Input, Shrunk};
use crate::fuzz::{FuzzReport, Identity};
use crate::http::Redactor;
use crate::profile::{AnswerOracle, AnswerTiming, FuzzRequest, Profile};
use crate::suite::SuiteError;
use mutate::{Base, Class, Mutant};
use run::{problem, Runner};

/// Cases generated and run at a time, per run allowed at once (bounds memory: huge
/// bodies are several MB).
const CHUNK_PER_JOB: usize = 2;
/// Shrinking rounds at most per finding.
const SHRINK_ROUNDS: usize = 8;
/// What carried a mutant: the mock peer's answer to the IUT.
const VIA: &str = "mock peer answer";
/// The oracle of every case: the generated scenario's fail-closed checks.
const ORACLE: &str = "fails closed";

/// Why answer fuzzing could not run.
#[derive(Debug, thiserror::Error)]
pub enum AnswerFuzzError {
    /// The protocol has no answer oracle for the role.
    #[error(
        "{protocol} {role}: the IUT does not call the harness, or its answers cannot be fuzzed yet"
    )]
    NoOracle {
        /// Protocol.
        protocol: &'static str,
        /// Role.
        role: String,
    },
    /// A generated scenario does not load.
    #[error(transparent)]
    Case(#[from] case::CaseError),
    /// Runs could not be carried out.
    #[error(transparent)]
    Suite(#[from] SuiteError),
    /// The built-in simulator could not start.
    #[error("cannot start the simulator: {0}")]
    Sim(#[from] crate::profile::SimError),
    /// The IUT does not act on the valid answer, so the cases would prove nothing.
    #[error(
        "positive control ({when}) failed: the IUT does not act on the valid answer: {problem}"
    )]
    Control {
        /// Before or after the cases.
        when: &'static str,
        /// The failing step.
        problem: String,
    },
    /// A regression file could not be written.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

/// What an answer-fuzz run found, and where its regression files are.
#[derive(Debug, Clone)]
pub struct AnswerRun {
    /// Findings, the first of each class shrunk.
    pub report: FuzzReport,
    /// Regression scenarios written.
    pub regressions: Vec<PathBuf>,
    /// Cases that failed once and passed when run again (a slow machine, or an IUT
    /// that fails now and then): shown, not counted as findings.
    pub unconfirmed: Vec<Finding>,
}

/// A finding of case `case`: `mutant`, and the failing step `problem`.
fn finding(case: usize, mutant: &Mutant, problem: String) -> Finding {
    Finding {
        case: Some(case),
        via: VIA,
        class: mutant.class.name(),
        label: mutant.label.clone(),
        oracle: ORACLE,
        problem,
        input: Input::new(case::answer_yaml(&mutant.answer).into_bytes(), None),
        shrunk: None,
        regression: None,
    }
}

/// Failed cases (number, mutant, problem): confirmed by a second run, and not.
type Confirmed = (Vec<(usize, Mutant, String)>, Vec<(usize, Mutant, String)>);

/// One fuzzing run: the oracle, the runner and the answers' base.
struct Fuzzing<'a> {
    oracle: &'static dyn AnswerOracle,
    runner: Runner<'a>,
    base: Base,
    timing: AnswerTiming,
    prefix: String,
    redactor: Redactor,
}

impl Fuzzing<'_> {
    /// Runs each mutant's scenario; the problem of each that failed.
    async fn try_all(
        &self,
        mutants: &[(String, Mutant)],
    ) -> Result<Vec<Option<String>>, AnswerFuzzError> {
        let mut scenarios = Vec::with_capacity(mutants.len());
        for (id, m) in mutants {
            let text = self.text(id, m, false);
            scenarios.push(case::load(&text, id)?);
        }
        let results = self.runner.run(scenarios).await?;
        Ok(results
            .iter()
            .map(|r| problem(r).map(|p| self.redactor.redact(&p)))
            .collect())
    }

    fn text(&self, id: &str, m: &Mutant, control: bool) -> String {
        let label = format!("{}: {}", m.class.name(), m.label);
        case::scenario_text(self.oracle, id, &label, &m.answer, control, self.timing)
    }

    async fn control(&self, when: &'static str) -> Result<(), AnswerFuzzError> {
        let valid = Mutant {
            class: Class::Status,
            label: "the valid answer".into(),
            answer: self.base.valid.clone(),
        };
        let id = format!("{}-control-{when}", self.prefix);
        let scenario = case::load(&self.text(&id, &valid, true), &id)?;
        let results = self.runner.run(vec![scenario]).await?;
        match results.first().and_then(problem) {
            None => Ok(()),
            Some(problem) => Err(AnswerFuzzError::Control {
                when,
                problem: self.redactor.redact(&problem),
            }),
        }
    }

    /// Runs the failed cases once more, `chunk` at a time: those that fail again, and
    /// those that passed.
    async fn confirm(
        &self,
        failed: Vec<(usize, Mutant, String)>,
        chunk: usize,
    ) -> Result<Confirmed, AnswerFuzzError> {
        let (mut again, mut passed) = (Vec::new(), Vec::new());
        let mut rest = failed.into_iter().peekable();
        while rest.peek().is_some() {
            let batch: Vec<(usize, Mutant, String)> = rest.by_ref().take(chunk).collect();
            let mutants: Vec<(String, Mutant)> = batch
                .iter()
                .map(|(i, m, _)| (format!("{}-c{i}-again", self.prefix), m.clone()))
                .collect();
            let problems = self.try_all(&mutants).await?;
            for ((i, m, first), second) in batch.into_iter().zip(problems) {
                match second {
                    Some(p) => again.push((i, m, p)),
                    None => passed.push((i, m, first)),
                }
            }
        }
        Ok((again, passed))
    }

    /// The smallest answer of `m`'s class that still fails, with its problem and the
    /// candidates tried.
    async fn shrink(
        &self,
        mut m: Mutant,
        mut why: String,
    ) -> Result<(Mutant, String, usize), AnswerFuzzError> {
        let mut tried = 0;
        for round in 0..SHRINK_ROUNDS {
            let candidates: Vec<(String, Mutant)> = shrink::candidates(&self.base, &m)
                .into_iter()
                .filter(|c| !self.oracle.acts_on(&c.answer, &self.timing))
                .enumerate()
                .map(|(i, c)| (format!("{}-shrink-{round}-{i}", self.prefix), c))
                .collect();
            if candidates.is_empty() {
                break;
            }
            tried += candidates.len();
            let problems = self.try_all(&candidates).await?;
            let smallest = candidates
                .into_iter()
                .zip(problems)
                .filter_map(|((_, c), p)| p.map(|p| (c, p)))
                .min_by_key(|(c, _)| shrink::weight(c));
            match smallest {
                Some((c, p)) if shrink::weight(&c) <= shrink::weight(&m) => {
                    m = c;
                    why = p;
                }
                _ => break,
            }
        }
        Ok((m, why, tried))
    }
}

/// Fuzzes the answers `profile`'s mock peer gives the IUT `request` names with `cases`
/// mutants from `seed`, `jobs` runs at once against the built-in simulator (one at a
/// time against a target), no new chunk of cases started once `max_seconds` of wall
/// time have passed; writes the regression files into `report_dir/regressions/`.
pub async fn fuzz_answers(
    profile: &'static dyn Profile,
    request: &FuzzRequest<'_>,
    (cases, seed, max_seconds): (usize, u64, Option<u64>),
    jobs: usize,
    report_dir: &Path,
) -> Result<AnswerRun, AnswerFuzzError> {
    let oracle = profile
        .answer_oracle(request.role)
        .ok_or_else(|| AnswerFuzzError::NoOracle {
            protocol: profile.name(),
            role: request.role.to_string(),
        })?;
    let runner = Runner {
        profile,
        role: request.role.to_string(),
        target: request.target,
        faults: request.faults.clone(),
        parallel: jobs.max(1),
        report_dir,
    };
    let chunk = CHUNK_PER_JOB * jobs.max(1);
    let timing = runner.timing().await?;
    let fuzzing = Fuzzing {
        oracle,
        base: Base::of(oracle, timing),
        timing,
        prefix: format!("answer-fuzz-{}-{}-s{}", profile.name(), request.role, seed),
        redactor: Redactor::new(
            request
                .target
                .map(|t| t.secrets.clone())
                .unwrap_or_default(),
        ),
        runner,
    };
    fuzzing.control("before").await?;
    // Wall time, not tokio's: built-in cases run on virtual time, and the rate and
    // the time budget are about the wall clock.
    let started = std::time::Instant::now();
    let budget = max_seconds.map(std::time::Duration::from_secs);
    let mut classes: std::collections::BTreeMap<&'static str, usize> = Default::default();
    let mut failed: Vec<(usize, Mutant, String)> = Vec::new();
    let mut next = 0;
    while next < cases {
        if budget.is_some_and(|b| started.elapsed() >= b) {
            break;
        }
        let upto = (next + chunk).min(cases);
        let mutants: Vec<(String, Mutant)> = (next..upto)
            .map(|i| {
                let m = mutate::mutant(&fuzzing.base, oracle, seed, i);
                *classes.entry(m.class.name()).or_default() += 1;
                (format!("{}-c{i}", fuzzing.prefix), m)
            })
            .collect();
        let problems = fuzzing.try_all(&mutants).await?;
        for (i, ((_, m), p)) in (next..upto).zip(mutants.into_iter().zip(problems)) {
            if let Some(p) = p {
                failed.push((i, m, p));
            }
        }
        next = upto;
    }
    let elapsed = started.elapsed();
    let (failed, passed) = fuzzing.confirm(failed, chunk).await?;
    fuzzing.control("after").await?;
    let unconfirmed = passed
        .into_iter()
        .map(|(i, m, p)| finding(i, &m, p))
        .collect();
    let mut findings = Findings::default();
    let mut count = 0;
    let mut regressions = Vec::new();
    let mut shrunk: BTreeSet<Class> = BTreeSet::new();
    for (i, m, p) in failed {
        count += 1;
        let mut found = finding(i, &m, p.clone());
        if shrunk.insert(m.class) {
            let (small, why, tried) = fuzzing.shrink(m, p).await?;
            let id = format!("{}-c{i}", fuzzing.prefix);
            let text = fuzzing.text(&id, &small, false);
            let path = regress::write(report_dir, &id, &text, seed, i)?;
            found.shrunk = Some(Shrunk {
                input: Input::new(case::answer_yaml(&small.answer).into_bytes(), None),
                problem: why,
                steps: tried,
            });
            found.regression = Some(path.display().to_string());
            regressions.push(path);
        }
        findings.add(found);
    }
    let seconds = elapsed.as_secs_f64();
    Ok(AnswerRun {
        report: FuzzReport {
            title: format!(
                "answers of the mock peer to the {} {}",
                profile.name(),
                request.role
            ),
            campaign: Identity::default(),
            seed,
            cases,
            cases_done: next,
            partition: None,
            max_seconds,
            time_budget_ended: next < cases,
            concurrency: jobs.max(1),
            connections: "one scenario run per case".into(),
            duration_ms: u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX),
            cases_per_second: if seconds > 0.0 {
                next as f64 / seconds
            } else {
                0.0
            },
            classes,
            findings: count,
            groups: findings.into_groups(),
        },
        regressions,
        unconfirmed,
    })
}
