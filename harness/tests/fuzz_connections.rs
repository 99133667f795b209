//! `--connections auto` notices a late keep-alive server (answers on reused connections
//! 40 ms late, on fresh ones at once) and switches to fresh connections. No timing is
//! asserted: the rate is printed, and the README reports measured runs.
//!
//! `CROSSCHECK_FUZZ_BIN=target/release/crosscheck cargo test --test fuzz_connections
//! -- --nocapture` measures with a release binary.

mod common;

use std::process::Command;

use common::{late_keepalive, root, temp_dir, text};

fn fuzz(policy: &str, cases: &str, dir: &std::path::Path) -> (String, serde_json::Value) {
    let addr = late_keepalive::start();
    let target = dir.join(format!("late-sp-{policy}.yaml"));
    let fixture =
        std::fs::read_to_string(root().join("fixtures/targets/onapi-sp.yaml")).expect("fixture");
    let fixture = fixture.replace("127.0.0.1:18200", &addr.to_string());
    std::fs::write(&target, fixture).expect("target");
    let report_dir = dir.join(policy);
    let bin = std::env::var("CROSSCHECK_FUZZ_BIN")
        .unwrap_or_else(|_| env!("CARGO_BIN_EXE_crosscheck").to_string());
    let out = Command::new(bin)
        .args([
            "fuzz",
            "onapi",
            "--role",
            "sp",
            "--cases",
            cases,
            "--connections",
            policy,
        ])
        .arg("--target")
        .arg(&target)
        .arg("--report-dir")
        .arg(&report_dir)
        .current_dir(root())
        .output()
        .expect("the binary runs");
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    let report = std::fs::read_to_string(report_dir.join("fuzz.json")).expect("fuzz.json");
    (all, serde_json::from_str(&report).expect("JSON"))
}

#[test]
fn auto_switches_to_fresh_connections_on_a_late_keep_alive_server() {
    let dir = temp_dir("late-keepalive");
    let (all, report) = fuzz("auto", "600", &dir);
    let connections = report["connections"].as_str().unwrap_or_default();
    assert!(connections.starts_with("auto: fresh"), "{all}");
    eprintln!(
        "auto: {} cases/s ({connections})",
        report["cases_per_second"]
    );
    let (all, report) = fuzz("keep-alive", "200", &dir);
    assert_eq!(report["connections"], "keep-alive", "{all}");
    eprintln!("keep-alive: {} cases/s", report["cases_per_second"]);
}
