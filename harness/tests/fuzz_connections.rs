//! `--connections auto` notices a late keep-alive server (answers on reused connections
//! 40 ms late, on fresh ones at once) and switches to fresh connections. No timing is
//! asserted: the rate is printed, and the README reports measured runs.
//!
//! `CROSSCHECK_FUZZ_BIN=target/release/crosscheck cargo test --test fuzz_connections
//! -- --nocapture` measures with a release binary.

mod common;

use std::process::Command;

use common::{late_keepalive, root, temp_dir, text};

/// Runs the fuzzer against a fresh late keep-alive server: its output, its fuzz.json
/// and how many connections the server accepted.
fn fuzz(policy: &str, cases: &str, dir: &std::path::Path) -> (String, serde_json::Value, usize) {
    let server = late_keepalive::start();
    let addr = server.addr;
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
    (
        all,
        serde_json::from_str(&report).expect("JSON"),
        server.connections(),
    )
}

#[test]
fn auto_switches_to_fresh_connections_on_a_late_keep_alive_server() {
    let dir = temp_dir("late-keepalive");
    // Kept alive, a few connections carry all 200 cases (one per request in flight,
    // plus the positive control and reconnects after a refused case closes one).
    let (all, report, kept) = fuzz("keep-alive", "200", &dir);
    assert_eq!(report["connections"], "keep-alive", "{all}");
    assert!(
        kept < 100,
        "keep-alive reuses connections: {kept} for 200 cases"
    );
    eprintln!(
        "keep-alive: {} cases/s, {kept} connections",
        report["cases_per_second"]
    );
    // Auto notices the late answers and then opens a connection per case: most of 600.
    let (all, report, fresh) = fuzz("auto", "600", &dir);
    let connections = report["connections"].as_str().unwrap_or_default();
    assert!(connections.starts_with("auto: fresh"), "{all}");
    assert!(
        fresh > 400,
        "fresh connections after the switch: {fresh} for 600 cases"
    );
    eprintln!(
        "auto: {} cases/s ({connections}), {fresh} connections",
        report["cases_per_second"]
    );
}
