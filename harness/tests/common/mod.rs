//! Helpers shared by the integration tests: run the real binary, start simulators on
//! free loopback ports, write temporary files.

#![allow(dead_code)]

pub mod late_keepalive;

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// The workspace root (where scenarios/ and fixtures/ live).
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A fresh temporary folder for one test.
pub fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("crosscheck-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// Runs `crosscheck ARGS` in the workspace root.
pub fn crosscheck(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_crosscheck"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("the binary runs")
}

/// `crosscheck run SCENARIOS --target TARGET --report-dir REPORTS`: its exit code and
/// its output.
#[allow(dead_code)]
pub fn run_against_target(scenarios: &str, target: &Path, reports: &Path) -> (Option<i32>, String) {
    let out = crosscheck(&[
        "run",
        scenarios,
        "--target",
        target.to_str().expect("utf-8"),
        "--report-dir",
        reports.to_str().expect("utf-8"),
    ]);
    (out.status.code(), text(&out))
}

/// Starts the binary with `args` in the project folder, stdout and stderr piped, and
/// leaves it running.
pub fn spawn_crosscheck(args: &[&str]) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_crosscheck"))
        .args(args)
        .current_dir(root())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the binary runs")
}

/// A loopback port nobody listens on, given out once per test process. It lies below
/// the kernel's ephemeral range (32768 and up on Linux), so nothing that binds port 0
/// (the self-test binds hundreds at once, in a test running beside this one) can take
/// it before the test binds it, and a port left unbound stays closed.
pub fn free_port() -> u16 {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let offset = std::process::id().wrapping_mul(7919);
    loop {
        let n = NEXT.fetch_add(1, Ordering::SeqCst);
        assert!(n < 12_000, "no free port below the ephemeral range");
        let port = 20_000 + (offset.wrapping_add(n) % 12_000) as u16;
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

/// A simulator process, killed on drop.
pub struct Sim(Child);

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `crosscheck sim ARGS` and waits until `port` accepts connections.
pub fn start_sim(args: &[&str], port: u16) -> Sim {
    let child = Command::new(env!("CARGO_BIN_EXE_crosscheck"))
        .arg("sim")
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the simulator starts");
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect_timeout(&addr, Duration::from_millis(100)).is_err() {
        assert!(
            Instant::now() < deadline,
            "simulator did not listen on {addr}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    Sim(child)
}

/// Starts `crosscheck sim PROTOCOL --role ROLE --listen LISTEN [--peer-base P] [--fault F]`
/// and waits for `port`.
pub fn sim(
    protocol: &str,
    role: &str,
    listen: &str,
    peer_base: Option<&str>,
    fault: Option<&str>,
    port: u16,
) -> Sim {
    let mut args = vec![protocol, "--role", role, "--listen", listen];
    if let Some(p) = peer_base {
        args.extend(["--peer-base", p]);
    }
    if let Some(f) = fault {
        args.extend(["--fault", f]);
    }
    start_sim(&args, port)
}

/// stdout and stderr as one string.
pub fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// A CCI csp-a target for the simulator at `scheme://127.0.0.1:api_port`, its mock B on
/// `mock_b_port`, with `extra` appended.
pub fn cci_a_target(scheme: &str, api_port: u16, mock_b_port: u16, extra: &str) -> String {
    format!(
        "protocol: cci\nrole: csp-a\ndialect: seed\n\
         api_base: {scheme}://127.0.0.1:{api_port}/v1\n\
         customer_base: {scheme}://127.0.0.1:{api_port}/customer\n\
         test_base: {scheme}://127.0.0.1:{api_port}/test\n\
         providers: {{iut: csp-a, harness: csp-b, other: csp-c}}\n\
         environments:\n  - id: env-ab-1\n    sizes: [50, 100, 500, 1000]\n    interconnects:\n\
         \x20     - {{id: ix-big, max_mbps: 10000, channels: [ch-1, {{name: ch-2, manager: harness}}, lag-7, {{name: ch-4, manager: harness}}]}}\n\
         \x20     - {{id: ix-small, max_mbps: 2000, channels: [sm-1, {{name: sm-2, manager: harness}}, lag-7, {{name: sm-4, manager: harness}}]}}\n\
         \x20     - {{id: ix-closed, max_mbps: 10000, state: CLOSED, channels: [cl-1, {{name: cl-2, manager: harness}}, lag-7, {{name: cl-4, manager: harness}}]}}\n  - {{id: env-ab-2, sizes: [1000, 10000]}}\n\
         credentials:\n  harness: {{token: sim-token-b}}\n  iut: {{token: sim-token-a}}\n  harness_other: {{token: sim-token-c}}\n\
         mock_peers:\n  csp-b: {{listen: \"127.0.0.1:{mock_b_port}\"}}\n{extra}"
    )
}

/// A CCI csp-a target in `dir` on fresh ports: the target file, the simulator's listen
/// address and peer base (its mock B), and its API port.
pub fn external_cci_a(dir: &Path) -> (PathBuf, String, String, u16) {
    let (api, mock_b) = (free_port(), free_port());
    let target = dir.join("target.yaml");
    std::fs::write(&target, cci_a_target("http", api, mock_b, "")).expect("target");
    let listen = format!("127.0.0.1:{api}");
    let peer = format!("http://127.0.0.1:{mock_b}/v1");
    (target, listen, peer, api)
}

/// `crosscheck sim cci --role csp-a --dialect v1` on `api`, telling B at `mock_b`.
pub fn sim_cci_a_v1(api: u16, mock_b: u16, fault: Option<&str>) -> Sim {
    sim_cci_v1("csp-a", api, mock_b, fault)
}

/// `crosscheck sim cci --role csp-b --dialect v1` on `api`, telling A at `mock_a`.
pub fn sim_cci_b_v1(api: u16, mock_a: u16, fault: Option<&str>) -> Sim {
    sim_cci_v1("csp-b", api, mock_a, fault)
}

/// `crosscheck sim cci --role ROLE --dialect v1` on `api`, its peer the harness's
/// mock on `peer`, with `fault` switched on.
fn sim_cci_v1(role: &str, api: u16, peer: u16, fault: Option<&str>) -> Sim {
    let (listen, peer) = (
        format!("127.0.0.1:{api}"),
        format!("http://127.0.0.1:{peer}/v1"),
    );
    let mut args = vec![
        "cci",
        "--role",
        role,
        "--dialect",
        "v1",
        "--listen",
        &listen,
        "--peer-base",
        &peer,
    ];
    if let Some(f) = fault {
        args.extend(["--fault", f]);
    }
    start_sim(&args, api)
}

/// The shipped fixture fixtures/targets/cci-csp-b-v1.yaml with the simulator on
/// `api` and the harness's mock A on `mock_a` instead of its fixed ports.
pub fn cci_b_v1_target(api: u16, mock_a: u16) -> String {
    let fixture =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/targets/cci-csp-b-v1.yaml");
    std::fs::read_to_string(&fixture)
        .expect("the csp-b v1 fixture target")
        .replace("127.0.0.1:18090", &format!("127.0.0.1:{api}"))
        .replace("127.0.0.1:18180", &format!("127.0.0.1:{mock_a}"))
}

/// A v1 csp-a target for the simulator on `api`, its mock B on `mock_b`.
pub fn cci_a_v1_target(api: u16, mock_b: u16, extra: &str) -> String {
    cci_a_target(
        "http",
        api,
        mock_b,
        &format!("customer_account: \"123456789012\"\n{extra}"),
    )
    .replace("dialect: seed", "dialect: v1")
}
