//! The `crosscheck` command line. Exit codes: 0 all passed, 1 some scenario failed or
//! errored, 2 bad usage, configuration or scenario, or the harness could not run.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context as _};
use clap::{Parser, Subcommand};

use crate::protocols::cci::faults::Fault;
use crate::protocols::cci::key::Dialect;
use crate::protocols::cci::sim;
use crate::protocols::cci::world::SimConfig;
use crate::protocols::FaultTable;
use crate::protocols::{self, requirements, Protocol};
use crate::report::{self, Format, RunReport};
use crate::scenario::{load_paths, Scenario};
use crate::suite;
use crate::target::Target;

/// Conformance harness for two-party provisioning protocols.
#[derive(Debug, Parser)]
#[command(name = "crosscheck", version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run scenarios against the built-in simulators, or against --target.
    Run {
        /// Scenario files or folders (default: scenarios/).
        paths: Vec<PathBuf>,
        /// Target file naming the implementation under test.
        #[arg(long)]
        target: Option<PathBuf>,
        /// Only this protocol.
        #[arg(long)]
        protocol: Option<String>,
        /// Only this IUT role.
        #[arg(long)]
        role: Option<String>,
        /// Only scenarios with this tag (repeatable).
        #[arg(long)]
        tag: Vec<String>,
        /// Scenarios run at once against the built-in simulators.
        #[arg(long, default_value_t = 8)]
        jobs: usize,
        /// Run only part K of N of the scenarios (e.g. 2/4).
        #[arg(long)]
        partition: Option<String>,
        /// Where reports go.
        #[arg(long, default_value = "reports/latest")]
        report_dir: PathBuf,
        /// Formats: json, junit, md, html (comma separated).
        #[arg(long, default_value = "json,junit,md,html", value_delimiter = ',')]
        format: Vec<String>,
    },
    /// Serve a reference simulator until interrupted.
    Sim {
        /// Protocol.
        protocol: String,
        /// Role to play.
        #[arg(long)]
        role: String,
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:18080")]
        listen: SocketAddr,
        /// Faults to switch on (repeatable).
        #[arg(long)]
        fault: Vec<String>,
        /// Key dialect: seed or v1.
        #[arg(long, default_value = "seed")]
        dialect: String,
        /// Base URL of the peer: CCI, the other CSP's provider API (prefix included);
        /// ONAPI co, the SP.
        #[arg(long)]
        peer_base: Option<String>,
        /// Key lifetime in seconds.
        #[arg(long, default_value_t = 3600)]
        key_lifetime: u64,
        /// How long B waits for A, in seconds.
        #[arg(long, default_value_t = 2.0)]
        peer_timeout: f64,
    },
    /// Fuzz the IUT's handling of activation keys with seeded mutants of a real key.
    Fuzz {
        /// Protocol (cci).
        protocol: String,
        /// IUT role.
        #[arg(long)]
        role: String,
        /// Target file (default: the built-in simulator).
        #[arg(long)]
        target: Option<PathBuf>,
        /// Number of mutants.
        #[arg(long, default_value_t = 300)]
        cases: usize,
        /// Seed (the same seed replays the same cases).
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Faults of the built-in simulator (repeatable).
        #[arg(long)]
        fault: Vec<String>,
        /// A key to start from (csp-b with --target: one the IUT's A would confirm).
        #[arg(long)]
        key: Option<String>,
    },
    /// List the simulators' faults.
    Faults {
        /// Protocol (default: all).
        protocol: Option<String>,
    },
    /// The suite against the clean simulators and every fault: the kill matrix.
    Selftest {
        /// Scenario files or folders (default: scenarios/).
        paths: Vec<PathBuf>,
        /// Scenarios run at once.
        #[arg(long, default_value_t = 16)]
        jobs: usize,
    },
    /// List scenarios and requirement coverage.
    List {
        /// Scenario files or folders (default: scenarios/).
        paths: Vec<PathBuf>,
    },
    /// Validate scenario files.
    Check {
        /// Scenario files or folders (default: scenarios/).
        paths: Vec<PathBuf>,
    },
}

/// Why the command stopped: bad input (exit 2) or a verdict.
enum Exit {
    Code(u8),
}

/// Entry point: parses arguments, runs, maps errors to exit code 2.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let filter = tracing_subscriber::EnvFilter::try_from_env("CROSSCHECK_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    match runtime.block_on(dispatch(cli.command)) {
        Ok(Exit::Code(c)) => ExitCode::from(c),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn scenario_paths(paths: Vec<PathBuf>) -> Vec<PathBuf> {
    if paths.is_empty() {
        vec![PathBuf::from("scenarios")]
    } else {
        paths
    }
}

fn load(paths: Vec<PathBuf>) -> anyhow::Result<Vec<Arc<Scenario>>> {
    let scenarios =
        load_paths(&scenario_paths(paths)).map_err(|e| anyhow!("invalid scenarios:\n{e}"))?;
    if scenarios.is_empty() {
        bail!("no scenarios found");
    }
    Ok(scenarios.into_iter().map(Arc::new).collect())
}

async fn dispatch(command: Command) -> anyhow::Result<Exit> {
    match command {
        Command::Run {
            paths,
            target,
            protocol,
            role,
            tag,
            jobs,
            partition,
            report_dir,
            format,
        } => {
            let formats = format
                .iter()
                .map(|f| {
                    Format::from_name(f).ok_or_else(|| {
                        anyhow!("--format: unknown format `{f}` (json, junit, md, html)")
                    })
                })
                .collect::<anyhow::Result<Vec<_>>>()?;
            let mut scenarios = load(paths)?;
            if let Some(p) = &protocol {
                Protocol::from_name(p)
                    .ok_or_else(|| anyhow!("--protocol: unknown `{p}` ({})", Protocol::names()))?;
                scenarios.retain(|s| s.protocol.name() == p);
            }
            if let Some(r) = &role {
                scenarios.retain(|s| &s.role == r);
            }
            if !tag.is_empty() {
                scenarios.retain(|s| tag.iter().any(|t| s.tags.contains(t)));
            }
            if let Some(p) = &partition {
                let (k, n) = parse_partition(p)?;
                scenarios = scenarios
                    .into_iter()
                    .enumerate()
                    .filter(|(i, _)| i % n == k - 1)
                    .map(|(_, s)| s)
                    .collect();
            }
            if scenarios.is_empty() {
                bail!("no scenario matches the filters");
            }
            run(scenarios, target, jobs, &report_dir, &formats).await
        }
        Command::Sim {
            protocol,
            role,
            listen,
            fault,
            dialect,
            peer_base,
            key_lifetime,
            peer_timeout,
        } => {
            let p = protocol_and_role(&protocol, &role)?;
            let names: BTreeSet<String> = fault.iter().cloned().collect();
            let faults =
                protocols::faults_for(p, &role, &names).map_err(|e| anyhow!("--fault: {e}"))?;
            if !(peer_timeout.is_finite() && peer_timeout > 0.0 && peer_timeout <= 600.0) {
                bail!("--peer-timeout: {peer_timeout} is not between 0 and 600 seconds");
            }
            let _running: Box<dyn std::any::Any + Send> = match p {
                Protocol::Cci => {
                    let dialect = Dialect::from_name(&dialect)
                        .ok_or_else(|| anyhow!("--dialect: `{dialect}` is not seed or v1"))?;
                    let mut config = SimConfig::new(&role, dialect);
                    config.faults = faults.iter().filter_map(|f| Fault::from_name(f)).collect();
                    let default_peer = if role == "csp-a" {
                        "http://127.0.0.1:18181/v1"
                    } else {
                        "http://127.0.0.1:18180/v1"
                    };
                    config.peer_base = Some(peer_base.unwrap_or_else(|| default_peer.into()));
                    config.key_lifetime = Duration::from_secs(key_lifetime);
                    config.peer_timeout = Duration::from_secs_f64(peer_timeout);
                    let peer = config.peer_base.clone().unwrap_or_default();
                    let running = sim::start(&role, config, listen).await?;
                    println!(
                        "crosscheck sim {protocol} {role} ({}) listening on http://{addr}: api http://{addr}/v1, customer http://{addr}/customer, test http://{addr}/test; peer {peer}; faults: {}",
                        dialect.name(),
                        if fault.is_empty() { "none".to_string() } else { fault.join(", ") },
                        addr = running.addr,
                    );
                    Box::new(running)
                }
                Protocol::Onapi => {
                    let mut config = crate::protocols::onapi::config::OnapiConfig::new();
                    config.faults = faults
                        .iter()
                        .filter_map(|f| crate::protocols::onapi::fault::Fault::from_name(f))
                        .collect();
                    if let Some(base) = peer_base {
                        config.sp_base = base;
                    }
                    let peer = if role == "co" {
                        config.sp_base.clone()
                    } else {
                        "none".into()
                    };
                    let running = crate::protocols::onapi::stage::start(&role, config, listen)
                        .await
                        .map_err(|e| anyhow!(e))?;
                    println!(
                        "crosscheck sim {protocol} {role} listening on http://{addr}: notices http://{addr}/onapi/2.5/activationnotice/, trigger http://{addr}/trigger, test http://{addr}/test; SP {peer}; faults: {}",
                        if fault.is_empty() { "none".to_string() } else { fault.join(", ") },
                        addr = running.addr,
                    );
                    Box::new(running)
                }
            };
            tokio::signal::ctrl_c()
                .await
                .context("waiting for Ctrl-C")?;
            Ok(Exit::Code(0))
        }
        Command::Fuzz {
            protocol,
            role,
            target,
            cases,
            seed,
            fault,
            key,
        } => {
            let p = protocol_and_role(&protocol, &role)?;
            if p != Protocol::Cci {
                bail!("fuzzing covers the cci key codec only");
            }
            let report = match target {
                Some(path) => {
                    if !fault.is_empty() {
                        bail!("--fault applies to the built-in simulator, not to --target");
                    }
                    let target =
                        Target::load(&path).map_err(|e| anyhow!("invalid target file: {e}"))?;
                    if target.protocol != p || target.role != role {
                        bail!(
                            "the target is {} {}, not {protocol} {role}",
                            target.protocol.name(),
                            target.role
                        );
                    }
                    crate::fuzz::fuzz_cci(&target, key, cases, seed).await?
                }
                None => {
                    let names: BTreeSet<String> = fault.iter().cloned().collect();
                    let faults: BTreeSet<&'static str> = protocols::faults_for(p, &role, &names)
                        .map_err(|e| anyhow!("--fault: {e}"))?
                        .into_iter()
                        .collect();
                    let http = crate::http::HttpClient::new()?;
                    let prepared = sim::builtin_stage(&role, Dialect::Seed, &faults, &http)
                        .await
                        .map_err(|e| anyhow!(e))?;
                    let key = match (&prepared.stage.counterpart, key) {
                        (_, Some(k)) => Some(k),
                        (protocols::Counterpart::CciIssuer(a), None) => {
                            let env = prepared.stage.target.primary_environment();
                            Some(
                                a.issue(
                                    &env.id,
                                    env.sizes[0],
                                    &prepared.stage.target.customer_account,
                                )
                                .map_err(|r| anyhow!(r.0))?
                                .1,
                            )
                        }
                        _ => None,
                    };
                    crate::fuzz::fuzz_cci(&prepared.stage.target, key, cases, seed).await?
                }
            };
            print!("{}", report.render());
            Ok(Exit::Code(if report.findings.is_empty() { 0 } else { 1 }))
        }
        Command::Faults { protocol } => {
            if let Some(p) = &protocol {
                Protocol::from_name(p)
                    .ok_or_else(|| anyhow!("unknown protocol `{p}` ({})", Protocol::names()))?;
            }
            println!("{:<28} {:<6} {:<9} description", "fault", "role", "breaks");
            for p in Protocol::ALL
                .into_iter()
                .filter(|p| protocol.as_deref().is_none_or(|n| n == p.name()))
            {
                for f in p.faults() {
                    println!(
                        "{:<28} {:<6} {:<9} {}",
                        f.name, f.role, f.requirement, f.description
                    );
                }
            }
            Ok(Exit::Code(0))
        }
        Command::Selftest { paths, jobs } => {
            let scenarios = load(paths)?;
            let started = Instant::now();
            let matrix = crate::selftest::run(&scenarios, jobs)
                .await
                .map_err(|e| anyhow!(e))?;
            print!("{}", matrix.render());
            println!("self-test took {:.1} s", started.elapsed().as_secs_f64());
            Ok(Exit::Code(if matrix.ok() { 0 } else { 1 }))
        }
        Command::List { paths } => {
            let scenarios = load(paths)?;
            for s in &scenarios {
                let dialects: Vec<&str> = s.dialects.iter().map(|d| d.name()).collect();
                println!(
                    "{:<32} {:<4} {:<6} [{}] {} — {}",
                    s.id,
                    s.protocol.name(),
                    s.role,
                    dialects.join(","),
                    s.requirements.join(" "),
                    s.title
                );
            }
            println!();
            let mut uncovered = 0;
            for r in requirements::CATALOGUE {
                let by: Vec<&str> = scenarios
                    .iter()
                    .filter(|s| s.requirements.iter().any(|x| x == r.id))
                    .map(|s| s.id.as_str())
                    .collect();
                if by.is_empty() {
                    uncovered += 1;
                }
                println!(
                    "{:<9} {:>2} scenario(s)  {}",
                    r.id,
                    by.len(),
                    if by.is_empty() {
                        "NOT COVERED".to_string()
                    } else {
                        by.join(", ")
                    }
                );
            }
            println!(
                "\n{} scenarios; {} of {} requirements covered",
                scenarios.len(),
                requirements::CATALOGUE.len() - uncovered,
                requirements::CATALOGUE.len()
            );
            Ok(Exit::Code(0))
        }
        Command::Check { paths } => {
            let scenarios = load(paths)?;
            let steps: usize = scenarios.iter().map(|s| s.steps.len()).sum();
            println!(
                "{} scenarios, {steps} top-level steps: all valid",
                scenarios.len()
            );
            Ok(Exit::Code(0))
        }
    }
}

/// Parses `--protocol`-style and `--role` arguments together.
fn protocol_and_role(protocol: &str, role: &str) -> anyhow::Result<Protocol> {
    let p = Protocol::from_name(protocol)
        .ok_or_else(|| anyhow!("unknown protocol `{protocol}` ({})", Protocol::names()))?;
    if !p.roles().contains(&role) {
        bail!(
            "--role: `{role}` is not a role of {protocol} ({})",
            p.roles().join(", ")
        );
    }
    Ok(p)
}

fn parse_partition(text: &str) -> anyhow::Result<(usize, usize)> {
    let (k, n) = text
        .split_once('/')
        .ok_or_else(|| anyhow!("--partition: `{text}` is not K/N"))?;
    let k: usize = k
        .parse()
        .map_err(|_| anyhow!("--partition: `{k}` is not a number"))?;
    let n: usize = n
        .parse()
        .map_err(|_| anyhow!("--partition: `{n}` is not a number"))?;
    if n == 0 || k == 0 || k > n {
        bail!("--partition: need 1 <= K <= N, got {k}/{n}");
    }
    Ok((k, n))
}

async fn run(
    scenarios: Vec<Arc<Scenario>>,
    target: Option<PathBuf>,
    jobs: usize,
    report_dir: &std::path::Path,
    formats: &[Format],
) -> anyhow::Result<Exit> {
    let started_at = jiff::Timestamp::now().to_string();
    let started = Instant::now();
    let (target_name, roles, results) = match target {
        Some(path) => {
            let target = Target::load(&path).map_err(|e| anyhow!("invalid target file: {e}"))?;
            let name = target.name.clone();
            let role = (target.protocol, target.role.clone());
            let results = suite::run_external(target, &scenarios)
                .await
                .map_err(|e| anyhow!(e))?;
            if results.is_empty() {
                bail!("no scenario applies to the target's protocol, role and dialect");
            }
            (name, vec![role], results)
        }
        None => {
            let roles: BTreeSet<(Protocol, String)> = scenarios
                .iter()
                .map(|s| (s.protocol, s.role.clone()))
                .collect();
            let names: Vec<String> = roles.iter().map(|(_, r)| r.clone()).collect();
            let plan = suite::plan_builtin(&scenarios, &names);
            let results = suite::run_builtin(plan, &BTreeSet::new(), jobs)
                .await
                .map_err(|e| anyhow!(e))?;
            let shown: Vec<String> = roles
                .iter()
                .map(|(p, r)| format!("{} {r}", p.name()))
                .collect();
            (
                format!("built-in simulators ({})", shown.join(", ")),
                roles.into_iter().collect::<Vec<_>>(),
                results,
            )
        }
    };
    let mut ids: Vec<&str> = roles
        .iter()
        .flat_map(|(p, r): &(Protocol, String)| {
            requirements::of_protocol(p.requirement_prefix(r)).map(|q| q.id)
        })
        .collect();
    for r in results.iter().flat_map(|r| r.requirements.iter()) {
        if let Some(q) = requirements::find(r) {
            if !ids.contains(&q.id) {
                ids.push(q.id);
            }
        }
    }
    let report = RunReport::new(
        "crosscheck",
        &target_name,
        started_at,
        started.elapsed().as_millis() as u64,
        &ids,
        results,
    );
    let written = report::write(&report, report_dir, formats).map_err(|e| anyhow!(e))?;
    for r in report
        .scenarios
        .iter()
        .filter(|r| r.outcome != report::Outcome::Passed)
    {
        match r.failures.first() {
            Some(f) => eprintln!(
                "{} {}: [{}] {}: expected {}, got {}",
                r.outcome.name().to_uppercase(),
                r.id,
                f.requirement,
                f.step,
                f.expected,
                f.actual
            ),
            None => eprintln!(
                "{} {}: {}",
                r.outcome.name().to_uppercase(),
                r.id,
                r.reason.clone().unwrap_or_default()
            ),
        }
    }
    let s = &report.summary;
    println!(
        "{} scenarios: {} passed, {} failed, {} errored, {} skipped ({:.1} s); reports: {}",
        s.total,
        s.passed,
        s.failed,
        s.errored,
        s.skipped,
        report.duration_ms as f64 / 1000.0,
        written.join(", ")
    );
    Ok(Exit::Code(if report.all_passed() { 0 } else { 1 }))
}
