//! `crosscheck fuzz`: a protocol's campaign on the fuzz engine, or (`--answers`) the
//! answers of the harness's mock peer, with the report and regression files.

use std::collections::BTreeSet;
use std::path::PathBuf;

use anyhow::{anyhow, bail};

use super::{protocol_and_role, Exit};
use crate::fuzz::{Identity, Plan};
use crate::profile::target::Target;
use crate::profile::FuzzRequest;
use crate::protocols;
use crate::report::Partition;

/// `crosscheck fuzz`'s arguments.
#[derive(Debug, clap::Args)]
pub(super) struct FuzzArgs {
    /// Protocol.
    pub(super) protocol: String,
    /// IUT role.
    #[arg(long)]
    pub(super) role: String,
    /// Target file (default: the built-in simulator).
    #[arg(long)]
    pub(super) target: Option<PathBuf>,
    /// Number of mutants (of the whole campaign, with --partition).
    #[arg(long, default_value_t = 300)]
    pub(super) cases: usize,
    /// Stop drawing new cases after this many seconds; the cases in flight finish,
    /// then the usual check and shrinking, and the report says how many ran.
    #[arg(long, value_name = "S")]
    pub(super) max_seconds: Option<u64>,
    /// Run only part K of N of the cases (the cases i with i % N = K - 1); the parts
    /// of one seed and --cases merge with `crosscheck merge` into the whole campaign.
    #[arg(long, value_name = "K/N")]
    pub(super) partition: Option<String>,
    /// Seed (the same seed replays the same cases).
    #[arg(long, default_value_t = 1)]
    pub(super) seed: u64,
    /// Faults of the built-in simulator (repeatable).
    #[arg(long)]
    pub(super) fault: Vec<String>,
    /// An input to start from, when the harness cannot make one (e.g. a key the
    /// IUT's peer would confirm).
    #[arg(long)]
    pub(super) key: Option<String>,
    /// Which part of what the IUT receives, for a protocol that has several (each
    /// protocol names its own; without it, the protocol's default one).
    #[arg(long)]
    pub(super) surface: Option<String>,
    /// Requests in flight at once (with --answers: cases run at once against the
    /// built-in simulator; against a target they run one at a time).
    #[arg(long, default_value_t = crate::fuzz::DEFAULT_CONCURRENCY)]
    pub(super) concurrency: usize,
    /// Connections: keep-alive, fresh (one per case) or auto (fresh when reused
    /// connections answer late).
    #[arg(long, default_value = "auto")]
    pub(super) connections: String,
    /// Fuzz the answers the harness's mock peer gives an IUT that calls it, not
    /// what the IUT receives from the harness as a client.
    #[arg(long)]
    pub(super) answers: bool,
    /// Where fuzz.json, fuzz.md and regressions/ go.
    #[arg(long, default_value = "reports/fuzz")]
    pub(super) report_dir: PathBuf,
}

/// `crosscheck fuzz`.
pub(super) async fn fuzz_command(args: FuzzArgs) -> anyhow::Result<Exit> {
    let FuzzArgs {
        protocol,
        role,
        target,
        cases,
        max_seconds,
        partition,
        seed,
        fault,
        key,
        surface,
        concurrency,
        connections,
        answers,
        report_dir,
    } = args;
    let p = protocol_and_role(&protocol, &role)?;
    if cases == 0 {
        bail!("--cases must be at least 1");
    }
    if max_seconds == Some(0) {
        bail!("--max-seconds must be at least 1");
    }
    let part = match &partition {
        Some(_) if answers => bail!(
            "--partition splits what the IUT receives; --answers campaigns are not partitioned"
        ),
        Some(text) => {
            let (index, count) =
                crate::suite::partition(text).map_err(|e| anyhow!("--partition: {e}"))?;
            Some(Partition { index, count })
        }
        None => None,
    };
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
    let identity = Identity {
        harness_version: env!("CARGO_PKG_VERSION").to_string(),
        protocol: p.name().to_string(),
        role: role.clone(),
        target: target
            .as_ref()
            .map_or_else(|| "built-in simulator".to_string(), |t| t.name.clone()),
        faults: faults.iter().map(|f| f.to_string()).collect(),
        connections: connections.name().to_string(),
    };
    let request = FuzzRequest {
        role: &role,
        target: target.as_ref(),
        faults: &faults,
        start_from: key,
        surface: surface.as_deref(),
    };
    if answers {
        let mut run = crate::answer_fuzz::fuzz_answers(
            p,
            &request,
            (cases, seed, max_seconds),
            concurrency,
            &report_dir,
        )
        .await?;
        run.report.campaign = Identity {
            connections: run.report.connections.clone(),
            ..identity
        };
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
        let written: Vec<String> = written.iter().map(|p| p.display().to_string()).collect();
        say!("report: {}", written.join(", "));
        return Ok(Exit::Code(if run.report.findings == 0 { 0 } else { 1 }));
    }
    let Some(preparing) = p.fuzz(request) else {
        bail!("{protocol} has no fuzz strategy yet");
    };
    let campaign = preparing.await?;
    let options = crate::fuzz::Options {
        plan: Plan::new(cases, part),
        seed,
        max_seconds,
        identity,
        concurrency,
        connections,
        shrink: true,
    };
    let mut report = crate::fuzz::run(campaign.as_ref(), options).await?;
    crate::fuzz::files::write_regressions(&mut report, campaign.as_ref(), &report_dir)?;
    let written = crate::fuzz::files::write_report(&report, campaign.secrets(), &report_dir)?;
    show!("{}", report.render());
    let written: Vec<String> = written.iter().map(|p| p.display().to_string()).collect();
    say!("report: {}", written.join(", "));
    Ok(Exit::Code(if report.findings == 0 { 0 } else { 1 }))
}

/// `crosscheck merge` of folders holding fuzz.json: one fuzz report (fuzz.json, fuzz.md
/// and the kept findings' regressions/ in `report_dir`) from the parts of one
/// partitioned campaign; exit 1 when it has findings.
pub(super) fn fuzz_merge_command(
    dirs: &[PathBuf],
    report_dir: &std::path::Path,
) -> anyhow::Result<Exit> {
    let mut merged = crate::fuzz::merge::merge_dirs(dirs)?;
    crate::fuzz::merge::copy_regressions(&mut merged, report_dir)?;
    let report = &merged.report;
    let written = crate::fuzz::files::write_report(report, Vec::new(), report_dir)?;
    show!("{}", report.render());
    let written: Vec<String> = written.iter().map(|p| p.display().to_string()).collect();
    say!(
        "merged {} parts; report: {}",
        dirs.len(),
        written.join(", ")
    );
    Ok(Exit::Code(if report.findings == 0 { 0 } else { 1 }))
}
