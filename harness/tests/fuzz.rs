//! `crosscheck fuzz` end to end: with a fixed seed it finds (and shrinks) a failing
//! input for a representative fault of each protocol within 2,000 cases, finds nothing
//! against the clean simulators, and a regression scenario it writes replays red
//! against the faulty simulator and green against the clean one (both run as
//! `crosscheck sim` in another process, reached through a target file).

mod common;

use std::path::{Path, PathBuf};

use common::{crosscheck, free_port, root, sim, temp_dir, text};
use serde_json::Value;

/// Runs `crosscheck fuzz PROTOCOL --role ROLE` with seed 7 and `extra` arguments;
/// returns the exit code, the output and fuzz.json.
fn fuzz(
    protocol: &str,
    role: &str,
    cases: &str,
    extra: &[&str],
    dir: &Path,
) -> (Option<i32>, String, Value) {
    let report_dir = dir.to_str().expect("utf-8");
    let mut args = vec![
        "fuzz",
        protocol,
        "--role",
        role,
        "--cases",
        cases,
        "--seed",
        "7",
        "--report-dir",
        report_dir,
    ];
    args.extend(extra);
    let out = crosscheck(&args);
    let report = std::fs::read_to_string(dir.join("fuzz.json")).unwrap_or_default();
    (
        out.status.code(),
        text(&out),
        serde_json::from_str(&report).unwrap_or(Value::Null),
    )
}

/// The cases a fault test runs: 2,000, the bound, or 300 for csp-b, whose
/// accept oracle waits for each accepted connection to settle (seconds per finding);
/// its faults are found well within that.
fn cases_for(role: &str) -> &'static str {
    if role == "csp-b" {
        "300"
    } else {
        "2000"
    }
}

fn kept(report: &Value) -> Vec<&Value> {
    report["groups"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|g| g["kept"].as_array().into_iter().flatten())
        .collect()
}

#[test]
fn the_clean_simulators_give_no_findings() {
    for (protocol, role) in [
        ("cci", "csp-a"),
        ("cci", "csp-b"),
        ("onapi", "sp"),
        ("s2c", "provider"),
    ] {
        let dir = temp_dir(&format!("fuzz-clean-{protocol}-{role}"));
        let (code, all, report) = fuzz(protocol, role, "2000", &[], &dir);
        assert_eq!(code, Some(0), "{protocol} {role}: {all}");
        assert_eq!(report["findings"], 0, "{all}");
        assert_eq!(report["cases"], 2000);
        assert!(
            report["classes"].as_object().is_some_and(|c| c.len() >= 7),
            "{report}"
        );
    }
}

#[test]
fn a_fault_of_each_protocol_is_found_within_2000_cases_and_shrunk() {
    for (protocol, role, fault, oracle) in [
        ("cci", "csp-a", "a-500-on-garbage", "no 5xx"),
        (
            "cci",
            "csp-a",
            "a-accepts-reencoded",
            "never accepted when invalid",
        ),
        ("cci", "csp-b", "b-keeps-on-invalid", "nothing left behind"),
        ("onapi", "sp", "sp-500-on-missing-field", "no 5xx"),
        (
            "onapi",
            "sp",
            "sp-accepts-long-id",
            "never accepted when invalid",
        ),
        ("s2c", "provider", "500-on-malformed-ip", "no 5xx"),
    ] {
        let dir = temp_dir(&format!("fuzz-{fault}"));
        let (code, all, report) = fuzz(protocol, role, cases_for(role), &["--fault", fault], &dir);
        assert_eq!(code, Some(1), "{fault}: {all}");
        let findings = kept(&report);
        let hit = findings
            .iter()
            .find(|f| f["oracle"] == oracle)
            .unwrap_or_else(|| panic!("{fault}: no finding by {oracle}: {all}"));
        assert!(hit["case"].as_u64().is_some_and(|c| c < 2000), "{hit}");
        if oracle == "no 5xx" {
            let shrunk = hit["shrunk"]["input"]["escaped"]
                .as_str()
                .unwrap_or_else(|| panic!("{fault}: not shrunk: {hit}"));
            let original = hit["input"]["escaped"].as_str().expect("input");
            assert!(
                shrunk.len() < original.len(),
                "{fault}: {shrunk} vs {original}"
            );
        }
        let regression = hit["regression"]
            .as_str()
            .unwrap_or_else(|| panic!("{fault}: no regression: {hit}"));
        let check = crosscheck(&["check", regression]);
        assert_eq!(check.status.code(), Some(0), "{}", text(&check));
        let md = std::fs::read_to_string(dir.join("fuzz.md")).expect("fuzz.md");
        assert!(
            md.contains("## Mutation classes") && md.contains(oracle),
            "{md}"
        );
    }
}

#[test]
fn the_same_seed_finds_the_same_cases_whatever_the_concurrency() {
    let cases = |concurrency: &str| {
        let dir = temp_dir(&format!("fuzz-replay-{concurrency}"));
        let (_, _, report) = fuzz(
            "onapi",
            "sp",
            "300",
            &[
                "--fault",
                "sp-accepts-two-products",
                "--concurrency",
                concurrency,
            ],
            &dir,
        );
        let mut found: Vec<String> = kept(&report)
            .iter()
            .map(|f| format!("{} {}", f["case"], f["input"]["escaped"]))
            .collect();
        found.sort();
        (found, report["classes"].clone())
    };
    let (one, classes_one) = cases("1");
    assert!(!one.is_empty());
    assert_eq!((one, classes_one), cases("16"));
}

fn target(fixture: &str, ports: &[(&str, u16)], dir: &Path) -> PathBuf {
    let mut text =
        std::fs::read_to_string(root().join("fixtures/targets").join(fixture)).expect("fixture");
    for (from, port) in ports {
        text = text.replace(from, &format!("127.0.0.1:{port}"));
    }
    let path = dir.join(fixture);
    std::fs::write(&path, text).expect("target");
    path
}

/// Fuzzes the built-in simulator with `fault`, then replays the first regression by
/// `oracle` with `crosscheck run --target` against `crosscheck sim` with and without it.
fn replay(
    protocol: &str,
    role: &str,
    fault: &str,
    oracle: &str,
    fixture: &str,
    ports: &[(&str, u16)],
    sim_args: &[&str],
) {
    let dir = temp_dir(&format!("fuzz-regression-{fault}"));
    let (_, all, report) = fuzz(protocol, role, cases_for(role), &["--fault", fault], &dir);
    let regression = kept(&report)
        .into_iter()
        .find(|f| f["oracle"] == oracle)
        .and_then(|f| f["regression"].as_str().map(str::to_string))
        .unwrap_or_else(|| panic!("no regression for {oracle}: {all}"));
    let target = target(fixture, ports, &dir);
    let run = || {
        crosscheck(&[
            "run",
            &regression,
            "--target",
            target.to_str().expect("utf-8"),
            "--report-dir",
            dir.join("run").to_str().expect("utf-8"),
        ])
    };
    let listen = format!("127.0.0.1:{}", ports[0].1);
    let peer = sim_args.first().copied();
    {
        let _sim = sim(protocol, role, &listen, peer, Some(fault), ports[0].1);
        let out = run();
        assert_eq!(
            out.status.code(),
            Some(1),
            "red against {fault}: {}",
            text(&out)
        );
    }
    {
        let _sim = sim(protocol, role, &listen, peer, None, ports[0].1);
        let out = run();
        assert_eq!(
            out.status.code(),
            Some(0),
            "green against the clean sim: {}",
            text(&out)
        );
    }
}

#[test]
fn a_written_regression_replays_red_against_the_fault_and_green_when_fixed() {
    let sp = free_port();
    replay(
        "onapi",
        "sp",
        "sp-500-on-missing-field",
        "no 5xx",
        "onapi-sp.yaml",
        &[("127.0.0.1:18200", sp)],
        &[],
    );
    let (provider, sink) = (free_port(), free_port());
    replay(
        "s2c",
        "provider",
        "500-on-malformed-ip",
        "no 5xx",
        "s2c-provider.yaml",
        &[("127.0.0.1:18310", provider), ("127.0.0.1:18380", sink)],
        &[],
    );
    let (api, mock_b) = (free_port(), free_port());
    let peer = format!("http://127.0.0.1:{mock_b}/v1");
    replay(
        "cci",
        "csp-a",
        "a-accepts-reencoded",
        "never accepted when invalid",
        "cci-csp-a.yaml",
        &[("127.0.0.1:18080", api), ("127.0.0.1:18181", mock_b)],
        &[&peer],
    );
    let (b, mock_a) = (free_port(), free_port());
    let peer = format!("http://127.0.0.1:{mock_a}/v1");
    replay(
        "cci",
        "csp-b",
        "b-keeps-on-invalid",
        "nothing left behind",
        "cci-csp-b.yaml",
        &[("127.0.0.1:18090", b), ("127.0.0.1:18180", mock_a)],
        &[&peer],
    );
}

/// `--surface lifecycle`: a v1 responder's CreateFeature and CreateConnection bodies.
/// Clean, no findings; a responder that takes a VLAN below the guidance's range is
/// found by "never accepted when invalid", one that answers 500 to a proposal without
/// its L3 config by "no 5xx" (shrunk); the first one's regression replays red against
/// `crosscheck sim --fault` and green against the clean simulator.
#[test]
fn the_lifecycle_surface_finds_guidance_breaks_and_its_regression_replays() {
    let lifecycle = ["--surface", "lifecycle"];
    let dir = temp_dir("fuzz-lifecycle-clean");
    let (code, all, report) = fuzz("cci", "csp-a", "2000", &lifecycle, &dir);
    assert_eq!(code, Some(0), "{all}");
    assert_eq!(report["findings"], 0, "{all}");
    assert!(
        report["classes"].as_object().is_some_and(|c| c.len() == 5),
        "{report}"
    );
    let mut regression = String::new();
    for (fault, oracle) in [
        ("a-lc-accepts-low-vlan", "never accepted when invalid"),
        ("a-lc-feature-500", "no 5xx"),
    ] {
        let dir = temp_dir(&format!("fuzz-lifecycle-{fault}"));
        let extra = ["--surface", "lifecycle", "--fault", fault];
        let (code, all, report) = fuzz("cci", "csp-a", "2000", &extra, &dir);
        assert_eq!(code, Some(1), "{fault}: {all}");
        let hit = kept(&report)
            .into_iter()
            .find(|f| f["oracle"] == oracle)
            .unwrap_or_else(|| panic!("{fault}: no finding by {oracle}: {all}"));
        if oracle == "no 5xx" {
            let shrunk = hit["shrunk"]["input"]["escaped"]
                .as_str()
                .unwrap_or_else(|| panic!("{fault}: not shrunk: {hit}"));
            let original = hit["input"]["escaped"].as_str().expect("input");
            assert!(shrunk.len() < original.len(), "{shrunk} vs {original}");
        }
        let written = hit["regression"]
            .as_str()
            .expect("a regression")
            .to_string();
        let check = crosscheck(&["check", &written]);
        assert_eq!(check.status.code(), Some(0), "{}", text(&check));
        if regression.is_empty() {
            regression = written;
        }
    }
    let dir = temp_dir("fuzz-lifecycle-replay");
    let (api, mock_b) = (free_port(), free_port());
    let target = dir.join("target.yaml");
    std::fs::write(&target, common::cci_a_v1_target(api, mock_b, "")).expect("target");
    let run = || {
        crosscheck(&[
            "run",
            &regression,
            "--target",
            target.to_str().expect("utf-8"),
            "--report-dir",
            dir.join("run").to_str().expect("utf-8"),
        ])
    };
    {
        let _sim = common::sim_cci_a_v1(api, mock_b, Some("a-lc-accepts-low-vlan"));
        let out = run();
        assert_eq!(out.status.code(), Some(1), "red: {}", text(&out));
    }
    let _sim = common::sim_cci_a_v1(api, mock_b, None);
    let out = run();
    assert_eq!(out.status.code(), Some(0), "green: {}", text(&out));
}
