//! The target file: which implementation is under test, where it listens, and what
//! the harness must send and expect. This is the core every protocol shares; each
//! protocol parses and checks its own fields ([`TargetSection`]).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;
use serde_saphyr::Spanned;

use crate::profile::capabilities::{Capabilities, CapabilitiesFile};
use crate::profile::{Profile, RoleSpec, TargetSection};
use crate::tls::{TlsFile, TlsSettings};
use crate::yaml::{self, InputError};

mod env;
pub use env::{expand_env, EnvError};

/// The names every target's credentials may have besides the protocol's own.
pub const CORE_CREDENTIALS: &[&str] = &["harness", "iut"];

/// The base every IUT may have: its test API (a clock the harness can advance).
pub const TEST_BASE: &str = "test";

/// A header credential: `{header}: {value}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credential {
    /// Header name, lower case.
    pub header: String,
    /// The full header value.
    pub value: String,
}

impl Credential {
    /// `Authorization: Bearer {token}`.
    pub fn bearer(token: &str) -> Self {
        Self {
            header: "authorization".into(),
            value: format!("Bearer {token}"),
        }
    }
}

/// A binding operation's shape: how the harness performs `operation` against the IUT.
#[derive(Debug, Clone, PartialEq, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct BindingOverride {
    /// HTTP method.
    pub method: Option<String>,
    /// Which base URL (a base the protocol names, or `test`).
    pub base: Option<String>,
    /// Path template appended to the base.
    pub path: Option<String>,
    /// Body template (JSON), rendered with the step's arguments as `arg`.
    pub body: Option<Value>,
    /// Extra headers (templates).
    pub headers: Option<BTreeMap<String, String>>,
    /// Output name → JSON path into the answer.
    pub outputs: Option<BTreeMap<String, String>>,
}

/// A fully loaded target.
#[derive(Debug, Clone)]
pub struct Target {
    /// Display name for reports.
    pub name: String,
    /// The protocol spoken.
    pub profile: &'static dyn Profile,
    /// The IUT's role.
    pub role: String,
    /// Base URLs of the IUT by name (prefix included, no trailing slash).
    pub bases: BTreeMap<String, String>,
    /// What the harness sends to the IUT as its counterpart.
    pub harness_credential: Credential,
    /// What the IUT must send to the harness's mock peer.
    pub iut_credential: Credential,
    /// Further credentials the protocol names, by name.
    pub credentials: BTreeMap<String, Credential>,
    /// Where the harness's mock peers listen (`None`: ephemeral ports).
    pub mock_peers: BTreeMap<String, SocketAddr>,
    /// Default timeout for one step.
    pub step_timeout: Duration,
    /// How long "no traffic" checks listen.
    pub silence: Duration,
    /// How long the IUT itself waits for the harness's mock peer (scenarios outwait it).
    pub iut_peer_timeout: Duration,
    /// The longest the harness may really wait for time to pass when there is no test clock.
    pub real_wait_limit: Duration,
    /// Between two scenarios against an external target, how long the IUT must send
    /// nothing to the mock peers before the next scenario starts.
    pub quiet_between: Duration,
    /// The longest the harness waits for that quiet.
    pub quiet_limit: Duration,
    /// Binding overrides by operation.
    pub bindings: BTreeMap<String, BindingOverride>,
    /// Every secret value, for redaction.
    pub secrets: Vec<String>,
    /// HTTPS both ways: what the harness trusts and presents, the TLS version it
    /// requires of the IUT, and whether the mock peers serve HTTPS.
    pub tls: TlsSettings,
    /// The protocol's own fields.
    pub section: Arc<dyn TargetSection>,
    /// The vendor's capability statement (`capabilities:` or `--capabilities`);
    /// without one, what applies is inferred from the target's fields.
    pub capabilities: Option<Capabilities>,
}

impl Target {
    /// The IUT's role as the protocol declares it.
    pub fn role_spec(&self) -> Option<&'static RoleSpec> {
        self.profile.role(&self.role)
    }

    /// The role the harness plays: the mock peer's name.
    pub fn counterpart_role(&self) -> &'static str {
        self.role_spec().map_or("peer", |r| r.counterpart)
    }

    /// Whether the IUT must be pointed at the harness's mock peer (it calls it).
    pub fn mock_peer_required(&self) -> bool {
        self.role_spec().is_some_and(|r| r.calls_the_harness)
    }

    /// The target's value on the protocol's variant axis.
    pub fn variant(&self) -> Option<&str> {
        self.section.variant()
    }

    /// The URL of a named base.
    pub fn base(&self, name: &str) -> Option<&str> {
        self.bases.get(name).map(String::as_str)
    }

    /// Whether the IUT has a test clock the harness can advance.
    pub fn has_test_clock(&self) -> bool {
        self.bases.contains_key(TEST_BASE)
    }

    /// A credential by name: `harness`, `iut`, or one the protocol names.
    pub fn credential(&self, name: &str) -> Option<&Credential> {
        match name {
            "harness" => Some(&self.harness_credential),
            "iut" => Some(&self.iut_credential),
            other => self.credentials.get(other),
        }
    }

    /// Loads and validates a target file; `profiles` are the protocols it may name.
    pub fn load(path: &Path, profiles: &[&'static dyn Profile]) -> Result<Self, InputError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path)
            .map_err(|e| InputError::whole(&file, format!("cannot read: {e}")))?;
        Self::parse(&text, &file, profiles, &|name| std::env::var(name).ok())
    }

    /// Parses and validates target text, resolving `${VAR}` with `env`.
    pub fn parse(
        text: &str,
        file: &str,
        profiles: &[&'static dyn Profile],
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self, InputError> {
        let core: CoreFile = yaml::parse(text, file)?;
        let fields: BTreeMap<String, Spanned<Value>> = yaml::parse(text, file)?;
        core.into_target(text, file, &fields, profiles, env)
    }
}

/// The fields of the core, as written (the protocol's fields are parsed by it).
#[derive(Debug, Deserialize)]
struct CoreFile {
    name: Option<String>,
    protocol: Spanned<String>,
    role: Spanned<String>,
    #[serde(default)]
    credentials: BTreeMap<String, Spanned<TokenFile>>,
    #[serde(default)]
    mock_peers: BTreeMap<String, MockPeerFile>,
    #[serde(default)]
    timeouts: TimeoutsFile,
    real_wait_limit_seconds: Option<u64>,
    #[serde(default)]
    bindings: BTreeMap<String, BindingOverride>,
    #[serde(default)]
    tls: TlsFile,
    capabilities: Option<CapabilitiesFile>,
}

/// Top-level fields of the core (bases, `{name}_base`, are added per protocol).
const CORE_FIELDS: &[&str] = &[
    "name",
    "protocol",
    "role",
    "credentials",
    "mock_peers",
    "timeouts",
    "real_wait_limit_seconds",
    "bindings",
    "tls",
    "capabilities",
];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenFile {
    header: Option<String>,
    scheme: Option<String>,
    token: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MockPeerFile {
    listen: Spanned<String>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct TimeoutsFile {
    step_seconds: Option<f64>,
    silence_seconds: Option<f64>,
    iut_peer_timeout_seconds: Option<f64>,
    quiet_between_seconds: Option<f64>,
    quiet_limit_seconds: Option<f64>,
}

fn seconds(
    file: &str,
    field: &str,
    value: Option<f64>,
    default: f64,
) -> Result<Duration, InputError> {
    let v = value.unwrap_or(default);
    if !(v.is_finite() && v > 0.0 && v <= 3600.0) {
        return Err(InputError::whole(
            file,
            format!("{field}: {v} is not between 0 and 3600 seconds"),
        ));
    }
    Ok(Duration::from_secs_f64(v))
}

impl CoreFile {
    fn into_target(
        self,
        text: &str,
        file: &str,
        fields: &BTreeMap<String, Spanned<Value>>,
        profiles: &[&'static dyn Profile],
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Target, InputError> {
        let known = || {
            profiles
                .iter()
                .map(|p| p.name())
                .collect::<Vec<_>>()
                .join(", ")
        };
        let profile = profiles
            .iter()
            .copied()
            .find(|p| p.name() == self.protocol.value)
            .ok_or_else(|| {
                InputError::at(
                    file,
                    &self.protocol.referenced,
                    format!(
                        "protocol: unknown protocol `{}` (known: {})",
                        self.protocol.value,
                        known()
                    ),
                )
            })?;
        let role_name = self.role.value.as_str();
        let role = profile.role(role_name).ok_or_else(|| {
            InputError::at(
                file,
                &self.role.referenced,
                format!(
                    "role: `{role_name}` is not a role of {} (roles: {})",
                    profile.name(),
                    profile.role_names().join(", ")
                ),
            )
        })?;
        let mut base_names: Vec<String> = profile
            .roles()
            .iter()
            .flat_map(|r| r.bases.iter().map(|b| b.name))
            .chain([TEST_BASE])
            .map(|b| format!("{b}_base"))
            .collect();
        base_names.sort();
        base_names.dedup();
        for (key, value) in fields {
            let ok = CORE_FIELDS.contains(&key.as_str())
                || base_names.contains(key)
                || profile.target_fields().contains(&key.as_str());
            if !ok {
                let mut all: Vec<&str> = CORE_FIELDS.to_vec();
                all.extend(base_names.iter().map(String::as_str));
                all.extend(profile.target_fields());
                return Err(InputError::at(
                    file,
                    &value.referenced,
                    format!(
                        "unknown field `{key}` for a {} target (fields: {})",
                        profile.name(),
                        all.join(", ")
                    ),
                ));
            }
        }
        let mut bases = BTreeMap::new();
        for (key, value) in fields {
            let Some(name) = key.strip_suffix("_base") else {
                continue;
            };
            if !base_names.contains(key) {
                continue;
            }
            let url = value.value.as_str().map(|u| u.trim_end_matches('/'));
            match url {
                Some(u)
                    if (u.starts_with("http://") || u.starts_with("https://")) && u.len() >= 10 =>
                {
                    bases.insert(name.to_string(), u.to_string());
                }
                _ => {
                    return Err(InputError::at(
                        file,
                        &value.referenced,
                        format!("{key}: `{}` is not an http(s) URL", value.value),
                    ))
                }
            }
        }
        for base in role.bases.iter().filter(|b| b.required) {
            if !bases.contains_key(base.name) {
                return Err(InputError::at(
                    file,
                    &self.role.referenced,
                    format!(
                        "{}_base: required when the IUT is {} {role_name}",
                        base.name,
                        profile.name()
                    ),
                ));
            }
        }
        let mut secrets = Vec::new();
        let mut credentials = BTreeMap::new();
        for (name, c) in self.credentials {
            if !CORE_CREDENTIALS.contains(&name.as_str())
                && !profile.credential_names().contains(&name.as_str())
            {
                let mut all = CORE_CREDENTIALS.to_vec();
                all.extend(profile.credential_names());
                return Err(InputError::at(
                    file,
                    &c.referenced,
                    format!(
                        "credentials.{name}: unknown credential (known: {})",
                        all.join(", ")
                    ),
                ));
            }
            let token = expand_env(&c.value.token, env).map_err(|m| {
                InputError::at(
                    file,
                    &c.referenced,
                    format!("credentials.{name}.token: {m}"),
                )
            })?;
            if token.is_empty() {
                return Err(InputError::at(
                    file,
                    &c.referenced,
                    format!("credentials.{name}.token: empty"),
                ));
            }
            secrets.push(token.clone());
            let scheme = c.value.scheme.unwrap_or_else(|| "Bearer".into());
            let value = if scheme.is_empty() {
                token
            } else {
                format!("{scheme} {token}")
            };
            let header = c
                .value
                .header
                .unwrap_or_else(|| "authorization".into())
                .to_ascii_lowercase();
            credentials.insert(name, Credential { header, value });
        }
        let harness_credential = credentials.remove("harness").ok_or_else(|| {
            InputError::whole(
                file,
                "credentials.harness: required (what the harness sends as a peer)",
            )
        })?;
        let iut_credential = credentials.remove("iut").ok_or_else(|| {
            InputError::whole(
                file,
                "credentials.iut: required (what the IUT sends to the harness)",
            )
        })?;
        let mut mock_peers = BTreeMap::new();
        for (name, peer) in self.mock_peers {
            let addr: SocketAddr = peer.listen.value.parse().map_err(|_| {
                InputError::at(
                    file,
                    &peer.listen.referenced,
                    format!(
                        "mock_peers.{name}.listen: `{}` is not HOST:PORT",
                        peer.listen.value
                    ),
                )
            })?;
            mock_peers.insert(name, addr);
        }
        let tls = self.tls.into_settings(file)?;
        let section = profile.parse_target(text, file, role_name)?;
        secrets.extend(section.secrets());
        let capabilities = match self.capabilities {
            Some(c) => {
                Some(c.check(file, "capabilities.", profile, role_name, section.variant())?)
            }
            None => None,
        };
        Ok(Target {
            name: self
                .name
                .unwrap_or_else(|| format!("{} {role_name} ({file})", profile.name())),
            profile,
            role: role_name.to_string(),
            bases,
            harness_credential,
            iut_credential,
            credentials,
            mock_peers,
            step_timeout: seconds(
                file,
                "timeouts.step_seconds",
                self.timeouts.step_seconds,
                5.0,
            )?,
            silence: seconds(
                file,
                "timeouts.silence_seconds",
                self.timeouts.silence_seconds,
                1.5,
            )?,
            iut_peer_timeout: seconds(
                file,
                "timeouts.iut_peer_timeout_seconds",
                self.timeouts.iut_peer_timeout_seconds,
                2.0,
            )?,
            real_wait_limit: Duration::from_secs(self.real_wait_limit_seconds.unwrap_or(0)),
            quiet_between: seconds(
                file,
                "timeouts.quiet_between_seconds",
                self.timeouts.quiet_between_seconds,
                1.0,
            )?,
            quiet_limit: seconds(
                file,
                "timeouts.quiet_limit_seconds",
                self.timeouts.quiet_limit_seconds,
                30.0,
            )?,
            bindings: self.bindings,
            secrets,
            tls,
            section,
            capabilities,
        })
    }
}
