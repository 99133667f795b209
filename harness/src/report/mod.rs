//! Reports: one result model, rendered as report.json, junit.xml, summary.md and
//! report.html.

pub mod console;
pub mod coverage;
pub mod digest;
pub mod html;
pub mod junit;
pub mod markdown;
pub mod merge;
pub mod model;
pub mod status;
pub mod verdict;

use std::collections::BTreeMap;
use std::path::Path;

pub use model::{
    Failure, LateRequest, Outcome, Partition, RunReport, ScenarioResult, Selection, Summary,
};

/// Why a report could not be rendered or written.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// report.json could not be serialized.
    #[error("cannot render report.json: {0}")]
    Json(#[from] serde_json::Error),
    /// junit.xml could not be serialized.
    #[error("cannot render junit.xml: {0}")]
    Junit(#[from] quick_junit::SerializeError),
    /// report.html could not be rendered.
    #[error("cannot render report.html: {0}")]
    Html(#[from] minijinja::Error),
    /// The report folder or a file in it could not be written.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The folder or file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
}

/// A report format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// report.json
    Json,
    /// junit.xml
    Junit,
    /// summary.md
    Markdown,
    /// report.html
    Html,
}

impl Format {
    /// Parses `json`, `junit`, `md` or `html`.
    pub fn from_name(name: &str) -> Option<Self> {
        match name.trim() {
            "json" => Some(Format::Json),
            "junit" => Some(Format::Junit),
            "md" | "markdown" => Some(Format::Markdown),
            "html" => Some(Format::Html),
            _ => None,
        }
    }

    /// The file it writes.
    pub fn file_name(self) -> &'static str {
        match self {
            Format::Json => "report.json",
            Format::Junit => "junit.xml",
            Format::Markdown => "summary.md",
            Format::Html => "report.html",
        }
    }

    /// Renders the report.
    pub fn render(self, report: &RunReport) -> Result<String, ReportError> {
        match self {
            Format::Json => Ok(serde_json::to_string_pretty(report)?),
            Format::Junit => junit::render(report),
            Format::Markdown => Ok(markdown::render(report)),
            Format::Html => html::render(report),
        }
    }
}

/// Writes every format into `dir`, creating it; returns the paths written.
pub fn write(
    report: &RunReport,
    dir: &Path,
    formats: &[Format],
) -> Result<Vec<String>, ReportError> {
    std::fs::create_dir_all(dir).map_err(|source| ReportError::Write {
        path: dir.display().to_string(),
        source,
    })?;
    let mut written = Vec::new();
    for f in formats {
        let path = dir.join(f.file_name());
        let text = f.render(report)?;
        std::fs::write(&path, text).map_err(|source| ReportError::Write {
            path: path.display().to_string(),
            source,
        })?;
        written.push(path.display().to_string());
    }
    Ok(written)
}

/// A JSON file a past run left, if it is there and readable: a hint, never an error.
pub fn read_hint(path: &Path) -> Option<serde_json::Value> {
    let text = std::fs::read_to_string(path).ok()?;
    serde_json::from_str(&text).ok()
}

/// How long each run took in the last report.json in `dir`, by report id: the expected
/// durations that order the next run longest first. Empty when there is no readable
/// report (it is only a hint).
pub fn last_durations(dir: &Path) -> BTreeMap<String, u64> {
    let Some(json) = read_hint(&dir.join(Format::Json.file_name())) else {
        return BTreeMap::new();
    };
    json.get("scenarios")
        .and_then(serde_json::Value::as_array)
        .map(|runs| {
            runs.iter()
                .filter_map(|r| {
                    let id = r.get("id")?.as_str()?;
                    let ms = r.get("duration_ms")?.as_u64()?;
                    Some((id.to_string(), ms))
                })
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::Exchange;

    fn result(id: &str, outcome: Outcome) -> ScenarioResult {
        ScenarioResult {
            id: format!("{id}[alpha]"),
            scenario: id.into(),
            title: format!("title of {id}"),
            protocol: "demo".into(),
            role: "server".into(),
            variant: Some("alpha".into()),
            requirements: vec!["X-01".into()],
            outcome,
            duration_ms: 12,
            reason: None,
            failures: vec![],
            warnings: vec![],
            exchanges: vec![],
            late_traffic: vec![],
            waiver: None,
            source: format!("scenarios/demo/server/{id}.yaml:1"),
        }
    }

    #[test]
    fn the_last_report_gives_each_run_its_duration() {
        let dir = std::env::temp_dir().join(format!("crosscheck-durations-{}", std::process::id()));
        assert!(last_durations(&dir).is_empty(), "no report yet");
        write(&sample(), &dir, &[Format::Json]).expect("written");
        let durations = last_durations(&dir);
        assert_eq!(durations.get("demo-ok[alpha]"), Some(&12));
        assert_eq!(durations.len(), sample().scenarios.len());
        std::fs::write(dir.join("report.json"), "{not json").expect("overwritten");
        assert!(
            last_durations(&dir).is_empty(),
            "a broken report is no hint"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// A fixed report with one run of every outcome, so snapshots are stable.
    fn sample() -> RunReport {
        let passed = result("demo-ok", Outcome::Passed);
        let mut failed = result("demo-reuse", Outcome::Failed);
        failed.failures.push(Failure {
            step: "step 3 \"second confirmation\" (line 16)".into(),
            requirement: "X-01".into(),
            check: String::new(),
            expected: "$.granted == false".into(),
            actual: "$.granted == true".into(),
        });
        failed.exchanges.push(Exchange {
            step: "step 3".into(),
            direction: "harness->iut".into(),
            method: "POST".into(),
            url: "http://127.0.0.1:1/api/tickets/redeem".into(),
            request_headers: vec![crate::http::Header {
                name: "authorization".into(),
                value: "Bearer sha256:1a2b3c4d".into(),
            }],
            request_body: Some("{\"ticket\":\"abc\"}".into()),
            status: Some(200),
            response_headers: vec![],
            response_body: Some("{\"granted\":true}".into()),
            at_ms: Some(12),
            error: None,
            duration_ms: 3,
            tls: Some(crate::tls::Handshake {
                version: "TLSv1_3".into(),
                cipher: "TLS13_AES_256_GCM_SHA384".into(),
            }),
            curl: Some(
                "printf '{\"ticket\":\"abc\"}' | curl -sS -i -X 'POST' 'http://127.0.0.1:1/api/tickets/redeem' \\\n  -H 'authorization: Bearer '\"$CROSSCHECK_TOKEN_HARNESS\" \\\n  --data-binary @-".into(),
            ),
        });
        failed.exchanges.push(Exchange {
            step: "step 2".into(),
            direction: "iut->client".into(),
            method: "POST".into(),
            url: "/notify".into(),
            request_headers: vec![],
            request_body: Some("{\"event\":\"redeemed\"}".into()),
            status: None,
            response_headers: vec![],
            response_body: None,
            at_ms: Some(8),
            error: None,
            duration_ms: 0,
            tls: None,
            curl: None,
        });
        let mut errored = result("demo-down", Outcome::Errored);
        errored.reason =
            Some("step 1 \"call\" (line 9): could not reach http://127.0.0.1:1/api/tickets".into());
        let mut skipped = result("demo-expired", Outcome::Skipped);
        skipped.requirements = vec!["X-03".into()];
        skipped.reason = Some("no test clock | real waiting not allowed".into());
        let mut warned = result("demo-slow", Outcome::Passed);
        warned.requirements = vec!["X-02".into()];
        warned.warnings.push(Failure {
            step: "step 1 \"redeem\" (line 8)".into(),
            requirement: "X-02".into(),
            check: String::new(),
            expected: "an answer within 1 s".into(),
            actual: "an answer after 1.4 s".into(),
        });
        warned.late_traffic.push(LateRequest {
            peer: "client".into(),
            method: "POST".into(),
            path: "/tickets/t-1 | retry".into(),
            arrived_during: Some("demo-down".into()),
        });
        let mut report = RunReport::new(
            "crosscheck",
            "sample target",
            "2026-11-22T00:00:00Z".into(),
            1234,
            &["X-01", "X-02", "X-03", "X-04"],
            vec![passed, failed, errored, skipped, warned],
        )
        .with_suite_digest("sha256:5a3c".into());
        // Fixed, so the snapshots stay when the version moves.
        report.harness_version = "0.0.0-test".into();
        report
    }

    #[test]
    fn requirement_status_and_totals() {
        let r = sample();
        assert_eq!(
            r.summary,
            Summary {
                total: 5,
                scenarios: 5,
                passed: 2,
                failed: 1,
                errored: 1,
                skipped: 1,
                not_applicable: 0,
                waived: 0,
                warnings: 1
            }
        );
        let status = |id: &str| r.requirements[id].name();
        assert_eq!(status("X-01"), "failed");
        assert_eq!(status("X-02"), "warning");
        assert_eq!(status("X-03"), "skipped");
        assert_eq!(status("X-04"), "not covered");
        assert_eq!(
            r.requirement_reasons["X-03"],
            ["demo-expired[alpha] skipped: no test clock | real waiting not allowed"]
        );
        assert!(!r.all_passed());
    }

    #[test]
    fn strict_fails_a_run_that_only_warned() {
        let mut r = sample();
        r.scenarios.retain(|s| s.outcome == Outcome::Passed);
        let r = RunReport::new("crosscheck", "t", "now".into(), 1, &["X-01"], r.scenarios);
        assert_eq!(r.summary.warnings, 1);
        assert!(r.all_passed());
        assert!(!r.with_strict(true).all_passed());
    }

    #[test]
    fn an_interrupted_run_never_passes_and_says_what_never_started() {
        let mut r = sample();
        r.scenarios.retain(|s| s.outcome == Outcome::Passed);
        let r = RunReport::new("crosscheck", "t", "now".into(), 1, &["X-01"], r.scenarios);
        assert_eq!(r.verdict(), "PASS");
        let r = r.with_interruption(vec!["demo-later".into()]);
        assert!(!r.all_passed());
        assert_eq!(r.verdict(), "INTERRUPTED");
        let md = Format::Markdown.render(&r).expect("renders");
        assert!(md.starts_with("# crosscheck: INTERRUPTED"), "{md}");
        assert!(md.contains("1 runs never started (demo-later)"), "{md}");
        let json: serde_json::Value =
            serde_json::from_str(&Format::Json.render(&r).expect("renders")).expect("json");
        assert_eq!(
            (&json["interrupted"], &json["not_started"]),
            (&serde_json::json!(true), &serde_json::json!(["demo-later"]))
        );
    }

    #[test]
    fn junit_snapshot() {
        insta::assert_snapshot!(Format::Junit.render(&sample()).expect("renders"));
    }

    #[test]
    fn markdown_snapshot() {
        insta::assert_snapshot!(Format::Markdown.render(&sample()).expect("renders"));
    }

    #[test]
    fn html_snapshot() {
        let mut report = sample();
        report.scenarios[1].failures[0].actual = "<script>alert(1)</script>".into();
        let html = Format::Html.render(&report).expect("renders");
        assert!(!html.contains("<script>alert") && html.contains("&lt;script&gt;alert"));
        // The sequence view is in time order: the callback at 8 ms before the call at 12.
        let callback = html.find("IUT &rarr; mock client").expect("the callback");
        let call = html.find("harness &rarr; IUT").expect("the call");
        assert!(callback < call);
        // Bodies are indented.
        assert!(html.contains("{\n  &quot;granted&quot;: true\n}"), "{html}");
        insta::assert_snapshot!(html);
    }

    #[test]
    fn junit_suites_have_time_and_timestamp_and_failures_show_both_sides() {
        let mut report = sample();
        report.scenarios[0].variant = None;
        let xml = Format::Junit.render(&report).expect("renders");
        assert!(xml.contains(r#"classname="demo.server""#), "{xml}");
        assert!(xml.contains(r#"classname="demo.server.alpha""#), "{xml}");
        let suite = xml
            .lines()
            .find(|l| l.contains("<testsuite "))
            .expect("a suite");
        assert!(suite.contains(r#"time="0.060""#), "{suite}");
        assert!(
            suite.contains(r#"timestamp="2026-11-22T00:00:00"#),
            "{suite}"
        );
        assert!(
            xml.contains("expected $.granted == false, got $.granted == true"),
            "{xml}"
        );
    }

    #[test]
    fn runs_and_scenarios_are_counted_apart() {
        let mut twice = result("demo-ok", Outcome::Passed);
        twice.id = "demo-ok[beta]".into();
        let runs = vec![result("demo-ok", Outcome::Passed), twice];
        let r = RunReport::new("crosscheck", "t", "now".into(), 1, &["X-01"], runs);
        assert_eq!((r.summary.total, r.summary.scenarios), (2, 1));
        assert_eq!(r.summary.runs_of_scenarios(), "2 runs of 1 scenario");
        assert_eq!(sample().summary.runs_of_scenarios(), "5 scenarios");
        let line = console::Console::new(console::Mode::Plain, false).summary_line(&r, &[]);
        assert!(
            line.starts_with("PASS: 2 runs of 1 scenario: 2 passed"),
            "{line}"
        );
    }

    #[test]
    fn markdown_cells_escape_pipes_backticks_html_and_controls() {
        assert_eq!(
            markdown::cell("a|b`c<i>&\n\u{1b}[2J\0"),
            "a\\|b\\`c&lt;i&gt;&amp; \\x1b[2J\\0"
        );
    }

    #[test]
    fn json_has_the_design_fields() {
        let json: serde_json::Value =
            serde_json::from_str(&Format::Json.render(&sample()).expect("renders")).expect("json");
        for field in [
            "suite",
            "target",
            "started_at",
            "duration_ms",
            "summary",
            "requirements",
            "scenarios",
        ] {
            assert!(json.get(field).is_some(), "{field}");
        }
        let failed = &json["scenarios"][1];
        assert_eq!(failed["failures"][0]["expected"], "$.granted == false");
        assert_eq!(failed["exchanges"][0]["status"], 200);
        assert_eq!(failed["exchanges"][0]["tls"]["version"], "TLSv1_3");
    }
}
