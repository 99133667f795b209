//! Plays one scenario against a stage (target + mock peers). The driver here walks the
//! steps within the scenario's time limit and records how the run ended; one module
//! per kind of step does the work; `report::verdict` turns the record into a result.

mod call;
mod capture;
mod parallel;
mod peer;
mod poll;
#[cfg(test)]
mod testing;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use serde_json::{Map, Value};
use tracing::Instrument as _;

use super::checks::{self, Part};
use super::expect::{Expect, Mismatch, Scope, Subject};
use super::model::{Action, Scenario, Step};
use super::template::{Templates, Text, Tree};
use crate::http::Exchange;
use crate::peers::MockPeer;
use crate::profile::capabilities::{CAPABILITY_CHECK, TEST_CLOCK};
use crate::profile::Stage;
use crate::report::model::ScenarioResult;
use crate::report::verdict::{self, Ending, RunIdentity, RunRecord, Unmet};

/// The longest one scenario may run before it is stopped as errored.
const SCENARIO_LIMIT: Duration = Duration::from_secs(180);

/// Why the steps stopped early.
#[derive(Debug)]
pub(crate) enum Stop {
    /// A step's expectations did not hold.
    Failed {
        step: String,
        requirement: String,
        check: String,
        mismatches: Vec<Mismatch>,
    },
    /// The harness could not go on.
    Errored(String),
    /// The scenario does not apply to the target.
    Skipped(String),
}

/// What the steps of one run share: the stage, the templates, the variables, the
/// exchanges recorded so far and the label of the loop item being run.
pub(crate) struct Ctx<'a> {
    /// What the scenario runs against.
    pub stage: &'a Stage,
    /// The scenario's requirements (a step's, unless it names its own).
    pub requirements: &'a [String],
    /// The scenario's file, for the ids of its checks.
    pub file: &'a str,
    /// The template environment.
    pub templates: Templates,
    /// The variables.
    pub vars: Map<String, Value>,
    /// Every string among the stage's base variables: the target's constants (ids,
    /// names), which no run can claim as its own.
    pub constants: std::collections::BTreeSet<String>,
    /// Exchanges so far, secrets redacted.
    pub exchanges: Vec<Exchange>,
    /// ` [item 2 of 3: x]` inside a for_each, empty outside.
    pub loop_label: String,
    /// When the run started: exchanges are timed from it.
    pub started: Instant,
}

/// Runs `scenario` on `stage`; never panics on anything the IUT does.
pub async fn run_scenario(scenario: &Scenario, stage: &Stage, id: String) -> ScenarioResult {
    let record = play(scenario, stage).await;
    let who = RunIdentity {
        id,
        scenario: scenario.id.clone(),
        title: scenario.title.clone(),
        protocol: scenario.profile.name().to_string(),
        role: scenario.role.clone(),
        variant: stage.variant(),
        requirements: scenario.requirements.clone(),
        source: scenario.source.clone(),
    };
    verdict::decide(
        who,
        record,
        &|r| scenario.profile.requirement(r).map(|q| q.level),
        &stage.redactor,
    )
}

/// Plays `scenario` on `stage` and records how it ended, with its exchanges; the
/// scenario is stopped as errored after [`SCENARIO_LIMIT`].
pub async fn play(scenario: &Scenario, stage: &Stage) -> RunRecord {
    let started = Instant::now();
    if let Some(ending) = applicability(scenario, stage) {
        return RunRecord {
            ending,
            exchanges: Vec::new(),
            duration: started.elapsed(),
        };
    }
    let mut cx = Ctx::new(stage, &scenario.requirements, checks::file_of(scenario));
    let span = tracing::debug_span!("scenario", id = %scenario.id);
    let walk = steps(&mut cx, &scenario.steps).instrument(span);
    let stopped = match tokio::time::timeout(SCENARIO_LIMIT, walk).await {
        Ok(result) => result.err(),
        Err(_) => Some(Stop::Errored(format!(
            "the scenario did not finish within {} s",
            SCENARIO_LIMIT.as_secs()
        ))),
    };
    RunRecord {
        ending: ending(stopped),
        exchanges: cx.exchanges,
        duration: started.elapsed(),
    }
}

/// How a run ends before its first step, if it does: without a capability
/// statement, skipped when the target lacks what the scenario needs; with one,
/// `not applicable` when the statement does not claim a feature the scenario needs,
/// and failed when it claims one the target cannot give.
fn applicability(scenario: &Scenario, stage: &Stage) -> Option<Ending> {
    let target = &stage.target;
    let lacks = |feature: &str| match feature {
        f if f == TEST_CLOCK.name => (!target.has_test_clock())
            .then(|| "it gives no test_base (the test clock's base URL)".to_string()),
        f => target.section.lacks(f),
    };
    let Some(claim) = &target.capabilities else {
        return scenario.needs.iter().find_map(|need| {
            lacks(need).map(|why| Ending::Skipped(format!("the target lacks `{need}`: {why}")))
        });
    };
    let features = scenario.features();
    if let Some(unclaimed) = features.iter().find(|f| !claim.claims(f)) {
        return Some(Ending::NotApplicable(format!(
            "needs `{unclaimed}`, which the capability statement ({}) does not claim",
            claim.source
        )));
    }
    features.iter().find_map(|f| {
        lacks(f).map(|why| Ending::Failed {
            step: "before step 1: the capability statement".to_string(),
            requirement: CAPABILITY_CHECK.to_string(),
            check: String::new(),
            unmet: vec![Unmet {
                expected: format!("`{f}`, which {} claims", claim.source),
                actual: format!("the target lacks it: {why}"),
            }],
        })
    })
}

/// How a run that stopped (or not) ended.
fn ending(stopped: Option<Stop>) -> Ending {
    match stopped {
        None => Ending::Passed,
        Some(Stop::Skipped(why)) => Ending::Skipped(why),
        Some(Stop::Errored(why)) => Ending::Errored(why),
        Some(Stop::Failed {
            step,
            requirement,
            check,
            mismatches,
        }) => Ending::Failed {
            step,
            requirement,
            check,
            unmet: mismatches
                .into_iter()
                .map(|m| Unmet {
                    expected: m.expected,
                    actual: m.actual,
                })
                .collect(),
        },
    }
}

/// Runs `list` in order, stopping at the first step that does not pass.
pub(crate) async fn steps(cx: &mut Ctx<'_>, list: &[Step]) -> Result<(), Stop> {
    for step in list {
        if !runs(cx, step)? {
            tracing::debug!(step = %step.label(), "not run: its `when` is false");
            continue;
        }
        tracing::debug!(step = %step.label(), "step");
        match &step.action {
            Action::Call(c) => call::call(cx, step, c).await?,
            Action::Http(h) => call::http(cx, step, h).await?,
            Action::PeerAnswer(p) => peer::peer_answer(cx, step, p)?,
            Action::AwaitRequest(a) => peer::await_request(cx, step, a).await?,
            Action::NoRequests(n) => peer::no_requests(cx, step, n).await?,
            Action::DrainRequests(d) => peer::drain_requests(cx, step, d).await?,
            Action::Poll(p) => poll::poll(cx, step, p).await?,
            Action::Parallel(p) => parallel::parallel(cx, step, p).await?,
            Action::AdvanceClock(by) => capture::advance_clock(cx, step, by).await?,
            Action::Let(vars) => capture::let_vars(cx, step, vars)?,
            Action::Check(value) => capture::check(cx, step, value)?,
            Action::ForEach(f) => capture::for_each(cx, step, f).await?,
            Action::Skip(reason) => return Err(capture::skip(cx, step, reason)),
        }
    }
    Ok(())
}

/// Whether `step` runs: it has no `when`, or its `when` renders to true (a value that
/// is neither true nor false is an error, so a mistyped condition never passes quietly).
fn runs(cx: &Ctx<'_>, step: &Step) -> Result<bool, Stop> {
    let Some(when) = &step.when else {
        return Ok(true);
    };
    match cx.render(step, when)? {
        Value::Bool(b) => Ok(b),
        other => Err(cx.errored(step, format!("when: `{other}` is neither true nor false"))),
    }
}

/// The suite's own folder for a scenario `file`: the one holding the `scenarios/`
/// folder it is in (fixtures and libraries resolve from there, whatever the current
/// folder), or the file's own folder when it is in none.
fn suite_dir(file: &Path) -> PathBuf {
    let dir = file
        .ancestors()
        .find(|a| a.file_name().is_some_and(|n| n == "scenarios"))
        .and_then(Path::parent)
        .or_else(|| file.parent())
        .unwrap_or_else(|| Path::new(""));
    if dir.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        dir.to_path_buf()
    }
}

impl<'a> Ctx<'a> {
    /// A fresh context: the stage's templates and base variables, nothing recorded.
    pub fn new(stage: &'a Stage, requirements: &'a [String], file: &'a str) -> Self {
        let mut vars = stage.base_vars();
        let mut constants = Vec::new();
        call::string_values(&Value::Object(vars.clone()), &mut constants);
        let dir = suite_dir(Path::new(file));
        vars.insert("suite_dir".into(), dir.display().to_string().into());
        Self {
            stage,
            requirements,
            file,
            templates: Templates::new(|env| stage.register_functions(env)),
            vars,
            constants: constants.into_iter().collect(),
            exchanges: Vec::new(),
            loop_label: String::new(),
            started: Instant::now(),
        }
    }

    /// The step's label, with the loop item when inside a for_each.
    pub fn label(&self, step: &Step) -> String {
        format!("{}{}", step.label(), self.loop_label)
    }

    /// A failure of `step`, charged to its requirement.
    /// The step's own check failed.
    pub fn fail(&self, step: &Step, mismatches: Vec<Mismatch>) -> Stop {
        self.fail_of(step, Part::Step, step.requirement.as_deref(), mismatches)
    }

    /// A failure of `part` of `step` charged to `requirement` (the scenario's, all of
    /// them, when none is named).
    fn fail_of(
        &self,
        step: &Step,
        part: Part,
        requirement: Option<&str>,
        mismatches: Vec<Mismatch>,
    ) -> Stop {
        Stop::Failed {
            step: self.label(step),
            check: checks::id(self.file, step, part),
            requirement: requirement
                .map(str::to_string)
                .unwrap_or_else(|| self.requirements.join(", ")),
            mismatches,
        }
    }

    /// `step` could not be carried out.
    pub fn errored(&self, step: &Step, why: impl std::fmt::Display) -> Stop {
        Stop::Errored(format!("{}: {why}", self.label(step)))
    }

    /// A value with its templates rendered with the variables.
    pub fn render(&self, step: &Step, tree: &Tree) -> Result<Value, Stop> {
        self.templates
            .tree(tree, &self.vars)
            .map_err(|e| self.errored(step, e))
    }

    /// A text with its template rendered with the variables.
    pub fn text(&self, step: &Step, text: &Text) -> Result<String, Stop> {
        self.templates
            .text_of(text, &self.vars)
            .map_err(|e| self.errored(step, e))
    }

    /// A number of seconds given by a template.
    pub fn seconds(&self, step: &Step, tree: &Tree, what: &str) -> Result<Duration, Stop> {
        let v = self.render(step, tree)?;
        seconds(&v)
            .ok_or_else(|| self.errored(step, format!("{what}: `{v}` is not a number of seconds")))
    }

    /// The step's timeout.
    pub fn timeout(&self, step: &Step) -> Duration {
        step.timeout.unwrap_or(self.stage.step_timeout())
    }

    /// The mock peer a step names (or the only one).
    pub fn peer(&self, step: &Step, name: Option<&str>) -> Result<Arc<MockPeer>, Stop> {
        self.stage.peer(name).map_err(|e| self.errored(step, e))
    }

    /// Checks `subject` against the step's expectations in order (templated parts
    /// rendered with `vars`); the first group that does not hold fails the step,
    /// charged to that group's requirement.
    pub fn verify(
        &self,
        step: &Step,
        subject: &Subject<'_>,
        vars: &Map<String, Value>,
    ) -> Result<(), Stop> {
        for (i, group) in step.expect.iter().enumerate() {
            let mismatches = self.mismatches(step, &group.expect, subject, vars)?;
            if !mismatches.is_empty() {
                let requirement = group.requirement.as_deref().or(step.requirement.as_deref());
                return Err(self.fail_of(step, Part::Expect(i), requirement, mismatches));
            }
        }
        Ok(())
    }

    /// What of `expect` does not hold for `subject`.
    pub fn mismatches(
        &self,
        step: &Step,
        expect: &Expect,
        subject: &Subject<'_>,
        vars: &Map<String, Value>,
    ) -> Result<Vec<Mismatch>, Stop> {
        let scope = Scope {
            templates: &self.templates,
            vars,
            redactor: &self.stage.redactor,
        };
        expect
            .check(subject, scope)
            .map_err(|e| self.errored(step, e))
    }
}

/// Seconds in a value (a number or a numeric string), within a year.
fn seconds(v: &Value) -> Option<Duration> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
    .filter(|s: &f64| s.is_finite() && *s >= 0.0 && *s <= 86_400.0 * 366.0)
    .map(Duration::from_secs_f64)
}

/// Milliseconds, saturating.
fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// At most 80 characters of `s`.
fn short(s: &str) -> String {
    if s.chars().count() > 80 {
        format!("{}…", s.chars().take(80).collect::<String>())
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::testing::{scenario, stage, unmet};
    use super::*;
    use crate::report::model::Outcome;

    #[test]
    fn the_suite_folder_holds_the_scenarios_folder() {
        let dir = |f: &str| suite_dir(Path::new(f));
        assert_eq!(
            dir("/x/suite/scenarios/proto/role/a.yaml"),
            Path::new("/x/suite")
        );
        assert_eq!(dir("scenarios/proto/role/a.yaml"), Path::new("."));
        assert_eq!(dir("/tmp/finding.yaml"), Path::new("/tmp"));
        assert_eq!(dir("a.yaml"), Path::new("."));
    }

    #[tokio::test]
    async fn a_scenario_whose_need_the_target_lacks_is_skipped_with_the_reason() {
        let t = stage(|_, _| {}).await;
        let text = "id: t\ntitle: t\nprotocol: demo\nrole: server\nrequirements: [DEMO-01]\nneeds: [archive]\nsteps:\n  - call: submit\n    with: {ticket: \"{{ archive_path }}\"}\n    expect: {status: 201}\n";
        let s = crate::scenario::loader::load_str(text, "t.yaml", crate::profile::demo::profiles())
            .expect("loads")
            .remove(0);
        let record = play(&s, &t.stage).await;
        assert_eq!(
            record.ending,
            Ending::Skipped("the target lacks `archive`: demo targets keep no archive".into())
        );
        assert!(record.exchanges.is_empty(), "nothing was sent");
    }

    #[tokio::test]
    async fn run_scenario_applies_the_verdict_and_redacts() {
        let t = stage(|_, _| {}).await;
        let s = scenario("  - check: \"{{ iut_credential }}\"\n    expect: {json: {\"$\": x}}\n");
        let result = run_scenario(&s, &t.stage, "t[-]".into()).await;
        assert_eq!(result.outcome, Outcome::Failed);
        assert_eq!(result.id, "t[-]");
        assert_eq!(result.variant, None);
        assert_eq!(result.failures[0].requirement, "DEMO-01");
        assert_eq!(result.failures[0].actual, "$ == \"Bearer ***\"");
    }

    #[tokio::test]
    async fn a_step_runs_only_when_its_condition_is_true() {
        let t = stage(|_, _| {}).await;
        wiremock::Mock::given(wiremock::matchers::method("POST"))
            .respond_with(wiremock::ResponseTemplate::new(201))
            .expect(1)
            .mount(&t.iut)
            .await;
        let s = scenario(concat!(
            "  - let: {go: true}\n",
            "  - call: submit\n",
            "    with: {ticket: sent}\n",
            "    when: \"{{ go }}\"\n",
            "    expect: {status: 201}\n",
            "  - call: submit\n",
            "    with: {ticket: not-sent}\n",
            "    when: \"{{ not go }}\"\n",
            "    expect: {status: 201}\n",
        ));
        let record = play(&s, &t.stage).await;
        assert_eq!(record.ending, Ending::Passed);
        assert_eq!(record.exchanges.len(), 1, "only the first call was sent");
        let typo = scenario("  - let: {go: 1}\n    when: \"{{ silence }}\"\n");
        assert_eq!(
            play(&typo, &t.stage).await.ending,
            Ending::Errored(
                "step 1 \"let\" (line 7): when: `0.3` is neither true nor false".into()
            )
        );
    }

    #[tokio::test]
    async fn a_skip_whose_condition_holds_stops_the_run_as_skipped_with_its_reason() {
        let t = stage(|_, _| {}).await;
        wiremock::Mock::given(wiremock::matchers::method("POST"))
            .respond_with(wiremock::ResponseTemplate::new(201))
            .mount(&t.iut)
            .await;
        let steps = |status: u16| {
            format!(
                concat!(
                    "  - call: submit\n",
                    "    with: {{ticket: t}}\n",
                    "    save: {{code: status}}\n",
                    "  - name: nothing to check\n",
                    "    skip: \"the IUT answered {{{{ code }}}}\"\n",
                    "    when: \"{{{{ code == {} }}}}\"\n",
                    "  - check: \"{{{{ code }}}}\"\n",
                    "    expect: {{json: {{\"$\": 202}}}}\n",
                ),
                status
            )
        };
        let record = play(&scenario(&steps(201)), &t.stage).await;
        assert_eq!(
            record.ending,
            Ending::Skipped("step 2 \"nothing to check\" (line 10): the IUT answered 201".into())
        );
        assert_eq!(
            record.exchanges.len(),
            1,
            "what ran before the skip is kept"
        );
        let record = play(&scenario(&steps(200)), &t.stage).await;
        assert_eq!(
            unmet(&record),
            [("$ == 202".to_string(), "$ == 201".to_string())],
            "a skip whose condition is false lets the run go on"
        );
    }

    #[test]
    fn a_stop_becomes_an_ending() {
        assert_eq!(ending(None), Ending::Passed);
        assert_eq!(
            ending(Some(Stop::Skipped("why".into()))),
            Ending::Skipped("why".into())
        );
        let failed = ending(Some(Stop::Failed {
            step: "s".into(),
            requirement: "r".into(),
            check: "f.yaml:3".into(),
            mismatches: vec![Mismatch {
                expected: "e".into(),
                actual: "a".into(),
            }],
        }));
        assert_eq!(
            failed,
            Ending::Failed {
                step: "s".into(),
                requirement: "r".into(),
                check: "f.yaml:3".into(),
                unmet: vec![Unmet {
                    expected: "e".into(),
                    actual: "a".into()
                }]
            }
        );
    }

    #[test]
    fn seconds_take_numbers_and_numeric_strings_within_a_year() {
        assert_eq!(
            seconds(&Value::from(1.5)),
            Some(Duration::from_millis(1500))
        );
        assert_eq!(seconds(&Value::from(" 2 ")), Some(Duration::from_secs(2)));
        assert_eq!(seconds(&Value::from(-1)), None);
        assert_eq!(seconds(&Value::from(1e9)), None);
        assert_eq!(seconds(&Value::Null), None);
    }
}
