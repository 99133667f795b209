//! Unit tests of the fuzz merge: parts made from one synthetic campaign merge into
//! what the whole campaign reports; parts that are not one campaign are refused.

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::*;
use crate::fuzz::findings::{Finding, Findings, Identity, KEPT_PER_CLASS};
use crate::fuzz::Plan;
use crate::profile::fuzz::{Mutant, Problem};

const CASES: usize = 200;
const CLASSES: [&str; 3] = ["bad IP", "cut", "extra field"];

/// Case `i`'s class, and its finding if it has one (a deterministic IUT).
fn case(i: usize) -> (&'static str, Option<Finding>) {
    let class = CLASSES[i % 7 % 3];
    let found = (i.is_multiple_of(5) || i.is_multiple_of(11)).then(|| {
        let mutant = Mutant {
            class,
            label: format!("mutant {i}"),
            via: "send",
            input: format!("input {i}").into_bytes(),
        };
        let oracle = if i.is_multiple_of(2) {
            "no 5xx"
        } else {
            "the right status"
        };
        Finding::new(Some(i), &mutant, Problem::new(oracle, "answered 500"), None)
    });
    (class, found)
}

/// The report of `plan`, as the engine would write it; `after` adds a failed
/// untouched input.
fn run(plan: Plan, after: bool) -> FuzzReport {
    let mut classes: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut kept = Findings::default();
    let mut findings = 0;
    for i in plan.numbers() {
        let (class, found) = case(i);
        *classes.entry(class).or_default() += 1;
        if let Some(mut f) = found {
            f.regression = Some(format!("elsewhere/regressions/fuzz-{i}.yaml"));
            findings += 1;
            kept.add(f);
        }
    }
    if after {
        let untouched = Mutant {
            class: "none (the untouched input)",
            label: "the untouched input".into(),
            via: "after",
            input: Vec::new(),
        };
        findings += 1;
        kept.add(Finding::new(
            None,
            &untouched,
            Problem::new("a valid input is accepted", "refused"),
            None,
        ));
    }
    FuzzReport {
        title: "demo campaign".into(),
        campaign: Identity {
            harness_version: "0.1.0".into(),
            protocol: "demo".into(),
            role: "server".into(),
            target: "built-in simulator".into(),
            faults: vec!["f".into()],
            connections: "auto".into(),
        },
        seed: 7,
        cases: plan.cases,
        cases_done: plan.len(),
        partition: plan.part,
        max_seconds: None,
        time_budget_ended: false,
        concurrency: 8,
        connections: "keep-alive".into(),
        duration_ms: 100,
        cases_per_second: 1.0,
        classes,
        findings,
        groups: kept.into_groups(),
    }
}

/// The parts of a `count`-way split, written (fuzz.json and each kept finding's
/// regression file) and read back as `merge` reads them.
fn parts(name: &str, count: usize, after: impl Fn(usize) -> bool) -> Vec<Part> {
    let root = std::env::temp_dir().join(format!(
        "crosscheck-unit-fuzz-merge-{name}-{}",
        std::process::id()
    ));
    (1..=count)
        .map(|index| {
            let plan = Plan::new(CASES, Some(Partition { index, count }));
            let report = run(plan, after(index));
            let dir = root.join(format!("part-{index}"));
            std::fs::create_dir_all(dir.join("regressions")).expect("dir");
            for f in report.kept() {
                if let Some(r) = &f.regression {
                    let file = PathBuf::from(r);
                    let name = file.file_name().expect("a file name");
                    std::fs::write(dir.join("regressions").join(name), "id: x\n").expect("file");
                }
            }
            let json = serde_json::to_string(&report).expect("JSON");
            std::fs::write(dir.join(FILE), json).expect("write");
            read(&dir).expect("read back")
        })
        .collect()
}

/// What a report says of cases and findings: classes, counts, kept case numbers and
/// inputs.
fn outcome(r: &FuzzReport) -> String {
    let groups: Vec<String> = r
        .groups
        .iter()
        .map(|g| {
            let kept: Vec<String> = g
                .kept
                .iter()
                .map(|f| format!("{:?} {} {}", f.case, f.oracle, f.input.escaped))
                .collect();
            format!(
                "{} {} {:?} [{}]",
                g.class,
                g.count,
                g.oracles,
                kept.join(", ")
            )
        })
        .collect();
    format!(
        "{:?} {} {} {}\n{}",
        r.classes,
        r.cases_done,
        r.findings,
        r.time_budget_ended,
        groups.join("\n")
    )
}

fn error(parts: Vec<Part>) -> String {
    match merge(parts) {
        Ok(_) => panic!("merged"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn three_parts_merge_into_the_whole_campaign() {
    let whole = run(Plan::new(CASES, None), false);
    assert!(
        whole.groups.iter().all(|g| g.count > KEPT_PER_CLASS),
        "sampled"
    );
    let merged = merge(parts("three", 3, |_| false)).expect("merges");
    assert_eq!(outcome(&merged.report), outcome(&whole));
    assert!(merged.report.partition.is_none());
    assert_eq!(merged.regressions.len(), 3 * KEPT_PER_CLASS);
    for (from, name) in &merged.regressions {
        let case: usize = name
            .trim_start_matches("fuzz-")
            .trim_end_matches(".yaml")
            .parse()
            .expect("a case number");
        let part = format!("part-{}", case % 3 + 1);
        assert!(
            from.is_file() && from.to_string_lossy().contains(&part),
            "{from:?}"
        );
    }
}

#[test]
fn the_untouched_input_is_one_finding_whichever_parts_failed_it() {
    let whole = run(Plan::new(CASES, None), true);
    let merged = merge(parts("after", 3, |k| k != 1)).expect("merges");
    assert_eq!(outcome(&merged.report), outcome(&whole));
}

#[test]
fn a_single_whole_campaign_merges_to_itself() {
    let whole = run(Plan::new(CASES, None), false);
    let dir =
        std::env::temp_dir().join(format!("crosscheck-unit-fuzz-whole-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("regressions")).expect("dir");
    for f in whole.kept() {
        let name = PathBuf::from(f.regression.as_deref().expect("written"));
        let name = name.file_name().expect("name");
        std::fs::write(dir.join("regressions").join(name), "id: x\n").expect("file");
    }
    std::fs::write(dir.join(FILE), serde_json::to_string(&whole).expect("JSON")).expect("write");
    let merged = merge(vec![read(&dir).expect("read")]).expect("merges");
    assert_eq!(outcome(&merged.report), outcome(&whole));
}

#[test]
fn a_missing_part_is_named_with_the_command_that_makes_it() {
    let mut given = parts("missing", 3, |_| false);
    given.remove(1);
    let e = error(given);
    assert!(
        e.starts_with(
            "missing partitions 2/3 of 3: run `crosscheck fuzz demo --role server --cases 200 \
             --seed 7 --fault f --partition 2/3 ...` (the same target, faults and \
             --connections as the others)"
        ),
        "{e}"
    );
}

#[test]
fn the_same_part_twice_overlaps() {
    let mut given = parts("overlap", 2, |_| false);
    given.push(given[0].clone());
    let e = error(given);
    assert!(
        e.starts_with("overlapping partitions: 1/2 given by "),
        "{e}"
    );
}

#[test]
fn parts_of_another_seed_or_case_count_are_refused_naming_both_files() {
    let mut given = parts("seed", 2, |_| false);
    given[1].report.seed = 8;
    let e = error(given.clone());
    let (a, b) = (given[0].name(), given[1].name());
    assert_eq!(e, format!("seed differs: {a} has 7, {b} has 8"));
    given[1].report.seed = 7;
    given[1].report.cases = 300;
    assert!(error(given.clone()).starts_with("cases differs: "));
    given[1].report.cases = CASES;
    given[1].report.campaign.harness_version = "0.2.0".into();
    assert!(error(given).starts_with("harness_version differs: "));
}

#[test]
fn a_whole_campaign_among_parts_is_refused() {
    let mut given = parts("whole-among", 2, |_| false);
    given[1].report.partition = None;
    let e = error(given.clone());
    assert_eq!(
        e,
        format!(
            "{} is a whole campaign, not a partition (fuzz --partition K/N): only the parts \
             of one partitioned campaign merge",
            given[1].name()
        )
    );
}

#[test]
fn a_missing_regression_file_is_refused() {
    let given = parts("no-regression", 2, |_| false);
    let dir = given[0].file.with_file_name("regressions");
    std::fs::remove_dir_all(&dir).expect("remove");
    let e = error(given);
    assert!(
        e.contains("the regression scenario of case 0, ") && e.contains("cannot be read"),
        "{e}"
    );
}

#[test]
fn broken_json_and_other_json_are_named_with_line_and_column() {
    let dir = std::env::temp_dir().join(format!(
        "crosscheck-unit-fuzz-broken-{}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).expect("dir");
    std::fs::write(dir.join(FILE), "{\"title\": \"t\",\n  \"seed\": }").expect("write");
    let e = read(&dir).map(|_| ()).expect_err("broken").to_string();
    let file = dir.join(FILE).display().to_string();
    assert_eq!(
        e,
        format!("{file}: invalid JSON: expected value at line 2 column 11")
    );
    std::fs::write(dir.join(FILE), "{\"title\": \"t\"}").expect("write");
    let e = read(&dir)
        .map(|_| ())
        .expect_err("not a report")
        .to_string();
    assert!(
        e.starts_with(&format!(
            "{file}: not a crosscheck fuzz report: missing field"
        )),
        "{e}"
    );
}

#[test]
fn merging_into_a_parts_own_folder_keeps_its_regression_files() {
    let given = parts("into-part", 2, |_| false);
    let dir = given[0].file.parent().expect("folder").to_path_buf();
    let mut merged = merge(given).expect("merges");
    copy_regressions(&mut merged, &dir).expect("copies");
    for (from, _) in &merged.regressions {
        let text = std::fs::read_to_string(from).expect("still there");
        assert_eq!(text, "id: x\n", "{from:?}");
    }
    assert!(merged
        .report
        .kept()
        .filter_map(|f| f.regression.as_deref())
        .all(|r| r.starts_with(&dir.display().to_string())));
}
