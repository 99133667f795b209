//! The `crosscheck` command line. Exit codes: 0 all passed, 1 some scenario failed or
//! errored, 2 bad usage, configuration or scenario, or the harness could not run.
//! `anyhow` lives only here. `run.rs`: `run` and `merge` (filters, partitions, the
//! reports); `sim.rs`: `sim` and its help; `fuzz.rs`: `fuzz`; this file: the argument
//! model, the runtime each command gets, and the small commands.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{anyhow, bail, Context as _};
use clap::{Arg, ArgMatches, CommandFactory, FromArgMatches, Parser, Subcommand};

use crate::profile::Profile;
use crate::protocols;
use crate::report::console::Console;
use crate::report::coverage;
use crate::scenario::{load_paths, Scenario};

mod certify;
mod fuzz;
mod run;
mod sim;

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
    Run(run::RunArgs),
    /// Merge the reports of a partitioned run (`run --partition K/N`) into one, or
    /// the fuzz.json of a partitioned fuzz campaign (`fuzz --partition K/N`).
    Merge(run::MergeArgs),
    /// Serve a reference simulator until interrupted. Each protocol adds its own
    /// settings (listed below).
    Sim(sim::SimArgs),
    /// Fuzz what the IUT receives with seeded mutants of a valid input.
    Fuzz(fuzz::FuzzArgs),
    /// List the simulators' faults.
    Faults {
        /// Protocol (default: all).
        protocol: Option<String>,
    },
    /// List the simulators' legal variations (behaviour the specs allow).
    Variations {
        /// Protocol (default: all).
        protocol: Option<String>,
    },
    /// The full matrix: the suite against the clean simulators, every legal variation,
    /// every fault and every null implementation, in one pool.
    Selftest {
        /// Scenario files or folders (default: scenarios/).
        paths: Vec<PathBuf>,
        /// Runs at once (default 32 on virtual time, where more only cost memory; 128
        /// with --real-time, where most of a run is waiting, so many fit on few cores).
        #[arg(long)]
        jobs: Option<usize>,
        /// Where selftest.json and selftest.md go.
        #[arg(long, default_value = "reports/selftest")]
        report_dir: PathBuf,
        /// Run on real time instead of virtual time.
        #[arg(long)]
        real_time: bool,
    },
    /// List scenarios and requirement coverage.
    List {
        /// Scenario files or folders (default: scenarios/).
        paths: Vec<PathBuf>,
    },
    /// Print the requirement catalogue in full: each requirement's statement, source,
    /// how the suite checks it and the scenarios citing it. A protocol's own, then the
    /// cross-cutting ones (PROTOCOL `cross-cutting`: those alone).
    Requirements {
        /// Protocol (default: all).
        protocol: Option<String>,
        /// text, md or json.
        #[arg(long, default_value = "text", value_parser = ["text", "md", "json"])]
        format: String,
        /// Write every book's Markdown to DIR/<book>.md instead (docs/requirements).
        #[arg(long, value_name = "DIR")]
        docs: Option<PathBuf>,
        /// The suite whose scenarios are listed (default: scenarios/, left out when it
        /// is not there).
        #[arg(long)]
        scenarios: Option<PathBuf>,
    },
    /// List the certification profiles: rules, optional features, pinned suite.
    Profiles {
        /// Print the pins file for the suite in --scenarios instead
        /// (harness/src/certify/pins.txt).
        #[arg(long)]
        pins: bool,
        /// The scenarios folder (for --pins).
        #[arg(long, default_value = "scenarios")]
        scenarios: PathBuf,
    },
    /// Make an Ed25519 key pair for signing certification bundles.
    Keygen {
        /// The folder the two key files go to.
        #[arg(long)]
        out: PathBuf,
    },
    /// Run a certification profile's whole suite against --target on real time, with
    /// this build's self-test, and write a signed bundle.
    Certify(certify::CertifyArgs),
    /// Check a certification bundle offline: every hash, the signature, and the
    /// certificate's verdict recomputed from report.json. Exit 1 names the first file
    /// that does not hold.
    Verify {
        /// The bundle folder.
        bundle: PathBuf,
        /// The signer's public key (`crosscheck keygen`).
        #[arg(long)]
        public_key: PathBuf,
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

/// The command line, with each protocol's `sim` settings added as `--NAME VALUE`
/// (a setting two protocols share appears once, with both helps).
fn command() -> clap::Command {
    let mut options: BTreeMap<&'static str, Vec<&'static str>> = BTreeMap::new();
    for p in protocols::all() {
        for o in p.sim_options() {
            options.entry(o.name).or_default().push(o.help);
        }
    }
    Cli::command().mut_subcommand("sim", |mut sim| {
        sim = sim.after_help(sim::tokens_help());
        for (name, helps) in options {
            sim = sim.arg(
                Arg::new(name)
                    .long(name)
                    .value_name("VALUE")
                    .help(helps.join("; ")),
            );
        }
        sim
    })
}

/// Entry point: parses arguments, runs, maps errors to exit code 2.
pub fn main() -> ExitCode {
    let matches = command().get_matches();
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(c) => c,
        Err(e) => e.exit(),
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("CROSSCHECK_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
    let kind = cli.command.runtime_kind();
    let virtual_time = kind == RuntimeKind::Virtual;
    let runtime = match kind.build() {
        Ok(r) => r,
        Err(e) => {
            tell!("error: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    match runtime.block_on(dispatch(cli.command, &matches, virtual_time)) {
        Ok(Exit::Code(c)) => ExitCode::from(c),
        Err(e) => {
            tell!("error: {}", error_line(&e));
            ExitCode::from(2)
        }
    }
}

/// The error and its causes on one line, each cause once: an error whose message
/// already says its source (`{file}: invalid JSON: {source}`) does not repeat it.
fn error_line(error: &anyhow::Error) -> String {
    let mut line = error.to_string();
    for cause in error.chain().skip(1) {
        let cause = cause.to_string();
        if !line.contains(&cause) {
            line.push_str(": ");
            line.push_str(&cause);
        }
    }
    line
}

/// The async runtime a command runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RuntimeKind {
    /// Every party in this process (the built-in simulators, mock peers and null
    /// implementations): a paused single-thread runtime, on virtual time, which jumps
    /// to the next deadline whenever every party is idle, so waiting costs no wall time.
    Virtual,
    /// One client task talking to another process (`fuzz --target`): one thread on
    /// real time. The campaign drives every case from one task, so more worker threads
    /// only add cross-thread wake-ups between that task and the connections' drivers;
    /// against a simulator in another process one thread ran about a third more cases a
    /// second (README, Measured figures, "fuzz throughput").
    OneThread,
    /// Anything else that talks to another process: real time on every core.
    AllCores,
}

impl RuntimeKind {
    /// Builds the runtime this kind names.
    fn build(self) -> std::io::Result<tokio::runtime::Runtime> {
        match self {
            RuntimeKind::Virtual => tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .start_paused(true)
                .build(),
            RuntimeKind::OneThread => tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build(),
            RuntimeKind::AllCores => tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build(),
        }
    }
}

impl Command {
    /// The runtime the command runs on: virtual time for runs that keep every party
    /// in this process (unless `--real-time` says otherwise), one thread for fuzzing
    /// a target, every core for the rest.
    fn runtime_kind(&self) -> RuntimeKind {
        match self {
            Command::Run(args) if args.target.is_none() && !args.real_time => RuntimeKind::Virtual,
            Command::Selftest { real_time, .. } if !real_time => RuntimeKind::Virtual,
            // Answer fuzzing runs scenarios against built-in simulators, like `run`.
            Command::Fuzz(args) if args.answers && args.target.is_none() => RuntimeKind::Virtual,
            // Without a target the built-in simulator shares the process and wants
            // the other core; with --answers the mock peer serves the IUT.
            Command::Fuzz(args) if !args.answers && args.target.is_some() => RuntimeKind::OneThread,
            _ => RuntimeKind::AllCores,
        }
    }
}

/// Fails unless `dir` can be created and written, so a run does not end by losing its
/// reports.
fn check_writable(dir: &std::path::Path, flag: &str) -> anyhow::Result<()> {
    let probe = dir.join(".crosscheck-write-check");
    std::fs::create_dir_all(dir)
        .and_then(|()| std::fs::write(&probe, b""))
        .and_then(|()| std::fs::remove_file(&probe))
        .map_err(|e| anyhow!("{flag} {}: cannot write there: {e}", dir.display()))
}

/// Fails on `--jobs 0`.
fn check_jobs(jobs: usize) -> anyhow::Result<()> {
    if jobs == 0 {
        bail!("--jobs must be at least 1");
    }
    Ok(())
}

fn scenario_paths(paths: Vec<PathBuf>) -> Vec<PathBuf> {
    if paths.is_empty() {
        vec![PathBuf::from("scenarios")]
    } else {
        paths
    }
}

fn load(paths: Vec<PathBuf>) -> anyhow::Result<Vec<Arc<Scenario>>> {
    let scenarios = load_paths(&scenario_paths(paths), protocols::all())
        .map_err(|e| anyhow!("invalid scenarios:\n{e}"))?;
    if scenarios.is_empty() {
        bail!("no scenarios found");
    }
    Ok(scenarios.into_iter().map(Arc::new).collect())
}

async fn dispatch(
    command: Command,
    matches: &ArgMatches,
    virtual_time: bool,
) -> anyhow::Result<Exit> {
    match command {
        Command::Run(args) => run::run_command(args, virtual_time).await,
        Command::Merge(args) => run::merge_command(args),
        Command::Profiles { pins, scenarios } => certify::profiles_command(pins, scenarios),
        Command::Keygen { out } => certify::keygen_command(&out),
        Command::Certify(args) => certify::certify_command(args).await,
        Command::Verify { bundle, public_key } => certify::verify_command(&bundle, &public_key),
        Command::Sim(args) => sim::sim_command(args, matches).await,
        Command::Fuzz(args) => fuzz::fuzz_command(args).await,
        Command::Faults { protocol } => {
            show!("{}", crate::listing::faults(&chosen(protocol.as_deref())?));
            Ok(Exit::Code(0))
        }
        Command::Requirements {
            protocol,
            format,
            docs,
            scenarios,
        } => requirements_command(protocol.as_deref(), &format, docs, scenarios),
        Command::Variations { protocol } => {
            show!(
                "{}",
                crate::listing::variations(&chosen(protocol.as_deref())?)
            );
            Ok(Exit::Code(0))
        }
        Command::Selftest {
            paths,
            jobs,
            report_dir,
            ..
        } => {
            let scenarios = load(paths)?;
            let started = Instant::now();
            let console = Console::from_env();
            let jobs = jobs.unwrap_or(if virtual_time { 32 } else { 128 });
            check_jobs(jobs)?;
            check_writable(&report_dir, "--report-dir")?;
            let expected = crate::selftest::last_durations(&report_dir);
            let matrix = crate::selftest::run(&scenarios, jobs, &expected, &console).await?;
            console.finish();
            let seconds = started.elapsed().as_secs_f64();
            show!("{}", matrix.render());
            let written = crate::selftest::write(&matrix, seconds, &report_dir)?;
            let written: Vec<String> = written.iter().map(|p| p.display().to_string()).collect();
            say!(
                "self-test took {seconds:.1} s; matrix: {}",
                written.join(", ")
            );
            Ok(Exit::Code(if matrix.ok() { 0 } else { 1 }))
        }
        Command::List { paths } => {
            let scenarios = load(paths)?;
            for s in &scenarios {
                let variants: Vec<&str> = s.variants.iter().map(|v| v.unwrap_or("-")).collect();
                say!(
                    "{:<32} {:<5} {:<6} [{}] {} — {}",
                    s.id,
                    s.profile.name(),
                    s.role,
                    variants.join(","),
                    s.requirements.join(" "),
                    s.title
                );
            }
            say!("");
            let rows = coverage::of_catalogue(
                scenarios
                    .iter()
                    .map(|s| (s.id.as_str(), s.requirements.as_slice())),
            );
            show!("{}", coverage::render(&rows, scenarios.len()));
            Ok(Exit::Code(0))
        }
        Command::Check { paths } => {
            let scenarios = load(paths)?;
            let steps: usize = scenarios.iter().map(|s| s.steps.len()).sum();
            say!(
                "{} scenarios, {steps} top-level steps: all valid",
                scenarios.len()
            );
            Ok(Exit::Code(0))
        }
    }
}

/// Parses `--protocol`-style and `--role` arguments together.
fn protocol_and_role(protocol: &str, role: &str) -> anyhow::Result<&'static dyn Profile> {
    let p = protocols::find(protocol)
        .ok_or_else(|| anyhow!("unknown protocol `{protocol}` ({})", protocols::names()))?;
    if p.role(role).is_none() {
        bail!(
            "--role: `{role}` is not a role of {protocol} ({})",
            p.role_names().join(", ")
        );
    }
    Ok(p)
}

/// The protocol named, or all of them.
fn requirements_command(
    protocol: Option<&str>,
    format: &str,
    docs: Option<PathBuf>,
    suite: Option<PathBuf>,
) -> anyhow::Result<Exit> {
    use crate::requirement_book::{self as book, CROSS_CUTTING};
    let loaded = match suite {
        Some(path) => Some(load(vec![path])?),
        None if std::path::Path::new("scenarios").is_dir() => Some(load(Vec::new())?),
        None => None,
    };
    let citations: Option<Vec<book::Citation<'_>>> = loaded.as_ref().map(|all| {
        all.iter()
            .map(|s| (s.id.as_str(), s.requirements.as_slice()))
            .collect()
    });
    let profiles = match protocol {
        Some(CROSS_CUTTING) | None => {
            if protocol.is_some() {
                Vec::new()
            } else {
                protocols::all().to_vec()
            }
        }
        Some(p) => chosen(Some(p))?,
    };
    let books = book::books(&profiles, citations.as_deref())?;
    if let Some(dir) = docs {
        std::fs::create_dir_all(&dir).with_context(|| format!("{}", dir.display()))?;
        for b in &books {
            let path = dir.join(format!("{}.md", b.name));
            std::fs::write(&path, book::render_markdown(b))
                .with_context(|| format!("{}", path.display()))?;
            say!("wrote {}", path.display());
        }
        return Ok(Exit::Code(0));
    }
    match format {
        "json" => show!("{}", serde_json::to_string_pretty(&books)?),
        "md" => show!(
            "{}",
            books
                .iter()
                .map(book::render_markdown)
                .collect::<Vec<_>>()
                .join("\n")
        ),
        _ => show!("{}", book::render_text(&books)),
    }
    Ok(Exit::Code(0))
}

fn chosen(protocol: Option<&str>) -> anyhow::Result<Vec<&'static dyn Profile>> {
    let Some(p) = protocol else {
        return Ok(protocols::all().to_vec());
    };
    let known = protocols::names();
    Ok(vec![
        protocols::find(p).context(format!("unknown protocol `{p}` ({known})"))?
    ])
}

#[cfg(test)]
mod tests {
    use super::error_line;

    #[derive(Debug, thiserror::Error)]
    #[error("report.json: invalid JSON: {source}")]
    struct SaysItsSource {
        source: std::io::Error,
    }

    #[test]
    fn a_cause_already_in_the_message_is_said_once() {
        let e = anyhow::Error::new(SaysItsSource {
            source: std::io::Error::other("EOF at line 2 column 0"),
        });
        assert_eq!(
            error_line(&e),
            "report.json: invalid JSON: EOF at line 2 column 0"
        );
        // A cause the message does not say is still shown.
        let e = anyhow::Error::new(std::io::Error::other("refused")).context("cannot listen");
        assert_eq!(error_line(&e), "cannot listen: refused");
    }
}
