//! What the self-test found, and its table for the terminal.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use super::proof::CheckProof;
use crate::profile::FaultInfo;
use crate::report::ScenarioResult;

/// What the self-test found.
#[derive(Debug, Clone, Default)]
pub struct KillMatrix {
    /// Clean runs that did not pass.
    pub clean_failures: Vec<ScenarioResult>,
    /// Clean runs in all.
    pub clean_runs: usize,
    /// Clean runs skipped with a reason that pass under a legal variation (what the
    /// reference does not let them show, the variation does).
    pub clean_skips: Vec<CleanSkip>,
    /// Fault name → report ids of the runs it failed.
    pub kills: BTreeMap<&'static str, Vec<String>>,
    /// Fault name → what the fault is (its protocol, role and the requirement it breaks).
    pub fault_infos: BTreeMap<&'static str, FaultInfo>,
    /// Scenario id → faults it killed.
    pub by_scenario: BTreeMap<String, BTreeSet<&'static str>>,
    /// Null implementation → report ids of the runs that did not fail or error on it.
    pub null_survivors: BTreeMap<&'static str, Vec<String>>,
    /// Runs against null implementations, in all.
    pub null_runs: usize,
    /// `protocol/role/variation` → runs that did not pass cleanly under it.
    pub variation_failures: BTreeMap<String, Vec<ScenarioResult>>,
    /// `protocol/role/variation` → runs skipped under it (the varied target lacks
    /// what they need), with the reason.
    pub variation_skips: BTreeMap<String, Vec<(String, String)>>,
    /// `protocol/role` → answer mutant → how it fared there.
    pub mutants: BTreeMap<String, BTreeMap<String, MutantScore>>,
    /// Every check of the suite and what proved it.
    pub checks: Vec<CheckProof>,
    /// Every run's verdict, in plan order: what a real-time and a virtual-time
    /// self-test must agree on.
    pub verdicts: Vec<Verdict>,
}

/// How one answer mutant fared against one protocol and role.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct MutantScore {
    /// Whether it changed any answer there (a mutant that changes nothing is not
    /// one for that role).
    pub applies: bool,
    /// The runs that did not pass cleanly under it.
    pub killed_by: Vec<String>,
    /// Why surviving is legal, when the protocol leaves free what it changes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub legal: Option<&'static str>,
}

/// A clean run that was skipped, and the legal variations under which it passed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CleanSkip {
    /// The run's report id.
    pub run: String,
    /// Why it was skipped on the clean simulators.
    pub why: String,
    /// `protocol/role/variation` of each variation it passed under.
    pub passes_under: Vec<String>,
}

/// One run's verdict in the matrix.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Verdict {
    /// The column: `clean`, `fault:NAME`, `variation:PROTOCOL/ROLE/NAME` or `null:NAME`.
    pub cell: String,
    /// The run's report id.
    pub run: String,
    /// passed, failed, errored or skipped.
    pub outcome: &'static str,
    /// Where the run first failed or warned (requirement and step), if it did.
    pub at: Option<String>,
    /// How long it took (on the clock the self-test ran on): the next self-test starts
    /// the longest runs first.
    pub ms: u64,
}

impl Verdict {
    /// The verdict of `r` in column `cell`.
    pub fn of(cell: String, r: &ScenarioResult) -> Self {
        Self {
            cell,
            run: r.id.clone(),
            outcome: r.outcome.name(),
            at: r
                .failures
                .first()
                .or(r.warnings.first())
                .map(|f| format!("{} {}", f.requirement, f.step)),
            ms: r.duration_ms,
        }
    }

    /// The key that orders self-test runs: column and run.
    pub fn key(cell: &str, run: &str) -> String {
        format!("{cell} {run}")
    }
}

impl KillMatrix {
    /// Files clean runs that were skipped: one that passed cleanly under a legal
    /// variation (`shown`: run id → the variations) is a skip with a reason; one that
    /// passed under none is a clean failure, as nothing shows the scenario green.
    pub fn settle_clean_skips(
        &mut self,
        skips: Vec<ScenarioResult>,
        mut shown: BTreeMap<String, Vec<String>>,
    ) {
        for mut r in skips {
            match shown.remove(&r.id) {
                Some(under) => self.clean_skips.push(CleanSkip {
                    why: r.reason.clone().unwrap_or_default(),
                    run: r.id,
                    passes_under: under,
                }),
                None => {
                    let why = r.reason.take().unwrap_or_default();
                    r.reason = Some(format!("{why} (and it passes under no legal variation)"));
                    self.clean_failures.push(r);
                }
            }
        }
    }

    /// Clean runs that passed.
    pub fn clean_passes(&self) -> usize {
        self.clean_runs - self.clean_failures.len() - self.clean_skips.len()
    }

    /// Faults no scenario caught.
    pub fn survivors(&self) -> Vec<&'static str> {
        self.kills
            .iter()
            .filter(|(_, k)| k.is_empty())
            .map(|(f, _)| *f)
            .collect()
    }

    /// Scenarios that caught no fault (unproven).
    pub fn unproven(&self) -> Vec<String> {
        self.by_scenario
            .iter()
            .filter(|(_, k)| k.is_empty())
            .map(|(s, _)| s.clone())
            .collect()
    }

    /// `protocol/role: mutant` of every answer mutant that changed an answer, was not
    /// killed and is not legal there.
    pub fn mutant_survivors(&self) -> Vec<String> {
        self.mutants
            .iter()
            .flat_map(|(scope, scores)| {
                scores
                    .iter()
                    .filter(|(_, s)| s.applies && s.killed_by.is_empty() && s.legal.is_none())
                    .map(move |(name, _)| format!("{scope}: {name}"))
            })
            .collect()
    }

    /// Checks nothing proved, in suite order.
    pub fn unproven_checks(&self) -> impl Iterator<Item = &CheckProof> {
        self.checks.iter().filter(|c| !c.proven())
    }

    /// Clean passes everything, every fault is killed, every scenario kills something
    /// and fails against every null implementation, every negative check is proven.
    pub fn ok(&self) -> bool {
        self.unproven_checks()
            .all(|c| !c.negative || c.excused.is_some())
            && self.mutant_survivors().is_empty()
            && self.clean_failures.is_empty()
            && self.survivors().is_empty()
            && self.unproven().is_empty()
            && self.null_survivors.values().all(Vec::is_empty)
            && self.variation_failures.values().all(Vec::is_empty)
    }

    /// `checks proven: N of M (negative: n of m)`.
    pub fn checks_line(&self) -> String {
        let negative = self.checks.iter().filter(|c| c.negative);
        format!(
            "checks proven: {} of {} (negative: {} of {})",
            self.checks.iter().filter(|c| c.proven()).count(),
            self.checks.len(),
            negative.clone().filter(|c| c.proven()).count(),
            negative.count()
        )
    }

    /// The checks line, every unproven negative check with its excuse if it has one,
    /// and the unproven positive checks by file.
    fn render_checks(&self, out: &mut String) {
        let _ = writeln!(out, "\n{}", self.checks_line());
        let mut positive: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for c in self.unproven_checks() {
            if !c.negative {
                let (file, at) = c.id.split_once(':').unwrap_or((c.id.as_str(), ""));
                positive.entry(file).or_default().push(at);
                continue;
            }
            match &c.excused {
                Some(why) => {
                    let _ = writeln!(
                        out,
                        "  excused {} ({}): {}; {why}",
                        c.id, c.scenario, c.what
                    );
                }
                None => {
                    let _ = writeln!(
                        out,
                        "  UNPROVEN NEGATIVE {} ({}): {}",
                        c.id, c.scenario, c.what
                    );
                }
            }
        }
        for c in self
            .checks
            .iter()
            .filter(|c| c.proven() && c.excused.is_some())
        {
            let _ = writeln!(
                out,
                "  proven though excused (drop its `unproven:`): {} ({})",
                c.id, c.scenario
            );
        }
        if !positive.is_empty() {
            let _ = writeln!(
                out,
                "  unproven positive checks (an earlier check fails first under every fault):"
            );
            for (file, lines) in positive {
                let _ = writeln!(out, "    {file}: {}", lines.join(", "));
            }
        }
    }

    /// The mutation score per protocol and role, the survivors and the legal ones.
    fn render_mutants(&self, out: &mut String) {
        let _ = writeln!(
            out,
            "\n{:<26} mutation score (answer mutants killed of those that changed an answer)",
            "protocol/role"
        );
        for (role, scores) in &self.mutants {
            let applying: Vec<(&String, &MutantScore)> =
                scores.iter().filter(|(_, s)| s.applies).collect();
            let killed = applying
                .iter()
                .filter(|(_, s)| !s.killed_by.is_empty())
                .count();
            let legal = applying
                .iter()
                .filter(|(_, s)| s.killed_by.is_empty() && s.legal.is_some())
                .count();
            let _ = writeln!(
                out,
                "{role:<26} {killed} of {}{}",
                applying.len(),
                if legal > 0 {
                    format!(" ({legal} legal survivors)")
                } else {
                    String::new()
                }
            );
            let mut reasons: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
            for (name, s) in applying.iter().filter(|(_, s)| s.killed_by.is_empty()) {
                match s.legal {
                    Some(why) => reasons.entry(why).or_default().push(name.as_str()),
                    None => {
                        let _ = writeln!(out, "  SURVIVED {name}");
                    }
                }
            }
            for (why, names) in reasons {
                let _ = writeln!(out, "  legal: {}: {why}", names.join(", "));
            }
        }
    }

    /// A plain-text table for the terminal.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "clean simulators: {} of {} runs passed{}",
            self.clean_passes(),
            self.clean_runs,
            if self.clean_skips.is_empty() {
                String::new()
            } else {
                format!(
                    ", {} skipped and passing under a legal variation",
                    self.clean_skips.len()
                )
            }
        );
        for s in &self.clean_skips {
            let _ = writeln!(
                out,
                "  skipped {}: {}; passes under {}",
                s.run,
                s.why,
                s.passes_under.join(", ")
            );
        }
        for r in &self.clean_failures {
            let _ = writeln!(
                out,
                "  NOT PASSING {} ({}): {}",
                r.id,
                r.outcome.name(),
                why(r)
            );
        }
        let _ = writeln!(
            out,
            "\n{:<26} {:<9} {:>6}  killed by",
            "fault", "breaks", "kills"
        );
        for (name, killed) in &self.kills {
            let fault = self.fault_infos.get(name);
            let first: Vec<&str> = killed.iter().take(3).map(String::as_str).collect();
            let _ = writeln!(
                out,
                "{:<26} {:<9} {:>6}  {}{}",
                name,
                fault.map_or("", |f| f.requirement),
                killed.len(),
                if killed.is_empty() {
                    "SURVIVED".to_string()
                } else {
                    first.join(", ")
                },
                if killed.len() > 3 { ", …" } else { "" }
            );
        }
        let _ = writeln!(out, "\n{:<34} faults killed", "scenario");
        for (s, k) in &self.by_scenario {
            let names: Vec<&str> = k.iter().copied().collect();
            let _ = writeln!(
                out,
                "{s:<34} {}",
                if names.is_empty() {
                    "NONE (unproven)".into()
                } else {
                    names.join(", ")
                }
            );
        }
        let _ = writeln!(out, "\n{:<34} runs not passing", "variation");
        for (name, failed) in &self.variation_failures {
            let skipped = self
                .variation_skips
                .get(name)
                .filter(|s| !s.is_empty())
                .map(|s| {
                    let ids: Vec<&str> = s.iter().map(|(id, _)| id.as_str()).collect();
                    format!(" (skipped: {})", ids.join(", "))
                })
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "{name:<34} {}{skipped}",
                if failed.is_empty() {
                    "none".to_string()
                } else {
                    failed
                        .iter()
                        .map(|r| format!("{} ({})", r.id, why(r)))
                        .collect::<Vec<_>>()
                        .join("; ")
                }
            );
        }
        let _ = writeln!(out, "\n{:<16} runs not failing", "null");
        for (name, passed) in &self.null_survivors {
            let _ = writeln!(
                out,
                "{name:<16} {}",
                if passed.is_empty() {
                    "none".to_string()
                } else {
                    format!("{} ({})", passed.len(), passed.join(", "))
                }
            );
        }
        let null_ok = self.null_survivors.values().all(Vec::is_empty);
        let _ = writeln!(
            out,
            "\n{} runs against {} null implementations: {}",
            self.null_runs,
            self.null_survivors.len(),
            if null_ok {
                "every one failed or errored"
            } else {
                "SOME DID NOT FAIL"
            }
        );
        self.render_checks(&mut out);
        self.render_mutants(&mut out);
        let killed = self.kills.values().filter(|k| !k.is_empty()).count();
        let varied = self
            .variation_failures
            .values()
            .filter(|f| f.is_empty())
            .count();
        let _ = writeln!(
            out,
            "\n{killed} of {} faults killed; {} of {} scenarios kill at least one fault; {varied} of {} variations pass; clean: {}",
            self.kills.len(),
            self.by_scenario.len() - self.unproven().len(),
            self.by_scenario.len(),
            self.variation_failures.len(),
            match (self.clean_failures.is_empty(), self.clean_skips.len()) {
                (false, _) => "NOT all pass".to_string(),
                (true, 0) => "all pass".to_string(),
                (true, n) => format!("all pass ({n} skipped, passing under a legal variation)"),
            }
        );
        out
    }
}

/// Why a run did not pass cleanly: its first failure or warning, or its reason.
pub(crate) fn why(r: &ScenarioResult) -> String {
    r.failures
        .first()
        .or(r.warnings.first())
        .map(|f| {
            format!(
                "{} {}: expected {}, got {}",
                f.requirement, f.step, f.expected, f.actual
            )
        })
        .or_else(|| r.reason.clone())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Outcome;
    use crate::selftest::files::tests::result;

    fn negative(excused: Option<&str>, proven_by: &[&str]) -> CheckProof {
        CheckProof {
            id: "a.yaml:3".into(),
            scenario: "a".into(),
            what: "w".into(),
            negative: true,
            excused: excused.map(str::to_string),
            proven_by: proven_by.iter().map(|b| b.to_string()).collect(),
        }
    }

    #[test]
    fn an_unproven_negative_check_fails_the_self_test_unless_its_scenario_says_why() {
        let mut m = KillMatrix::default();
        assert!(m.ok());
        m.checks = vec![negative(None, &["null:silent"])];
        assert!(!m.ok(), "a null implementation proves no negative check");
        m.checks = vec![negative(None, &["mutant:p/r/op: 500"])];
        assert!(m.ok());
        m.checks = vec![negative(Some("a second silence"), &[])];
        assert!(m.ok());
        assert!(m
            .render()
            .contains("excused a.yaml:3 (a): w; a second silence"));
    }

    #[test]
    fn a_surviving_mutant_fails_the_self_test_unless_it_is_legal() {
        let mut m = KillMatrix::default();
        let mut scores = BTreeMap::new();
        scores.insert(
            "op: {}".to_string(),
            MutantScore {
                applies: true,
                killed_by: vec![],
                legal: None,
            },
        );
        scores.insert(
            "op: 404".to_string(),
            MutantScore {
                applies: false,
                ..MutantScore::default()
            },
        );
        m.mutants.insert("p/r".into(), scores);
        assert_eq!(m.mutant_survivors(), ["p/r: op: {}"]);
        assert!(!m.ok());
        assert!(m.render().contains("  SURVIVED op: {}"));
        if let Some(s) = m.mutants.get_mut("p/r").and_then(|s| s.get_mut("op: {}")) {
            s.legal = Some("the body is free");
        }
        assert!(
            m.mutant_survivors().is_empty(),
            "a mutant that changed nothing does not count"
        );
        assert!(m.ok());
        assert!(m
            .render()
            .contains("p/r                        0 of 1 (1 legal survivors)"));
    }

    #[test]
    fn a_clean_skip_stands_only_when_a_variation_shows_the_run_green() {
        let mut m = KillMatrix {
            clean_runs: 3,
            ..KillMatrix::default()
        };
        let skipped = |id: &str| {
            let mut r = result(id, Outcome::Skipped);
            r.reason = Some("the reference cannot show it".into());
            r.failures.clear();
            r
        };
        let shown = BTreeMap::from([("shown".to_string(), vec!["p/r/slow".to_string()])]);
        m.settle_clean_skips(vec![skipped("shown"), skipped("never")], shown);
        assert_eq!(
            m.clean_skips,
            [CleanSkip {
                run: "shown".into(),
                why: "the reference cannot show it".into(),
                passes_under: vec!["p/r/slow".into()],
            }]
        );
        assert_eq!(m.clean_failures.len(), 1);
        assert_eq!(
            m.clean_failures[0].reason.as_deref(),
            Some("the reference cannot show it (and it passes under no legal variation)")
        );
        assert_eq!(m.clean_passes(), 1);
        assert!(!m.ok());
        let text = m.render();
        assert!(
            text.starts_with("clean simulators: 1 of 3 runs passed, 1 skipped and passing under a legal variation\n  skipped shown: the reference cannot show it; passes under p/r/slow\n  NOT PASSING never (skipped): the reference cannot show it (and it passes under no legal variation)"),
            "{text}"
        );
        m.clean_failures.clear();
        assert!(m
            .render()
            .contains("clean: all pass (1 skipped, passing under a legal variation)"));
    }
}
