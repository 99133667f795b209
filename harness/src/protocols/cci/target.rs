//! CCI's fields of the target file: key dialect, provider ids, environments,
//! accounts, the peer API prefix and the key lifetime.

use std::any::Any;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use serde_saphyr::Spanned;

use crate::profile::target::Target;
use crate::profile::{BoxFuture, Counterpart, NeedInfo, SimError, TargetSection};
use crate::protocols::cci::intent::key::Dialect;
use crate::yaml::{self, InputError};

/// One environment the IUT offers.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Environment {
    /// The shared environment id.
    pub id: String,
    /// Offered bandwidths in Mbps.
    pub sizes: Vec<u32>,
    /// The interconnects the IUT serves in it (the lifecycle's fixture, agreed with
    /// the IUT; PROTOCOLS.md §1b); none: lifecycle scenarios are skipped.
    #[serde(default)]
    pub interconnects: Vec<Interconnect>,
}

impl Environment {
    /// `id` offering `sizes`, with no interconnects.
    pub fn new(id: &str, sizes: &[u32]) -> Self {
        Self {
            id: id.into(),
            sizes: sizes.to_vec(),
            interconnects: Vec::new(),
        }
    }

    /// This environment with the reference interconnects: `ix-big` (ten times the
    /// largest size), `ix-small` (twice it) and `ix-closed`, each with four channels
    /// named unlike ch1…ch4 in part, the macsec manager split between the sides.
    pub fn with_reference_interconnects(mut self) -> Self {
        let top = self.sizes.iter().copied().max().unwrap_or(1000);
        let channels = |prefix: &str| {
            ["1", "2", "lag-7", "4"]
                .iter()
                .enumerate()
                .map(|(i, n)| Channel {
                    name: if n.starts_with("lag") {
                        (*n).to_string()
                    } else {
                        format!("{prefix}-{n}")
                    },
                    manager: if i % 2 == 0 { Side::Iut } else { Side::Harness },
                })
                .collect()
        };
        let ix = |id: &str, max: u32, state: IxState, prefix: &str| Interconnect {
            id: id.into(),
            max_mbps: max,
            state,
            sizes: None,
            channels: channels(prefix),
        };
        self.interconnects = vec![
            ix("ix-big", top.saturating_mul(10), IxState::Active, "ch"),
            ix("ix-small", top.saturating_mul(2), IxState::Active, "sm"),
            ix("ix-closed", top.saturating_mul(10), IxState::Closed, "cl"),
        ];
        self
    }
}

/// One interconnect of the fixture.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Interconnect {
    /// Its id (the last segment of its name).
    pub id: String,
    /// maxBandwidthMbps.
    pub max_mbps: u32,
    /// Its state (default `ACTIVE`).
    #[serde(default)]
    pub state: IxState,
    /// supportedConnectionSizeMbps, when it offers more than its environment.
    #[serde(default)]
    pub sizes: Option<Vec<u32>>,
    /// Its channels.
    pub channels: Vec<Channel>,
}

impl Interconnect {
    /// supportedConnectionSizeMbps: its own sizes, or its environment's.
    pub fn sizes_in<'a>(&'a self, environment: &'a Environment) -> &'a [u32] {
        self.sizes.as_deref().unwrap_or(&environment.sizes)
    }
}

/// An interconnect's state (`INTERCONNECT_STATE_…`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum IxState {
    /// Not ready yet.
    Pending,
    /// Takes connections.
    #[default]
    Active,
    /// Serves its connections, takes no new ones.
    Closed,
}

impl IxState {
    /// The wire name.
    pub fn wire(self) -> &'static str {
        match self {
            IxState::Pending => "INTERCONNECT_STATE_PENDING",
            IxState::Active => "INTERCONNECT_STATE_ACTIVE",
            IxState::Closed => "INTERCONNECT_STATE_CLOSED",
        }
    }
}

/// One channel of an interconnect: a name, or `{name, manager}`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(from = "ChannelFile")]
pub struct Channel {
    /// Its name (the last segment of its resource name).
    pub name: String,
    /// Which side is its macsecManagerProvider and crossConnectManagerProvider.
    pub manager: Side,
}

/// One side of the two-party protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    /// The implementation under test.
    Iut,
    /// The provider the harness plays.
    Harness,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum ChannelFile {
    Name(String),
    Full {
        name: String,
        #[serde(default = "iut_side")]
        manager: Side,
    },
}

fn iut_side() -> Side {
    Side::Iut
}

impl From<ChannelFile> for Channel {
    fn from(f: ChannelFile) -> Self {
        match f {
            ChannelFile::Name(name) => Channel {
                name,
                manager: Side::Iut,
            },
            ChannelFile::Full { name, manager } => Channel { name, manager },
        }
    }
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

/// CCI's part of a target.
#[derive(Debug, Clone)]
pub struct CciTarget {
    /// Key dialect.
    pub dialect: Dialect,
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
    /// Path prefix of the provider-to-provider API on mock peers.
    pub peer_prefix: String,
    /// The IUT's key lifetime.
    pub key_lifetime: Duration,
    /// Whether the target declares a second peer identity (`credentials.harness_other`,
    /// for the provider `providers.other`).
    pub second_peer: bool,
    /// How long the IUT's network may take to carry accepted features (FINAL) and the
    /// IUT to notify (PROTOCOLS.md §1b, provision_timeout_s; default 60 s).
    pub provision_timeout: Duration,
    /// How long the IUT may take to converge: reconcile after an ambiguous failure,
    /// repair a missing feature (§1b, converge_timeout_s; default 60 s).
    pub converge_timeout: Duration,
}

/// The credential of a second peer identity: the provider `providers.other`, which the
/// IUT also serves (CCI-L-11).
pub const SECOND_PEER: &str = "harness_other";

/// CCI's top-level fields of the target file.
pub const FIELDS: &[&str] = &[
    "dialect",
    "providers",
    "environments",
    "unknown_environment",
    "customer_account",
    "other_account",
    "peer_prefix",
    "key_lifetime_seconds",
    "provision_timeout_s",
    "converge_timeout_s",
];

/// What CCI scenarios may need of a target.
pub const NEEDS: &[NeedInfo] = &[
    NeedInfo {
        name: "env2",
        description: "a second offered environment (variable `env2`)",
        variables: &["env2"],
    },
    NeedInfo {
        name: "second_peer",
        description: "a second peer identity: credentials.harness_other, the credentials of providers.other (auth: harness_other)",
        variables: &[],
    },
    NeedInfo {
        name: "size_only_on_env2",
        description: "a bandwidth the second environment offers and the first does not (variable `size_only_on_env2`)",
        variables: &["size_only_on_env2"],
    },
];

impl CciTarget {
    /// The second offered environment, if there is one.
    pub fn second_environment(&self) -> Option<&Environment> {
        self.environments.get(1)
    }

    /// A bandwidth the second environment offers and the first does not.
    pub fn size_only_on_env2(&self) -> Option<u32> {
        let first = self.primary_environment();
        self.second_environment()?
            .sizes
            .iter()
            .copied()
            .find(|s| !first.sizes.contains(s))
    }

    /// The most telling (environment, bandwidth) to request where the target lets a
    /// scenario tell a requested value from a default one: an environment other than
    /// the first that offers a bandwidth other than the default `size`; else the
    /// second environment with its first bandwidth; else the first environment with a
    /// bandwidth other than `size`; else the defaults. Every legal target has one.
    pub fn telling_request(&self) -> (&str, u32) {
        let first = self.primary_environment();
        let default = first.sizes[0];
        let other = |e: &Environment| e.sizes.iter().copied().find(|s| *s != default);
        self.environments[1..]
            .iter()
            .find_map(|e| other(e).map(|s| (e.id.as_str(), s)))
            .or_else(|| {
                self.second_environment()
                    .map(|e| (e.id.as_str(), e.sizes[0]))
            })
            .unwrap_or((first.id.as_str(), self.first_environment_other_size()))
    }

    /// A bandwidth the first environment offers other than the default `size`, or
    /// `size` when it offers only that one.
    pub fn first_environment_other_size(&self) -> u32 {
        let first = self.primary_environment();
        let default = first.sizes[0];
        first
            .sizes
            .iter()
            .copied()
            .find(|s| *s != default)
            .unwrap_or(default)
    }

    /// The offered environment scenarios use by default.
    pub fn primary_environment(&self) -> &Environment {
        // Parsing guarantees at least one environment, each with a size.
        &self.environments[0]
    }

    /// The CCI section of `target`.
    pub fn of(target: &Target) -> Result<&CciTarget, SimError> {
        target
            .section
            .as_any()
            .downcast_ref::<CciTarget>()
            .ok_or(SimError::ForeignTarget("cci"))
    }
}

impl TargetSection for CciTarget {
    fn variant(&self) -> Option<&str> {
        Some(self.dialect.name())
    }

    fn lacks(&self, need: &str) -> Option<String> {
        match need {
            "env2" if self.second_environment().is_none() => {
                Some("it offers one environment".into())
            }
            "second_peer" if !self.second_peer => {
                Some(format!("it declares no credentials.{SECOND_PEER}"))
            }
            "size_only_on_env2" => match self.second_environment() {
                None => Some("it offers one environment".into()),
                Some(e2) if self.size_only_on_env2().is_none() => Some(format!(
                    "every bandwidth `{}` offers, `{}` offers too",
                    e2.id,
                    self.primary_environment().id
                )),
                Some(_) => None,
            },
            _ => None,
        }
    }

    fn start_counterpart<'a>(
        &'a self,
        target: &'a Target,
        listen: SocketAddr,
    ) -> BoxFuture<'a, Result<Counterpart, SimError>> {
        Box::pin(crate::protocols::cci::sim::start_counterpart(
            target, self, listen,
        ))
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

#[derive(Debug, Deserialize)]
struct CciFile {
    dialect: Option<Spanned<String>>,
    providers: Option<Spanned<ProvidersFile>>,
    #[serde(default)]
    environments: Vec<Spanned<Environment>>,
    unknown_environment: Option<String>,
    customer_account: Option<String>,
    other_account: Option<String>,
    peer_prefix: Option<Spanned<String>>,
    key_lifetime_seconds: Option<u64>,
    provision_timeout_s: Option<Spanned<u64>>,
    converge_timeout_s: Option<Spanned<u64>>,
    /// Read here only for which credentials are declared (the target parses them).
    #[serde(default)]
    credentials: BTreeMap<String, serde::de::IgnoredAny>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProvidersFile {
    iut: String,
    harness: String,
    other: Option<String>,
}

/// What is wrong with an environment's interconnect fixture, if anything.
fn fixture_problem(e: &Environment) -> Option<String> {
    let mut ids = std::collections::BTreeSet::new();
    for ix in &e.interconnects {
        if ix.id.is_empty() || ix.id.contains('/') || !ids.insert(ix.id.as_str()) {
            return Some(format!(
                "interconnect id `{}` must be non-empty, without `/`, and unique",
                ix.id
            ));
        }
        if ix.max_mbps == 0 || ix.channels.is_empty() {
            return Some(format!(
                "interconnect `{}` needs max_mbps above 0 and at least one channel",
                ix.id
            ));
        }
        let mut names = std::collections::BTreeSet::new();
        if let Some(c) = ix
            .channels
            .iter()
            .find(|c| c.name.is_empty() || c.name.contains('/') || !names.insert(&c.name))
        {
            return Some(format!(
                "interconnect `{}`: channel name `{}` must be non-empty, without `/`, and unique",
                ix.id, c.name
            ));
        }
    }
    None
}

/// Parses and checks CCI's fields of a target file.
pub fn parse(text: &str, file: &str) -> Result<Arc<CciTarget>, InputError> {
    let raw: CciFile = yaml::parse(text, file)?;
    let dialect = match &raw.dialect {
        None => Dialect::Seed,
        Some(d) => Dialect::from_name(&d.value).ok_or_else(|| {
            InputError::at(
                file,
                &d.referenced,
                format!("dialect: `{}` is not seed or v1", d.value),
            )
        })?,
    };
    let providers = raw
        .providers
        .ok_or_else(|| InputError::whole(file, "providers: required ({iut, harness, other})"))?;
    let mut environments = Vec::new();
    for e in raw.environments {
        if e.value.id.is_empty() || e.value.sizes.is_empty() || e.value.sizes.contains(&0) {
            return Err(InputError::at(
                file,
                &e.referenced,
                "environments: each needs a non-empty id and at least one size above 0",
            ));
        }
        if let Some(problem) = fixture_problem(&e.value) {
            return Err(InputError::at(
                file,
                &e.referenced,
                format!("environments: `{}`: {problem}", e.value.id),
            ));
        }
        environments.push(e.value);
    }
    if environments.is_empty() {
        return Err(InputError::whole(
            file,
            "environments: name at least one offered environment (scenarios that need a second one are skipped without it)",
        ));
    }
    let peer_prefix = match raw.peer_prefix {
        None => "/v1".to_string(),
        Some(p) => {
            if !(p.value.is_empty() || p.value.starts_with('/')) || p.value.ends_with('/') {
                return Err(InputError::at(
                    file,
                    &p.referenced,
                    format!(
                        "peer_prefix: `{}` must be empty or start with / and not end with /",
                        p.value
                    ),
                ));
            }
            p.value
        }
    };
    let wait = |field: &str, given: &Option<Spanned<u64>>| match given {
        None => Ok(Duration::from_secs(60)),
        Some(s) if (1..=86_400).contains(&s.value) => Ok(Duration::from_secs(s.value)),
        Some(s) => Err(InputError::at(
            file,
            &s.referenced,
            format!(
                "{field}: {} is not a number of seconds from 1 to 86400",
                s.value
            ),
        )),
    };
    let provision_timeout = wait("provision_timeout_s", &raw.provision_timeout_s)?;
    let converge_timeout = wait("converge_timeout_s", &raw.converge_timeout_s)?;
    let customer_account = raw
        .customer_account
        .unwrap_or_else(|| "123456789012".into());
    let ProvidersFile {
        iut,
        harness,
        other,
    } = providers.value;
    Ok(Arc::new(CciTarget {
        dialect,
        providers: Providers {
            iut,
            harness,
            other: other.unwrap_or_else(|| "csp-other".into()),
        },
        environments,
        unknown_environment: raw
            .unknown_environment
            .unwrap_or_else(|| "env-never-offered".into()),
        other_account: raw
            .other_account
            .unwrap_or_else(|| format!("{customer_account}9")),
        customer_account,
        peer_prefix,
        key_lifetime: Duration::from_secs(raw.key_lifetime_seconds.unwrap_or(3600)),
        second_peer: raw.credentials.contains_key(SECOND_PEER),
        provision_timeout,
        converge_timeout,
    }))
}

#[cfg(test)]
mod tests {
    use crate::profile::target::Target;
    use crate::protocols;

    const GOOD: &str = "protocol: cci\nrole: csp-a\ndialect: v1\napi_base: http://127.0.0.1:1/v1\ncustomer_base: http://127.0.0.1:1/customer\nproviders: {iut: a, harness: b}\nenvironments:\n  - {id: e1, sizes: [50]}\n  - {id: e2, sizes: [100]}\ncredentials:\n  harness: {token: \"${TOKEN_B}\"}\n  iut: {token: \"${TOKEN_A:-fallback}\"}\n";

    fn env(name: &str) -> Option<String> {
        (name == "TOKEN_B").then(|| "sekret".to_string())
    }

    fn parse(
        text: &str,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Target, crate::yaml::InputError> {
        Target::parse(text, "t.yaml", protocols::all(), env)
    }

    /// The request a target with these (id, sizes) environments makes telling.
    fn telling(envs: &[(&str, &[u32])]) -> ((String, u32), u32) {
        let envs: Vec<String> = envs
            .iter()
            .map(|(id, sizes)| format!("  - {{id: {id}, sizes: {sizes:?}}}\n"))
            .collect();
        let text = GOOD.replace(
            "  - {id: e1, sizes: [50]}\n  - {id: e2, sizes: [100]}\n",
            &envs.concat(),
        );
        let t = parse(&text, &env).expect("a valid target");
        let cci = crate::protocols::cci::target::CciTarget::of(&t).expect("a cci section");
        let (e, s) = cci.telling_request();
        ((e.to_string(), s), cci.first_environment_other_size())
    }

    #[test]
    fn the_telling_request_avoids_defaults_where_the_target_allows() {
        // Another environment with another bandwidth: both differ from the defaults.
        let r = telling(&[("e1", &[50, 100]), ("e2", &[50]), ("e3", &[50, 200])]);
        assert_eq!(r, (("e3".into(), 200), 100));
        // Identical size sets: the second environment, and another size on the first.
        assert_eq!(
            telling(&[("e1", &[50, 100]), ("e2", &[50, 100])]),
            (("e2".into(), 100), 100)
        );
        // The other environments offer only the default size.
        assert_eq!(
            telling(&[("e1", &[50, 100]), ("e2", &[50])]),
            (("e2".into(), 50), 100)
        );
        // One environment: another size there.
        assert_eq!(telling(&[("e1", &[50, 100])]), (("e1".into(), 100), 100));
        // Nothing to tell apart: the defaults.
        assert_eq!(telling(&[("e1", &[50])]), (("e1".into(), 50), 50));
    }

    #[test]
    fn the_lifecycle_timeouts_default_to_60_s_and_a_bad_one_names_its_line() {
        let cci = |text: &str| {
            let t = parse(text, &env).expect("a valid target");
            let c = crate::protocols::cci::target::CciTarget::of(&t)
                .expect("a cci section")
                .clone();
            (c.provision_timeout.as_secs(), c.converge_timeout.as_secs())
        };
        assert_eq!(cci(GOOD), (60, 60));
        let given = format!("{GOOD}provision_timeout_s: 300\nconverge_timeout_s: 90\n");
        assert_eq!(cci(&given), (300, 90));
        // Scenarios wait by these variables.
        let t = parse(&given, &env).expect("a valid target");
        let vars = crate::protocols::cci::binding::base_vars(
            crate::protocols::cci::target::CciTarget::of(&t).expect("a cci section"),
        );
        assert_eq!(
            (
                vars["provision_timeout"].as_u64(),
                vars["converge_timeout"].as_u64()
            ),
            (Some(300), Some(90))
        );
        let zero = format!("{GOOD}converge_timeout_s: 0\n");
        let e = parse(&zero, &env).expect_err("0 s is no wait").to_string();
        assert!(
            e.contains("converge_timeout_s: 0") && e.contains("t.yaml:13"),
            "{e}"
        );
    }

    #[test]
    fn loads_with_secrets_from_the_environment() {
        let t = parse(GOOD, &env).expect("loads");
        assert_eq!(t.harness_credential.value, "Bearer sekret");
        assert_eq!(t.iut_credential.value, "Bearer fallback");
        assert_eq!(t.secrets, ["sekret", "fallback"]);
        assert_eq!(t.variant(), Some("v1"));
        assert_eq!(t.base("customer"), Some("http://127.0.0.1:1/customer"));
    }

    #[test]
    fn missing_variable_names_the_field_and_line() {
        let err = parse(GOOD, &|_| None).expect_err("unset");
        assert!(err.message.contains("credentials.harness.token"), "{err}");
        assert_eq!(err.line, 11, "{err}");
    }

    #[test]
    fn bad_role_url_dialect_and_unknown_fields_are_located() {
        let err = parse(&GOOD.replace("csp-a", "csp-z"), &env).expect_err("role");
        assert_eq!((err.line, err.message.contains("role")), (2, true), "{err}");
        let err = parse(&GOOD.replace("http://127.0.0.1:1/v1", "ftp://x"), &env).expect_err("url");
        assert_eq!(err.line, 4, "{err}");
        let err = parse(&GOOD.replace("dialect: v1", "dialect: v9"), &env).expect_err("dialect");
        assert_eq!(
            (err.line, err.message.contains("dialect")),
            (3, true),
            "{err}"
        );
        let err = parse(&format!("{GOOD}colour: blue\n"), &env).expect_err("unknown");
        assert_eq!(
            (err.line, err.message.contains("`colour`")),
            (13, true),
            "{err}"
        );
        let err = parse(
            &GOOD.replace("customer_base: http://127.0.0.1:1/customer\n", ""),
            &env,
        )
        .expect_err("required base");
        assert!(err.message.contains("customer_base: required"), "{err}");
    }
}
