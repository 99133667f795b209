//! The target file: which implementation is under test, where it listens, and what
//! the harness must know and send to exercise it.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;
use serde_saphyr::Spanned;

use crate::protocols::cci::key::Dialect;
use crate::protocols::Protocol;
use crate::yaml::{self, InputError};

/// A bearer-style credential: `{header}: {scheme} {token}`.
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

/// One environment the IUT offers.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Environment {
    /// The shared environment id.
    pub id: String,
    /// Offered bandwidths in Mbps.
    pub sizes: Vec<u32>,
}

/// Provider ids in play.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Providers {
    /// The IUT's provider id.
    pub iut: String,
    /// The provider id the harness plays.
    pub harness: String,
    /// A provider the harness's credentials do not belong to (for 403 checks).
    pub other: String,
}

/// A binding operation's shape: how the harness performs `operation` against the IUT.
#[derive(Debug, Clone, PartialEq, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct BindingOverride {
    /// HTTP method.
    pub method: Option<String>,
    /// Which base URL: `api`, `customer`, `trigger` or `test`.
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
    /// Protocol spoken.
    pub protocol: Protocol,
    /// The IUT's role.
    pub role: String,
    /// Key dialect (CCI).
    pub dialect: Dialect,
    /// Base URL of the IUT's provider-to-provider API (prefix included).
    pub api_base: Option<String>,
    /// Base URL of the IUT's customer API.
    pub customer_base: Option<String>,
    /// Base URL of the IUT's trigger API.
    pub trigger_base: Option<String>,
    /// Base URL of the IUT's test API (clock), if it has one.
    pub test_base: Option<String>,
    /// Provider ids.
    pub providers: Providers,
    /// Offered environments; the first is the default for scenarios.
    pub environments: Vec<Environment>,
    /// An environment id the IUT does not know.
    pub unknown_environment: String,
    /// The customer's account at the IUT (and the key's destination account in v1).
    pub customer_account: String,
    /// Another account, not the customer's.
    pub other_account: String,
    /// What the harness sends to the IUT as a peer provider.
    pub harness_credential: Credential,
    /// What the IUT must send to the harness's mock peer.
    pub iut_credential: Credential,
    /// What the harness sends on customer calls, if anything.
    pub customer_credential: Option<Credential>,
    /// Valid credentials without the right to use the API (for 403 checks), if any.
    pub no_right_credential: Option<Credential>,
    /// Where the harness's mock peers listen (`None`: ephemeral ports).
    pub mock_peers: BTreeMap<String, SocketAddr>,
    /// Path prefix of the provider-to-provider API on mock peers.
    pub peer_prefix: String,
    /// Default timeout for one step.
    pub step_timeout: Duration,
    /// How long "no traffic" checks listen.
    pub silence: Duration,
    /// The IUT's key lifetime.
    pub key_lifetime: Duration,
    /// How long the IUT itself waits for the harness's mock peer (scenarios outwait it).
    pub iut_peer_timeout: Duration,
    /// The longest the harness may really wait for time to pass when there is no test clock.
    pub real_wait_limit: Duration,
    /// Binding overrides by operation.
    pub bindings: BTreeMap<String, BindingOverride>,
    /// Every secret value, for redaction.
    pub secrets: Vec<String>,
}

impl Target {
    /// Whether the IUT must be pointed at the harness's mock peer (it calls it).
    pub fn mock_peer_required(&self) -> bool {
        matches!(self.role.as_str(), "csp-b" | "co")
    }

    /// The offered environment scenarios use by default.
    pub fn primary_environment(&self) -> &Environment {
        &self.environments[0]
    }

    /// Loads and validates a target file.
    pub fn load(path: &Path) -> Result<Self, InputError> {
        let file = path.display().to_string();
        let raw: TargetFile = yaml::load(path)?;
        raw.into_target(&file, &|name| std::env::var(name).ok())
    }

    /// Parses and validates target text (for tests), resolving `${VAR}` with `env`.
    pub fn parse(
        text: &str,
        file: &str,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self, InputError> {
        let raw: TargetFile = yaml::parse(text, file)?;
        raw.into_target(file, env)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TargetFile {
    name: Option<String>,
    protocol: Spanned<String>,
    role: Spanned<String>,
    dialect: Option<Spanned<String>>,
    api_base: Option<Spanned<String>>,
    customer_base: Option<Spanned<String>>,
    trigger_base: Option<Spanned<String>>,
    test_base: Option<Spanned<String>>,
    providers: ProvidersFile,
    #[serde(default)]
    environments: Vec<Spanned<Environment>>,
    unknown_environment: Option<String>,
    customer_account: Option<String>,
    other_account: Option<String>,
    #[serde(default)]
    credentials: CredentialsFile,
    #[serde(default)]
    mock_peers: BTreeMap<String, MockPeerFile>,
    peer_prefix: Option<String>,
    #[serde(default)]
    timeouts: TimeoutsFile,
    key_lifetime_seconds: Option<u64>,
    real_wait_limit_seconds: Option<u64>,
    #[serde(default)]
    bindings: BTreeMap<String, BindingOverride>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProvidersFile {
    iut: String,
    harness: String,
    other: Option<String>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct CredentialsFile {
    harness: Option<Spanned<TokenFile>>,
    iut: Option<Spanned<TokenFile>>,
    customer: Option<Spanned<TokenFile>>,
    no_right: Option<Spanned<TokenFile>>,
}

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
}

/// Expands `${VAR}` and `${VAR:-default}` from the environment.
fn expand_env(text: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after
            .find('}')
            .ok_or_else(|| format!("unclosed `${{` in `{text}`"))?;
        let spec = &after[..end];
        let (name, default) = match spec.split_once(":-") {
            Some((n, d)) => (n, Some(d)),
            None => (spec, None),
        };
        match (env(name), default) {
            (Some(v), _) => out.push_str(&v),
            (None, Some(d)) => out.push_str(d),
            (None, None) => return Err(format!("environment variable {name} is not set")),
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

fn check_url(
    file: &str,
    field: &str,
    value: &Option<Spanned<String>>,
) -> Result<Option<String>, InputError> {
    let Some(v) = value else { return Ok(None) };
    let url = v.value.trim_end_matches('/').to_string();
    if !(url.starts_with("http://") || url.starts_with("https://")) || url.len() < 10 {
        return Err(InputError::at(
            file,
            &v.referenced,
            format!("{field}: `{}` is not an http(s) URL", v.value),
        ));
    }
    Ok(Some(url))
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

impl TargetFile {
    fn into_target(
        self,
        file: &str,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Target, InputError> {
        let protocol = Protocol::from_name(&self.protocol.value).ok_or_else(|| {
            InputError::at(
                file,
                &self.protocol.referenced,
                format!(
                    "protocol: unknown protocol `{}` (known: {})",
                    self.protocol.value,
                    Protocol::names()
                ),
            )
        })?;
        if !protocol.roles().contains(&self.role.value.as_str()) {
            return Err(InputError::at(
                file,
                &self.role.referenced,
                format!(
                    "role: `{}` is not a role of {} (roles: {})",
                    self.role.value,
                    protocol.name(),
                    protocol.roles().join(", ")
                ),
            ));
        }
        let dialect = match &self.dialect {
            None => Dialect::Seed,
            Some(d) => Dialect::from_name(&d.value).ok_or_else(|| {
                InputError::at(
                    file,
                    &d.referenced,
                    format!("dialect: `{}` is not seed or v1", d.value),
                )
            })?,
        };
        let api_base = check_url(file, "api_base", &self.api_base)?;
        let customer_base = check_url(file, "customer_base", &self.customer_base)?;
        let trigger_base = check_url(file, "trigger_base", &self.trigger_base)?;
        let test_base = check_url(file, "test_base", &self.test_base)?;
        let role = self.role.value.as_str();
        let needs: &[(&str, bool)] = match protocol {
            Protocol::Cci => &[("customer_base", true), ("api_base", role == "csp-a")],
            Protocol::Onapi => &[("api_base", role == "sp"), ("trigger_base", role == "co")],
        };
        let present = |name: &str| match name {
            "api_base" => api_base.is_some(),
            "customer_base" => customer_base.is_some(),
            "trigger_base" => trigger_base.is_some(),
            _ => true,
        };
        for (name, required) in needs {
            if *required && !present(name) {
                return Err(InputError::at(
                    file,
                    &self.role.referenced,
                    format!(
                        "{name}: required when the IUT is {} {role}",
                        protocol.name()
                    ),
                ));
            }
        }
        let mut environments = Vec::new();
        for e in self.environments {
            if e.value.id.is_empty() || e.value.sizes.is_empty() || e.value.sizes.contains(&0) {
                return Err(InputError::at(
                    file,
                    &e.referenced,
                    "environments: each needs a non-empty id and at least one size above 0",
                ));
            }
            environments.push(e.value);
        }
        if protocol == Protocol::Cci && environments.len() < 2 {
            return Err(InputError::whole(
                file,
                "environments: name at least two offered environments (scenarios confirm under the wrong one)",
            ));
        }
        let mut secrets = Vec::new();
        let mut credential = |field: &str,
                              c: Option<Spanned<TokenFile>>|
         -> Result<Option<Credential>, InputError> {
            let Some(c) = c else { return Ok(None) };
            let token = expand_env(&c.value.token, env).map_err(|m| {
                InputError::at(
                    file,
                    &c.referenced,
                    format!("credentials.{field}.token: {m}"),
                )
            })?;
            if token.is_empty() {
                return Err(InputError::at(
                    file,
                    &c.referenced,
                    format!("credentials.{field}.token: empty"),
                ));
            }
            secrets.push(token.clone());
            let scheme = c.value.scheme.unwrap_or_else(|| "Bearer".into());
            let value = if scheme.is_empty() {
                token
            } else {
                format!("{scheme} {token}")
            };
            Ok(Some(Credential {
                header: c
                    .value
                    .header
                    .unwrap_or_else(|| "authorization".into())
                    .to_ascii_lowercase(),
                value,
            }))
        };
        let harness_credential =
            credential("harness", self.credentials.harness)?.ok_or_else(|| {
                InputError::whole(
                    file,
                    "credentials.harness: required (what the harness sends as a peer)",
                )
            })?;
        let iut_credential = credential("iut", self.credentials.iut)?.ok_or_else(|| {
            InputError::whole(
                file,
                "credentials.iut: required (what the IUT sends to the harness)",
            )
        })?;
        let customer_credential = credential("customer", self.credentials.customer)?;
        let no_right_credential = credential("no_right", self.credentials.no_right)?;
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
        let peer_prefix = self.peer_prefix.unwrap_or_else(|| "/v1".into());
        if !(peer_prefix.is_empty() || peer_prefix.starts_with('/')) || peer_prefix.ends_with('/') {
            return Err(InputError::whole(
                file,
                format!(
                    "peer_prefix: `{peer_prefix}` must be empty or start with / and not end with /"
                ),
            ));
        }
        let customer_account = self
            .customer_account
            .unwrap_or_else(|| "123456789012".into());
        Ok(Target {
            name: self
                .name
                .unwrap_or_else(|| format!("{} {} ({})", protocol.name(), self.role.value, file)),
            protocol,
            role: self.role.value,
            dialect,
            api_base,
            customer_base,
            trigger_base,
            test_base,
            providers: Providers {
                iut: self.providers.iut,
                harness: self.providers.harness,
                other: self.providers.other.unwrap_or_else(|| "csp-other".into()),
            },
            environments,
            unknown_environment: self
                .unknown_environment
                .unwrap_or_else(|| "env-never-offered".into()),
            other_account: self
                .other_account
                .unwrap_or_else(|| format!("{customer_account}9")),
            customer_account,
            harness_credential,
            iut_credential,
            customer_credential,
            no_right_credential,
            mock_peers,
            peer_prefix,
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
            key_lifetime: Duration::from_secs(self.key_lifetime_seconds.unwrap_or(3600)),
            real_wait_limit: Duration::from_secs(self.real_wait_limit_seconds.unwrap_or(0)),
            bindings: self.bindings,
            secrets,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "protocol: cci\nrole: csp-a\ndialect: v1\napi_base: http://127.0.0.1:1/v1\ncustomer_base: http://127.0.0.1:1/customer\nproviders: {iut: a, harness: b}\nenvironments:\n  - {id: e1, sizes: [50]}\n  - {id: e2, sizes: [100]}\ncredentials:\n  harness: {token: \"${TOKEN_B}\"}\n  iut: {token: \"${TOKEN_A:-fallback}\"}\n";

    fn env(name: &str) -> Option<String> {
        (name == "TOKEN_B").then(|| "sekret".to_string())
    }

    #[test]
    fn loads_with_secrets_from_the_environment() {
        let t = Target::parse(GOOD, "t.yaml", &env).expect("loads");
        assert_eq!(t.harness_credential.value, "Bearer sekret");
        assert_eq!(t.iut_credential.value, "Bearer fallback");
        assert_eq!(t.secrets, ["sekret", "fallback"]);
        assert_eq!(t.dialect, Dialect::V1);
    }

    #[test]
    fn missing_variable_names_the_field_and_line() {
        let err = Target::parse(GOOD, "t.yaml", &|_| None).expect_err("unset");
        assert!(err.message.contains("credentials.harness.token"), "{err}");
        assert_eq!(err.line, 11, "{err}");
    }

    #[test]
    fn bad_role_and_url_are_located() {
        let err = Target::parse(&GOOD.replace("csp-a", "csp-z"), "t.yaml", &env).expect_err("role");
        assert_eq!((err.line, err.message.contains("role")), (2, true), "{err}");
        let err = Target::parse(
            &GOOD.replace("http://127.0.0.1:1/v1", "ftp://x"),
            "t.yaml",
            &env,
        )
        .expect_err("url");
        assert_eq!(err.line, 4, "{err}");
    }
}
