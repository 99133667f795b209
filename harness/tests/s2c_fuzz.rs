//! `crosscheck fuzz s2c` end to end: the real binary against the built-in provider.

mod common;

use std::process::Output;

use common::{crosscheck, text};

const CLEAN: &[&str] = &[
    "fuzz", "s2c", "--role", "provider", "--cases", "400", "--seed", "7",
];

fn with_fault(fault: &str) -> Output {
    let mut args = CLEAN.to_vec();
    args.extend(["--fault", fault]);
    crosscheck(&args)
}

#[test]
fn the_clean_provider_refuses_every_invalid_body() {
    let out = crosscheck(CLEAN);
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert!(all.contains("400 cases, seed 7, 0 findings"), "{all}");
}

#[test]
fn a_crash_on_a_malformed_ip_is_found() {
    let out = with_fault("500-on-malformed-ip");
    let all = text(&out);
    assert_eq!(out.status.code(), Some(1), "{all}");
    assert!(
        all.contains("bad IP") && all.contains("answered 500"),
        "{all}"
    );
}

#[test]
fn a_provider_that_ignores_unknown_properties_is_found() {
    let out = with_fault("accepts-unknown-properties");
    let all = text(&out);
    assert_eq!(out.status.code(), Some(1), "{all}");
    assert!(
        all.contains("unknown property") && all.contains("created from an invalid body"),
        "{all}"
    );
}
