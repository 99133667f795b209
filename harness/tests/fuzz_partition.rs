//! Fuzzing at scale, end to end: `fuzz --partition K/N` parts of one seed merge
//! (`crosscheck merge`) into what the whole campaign reports (the same cases, classes,
//! finding counts and kept findings, with their regression files); parts that do not
//! make one campaign, `--cases 0` and `--max-seconds 0` are refused with exit 2; and
//! `--max-seconds` ends a large campaign early, reporting the cases done.

mod common;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use common::{crosscheck, temp_dir, text};
use serde_json::Value;

/// A campaign with a fault, so that there are findings.
struct Campaign {
    protocol: &'static str,
    role: &'static str,
    fault: &'static str,
    /// Whether mutants are the same bytes in every run: ONAPI's are; CCI's embed the
    /// key the simulator issued in the positive control, random per run, so there the
    /// mutation (its label) is compared instead.
    same_bytes: bool,
}

const CCI: Campaign = Campaign {
    protocol: "cci",
    role: "csp-a",
    fault: "a-500-on-garbage",
    same_bytes: false,
};

const ONAPI: Campaign = Campaign {
    protocol: "onapi",
    role: "sp",
    fault: "sp-500-on-missing-field",
    same_bytes: true,
};

/// `crosscheck fuzz PROTOCOL --role ROLE --fault FAULT --cases 300 --seed 7 EXTRA`
/// into `dir`: the exit code, the output and fuzz.json.
fn fuzz(c: &Campaign, extra: &[&str], dir: &Path) -> (Option<i32>, String, Value) {
    let mut args = vec![
        "fuzz",
        c.protocol,
        "--role",
        c.role,
        "--fault",
        c.fault,
        "--cases",
        "300",
        "--seed",
        "7",
        "--report-dir",
        dir.to_str().expect("utf-8"),
    ];
    args.extend(extra);
    let out = crosscheck(&args);
    (out.status.code(), text(&out), json(&dir.join("fuzz.json")))
}

fn json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

/// The whole campaign and its three parts: the folders.
type Runs = (PathBuf, Vec<PathBuf>);

/// Runs `c` whole and in three parts, once per test process.
fn runs(c: &Campaign) -> &'static Runs {
    static CCI_RUNS: OnceLock<Runs> = OnceLock::new();
    static ONAPI_RUNS: OnceLock<Runs> = OnceLock::new();
    let cell = if c.protocol == "cci" {
        &CCI_RUNS
    } else {
        &ONAPI_RUNS
    };
    cell.get_or_init(|| {
        let whole = temp_dir(&format!("fuzz-part-{}-whole", c.protocol));
        let (code, all, _) = fuzz(c, &[], &whole);
        assert_eq!(code, Some(1), "the fault is found: {all}");
        let parts = (1..=3)
            .map(|k| {
                let dir = temp_dir(&format!("fuzz-part-{}-{k}", c.protocol));
                let part = format!("{k}/3");
                let (code, all, report) = fuzz(c, &["--partition", &part], &dir);
                assert!(matches!(code, Some(0 | 1)), "part {k}: {all}");
                assert!(all.contains(&format!("(part {k}/3 of 300)")), "{all}");
                assert_eq!(report["partition"]["index"], k, "{report}");
                dir
            })
            .collect();
        (whole, parts)
    })
}

fn merge(dirs: &[&Path], out: &Path) -> (Option<i32>, String) {
    let mut args = vec!["merge"];
    args.extend(dirs.iter().map(|d| d.to_str().expect("utf-8")));
    args.extend(["--report-dir", out.to_str().expect("utf-8")]);
    let out = crosscheck(&args);
    (out.status.code(), text(&out))
}

/// What a fuzz.json says of cases and findings: classes, counts, and each kept
/// finding's case, request, oracle, mutant, shrunk input and regression file name.
fn outcome(r: &Value, same_bytes: bool) -> Value {
    let groups: Vec<Value> = r["groups"]
        .as_array()
        .expect("groups")
        .iter()
        .map(|g| {
            let kept: Vec<Value> = g["kept"]
                .as_array()
                .expect("kept")
                .iter()
                .map(|f| {
                    let file = f["regression"]
                        .as_str()
                        .and_then(|p| Path::new(p).file_name())
                        .map(|n| n.to_string_lossy().into_owned());
                    let (input, shrunk) = if same_bytes {
                        (f["input"].clone(), f["shrunk"]["input"].clone())
                    } else {
                        (f["label"].clone(), Value::Null)
                    };
                    serde_json::json!([f["case"], f["via"], f["oracle"], input, shrunk, file])
                })
                .collect();
            serde_json::json!([g["class"], g["count"], g["oracles"], kept])
        })
        .collect();
    // Where mutants embed a random key, a mutant that happens to equal the key (a byte
    // replaced by itself) is drawn again and may land in another class: per-class
    // counts then move by one or two between runs, so only the classes are compared.
    let classes = if same_bytes {
        r["classes"].clone()
    } else {
        let names: Vec<&String> = r["classes"]
            .as_object()
            .map(|m| m.keys().collect())
            .unwrap_or_default();
        serde_json::json!(names)
    };
    serde_json::json!({
        "cases": r["cases"],
        "cases_done": r["cases_done"],
        "classes": classes,
        "findings": r["findings"],
        "groups": groups,
    })
}

/// The parts of `c` merge into what the whole campaign reported.
fn merges_into_the_whole(c: &Campaign) {
    let (whole_dir, parts) = runs(c);
    let whole = json(&whole_dir.join("fuzz.json"));
    assert!(whole["findings"].as_u64() > Some(5), "{whole}");
    for (k, dir) in parts.iter().enumerate() {
        let report = json(&dir.join("fuzz.json"));
        assert_eq!(report["cases_done"], 100, "part {}", k + 1);
        for g in report["groups"].as_array().expect("groups") {
            for f in g["kept"].as_array().expect("kept") {
                let case = f["case"].as_u64().expect("a case") as usize;
                assert_eq!(case % 3, k, "part {} keeps only its own cases", k + 1);
            }
        }
    }
    let out = temp_dir(&format!("fuzz-part-{}-merged", c.protocol));
    let dirs: Vec<&Path> = parts.iter().map(PathBuf::as_path).collect();
    let (code, all) = merge(&dirs, &out);
    assert_eq!(code, Some(1), "findings: exit 1: {all}");
    assert!(all.contains("fuzz: 300 cases, seed 7, "), "{all}");
    let merged = json(&out.join("fuzz.json"));
    assert!(merged.get("partition").is_none(), "{merged}");
    assert_eq!(
        outcome(&merged, c.same_bytes),
        outcome(&whole, c.same_bytes)
    );
    assert!(
        std::fs::read_to_string(out.join("fuzz.md")).is_ok_and(|md| md.contains(c.fault)),
        "fuzz.md names the campaign's fault"
    );
    // Every kept finding's regression scenario, copied beside the merged report.
    let mut copied = 0;
    for g in merged["groups"].as_array().expect("groups") {
        for f in g["kept"].as_array().expect("kept") {
            let Some(path) = f["regression"].as_str() else {
                continue;
            };
            let name = Path::new(path).file_name().expect("a file");
            assert!(Path::new(path).starts_with(&out), "{path}");
            let ours = std::fs::read_to_string(path).expect("copied");
            let whole = std::fs::read_to_string(whole_dir.join("regressions").join(name))
                .expect("the whole run wrote it");
            // CCI's regression scenarios hold the key its simulator issued.
            if c.same_bytes {
                assert_eq!(ours, whole, "{path}");
            }
            copied += 1;
        }
    }
    assert!(copied > 0, "{merged}");
}

#[test]
fn three_cci_parts_merge_into_the_whole_campaign() {
    merges_into_the_whole(&CCI);
}

#[test]
fn three_onapi_parts_merge_into_the_whole_campaign_byte_for_byte() {
    merges_into_the_whole(&ONAPI);
}

#[test]
fn a_missing_part_and_an_overlap_are_refused_naming_the_files() {
    let (_, parts) = runs(&CCI);
    let out = temp_dir("fuzz-part-refused");
    let (code, all) = merge(&[&parts[0], &parts[2]], &out);
    assert_eq!(code, Some(2), "{all}");
    assert!(
        all.contains(
            "error: missing partitions 2/3 of 3: run `crosscheck fuzz cci --role csp-a \
             --cases 300 --seed 7 --fault a-500-on-garbage --partition 2/3 ...`"
        ),
        "{all}"
    );
    assert!(!out.join("fuzz.json").exists(), "nothing written");

    let copy = temp_dir("fuzz-part-copy");
    std::fs::copy(parts[0].join("fuzz.json"), copy.join("fuzz.json")).expect("copy");
    let (code, all) = merge(&[&parts[0], &copy, &parts[1], &parts[2]], &out);
    assert_eq!(code, Some(2), "{all}");
    let expected = format!(
        "error: overlapping partitions: 1/3 given by {} and {}",
        parts[0].join("fuzz.json").display(),
        copy.join("fuzz.json").display()
    );
    assert!(all.contains(&expected), "{all}");

    std::fs::write(copy.join("fuzz.json"), "{\"title\": \"t\",\n  \"seed\": }").expect("write");
    let (code, all) = merge(&[&copy, &parts[1], &parts[2]], &out);
    assert_eq!(code, Some(2), "{all}");
    let expected = format!(
        "error: {}: invalid JSON: expected value at line 2 column 11",
        copy.join("fuzz.json").display()
    );
    assert!(all.contains(&expected), "{all}");
    assert_eq!(
        all.matches("line 2 column 11").count(),
        1,
        "said once: {all}"
    );
    assert!(!out.join("fuzz.json").exists(), "nothing written");
}

#[test]
fn zero_cases_zero_seconds_and_a_bad_partition_are_refused() {
    let dir = temp_dir("fuzz-part-zero");
    for (flags, message) in [
        (&["--cases", "0"][..], "--cases must be at least 1"),
        (
            &["--max-seconds", "0"][..],
            "--max-seconds must be at least 1",
        ),
        (&["--partition", "4/3"][..], "--partition: "),
    ] {
        let mut args = vec!["fuzz", "cci", "--role", "csp-a", "--report-dir"];
        args.push(dir.to_str().expect("utf-8"));
        args.extend(flags);
        let out = crosscheck(&args);
        let all = text(&out);
        assert_eq!(out.status.code(), Some(2), "{flags:?}: {all}");
        assert!(all.contains(&format!("error: {message}")), "{all}");
        assert!(!dir.join("fuzz.json").exists(), "nothing ran: {all}");
    }
}

#[test]
fn max_seconds_ends_a_large_campaign_and_reports_the_cases_done() {
    let dir = temp_dir("fuzz-max-seconds");
    let started = Instant::now();
    let out = crosscheck(&[
        "fuzz",
        "cci",
        "--role",
        "csp-a",
        "--cases",
        "100000000",
        "--max-seconds",
        "1",
        "--report-dir",
        dir.to_str().expect("utf-8"),
    ]);
    let took = started.elapsed();
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "no findings: {all}");
    assert!(took < Duration::from_secs(60), "{took:?}");
    let report = json(&dir.join("fuzz.json"));
    let done = report["cases_done"].as_u64().expect("cases_done");
    assert!(done > 0 && done < 100_000_000, "{report}");
    assert_eq!(report["time_budget_ended"], true, "{report}");
    assert_eq!(report["max_seconds"], 1);
    let classes: u64 = report["classes"]
        .as_object()
        .expect("classes")
        .values()
        .filter_map(Value::as_u64)
        .sum();
    assert_eq!(classes, done, "the classes count the cases done");
    let line = format!("{done} of 100000000 cases (ended by the time budget of 1 s)");
    assert!(all.contains(&line), "{all}");
    let md = std::fs::read_to_string(dir.join("fuzz.md")).expect("fuzz.md");
    assert!(md.contains(&line), "{md}");
}

#[test]
fn max_seconds_ends_an_answer_campaign_too() {
    let dir = temp_dir("fuzz-answers-max-seconds");
    let out = crosscheck(&[
        "fuzz",
        "onapi",
        "--role",
        "co",
        "--answers",
        "--cases",
        "100000",
        "--max-seconds",
        "1",
        "--report-dir",
        dir.to_str().expect("utf-8"),
    ]);
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    let report = json(&dir.join("fuzz.json"));
    assert_eq!(report["time_budget_ended"], true, "{report}");
    assert!(report["cases_done"].as_u64() < Some(100_000), "{report}");
    assert!(all.contains("ended by the time budget of 1 s"), "{all}");
}
