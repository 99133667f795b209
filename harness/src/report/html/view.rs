//! What report.html shows, computed from the result model: problems, the coverage of
//! each requirement by runs, and each run's traffic in time order with bodies
//! pretty-printed.

use std::collections::BTreeSet;

use serde::Serialize;

use crate::http::Exchange;
use crate::protocols;
use crate::report::model::{charged, Failure, Outcome, RunReport, ScenarioResult};
use crate::requirement_book;

/// The whole page.
#[derive(Serialize)]
pub(super) struct Page<'a> {
    report: &'a RunReport,
    style: &'static str,
    script: &'static str,
    verdict: &'static str,
    verdict_class: String,
    seconds: String,
    selection: String,
    runs_of_scenarios: String,
    counts: Vec<Count>,
    warned: usize,
    problems: Vec<RunView<'a>>,
    outcomes: Vec<&'static str>,
    protocols: BTreeSet<&'a str>,
    roles: BTreeSet<&'a str>,
    requirements: Vec<RequirementRow<'a>>,
    runs: Vec<RunView<'a>>,
}

/// One total of the header.
#[derive(Serialize)]
struct Count {
    n: usize,
    name: &'static str,
    class: String,
}

/// One requirement with the runs that cite it.
#[derive(Serialize)]
struct RequirementRow<'a> {
    id: &'a str,
    status: &'static str,
    class: String,
    level: Option<&'static str>,
    gist: &'static str,
    statement: Option<&'static str>,
    source: Option<&'static str>,
    checks: Option<&'static str>,
    reasons: &'a [String],
    runs: Vec<Chip<'a>>,
}

/// A run cited by a requirement, coloured by its outcome.
#[derive(Serialize)]
struct Chip<'a> {
    id: &'a str,
    anchor: String,
    outcome: &'static str,
    class: String,
}

/// One run.
#[derive(Serialize, Clone)]
struct RunView<'a> {
    id: &'a str,
    anchor: String,
    title: &'a str,
    protocol: &'a str,
    role: &'a str,
    variant: Option<&'a str>,
    outcome: &'static str,
    class: String,
    duration_ms: u64,
    source: &'a str,
    requirements: &'a [String],
    reason: Option<&'a str>,
    waiver: Option<&'a str>,
    failures: Vec<FailureView<'a>>,
    warnings: &'a [Failure],
    late_traffic: &'a [crate::report::model::LateRequest],
    /// What the text search looks in, lower case.
    text: String,
    /// Whether its traffic starts unfolded (runs that did not pass).
    open: bool,
    parties: Vec<String>,
    exchanges: Vec<ExchangeView<'a>>,
}

/// A failure, with the first requirement it is charged to (the link target).
#[derive(Serialize, Clone)]
struct FailureView<'a> {
    #[serde(flatten)]
    failure: &'a Failure,
    first: &'a str,
}

/// One exchange of the sequence view.
#[derive(Serialize, Clone)]
struct ExchangeView<'a> {
    at_ms: Option<u64>,
    step: &'a str,
    from: String,
    to: String,
    /// `call` (the harness called the IUT) or `callback` (the IUT called a mock peer).
    kind: &'static str,
    method: &'a str,
    url: &'a str,
    status: Option<u16>,
    status_class: String,
    duration_ms: u64,
    tls: Option<String>,
    request_headers: &'a [crate::http::Header],
    request_body: Option<String>,
    response_headers: &'a [crate::http::Header],
    response_body: Option<String>,
    error: Option<&'a str>,
    curl: Option<&'a str>,
}

/// CSS class of a status or outcome name.
fn class_of(name: &str) -> String {
    name.replace(' ', "-")
}

impl<'a> Page<'a> {
    /// The page of `report`.
    pub(super) fn of(report: &'a RunReport, style: &'static str, script: &'static str) -> Self {
        let runs: Vec<RunView<'a>> = report
            .scenarios
            .iter()
            .enumerate()
            .map(|(i, r)| RunView::of(i, r))
            .collect();
        let s = &report.summary;
        let counts = [
            (s.passed, "passed"),
            (s.failed, "failed"),
            (s.errored, "errored"),
            (s.waived, "waived"),
            (s.skipped, "skipped"),
            (s.not_applicable, "not applicable"),
            (s.warnings, "warnings"),
        ]
        .into_iter()
        .map(|(n, name)| Count {
            n,
            name,
            class: if n == 0 {
                "zero".into()
            } else {
                class_of(name.trim_end_matches('s'))
            },
        })
        .collect();
        let outcomes = [
            Outcome::Failed,
            Outcome::Errored,
            Outcome::Waived,
            Outcome::Passed,
            Outcome::Skipped,
            Outcome::NotApplicable,
        ]
        .into_iter()
        .filter(|o| report.scenarios.iter().any(|r| r.outcome == *o))
        .map(Outcome::name)
        .collect();
        let requirements = report
            .requirements
            .iter()
            .map(|(id, status)| {
                let text = requirement_book::text_of(id);
                let known = protocols::requirement(id);
                RequirementRow {
                    id,
                    status: status.name(),
                    class: class_of(status.name()),
                    level: known.map(|r| r.level.name()),
                    gist: known.map_or("", |r| r.gist),
                    statement: text.map(|t| t.statement.as_str()),
                    source: text.map(|t| t.source.as_str()),
                    checks: text.map(|t| t.checks.as_str()),
                    reasons: report
                        .requirement_reasons
                        .get(id)
                        .map_or(&[][..], Vec::as_slice),
                    runs: runs
                        .iter()
                        .filter(|r| r.requirements.iter().any(|q| q == id))
                        .map(|r| Chip {
                            id: r.id,
                            anchor: r.anchor.clone(),
                            outcome: r.outcome,
                            class: r.class.clone(),
                        })
                        .collect(),
                }
            })
            .collect();
        let verdict = report.verdict();
        Page {
            report,
            style,
            script,
            verdict,
            verdict_class: class_of(&verdict.to_lowercase()),
            seconds: format!("{:.1}", report.duration_ms as f64 / 1000.0),
            selection: report.selection.to_string(),
            runs_of_scenarios: capitalised(&s.runs_of_scenarios()),
            counts,
            warned: report
                .scenarios
                .iter()
                .filter(|r| !r.warnings.is_empty())
                .count(),
            problems: runs
                .iter()
                .filter(|r| matches!(r.outcome, "failed" | "errored" | "waived"))
                .cloned()
                .collect(),
            outcomes,
            protocols: report
                .scenarios
                .iter()
                .map(|r| r.protocol.as_str())
                .collect(),
            roles: report.scenarios.iter().map(|r| r.role.as_str()).collect(),
            requirements,
            runs,
        }
    }
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |c| {
        c.to_uppercase().chain(chars).collect::<String>()
    })
}

impl<'a> RunView<'a> {
    fn of(index: usize, r: &'a ScenarioResult) -> Self {
        let mut text = vec![r.id.as_str(), r.title.as_str(), r.source.as_str()];
        text.extend(r.requirements.iter().map(String::as_str));
        text.extend(r.reason.as_deref());
        for f in r.failures.iter().chain(&r.warnings) {
            text.extend([f.step.as_str(), f.expected.as_str(), f.actual.as_str()]);
        }
        // A curl line to replay a call is for runs someone will look into: not for a
        // run that passed without a warning (report.json keeps it for every call).
        let replay = r.outcome != Outcome::Passed || !r.warnings.is_empty();
        let mut exchanges: Vec<ExchangeView<'a>> = r
            .exchanges
            .iter()
            .map(|e| ExchangeView::of(e, replay))
            .collect();
        // In time order when every exchange has its time; else as recorded.
        if exchanges.iter().all(|e| e.at_ms.is_some()) {
            exchanges.sort_by_key(|e| e.at_ms);
        }
        // The harness and the IUT first, then each mock peer as it first appears.
        let mut parties: Vec<String> = Vec::new();
        for p in exchanges.iter().flat_map(|e| [&e.from, &e.to]) {
            if !parties.contains(p) {
                parties.push(p.clone());
            }
        }
        parties.sort_by_key(|p| match p.as_str() {
            "harness" => 0,
            "IUT" => 1,
            _ => 2,
        });
        RunView {
            id: &r.id,
            anchor: format!("run-{}", index + 1),
            title: &r.title,
            protocol: &r.protocol,
            role: &r.role,
            variant: r.variant.as_deref(),
            outcome: r.outcome.name(),
            class: class_of(r.outcome.name()),
            duration_ms: r.duration_ms,
            source: &r.source,
            requirements: &r.requirements,
            reason: r.reason.as_deref(),
            waiver: r.waiver.as_deref(),
            failures: r
                .failures
                .iter()
                .map(|f| FailureView {
                    failure: f,
                    first: charged(&f.requirement).next().unwrap_or(""),
                })
                .collect(),
            warnings: &r.warnings,
            late_traffic: &r.late_traffic,
            text: text.join(" ").to_lowercase(),
            open: !matches!(r.outcome, Outcome::Passed),
            parties,
            exchanges,
        }
    }
}

impl<'a> ExchangeView<'a> {
    /// The view of `e`, with its curl line when `replay`.
    fn of(e: &'a Exchange, replay: bool) -> Self {
        let (from, to) = parties_of(&e.direction);
        let kind = if from == "harness" {
            "call"
        } else {
            "callback"
        };
        ExchangeView {
            at_ms: e.at_ms,
            step: &e.step,
            from,
            to,
            kind,
            method: &e.method,
            url: &e.url,
            status: e.status,
            status_class: match (e.status, &e.error) {
                (Some(code), _) => (code / 100).to_string(),
                (None, Some(_)) => "err".into(),
                (None, None) => "none".into(),
            },
            duration_ms: e.duration_ms,
            tls: e
                .tls
                .as_ref()
                .map(|t| format!("{}, {}", t.version, t.cipher)),
            request_headers: &e.request_headers,
            request_body: e.request_body.as_deref().map(pretty),
            response_headers: &e.response_headers,
            response_body: e.response_body.as_deref().map(pretty),
            error: e.error.as_deref(),
            curl: e.curl.as_deref().filter(|_| replay),
        }
    }
}

/// `harness->iut` → (`harness`, `IUT`); `iut->client` → (`IUT`, `mock client`).
fn parties_of(direction: &str) -> (String, String) {
    let name = |side: &str| match side {
        "harness" => "harness".to_string(),
        "iut" => "IUT".to_string(),
        peer => format!("mock {peer}"),
    };
    match direction.split_once("->") {
        Some((from, to)) => (name(from), name(to)),
        None => (direction.to_string(), String::new()),
    }
}

/// A JSON body indented; anything else as it came (it is already redacted and cut).
fn pretty(body: &str) -> String {
    match serde_json::from_str::<serde_json::Value>(body) {
        Ok(v @ (serde_json::Value::Object(_) | serde_json::Value::Array(_))) => {
            serde_json::to_string_pretty(&v).unwrap_or_else(|_| body.to_string())
        }
        _ => body.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directions_name_both_parties() {
        assert_eq!(parties_of("harness->iut"), ("harness".into(), "IUT".into()));
        assert_eq!(
            parties_of("iut->client"),
            ("IUT".into(), "mock client".into())
        );
        assert_eq!(parties_of("odd"), ("odd".into(), String::new()));
    }

    #[test]
    fn json_bodies_are_indented_and_other_bodies_kept() {
        assert_eq!(pretty(r#"{"a":[1]}"#), "{\n  \"a\": [\n    1\n  ]\n}");
        assert_eq!(pretty("not json {"), "not json {");
        assert_eq!(pretty("\"just a string\""), "\"just a string\"");
    }
}
