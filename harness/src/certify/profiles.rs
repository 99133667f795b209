//! Certification profiles: per protocol, role and variant, a named and versioned
//! profile (`PROTOCOL-ROLE[-VARIANT]@VERSION`): the requirements that must pass, those that may warn,
//! the optional features a vendor may claim, and the scenario files it was made for,
//! each pinned by its SHA-256 in `pins.txt` so that an edited suite cannot certify.

use std::collections::BTreeMap;
use std::path::Path;

use crate::http::fingerprint::sha256_hex;
use crate::profile::capabilities::features_of;
use crate::profile::catalogue::{Level, CROSS_CUTTING};
use crate::profile::{NeedInfo, Profile};
use crate::protocols;
use crate::scenario::Scenario;

/// The pinned scenario files of every profile (generated: `crosscheck profiles --pins`).
pub const PINS: &str = include_str!("pins.txt");

/// The pins file's path in the repository, for messages.
pub const PINS_FILE: &str = "harness/src/certify/pins.txt";

/// One certification profile.
#[derive(Debug, Clone)]
pub struct CertProfile {
    /// `PROTOCOL-ROLE`, and `-VARIANT` when the protocol has a variant axis.
    pub name: String,
    /// Raised whenever the pinned suite or the rules change.
    pub version: u32,
    /// The protocol.
    pub protocol: &'static dyn Profile,
    /// The IUT role.
    pub role: &'static str,
    /// The value on the protocol's variant axis, if it has one.
    pub variant: Option<&'static str>,
    /// Requirements that must pass (MUST: the role's, and the cross-cutting ones, all
    /// of them until [`CertProfile::for_suite`] keeps those the suite cites).
    pub must: Vec<&'static str>,
    /// Requirements that may warn (SHOULD).
    pub may_warn: Vec<&'static str>,
    /// Optional features a vendor may claim.
    pub features: Vec<NeedInfo>,
    /// Scenario file (relative to the suite's scenarios folder) → its SHA-256.
    pub pinned: BTreeMap<String, String>,
}

impl CertProfile {
    /// `name@version`.
    pub fn id(&self) -> String {
        format!("{}@{}", self.name, self.version)
    }

    /// The profile as `scenarios` check it: a cross-cutting requirement, or one of the
    /// protocol's requirements that no single role owns by prefix (ids shared by
    /// several roles, perhaps in one variant only), is demanded only
    /// when one of its scenarios cites it (the pins fix which do).
    pub fn for_suite(mut self, scenarios: &[std::sync::Arc<Scenario>]) -> Self {
        let prefix = self
            .protocol
            .role(self.role)
            .map_or("", |r| r.requirement_prefix);
        let cited = |id: &&str| {
            (!CROSS_CUTTING.iter().any(|q| q.id == *id) && id.starts_with(prefix))
                || scenarios
                    .iter()
                    .filter(|s| covers(&self, s))
                    .any(|s| s.requirements.iter().any(|r| r == id))
        };
        let must: Vec<&'static str> = self.must.iter().copied().filter(cited).collect();
        let may_warn: Vec<&'static str> = self.may_warn.iter().copied().filter(cited).collect();
        self.must = must;
        self.may_warn = may_warn;
        self
    }
}

/// A pins line that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{PINS_FILE}:{line}: `{text}` is not `NAME@VERSION FILE SHA256`")]
pub struct PinsError {
    /// 1-based line.
    pub line: usize,
    /// The line.
    pub text: String,
}

/// Every profile: one per protocol, role and variant, with its pins from [`PINS`]
/// (a profile without pins has version 0 and no files).
pub fn all() -> Result<Vec<CertProfile>, PinsError> {
    let pins = parse_pins(PINS)?;
    let mut out = Vec::new();
    for p in protocols::all().iter().copied() {
        let variants: Vec<Option<&'static str>> = match p.variant_axis() {
            Some(axis) => axis.values.iter().map(|v| Some(*v)).collect(),
            None => vec![None],
        };
        for role in p.roles() {
            for variant in &variants {
                let name = match variant {
                    Some(v) => format!("{}-{}-{v}", p.name(), role.name),
                    None => format!("{}-{}", p.name(), role.name),
                };
                // The role's own, and those no role owns by prefix (kept by `for_suite`
                // only where the role's scenarios cite them).
                let shared = |id: &str| {
                    !p.roles()
                        .iter()
                        .any(|r| id.starts_with(r.requirement_prefix))
                };
                let own = p
                    .requirements()
                    .iter()
                    .filter(|q| q.id.starts_with(role.requirement_prefix) || shared(q.id));
                let all: Vec<_> = own.chain(CROSS_CUTTING.iter()).collect();
                let (version, pinned) = pins.get(&name).cloned().unwrap_or_default();
                out.push(CertProfile {
                    must: all
                        .iter()
                        .filter(|q| q.level == Level::Must)
                        .map(|q| q.id)
                        .collect(),
                    may_warn: all
                        .iter()
                        .filter(|q| q.level == Level::Should)
                        .map(|q| q.id)
                        .collect(),
                    features: features_of(p),
                    name,
                    version,
                    protocol: p,
                    role: role.name,
                    variant: *variant,
                    pinned,
                });
            }
        }
    }
    Ok(out)
}

/// The profile `id` names: `name@version`, or `name` for its current version.
pub fn find(id: &str) -> Result<Option<CertProfile>, PinsError> {
    let (name, version) = match id.split_once('@') {
        Some((n, v)) => (n, v.parse::<u32>().ok()),
        None => (id, None),
    };
    Ok(all()?
        .into_iter()
        .find(|p| p.name == name && version.is_none_or(|v| v == p.version)))
}

type Pins = BTreeMap<String, (u32, BTreeMap<String, String>)>;

fn parse_pins(text: &str) -> Result<Pins, PinsError> {
    let mut out: Pins = BTreeMap::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let bad = || PinsError {
            line: i + 1,
            text: line.to_string(),
        };
        let mut parts = line.split_whitespace();
        let (Some(id), Some(file), Some(hash), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(bad());
        };
        let (name, version) = id.split_once('@').ok_or_else(bad)?;
        let version: u32 = version.parse().map_err(|_| bad())?;
        let entry = out
            .entry(name.to_string())
            .or_insert((version, BTreeMap::new()));
        entry.0 = version;
        entry.1.insert(file.to_string(), hash.to_string());
    }
    Ok(out)
}

/// The scenario files of `scenarios` that `profile` covers, relative to `root` (the
/// scenarios folder), with their SHA-256; a file that cannot be read is left out.
pub fn files_of(
    profile: &CertProfile,
    scenarios: &[std::sync::Arc<Scenario>],
    root: &Path,
) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for s in scenarios.iter().filter(|s| covers(profile, s)) {
        let path = s
            .source
            .rsplit_once(':')
            .map_or(s.source.as_str(), |(f, _)| f);
        let relative = Path::new(path)
            .strip_prefix(root)
            .map_or_else(|_| path.to_string(), |r| r.display().to_string());
        if let Ok(bytes) = std::fs::read(path) {
            out.insert(relative, sha256_hex(&bytes));
        }
    }
    out
}

/// Whether `scenario` belongs to `profile`'s suite.
pub fn covers(profile: &CertProfile, scenario: &Scenario) -> bool {
    scenario.profile.name() == profile.protocol.name()
        && scenario.role == profile.role
        && scenario.variants.contains(&profile.variant)
}

/// How the suite on disk differs from the profile's pins: the first file edited,
/// added or missing, as a sentence.
pub fn differs(profile: &CertProfile, found: &BTreeMap<String, String>) -> Option<String> {
    if profile.pinned.is_empty() {
        return Some(format!(
            "{} has no pinned suite in {PINS_FILE}",
            profile.name
        ));
    }
    for (file, hash) in &profile.pinned {
        match found.get(file) {
            None => {
                return Some(format!(
                    "{file} is missing: {} was made with it",
                    profile.id()
                ))
            }
            Some(h) if h != hash => {
                return Some(format!(
                    "{file} differs from the file {} was made for (sha256 {h}, pinned {hash})",
                    profile.id()
                ))
            }
            Some(_) => {}
        }
    }
    found
        .keys()
        .find(|f| !profile.pinned.contains_key(*f))
        .map(|f| format!("{f} is not part of the suite {} was made for", profile.id()))
}

/// The pins file for `profiles` against the suite in `scenarios` (under `root`), each
/// profile at the version given by `version`.
pub fn render_pins(
    profiles: &[CertProfile],
    scenarios: &[std::sync::Arc<Scenario>],
    root: &Path,
    version: &dyn Fn(&CertProfile) -> u32,
) -> String {
    let mut out = String::from(
        "# The scenario files each certification profile was made for, by SHA-256.\n\
         # Generated by `crosscheck profiles --pins`; a test fails when it is stale.\n\
         # Raise a profile's version whenever its files change.\n",
    );
    for p in profiles {
        let v = version(p);
        for (file, hash) in files_of(p, scenarios, root) {
            out.push_str(&format!("{}@{v} {file} {hash}\n", p.name));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pins_parse_and_bad_lines_are_named() {
        let pins = parse_pins("# c\nproto-role-x@2 proto/role/a.yaml 00ff\n").expect("parses");
        let (v, files) = &pins["proto-role-x"];
        assert_eq!((*v, files["proto/role/a.yaml"].as_str()), (2, "00ff"));
        let e = parse_pins("x@1 only-two\n").expect_err("bad");
        assert_eq!(e.line, 1);
    }

    #[test]
    fn every_protocol_role_and_variant_has_a_profile_with_its_requirements() {
        let all = all().expect("pins parse");
        for p in protocols::all() {
            let variants = p.variant_axis().map_or(1, |a| a.values.len());
            for role in p.roles() {
                let of_role: Vec<&CertProfile> = all
                    .iter()
                    .filter(|c| c.protocol.name() == p.name() && c.role == role.name)
                    .collect();
                assert_eq!(of_role.len(), variants, "{} {}", p.name(), role.name);
                for c in of_role {
                    assert!(c.name.starts_with(&format!("{}-{}", p.name(), role.name)));
                    assert!(
                        c.version >= 1 && !c.pinned.is_empty(),
                        "{} is pinned",
                        c.name
                    );
                    let shared = |id: &str| {
                        !p.roles()
                            .iter()
                            .any(|r| id.starts_with(r.requirement_prefix))
                    };
                    for q in p.requirements() {
                        let demanded = c.must.contains(&q.id) || c.may_warn.contains(&q.id);
                        assert_eq!(
                            demanded,
                            q.id.starts_with(role.requirement_prefix) || shared(q.id),
                            "{}",
                            q.id
                        );
                        assert_eq!(
                            c.may_warn.contains(&q.id),
                            demanded && q.level == Level::Should
                        );
                    }
                    assert!(CROSS_CUTTING.iter().all(|q| c.must.contains(&q.id)));
                }
            }
        }
    }

    #[test]
    fn an_edited_missing_or_extra_file_is_named() {
        let mut p = all().expect("pins").remove(0);
        p.pinned = BTreeMap::from([("a.yaml".to_string(), "11".to_string())]);
        let same = BTreeMap::from([("a.yaml".to_string(), "11".to_string())]);
        assert_eq!(differs(&p, &same), None);
        let edited = BTreeMap::from([("a.yaml".to_string(), "12".to_string())]);
        assert!(differs(&p, &edited).is_some_and(|m| m.starts_with("a.yaml differs")));
        assert!(differs(&p, &BTreeMap::new()).is_some_and(|m| m.starts_with("a.yaml is missing")));
        let mut extra = same.clone();
        extra.insert("b.yaml".into(), "1".into());
        assert!(differs(&p, &extra).is_some_and(|m| m.starts_with("b.yaml is not part")));
    }
}
