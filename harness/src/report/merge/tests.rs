use std::path::PathBuf;

use super::*;
use crate::report::model::{Failure, Outcome, Partition, ScenarioResult, Selection};
use crate::report::{write, Format};

fn run(id: &str, outcome: Outcome) -> ScenarioResult {
    ScenarioResult {
        id: id.into(),
        scenario: id.into(),
        title: format!("title of {id}"),
        protocol: "demo".into(),
        role: "server".into(),
        variant: None,
        requirements: vec!["X-01".into()],
        outcome,
        duration_ms: 5,
        reason: None,
        failures: match outcome {
            Outcome::Failed => vec![Failure {
                step: "step 1".into(),
                requirement: "X-01".into(),
                check: String::new(),
                expected: "200".into(),
                actual: "500".into(),
            }],
            _ => vec![],
        },
        warnings: vec![],
        exchanges: vec![],
        late_traffic: vec![],
        waiver: None,
        source: format!("scenarios/demo/server/{id}.yaml:1"),
    }
}

/// Part `k` of `n` holding `runs`, judged against X-01..X-03.
fn part(k: usize, n: usize, runs: Vec<ScenarioResult>) -> Shard {
    let report = RunReport::new(
        "crosscheck",
        "built-in simulators (demo server)",
        format!("2026-12-03T07:00:0{k}Z"),
        100 * k as u64,
        &["X-01", "X-02", "X-03"],
        runs,
    )
    .with_suite_digest("sha256:aaaa".into())
    .with_selection(Selection::default(), Some(Partition { index: k, count: n }));
    Shard {
        file: PathBuf::from(format!("part-{k}/report.json")),
        report,
    }
}

fn three() -> Vec<Shard> {
    vec![
        part(1, 3, vec![run("d-c", Outcome::Passed)]),
        part(
            2,
            3,
            vec![run("d-a", Outcome::Failed), run("d-d", Outcome::Skipped)],
        ),
        part(3, 3, vec![run("d-b", Outcome::Passed)]),
    ]
}

fn refusal(shards: Vec<Shard>) -> String {
    merge(shards, false).expect_err("refused").to_string()
}

#[test]
fn parts_merge_into_what_the_whole_run_reports() {
    let merged = merge(three(), false).expect("merges");
    let ids: Vec<&str> = merged.scenarios.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, ["d-a", "d-b", "d-c", "d-d"], "ordered by id");
    assert_eq!(
        (
            merged.summary.total,
            merged.summary.passed,
            merged.summary.failed,
            merged.summary.skipped
        ),
        (4, 2, 1, 1)
    );
    assert_eq!(merged.requirements["X-01"].name(), "failed");
    assert_eq!(merged.requirements["X-02"].name(), "not covered");
    assert_eq!(merged.requirements.len(), 3);
    assert_eq!(merged.started_at, "2026-12-03T07:00:01Z", "the earliest");
    assert_eq!(merged.duration_ms, 300, "the longest part");
    assert_eq!(merged.partition, None);
    assert_eq!(merged.suite_digest, "sha256:aaaa");
    assert_eq!(merged.target, "built-in simulators (demo server)");
    assert!(!merged.strict && !merged.all_passed());
}

#[test]
fn a_strict_part_or_the_flag_makes_the_merge_strict() {
    assert!(merge(three(), true).expect("merges").strict);
    let mut shards = three();
    shards[1].report.strict = true;
    assert!(merge(shards, false).expect("merges").strict);
}

#[test]
fn a_single_whole_run_merges_to_itself() {
    let mut whole = part(1, 1, vec![run("d-a", Outcome::Passed)]);
    whole.report.partition = None;
    let merged = merge(vec![whole.clone()], false).expect("merges");
    assert_eq!(merged, whole.report);
}

#[test]
fn missing_partitions_are_named_with_the_command_that_makes_them() {
    let mut shards = three();
    shards.remove(1);
    assert_eq!(
        refusal(shards),
        "missing partitions 2/3 of 3: run `crosscheck run --partition 2/3 ...` \
         (the same scenario files and filters as the others)"
    );
    let e = refusal(vec![three().remove(2)]);
    assert!(e.starts_with("missing partitions 1/3, 2/3 of 3: "), "{e}");
}

#[test]
fn the_same_partition_twice_overlaps() {
    let mut shards = three();
    let mut again = part(2, 3, vec![run("d-e", Outcome::Passed)]);
    again.file = PathBuf::from("copy/report.json");
    shards.push(again);
    assert_eq!(
        refusal(shards),
        "overlapping partitions: 2/3 given by part-2/report.json and copy/report.json"
    );
}

#[test]
fn the_same_run_in_two_parts_overlaps() {
    let mut shards = three();
    shards[2].report.scenarios.push(run("d-c", Outcome::Passed));
    assert_eq!(
        refusal(shards),
        "overlap: run d-c is in both part-1/report.json and part-3/report.json"
    );
}

#[test]
fn a_whole_run_among_parts_is_refused() {
    let mut shards = three();
    shards[1].report.partition = None;
    assert_eq!(
        refusal(shards),
        "part-2/report.json is a whole run, not a partition (run --partition K/N): \
         only the parts of one partitioned run merge"
    );
}

#[test]
fn an_impossible_partition_is_refused() {
    let mut shards = three();
    shards[0].report.partition = Some(Partition { index: 0, count: 3 });
    assert_eq!(
        refusal(shards),
        "part-1/report.json: partition 0/3 is not one of 1/3..3/3"
    );
}

#[test]
fn parts_of_different_runs_are_refused_naming_both_files_and_values() {
    type Edit = fn(&mut RunReport);
    let cases: [(Edit, &str); 6] = [
        (
            |r| r.suite_digest = "sha256:bbbb".into(),
            "suite_digest differs: part-1/report.json has sha256:aaaa, part-2/report.json has sha256:bbbb",
        ),
        (
            |r| r.harness_version = "9.9.9".into(),
            "harness_version differs: part-1/report.json has 0.1.0, part-2/report.json has 9.9.9",
        ),
        (
            |r| r.selection.tags = vec!["smoke".into()],
            "selection differs: part-1/report.json has no filter, part-2/report.json has --tag smoke",
        ),
        (
            |r| r.partition = Some(Partition { index: 2, count: 4 }),
            "partition count differs: part-1/report.json has 3, part-2/report.json has 4",
        ),
        (
            |r| r.target = "elsewhere".into(),
            "target differs: part-1/report.json has built-in simulators (demo server), part-2/report.json has elsewhere",
        ),
        (
            |r| r.clock = "virtual".into(),
            "clock differs: part-1/report.json has real, part-2/report.json has virtual",
        ),
    ];
    for (edit, message) in cases {
        let mut shards = three();
        edit(&mut shards[1].report);
        assert_eq!(
            refusal(shards),
            message.replace("0.1.0", env!("CARGO_PKG_VERSION"))
        );
    }
}

#[test]
fn a_start_that_is_no_time_is_refused() {
    let mut shards = three();
    shards[2].report.started_at = "yesterday".into();
    assert_eq!(
        refusal(shards),
        "part-3/report.json: started_at `yesterday` is not an RFC 3339 time"
    );
    assert_eq!(refusal(vec![]), "no report to merge");
}

/// A fresh folder for one test.
fn folder(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("crosscheck-merge-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

#[test]
fn a_written_report_reads_back_the_same() {
    let dir = folder("roundtrip");
    let mut shard = part(2, 3, vec![run("d-a", Outcome::Failed)]);
    shard.report.selection.protocol = Some("demo".into());
    write(&shard.report, &dir, &[Format::Json]).expect("written");
    let back = read(&dir).expect("reads");
    assert_eq!(back.report, shard.report);
    assert_eq!(back.file, dir.join("report.json"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn unreadable_reports_are_named_with_line_and_column() {
    let dir = folder("unreadable");
    let file = dir.join("report.json").display().to_string();
    let e = read(&dir).expect_err("no file").to_string();
    assert!(e.starts_with(&format!("{file}: cannot read: ")), "{e}");
    let cases = [
        (
            "{\n  \"schema_version\": 1,\n  oops\n}",
            "invalid JSON: key must be a string at line 3 column 3",
        ),
        (
            "{\"schema_version\": 2}",
            "schema_version 2, but this crosscheck merges schema_version 1",
        ),
        (
            "[1, 2]",
            "schema_version absent, but this crosscheck merges schema_version 1",
        ),
        (
            "{\"schema_version\": 1,\n\"suite\": 3}",
            "not a crosscheck report: invalid type: integer `3`, expected a string at line 2 column 10",
        ),
    ];
    for (text, why) in cases {
        std::fs::write(dir.join("report.json"), text).expect("written");
        let e = read(&dir).expect_err(text).to_string();
        assert_eq!(e, format!("{file}: {why}"));
    }
    let _ = std::fs::remove_dir_all(&dir);
}
