//! `crosscheck merge`: the parts of a partitioned run merge into the report the whole
//! run writes, and parts that do not make one run are refused with exit 2, naming the
//! files. Real binary, built-in simulators (virtual time).

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use common::{crosscheck, temp_dir, text};
use serde_json::Value;

/// The three parts (`part-1`..`part-3`) and the whole run (`whole`) of the default
/// suite, run once for every test of this file.
fn runs() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = temp_dir("merge-runs");
        for k in 1..=3 {
            let out = run_into(
                &dir.join(format!("part-{k}")),
                &["--partition", &format!("{k}/3")],
            );
            assert_eq!(out.status.code(), Some(0), "part {k}: {}", text(&out));
        }
        let out = run_into(&dir.join("whole"), &[]);
        assert_eq!(out.status.code(), Some(0), "whole: {}", text(&out));
        dir
    })
}

fn run_into(dir: &Path, args: &[&str]) -> std::process::Output {
    let mut all = vec!["run"];
    all.extend_from_slice(args);
    all.extend(["--report-dir", s(dir)]);
    crosscheck(&all)
}

fn s(path: &Path) -> &str {
    path.to_str().expect("utf-8")
}

/// `crosscheck merge DIRS... --report-dir OUT`.
fn merge(dirs: &[&Path], out: &Path) -> std::process::Output {
    let mut all = vec!["merge"];
    all.extend(dirs.iter().map(|d| s(d)));
    all.extend(["--report-dir", s(out)]);
    crosscheck(&all)
}

fn report(dir: &Path) -> Value {
    let text = std::fs::read_to_string(dir.join("report.json")).expect("report.json");
    serde_json::from_str(&text).expect("JSON")
}

/// Run id → outcome.
fn outcomes(report: &Value) -> BTreeMap<String, String> {
    report["scenarios"]
        .as_array()
        .expect("runs")
        .iter()
        .map(|r| {
            (
                r["id"].as_str().expect("id").into(),
                r["outcome"].as_str().expect("outcome").into(),
            )
        })
        .collect()
}

fn part(k: usize) -> PathBuf {
    runs().join(format!("part-{k}"))
}

#[test]
fn three_parts_merge_into_the_whole_run() {
    let out_dir = temp_dir("merge-merged");
    let out = merge(&[&part(1), &part(2), &part(3)], &out_dir);
    let shown = text(&out);
    assert_eq!(out.status.code(), Some(0), "{shown}");
    let (merged, whole) = (report(&out_dir), report(&runs().join("whole")));
    for k in 1..=3 {
        let p = report(&part(k));
        let (part_total, whole_total) = (
            p["summary"]["total"]
                .as_u64()
                .expect("a part's summary.total"),
            whole["summary"]["total"]
                .as_u64()
                .expect("the whole's summary.total"),
        );
        assert!(
            0 < part_total && part_total < whole_total,
            "part {k} is a part: {part_total} of {whole_total}"
        );
    }
    assert_eq!(outcomes(&merged), outcomes(&whole));
    for field in [
        "total",
        "scenarios",
        "passed",
        "failed",
        "errored",
        "skipped",
        "warnings",
    ] {
        assert_eq!(merged["summary"][field], whole["summary"][field], "{field}");
    }
    assert_eq!(merged["requirements"], whole["requirements"]);
    assert!(merged["requirements"].as_object().expect("map").len() > 40);
    for field in [
        "suite_digest",
        "target",
        "target_name",
        "clock",
        "harness_version",
        "selection",
    ] {
        assert_eq!(merged[field], whole[field], "{field}");
    }
    assert!(merged.get("partition").is_none());
    for file in ["junit.xml", "summary.md", "report.html"] {
        assert!(out_dir.join(file).is_file(), "{file}");
    }
    // The console says what `run` says.
    let total = whole["summary"]["total"].as_u64().expect("total");
    let scenarios = whole["summary"]["scenarios"].as_u64().expect("scenarios");
    let passed = whole["summary"]["passed"].as_u64().expect("passed");
    let line = format!("PASS: {total} runs of {scenarios} scenarios: {passed} passed, 0 failed");
    assert!(shown.contains(&line), "{shown}");
    assert!(shown.contains("requirements: "), "{shown}");
}

#[test]
fn a_failed_run_in_one_part_fails_the_merge_and_its_requirement() {
    let dir = temp_dir("merge-failed");
    let edited = dir.join("part-2");
    std::fs::create_dir_all(&edited).expect("dir");
    let mut json = report(&part(2));
    let run = &mut json["scenarios"][0];
    let requirement = run["requirements"][0].clone();
    run["outcome"] = "failed".into();
    run["failures"] = serde_json::json!([{
        "step": "step 1", "requirement": requirement, "expected": "200", "actual": "500"
    }]);
    std::fs::write(edited.join("report.json"), json.to_string()).expect("write");
    let out_dir = dir.join("merged");
    let out = merge(&[&part(1), &edited, &part(3)], &out_dir);
    let shown = text(&out);
    assert_eq!(out.status.code(), Some(1), "{shown}");
    let merged = report(&out_dir);
    assert_eq!(merged["summary"]["failed"], 1);
    let id = requirement.as_str().expect("id");
    assert_eq!(merged["requirements"][id], "failed", "{id}");
    assert!(
        shown.contains("FAIL: ") && shown.contains(&format!("1 failed ({id}")),
        "{shown}"
    );
}

/// Runs merge, expects exit 2, no report written, and returns what it said.
fn refused(dirs: &[&Path], name: &str) -> String {
    let out_dir = temp_dir(name);
    let out = merge(dirs, &out_dir);
    let shown = text(&out);
    assert_eq!(out.status.code(), Some(2), "{shown}");
    assert!(!out_dir.join("report.json").exists(), "nothing written");
    shown
}

fn file(dir: &Path) -> String {
    dir.join("report.json").display().to_string()
}

#[test]
fn a_missing_partition_is_refused_with_the_command_that_makes_it() {
    let shown = refused(&[&part(1), &part(3)], "merge-missing");
    assert!(
        shown.contains(
            "error: missing partitions 2/3 of 3: run `crosscheck run --partition 2/3 ...`"
        ),
        "{shown}"
    );
}

#[test]
fn the_same_partition_twice_is_refused_as_an_overlap() {
    let copy = temp_dir("merge-copy");
    std::fs::copy(part(1).join("report.json"), copy.join("report.json")).expect("copy");
    let shown = refused(&[&part(1), &copy, &part(2), &part(3)], "merge-overlap");
    let expected = format!(
        "error: overlapping partitions: 1/3 given by {} and {}",
        file(&part(1)),
        file(&copy)
    );
    assert!(shown.contains(&expected), "{shown}");
}

#[test]
fn a_part_of_other_scenario_files_is_refused_naming_both_digests() {
    let other = temp_dir("merge-other-paths");
    let out = run_into(&other, &["scenarios/s2c", "--partition", "2/3"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let shown = refused(&[&part(1), &other, &part(3)], "merge-digest");
    let digest = |dir: &Path| {
        report(dir)["suite_digest"]
            .as_str()
            .expect("digest")
            .to_string()
    };
    let expected = format!(
        "error: suite_digest differs: {} has {}, {} has {}",
        file(&part(1)),
        digest(&part(1)),
        file(&other),
        digest(&other)
    );
    assert_ne!(digest(&part(1)), digest(&other));
    assert!(shown.contains(&expected), "{shown}");
}

#[test]
fn a_folder_without_a_report_or_with_broken_json_is_named() {
    let empty = temp_dir("merge-empty");
    let shown = refused(&[&part(1), &empty], "merge-no-report");
    assert!(
        shown.contains(&format!("error: {}: cannot read: ", file(&empty))),
        "{shown}"
    );
    std::fs::write(
        empty.join("report.json"),
        "{\"schema_version\": 1,\n  \"suite\": }",
    )
    .expect("write");
    let shown = refused(&[&empty, &part(2)], "merge-broken");
    assert!(
        shown.contains(&format!(
            "error: {}: invalid JSON: expected value at line 2 column 12",
            file(&empty)
        )),
        "{shown}"
    );
    // serde's message is said once, not again as the error's source.
    assert_eq!(shown.matches("line 2 column 12").count(), 1, "{shown}");
}

/// More parts than scenarios: the empty part still writes its report (exit 0), and the
/// parts merge into the whole run.
#[test]
fn an_empty_part_writes_its_report_and_the_parts_still_merge() {
    let dir = temp_dir("merge-empty-part");
    let select = ["--protocol", "onapi", "--role", "co"];
    let whole = run_into(&dir.join("whole"), &select);
    assert_eq!(whole.status.code(), Some(0), "{}", text(&whole));
    let runs = outcomes(&report(&dir.join("whole")));
    let n = runs.len() + 1;
    let mut parts = Vec::new();
    for k in 1..=n {
        let part = dir.join(format!("part-{k}"));
        let mut args = select.to_vec();
        let partition = format!("{k}/{n}");
        args.extend(["--partition", &partition]);
        let out = run_into(&part, &args);
        assert_eq!(out.status.code(), Some(0), "part {k}/{n}: {}", text(&out));
        parts.push(part);
    }
    assert!(
        outcomes(&report(&parts[n - 1])).is_empty(),
        "the last part is empty"
    );
    let merged = dir.join("merged");
    let refs: Vec<&Path> = parts.iter().map(PathBuf::as_path).collect();
    let out = merge(&refs, &merged);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(outcomes(&report(&merged)), runs);
}
