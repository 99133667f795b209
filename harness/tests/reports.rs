//! The reports people and CI read: an IUT that answers with escape sequences, NUL and
//! bytes that are not UTF-8 reaches no report and no console as raw bytes, its secrets
//! reach none at all, and every report.json follows the shipped JSON Schema.

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;

use common::{crosscheck, root, temp_dir};
use serde_json::Value;

/// What the hostile IUT answers: an escape sequence, NUL, and bytes that are not UTF-8.
const HOSTILE: &[u8] = b"\x1b[31mred\x00nul \xff\xfe end\x07";

/// The token the harness sends the IUT: it must appear in no output.
const TOKEN: &str = "tok-secret-co-42";

/// Answers every request with 500 and [`HOSTILE`], followed by the request's own head
/// (so the credential the harness sent comes back in the body); returns its port.
fn hostile_iut() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || answer(stream));
        }
    });
    port
}

fn answer(mut stream: TcpStream) {
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    // Read the head, then as much body as it announces.
    while let Ok(n) = stream.read(&mut buf) {
        if n == 0 {
            return;
        }
        seen.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&seen).to_ascii_lowercase();
        if let Some(end) = text.find("\r\n\r\n") {
            let length = text
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse::<usize>().ok())
                .unwrap_or(0);
            if seen.len() >= end + 4 + length {
                break;
            }
        }
    }
    let mut body = HOSTILE.to_vec();
    body.extend_from_slice(&seen);
    let head = format!(
        "HTTP/1.1 500 Internal Server Error\r\ncontent-type: text/plain\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(&body);
}

/// The raw control bytes in `bytes` (anything below 0x20 but newline and tab, and DEL).
fn raw_controls(bytes: &[u8]) -> Vec<u8> {
    bytes
        .iter()
        .copied()
        .filter(|&b| (b < 0x20 && b != b'\n' && b != b'\t') || b == 0x7f)
        .collect()
}

/// Every error of `report` against schemas/report.schema.json.
fn schema_errors(report: &Value) -> Vec<String> {
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("schemas/report.schema.json")).expect("the schema"),
    )
    .expect("the schema is JSON");
    let validator = jsonschema::validator_for(&schema).expect("the schema compiles");
    validator
        .iter_errors(report)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

/// `crosscheck run ARGS --report-dir REPORTS`.
fn run_into(reports: &Path, args: &[&str]) -> std::process::Output {
    let mut all = vec!["run"];
    all.extend_from_slice(args);
    all.extend(["--report-dir", reports.to_str().expect("utf-8")]);
    crosscheck(&all)
}

fn read_report(dir: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("report.json")).expect("report.json"))
        .expect("report.json is JSON")
}

#[test]
fn a_hostile_iut_reaches_no_report_and_no_console_as_raw_bytes() {
    let port = hostile_iut();
    let dir = temp_dir("hostile");
    let target = dir.join("target.yaml");
    std::fs::write(
        &target,
        format!(
            "name: \"hostile \\e[2J IUT\"\nprotocol: onapi\nrole: sp\n\
             api_base: http://127.0.0.1:{port}\nproviders: {{iut: sp, harness: co}}\n\
             credentials:\n  harness: {{token: {TOKEN}}}\n  no_right: {{token: tok-readonly-7}}\n  iut: {{token: unused-iut}}\n\
             timeouts: {{step_seconds: 5}}\n"
        ),
    )
    .expect("target");
    let reports = dir.join("reports");
    let out = run_into(
        &reports,
        &[
            "scenarios/onapi/sp/valid-notice.yaml",
            "scenarios/onapi/sp/credentials.yaml",
            "--target",
            target.to_str().expect("utf-8"),
        ],
    );
    let console = [out.stdout.as_slice(), out.stderr.as_slice()].concat();
    let shown = String::from_utf8_lossy(&console);
    assert_eq!(out.status.code(), Some(1), "{shown}");
    let mut outputs = vec![("console".to_string(), console)];
    for file in ["report.json", "junit.xml", "summary.md", "report.html"] {
        outputs.push((file.into(), std::fs::read(reports.join(file)).expect(file)));
    }
    for (name, bytes) in &outputs {
        assert_eq!(
            raw_controls(bytes),
            [] as [u8; 0],
            "raw control bytes in {name}"
        );
        let text = std::str::from_utf8(bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(!text.contains(TOKEN), "{name} shows the harness's token");
        // The escaped forms: ESC, then NUL (a JSON string doubles the backslash).
        assert!(text.contains("x1b[31mred"), "{name} lacks the escaped ESC");
        assert!(
            text.contains("red\\0nul") || text.contains("red\\\\0nul"),
            "{name} lacks the escaped NUL"
        );
    }
    let report = read_report(&reports);
    assert_eq!(schema_errors(&report), Vec::<String>::new());
    assert_eq!(report["target_name"], "hostile \\x1b[2J IUT");
    let exchanges: Vec<&Value> = report["scenarios"]
        .as_array()
        .expect("runs")
        .iter()
        .flat_map(|r| r["exchanges"].as_array().expect("exchanges"))
        .collect();
    let first = exchanges.first().expect("an exchange");
    let body = first["response_body"].as_str().expect("a body");
    assert!(
        body.starts_with("[invalid UTF-8, shown lossily] \\x1b[31m"),
        "{body}"
    );
    // The credential the harness sent: a fingerprint in the headers, a variable in curl.
    let (sent, auth) = exchanges
        .iter()
        .find_map(|e| {
            let headers = e["request_headers"].as_array()?;
            let auth = headers.iter().find(|h| h["name"] == "authorization")?;
            Some((*e, auth))
        })
        .expect("an exchange with the credential header");
    assert!(
        auth["value"].as_str().is_some_and(
            |v| v.starts_with("Bearer sha256:") && v.len() == "Bearer sha256:".len() + 8
        ),
        "{auth}"
    );
    let curl = sent["curl"].as_str().expect("curl");
    assert!(curl.contains("\"$CROSSCHECK_TOKEN_HARNESS\""), "{curl}");
    assert!(first["response_headers"]
        .as_array()
        .expect("answer headers")
        .iter()
        .any(|h| h["name"] == "content-type"));
}

#[test]
fn a_built_in_run_writes_a_report_the_schema_accepts() {
    let dir = temp_dir("schema-builtin");
    let reports = dir.join("reports");
    // The whole suite: every protocol's exchanges, headers and curl commands.
    let out = run_into(&reports, &[]);
    let shown = common::text(&out);
    assert_eq!(out.status.code(), Some(0), "{shown}");
    let report = read_report(&reports);
    assert_eq!(schema_errors(&report), Vec::<String>::new());
    assert_eq!(report["schema_version"], 1);
    assert_eq!(report["harness_version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(report["target_name"], "built-in simulators");
    // The same suite gives the same digest, whichever part of it runs.
    let again = dir.join("again");
    let out = run_into(&again, &["--partition", "2/3"]);
    assert_eq!(out.status.code(), Some(0), "{}", common::text(&out));
    let part = read_report(&again);
    assert_eq!(part["suite_digest"], report["suite_digest"]);
    // A part says which it is; the schema knows the field and its shape.
    assert_eq!(
        part["partition"],
        serde_json::json!({"index": 2, "count": 3})
    );
    assert_eq!(part["selection"], serde_json::json!({"tags": []}));
    assert!(
        report.get("partition").is_none(),
        "a whole run has no partition"
    );
    assert_eq!(schema_errors(&part), Vec::<String>::new());
    let mut bad = part.clone();
    bad["partition"] = serde_json::json!({"index": 0, "count": 3, "of": "?"});
    assert_eq!(schema_errors(&bad).len(), 2, "{:?}", schema_errors(&bad));
    assert!(part["summary"]["total"].as_u64() < report["summary"]["total"].as_u64());
    let runs = report["summary"]["total"].as_u64().unwrap_or(0);
    let scenarios = report["summary"]["scenarios"].as_u64().unwrap_or(0);
    let counted = if runs == scenarios {
        format!("{scenarios} scenarios:")
    } else {
        format!("{runs} runs of {scenarios} scenarios:")
    };
    assert!(shown.contains(&counted), "{shown}");
}
