//! `crosscheck run` and `crosscheck merge`: filters and partitions, the run itself,
//! and the reports both write.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{anyhow, bail};

use super::{check_jobs, check_writable, load, Exit};
use crate::profile::capabilities::Capabilities;
use crate::profile::target::Target;
use crate::protocols;
use crate::report::console::{Console, Observer as _};
use crate::report::{self, coverage, Format, Partition, RunReport, Selection};
use crate::scenario::Scenario;
use crate::suite;
use crate::waivers::Waivers;

/// `crosscheck run`'s arguments.
#[derive(Debug, clap::Args)]
pub(super) struct RunArgs {
    /// Scenario files or folders (default: scenarios/).
    pub(super) paths: Vec<PathBuf>,
    /// Target file naming the implementation under test.
    #[arg(long)]
    pub(super) target: Option<PathBuf>,
    /// Only this protocol.
    #[arg(long)]
    pub(super) protocol: Option<String>,
    /// Only this IUT role.
    #[arg(long)]
    pub(super) role: Option<String>,
    /// Only scenarios with this tag (repeatable).
    #[arg(long)]
    pub(super) tag: Vec<String>,
    /// Scenarios run at once against the built-in simulators.
    #[arg(long, default_value_t = 8)]
    pub(super) jobs: usize,
    /// Run only part K of N of the scenarios (e.g. 2/4).
    #[arg(long)]
    pub(super) partition: Option<String>,
    #[command(flatten)]
    pub(super) report: ReportOptions,
    /// Run the built-in simulators on real time instead of virtual time (runs
    /// against --target always use real time).
    #[arg(long)]
    pub(super) real_time: bool,
    /// The vendor's capability statement (instead of the target's `capabilities:`):
    /// scenarios needing an unclaimed feature are `not applicable`. Needs --target.
    #[arg(long, value_name = "FILE")]
    pub(super) capabilities: Option<PathBuf>,
    /// Waivers: failures they cover are `waived`, never `passed`.
    #[arg(long, value_name = "FILE")]
    pub(super) waivers: Option<PathBuf>,
}

/// `crosscheck merge`'s arguments.
#[derive(Debug, clap::Args)]
pub(super) struct MergeArgs {
    /// Folders, each holding the report.json of one part (or, for a fuzz merge,
    /// fuzz.json and no report.json).
    #[arg(required = true)]
    pub(super) dirs: Vec<PathBuf>,
    #[command(flatten)]
    pub(super) report: ReportOptions,
}

/// Where and how `run` and `merge` write their reports.
#[derive(Debug, clap::Args)]
pub(super) struct ReportOptions {
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

/// `crosscheck run`: loads, filters and partitions the scenarios, runs them and writes
/// the reports.
pub(super) async fn run_command(args: RunArgs, virtual_time: bool) -> anyhow::Result<Exit> {
    let RunArgs {
        paths,
        target,
        protocol,
        role,
        tag,
        jobs,
        partition,
        report,
        capabilities,
        waivers,
        ..
    } = args;
    let waivers = load_waivers(waivers.as_deref())?;
    check_jobs(jobs)?;
    let formats = report.formats()?;
    let (report_dir, strict) = (report.report_dir, report.strict);
    let mut scenarios = load(paths)?;
    let mut output = Output {
        dir: &report_dir,
        suite_digest: report::digest::of_sources(scenarios.iter().map(|s| s.source.as_str()))?,
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
    // Loaded once, before the partition: a target is one protocol, role and variant,
    // so parts split what applies to it and none is left without a scenario while
    // others have many.
    let target = match target {
        Some(path) => {
            let loaded = load_target(&path, capabilities.as_deref())?;
            scenarios.retain(|s| suite::applies(s, &loaded));
            if scenarios.is_empty() {
                bail!("no scenario applies to the target's protocol, role and variant");
            }
            Some((path, loaded))
        }
        None if capabilities.is_some() => {
            bail!("--capabilities: a capability statement needs --target")
        }
        None => None,
    };
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
    let report = execute(
        scenarios,
        target,
        jobs,
        strict,
        &output,
        virtual_time,
        waivers.as_ref(),
    )
    .await?;
    let exit = finish(&report, &report_dir, &formats, &Console::from_env())?;
    Ok(match crate::interrupt::requested() {
        Some(signal) => Exit::Code(u8::try_from(crate::interrupt::exit_code(signal)).unwrap_or(1)),
        None => exit,
    })
}

/// A target file, with the capability statement of `capabilities` when given.
pub(super) fn load_target(
    path: &std::path::Path,
    capabilities: Option<&std::path::Path>,
) -> anyhow::Result<Target> {
    let mut target =
        Target::load(path, protocols::all()).map_err(|e| anyhow!("invalid target file: {e}"))?;
    if let Some(file) = capabilities {
        let claim = Capabilities::load(file, target.profile, &target.role, target.variant())
            .map_err(|e| anyhow!("invalid capability statement: {e}"))?;
        target.capabilities = Some(claim);
    }
    Ok(target)
}

/// The waivers of `--waivers`, if given.
pub(super) fn load_waivers(path: Option<&std::path::Path>) -> anyhow::Result<Option<Waivers>> {
    path.map(|p| Waivers::load(p).map_err(|e| anyhow!("invalid waivers file: {e}")))
        .transpose()
}

/// `crosscheck merge`: one report from the parts of a partitioned run, or (when the
/// first folder holds fuzz.json and no report.json) of a partitioned fuzz campaign.
pub(super) fn merge_command(args: MergeArgs) -> anyhow::Result<Exit> {
    let MergeArgs { dirs, report: out } = args;
    let formats = out.formats()?;
    if dirs
        .first()
        .is_some_and(|d| crate::fuzz::merge::is_fuzz_part(d))
    {
        return super::fuzz::fuzz_merge_command(&dirs, &out.report_dir);
    }
    let report = report::merge::merge_dirs(&dirs, out.strict)?;
    finish(&report, &out.report_dir, &formats, &Console::from_env())
}

/// The first line (1-based) of the file at `path` that contains `needle`.
fn line_of(path: &std::path::Path, needle: &str) -> Option<usize> {
    let text = std::fs::read_to_string(path).ok()?;
    text.lines().position(|l| l.contains(needle)).map(|i| i + 1)
}

/// Where and how `run` writes its reports.
pub(super) struct Output<'a> {
    /// The report folder (a mock peer's CA goes there too).
    pub(super) dir: &'a std::path::Path,
    /// The digest of every scenario file loaded, before filters and partitions.
    pub(super) suite_digest: String,
    /// The filters that chose the runs.
    pub(super) selection: Selection,
    /// Which part this is, with --partition.
    pub(super) partition: Option<Partition>,
    /// The (protocol, IUT role) pairs of the filtered scenarios, before --partition.
    pub(super) roles: BTreeSet<(&'static str, String)>,
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

/// Runs `scenarios` (against `target`, or the built-in simulators) and gives the
/// report, with `waivers` applied and any interruption recorded.
pub(super) async fn execute(
    scenarios: Vec<Arc<Scenario>>,
    target: Option<(PathBuf, Target)>,
    jobs: usize,
    strict: bool,
    output: &Output<'_>,
    virtual_time: bool,
    waivers: Option<&Waivers>,
) -> anyhow::Result<RunReport> {
    let report_dir = output.dir;
    let capabilities = target.as_ref().and_then(|(_, t)| t.capabilities.clone());
    let started_at = jiff::Timestamp::now().to_string();
    let started = Instant::now();
    let console = Console::from_env();
    crate::interrupt::listen();
    let planned: Vec<String>;
    let (target, target_name, roles, mut results) = match target {
        Some((path, target)) => {
            let name = target.name.clone();
            let role = (target.profile.name(), target.role.clone());
            let listens = target.mock_peers.clone();
            planned = scenarios.iter().map(|s| s.id.clone()).collect();
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
            planned = plan.iter().map(|j| j.id.clone()).collect();
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
    let (used, warnings) = match waivers {
        Some(w) => {
            let known: Vec<String> = ids.iter().map(|i| i.to_string()).collect();
            w.apply(&mut results, &known, crate::waivers::today())
        }
        None => (Vec::new(), Vec::new()),
    };
    for w in &warnings {
        tell!("warning: {w}");
    }
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
    .with_selection(output.selection.clone(), output.partition)
    .with_claims(used, warnings, capabilities);
    let report = match crate::interrupt::requested() {
        Some(_) => {
            let ran: BTreeSet<&str> = report.scenarios.iter().map(|r| r.id.as_str()).collect();
            let not_started = planned
                .iter()
                .filter(|id| !ran.contains(id.as_str()))
                .cloned()
                .collect();
            report.with_interruption(not_started)
        }
        None => report,
    };
    Ok(report)
}
