//! Virtual time changes how long a built-in run takes, never what it finds: the whole
//! self-test matrix (every scenario against the clean simulators, each fault, each legal
//! variation and each null implementation) runs on real time and on virtual time, and
//! every run's verdict (outcome, and the requirement and step it first failed at) must
//! be the same.

mod common;

use std::collections::BTreeMap;

use common::{crosscheck, temp_dir, text};
use serde_json::Value;

/// Runs the self-test with `extra` arguments; its verdicts by column and run.
fn verdicts(name: &str, extra: &[&str]) -> BTreeMap<(String, String), Value> {
    let dir = temp_dir(name);
    let mut args = vec!["selftest", "--report-dir", dir.to_str().expect("utf-8")];
    args.extend_from_slice(extra);
    let out = crosscheck(&args);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let json: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("selftest.json")).expect("selftest.json"),
    )
    .expect("json");
    json["verdicts"]
        .as_array()
        .expect("verdicts")
        .iter()
        .map(|v| {
            let key = (
                v["cell"].as_str().expect("cell").to_string(),
                v["run"].as_str().expect("run").to_string(),
            );
            // Durations differ between the clocks; the verdict may not.
            (key, serde_json::json!([v["outcome"], v["at"]]))
        })
        .collect()
}

#[test]
fn every_verdict_is_the_same_on_real_and_virtual_time() {
    // One after the other: real time is the oracle, and it must not share the cores.
    let virtual_time = verdicts("verdicts-virtual", &[]);
    let real = verdicts("verdicts-real", &["--real-time"]);
    assert!(
        virtual_time.len() > 1000,
        "the whole matrix: {} runs",
        virtual_time.len()
    );
    let fails = virtual_time
        .values()
        .filter(|v| v["outcome"] != "passed")
        .count();
    assert!(fails > 500, "faults and nulls fail runs: {fails}");
    let differ: Vec<String> = real
        .iter()
        .filter(|(k, v)| virtual_time.get(*k) != Some(*v))
        .map(|((cell, run), v)| {
            format!(
                "{cell} {run}: real {v}, virtual {}",
                virtual_time
                    .get(&(cell.clone(), run.clone()))
                    .map_or("absent".into(), Value::to_string)
            )
        })
        .collect();
    assert_eq!(real.len(), virtual_time.len());
    assert!(differ.is_empty(), "verdicts differ:\n{}", differ.join("\n"));
}
