//! The certificate: what a profile's rules say of one run. The verdict is a function of
//! report.json and the rules written on the certificate itself, so `verify` recomputes
//! it offline from the bundle alone.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::profile::capabilities::Capabilities;
use crate::report::status::RequirementStatus;
use crate::report::RunReport;
use crate::waivers::Waiver;

/// The version of certificate.json's shape.
pub const FORMAT: &str = "crosscheck-certificate/1";

/// The three verdicts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CertVerdict {
    /// Every requirement the profile demands held.
    #[serde(rename = "certified")]
    Certified,
    /// Every requirement held or is waived, and at least one is waived.
    #[serde(rename = "certified with waivers")]
    CertifiedWithWaivers,
    /// Something the profile demands did not hold.
    #[serde(rename = "not certified")]
    NotCertified,
}

impl CertVerdict {
    /// As the certificate writes it.
    pub fn name(self) -> &'static str {
        match self {
            CertVerdict::Certified => "certified",
            CertVerdict::CertifiedWithWaivers => "certified with waivers",
            CertVerdict::NotCertified => "not certified",
        }
    }
}

/// The profile's rules, as the certificate carries them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rules {
    /// `name@version`.
    pub profile: String,
    /// Protocol.
    pub protocol: String,
    /// IUT role.
    pub role: String,
    /// Variant, if the protocol has an axis.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
    /// Requirements that must pass.
    pub must: Vec<String>,
    /// Requirements that may warn.
    pub may_warn: Vec<String>,
    /// The digest of the pinned scenario files the profile was made for.
    pub suite_digest: String,
}

/// The self-test of the harness build that certified, in figures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SelftestFigures {
    /// Whether the whole matrix held.
    pub ok: bool,
    /// `N of M` lines, by name: clean, faults killed, variations passed, null runs,
    /// checks proven.
    pub figures: BTreeMap<String, String>,
}

/// The harness build.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Harness {
    /// crosscheck's version.
    pub version: String,
    /// SHA-256 of the binary that ran.
    pub binary_sha256: String,
}

/// certificate.json.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Certificate {
    /// [`FORMAT`].
    pub format: String,
    /// The verdict.
    pub verdict: CertVerdict,
    /// Why it is not `certified`, one line per cause.
    pub reasons: Vec<String>,
    /// The rules judged by.
    pub rules: Rules,
    /// Each demanded requirement's status in the run.
    pub requirements: BTreeMap<String, RequirementStatus>,
    /// The IUT: the target's name.
    pub iut: String,
    /// The vendor's capability statement (absent: inferred from the target).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capabilities: Option<Capabilities>,
    /// The waivers used.
    pub waivers: Vec<Waiver>,
    /// Waivers given but ignored, named.
    pub waiver_warnings: Vec<String>,
    /// The harness that certified.
    pub harness: Harness,
    /// The digest of the scenario files that ran (equal to the profile's).
    pub suite_digest: String,
    /// When the run started (RFC 3339).
    pub date: String,
    /// The harness's self-test.
    pub selftest: SelftestFigures,
}

/// The verdict, each demanded requirement's status, and the reasons against.
pub fn judge(
    rules: &Rules,
    report: &RunReport,
    selftest: &SelftestFigures,
) -> (
    CertVerdict,
    BTreeMap<String, RequirementStatus>,
    Vec<String>,
) {
    let mut reasons = Vec::new();
    let mut statuses = BTreeMap::new();
    let mut waived = false;
    for (id, may_warn) in rules
        .must
        .iter()
        .map(|id| (id, false))
        .chain(rules.may_warn.iter().map(|id| (id, true)))
    {
        let status = report
            .requirements
            .get(id)
            .copied()
            .unwrap_or(RequirementStatus::NotCovered);
        statuses.insert(id.clone(), status);
        let ok = match status {
            RequirementStatus::Passed | RequirementStatus::NotApplicable => true,
            RequirementStatus::Warning => may_warn,
            RequirementStatus::Waived => {
                waived = true;
                true
            }
            RequirementStatus::Failed
            | RequirementStatus::Skipped
            | RequirementStatus::NotCovered => false,
        };
        if !ok {
            let why = report
                .requirement_reasons
                .get(id)
                .and_then(|r| r.first())
                .map_or(String::new(), |r| format!(": {r}"));
            reasons.push(format!("{id} {}{why}", status.name()));
        }
    }
    if report.interrupted {
        reasons.push("the run was interrupted".into());
    }
    if report.summary.failed + report.summary.errored > 0 {
        reasons.push(format!(
            "{} run(s) failed and {} errored",
            report.summary.failed, report.summary.errored
        ));
    }
    if report.suite_digest != rules.suite_digest {
        reasons.push(format!(
            "the runs came from suite {} but the profile pins {}",
            report.suite_digest, rules.suite_digest
        ));
    }
    if report.selection != Default::default() || report.partition.is_some() {
        reasons.push("the run was filtered or partitioned".into());
    }
    if !selftest.ok {
        reasons.push("the harness's own self-test did not pass".into());
    }
    let verdict = match (reasons.is_empty(), waived) {
        (false, _) => CertVerdict::NotCertified,
        (true, true) => CertVerdict::CertifiedWithWaivers,
        (true, false) => CertVerdict::Certified,
    };
    (verdict, statuses, reasons)
}

impl Certificate {
    /// The certificate as Markdown, for people.
    pub fn markdown(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "# crosscheck certificate: {}\n", self.verdict.name());
        let _ = writeln!(
            out,
            "- profile: `{}` ({} {}{})",
            self.rules.profile,
            self.rules.protocol,
            self.rules.role,
            self.rules
                .variant
                .as_deref()
                .map_or(String::new(), |v| format!(", {v}"))
        );
        let _ = writeln!(out, "- implementation under test: {}", md(&self.iut));
        let _ = writeln!(out, "- date: {}", self.date);
        let _ = writeln!(out, "- suite digest: `{}`", self.suite_digest);
        let _ = writeln!(
            out,
            "- harness: crosscheck {} (binary sha256 `{}`)",
            self.harness.version, self.harness.binary_sha256
        );
        let selftest: Vec<String> = self
            .selftest
            .figures
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect();
        let _ = writeln!(
            out,
            "- harness self-test: {} ({})",
            if self.selftest.ok { "passed" } else { "FAILED" },
            selftest.join("; ")
        );
        match &self.capabilities {
            Some(c) => {
                let features: Vec<&str> = c.features.iter().map(String::as_str).collect();
                let _ = writeln!(
                    out,
                    "- capability statement ({}): roles {}; variant {}; features: {}",
                    md(&c.source),
                    c.roles.join(", "),
                    c.variant.as_deref().unwrap_or("-"),
                    if features.is_empty() {
                        "none".into()
                    } else {
                        features.join(", ")
                    }
                );
            }
            None => {
                let _ = writeln!(out, "- capability statement: none given (optional features inferred from the target)");
            }
        }
        if !self.reasons.is_empty() {
            let _ = writeln!(out, "\n## Why not certified\n");
            for r in &self.reasons {
                let _ = writeln!(out, "- {}", md(r));
            }
        }
        if !self.waivers.is_empty() || !self.waiver_warnings.is_empty() {
            let _ = writeln!(out, "\n## Waivers\n");
            for w in &self.waivers {
                let _ = writeln!(out, "- {}", md(&w.describe()));
            }
            for w in &self.waiver_warnings {
                let _ = writeln!(out, "- ignored: {}", md(w));
            }
        }
        let _ = writeln!(
            out,
            "\n## Requirements\n\n| requirement | level | status |\n|---|---|---|"
        );
        for (id, status) in &self.requirements {
            let level = if self.rules.may_warn.contains(id) {
                "SHOULD"
            } else {
                "MUST"
            };
            let _ = writeln!(out, "| {id} | {level} | {} |", status.name());
        }
        out
    }

    /// The certificate as one self-contained HTML page.
    pub fn html(&self) -> String {
        let body = self.markdown();
        let mut out = String::from("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\"><title>crosscheck certificate</title><style>body{font-family:system-ui,sans-serif;max-width:60rem;margin:1rem auto;padding:0 1rem}pre{white-space:pre-wrap}</style></head><body><pre>");
        out.push_str(&escape(&body));
        out.push_str("</pre></body></html>\n");
        out
    }
}

/// Text safe in a Markdown table or list item.
fn md(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

/// Text safe in HTML.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
