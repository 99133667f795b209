//! `crosscheck fuzz --answers` through the real binary: against each simulator fault
//! about how an IUT treats the mock peer's answer, a fixed seed finds a failing answer
//! within a few cases and shrinks it; the clean simulators give no finding; each
//! regression file loads, and replays red against the faulty simulator in another
//! process and green against the clean one.

mod common;

use std::path::{Path, PathBuf};

use common::{crosscheck, free_port, root, start_sim, temp_dir, text};

/// One answer-handling fault, with a seed and a case count that find it.
struct Fault {
    protocol: &'static str,
    role: &'static str,
    name: &'static str,
    seed: &'static str,
    cases: &'static str,
}

const FAULTS: &[Fault] = &[
    Fault {
        protocol: "cci",
        role: "csp-b",
        name: "b-fail-open",
        seed: "3",
        cases: "3",
    },
    Fault {
        protocol: "cci",
        role: "csp-b",
        name: "b-lenient-keyvalid",
        seed: "5",
        cases: "1",
    },
    Fault {
        protocol: "onapi",
        role: "co",
        name: "co-ignores-retry-after",
        seed: "3",
        cases: "2",
    },
    Fault {
        protocol: "onapi",
        role: "co",
        name: "co-retries-400",
        seed: "1",
        cases: "1",
    },
    Fault {
        protocol: "onapi",
        role: "co",
        name: "co-retries-without-backoff",
        seed: "6",
        cases: "6",
    },
    Fault {
        protocol: "onapi",
        role: "co",
        name: "co-no-retry",
        seed: "6",
        cases: "6",
    },
];

/// `crosscheck fuzz P --role R --answers ...`: exit code, output.
fn fuzz(f: &Fault, fault: Option<&str>, cases: &str, dir: &Path) -> Ran {
    let mut args = vec![
        "fuzz",
        f.protocol,
        "--role",
        f.role,
        "--answers",
        "--seed",
        f.seed,
        "--cases",
        cases,
        "--report-dir",
        dir.to_str().expect("utf-8"),
    ];
    if let Some(fault) = fault {
        args.extend(["--fault", fault]);
    }
    let out = crosscheck(&args);
    (out.status.code(), text(&out))
}

/// The fixture target of `f`'s role with its ports moved, and the IUT's timeout for
/// the mock peer set to 1 s (as the built-in simulator's, so that a slow answer found
/// there is slow here too).
fn target(dir: &Path, f: &Fault, iut: u16, peer: u16) -> PathBuf {
    let name = format!("{}-{}.yaml", f.protocol, f.role);
    let fixture =
        std::fs::read_to_string(root().join("fixtures/targets").join(&name)).expect("fixture");
    let mut lines = Vec::new();
    let mut in_timeouts = false;
    for line in fixture.lines() {
        in_timeouts = line.starts_with("timeouts:") || (in_timeouts && line.starts_with("  "));
        if !in_timeouts {
            lines.push(
                line.replace("18090", &iut.to_string())
                    .replace("18210", &iut.to_string())
                    .replace("18180", &peer.to_string())
                    .replace("18280", &peer.to_string()),
            );
        }
    }
    let mut text = lines.join("\n");
    text.push_str(
        "\ntimeouts: {step_seconds: 5, silence_seconds: 1, iut_peer_timeout_seconds: 1, quiet_between_seconds: 0.2}\n",
    );
    let path = dir.join(format!("{iut}-{name}"));
    std::fs::write(&path, text).expect("target");
    path
}

/// `crosscheck run --strict --target T FILE` against `f`'s simulator in another
/// process, with `fault` on or not: the exit code and output.
fn replay(dir: &Path, f: &Fault, file: &Path, fault: Option<&str>) -> Ran {
    let (iut, peer) = (free_port(), free_port());
    let listen = format!("127.0.0.1:{iut}");
    let prefix = if f.protocol == "cci" { "/v1" } else { "" };
    let peer_base = format!("http://127.0.0.1:{peer}{prefix}");
    let mut args = vec![f.protocol, "--role", f.role, "--listen", &listen];
    args.extend(["--peer-base", &peer_base]);
    if f.protocol == "cci" {
        args.extend(["--peer-timeout", "1"]);
    }
    if let Some(fault) = fault {
        args.extend(["--fault", fault]);
    }
    let _sim = start_sim(&args, iut);
    let target = target(dir, f, iut, peer);
    let reports = dir.join(format!("replay-{iut}"));
    let out = crosscheck(&[
        "run",
        "--strict",
        "--target",
        target.to_str().expect("utf-8"),
        "--report-dir",
        reports.to_str().expect("utf-8"),
        file.to_str().expect("utf-8"),
    ]);
    (out.status.code(), text(&out))
}

/// A run's exit code and output.
type Ran = (Option<i32>, String);

fn regressions(output: &str) -> Vec<PathBuf> {
    output
        .lines()
        .filter_map(|l| l.trim_start().strip_prefix("regression: "))
        .map(PathBuf::from)
        .collect()
}

#[test]
fn each_answer_fault_is_found_shrunk_and_its_regression_replays_red_then_green() {
    let dir = temp_dir("answer-fuzz");
    let found: Vec<(&Fault, Option<i32>, String)> = std::thread::scope(|s| {
        let running: Vec<_> = FAULTS
            .iter()
            .map(|f| {
                let dir = dir.join(f.name);
                s.spawn(move || {
                    let (code, out) = fuzz(f, Some(f.name), f.cases, &dir);
                    (f, code, out)
                })
            })
            .collect();
        running
            .into_iter()
            .map(|r| r.join().expect("no panic"))
            .collect()
    });
    let mut replays = Vec::new();
    let mut sizes = Vec::new();
    for (f, code, out) in &found {
        assert_eq!(*code, Some(1), "{}: {out}", f.name);
        assert!(out.contains("    shrunk: "), "{}: {out}", f.name);
        // The shrunk answer is smaller than the one the fuzzer found, in fuzz.json.
        let report: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(dir.join(f.name).join("fuzz.json")).expect("fuzz.json"),
        )
        .expect("json");
        let shrunk: Vec<(usize, usize)> = report["groups"]
            .as_array()
            .expect("groups")
            .iter()
            .flat_map(|g| g["kept"].as_array().cloned().unwrap_or_default())
            .filter(|k| k["shrunk"].is_object())
            .map(|k| {
                let len = |v: &serde_json::Value| v.as_str().map_or(usize::MAX, str::len);
                (
                    len(&k["input"]["escaped"]),
                    len(&k["shrunk"]["input"]["escaped"]),
                )
            })
            .collect();
        assert!(!shrunk.is_empty(), "{}: {report}", f.name);
        for (found, small) in shrunk {
            assert!(
                small <= found,
                "{}: shrunk {small} bytes from {found}",
                f.name
            );
            sizes.push((f.name, found, small));
        }
        let files = regressions(out);
        assert!(!files.is_empty(), "{}: {out}", f.name);
        let file = files[0].clone();
        let check = crosscheck(&["check", file.to_str().expect("utf-8")]);
        assert_eq!(check.status.code(), Some(0), "{}", text(&check));
        eprintln!("{:<28} {}", f.name, out.lines().nth(1).unwrap_or("").trim());
        replays.push((*f, file));
    }
    // An answer found already minimal (a bare status) stays as it is; most shrink.
    let smaller = sizes
        .iter()
        .filter(|(_, found, small)| small < found)
        .count();
    assert!(
        smaller * 2 >= sizes.len(),
        "most findings shrink: {sizes:?}"
    );
    let outcomes: Vec<(&str, Ran, Ran)> = std::thread::scope(|s| {
        let running: Vec<_> = replays
            .iter()
            .map(|(f, file)| {
                let dir = &dir;
                s.spawn(move || {
                    let red = replay(dir, f, file, Some(f.name));
                    let green = replay(dir, f, file, None);
                    (f.name, red, green)
                })
            })
            .collect();
        running
            .into_iter()
            .map(|r| r.join().expect("no panic"))
            .collect()
    });
    for (fault, red, green) in outcomes {
        assert_eq!(
            red.0,
            Some(1),
            "{fault}: red against the faulty sim: {}",
            red.1
        );
        assert_eq!(
            green.0,
            Some(0),
            "{fault}: green against the clean sim: {}",
            green.1
        );
    }
}

#[test]
fn the_clean_simulators_give_no_finding() {
    let dir = temp_dir("answer-fuzz-clean");
    let outcomes: Vec<Ran> = std::thread::scope(|s| {
        let running: Vec<_> = [&FAULTS[0], &FAULTS[2]]
            .into_iter()
            .map(|f| {
                let dir = dir.join(f.protocol);
                s.spawn(move || fuzz(f, None, "24", &dir))
            })
            .collect();
        running
            .into_iter()
            .map(|r| r.join().expect("no panic"))
            .collect()
    });
    for (code, out) in outcomes {
        assert_eq!(code, Some(0), "{out}");
        assert!(
            out.contains("24 cases") && out.contains("0 findings"),
            "{out}"
        );
    }
}

#[test]
fn a_role_that_does_not_call_the_harness_is_refused() {
    let out = crosscheck(&["fuzz", "cci", "--role", "csp-a", "--answers"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("cannot be fuzzed"), "{}", text(&out));
}
