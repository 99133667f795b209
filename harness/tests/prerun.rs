//! Bad input is found before any scenario runs: exit 2 with a message that names the
//! flag, or the target file, line and field, and no scenario started.

mod common;

use common::{crosscheck, root, temp_dir, text};

/// No run started: nothing passed, failed or errored.
fn nothing_ran(all: &str) {
    for word in ["PASSED", "FAILED", "ERRORED", "scenarios:"] {
        assert!(!all.contains(word), "a scenario ran: {all}");
    }
}

#[test]
fn jobs_zero_is_refused() {
    for command in ["run", "selftest"] {
        let out = crosscheck(&[command, "--jobs", "0"]);
        let all = text(&out);
        assert_eq!(out.status.code(), Some(2), "{command}: {all}");
        assert!(all.contains("--jobs must be at least 1"), "{all}");
        nothing_ran(&all);
    }
}

#[test]
fn an_unwritable_report_dir_is_refused_before_the_run() {
    let dir = temp_dir("unwritable");
    let file = dir.join("a-file");
    std::fs::write(&file, "not a folder").expect("write");
    let under = file.join("reports");
    let out = crosscheck(&["run", "--report-dir", under.to_str().expect("utf-8")]);
    let all = text(&out);
    assert_eq!(out.status.code(), Some(2), "{all}");
    assert!(
        all.contains("--report-dir") && all.contains("cannot write there"),
        "{all}"
    );
    nothing_ran(&all);
}

#[test]
fn a_mock_peer_port_in_use_names_the_target_field_and_line() {
    let busy = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = busy.local_addr().expect("addr").port();
    let fixture =
        std::fs::read_to_string(root().join("fixtures/targets/cci-csp-b.yaml")).expect("fixture");
    let line = fixture
        .lines()
        .position(|l| l.contains("listen: \"127.0.0.1:18180\""))
        .expect("the fixture's mock listen line")
        + 1;
    let dir = temp_dir("port-in-use");
    let target = dir.join("target.yaml");
    std::fs::write(&target, fixture.replace("18180", &port.to_string())).expect("write");
    let target = target.to_str().expect("utf-8");
    let out = crosscheck(&[
        "run",
        "scenarios/cci/csp-b",
        "--target",
        target,
        "--report-dir",
        dir.join("reports").to_str().expect("utf-8"),
    ]);
    let all = text(&out);
    assert_eq!(out.status.code(), Some(2), "{all}");
    assert!(
        all.contains(&format!(
            "{target}:{line}: mock_peers.csp-a.listen: cannot listen on 127.0.0.1:{port}"
        )),
        "{all}"
    );
    assert_eq!(all.matches("cannot listen").count(), 1, "said once: {all}");
    nothing_ran(&all);
    drop(busy);
}
