//! Isolation against an out-of-process IUT: a CO that legally backs off up to 8 s
//! retries after `on-co-retries-5xx` has taken it as done. That late retry must not be
//! judged by the next scenario, and the report lists it under the scenario it came
//! from.

mod common;

use common::{crosscheck, free_port, root, start_sim, temp_dir, text};

#[test]
fn a_late_retry_is_set_aside_and_listed_under_its_own_scenario() {
    let dir = temp_dir("late-traffic");
    let (co_port, mock_sp) = (free_port(), free_port());
    let fixture =
        std::fs::read_to_string(root().join("fixtures/targets/onapi-co.yaml")).expect("fixture");
    let target = dir.join("co.yaml");
    std::fs::write(
        &target,
        fixture
            .replace("18210", &co_port.to_string())
            .replace("18280", &mock_sp.to_string()),
    )
    .expect("target");
    let listen = format!("127.0.0.1:{co_port}");
    let sp_base = format!("http://127.0.0.1:{mock_sp}");
    let _co = start_sim(
        &[
            "onapi",
            "--role",
            "co",
            "--listen",
            &listen,
            "--peer-base",
            &sp_base,
            "--variation",
            "co-backoff-to-8s",
        ],
        co_port,
    );
    let reports = dir.join("reports");
    let out = crosscheck(&[
        "run",
        "--target",
        target.to_str().expect("utf-8"),
        "--report-dir",
        reports.to_str().expect("utf-8"),
    ]);
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "no false failure: {all}");
    let report: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(reports.join("report.json")).expect("report.json"),
    )
    .expect("json");
    let runs = report["scenarios"].as_array().expect("scenarios");
    // A run that is not in the report fails here, not as "no late traffic"; a run
    // without late traffic has no `late_traffic` field.
    let late_of = |id: &str| {
        let run = runs
            .iter()
            .find(|r| r["id"] == id)
            .unwrap_or_else(|| panic!("no run {id} in the report: {report:#}"));
        match &run["late_traffic"] {
            serde_json::Value::Null => Vec::new(),
            other => other.as_array().cloned().expect("late_traffic is a list"),
        }
    };
    let late = late_of("on-co-retries-5xx");
    assert!(!late.is_empty(), "the 8 s retry is listed: {report:#}");
    assert!(
        late.iter().all(|l| l["peer"] == "sp"
            && l["method"] == "POST"
            && l["path"]
                .as_str()
                .is_some_and(|p| p.contains("activationnotice"))),
        "{late:?}"
    );
    for other in [
        "on-co-no-resend-after-400",
        "on-co-notice-well-formed",
        "on-co-retry-after",
    ] {
        assert!(late_of(other).is_empty(), "{other}: {report:#}");
    }
    let md = std::fs::read_to_string(reports.join("summary.md")).expect("summary.md");
    assert!(
        md.contains("## Late traffic") && md.contains("| on-co-retries-5xx | sp | POST /onapi"),
        "{md}"
    );
}
