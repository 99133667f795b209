//! The CCI lifecycle's responder part (PROTOCOLS.md §1b: static resources, access
//! and errors, placement, features, update and delete so far) with
//! the real binary against `crosscheck sim cci --role csp-a --dialect v1` in another
//! process and the fixture target: clean it passes; under each lifecycle fault it
//! fails, naming that fault's requirement.

mod common;

use common::{cci_a_v1_target, free_port, run_against_target, sim_cci_a_v1, temp_dir};

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
    assert!(all.contains("20 scenarios: 20 passed"), "{all}");
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
    ];
    // Each run has its own simulator and ports, and mostly waits: six at a time.
    for chunk in faults.chunks(6) {
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
