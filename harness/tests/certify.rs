//! Certification end to end, with the real binary against the real simulator in
//! another process: a bundle that verifies, and fails to verify once any byte of any
//! file changes; a fault that keeps a vendor from certifying, a waiver that lets it
//! certify with waivers, and the same waiver expired; an edited suite refused; a
//! capability statement that makes scenarios `not applicable`, or fails them.

mod common;

use std::path::{Path, PathBuf};

use common::{crosscheck, free_port, temp_dir, text};

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// Runs `certify` for cci-csp-a-v1 with `extra` arguments; gives exit code and output.
fn certify(target: &Path, key: &Path, out: &Path, extra: &[&str]) -> (Option<i32>, String) {
    let mut args = vec![
        "certify",
        "--profile",
        "cci-csp-a-v1",
        "--target",
        s(target),
        "--key",
        s(key),
        "--out",
        s(out),
    ];
    args.extend(extra);
    let out = crosscheck(&args);
    (out.status.code(), text(&out))
}

fn verify(bundle: &Path, public: &Path) -> (Option<i32>, String) {
    let out = crosscheck(&["verify", s(bundle), "--public-key", s(public)]);
    (out.status.code(), text(&out))
}

fn keys(dir: &Path) -> (PathBuf, PathBuf) {
    let out = crosscheck(&["keygen", "--out", s(&dir.join("keys"))]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    (
        dir.join("keys/crosscheck-signing.key"),
        dir.join("keys/crosscheck-signing.pub"),
    )
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("dir");
    for e in std::fs::read_dir(from).expect("bundle") {
        let e = e.expect("entry");
        std::fs::copy(e.path(), to.join(e.file_name())).expect("copied");
    }
}

#[test]
fn a_clean_simulator_certifies_and_any_changed_byte_is_named_by_verify() {
    let dir = temp_dir("certify-clean");
    let (key, public) = keys(&dir);
    let (api, mock_b) = (free_port(), free_port());
    let target = dir.join("target.yaml");
    std::fs::write(&target, common::cci_a_v1_target(api, mock_b, "")).expect("target");
    let bundle = dir.join("bundle");
    {
        let _sim = common::sim_cci_a_v1(api, mock_b, None);
        let (code, all) = certify(&target, &key, &bundle, &[]);
        assert_eq!(code, Some(0), "{all}");
        assert!(all.contains("cci-csp-a-v1@3: certified"), "{all}");
    }
    let (code, all) = verify(&bundle, &public);
    assert_eq!(code, Some(0), "{all}");
    assert!(
        all.contains("verified: certified against cci-csp-a-v1@3"),
        "{all}"
    );
    let cert: serde_json::Value =
        serde_json::from_slice(&std::fs::read(bundle.join("certificate.json")).expect("cert"))
            .expect("json");
    assert_eq!(cert["verdict"], "certified");
    assert_eq!(cert["requirements"]["CCI-A-10"], "passed");
    assert_eq!(cert["selftest"]["ok"], true);
    assert_eq!(
        cert["harness"]["binary_sha256"].as_str().map(str::len),
        Some(64)
    );
    let target_copy = std::fs::read_to_string(bundle.join("target.json")).expect("target");
    assert!(
        !target_copy.contains("sim-token-b") && target_copy.contains("<removed>"),
        "{target_copy}"
    );
    // Every file of the bundle, one byte changed in turn: verify names that file.
    let mut names: Vec<String> = std::fs::read_dir(&bundle)
        .expect("bundle")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert!(names.len() >= 8, "{names:?}");
    for name in &names {
        let copy = dir.join(format!("tampered-{name}"));
        copy_dir(&bundle, &copy);
        let mut bytes = std::fs::read(copy.join(name)).expect("file");
        let at = bytes.len() / 2;
        bytes[at] ^= 0x01;
        std::fs::write(copy.join(name), bytes).expect("tampered");
        let (code, all) = verify(&copy, &public);
        assert_eq!(code, Some(1), "{name}: {all}");
        assert!(
            all.contains(&format!("does NOT verify: {name}:")),
            "{name}: {all}"
        );
    }
    // Another key does not verify it either.
    let (_, other) = keys(&dir.join("other"));
    let (code, all) = verify(&bundle, &other);
    assert_eq!(code, Some(1), "{all}");
    assert!(
        all.contains("manifest.sig: the signature does not verify"),
        "{all}"
    );
}

#[test]
fn a_fault_does_not_certify_a_waiver_lets_it_and_an_expired_one_does_not() {
    let dir = temp_dir("certify-fault");
    let (key, public) = keys(&dir);
    let (api, mock_b) = (free_port(), free_port());
    let target = dir.join("target.yaml");
    std::fs::write(&target, common::cci_a_v1_target(api, mock_b, "")).expect("target");
    let waiver = |expires: &str| {
        format!("waivers:\n  - requirement: CCI-A-10\n    justification: reuse check ships in 2.1\n    granted_by: Test Lab\n    expires: {expires}\n")
    };
    let (valid, expired) = (dir.join("waivers.yaml"), dir.join("expired.yaml"));
    std::fs::write(&valid, waiver("2099-12-31")).expect("waivers");
    std::fs::write(&expired, waiver("2020-01-01")).expect("waivers");
    let _sim = common::sim_cci_a_v1(api, mock_b, Some("a-accepts-reuse"));
    let (code, all) = certify(&target, &key, &dir.join("plain"), &[]);
    assert_eq!(code, Some(1), "{all}");
    assert!(
        all.contains("cci-csp-a-v1@3: not certified") && all.contains("- CCI-A-10 failed"),
        "{all}"
    );
    let (code, all) = certify(
        &target,
        &key,
        &dir.join("waived"),
        &["--waivers", s(&valid)],
    );
    assert_eq!(code, Some(0), "{all}");
    assert!(
        all.contains("cci-csp-a-v1@3: certified with waivers"),
        "{all}"
    );
    let cert = std::fs::read_to_string(dir.join("waived/certificate.md")).expect("md");
    assert!(
        cert.contains("requirement CCI-A-10 waived by Test Lab until 2099-12-31"),
        "{cert}"
    );
    assert!(cert.contains("| CCI-A-10 | MUST | waived |"), "{cert}");
    let report = std::fs::read_to_string(dir.join("waived/report.json")).expect("report");
    assert!(
        report.contains("\"outcome\": \"waived\""),
        "a waived failure is never passed"
    );
    let (code, all) = verify(&dir.join("waived"), &public);
    assert_eq!(code, Some(0), "{all}");
    let (code, all) = certify(
        &target,
        &key,
        &dir.join("expired"),
        &["--waivers", s(&expired)],
    );
    assert_eq!(code, Some(1), "{all}");
    assert!(all.contains("not certified"), "{all}");
    assert!(
        all.contains("warning: ")
            && all.contains("the waiver of requirement CCI-A-10 expired on 2020-01-01"),
        "{all}"
    );
}

#[test]
fn an_edited_scenario_is_refused_before_anything_runs() {
    let dir = temp_dir("certify-edited");
    let (key, _) = keys(&dir);
    let suite = dir.join("scenarios");
    let out = std::process::Command::new("cp")
        .args(["-r", s(&common::root().join("scenarios")), s(&suite)])
        .output()
        .expect("cp");
    assert!(out.status.success());
    let edited = suite.join("cci/csp-a/reuse.yaml");
    let text = std::fs::read_to_string(&edited).expect("scenario");
    std::fs::write(&edited, text.replace("title: ", "title: (edited) ")).expect("edited");
    let target = dir.join("target.yaml");
    std::fs::write(
        &target,
        common::cci_a_v1_target(free_port(), free_port(), ""),
    )
    .expect("target");
    let (code, all) = certify(
        &target,
        &key,
        &dir.join("bundle"),
        &["--scenarios", s(&suite)],
    );
    assert_eq!(code, Some(2), "{all}");
    assert!(
        all.contains("certify refuses") && all.contains("cci/csp-a/reuse.yaml differs"),
        "{all}"
    );
    assert!(!dir.join("bundle/manifest.json").exists());
}

#[test]
fn the_pins_match_the_scenarios() {
    let out = crosscheck(&["profiles", "--pins"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let pinned =
        std::fs::read_to_string(common::root().join("harness/src/certify/pins.txt")).expect("pins");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim_end(),
        pinned.trim_end(),
        "the scenarios changed: regenerate with `crosscheck profiles --pins > harness/src/certify/pins.txt` and raise the profile's version if it was published"
    );
    let listed = crosscheck(&["profiles"]);
    let all = text(&listed);
    assert!(
        all.contains("cci-csp-a-v1@3") && all.contains("must pass: CCI-A-01"),
        "{all}"
    );
}

#[test]
fn an_unclaimed_clock_is_not_applicable_and_a_claimed_missing_one_fails() {
    let dir = temp_dir("capabilities");
    let (api, mock_b) = (free_port(), free_port());
    let _sim = common::sim_cci_a_v1(api, mock_b, None);
    let run = |target_text: String, name: &str| {
        let target = dir.join(format!("{name}.yaml"));
        std::fs::write(&target, target_text).expect("target");
        let reports = dir.join(name);
        let out = crosscheck(&[
            "run",
            "scenarios/cci/csp-a",
            "--target",
            s(&target),
            "--report-dir",
            s(&reports),
        ]);
        let report: serde_json::Value =
            serde_json::from_slice(&std::fs::read(reports.join("report.json")).expect("report"))
                .expect("json");
        (out.status.code(), text(&out), report)
    };
    let outcome = |report: &serde_json::Value, id: &str| {
        report["scenarios"]
            .as_array()
            .expect("runs")
            .iter()
            .find(|r| r["id"] == id)
            .map(|r| r["outcome"].clone())
    };
    let (code, all, report) = run(
        common::cci_a_v1_target(
            api,
            mock_b,
            "capabilities:\n  roles: [csp-a]\n  features: [env2, size_only_on_env2]\n",
        ),
        "no-clock",
    );
    assert_eq!(code, Some(0), "{all}");
    assert_eq!(
        outcome(&report, "cci-a-expired"),
        Some("not applicable".into()),
        "{all}"
    );
    assert_eq!(report["requirements"]["CCI-A-12"], "not applicable");
    assert!(report["scenarios"]
        .as_array()
        .expect("runs")
        .iter()
        .any(|r| r["reason"]
            .as_str()
            .is_some_and(|w| w.contains("needs `test-clock`, which the capability statement"))));
    let no_test_base = common::cci_a_v1_target(
        api,
        mock_b,
        "capabilities:\n  roles: [csp-a]\n  features: [test-clock, env2, size_only_on_env2]\n",
    )
    .lines()
    .filter(|l| !l.starts_with("test_base"))
    .collect::<Vec<_>>()
    .join("\n");
    let (code, all, report) = run(no_test_base + "\n", "claimed-clock");
    assert_eq!(code, Some(1), "{all}");
    assert_eq!(
        outcome(&report, "cci-a-expired"),
        Some("failed".into()),
        "{all}"
    );
    assert!(all.contains("which") && all.contains("claims"), "{all}");
}
