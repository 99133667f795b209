//! The bundle on disk: its files, a manifest of their SHA-256s, and the manifest's
//! Ed25519 signature; and the offline check of all three plus the certificate's
//! consistency with report.json.
//!
//! `manifest.sig` is two lines: `sha256:<hex of manifest.json>` and
//! `ed25519:<Base64 signature of the first line>`, so a changed manifest and a changed
//! signature are told apart.

use std::collections::BTreeMap;
use std::path::Path;

use base64::Engine as _;
use ring::signature::Ed25519KeyPair;
use serde::{Deserialize, Serialize};

use super::certificate::{judge, Certificate, SelftestFigures};
use super::keys;
use crate::http::fingerprint::sha256_hex;
use crate::report::RunReport;

/// The manifest's file name.
pub const MANIFEST: &str = "manifest.json";
/// The signature's file name.
pub const SIGNATURE: &str = "manifest.sig";
/// The certificate's file name.
pub const CERTIFICATE: &str = "certificate.json";
/// The report's file name.
pub const REPORT: &str = "report.json";
/// The self-test matrix's file name.
pub const SELFTEST: &str = "selftest.json";

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// manifest.json.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// `crosscheck-bundle/1`.
    pub format: String,
    /// The signer's public key (Base64), for people: `verify` uses the one it is given.
    pub public_key: String,
    /// File name → SHA-256 of its bytes.
    pub files: BTreeMap<String, String>,
}

/// A bundle file that could not be written.
#[derive(Debug, thiserror::Error)]
#[error("cannot write {path}: {source}")]
pub struct SealError {
    /// The file.
    pub path: String,
    /// Why.
    pub source: std::io::Error,
}

/// Writes `files` into `dir`, then the manifest of their hashes and its signature.
pub fn seal(dir: &Path, files: &[(&str, Vec<u8>)], key: &Ed25519KeyPair) -> Result<(), SealError> {
    let write = |name: &str, bytes: &[u8]| {
        let path = dir.join(name);
        std::fs::write(&path, bytes).map_err(|source| SealError {
            path: path.display().to_string(),
            source,
        })
    };
    std::fs::create_dir_all(dir).map_err(|source| SealError {
        path: dir.display().to_string(),
        source,
    })?;
    let mut hashes = BTreeMap::new();
    for (name, bytes) in files {
        write(name, bytes)?;
        hashes.insert(name.to_string(), sha256_hex(bytes));
    }
    let manifest = Manifest {
        format: "crosscheck-bundle/1".into(),
        public_key: keys::public_base64(key),
        files: hashes,
    };
    let text = serde_json::to_string_pretty(&manifest).unwrap_or_default() + "\n";
    write(MANIFEST, text.as_bytes())?;
    let digest_line = format!("sha256:{}", sha256_hex(text.as_bytes()));
    let signature = key.sign(digest_line.as_bytes());
    let sig = format!(
        "{digest_line}\ned25519:{}\n",
        B64.encode(signature.as_ref())
    );
    write(SIGNATURE, sig.as_bytes())
}

/// The first bundle file that does not hold, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}: {why}")]
pub struct VerifyError {
    /// The file.
    pub file: String,
    /// What does not hold.
    pub why: String,
}

fn bad(file: &str, why: impl Into<String>) -> VerifyError {
    VerifyError {
        file: file.to_string(),
        why: why.into(),
    }
}

/// Checks a bundle offline with `public` (32 bytes): the signature, the manifest,
/// every file's hash, that no file is unlisted, and that the certificate follows from
/// report.json. Gives the certificate.
pub fn verify(dir: &Path, public: &[u8]) -> Result<Certificate, VerifyError> {
    let read = |name: &str| {
        std::fs::read(dir.join(name)).map_err(|e| bad(name, format!("cannot read: {e}")))
    };
    let sig = read(SIGNATURE)?;
    let sig = String::from_utf8(sig).map_err(|_| bad(SIGNATURE, "not UTF-8"))?;
    let (digest_line, signature) = parse_signature(&sig).ok_or_else(|| {
        bad(
            SIGNATURE,
            "not `sha256:<hex>` and `ed25519:<base64>` on two lines",
        )
    })?;
    if !keys::verifies(public, digest_line.as_bytes(), &signature) {
        return Err(bad(
            SIGNATURE,
            "the signature does not verify with this public key",
        ));
    }
    let manifest_bytes = read(MANIFEST)?;
    if format!("sha256:{}", sha256_hex(&manifest_bytes)) != digest_line {
        return Err(bad(MANIFEST, "its SHA-256 is not the one signed"));
    }
    let manifest: Manifest = serde_json::from_slice(&manifest_bytes)
        .map_err(|e| bad(MANIFEST, format!("not a manifest: {e}")))?;
    for (name, hash) in &manifest.files {
        if name.contains('/') || name.contains('\\') || name.starts_with('.') {
            return Err(bad(
                MANIFEST,
                format!("names `{name}`, which is not a bundle file"),
            ));
        }
        if &sha256_hex(&read(name)?) != hash {
            return Err(bad(name, "its SHA-256 is not the one the manifest lists"));
        }
    }
    let entries = std::fs::read_dir(dir).map_err(|e| bad(".", format!("cannot list: {e}")))?;
    let mut unlisted: Vec<String> = entries
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n != MANIFEST && n != SIGNATURE && !manifest.files.contains_key(n))
        .collect();
    unlisted.sort();
    if let Some(extra) = unlisted.first() {
        return Err(bad(extra, "is not in the manifest"));
    }
    consistent(
        &read(CERTIFICATE)?,
        &read(REPORT)?,
        read(SELFTEST).ok().as_deref(),
    )
}

fn parse_signature(text: &str) -> Option<(String, Vec<u8>)> {
    let (first, rest) = text.split_once('\n')?;
    let hex = first.strip_prefix("sha256:")?;
    let sig = rest.strip_prefix("ed25519:")?.strip_suffix('\n')?;
    let ok_hex = hex.len() == 64 && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    let bytes = B64.decode(sig).ok()?;
    (ok_hex && bytes.len() == 64 && B64.encode(&bytes) == sig).then(|| (first.to_string(), bytes))
}

/// The certificate, when it says what report.json (and the self-test) make it.
fn consistent(
    certificate: &[u8],
    report: &[u8],
    selftest: Option<&[u8]>,
) -> Result<Certificate, VerifyError> {
    let cert: Certificate = serde_json::from_slice(certificate)
        .map_err(|e| bad(CERTIFICATE, format!("not a certificate: {e}")))?;
    let report: RunReport =
        serde_json::from_slice(report).map_err(|e| bad(REPORT, format!("not a report: {e}")))?;
    if let Some(selftest) = selftest {
        let figures = selftest_figures(selftest).map_err(|why| bad(SELFTEST, why.0))?;
        if figures != cert.selftest {
            return Err(bad(
                CERTIFICATE,
                "its self-test figures are not selftest.json's",
            ));
        }
    }
    let (verdict, requirements, reasons) = judge(&cert.rules, &report, &cert.selftest);
    let checks: [(&str, bool); 7] = [
        ("verdict", verdict == cert.verdict),
        ("requirements", requirements == cert.requirements),
        ("reasons", reasons == cert.reasons),
        ("suite digest", report.suite_digest == cert.suite_digest),
        ("implementation under test", report.target_name == cert.iut),
        (
            "waivers",
            report.waivers == cert.waivers && report.waiver_warnings == cert.waiver_warnings,
        ),
        (
            "capability statement",
            report.capabilities == cert.capabilities,
        ),
    ];
    match checks.iter().find(|(_, ok)| !ok) {
        Some((what, _)) => Err(bad(
            CERTIFICATE,
            format!(
                "its {what} does not follow from report.json (recomputed verdict: {})",
                verdict.name()
            ),
        )),
        None => Ok(cert),
    }
}

/// A selftest.json that is not one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct FiguresError(pub String);

/// The figures of a selftest.json.
pub fn selftest_figures(json: &[u8]) -> Result<SelftestFigures, FiguresError> {
    let v: serde_json::Value =
        serde_json::from_slice(json).map_err(|e| FiguresError(format!("not JSON: {e}")))?;
    let ok = v["ok"]
        .as_bool()
        .ok_or_else(|| FiguresError("no boolean `ok`".into()))?;
    let count = |list: &serde_json::Value, pass: &dyn Fn(&serde_json::Value) -> bool| {
        let all = list.as_array().map_or(&[][..], Vec::as_slice);
        format!(
            "{} of {}",
            all.iter().filter(|x| pass(x)).count(),
            all.len()
        )
    };
    let empty = |field: &'static str| {
        move |x: &serde_json::Value| x[field].as_array().is_some_and(Vec::is_empty)
    };
    let not_empty = |field: &'static str| {
        move |x: &serde_json::Value| x[field].as_array().is_some_and(|a| !a.is_empty())
    };
    let mut figures = BTreeMap::new();
    figures.insert(
        "clean runs passed".into(),
        format!("{} of {}", v["clean"]["passed"], v["clean"]["runs"]),
    );
    figures.insert(
        "faults killed".into(),
        count(&v["faults"], &not_empty("killed_by")),
    );
    figures.insert(
        "variations passed".into(),
        count(&v["variations"], &empty("not_passing")),
    );
    figures.insert(
        "checks proven".into(),
        format!("{} of {}", v["checks"]["proven"], v["checks"]["total"]),
    );
    figures.insert("null runs".into(), v["nulls"]["runs"].to_string());
    Ok(SelftestFigures { ok, figures })
}
