//! The real binary against the real simulators over loopback.

mod common;

use common::{crosscheck, free_port, root, sim, spawn_crosscheck, temp_dir, text};
use serde_json::Value;

fn target_a(api_port: u16, mock_b_port: u16, extra: &str) -> String {
    common::cci_a_target("http", api_port, mock_b_port, extra)
}

#[test]
fn builtin_run_passes_and_covers_every_cci_requirement() {
    let dir = temp_dir("builtin");
    let out = crosscheck(&["run", "--report-dir", dir.to_str().expect("utf-8")]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let report: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("report.json")).expect("report.json"),
    )
    .expect("json");
    let requirements = report["requirements"].as_object().expect("requirements");
    let cci: Vec<_> = requirements
        .iter()
        .filter(|(k, _)| k.starts_with("CCI-"))
        .collect();
    assert_eq!(cci.len(), 78, "{requirements:?}");
    assert!(cci.iter().all(|(_, v)| *v == "passed"), "{requirements:?}");
    let onapi: Vec<_> = requirements
        .iter()
        .filter(|(k, _)| k.starts_with("ON-"))
        .collect();
    assert_eq!(onapi.len(), 10, "{requirements:?}");
    assert!(
        onapi.iter().all(|(_, v)| *v == "passed"),
        "{requirements:?}"
    );
    assert_eq!(report["summary"]["failed"], 0);
    assert!(report["summary"]["total"].as_u64().expect("total") >= 40);
    // Everything ran in this process, on virtual time: the waits took no wall time.
    assert_eq!(report["clock"], "virtual");
    assert!(text(&out).contains(", virtual time)"), "{}", text(&out));
    let junit = std::fs::read_to_string(dir.join("junit.xml")).expect("junit.xml");
    assert!(junit.contains("<testsuites") && junit.contains("cci-a-reuse[v1]"));
    let summary = std::fs::read_to_string(dir.join("summary.md")).expect("summary.md");
    assert!(summary.starts_with("# crosscheck: PASS"));
    // Secrets never reach a report.
    let all = format!("{report}{junit}{summary}");
    assert!(!all.contains("sim-token-b") && !all.contains("sim-token-a"));
}

#[test]
fn separate_csp_a_passes_clean_and_names_the_requirement_under_a_fault() {
    let dir = temp_dir("ext-a");
    let (target, listen, peer, api) = common::external_cci_a(&dir);
    let report_dir = dir.join("reports");
    let args = [
        "run",
        "scenarios/cci/csp-a",
        "--target",
        target.to_str().expect("utf-8"),
        "--report-dir",
        report_dir.to_str().expect("utf-8"),
    ];
    {
        let _sim = sim("cci", "csp-a", &listen, Some(&peer), None, api);
        let out = crosscheck(&args);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    }
    {
        let _sim = sim(
            "cci",
            "csp-a",
            &listen,
            Some(&peer),
            Some("a-accepts-reuse"),
            api,
        );
        let out = crosscheck(&args);
        let all = text(&out);
        assert_eq!(out.status.code(), Some(1), "{all}");
        assert!(all.contains("FAILED cci-a-reuse: [CCI-A-10]"), "{all}");
        assert!(all.contains("second confirmation of the same key"), "{all}");
        assert!(
            all.contains("expected $.keyValid == false, got $.keyValid == true"),
            "{all}"
        );
    }
    {
        // The eager-notify fault only shows if the harness's mock B is where the IUT looks.
        let _sim = sim(
            "cci",
            "csp-a",
            &listen,
            Some(&peer),
            Some("a-eager-notify"),
            api,
        );
        let out = crosscheck(&args);
        let all = text(&out);
        assert_eq!(out.status.code(), Some(1), "{all}");
        assert!(
            all.contains("[CCI-A-05]") && all.contains("no request at the mock csp-b"),
            "{all}"
        );
    }
}

#[test]
fn separate_csp_b_is_pointed_at_the_mock_a() {
    let dir = temp_dir("ext-b");
    let (customer, mock_a) = (free_port(), free_port());
    let target = dir.join("target.yaml");
    let text_target = std::fs::read_to_string(root().join("fixtures/targets/cci-csp-b.yaml"))
        .expect("fixture")
        .replace("18090", &customer.to_string())
        .replace("18180", &mock_a.to_string());
    std::fs::write(&target, text_target).expect("target");
    let listen = format!("127.0.0.1:{customer}");
    let peer = format!("http://127.0.0.1:{mock_a}/v1");
    let report_dir = dir.join("reports");
    let args = [
        "run",
        "scenarios/cci/csp-b/accept-valid.yaml",
        "scenarios/cci/csp-b/local-refusals.yaml",
        "--target",
        target.to_str().expect("utf-8"),
        "--report-dir",
        report_dir.to_str().expect("utf-8"),
    ];
    {
        let _sim = sim("cci", "csp-b", &listen, Some(&peer), None, customer);
        let out = crosscheck(&args);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    }
    {
        let _sim = sim(
            "cci",
            "csp-b",
            &listen,
            Some(&peer),
            Some("b-no-credentials"),
            customer,
        );
        let out = crosscheck(&args);
        let all = text(&out);
        assert_eq!(out.status.code(), Some(1), "{all}");
        assert!(
            all.contains("[CCI-B-02]") && all.contains("header authorization"),
            "{all}"
        );
        assert!(
            !all.contains("sim-token-b"),
            "the expected credential leaked: {all}"
        );
    }
}

#[test]
fn a_broken_scenario_names_file_line_and_field() {
    let dir = temp_dir("bad-scenario");
    let file = dir.join("broken.yaml");
    std::fs::write(
        &file,
        "id: broken\ntitle: t\nprotocol: cci\nrole: csp-a\nrequirements: [CCI-A-01]\nsteps:\n  - call: create_connection\n    expcet: {status: 201}\n",
    )
    .expect("write");
    let out = crosscheck(&["check", file.to_str().expect("utf-8")]);
    let all = text(&out);
    assert_eq!(out.status.code(), Some(2), "{all}");
    assert!(
        all.contains("broken.yaml:8") && all.contains("expcet"),
        "{all}"
    );

    std::fs::write(&file, "id: broken\ntitle: t\nprotocol: cci\nrole: csp-a\nrequirements: [CCI-A-99]\nsteps:\n  - call: create_connection\n").expect("write");
    // Its own report folder: the default one is shared with runs in other tests.
    let reports = dir.join("reports");
    let out = crosscheck(&[
        "run",
        file.to_str().expect("utf-8"),
        "--report-dir",
        reports.to_str().expect("utf-8"),
    ]);
    let all = text(&out);
    assert_eq!(out.status.code(), Some(2), "{all}");
    assert!(
        all.contains("broken.yaml:5") && all.contains("CCI-A-99"),
        "{all}"
    );

    // An undefined template name is found by `check`, before anything runs.
    std::fs::write(&file, "id: broken\ntitle: t\nprotocol: cci\nrole: csp-a\nrequirements: [CCI-A-01]\nsteps:\n  - call: create_connection\n    with: {size: \"{{ sise }}\"}\n").expect("write");
    let out = crosscheck(&["check", file.to_str().expect("utf-8")]);
    let all = text(&out);
    assert_eq!(out.status.code(), Some(2), "{all}");
    assert!(
        all.contains("broken.yaml:7") && all.contains("with:") && all.contains("`sise`"),
        "{all}"
    );
}

#[test]
fn a_broken_target_names_file_line_and_field() {
    let dir = temp_dir("bad-target");
    let file = dir.join("target.yaml");
    std::fs::write(
        &file,
        target_a(1, 2, "").replace("role: csp-a", "role: csp-q"),
    )
    .expect("write");
    let out = crosscheck(&["run", "--target", file.to_str().expect("utf-8")]);
    let all = text(&out);
    assert_eq!(out.status.code(), Some(2), "{all}");
    assert!(
        all.contains("target.yaml:2") && all.contains("role"),
        "{all}"
    );
    std::fs::write(
        &file,
        target_a(1, 2, "").replace(
            "token: sim-token-b",
            "token: \"${CROSSCHECK_TEST_UNSET_VAR}\"",
        ),
    )
    .expect("write");
    let out = crosscheck(&["run", "--target", file.to_str().expect("utf-8")]);
    let all = text(&out);
    assert_eq!(out.status.code(), Some(2), "{all}");
    assert!(
        all.contains("credentials.harness.token") && all.contains("CROSSCHECK_TEST_UNSET_VAR"),
        "{all}"
    );
}

#[test]
fn an_unreachable_iut_errors_each_scenario_and_the_run_goes_on() {
    let dir = temp_dir("unreachable");
    let file = dir.join("target.yaml");
    std::fs::write(&file, target_a(free_port(), free_port(), "")).expect("write");
    let report_dir = dir.join("reports");
    let out = crosscheck(&[
        "run",
        "scenarios/cci/csp-a",
        "--target",
        file.to_str().expect("utf-8"),
        "--report-dir",
        report_dir.to_str().expect("utf-8"),
    ]);
    let all = text(&out);
    assert_eq!(out.status.code(), Some(1), "{all}");
    let report: Value = serde_json::from_str(
        &std::fs::read_to_string(report_dir.join("report.json")).expect("report"),
    )
    .expect("json");
    assert_eq!(report["clock"], "real", "a target is another process");
    let scenarios = report["scenarios"].as_array().expect("scenarios");
    assert!(scenarios.len() > 10);
    for s in scenarios {
        assert_eq!(s["outcome"], "errored", "{s}");
        assert!(
            s["reason"]
                .as_str()
                .expect("reason")
                .contains("could not reach"),
            "{s}"
        );
    }
}

#[test]
fn a_hanging_iut_errors_within_the_step_timeout() {
    // Accepts connections and never answers.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            held.push(stream);
        }
    });
    let dir = temp_dir("hanging");
    let file = dir.join("target.yaml");
    std::fs::write(
        &file,
        target_a(port, free_port(), "timeouts: {step_seconds: 1}\n"),
    )
    .expect("write");
    let report_dir = dir.join("reports");
    let started = std::time::Instant::now();
    let out = crosscheck(&[
        "run",
        "scenarios/cci/csp-a/create-valid.yaml",
        "scenarios/cci/csp-a/reuse.yaml",
        "--target",
        file.to_str().expect("utf-8"),
        "--report-dir",
        report_dir.to_str().expect("utf-8"),
    ]);
    let all = text(&out);
    assert_eq!(out.status.code(), Some(1), "{all}");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(20),
        "took {:?}",
        started.elapsed()
    );
    assert!(
        all.contains("ERRORED cci-a-create-valid") && all.contains("no answer from"),
        "{all}"
    );
    assert!(all.contains("ERRORED cci-a-reuse"), "{all}");
}

#[test]
fn selftest_kills_every_fault_and_proves_every_scenario() {
    let dir = temp_dir("selftest");
    let out = crosscheck(&["selftest", "--report-dir", dir.to_str().expect("utf-8")]);
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert!(all.contains("clean: all pass"), "{all}");
    assert!(
        !all.contains("SURVIVED") && !all.contains("UNPROVEN"),
        "{all}"
    );
    assert!(all.contains("checks proven: "), "{all}");
    assert!(
        all.contains("732 runs against 6 null implementations: every one failed or errored"),
        "{all}"
    );
    let variations: Vec<&str> = all
        .lines()
        .skip_while(|l| !l.starts_with("variation "))
        .skip(1)
        .take_while(|l| !l.is_empty())
        .collect();
    let mut per_role: std::collections::BTreeMap<&str, usize> = Default::default();
    for line in &variations {
        let name = line.split_whitespace().next().unwrap_or_default();
        let role = name.rsplit_once('/').map_or(name, |(role, _)| role);
        *per_role.entry(role).or_default() += 1;
        let verdict = line[name.len()..].trim_start();
        assert!(verdict.starts_with("none"), "a variation failed: {line}");
    }
    assert_eq!(per_role.len(), 5, "{all}");
    assert!(
        per_role.values().all(|n| *n >= 8),
        "8 per role: {per_role:?}"
    );
    // The same matrix, for tools and for people.
    let json: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("selftest.json")).expect("selftest.json"),
    )
    .expect("json");
    assert_eq!(json["ok"], true, "{json}");
    assert_eq!(json["nulls"]["runs"], 732, "{json}");
    // Every negative check is proven by a fault or a mutant, or its step says why not.
    let checks = json["checks"]["list"].as_array().expect("checks");
    assert!(checks.len() > 300, "{}", checks.len());
    for c in checks.iter().filter(|c| c["negative"] == true) {
        let by_fault_or_mutant = c["proven_by"]
            .as_array()
            .expect("proven_by")
            .iter()
            .any(|b| b.as_str().is_some_and(|b| !b.starts_with("null:")));
        assert!(
            by_fault_or_mutant || c["excused"].is_string(),
            "unproven negative check: {c}"
        );
    }
    // Every answer mutant that changed an answer is killed, or legal with a reason; every
    // protocol and role faced some.
    let mutants = json["mutants"].as_array().expect("mutants");
    let mut scopes = std::collections::BTreeSet::new();
    for m in mutants.iter().filter(|m| m["applies"] == true) {
        scopes.insert(m["scope"].as_str().unwrap_or_default().to_string());
        let killed = !m["killed_by"].as_array().expect("killed_by").is_empty();
        assert!(killed || m["legal"].is_string(), "surviving mutant: {m}");
    }
    assert_eq!(scopes.len(), 5, "{scopes:?}");
    // The one clean skip (the reference is AVAILABLE at once) passes under the variation
    // that holds sessions REQUESTED, and the fault it catches is run with that variation.
    assert_eq!(
        json["clean"]["skipped"][0]["id"], "s2c-extend-requested",
        "{json}"
    );
    assert_eq!(
        json["clean"]["skipped"][0]["passes_under"],
        serde_json::json!(["s2c/provider/requested-first"])
    );
    assert!(
        all.contains("extends-requested          S2C-07         1  s2c-extend-requested"),
        "{all}"
    );
    let faults = json["faults"].as_array().expect("faults");
    assert!(faults
        .iter()
        .all(|f| !f["killed_by"].as_array().expect("list").is_empty()));
    assert_eq!(
        json["variations"].as_array().expect("variations").len(),
        variations.len()
    );
    let md = std::fs::read_to_string(dir.join("selftest.md")).expect("selftest.md");
    assert!(md.starts_with("# crosscheck self-test: PASS"), "{md}");
    assert!(md.contains("| a-accepts-reencoded | cci | csp-a |"), "{md}");
}

#[test]
fn selftest_names_a_scenario_that_passes_against_a_null_implementation() {
    // An SP scenario that checks only the status and content type of a 200 passes
    // against a server that answers every request with garbage JSON-labelled bytes.
    let dir = temp_dir("null-survivor");
    std::fs::write(
        dir.join("weak.yaml"),
        "id: weak\ntitle: t\nprotocol: onapi\nrole: sp\nrequirements: [ON-SP-02]\nsteps:\n  - call: send_notice\n    with: {notice: \"{{ valid_notice() }}\"}\n    expect: {status: 200, content_type: application/json}\n",
    )
    .expect("write");
    let out = crosscheck(&[
        "selftest",
        "--report-dir",
        dir.join("reports").to_str().expect("utf-8"),
        dir.to_str().expect("utf-8"),
    ]);
    let all = text(&out);
    assert_eq!(out.status.code(), Some(1), "{all}");
    assert!(all.contains("null-garbage     1 (weak)"), "{all}");
    assert!(all.contains("SOME DID NOT FAIL"), "{all}");
}

#[test]
fn faults_and_list_describe_themselves() {
    let out = crosscheck(&["faults", "cci"]);
    assert_eq!(out.status.code(), Some(0));
    let all = text(&out);
    assert!(
        all.contains("a-accepts-reencoded") && all.contains("CCI-B-06"),
        "{all}"
    );
    let all = text(&crosscheck(&["faults", "s2c"]));
    assert!(
        all.contains("still REQUESTED (shown only with the variation requested-first)"),
        "{all}"
    );
    let out = crosscheck(&["list"]);
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert!(all.contains("104 of 104 requirements covered"), "{all}");
    assert!(!all.contains("NOT COVERED"), "{all}");
}

#[test]
fn fuzz_is_quiet_on_the_clean_simulator_and_finds_a_lenient_issuer() {
    let out = crosscheck(&[
        "fuzz", "cci", "--role", "csp-a", "--cases", "150", "--seed", "7",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = crosscheck(&[
        "fuzz",
        "cci",
        "--role",
        "csp-a",
        "--cases",
        "150",
        "--seed",
        "7",
        "--fault",
        "a-accepts-reencoded",
    ]);
    let all = text(&out);
    assert_eq!(out.status.code(), Some(1), "{all}");
    assert!(
        all.contains("re-encoding") && all.contains("keyValid\":true"),
        "{all}"
    );
    // csp-b: every case run (describe and accept bodies), nothing found on the clean
    // simulator; a B that never asks A is found.
    let dir = temp_dir("fuzz-csp-b");
    let report_dir = dir.join("clean");
    let fuzz_b = |report_dir: &std::path::Path, more: &[&str]| {
        let mut args = vec!["fuzz", "cci", "--role", "csp-b", "--cases", "150"];
        args.extend(["--report-dir", report_dir.to_str().expect("utf-8")]);
        args.extend(more);
        crosscheck(&args)
    };
    let out = fuzz_b(&report_dir, &[]);
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert!(all.contains("fuzz: 150 cases, seed 1, 0 findings"), "{all}");
    let report: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(report_dir.join("fuzz.json")).expect("fuzz.json"),
    )
    .expect("json");
    assert_eq!(report["cases_done"], 150, "{report}");
    let per_class: u64 = report["classes"]
        .as_object()
        .expect("classes")
        .values()
        .filter_map(serde_json::Value::as_u64)
        .sum();
    assert_eq!(per_class, 150, "{report}");
    let out = fuzz_b(
        &dir.join("faulty"),
        &["--seed", "7", "--fault", "b-no-confirm"],
    );
    let all = text(&out);
    assert_eq!(out.status.code(), Some(1), "{all}");
    assert!(
        all.contains("fuzz: 150 cases, seed 7, ")
            && !all.contains("seed 7, 0 findings")
            && all.contains("accepted: the connection reached NEGOTIATION"),
        "{all}"
    );
}

fn onapi_target(
    fixture: &str,
    replacements: &[(&str, String)],
    dir: &std::path::Path,
) -> std::path::PathBuf {
    let mut text =
        std::fs::read_to_string(root().join("fixtures/targets").join(fixture)).expect("fixture");
    for (from, to) in replacements {
        text = text.replace(from, to);
    }
    let path = dir.join(fixture);
    std::fs::write(&path, text).expect("target");
    path
}

#[test]
fn separate_onapi_sp_and_co_pass_clean_and_fail_precisely_under_faults() {
    let dir = temp_dir("ext-onapi");
    let (sp_port, co_port, mock_sp) = (free_port(), free_port(), free_port());
    let sp_target = onapi_target("onapi-sp.yaml", &[("18200", sp_port.to_string())], &dir);
    let co_target = onapi_target(
        "onapi-co.yaml",
        &[
            ("18210", co_port.to_string()),
            ("18280", mock_sp.to_string()),
        ],
        &dir,
    );
    let reports = dir.join("reports");
    let run = |target: &std::path::Path| {
        crosscheck(&[
            "run",
            "--target",
            target.to_str().expect("utf-8"),
            "--report-dir",
            reports.to_str().expect("utf-8"),
        ])
    };
    let sp_listen = format!("127.0.0.1:{sp_port}");
    let co_listen = format!("127.0.0.1:{co_port}");
    let sp_base = format!("http://127.0.0.1:{mock_sp}");
    {
        let _sp = sim("onapi", "sp", &sp_listen, None, None, sp_port);
        let _co = sim("onapi", "co", &co_listen, Some(&sp_base), None, co_port);
        let out = run(&sp_target);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        let out = run(&co_target);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    }
    {
        let _sp = sim(
            "onapi",
            "sp",
            &sp_listen,
            None,
            Some("sp-accepts-local-time"),
            sp_port,
        );
        let _co = sim(
            "onapi",
            "co",
            &co_listen,
            Some(&sp_base),
            Some("co-two-products"),
            co_port,
        );
        let out = run(&sp_target);
        let all = text(&out);
        assert_eq!(out.status.code(), Some(1), "{all}");
        assert!(
            all.contains("FAILED on-sp-malformed-notices")
                && all.contains("orderDateTime-local-offset"),
            "{all}"
        );
        assert!(all.contains("expected status 400, got status 200"), "{all}");
        let out = run(&co_target);
        let all = text(&out);
        assert_eq!(out.status.code(), Some(1), "{all}");
        assert!(
            all.contains("[ON-CO-01")
                && all.contains("body matching ActivationNotice")
                && all.contains("/products"),
            "{all}"
        );
    }
}

/// A reader that quits early (`crosscheck run | head -1`) costs the run nothing: no
/// panic on the closed pipe, the reports written, the exit code the verdict's.
#[test]
fn a_closed_stdout_neither_panics_nor_changes_the_verdict() {
    let dir = temp_dir("closed-stdout");
    for args in [
        vec!["list"],
        vec!["run", "--report-dir", dir.to_str().expect("utf-8")],
    ] {
        let mut child = spawn_crosscheck(&args);
        // Close the reading end before the binary writes anything.
        drop(child.stdout.take());
        let out = child.wait_with_output().expect("exits");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert_eq!(out.status.code(), Some(0), "{args:?}: {stderr}");
    }
    assert!(dir.join("report.json").is_file());
}

#[test]
fn run_and_selftest_work_from_another_folder_with_the_scenarios_path() {
    // The ONAPI library (fixtures/onapi/library) resolves from the folder that holds
    // scenarios/, not from the current folder.
    let elsewhere = temp_dir("elsewhere");
    let scenarios = root().join("scenarios/onapi");
    let scenarios = scenarios.to_str().expect("utf-8");
    let reports = elsewhere.join("reports");
    let reports = reports.to_str().expect("utf-8");
    let in_elsewhere = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_crosscheck"))
            .args(args)
            .current_dir(&elsewhere)
            .output()
            .expect("the binary runs")
    };
    let out = in_elsewhere(&["run", scenarios, "--report-dir", reports]);
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert!(all.contains("PASSED on-sp-malformed-notices"), "{all}");
    assert!(all.contains("PASSED on-sp-unwanted-notices"), "{all}");
    let out = in_elsewhere(&["selftest", scenarios, "--report-dir", reports]);
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert!(all.contains("clean: all pass"), "{all}");
}

/// Starts `run` of the CSP A suite against a simulator in another process, sends it
/// `signal` 1.5 s in, and gives the exit code, the output and report.json.
fn interrupted_run(signal: &str, name: &str) -> (Option<i32>, String, serde_json::Value) {
    let dir = temp_dir(name);
    let (target, listen, peer, api) = common::external_cci_a(&dir);
    let report_dir = dir.join("reports");
    let _sim = sim("cci", "csp-a", &listen, Some(&peer), None, api);
    let child = spawn_crosscheck(&[
        "run",
        "scenarios/cci/csp-a",
        "--target",
        target.to_str().expect("utf-8"),
        "--report-dir",
        report_dir.to_str().expect("utf-8"),
    ]);
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let killed = std::process::Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(killed.success());
    let out = child.wait_with_output().expect("it ends");
    let report = std::fs::read_to_string(report_dir.join("report.json")).expect("report.json");
    (
        out.status.code(),
        text(&out),
        serde_json::from_str(&report).expect("json"),
    )
}

#[test]
fn an_interrupted_run_writes_what_ran_and_never_passes() {
    for (signal, code) in [("-INT", 130), ("-TERM", 143)] {
        let (exit, all, report) = interrupted_run(signal, &format!("interrupted{signal}"));
        assert_eq!(exit, Some(code), "{signal}: {all}");
        assert!(all.contains("INTERRUPTED: "), "{all}");
        assert!(!all.contains("PASS: "), "{all}");
        assert_eq!(report["interrupted"], true, "{report}");
        let ran = report["scenarios"].as_array().expect("scenarios").len();
        let not_started = report["not_started"].as_array().expect("not_started").len();
        assert!(ran >= 1, "what ran before the signal is kept: {report}");
        assert!(not_started >= 1, "{report}");
        let planned = std::fs::read_dir(root().join("scenarios/cci/csp-a"))
            .expect("scenarios")
            .count();
        assert!(
            ran + not_started <= planned,
            "{ran} + {not_started} of {planned}"
        );
    }
}
