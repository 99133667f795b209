//! CCI as a protocol profile: roles, requirements, the key-dialect axis, target
//! fields, schemas, simulators and the key fuzzer.

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};

use crate::http::HttpClient;
use crate::profile::catalogue::{must, TextFile};
use crate::profile::{
    answer_variations, AnswerOracle, BaseSpec, BoxFuture, Campaign, Credentials, FaultInfo,
    FaultTable, FuzzError, FuzzRequest, NeedInfo, Prepared, Profile, Requirement, RoleSpec,
    RunningSim, SimError, SimOption, SimToken, TargetSection, VariantAxis, VariationInfo,
};
use crate::protocols::cci::binding::{self, CUSTOMER};
use crate::protocols::cci::intent::key::Dialect;
use crate::protocols::cci::shape::Shape;
use crate::protocols::cci::sim::faults::Fault;
use crate::protocols::cci::sim::variation::Variation;
use crate::protocols::cci::sim::world::SimConfig;
use crate::protocols::cci::{sim, target};
use crate::yaml::InputError;

/// The CCI profile.
#[derive(Debug, Clone, Copy)]
pub struct Cci;

const ROLES: &[RoleSpec] = &[
    RoleSpec {
        name: "csp-a",
        counterpart: "csp-b",
        requirement_prefix: "CCI-A-",
        operations: binding::A_OPERATIONS,
        bases: &[
            BaseSpec {
                name: "api",
                required: true,
                credentials: Credentials::Harness,
            },
            BaseSpec {
                name: "customer",
                required: true,
                credentials: CUSTOMER,
            },
        ],
        calls_the_harness: false,
    },
    RoleSpec {
        name: "csp-b",
        counterpart: "csp-a",
        requirement_prefix: "CCI-B-",
        operations: binding::B_OPERATIONS,
        bases: &[
            BaseSpec {
                name: "api",
                required: false,
                credentials: Credentials::Harness,
            },
            BaseSpec {
                name: "customer",
                required: true,
                credentials: CUSTOMER,
            },
        ],
        calls_the_harness: true,
    },
];

const DIALECTS: VariantAxis = VariantAxis {
    name: "dialect",
    values: &["seed", "v1"],
};

const REQUIREMENTS: &[Requirement] = &[
    must("CCI-A-01", "create on a known environment and offered size returns a key and a PENDING connection"),
    must("CCI-A-02", "unknown environment or unoffered size is refused with 4xx and no key"),
    must("CCI-A-03", "the key decodes to the dialect's fields with the requested environment and size"),
    must("CCI-A-04", "keys are unique and unguessable across many issues"),
    must("CCI-A-05", "A sends nothing to B before B presents the key"),
    must("CCI-A-06", "the exact key on its environment confirms true and A moves to NEGOTIATION"),
    must("CCI-A-07", "a spoofed, never-issued key confirms false"),
    must("CCI-A-08", "a tweaked key (any field or encoding change) confirms false"),
    must("CCI-A-09", "a key confirmed under another environment's path confirms false"),
    must("CCI-A-10", "a key already confirmed confirms false on reuse"),
    must("CCI-A-11", "the key of a deleted connection confirms false"),
    must("CCI-A-12", "a key past its lifetime confirms false"),
    must("CCI-A-13", "malformed confirm bodies get 400 JSON or keyValid false, never 5xx or a hang"),
    must("CCI-A-14", "no valid peer credentials gets 401; naming another provider as caller gets 403"),
    must("CCI-A-15", "confirm answers are application/json and match ConfirmActivationKeyResponse"),
    must("CCI-B-01", "describe shows the key's details and calls nothing on A"),
    must("CCI-B-02", "accept makes exactly one confirm on A: key's environment, exact key, B's id, B's credentials"),
    must("CCI-B-03", "keyValid true takes B's connection to NEGOTIATION"),
    must("CCI-B-04", "keyValid false makes B delete its pending connection"),
    must("CCI-B-05", "B refuses bad keys locally without calling A"),
    must("CCI-B-06", "B fails closed on A's 5xx, timeout or a non-boolean keyValid"),
    must("CCI-B-07", "B sends nothing else to A before the confirmation succeeds"),
];

const SIM_OPTIONS: &[SimOption] = &[
    SimOption {
        name: "dialect",
        help: "cci: key dialect, seed or v1 (default seed)",
    },
    SimOption {
        name: "peer-base",
        help: "cci: the other CSP's provider API, prefix included (default: the fixture targets' mock peer)",
    },
    SimOption {
        name: "key-lifetime",
        help: "cci: key lifetime in seconds (default 3600)",
    },
    SimOption {
        name: "peer-timeout",
        help: "cci: how long B waits for A, in seconds (default 2)",
    },
];

/// The tokens fixed in the simulators' code (`world.rs`).
const SIM_TOKENS: &[SimToken] = &[
    SimToken {
        role: "csp-a",
        token: crate::protocols::cci::sim::world::TOKEN_B,
        purpose: "accepted from CSP B on A's provider API: the target's credentials.harness",
    },
    SimToken {
        role: "csp-a",
        token: crate::protocols::cci::sim::world::TOKEN_OTHER,
        purpose: "accepted from the third provider (csp-c): valid, but 403 when it names B as the caller",
    },
    SimToken {
        role: "csp-a",
        token: crate::protocols::cci::sim::world::TOKEN_A,
        purpose: "what A would send to B: the target's credentials.iut",
    },
    SimToken {
        role: "csp-b",
        token: crate::protocols::cci::sim::world::TOKEN_B,
        purpose: "sent to A with every confirmation: the target's credentials.iut (the mock A checks it exactly)",
    },
    SimToken {
        role: "csp-b",
        token: crate::protocols::cci::sim::world::TOKEN_A,
        purpose: "accepted from CSP A on B's provider API: the target's credentials.harness",
    },
];

fn setting<T: std::str::FromStr>(
    settings: &BTreeMap<String, String>,
    name: &str,
    default: T,
) -> Result<T, SimError> {
    match settings.get(name) {
        None => Ok(default),
        Some(v) => v
            .parse()
            .map_err(|_| SimError::Setting(format!("--{name}: `{v}` is not valid"))),
    }
}

impl Profile for Cci {
    fn name(&self) -> &'static str {
        "cci"
    }

    fn roles(&self) -> &'static [RoleSpec] {
        ROLES
    }

    fn variant_axis(&self) -> Option<&'static VariantAxis> {
        Some(&DIALECTS)
    }

    fn requirements(&self) -> &'static [Requirement] {
        REQUIREMENTS
    }

    fn requirement_texts(&self) -> TextFile {
        TextFile {
            file: "harness/src/protocols/cci/requirements.yaml",
            yaml: include_str!("requirements.yaml"),
        }
    }

    fn faults(&self) -> Vec<FaultInfo> {
        Fault::infos(self.name())
    }

    fn needs(&self) -> &'static [NeedInfo] {
        target::NEEDS
    }

    fn variations(&self) -> Vec<VariationInfo> {
        ROLES
            .iter()
            .flat_map(|r| {
                let own = Variation::ALL
                    .iter()
                    .map(|(_, name, description)| (*name, *description));
                answer_variations(self.name(), r.name).chain(
                    Shape::variations()
                        .iter()
                        .copied()
                        .chain(own)
                        .map(|(name, description)| VariationInfo {
                            protocol: self.name(),
                            name,
                            role: r.name,
                            description,
                        }),
                )
            })
            .collect()
    }

    fn presets(&self) -> &'static [&'static str] {
        binding::PRESETS
    }

    fn template_names(&self) -> &'static [&'static str] {
        binding::TEMPLATE_NAMES
    }

    fn schema(&self, name: &str) -> Option<Value> {
        Some(match name {
            "ConfirmActivationKeyResponse" => json!({
                "type": "object",
                "required": ["keyValid"],
                "properties": {"keyValid": {"type": "boolean"}}
            }),
            "ErrorObject" => json!({"type": "object", "minProperties": 1}),
            _ => return None,
        })
    }

    fn schema_names(&self) -> &'static [&'static str] {
        &["ConfirmActivationKeyResponse", "ErrorObject"]
    }

    fn credential_names(&self) -> &'static [&'static str] {
        &["customer"]
    }

    fn target_fields(&self) -> &'static [&'static str] {
        target::FIELDS
    }

    fn parse_target(
        &self,
        text: &str,
        file: &str,
        _role: &str,
    ) -> Result<Arc<dyn TargetSection>, InputError> {
        Ok(target::parse(text, file)?)
    }

    fn start_builtin<'a>(
        &'a self,
        role: &'a str,
        variant: Option<&'a str>,
        faults: &'a BTreeSet<&'static str>,
        http: &'a HttpClient,
    ) -> BoxFuture<'a, Result<Prepared, SimError>> {
        Box::pin(async move {
            let dialect = match variant {
                None => Dialect::Seed,
                Some(v) => Dialect::from_name(v)
                    .ok_or_else(|| SimError::Setting(format!("`{v}` is not a cci dialect")))?,
            };
            sim::builtin_stage(role, dialect, faults, http).await
        })
    }

    fn sim_options(&self) -> &'static [SimOption] {
        SIM_OPTIONS
    }

    fn sim_tokens(&self) -> &'static [SimToken] {
        SIM_TOKENS
    }

    fn serve<'a>(
        &'a self,
        role: &'a str,
        faults: &'a BTreeSet<&'static str>,
        settings: &'a BTreeMap<String, String>,
        listen: SocketAddr,
    ) -> BoxFuture<'a, Result<RunningSim, SimError>> {
        Box::pin(async move {
            let name = settings.get("dialect").map_or("seed", String::as_str);
            let dialect = Dialect::from_name(name).ok_or_else(|| {
                SimError::Setting(format!("--dialect: `{name}` is not seed or v1"))
            })?;
            let peer_timeout: f64 = setting(settings, "peer-timeout", 2.0)?;
            if !(peer_timeout.is_finite() && peer_timeout > 0.0 && peer_timeout <= 600.0) {
                return Err(SimError::Setting(format!(
                    "--peer-timeout: {peer_timeout} is not between 0 and 600 seconds"
                )));
            }
            // A shape variation changes ids, environments and prefix: the target must
            // then say the same (see `crosscheck variations cci`).
            let shape = Shape::chosen(faults.iter().copied());
            let mut config = SimConfig::shaped(role, dialect, &shape);
            config.switch_on(faults.iter().copied());
            let default_peer = if role == "csp-a" {
                "http://127.0.0.1:18181/v1"
            } else {
                "http://127.0.0.1:18180/v1"
            };
            let peer = settings
                .get("peer-base")
                .cloned()
                .unwrap_or_else(|| default_peer.into());
            config.peer_base = Some(peer.clone());
            config.key_lifetime = Duration::from_secs(setting(settings, "key-lifetime", 3600)?);
            config.peer_timeout = Duration::from_secs_f64(peer_timeout);
            let running = sim::start(role, config, listen).await?;
            let banner = format!(
                "crosscheck sim cci {role} ({}) listening on http://{addr}: api http://{addr}{prefix}, customer http://{addr}/customer, test http://{addr}/test; peer {peer}; faults and variations: {}",
                dialect.name(),
                if faults.is_empty() { "none".to_string() } else { faults.iter().copied().collect::<Vec<_>>().join(", ") },
                addr = running.addr,
                prefix = shape.api_prefix,
            );
            Ok(RunningSim {
                keep_alive: Box::new(running),
                banner,
            })
        })
    }

    fn fuzz<'a>(
        &'a self,
        request: FuzzRequest<'a>,
    ) -> Option<BoxFuture<'a, Result<Box<dyn Campaign>, FuzzError>>> {
        Some(Box::pin(crate::protocols::cci::fuzz::campaign::campaign(
            request,
        )))
    }

    fn answer_oracle(&self, role: &str) -> Option<&'static dyn AnswerOracle> {
        (role == "csp-b").then_some(
            &crate::protocols::cci::fuzz::answers::ConfirmAnswers as &'static dyn AnswerOracle,
        )
    }
}
