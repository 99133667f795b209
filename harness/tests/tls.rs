//! TLS over loopback with real handshakes: an HTTPS simulator passes with its CA, a
//! TLS 1.2-only one fails a required TLS 1.3, a missing CA file is exit 2, and a mock
//! peer serving HTTPS is reached by a client trusting the CA it wrote.

mod common;

use std::sync::Arc;

use common::{crosscheck, free_port, start_sim, temp_dir, text};
use crosscheck::http::{HttpClient, HttpRequest};
use crosscheck::peers::{MockPeer, PeerReply};
use crosscheck::tls::{
    certificates, check_handshakes, pem, scoped, ClientTls, Connection, GeneratedCa, ServeTls,
    TlsFile, TlsScope, TlsVersion,
};
use serde_json::Value;

/// A csp-a target over HTTPS at `api_port`, trusting `ca`, with `tls_extra` appended
/// to its `tls:` section.
fn https_target(api_port: u16, mock_port: u16, ca: &str, tls_extra: &str) -> String {
    common::cci_a_target(
        "https",
        api_port,
        mock_port,
        &format!("tls:\n  ca_file: {ca}\n{tls_extra}"),
    )
}

/// Starts `crosscheck sim cci --role ROLE --tls` (plus `extra`) on a free port, its
/// peer at `peer_scheme://127.0.0.1:PORT/v1`; the port, the CA it wrote, the peer's
/// port and the process.
fn https_sim(
    dir: &std::path::Path,
    role: &str,
    peer_scheme: &str,
    extra: &[&str],
) -> (u16, String, u16, common::Sim) {
    let (api, mock) = (free_port(), free_port());
    let ca = dir.join("sim-ca.pem").display().to_string();
    let listen = format!("127.0.0.1:{api}");
    let peer = format!("{peer_scheme}://127.0.0.1:{mock}/v1");
    let mut args = vec![
        "cci",
        "--role",
        role,
        "--listen",
        &listen,
        "--peer-base",
        &peer,
        "--tls",
        "--ca-out",
        &ca,
    ];
    args.extend(extra);
    let sim = start_sim(&args, api);
    (api, ca, mock, sim)
}

fn run(dir: &std::path::Path, target: &str, scenarios: &[&str]) -> (std::process::Output, Value) {
    let path = dir.join("target.yaml");
    std::fs::write(&path, target).expect("target");
    let reports = dir.join("reports");
    let mut args = vec!["run"];
    args.extend(scenarios);
    let (path, reports) = (path.display().to_string(), reports.display().to_string());
    args.extend(["--target", &path, "--report-dir", &reports]);
    let out = crosscheck(&args);
    let report = std::fs::read_to_string(dir.join("reports/report.json"))
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or(Value::Null);
    (out, report)
}

/// The first scenario's first exchange in `direction`.
fn first_exchange<'a>(report: &'a Value, direction: &str) -> &'a Value {
    report["scenarios"][0]["exchanges"]
        .as_array()
        .and_then(|all| all.iter().find(|e| e["direction"] == direction))
        .unwrap_or_else(|| panic!("no {direction} exchange in {report}"))
}

#[test]
fn an_https_simulator_passes_with_its_ca_and_each_exchange_names_the_tls_it_used() {
    let dir = temp_dir("tls-pass");
    let (api, ca, mock_b, _sim) = https_sim(&dir, "csp-a", "http", &[]);
    let target = https_target(api, mock_b, &ca, "");
    let (out, report) = run(
        &dir,
        &target,
        &[
            "scenarios/cci/csp-a/create-valid.yaml",
            "scenarios/cci/csp-a/reuse.yaml",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let called = first_exchange(&report, "harness->iut");
    assert_eq!(called["tls"]["version"], "TLSv1_3", "{called}");
    assert!(
        called["tls"]["cipher"]
            .as_str()
            .is_some_and(|c| c.starts_with("TLS13_")),
        "{called}"
    );
    // With TLS 1.3 required, a scenario that only calls the IUT still passes.
    let (out, report) = run(
        &dir,
        &https_target(api, mock_b, &ca, "  require_version: \"1.3\"\n"),
        &["scenarios/cci/csp-a/create-refused.yaml"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(report["requirements"]["X-TLS"], "passed", "{report}");
}

#[test]
fn a_tls_1_2_only_server_fails_a_required_tls_1_3_with_a_clear_message() {
    let dir = temp_dir("tls-old");
    let (api, ca, mock_b, _sim) = https_sim(&dir, "csp-a", "http", &["--tls-only", "1.2"]);
    let target = https_target(api, mock_b, &ca, "  require_version: \"1.3\"\n");
    let (out, report) = run(&dir, &target, &["scenarios/cci/csp-a/create-refused.yaml"]);
    let all = text(&out);
    assert_eq!(out.status.code(), Some(1), "{all}");
    assert!(all.contains("[X-TLS]"), "{all}");
    assert!(all.contains("TLS 1.3 or later"), "{all}");
    assert!(all.contains("negotiated TLSv1_2"), "{all}");
    let failure = &report["scenarios"][0]["failures"][0];
    assert_eq!(failure["requirement"], "X-TLS", "{report}");
    // The requirement table shows the check failed, and the scenario's own
    // requirement passed: every step held.
    assert_eq!(report["requirements"]["X-TLS"], "failed", "{report}");
    assert_eq!(report["requirements"]["CCI-A-02"], "passed", "{report}");
    let summary = std::fs::read_to_string(dir.join("reports/summary.md")).expect("summary");
    assert!(summary.contains("X-TLS"), "{summary}");
    // Without the requirement the same server passes: only the version failed it.
    let (out, _) = run(
        &dir,
        &https_target(api, mock_b, &ca, ""),
        &["scenarios/cci/csp-a/create-refused.yaml"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

#[test]
fn tls_both_ways_an_https_csp_b_calls_the_https_mock_a_trusting_the_ca_the_run_wrote() {
    let dir = temp_dir("tls-both");
    let mock_ca = dir.join("mock-ca.pem").display().to_string();
    let (customer, sim_ca, mock_a, _sim) =
        https_sim(&dir, "csp-b", "https", &["--peer-ca", &mock_ca]);
    let listen = format!("127.0.0.1:{customer}");
    let target = std::fs::read_to_string(common::root().join("fixtures/targets/cci-csp-b.yaml"))
        .expect("fixture")
        .replace("http://127.0.0.1:18090", &format!("https://{listen}"))
        .replace("18180", &mock_a.to_string())
        + &format!(
            "tls:\n  ca_file: {sim_ca}\n  mock_https: true\n  mock_ca_out: {mock_ca}\n  require_version: \"1.3\"\n"
        );
    let (out, report) = run(&dir, &target, &["scenarios/cci/csp-b/accept-valid.yaml"]);
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert!(all.contains(&format!("trust their CA: {mock_ca}")), "{all}");
    assert_eq!(report["requirements"]["X-TLS"], "passed", "{report}");
    let received = first_exchange(&report, "iut->csp-a");
    assert_eq!(received["tls"]["version"], "TLSv1_3", "{received}");
}

#[test]
fn a_missing_ca_file_is_exit_2_naming_file_line_and_field() {
    let dir = temp_dir("tls-missing-ca");
    let target = https_target(1, 2, "no-such-ca.pem", "");
    let (out, _) = run(&dir, &target, &["scenarios/cci/csp-a/create-valid.yaml"]);
    let all = text(&out);
    assert_eq!(out.status.code(), Some(2), "{all}");
    let line = target
        .lines()
        .position(|l| l.contains("ca_file"))
        .expect("the line")
        + 1;
    assert!(
        all.contains(&format!("target.yaml:{line}:")) && all.contains("tls.ca_file:"),
        "{all}"
    );
    assert!(all.contains("no-such-ca.pem: cannot read"), "{all}");
}

/// GETs `url` with `client` and requires a 200 answer.
async fn get(client: &HttpClient, url: &str) -> crosscheck::http::HttpResponse {
    let request = HttpRequest {
        method: "GET".into(),
        url: url.to_string(),
        headers: vec![],
        body: None,
    };
    let answer = client
        .send(&request, std::time::Duration::from_secs(5))
        .await
        .expect("answered");
    assert_eq!(answer.status, 200);
    answer
}

/// A rustls client speaking only `version`, trusting `ca`.
fn only(
    version: &'static rustls::SupportedProtocolVersion,
    ca: &std::path::Path,
) -> Arc<rustls::ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in certificates(ca).expect("the CA") {
        roots.add(cert).expect("a root");
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[version])
        .expect("versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    Arc::new(config)
}

#[tokio::test]
async fn a_mock_peer_over_tls_is_reached_by_a_client_trusting_its_ca_and_knows_each_version() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let dir = temp_dir("tls-mock");
    let ca = GeneratedCa::new().expect("a CA");
    let ca_path = dir.join("mock-ca.pem");
    ca.write(&ca_path).expect("written");
    let scope = Arc::new(TlsScope {
        serve: ServeTls::Generated(Box::new(ca)),
        only: None,
    });
    let ok = Arc::new(|_: &_| PeerReply::json(200, &serde_json::json!({"ok": true})));
    let peer = scoped(
        Some(scope),
        MockPeer::start("peer", "127.0.0.1:0".parse().expect("addr"), ok),
    )
    .await
    .expect("the mock starts");
    assert!(peer.url().starts_with("https://"), "{}", peer.url());
    // The harness's own client, trusting the written CA: TLS 1.3.
    let client = HttpClient::with_tls(&ClientTls {
        extra_roots: certificates(&ca_path).expect("CA"),
        platform_roots: false,
        identity: None,
    })
    .expect("client");
    let answer = get(&client, &format!("{}/hello", peer.url())).await;
    assert_eq!(
        answer.tls.as_ref().map(|t| t.version.as_str()),
        Some("TLSv1_3")
    );
    // An IUT offering only TLS 1.2 gets through, and is seen for what it offered.
    let addr = peer.url().trim_start_matches("https://").to_string();
    let tcp = tokio::net::TcpStream::connect(&addr)
        .await
        .expect("connects");
    let name = rustls::pki_types::ServerName::try_from("127.0.0.1").expect("name");
    let mut tls = tokio_rustls::TlsConnector::from(only(&rustls::version::TLS12, &ca_path))
        .connect(name, tcp)
        .await
        .expect("a TLS 1.2 handshake");
    tls.write_all(b"GET /old HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
        .await
        .expect("sent");
    let mut answer = Vec::new();
    tls.read_to_end(&mut answer).await.expect("read");
    assert!(
        answer.starts_with(b"HTTP/1.1 200"),
        "{}",
        String::from_utf8_lossy(&answer)
    );
    let received = peer.requests();
    let versions: Vec<&str> = received
        .iter()
        .filter_map(|r| r.tls.as_ref().map(|t| t.version.as_str()))
        .collect();
    assert_eq!(versions, ["TLSv1_3", "TLSv1_2"]);
    let connections = received.iter().map(|r| Connection {
        direction: "iut->peer",
        url: &r.path,
        handshake: r.tls.as_ref(),
    });
    let (expected, actual) =
        check_handshakes(TlsVersion::Tls13, connections).expect("TLS 1.2 falls short");
    assert!(
        expected.contains("tls.require_version: \"1.3\""),
        "{expected}"
    );
    assert!(
        actual.starts_with("iut->peer /old negotiated TLSv1_2"),
        "{actual}"
    );
}

#[tokio::test]
async fn the_targets_client_certificate_is_presented_for_mutual_tls() {
    use tokio::io::AsyncWriteExt;
    let dir = temp_dir("tls-mutual");
    let ca = GeneratedCa::new().expect("a CA");
    let loopback: std::net::SocketAddr = "127.0.0.1:0".parse().expect("addr");
    let server = ca.server_identity(loopback).expect("server certificate");
    let harness = ca.server_identity(loopback).expect("client certificate");
    let write = |name: &str, text: String| {
        std::fs::write(dir.join(name), text).expect("written");
    };
    write("ca.pem", ca.pem());
    write("harness.pem", pem("CERTIFICATE", &harness.chain[0]));
    write(
        "harness-key.pem",
        pem("PRIVATE KEY", harness.key().secret_der()),
    );
    // A server that wants a client certificate from the CA, and reports the one it got.
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    roots.add(ca.der()).expect("root");
    let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
        Arc::new(roots),
        Arc::clone(&provider),
    )
    .build()
    .expect("verifier");
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_client_cert_verifier(verifier)
        .with_single_cert(server.chain.clone(), server.key())
        .expect("server config");
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind(loopback)
        .await
        .expect("binds");
    let port = listener.local_addr().expect("addr").port();
    let (seen, mut presented) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let (acceptor, seen) = (acceptor.clone(), seen.clone());
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let cert = tls.get_ref().1.peer_certificates().map(|c| c[0].clone());
                let _ = seen.send(cert);
                let _ = tls
                    .write_all(
                        b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok",
                    )
                    .await;
                let _ = tls.shutdown().await;
            });
        }
    });
    let file = dir.join("target.yaml").display().to_string();
    let section: TlsFile = crosscheck::yaml::parse(
        "ca_file: ca.pem\nplatform_roots: false\nclient_cert: harness.pem\nclient_key: harness-key.pem\n",
        &file,
    )
    .expect("parses");
    let settings = section.into_settings(&file).expect("reads every file");
    let client = HttpClient::with_tls(&settings.client).expect("client");
    get(&client, &format!("https://127.0.0.1:{port}/")).await;
    let got = presented.recv().await.expect("a handshake");
    assert_eq!(
        got.as_ref(),
        Some(&harness.chain[0]),
        "the harness's certificate"
    );
}
