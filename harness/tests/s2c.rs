//! The S2C provider simulator in another process, driven through the fixture targets
//! as a vendor would: the clean provider passes; under each fault the run fails and
//! says which scenario, requirement and step, what was expected and what came; the
//! draft's shape runs through binding overrides alone, with every skip stated; an
//! output the answer lacks names the target key that maps it.

mod common;

use std::path::{Path, PathBuf};

use common::{free_port, root, run_against_target, start_sim, temp_dir};
use crosscheck::protocols;

/// The fixture `name` with its ports moved to `iut` and `sink`, and quicker quiet
/// windows (the provider is on loopback).
fn target(dir: &Path, name: &str, iut: u16, sink: u16) -> PathBuf {
    let fixture =
        std::fs::read_to_string(root().join("fixtures/targets").join(name)).expect("fixture");
    let mut text: String = fixture
        .lines()
        .filter(|l| !l.starts_with("timeouts:"))
        .map(|l| {
            l.replace("18310", &iut.to_string())
                .replace("18320", &iut.to_string())
                .replace("18380", &sink.to_string())
                .replace("18390", &sink.to_string())
        })
        .collect::<Vec<_>>()
        .join("\n");
    text.push_str(
        "\ntimeouts: {step_seconds: 5, silence_seconds: 0.5, quiet_between_seconds: 0.2}\n",
    );
    let path = dir.join(format!("{iut}-{name}"));
    std::fs::write(&path, text).expect("target");
    path
}

/// Runs every S2C scenario against a provider started with `extra` sim arguments.
fn run_against(dir: &Path, fixture: &str, extra: &[&str]) -> (Option<i32>, String) {
    run_with(dir, fixture, extra, "scenarios/s2c", "")
}

/// Runs `scenarios` against a provider started with `extra` sim arguments, through the
/// fixture target with `more` appended to it.
fn run_with(
    dir: &Path,
    fixture: &str,
    extra: &[&str],
    scenarios: &str,
    more: &str,
) -> (Option<i32>, String) {
    let (iut, sink) = (free_port(), free_port());
    let listen = format!("127.0.0.1:{iut}");
    let mut args = vec!["s2c", "--role", "provider", "--listen", listen.as_str()];
    args.extend(extra);
    let _provider = start_sim(&args, iut);
    let target = target(dir, fixture, iut, sink);
    let mut file = std::fs::read_to_string(&target).expect("target");
    file.push_str(more);
    std::fs::write(&target, file).expect("target");
    run_against_target(scenarios, &target, &dir.join(format!("reports-{iut}")))
}

#[test]
fn the_clean_provider_passes_and_every_fault_fails_with_a_precise_message() {
    let dir = temp_dir("s2c-faults");
    let (code, all) = run_against(&dir, "s2c-provider.yaml", &[]);
    assert_eq!(code, Some(0), "{all}");
    assert!(all.contains("requirements: 14 passed"), "{all}");
    let faults = protocols::find("s2c").expect("s2c").faults();
    assert!(faults.len() >= 12);
    let outcomes: Vec<(&str, Option<i32>, String)> = std::thread::scope(|s| {
        let running: Vec<_> = faults
            .iter()
            .map(|f| {
                let dir = &dir;
                s.spawn(move || {
                    // A fault shown only with a legal variation runs with it, as in selftest.
                    let mut args = vec!["--fault", f.name];
                    for v in f.shown_with {
                        args.extend(["--variation", v]);
                    }
                    let (code, all) = run_against(dir, "s2c-provider.yaml", &args);
                    (f.name, code, all)
                })
            })
            .collect();
        running
            .into_iter()
            .map(|r| r.join().expect("no panic"))
            .collect()
    });
    for (fault, code, all) in outcomes {
        assert_eq!(code, Some(1), "{fault} is caught: {all}");
        // `FAILED <scenario>: [<requirement>] step N "<name>" (line L): expected …, got …`
        let first = all
            .lines()
            .find(|l| l.trim_start().starts_with("FAILED s2c-") && l.contains(": ["))
            .unwrap_or_else(|| panic!("{fault}: no failure line in {all}"));
        assert!(
            first.contains("step ") && first.contains("expected ") && first.contains(", got "),
            "{fault}: {first}"
        );
        eprintln!("{fault:<34} {}", first.trim());
    }
}

#[test]
fn the_draft_shape_runs_through_binding_overrides_with_its_skips_stated() {
    let dir = temp_dir("s2c-draft");
    let (code, all) = run_against(&dir, "s2c-draft.yaml", &["--binding", "draft"]);
    assert_eq!(code, Some(0), "{all}");
    for (scenario, need) in [
        ("s2c-expiry", "session-shape"),
        ("s2c-delete-notifies", "session-shape"),
        ("s2c-invalid-bodies", "verbatim-bodies"),
    ] {
        assert!(
            all.contains(&format!("SKIPPED {scenario}: the target lacks `{need}`")),
            "{scenario}: {all}"
        );
    }
    for ran in [
        "s2c-invalid-values",
        "s2c-cross-consumer",
        "s2c-modify",
        "s2c-capacity",
    ] {
        assert!(all.contains(&format!("PASSED {ran}")), "{ran}: {all}");
    }
}

#[test]
fn a_missing_assessment_output_names_the_target_key_that_maps_it() {
    // The provider answers `options`; a target that looks for them elsewhere gets the
    // S2C-13 warning, which names the key, and the key's example, filled in, clears it.
    let dir = temp_dir("s2c-outputs");
    let run = |bindings: &str| {
        let assessment = "scenarios/s2c/provider/assessment.yaml";
        run_with(&dir, "s2c-provider.yaml", &[], assessment, bindings)
    };
    let (code, all) = run("bindings: {assess: {outputs: {options: \"$.slaOptions\"}}}\n");
    assert_eq!(code, Some(0), "a SHOULD warns: {all}");
    let example = "`bindings: {assess: {outputs: {options: \"$.<where the answer has it>\"}}}`";
    assert!(
        all.contains("WARNING s2c-assessment: [S2C-13] step 3")
            && all.contains("expected a value at out.options to save as `options` (the binding reads out.options from `$.slaOptions`; if the IUT answers it elsewhere, map it in the target file with bindings.assess.outputs.options, e.g. ")
            && all.contains(example),
        "{all}"
    );
    let fixed = example
        .trim_matches('`')
        .replace("<where the answer has it>", "options");
    let (code, all) = run(&format!("{fixed}\n"));
    assert_eq!(code, Some(0), "{all}");
    assert!(all.contains("0 warnings"), "{all}");
}

#[test]
fn sim_says_which_variation_a_fault_shows_only_with() {
    let port = free_port();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_crosscheck"))
        .args([
            "sim",
            "s2c",
            "--role",
            "provider",
            "--fault",
            "extends-requested",
        ])
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the simulator starts");
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while std::net::TcpStream::connect(addr).is_err() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    child.kill().expect("stopped");
    let out = child.wait_with_output().expect("its output");
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).lines().next(),
        Some("note: the fault extends-requested shows only with the variation requested-first: add --variation requested-first")
    );
}
