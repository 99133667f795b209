//! The checks of a scenario, each with an id that names where it is written: every
//! expectation of a step, and the step's own check where its action can fail by itself
//! (a request that must arrive, silence, a poll's condition, a value it must save).
//! A failing run names the check it stopped at with the same id, so the self-test can
//! tell which checks some fault, mutant or null implementation has made fail.

use std::collections::BTreeSet;

use super::model::{Action, Scenario, Step};

/// One check of a scenario.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    /// `file:line` of its step, with ` expect N` for the Nth expectation of a step that
    /// has more than one check.
    pub id: String,
    /// The scenario it belongs to.
    pub scenario: String,
    /// What it checks, in a few words.
    pub what: String,
    /// Whether it says a bad thing did not happen (silence, a refusal, a value that is
    /// absent or is not something): such a check passes on an IUT that does nothing,
    /// so only a fault or a mutant proves it.
    pub negative: bool,
    /// Why the self-test cannot prove it, as its step says (`unproven:`).
    pub excused: Option<String>,
}

/// Which check of a step: its own, or one of its expectations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// The step's own check (an arrival, silence, a poll's condition, a value to save).
    Step,
    /// The expectation at this 0-based index of the step's list.
    Expect(usize),
}

/// The id of `part` of `step` in `file` (see [`Check::id`]).
pub fn id(file: &str, step: &Step, part: Part) -> String {
    let several = step.expect.len() + usize::from(own_check(step).is_some()) > 1;
    match part {
        Part::Expect(i) if several => format!("{file}:{} expect {}", step.line, i + 1),
        _ => format!("{file}:{}", step.line),
    }
}

/// The file a scenario was loaded from (its source without the line).
pub fn file_of(scenario: &Scenario) -> &str {
    scenario
        .source
        .rsplit_once(':')
        .map_or(scenario.source.as_str(), |(file, _)| file)
}

/// Every check of `scenario`, in the order written (loop bodies once).
pub fn of(scenario: &Scenario) -> Vec<Check> {
    let mut out = Vec::new();
    collect(scenario, file_of(scenario), &scenario.steps, &mut out);
    out
}

fn collect(scenario: &Scenario, file: &str, steps: &[Step], out: &mut Vec<Check>) {
    for step in steps {
        if let Some((what, negative)) = own_check(step) {
            out.push(Check {
                id: id(file, step, Part::Step),
                scenario: scenario.id.clone(),
                what: format!("{} ({what})", step.name),
                negative,
                excused: step.unproven.clone(),
            });
        }
        for (i, group) in step.expect.iter().enumerate() {
            out.push(Check {
                id: id(file, step, Part::Expect(i)),
                scenario: scenario.id.clone(),
                what: match &group.requirement {
                    Some(r) => format!("{} (expectation for {r})", step.name),
                    None => format!("{} (expectation)", step.name),
                },
                negative: group.expect.is_negative(),
                excused: step.unproven.clone(),
            });
        }
        if let Action::ForEach(f) = &step.action {
            collect(scenario, file, &f.steps, out);
        }
    }
}

/// The binding operations `scenario` calls (by `call` or in a poll), loop bodies too.
pub fn operations(scenario: &Scenario) -> BTreeSet<String> {
    fn walk(steps: &[Step], out: &mut BTreeSet<String>) {
        for step in steps {
            match &step.action {
                Action::Call(c) => {
                    out.insert(c.operation.clone());
                }
                Action::Poll(p) => {
                    out.insert(p.call.clone());
                }
                Action::Parallel(p) => {
                    out.extend(p.calls.iter().map(|c| c.operation.clone()));
                }
                Action::ForEach(f) => walk(&f.steps, out),
                _ => {}
            }
        }
    }
    let mut out = BTreeSet::new();
    walk(&scenario.steps, &mut out);
    out
}

/// The step's own check, if its action can fail by itself: what it checks and
/// whether it is negative.
fn own_check(step: &Step) -> Option<(&'static str, bool)> {
    match &step.action {
        Action::AwaitRequest(_) => Some(("a request arrives", false)),
        Action::NoRequests(_) => Some(("no request arrives", true)),
        Action::DrainRequests(_) => Some(("the IUT falls quiet in time", true)),
        Action::Poll(p) if p.until => Some(("the condition comes to hold", false)),
        // `always`: nothing bad shows for a while.
        Action::Poll(_) => Some(("the condition holds throughout", true)),
        _ if step.save.iter().any(|s| !s.optional) => {
            Some(("the values it saves are there", false))
        }
        _ => None,
    }
}
