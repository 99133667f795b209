//! `crosscheck fuzz`: a protocol's campaign on the fuzz engine, or (`--answers`) the
//! answers of the harness's mock peer, with the report and regression files.

use std::collections::BTreeSet;
use std::path::PathBuf;

use anyhow::{anyhow, bail};

use super::{protocol_and_role, Exit};
use crate::profile::target::Target;
use crate::profile::FuzzRequest;
use crate::protocols;

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
    /// Number of mutants.
    #[arg(long, default_value_t = 300)]
    pub(super) cases: usize,
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
        seed,
        fault,
        key,
        concurrency,
        connections,
        answers,
        report_dir,
    } = args;
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
        let run =
            crate::answer_fuzz::fuzz_answers(p, &request, (cases, seed), concurrency, &report_dir)
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
        let written: Vec<String> = written.iter().map(|p| p.display().to_string()).collect();
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
    let written = crate::fuzz::files::write_report(&report, campaign.secrets(), &report_dir)?;
    show!("{}", report.render());
    let written: Vec<String> = written.iter().map(|p| p.display().to_string()).collect();
    say!("report: {}", written.join(", "));
    Ok(Exit::Code(if report.findings == 0 { 0 } else { 1 }))
}
