//! The CCI lifecycle (PROTOCOLS.md §1b) with the real binary against each reference
//! simulator in another process and its fixture target: the responder (`crosscheck
//! sim cci --role csp-a --dialect v1`: static resources, access and errors,
//! placement, features, notifications and verification, update and delete) and the negotiator (`--role csp-b`:
//! placement, guidance and proposals, readiness, notifications, its own updates and
//! deletes, the peer's delete).
//! Clean each passes; under each lifecycle fault it fails, naming that fault's
//! requirement.

mod common;

use common::{
    cci_a_v1_target, cci_b_v1_target, crosscheck, free_port, run_against_target, sim_cci_a_v1,
    sim_cci_b_v1, temp_dir, text,
};

/// Runs the lifecycle scenarios against a v1 csp-a simulator started with `fault`.
fn run(fault: Option<&str>) -> (Option<i32>, String) {
    let dir = temp_dir(&format!("lifecycle-{}", fault.unwrap_or("clean")));
    let (api, mock_b) = (free_port(), free_port());
    let target = dir.join("target.yaml");
    std::fs::write(&target, cci_a_v1_target(api, mock_b, "")).expect("target");
    let _sim = sim_cci_a_v1(api, mock_b, fault);
    run_against_target(
        "scenarios/cci/csp-a/lifecycle",
        &target,
        &dir.join("reports"),
    )
}

#[test]
fn the_responder_passes_clean_and_each_fault_names_its_requirement() {
    let (code, all) = run(None);
    assert_eq!(code, Some(0), "{all}");
    assert!(all.contains("22 scenarios: 22 passed"), "{all}");
    let faults = [
        ("a-lc-bare-names", "CCI-L-08"),
        ("a-lc-hardcoded-channels", "CCI-L-03"),
        ("a-lc-ix-sizes-subset", "CCI-L-04"),
        ("a-lc-accepts-closed", "CCI-L-18"),
        ("a-lc-accepts-unconfirmed", "CCI-L-15"),
        ("a-lc-accepts-other-bandwidth", "CCI-L-15"),
        ("a-lc-overwrites-duplicate", "CCI-L-17"),
        ("a-lc-create-unstored", "CCI-L-14"),
        ("a-lc-room-race", "CCI-L-16"),
        ("a-lc-accepts-low-vlan", "CCI-L-27"),
        ("a-lc-feature-500", "CCI-L-27"),
        ("a-lc-vlan-race", "CCI-L-28"),
        ("a-lc-two-per-channel", "CCI-L-28"),
        ("a-lc-delete-keeps-vlans", "CCI-L-53"),
        ("a-lc-delete-feature-kept", "CCI-L-55"),
        ("a-lc-ignores-caller-path", "CCI-L-10"),
        ("a-lc-open-reads", "CCI-L-10"),
        ("a-lc-garbage-500", "CCI-L-12"),
        ("a-lc-text-not-found", "CCI-L-12"),
        ("a-lc-provider-unserved", "CCI-L-02"),
        ("a-lc-mixed-lags", "CCI-L-05"),
        ("a-lc-refuses-delete-with-features", "CCI-L-52"),
        ("a-lc-delete-customer-unaware", "CCI-L-52"),
        ("a-lc-grants-unoffered", "CCI-L-48"),
        ("a-lc-update-keeps-reservation", "CCI-L-48"),
        ("a-lc-patch-any-field", "CCI-L-50"),
        ("a-lc-shared-books", "CCI-L-11"),
        ("a-lc-proposes-back", "CCI-L-30"),
        ("a-lc-never-notifies", "CCI-L-39"),
        ("a-lc-notifies-pending", "CCI-L-39"),
        ("a-lc-notifies-once", "CCI-L-39"),
        ("a-lc-no-refresh", "CCI-L-40"),
        ("a-lc-verifies-alone", "CCI-L-41"),
        ("a-lc-no-repair", "CCI-L-56"),
        ("a-lc-repairs-foreign", "CCI-L-30"),
    ];
    each_fails_naming(&faults, 6, run);
}

/// Runs `run` under each fault, `at_once` at a time (each run has its own simulator
/// and ports, and mostly waits): each must fail, naming the fault's requirement.
fn each_fails_naming(
    faults: &[(&str, &str)],
    at_once: usize,
    run: fn(Option<&str>) -> (Option<i32>, String),
) {
    for chunk in faults.chunks(at_once) {
        std::thread::scope(|scope| {
            let runs: Vec<_> = chunk
                .iter()
                .map(|(fault, requirement)| (fault, requirement, scope.spawn(|| run(Some(fault)))))
                .collect();
            for (fault, requirement, handle) in runs {
                let (code, all) = handle.join().expect("the run's thread");
                assert_eq!(code, Some(1), "{fault}: {all}");
                assert!(all.contains(&format!("[{requirement}]")), "{fault}: {all}");
            }
        });
    }
}

/// Runs the negotiator's lifecycle scenarios against a v1 csp-b simulator with `fault`.
fn run_b(fault: Option<&str>) -> (Option<i32>, String) {
    let dir = temp_dir(&format!("lifecycle-b-{}", fault.unwrap_or("clean")));
    let (api, mock_a) = (free_port(), free_port());
    let target = dir.join("target.yaml");
    std::fs::write(&target, cci_b_v1_target(api, mock_a)).expect("target");
    let _sim = sim_cci_b_v1(api, mock_a, fault);
    let reports = dir.join("reports");
    // Strict: a SHOULD fault (CCI-L-46, L-47) fails the run as its warning.
    let out = crosscheck(&[
        "run",
        "scenarios/cci/csp-b/lifecycle",
        "--strict",
        "--target",
        target.to_str().expect("utf-8"),
        "--report-dir",
        reports.to_str().expect("utf-8"),
    ]);
    (out.status.code(), text(&out))
}

#[test]
fn the_negotiator_passes_clean_and_each_fault_names_its_requirement() {
    let (code, all) = run_b(None);
    assert_eq!(code, Some(0), "{all}");
    assert!(all.contains("17 scenarios: 17 passed"), "{all}");
    let faults = [
        ("b-lc-remote-first", "CCI-L-19"),
        ("b-lc-first-interconnect", "CCI-L-20"),
        ("b-lc-guidance-late", "CCI-L-31"),
        ("b-lc-channels-1-to-4", "CCI-L-32"),
        ("b-lc-ready-with-two", "CCI-L-36"),
        ("b-lc-notifies-once", "CCI-L-39"),
        ("b-lc-no-refresh", "CCI-L-40"),
        ("b-lc-verifies-alone", "CCI-L-41"),
        ("b-lc-drops-early-notice", "CCI-L-42"),
        ("b-lc-update-unchecked", "CCI-L-44"),
        ("b-lc-updates-before-grant", "CCI-L-45"),
        ("b-lc-keeps-refused-update", "CCI-L-45"),
        ("b-lc-update-local-late", "CCI-L-46"),
        ("b-lc-update-silent", "CCI-L-47"),
        ("b-lc-grants-while-updating", "CCI-L-49"),
        ("b-lc-delete-remote-first", "CCI-L-51"),
        ("b-lc-deletes-twice", "CCI-L-51"),
        ("b-lc-calls-after-delete", "CCI-L-54"),
        ("b-lc-reads-after-delete", "CCI-L-54"),
        ("b-lc-feature-caller", "CCI-L-13"),
        ("b-lc-least-room", "CCI-L-21"),
        ("b-lc-no-reconcile", "CCI-L-23"),
        ("b-lc-low-mtu", "CCI-L-33"),
        ("b-lc-feature-remote-first", "CCI-L-34"),
        ("b-lc-retry-same", "CCI-L-35"),
        ("b-lc-waits-for-four", "CCI-L-37"),
        ("b-lc-ignores-pending", "CCI-L-43"),
        ("b-lc-retries-same-ix", "CCI-L-22"),
        ("b-lc-fails-but-retries", "CCI-L-22"),
        ("b-lc-retries-after-giving-up", "CCI-L-22"),
        ("b-lc-refuses-delete-mid-update", "CCI-L-52"),
    ];
    each_fails_naming(&faults, faults.len(), run_b);
}
