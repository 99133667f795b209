//! `crosscheck profiles`, `keygen`, `certify` and `verify`: certification profiles with
//! pinned suites, signing keys, the signed bundle and its offline check.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context as _};

use super::run::{execute, load_target, load_waivers, Output};
use super::{load, Exit};
use crate::certify::bundle::{self, CERTIFICATE, REPORT, SELFTEST};
use crate::certify::certificate::{self, Certificate, Harness, Rules};
use crate::certify::profiles::{self, CertProfile};
use crate::certify::{keys, redacted_target};
use crate::http::fingerprint::sha256_hex;
use crate::report::{self, Selection};

/// `crosscheck certify`'s arguments.
#[derive(Debug, clap::Args)]
pub(super) struct CertifyArgs {
    /// The certification profile, `name@version` or `name` (`crosscheck profiles`).
    #[arg(long)]
    profile: String,
    /// Target file naming the implementation under test.
    #[arg(long)]
    target: PathBuf,
    /// The private key that signs the bundle (`crosscheck keygen`).
    #[arg(long)]
    key: PathBuf,
    /// The vendor's capability statement (instead of the target's `capabilities:`).
    #[arg(long, value_name = "FILE")]
    capabilities: Option<PathBuf>,
    /// Waivers granted by the certifier.
    #[arg(long, value_name = "FILE")]
    waivers: Option<PathBuf>,
    /// The scenarios folder the profile was made for.
    #[arg(long, default_value = "scenarios")]
    scenarios: PathBuf,
    /// Where the bundle goes.
    #[arg(long, default_value = "reports/certification")]
    out: PathBuf,
}

/// `crosscheck profiles`: each profile with its pinned digest and rules; `--pins`
/// prints the pins file for the suite in `scenarios` instead.
pub(super) fn profiles_command(pins: bool, scenarios: PathBuf) -> anyhow::Result<Exit> {
    let all = profiles::all()?;
    if pins {
        let suite = load(vec![scenarios.clone()])?;
        let text = profiles::render_pins(&all, &suite, &scenarios, &|p| p.version.max(1));
        show!("{text}");
        return Ok(Exit::Code(0));
    }
    let suite = load(vec![scenarios]).ok();
    for p in all {
        let p = match &suite {
            Some(suite) => p.for_suite(suite),
            None => p,
        };
        let digest = report::digest::suite_digest_of_hashes(p.pinned.values());
        let features: Vec<&str> = p.features.iter().map(|f| f.name).collect();
        say!(
            "{:<20} {} {}{}: {} scenario files, suite {digest}",
            p.id(),
            p.protocol.name(),
            p.role,
            p.variant.map_or(String::new(), |v| format!(" ({v})")),
            p.pinned.len()
        );
        say!("    must pass: {}", p.must.join(" "));
        if !p.may_warn.is_empty() {
            say!("    may warn:  {}", p.may_warn.join(" "));
        }
        say!("    optional features: {}", features.join(", "));
    }
    Ok(Exit::Code(0))
}

/// `crosscheck keygen`.
pub(super) fn keygen_command(out: &Path) -> anyhow::Result<Exit> {
    let (private, public) = keys::generate(out)?;
    say!("private key (keep it secret): {}", private.display());
    say!(
        "public key (give it to whoever verifies): {}",
        public.display()
    );
    Ok(Exit::Code(0))
}

/// `crosscheck verify`: exit 0 when the bundle holds, 1 naming the first file that
/// does not.
pub(super) fn verify_command(dir: &Path, public_key: &Path) -> anyhow::Result<Exit> {
    let public = keys::load_public(public_key)?;
    match bundle::verify(dir, &public) {
        Ok(cert) => {
            say!(
                "bundle {} verified: {} against {} ({})",
                dir.display(),
                cert.verdict.name(),
                cert.rules.profile,
                cert.iut
            );
            Ok(Exit::Code(0))
        }
        Err(e) => {
            say!("bundle {} does NOT verify: {e}", dir.display());
            Ok(Exit::Code(1))
        }
    }
}

/// `crosscheck certify`: checks the suite against the profile's pins, runs all of it
/// against the target on real time, runs this build's self-test, and writes the
/// signed bundle. Exit 0 when certified (with or without waivers), 1 when not.
pub(super) async fn certify_command(args: CertifyArgs) -> anyhow::Result<Exit> {
    let profile = profiles::find(&args.profile)?.ok_or_else(|| {
        let names: Vec<String> = profiles::all()
            .unwrap_or_default()
            .iter()
            .map(CertProfile::id)
            .collect();
        anyhow!(
            "--profile: no profile `{}` (profiles: {})",
            args.profile,
            names.join(", ")
        )
    })?;
    let key = keys::load_private(&args.key)?;
    let suite = load(vec![args.scenarios.clone()])?;
    let whole_suite = report::digest::of_sources(suite.iter().map(|s| s.source.as_str()))?;
    let profile = profile.for_suite(&suite);
    let found = profiles::files_of(&profile, &suite, &args.scenarios);
    if let Some(why) = profiles::differs(&profile, &found) {
        bail!("certify refuses: {}: {why}", args.scenarios.display());
    }
    let target = load_target(&args.target, args.capabilities.as_deref())?;
    let (protocol, role, variant) = (
        target.profile.name(),
        target.role.clone(),
        target.variant().map(str::to_string),
    );
    if protocol != profile.protocol.name()
        || role != profile.role
        || variant.as_deref() != profile.variant
    {
        bail!(
            "{}: the target is {protocol} {role}{} but {} certifies {} {}{}",
            args.target.display(),
            variant
                .as_deref()
                .map_or(String::new(), |v| format!(" ({v})")),
            profile.id(),
            profile.protocol.name(),
            profile.role,
            profile.variant.map_or(String::new(), |v| format!(" ({v})")),
        );
    }
    let waivers = load_waivers(args.waivers.as_deref())?;
    let target_text = std::fs::read_to_string(&args.target)
        .with_context(|| format!("cannot read {}", args.target.display()))?;
    let redacted = redacted_target(
        &target_text,
        &args.target.display().to_string(),
        &target.secrets,
    )?;
    let mut scenarios: Vec<_> = suite
        .into_iter()
        .filter(|s| profiles::covers(&profile, s))
        .collect();
    scenarios.sort_by(|a, b| a.id.cmp(&b.id));
    let suite_digest = report::digest::of_sources(scenarios.iter().map(|s| s.source.as_str()))?;
    check_out(&args.out)?;
    let work = std::env::temp_dir().join(format!("crosscheck-certify-{}", std::process::id()));
    std::fs::create_dir_all(&work).with_context(|| format!("cannot create {}", work.display()))?;
    say!(
        "certify {}: the whole suite against {} on real time",
        profile.id(),
        target.name
    );
    let output = Output {
        dir: &work,
        suite_digest,
        selection: Selection::default(),
        partition: None,
        roles: BTreeSet::from([(profile.protocol.name(), profile.role.to_string())]),
    };
    let capabilities = target.capabilities.clone();
    let report = execute(
        scenarios,
        Some((args.target.clone(), target)),
        1,
        false,
        &output,
        false,
        waivers.as_ref(),
    )
    .await?;
    if report.interrupted {
        report::write(&report, &work, &[report::Format::Json])?;
        bail!(
            "interrupted: no bundle written (the partial report is in {})",
            work.display()
        );
    }
    say!(
        "{}",
        crate::report::console::Console::from_env().summary_line(&report, &[])
    );
    say!("self-test of this build ...");
    let binary = binary_sha256()?;
    let selftest_json = selftest(&args.scenarios, &binary, &whole_suite)?;
    let figures = bundle::selftest_figures(&selftest_json)
        .map_err(|e| anyhow!("the self-test's selftest.json: {e}"))?;
    let rules = Rules {
        profile: profile.id(),
        protocol: profile.protocol.name().to_string(),
        role: profile.role.to_string(),
        variant: profile.variant.map(str::to_string),
        must: profile.must.iter().map(|s| s.to_string()).collect(),
        may_warn: profile.may_warn.iter().map(|s| s.to_string()).collect(),
        suite_digest: rules_digest(&profile),
    };
    let (verdict, requirements, reasons) = certificate::judge(&rules, &report, &figures);
    let cert = Certificate {
        format: certificate::FORMAT.to_string(),
        verdict,
        reasons,
        rules,
        requirements,
        iut: report.target_name.clone(),
        capabilities,
        waivers: report.waivers.clone(),
        waiver_warnings: report.waiver_warnings.clone(),
        harness: Harness {
            version: env!("CARGO_PKG_VERSION").to_string(),
            binary_sha256: binary,
        },
        suite_digest: report.suite_digest.clone(),
        date: report.started_at.clone(),
        selftest: figures,
    };
    let mut files: Vec<(&str, Vec<u8>)> = vec![
        (REPORT, json(&report).into_bytes()),
        (CERTIFICATE, json(&cert).into_bytes()),
        ("certificate.md", cert.markdown().into_bytes()),
        ("certificate.html", cert.html().into_bytes()),
        ("target.json", json(&redacted).into_bytes()),
        (SELFTEST, selftest_json),
    ];
    if let Some(c) = &cert.capabilities {
        files.push(("capabilities.json", json(c).into_bytes()));
    }
    if !cert.waivers.is_empty() || !cert.waiver_warnings.is_empty() {
        files.push((
            "waivers.json",
            json(&(&cert.waivers, &cert.waiver_warnings)).into_bytes(),
        ));
    }
    let bundle_dir = &args.out;
    clear_old_bundle(bundle_dir)?;
    bundle::seal(bundle_dir, &files, &key)?;
    let _ = std::fs::remove_dir_all(&work);
    say!("{}: {}", profile.id(), cert.verdict.name());
    for r in &cert.reasons {
        say!("  - {r}");
    }
    say!(
        "bundle: {} (check it with `crosscheck verify {} --public-key KEY`)",
        bundle_dir.display(),
        bundle_dir.display()
    );
    Ok(Exit::Code(match cert.verdict {
        certificate::CertVerdict::NotCertified => 1,
        _ => 0,
    }))
}

/// The digest of the files a profile pins.
fn rules_digest(profile: &CertProfile) -> String {
    report::digest::suite_digest_of_hashes(profile.pinned.values())
}

/// Refuses an `--out` that holds anything but an earlier bundle, which is replaced.
fn check_out(out: &Path) -> anyhow::Result<()> {
    let Ok(entries) = std::fs::read_dir(out) else {
        return Ok(());
    };
    let names: Vec<String> = entries
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    if !names.is_empty() && !names.iter().any(|n| n == bundle::MANIFEST) {
        bail!(
            "--out {}: holds files and no bundle; give an empty or new folder",
            out.display()
        );
    }
    Ok(())
}

/// Removes the files of the bundle in `out` (its manifest's, the manifest and the
/// signature), so the new bundle holds nothing stale.
fn clear_old_bundle(out: &Path) -> anyhow::Result<()> {
    let Ok(text) = std::fs::read(out.join(bundle::MANIFEST)) else {
        return Ok(());
    };
    let listed: Vec<String> = serde_json::from_slice::<bundle::Manifest>(&text)
        .map(|m| m.files.into_keys().collect())
        .unwrap_or_default();
    for name in listed
        .iter()
        .map(String::as_str)
        .chain([bundle::MANIFEST, bundle::SIGNATURE])
        .filter(|n| !n.contains('/') && !n.contains('\\'))
    {
        let _ = std::fs::remove_file(out.join(name));
    }
    Ok(())
}

/// This binary's self-test on `scenarios`: its selftest.json. The matrix is kept in
/// the temporary folder under the binary's and the suite's digests, so certifying
/// again with the same build and suite reuses it.
fn selftest(scenarios: &Path, binary: &str, suite: &str) -> anyhow::Result<Vec<u8>> {
    let exe = std::env::current_exe().context("cannot find this binary for the self-test")?;
    let suite = suite.trim_start_matches("sha256:");
    let dir = std::env::temp_dir().join(format!(
        "crosscheck-selftest-{}-{}",
        &binary[..16.min(binary.len())],
        &suite[..16.min(suite.len())]
    ));
    if let Ok(json) = std::fs::read(dir.join(SELFTEST)) {
        say!(
            "(the self-test of this build and suite, from {})",
            dir.display()
        );
        return Ok(json);
    }
    // Written aside and moved into place whole, so a certify beside this one never
    // reads half a matrix.
    let fresh = dir.with_extension(std::process::id().to_string());
    let status = std::process::Command::new(exe)
        .arg("selftest")
        .arg(scenarios)
        .arg("--report-dir")
        .arg(&fresh)
        .stdout(std::process::Stdio::null())
        .status()
        .context("cannot start the self-test")?;
    let json = std::fs::read(fresh.join(SELFTEST))
        .with_context(|| format!("the self-test wrote no selftest.json (it exited {status})"))?;
    if std::fs::rename(&fresh, &dir).is_err() {
        let _ = std::fs::remove_dir_all(&fresh);
    }
    Ok(json)
}

/// SHA-256 of the running binary.
fn binary_sha256() -> anyhow::Result<String> {
    let exe = std::env::current_exe().context("cannot find this binary")?;
    let bytes = std::fs::read(&exe).with_context(|| format!("cannot read {}", exe.display()))?;
    Ok(sha256_hex(&bytes))
}

/// Pretty JSON, with a final newline.
fn json<T: serde::Serialize + ?Sized>(value: &T) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default() + "\n"
}
