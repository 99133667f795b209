//! The `crosscheck` command line. Exit codes: 0 all passed, 1 some scenario failed or
//! errored, 2 bad usage, configuration or scenario, or the harness could not run.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use std::collections::BTreeMap;

use anyhow::{anyhow, bail, Context as _};
use clap::{Arg, ArgMatches, CommandFactory, FromArgMatches, Parser, Subcommand};

use crate::profile::target::Target;
use crate::profile::{FuzzRequest, Profile};
use crate::protocols;
use crate::report::console::{Console, Observer as _};
use crate::report::{self, coverage, Format, Partition, RunReport, Selection};
use crate::scenario::{load_paths, Scenario};
use crate::suite;

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
        #[command(flatten)]
        report: ReportOptions,
        /// Run the built-in simulators on real time instead of virtual time (runs
        /// against --target always use real time).
        #[arg(long)]
        real_time: bool,
    },
    /// Merge the reports of a partitioned run (`run --partition K/N`) into one.
    Merge {
        /// Folders, each holding the report.json of one part.
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
        #[command(flatten)]
        report: ReportOptions,
    },
    /// Serve a reference simulator until interrupted. Each protocol adds its own
    /// settings (listed below).
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
        /// Legal variations to switch on (repeatable; `crosscheck variations` lists them).
        /// A variation that changes the deployment's shape (ids, what it offers, paths)
        /// needs a target file that says the same.
        #[arg(long)]
        variation: Vec<String>,
        /// Serve HTTPS, with a certificate for the listen address from a CA generated
        /// at start and written to --ca-out (point the harness's tls.ca_file at it).
        #[arg(long)]
        tls: bool,
        /// Where --tls writes its CA certificate (PEM).
        #[arg(long, default_value = "reports/sim-ca.pem", requires = "tls")]
        ca_out: PathBuf,
        /// With --tls, speak only this TLS version (1.2 or 1.3), e.g. to see a
        /// tls.require_version of 1.3 fail.
        #[arg(long, requires = "tls")]
        tls_only: Option<crate::tls::TlsVersion>,
        /// Also trust the CA certificates in this file when calling peers over HTTPS,
        /// read at each handshake (so it may be written later: e.g. the mock peers' CA
        /// that `run` writes to <report-dir>/mock-ca.pem).
        #[arg(long)]
        peer_ca: Option<PathBuf>,
    },
    /// Fuzz what the IUT receives with seeded mutants of a valid input.
    Fuzz {
        /// Protocol.
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
        /// An input to start from, when the harness cannot make one (e.g. a key the
        /// IUT's peer would confirm).
        #[arg(long)]
        key: Option<String>,
        /// Requests in flight at once (with --answers: cases run at once against the
        /// built-in simulator; against a target they run one at a time).
        #[arg(long, default_value_t = crate::fuzz::DEFAULT_CONCURRENCY)]
        concurrency: usize,
        /// Connections: keep-alive, fresh (one per case) or auto (fresh when reused
        /// connections answer late).
        #[arg(long, default_value = "auto")]
        connections: String,
        /// Fuzz the answers the harness's mock peer gives an IUT that calls it, not
        /// what the IUT receives from the harness as a client.
        #[arg(long)]
        answers: bool,
        /// Where fuzz.json, fuzz.md and regressions/ go.
        #[arg(long, default_value = "reports/fuzz")]
        report_dir: PathBuf,
    },
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
    /// Validate scenario files.
    Check {
        /// Scenario files or folders (default: scenarios/).
        paths: Vec<PathBuf>,
    },
}

/// Where and how `run` and `merge` write their reports.
#[derive(Debug, clap::Args)]
struct ReportOptions {
    /// Where reports go.
    #[arg(long, default_value = "reports/latest")]
    report_dir: PathBuf,
    /// SHOULD warnings fail the run (exit 1); a merge is strict also when a part was.
    #[arg(long)]
    strict: bool,
    /// Formats: json, junit, md, html (comma separated).
    #[arg(long, default_value = "json,junit,md,html", value_delimiter = ',')]
    format: Vec<String>,
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
        sim = sim.after_help(sim_tokens_help());
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

/// The end of `sim --help`: every credential fixed in a simulator's code, which no
/// setting changes, so a target file for a simulator must use the same values.
fn sim_tokens_help() -> String {
    let mut text = String::from(
        "Fixed credentials: each simulator sends and accepts these bearer tokens \
         (`Authorization: Bearer <token>`) and no setting changes them, so a target file \
         for a simulator must use the same values (the files in fixtures/targets/ default \
         to them):",
    );
    for p in protocols::all() {
        for t in p.sim_tokens() {
            text.push_str(&format!(
                "\n  {} {}: {}  {}",
                p.name(),
                t.role,
                t.token,
                t.purpose
            ));
        }
    }
    text
}

/// Settings of `sim` by flag name.
type SimSettings = BTreeMap<String, String>;

/// The protocol settings given to `sim`, checked against the protocol's own list.
fn sim_settings(matches: &ArgMatches, profile: &dyn Profile) -> anyhow::Result<SimSettings> {
    let mut settings = BTreeMap::new();
    let Some(sim) = matches.subcommand_matches("sim") else {
        return Ok(settings);
    };
    for p in protocols::all() {
        for o in p.sim_options() {
            let Some(value) = sim.get_one::<String>(o.name) else {
                continue;
            };
            if !profile.sim_options().iter().any(|x| x.name == o.name) {
                bail!("--{}: not a setting of {}", o.name, profile.name());
            }
            settings.insert(o.name.to_string(), value.clone());
        }
    }
    Ok(settings)
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
    let virtual_time = cli.command.on_virtual_time();
    let runtime = match runtime_for(virtual_time) {
        Ok(r) => r,
        Err(e) => {
            tell!("error: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    match runtime.block_on(dispatch(cli.command, &matches, virtual_time)) {
        Ok(Exit::Code(c)) => ExitCode::from(c),
        Err(e) => {
            tell!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

impl Command {
    /// Whether the command runs on virtual time: runs that keep every party in this
    /// process, unless `--real-time` says otherwise.
    fn on_virtual_time(&self) -> bool {
        match self {
            Command::Run {
                target, real_time, ..
            } => target.is_none() && !real_time,
            Command::Selftest { real_time, .. } => !real_time,
            // Answer fuzzing runs scenarios against built-in simulators, like `run`.
            Command::Fuzz {
                answers, target, ..
            } => *answers && target.is_none(),
            _ => false,
        }
    }
}

/// The runtime a command runs on. Runs that keep every party in this process (the
/// built-in simulators, mock peers and null implementations) get a paused
/// single-thread runtime: virtual time, which jumps to the next deadline whenever every
/// party is idle, so waiting costs no wall time. Anything that talks to another process
/// gets real time on every core.
fn runtime_for(virtual_time: bool) -> std::io::Result<tokio::runtime::Runtime> {
    if virtual_time {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .start_paused(true)
            .build()
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
    }
}

/// The first line (1-based) of the file at `path` that contains `needle`.
fn line_of(path: &std::path::Path, needle: &str) -> Option<usize> {
    let text = std::fs::read_to_string(path).ok()?;
    text.lines().position(|l| l.contains(needle)).map(|i| i + 1)
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
        Command::Run {
            paths,
            target,
            protocol,
            role,
            tag,
            jobs,
            partition,
            report,
            ..
        } => {
            check_jobs(jobs)?;
            let formats = report.formats()?;
            let (report_dir, strict) = (report.report_dir, report.strict);
            let mut scenarios = load(paths)?;
            let mut output = Output {
                dir: &report_dir,
                formats: &formats,
                suite_digest: report::digest::of_sources(
                    scenarios.iter().map(|s| s.source.as_str()),
                )?,
                selection: Selection {
                    protocol: protocol.clone(),
                    role: role.clone(),
                    tags: tag.clone(),
                },
                partition: None,
                roles: BTreeSet::new(),
            };
            if let Some(p) = &protocol {
                protocols::find(p)
                    .ok_or_else(|| anyhow!("--protocol: unknown `{p}` ({})", protocols::names()))?;
                scenarios.retain(|s| s.profile.name() == p);
            }
            if let Some(r) = &role {
                scenarios.retain(|s| &s.role == r);
            }
            if !tag.is_empty() {
                scenarios.retain(|s| tag.iter().any(|t| s.tags.contains(t)));
            }
            if let Some(path) = &target {
                // A target is one protocol, role and variant: parts split what applies
                // to it, so none is left without a scenario while others have many.
                let t = Target::load(path, protocols::all())
                    .map_err(|e| anyhow!("invalid target file: {e}"))?;
                scenarios.retain(|s| suite::applies(s, &t));
                if scenarios.is_empty() {
                    bail!("no scenario applies to the target's protocol, role and variant");
                }
            }
            if scenarios.is_empty() {
                bail!("no scenario matches the filters");
            }
            // Every part names the roles of the whole selection, so parts agree on the
            // target and the requirements they are judged against.
            output.roles = scenarios
                .iter()
                .map(|s| (s.profile.name(), s.role.clone()))
                .collect();
            if let Some(p) = &partition {
                let (k, n) = suite::partition(p).map_err(|e| anyhow!("--partition: {e}"))?;
                output.partition = Some(Partition { index: k, count: n });
                scenarios = scenarios
                    .into_iter()
                    .enumerate()
                    .filter(|(i, _)| i % n == k - 1)
                    .map(|(_, s)| s)
                    .collect();
                // A part may be empty (more parts than scenarios): it still writes its
                // report, so the parts merge.
            }
            run(scenarios, target, jobs, strict, &output, virtual_time).await
        }
        Command::Merge { dirs, report: out } => {
            let formats = out.formats()?;
            let report = report::merge::merge_dirs(&dirs, out.strict)?;
            finish(&report, &out.report_dir, &formats, &Console::from_env())
        }
        Command::Sim {
            protocol,
            role,
            listen,
            fault,
            variation,
            tls,
            ca_out,
            tls_only,
            peer_ca,
        } => {
            let p = protocol_and_role(&protocol, &role)?;
            let scope = crate::transport::sim_tls(tls.then_some(&*ca_out), tls_only, peer_ca)?;
            let settings = sim_settings(matches, p)?;
            let names: BTreeSet<String> = fault.iter().cloned().collect();
            let mut faults = p
                .faults_for(&role, &names)
                .map_err(|e| anyhow!("--fault: {e}"))?;
            let names: BTreeSet<String> = variation.iter().cloned().collect();
            faults.extend(
                p.variations_for(&role, &names)
                    .map_err(|e| anyhow!("--variation: {e}"))?,
            );
            let running =
                crate::tls::scoped(scope, p.serve(&role, &faults, &settings, listen)).await?;
            let https = (format!("http://{listen}"), format!("https://{listen}"));
            match tls {
                true => say!("{}", running.banner.replace(&https.0, &https.1)),
                false => say!("{}", running.banner),
            }
            tokio::signal::ctrl_c()
                .await
                .context("waiting for Ctrl-C")?;
            drop(running);
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
            concurrency,
            connections,
            answers,
            report_dir,
        } => {
            let p = protocol_and_role(&protocol, &role)?;
            let connections = crate::fuzz::Policy::parse(&connections).ok_or_else(|| {
                anyhow!(
                    "--connections must be one of {}",
                    crate::fuzz::Policy::NAMES.join(", ")
                )
            })?;
            if concurrency == 0 {
                bail!("--concurrency must be at least 1");
            }
            let target = match target {
                Some(path) => {
                    if !fault.is_empty() {
                        bail!("--fault applies to the built-in simulator, not to --target");
                    }
                    let target = Target::load(&path, protocols::all())
                        .map_err(|e| anyhow!("invalid target file: {e}"))?;
                    if target.profile.name() != p.name() || target.role != role {
                        bail!(
                            "the target is {} {}, not {protocol} {role}",
                            target.profile.name(),
                            target.role
                        );
                    }
                    Some(target)
                }
                None => None,
            };
            let names: BTreeSet<String> = fault.iter().cloned().collect();
            let faults = p
                .faults_for(&role, &names)
                .map_err(|e| anyhow!("--fault: {e}"))?;
            let request = FuzzRequest {
                role: &role,
                target: target.as_ref(),
                faults: &faults,
                start_from: key,
            };
            if answers {
                let run = crate::answer_fuzz::fuzz_answers(
                    p,
                    &request,
                    (cases, seed),
                    concurrency,
                    &report_dir,
                )
                .await?;
                let secrets = target
                    .as_ref()
                    .map(|t| t.secrets.clone())
                    .unwrap_or_default();
                let written = crate::fuzz::files::write_report(&run.report, secrets, &report_dir)?;
                show!("{}", run.report.render());
                for f in &run.unconfirmed {
                    say!(
                        "unconfirmed (failed once, passed when run again): case {} ({}: {}): {}",
                        f.case.unwrap_or_default(),
                        f.class,
                        f.label.escape_debug(),
                        f.problem.escape_debug()
                    );
                }
                let written: Vec<String> =
                    written.iter().map(|p| p.display().to_string()).collect();
                say!("report: {}", written.join(", "));
                return Ok(Exit::Code(if run.report.findings == 0 { 0 } else { 1 }));
            }
            let Some(preparing) = p.fuzz(request) else {
                bail!("{protocol} has no fuzz strategy yet");
            };
            let campaign = preparing.await?;
            let options = crate::fuzz::Options {
                cases,
                seed,
                concurrency,
                connections,
                shrink: true,
            };
            let mut report = crate::fuzz::run(campaign.as_ref(), options).await?;
            crate::fuzz::files::write_regressions(&mut report, campaign.as_ref(), &report_dir)?;
            let written =
                crate::fuzz::files::write_report(&report, campaign.secrets(), &report_dir)?;
            show!("{}", report.render());
            let written: Vec<String> = written.iter().map(|p| p.display().to_string()).collect();
            say!("report: {}", written.join(", "));
            Ok(Exit::Code(if report.findings == 0 { 0 } else { 1 }))
        }
        Command::Faults { protocol } => {
            show!("{}", crate::listing::faults(&chosen(protocol.as_deref())?));
            Ok(Exit::Code(0))
        }
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
fn chosen(protocol: Option<&str>) -> anyhow::Result<Vec<&'static dyn Profile>> {
    let Some(p) = protocol else {
        return Ok(protocols::all().to_vec());
    };
    let known = protocols::names();
    Ok(vec![
        protocols::find(p).context(format!("unknown protocol `{p}` ({known})"))?
    ])
}

/// Where and how `run` writes its reports.
struct Output<'a> {
    dir: &'a std::path::Path,
    formats: &'a [Format],
    /// The digest of every scenario file loaded, before filters and partitions.
    suite_digest: String,
    /// The filters that chose the runs.
    selection: Selection,
    /// Which part this is, with --partition.
    partition: Option<Partition>,
    /// The (protocol, IUT role) pairs of the filtered scenarios, before --partition.
    roles: BTreeSet<(&'static str, String)>,
}

impl ReportOptions {
    /// The formats of `--format`, once `--report-dir` is known to be writable.
    fn formats(&self) -> anyhow::Result<Vec<Format>> {
        check_writable(&self.report_dir, "--report-dir")?;
        self.format
            .iter()
            .map(|f| {
                Format::from_name(f).ok_or_else(|| {
                    anyhow!("--format: unknown format `{f}` (json, junit, md, html)")
                })
            })
            .collect()
    }
}

/// Writes `report` in every format, prints the requirements and summary lines, and
/// gives the exit code: 0 when it passed, 1 otherwise.
fn finish(
    report: &RunReport,
    dir: &std::path::Path,
    formats: &[Format],
    console: &Console,
) -> anyhow::Result<Exit> {
    let written = report::write(report, dir, formats)?;
    say!("{}", console.requirements_line(report));
    say!("{}", console.summary_line(report, &written));
    Ok(Exit::Code(if report.all_passed() { 0 } else { 1 }))
}

async fn run(
    scenarios: Vec<Arc<Scenario>>,
    target: Option<PathBuf>,
    jobs: usize,
    strict: bool,
    output: &Output<'_>,
    virtual_time: bool,
) -> anyhow::Result<Exit> {
    let (report_dir, formats) = (output.dir, output.formats);
    let started_at = jiff::Timestamp::now().to_string();
    let started = Instant::now();
    let console = Console::from_env();
    let (target, target_name, roles, results) = match target {
        Some(path) => {
            let target = Target::load(&path, protocols::all())
                .map_err(|e| anyhow!("invalid target file: {e}"))?;
            let name = target.name.clone();
            let role = (target.profile.name(), target.role.clone());
            let listens = target.mock_peers.clone();
            let results = match suite::run_external(target, &scenarios, &console, report_dir).await
            {
                Err(e @ suite::SuiteError::Counterpart { peer, .. }) => {
                    let line = listens
                        .get(peer)
                        .and_then(|addr| line_of(&path, &addr.to_string()))
                        .map_or(String::new(), |l| format!(":{l}"));
                    bail!("{}{line}: {e}", path.display());
                }
                other => other?,
            };
            (name.clone(), name, vec![role], results)
        }
        None => {
            let roles = output.roles.clone();
            let names: Vec<String> = roles.iter().map(|(_, r)| r.clone()).collect();
            let plan = suite::plan_builtin(&scenarios, &names);
            console.planned(plan.len());
            let expected = report::last_durations(report_dir);
            let results =
                suite::run_builtin(plan, &BTreeSet::new(), None, jobs, &expected, &console).await?;
            let shown: Vec<String> = roles.iter().map(|(p, r)| format!("{p} {r}")).collect();
            (
                format!("built-in simulators ({})", shown.join(", ")),
                "built-in simulators".to_string(),
                roles.into_iter().collect::<Vec<_>>(),
                results,
            )
        }
    };
    console.finish();
    let prefixes: Vec<&str> = roles
        .iter()
        .filter_map(|(p, r)| protocols::find(p)?.role(r))
        .map(|spec| spec.requirement_prefix)
        .collect();
    let ids = coverage::requirement_ids(&prefixes, &results);
    let report = RunReport::new(
        "crosscheck",
        &target,
        started_at,
        started.elapsed().as_millis() as u64,
        &ids,
        results,
    )
    .with_suite_digest(output.suite_digest.clone())
    .with_target_name(&target_name)
    .with_strict(strict)
    .with_virtual_time(virtual_time)
    .with_selection(output.selection.clone(), output.partition);
    finish(&report, report_dir, formats, &console)
}
