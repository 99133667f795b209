//! The console reporter: what a person or a CI log sees while a run goes on. On a
//! terminal it draws a progress bar (runs done of total) and prints each failure as it
//! happens; without a terminal, or when `CI` is set, it prints one plain line per run.
//! `NO_COLOR` turns colour off.

use std::io::IsTerminal as _;
use std::sync::Mutex;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::model::{Outcome, RunReport, ScenarioResult};
use super::status::RequirementStatus;

/// What a run tells its reporters as it goes.
pub trait Observer: Send + Sync {
    /// `runs` scenario runs are about to start.
    fn planned(&self, _runs: usize) {}

    /// One run ended.
    fn finished(&self, _result: &ScenarioResult) {}

    /// One run ended whose outcome needs no mention (progress only).
    fn advanced(&self) {}
}

/// An observer that shows nothing.
#[derive(Debug, Default, Clone, Copy)]
pub struct Silent;

impl Observer for Silent {}

/// How the console shows progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// A progress bar, with failures printed above it as they happen.
    Live,
    /// One plain line per run.
    Plain,
}

/// The console reporter.
#[derive(Debug)]
pub struct Console {
    mode: Mode,
    colour: bool,
    bar: Mutex<Option<ProgressBar>>,
}

impl Console {
    /// Live with colour on a terminal, plain on CI (`CI` set) or when stderr is not a
    /// terminal; colour off when `NO_COLOR` is set (to anything but empty).
    pub fn from_env() -> Self {
        let terminal = std::io::stderr().is_terminal();
        let ci = std::env::var_os("CI").is_some_and(|v| !v.is_empty());
        let no_colour = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Self::new(
            if terminal && !ci {
                Mode::Live
            } else {
                Mode::Plain
            },
            terminal && !no_colour,
        )
    }

    /// A console in `mode`, with or without colour.
    pub fn new(mode: Mode, colour: bool) -> Self {
        Self {
            mode,
            colour,
            bar: Mutex::new(None),
        }
    }

    fn paint(&self, code: &str, text: &str) -> String {
        if self.colour {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    /// The line(s) for a run that did not simply pass: failed, errored, skipped, or
    /// passed with warnings.
    pub fn problem_lines(&self, r: &ScenarioResult) -> Vec<String> {
        let tag = match r.outcome {
            Outcome::Failed => self.paint("1;31", "FAILED"),
            Outcome::Errored => self.paint("1;31", "ERRORED"),
            Outcome::Skipped => self.paint("33", "SKIPPED"),
            Outcome::NotApplicable => self.paint("2", "N/A"),
            Outcome::Waived => self.paint("35", "WAIVED"),
            Outcome::Passed if !r.warnings.is_empty() => self.paint("33", "WARNING"),
            Outcome::Passed => return Vec::new(),
        };
        if r.outcome == Outcome::Passed {
            return r
                .warnings
                .iter()
                .map(|w| {
                    format!(
                        "{tag} {}: [{}] {}: expected {}, got {}",
                        r.id, w.requirement, w.step, w.expected, w.actual
                    )
                })
                .collect();
        }
        let waiver = r
            .waiver
            .as_deref()
            .map_or(String::new(), |w| format!(" ({w})"));
        match r.failures.first() {
            Some(f) => vec![format!(
                "{tag} {}: [{}] {}: expected {}, got {}{waiver}",
                r.id, f.requirement, f.step, f.expected, f.actual
            )],
            None => vec![format!(
                "{tag} {}: {}",
                r.id,
                r.reason.as_deref().unwrap_or_default()
            )],
        }
    }

    /// The plain line for any run.
    pub fn plain_line(&self, r: &ScenarioResult) -> String {
        let tag = match r.outcome {
            Outcome::Passed => self.paint("32", "PASSED"),
            Outcome::Failed => self.paint("1;31", "FAILED"),
            Outcome::Errored => self.paint("1;31", "ERRORED"),
            Outcome::Skipped => self.paint("33", "SKIPPED"),
            Outcome::NotApplicable => self.paint("2", "N/A"),
            Outcome::Waived => self.paint("35", "WAIVED"),
        };
        format!("{tag:>7} {} ({} ms)", r.id, r.duration_ms)
    }

    /// The closing line: totals, time and the reports written.
    pub fn summary_line(&self, report: &RunReport, written: &[String]) -> String {
        let s = &report.summary;
        let verdict = if report.interrupted {
            self.paint("1;31", "INTERRUPTED")
        } else if report.all_passed() && s.waived > 0 {
            self.paint("1;35", "PASS WITH WAIVERS")
        } else if report.all_passed() {
            self.paint("1;32", "PASS")
        } else {
            self.paint("1;31", "FAIL")
        };
        let not_started = match report.not_started.len() {
            0 => String::new(),
            n => format!(", {n} not started"),
        };
        let mut claims = String::new();
        if s.waived > 0 {
            claims.push_str(&format!(", {} waived", s.waived));
        }
        if s.not_applicable > 0 {
            claims.push_str(&format!(", {} not applicable", s.not_applicable));
        }
        format!(
            "{verdict}: {}{not_started}: {} passed, {} failed, {} errored, {} skipped{claims}, {} warnings ({:.1} s{}); reports: {}",
            s.runs_of_scenarios(),
            s.passed,
            s.failed,
            s.errored,
            s.skipped,
            s.warnings,
            report.duration_ms as f64 / 1000.0,
            if report.clock == "virtual" { ", virtual time" } else { "" },
            if written.is_empty() { "none".to_string() } else { written.join(", ") }
        )
    }

    /// The requirements line: how many have each status, naming those not passed.
    pub fn requirements_line(&self, report: &RunReport) -> String {
        let order = [
            RequirementStatus::Failed,
            RequirementStatus::Waived,
            RequirementStatus::Warning,
            RequirementStatus::Skipped,
            RequirementStatus::NotApplicable,
            RequirementStatus::NotCovered,
        ];
        let passed = report
            .requirements
            .values()
            .filter(|s| **s == RequirementStatus::Passed)
            .count();
        let mut parts = vec![format!("{passed} passed")];
        for status in order {
            let ids: Vec<&str> = report
                .requirements
                .iter()
                .filter(|(_, s)| **s == status)
                .map(|(id, _)| id.as_str())
                .collect();
            if !ids.is_empty() {
                parts.push(format!(
                    "{} {} ({})",
                    ids.len(),
                    status.name(),
                    ids.join(", ")
                ));
            }
        }
        format!("requirements: {}", parts.join(", "))
    }

    /// Ends the live bar, if any.
    pub fn finish(&self) {
        if let Some(bar) = lock(&self.bar).take() {
            bar.finish_and_clear();
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Observer for Console {
    fn planned(&self, runs: usize) {
        if self.mode != Mode::Live {
            return;
        }
        let bar = ProgressBar::with_draw_target(Some(runs as u64), ProgressDrawTarget::stderr());
        let style = ProgressStyle::with_template("{bar:30} {pos}/{len} runs, {elapsed} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar());
        bar.set_style(style);
        bar.enable_steady_tick(Duration::from_millis(200));
        *lock(&self.bar) = Some(bar);
    }

    fn advanced(&self) {
        if let Some(bar) = lock(&self.bar).as_ref() {
            bar.inc(1);
        }
    }

    fn finished(&self, result: &ScenarioResult) {
        match self.mode {
            Mode::Live => {
                let guard = lock(&self.bar);
                for line in self.problem_lines(result) {
                    match guard.as_ref() {
                        Some(bar) => bar.println(line),
                        None => tell!("{line}"),
                    }
                }
                if let Some(bar) = guard.as_ref() {
                    bar.inc(1);
                    bar.set_message(result.id.clone());
                }
            }
            Mode::Plain => {
                tell!("{}", self.plain_line(result));
                for line in self.problem_lines(result) {
                    tell!("  {line}");
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::model::Failure;

    fn result(outcome: Outcome) -> ScenarioResult {
        ScenarioResult {
            id: "demo-1".into(),
            scenario: "demo-1".into(),
            title: "t".into(),
            protocol: "demo".into(),
            role: "server".into(),
            variant: None,
            requirements: vec!["X-01".into()],
            outcome,
            duration_ms: 7,
            reason: None,
            failures: vec![],
            warnings: vec![],
            exchanges: vec![],
            late_traffic: vec![],
            waiver: None,
            source: "s.yaml:1".into(),
        }
    }

    #[test]
    fn failures_say_what_was_expected_and_found_without_colour() {
        let console = Console::new(Mode::Plain, false);
        let mut r = result(Outcome::Failed);
        r.failures.push(Failure {
            step: "step 2".into(),
            requirement: "X-01".into(),
            check: String::new(),
            expected: "status 200".into(),
            actual: "status 500".into(),
        });
        assert_eq!(
            console.problem_lines(&r),
            ["FAILED demo-1: [X-01] step 2: expected status 200, got status 500"]
        );
        assert_eq!(console.plain_line(&r), " FAILED demo-1 (7 ms)");
        assert!(console.problem_lines(&result(Outcome::Passed)).is_empty());
        let mut warned = result(Outcome::Passed);
        warned.warnings.push(Failure {
            step: "step 1".into(),
            requirement: "X-01".into(),
            check: String::new(),
            expected: "a".into(),
            actual: "b".into(),
        });
        assert_eq!(
            console.problem_lines(&warned),
            ["WARNING demo-1: [X-01] step 1: expected a, got b"]
        );
    }

    #[test]
    fn colour_only_when_asked() {
        let coloured = Console::new(Mode::Plain, true);
        assert!(coloured
            .plain_line(&result(Outcome::Passed))
            .contains("\x1b[32m"));
        let plain = Console::new(Mode::Plain, false);
        assert!(!plain.plain_line(&result(Outcome::Passed)).contains('\x1b'));
    }
}
