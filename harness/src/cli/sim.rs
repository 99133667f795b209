//! `crosscheck sim`: a reference simulator served until interrupted, with each
//! protocol's own settings and its fixed tokens in the help.

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{anyhow, bail, Context as _};
use clap::ArgMatches;

use super::{protocol_and_role, Exit};
use crate::profile::Profile;
use crate::protocols;

/// `crosscheck sim`'s arguments (each protocol's settings come from the matches).
#[derive(Debug, clap::Args)]
pub(super) struct SimArgs {
    /// Protocol.
    pub(super) protocol: String,
    /// Role to play.
    #[arg(long)]
    pub(super) role: String,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:18080")]
    pub(super) listen: SocketAddr,
    /// Faults to switch on (repeatable).
    #[arg(long)]
    pub(super) fault: Vec<String>,
    /// Legal variations to switch on (repeatable; `crosscheck variations` lists them).
    /// A variation that changes the deployment's shape (ids, what it offers, paths)
    /// needs a target file that says the same.
    #[arg(long)]
    pub(super) variation: Vec<String>,
    /// Serve HTTPS, with a certificate for the listen address from a CA generated
    /// at start and written to --ca-out (point the harness's tls.ca_file at it).
    #[arg(long)]
    pub(super) tls: bool,
    /// Where --tls writes its CA certificate (PEM).
    #[arg(long, default_value = "reports/sim-ca.pem", requires = "tls")]
    pub(super) ca_out: PathBuf,
    /// With --tls, speak only this TLS version (1.2 or 1.3), e.g. to see a
    /// tls.require_version of 1.3 fail.
    #[arg(long, requires = "tls")]
    pub(super) tls_only: Option<crate::tls::TlsVersion>,
    /// Also trust the CA certificates in this file when calling peers over HTTPS,
    /// read at each handshake (so it may be written later: e.g. the mock peers' CA
    /// that `run` writes to <report-dir>/mock-ca.pem).
    #[arg(long)]
    pub(super) peer_ca: Option<PathBuf>,
}

/// The end of `sim --help`: every credential fixed in a simulator's code, which no
/// setting changes, so a target file for a simulator must use the same values.
pub(super) fn tokens_help() -> String {
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

/// `crosscheck sim`: serves until Ctrl-C.
pub(super) async fn sim_command(args: SimArgs, matches: &ArgMatches) -> anyhow::Result<Exit> {
    let SimArgs {
        protocol,
        role,
        listen,
        fault,
        variation,
        tls,
        ca_out,
        tls_only,
        peer_ca,
    } = args;
    let p = protocol_and_role(&protocol, &role)?;
    let scope = crate::transport::sim_tls(tls.then_some(&*ca_out), tls_only, peer_ca)?;
    let settings = sim_settings(matches, p)?;
    let names: BTreeSet<String> = fault.iter().cloned().collect();
    let mut faults = p
        .faults_for(&role, &names)
        .map_err(|e| anyhow!("--fault: {e}"))?;
    for f in p.faults().iter().filter(|f| faults.contains(f.name)) {
        for v in f
            .shown_with
            .iter()
            .filter(|v| !variation.iter().any(|x| x == *v))
        {
            tell!(
                "note: the fault {} shows only with the variation {v}: add --variation {v}",
                f.name
            );
        }
    }
    let names: BTreeSet<String> = variation.iter().cloned().collect();
    faults.extend(
        p.variations_for(&role, &names)
            .map_err(|e| anyhow!("--variation: {e}"))?,
    );
    let running = crate::tls::scoped(scope, p.serve(&role, &faults, &settings, listen)).await?;
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
