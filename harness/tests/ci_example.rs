//! examples/ci/github-actions.yml works: its steps, run here as GitHub would run them
//! (each `run:` with `bash -eo pipefail`, the matrix and `strategy.job-total`
//! substituted, `crosscheck` the built binary, GITHUB_STEP_SUMMARY a file), run every
//! part and merge them into a passing report whose summary lands in the step summary;
//! the same for the fuzz jobs (parts of one campaign, merged into one fuzz report).
//! Skipped: the `uses:` actions (checkout, toolchain, artifacts; their upload and
//! download paths are checked to meet) and the install step (the binary is built).

mod common;

use std::path::Path;
use std::process::Command;

use common::{root, temp_dir};
use serde_json::Value;

const INSTALL: &str = "cargo install --path harness --locked";

fn workflow() -> Value {
    let path = root().join("examples/ci/github-actions.yml");
    let text = std::fs::read_to_string(&path).expect("the example workflow");
    serde_saphyr::from_str(&text).expect("the workflow is YAML")
}

fn steps<'a>(workflow: &'a Value, job: &str) -> &'a [Value] {
    workflow["jobs"][job]["steps"].as_array().expect("steps")
}

/// `text` with the expressions of one matrix job replaced; no other expression left.
fn expand(text: &str, partition: &str, total: usize) -> String {
    let out = text
        .replace("${{ matrix.partition }}", partition)
        .replace("${{ strategy.job-total }}", &total.to_string());
    assert!(
        !out.contains("${{"),
        "an expression the test does not know: {out}"
    );
    out
}

/// Runs one job's steps in `work`; returns the `uses:` actions skipped, with their
/// `with:` expanded.
fn run_job(
    steps: &[Value],
    work: &Path,
    env: &[(&str, String)],
    partition: &str,
    total: usize,
) -> Vec<(String, Value)> {
    let mut skipped = Vec::new();
    for step in steps {
        if let Some(action) = step["uses"].as_str() {
            let with = serde_json::to_string(&step["with"]).expect("with");
            let with = serde_json::from_str(&expand(&with, partition, total)).expect("JSON");
            skipped.push((action.to_string(), with));
            continue;
        }
        let script = step["run"]
            .as_str()
            .expect("a step runs a command or uses an action");
        if script.trim() == INSTALL {
            continue;
        }
        let script = expand(script, partition, total);
        let out = Command::new("bash")
            .args(["--noprofile", "--norc", "-eo", "pipefail", "-c", &script])
            .current_dir(work)
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .output()
            .expect("bash runs");
        assert!(
            out.status.success(),
            "step {:?} exited {:?}: {}{}",
            step["name"],
            out.status.code(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    skipped
}

/// The checkout: the scenarios and their fixtures, and `crosscheck` on PATH.
fn checkout(name: &str) -> std::path::PathBuf {
    let work = temp_dir(name);
    for dir in ["scenarios", "fixtures"] {
        std::os::unix::fs::symlink(root().join(dir), work.join(dir)).expect("link");
    }
    let bin = work.join("bin");
    std::fs::create_dir_all(&bin).expect("bin");
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_crosscheck"), bin.join("crosscheck"))
        .expect("link");
    work
}

/// Runs every part of the matrix job `part` in `work`, then the job `merge`, with the
/// step summary in `summary`; checks that each part wrote `file` and that the merge
/// downloads what the parts uploaded.
fn parts_then_merge(workflow: &Value, work: &Path, (part, merge): (&str, &str), file: &str) {
    let summary = work.join(format!("{merge}-step-summary.md"));
    std::fs::write(&summary, "").expect("summary");
    let path = format!(
        "{}:{}",
        work.join("bin").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let env = [
        ("PATH", path),
        ("GITHUB_STEP_SUMMARY", summary.display().to_string()),
    ];
    let matrix = workflow["jobs"][part]["strategy"]["matrix"]["partition"]
        .as_array()
        .expect("a partition matrix");
    let total = matrix.len();
    assert!(total >= 2, "{matrix:?}");
    let mut uploads = Vec::new();
    for k in matrix {
        let k = k.as_u64().expect("a part number").to_string();
        for (action, with) in run_job(steps(workflow, part), work, &env, &k, total) {
            if action.starts_with("actions/upload-artifact@") {
                uploads.push((k.clone(), with));
            }
        }
        let written = uploads
            .last()
            .and_then(|(_, with)| with["path"].as_str())
            .map(|p| work.join(p).join(file));
        assert!(
            written.is_some_and(|w| w.is_file()),
            "part {k} wrote {file}"
        );
    }
    assert_eq!(uploads.len(), total, "every part uploads its report");
    let skipped = run_job(steps(workflow, merge), work, &env, "", total);
    let download = skipped
        .iter()
        .find(|(a, _)| a.starts_with("actions/download-artifact@"))
        .map(|(_, with)| with)
        .expect("the merge job downloads the parts");
    // download-artifact@v4 puts each artifact matching `pattern` into path/<name>: that
    // must be where the part wrote it, since the test runs both in one folder.
    let prefix = download["pattern"]
        .as_str()
        .expect("pattern")
        .trim_end_matches('*');
    for (k, with) in &uploads {
        let name = with["name"].as_str().expect("artifact name");
        assert!(name.starts_with(prefix), "{name} matches {prefix}*");
        let landed = format!("{}/{name}", download["path"].as_str().expect("path"));
        assert_eq!(with["path"].as_str(), Some(landed.as_str()), "part {k}");
    }
}

fn json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).expect("merged")).expect("JSON")
}

#[test]
fn the_example_workflow_runs_its_parts_and_merges_them() {
    let workflow = workflow();
    let work = checkout("ci-example");
    parts_then_merge(&workflow, &work, ("part", "merge"), "report.json");
    let merged = work.join("reports/merged");
    let report = json(&merged.join("report.json"));
    assert!(report.get("partition").is_none());
    assert_eq!(report["summary"]["failed"], 0);
    assert!(
        report["summary"]["total"].as_u64() > Some(50),
        "{}",
        report["summary"]
    );
    let md = std::fs::read_to_string(merged.join("summary.md")).expect("summary.md");
    assert!(md.starts_with("# crosscheck: PASS"), "{md}");
    let summary = work.join("merge-step-summary.md");
    assert_eq!(std::fs::read_to_string(&summary).expect("step summary"), md);
}

#[test]
fn the_example_workflow_fuzzes_in_parts_and_merges_them() {
    let workflow = workflow();
    let work = checkout("ci-example-fuzz");
    parts_then_merge(&workflow, &work, ("fuzz-part", "fuzz-merge"), "fuzz.json");
    let merged = work.join("reports/fuzz-merged");
    let report = json(&merged.join("fuzz.json"));
    assert!(report.get("partition").is_none(), "{report}");
    assert_eq!(report["findings"], 0, "the clean simulator");
    let cases = report["cases"].as_u64().expect("cases");
    assert!(cases >= 1000, "{report}");
    assert_eq!(report["cases_done"].as_u64(), Some(cases), "every part ran");
    let md = std::fs::read_to_string(merged.join("fuzz.md")).expect("fuzz.md");
    assert!(md.starts_with("# Fuzz report: "), "{md}");
    let summary = work.join("fuzz-merge-step-summary.md");
    assert_eq!(std::fs::read_to_string(&summary).expect("step summary"), md);
}
