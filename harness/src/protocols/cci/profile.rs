//! CCI as a protocol profile: roles, requirements, the key-dialect axis, target
//! fields, schemas, simulators and the key fuzzer.

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};

use crate::http::HttpClient;
use crate::profile::catalogue::{must, should, TextFile};
use crate::profile::{
    answer_variations, AnswerOracle, BaseSpec, BoxFuture, Campaign, Credentials, FaultInfo,
    FaultTable, FreeAnswerBody, FuzzError, FuzzRequest, NeedInfo, Prepared, Profile, Requirement,
    RoleSpec, RunningSim, SimError, SimOption, SimToken, TargetSection, VariantAxis, VariationInfo,
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
    must("CCI-L-01", "the peer can list and get environments, interconnects and channels under its own prefix, as JSON in the binding's shapes"),
    must("CCI-L-02", "the peer can read the server's own provider resource, GET /providers/{IUT}: 200 with a displayName"),
    must("CCI-L-03", "static resources match the agreed fixture: ids, names, sizes, maxima, states and manager providers"),
    must("CCI-L-04", "each interconnect's sizes include all of its environment's"),
    must("CCI-L-05", "the channels of one interconnect have equal channelMemberSizeGbps and equal aggregateChannelSizeGbps"),
    should("CCI-L-06", "at least 4 channels per interconnect, each on its own obfuscatedDeviceId"),
    should("CCI-L-07", "providerSites has at most 2 entries, one for the server and one for the caller"),
    must("CCI-L-08", "each name returned is the resource's relative path under providers/{CALLER} (a leading / allowed)"),
    should("CCI-L-09", "with pageSize=1, following nextPageToken yields every item once, and the last page has no token"),
    must("CCI-L-10", "every lifecycle operation answers 401 without valid peer credentials and 403 for a path naming another provider"),
    must("CCI-L-11", "one caller cannot see another's resources: a second peer identity gets 403 or 404 on the first one's connections and features"),
    must("CCI-L-12", "unknown resources get 404 and malformed creates 400, with JSON error bodies, never 5xx"),
    must("CCI-L-13", "every call the IUT makes to the peer names its own provider id as the caller, carries its credentials, and goes to the connection's environment and interconnect"),
    must("CCI-L-14", "a CreateConnection for a confirmed key, on an ACTIVE interconnect, with the key's bandwidth, is placed UNVERIFIED and then read and listed"),
    must("CCI-L-15", "a create for a UUID never issued or not confirmed, or with another bandwidth, is refused with 4xx and nothing is created"),
    must("CCI-L-16", "accepted connections reserve bandwidth and never pass maxBandwidthMbps: of creates racing for the last room exactly one is placed, the rest get 409"),
    must("CCI-L-17", "a second CreateConnection with the same connectionId gets 409 and the first stays unchanged"),
    must("CCI-L-18", "a create on a CLOSED interconnect is refused and nothing is created"),
    must("CCI-L-19", "once the key confirms, the negotiator creates its own connection, readable UNVERIFIED, before its CreateConnection reaches the peer"),
    must("CCI-L-20", "the negotiator's CreateConnection carries the key's UUID and bandwidth, on an ACTIVE interconnect of the key's environment with room"),
    should("CCI-L-21", "the negotiator places the connection on the interconnect with the most available bandwidth"),
    should("CCI-L-22", "after a 409 the negotiator reads the interconnects again and retries on another one with backoff, for about 60 s; then it gives up cleanly and tells the customer"),
    must("CCI-L-23", "after an ambiguous failure (no answer, 5xx, 409 to a create it may have made) the negotiator reads the peer's state and goes on or cleans up: it never stalls or leaves one side half built"),
    must("CCI-L-24", "GenerateFeatureGuidance on a placed connection answers 200 with featureGuidance; on an unknown connection, or one under another interconnect, 404"),
    should("CCI-L-25", "the guidance has one L3_BASE entry per channel under the channels' real names, with sound ranges"),
    must("CCI-L-26", "a CreateFeature that follows the guidance gets 200 with the channel and config as sent, PROVISIONING_STATE_PENDING"),
    must("CCI-L-27", "a proposal that breaks the guidance or misses a field is refused whole with 400 and reserves nothing"),
    must("CCI-L-28", "conflicts get 409: a second feature of a connection on a channel, a VLAN or subnet taken there; of parallel proposals for one VLAN exactly one gets 200"),
    must("CCI-L-29", "parallel proposals for different channels of one connection are each accepted when valid"),
    must("CCI-L-30", "the responder makes no proposals of its own during negotiation: no CreateConnection, guidance or CreateFeature toward the negotiator"),
    must("CCI-L-31", "the negotiator asks for guidance after its CreateConnection is accepted and before its first CreateFeature"),
    must("CCI-L-32", "every proposal keeps to the peer's guidance for its channel: L3_BASE, one per channel, channel names from the guidance"),
    should("CCI-L-33", "the negotiator proposes the highest MTU both sides allow, and a VLAN it does not use on that channel already"),
    should("CCI-L-34", "each feature exists on the negotiator before its CreateFeature reaches the peer"),
    should("CCI-L-35", "after a 409 the negotiator asks for guidance again and retries that channel with other values; after a 400 it does not resend the same body"),
    must("CCI-L-36", "with fewer than 3 of 4 features accepted the connection is not ready: no NotifyConnectionStatus, never VERIFIED"),
    should("CCI-L-37", "with 3 of 4 features accepted and the fourth refused every time, the negotiator still provisions and notifies"),
    must("CCI-L-38", "an accepted feature reads PROVISIONING_STATE_PENDING, then PROVISIONING_STATE_FINAL once the network carries it"),
    must("CCI-L-39", "once its features are final, the IUT sends NotifyConnectionStatus to the peer, and again until it gets a 2xx"),
    must("CCI-L-40", "the IUT answers the peer's NotifyConnectionStatus with 2xx and promptly reads the connection from the peer"),
    must("CCI-L-41", "VERIFIED (customer ACTIVE) only when its features are final, its notification acknowledged and the peer's notification arrived"),
    must("CCI-L-42", "a peer notification that arrives before the IUT's own features are final still counts"),
    should("CCI-L-43", "a peer notification does not count while the refresh shows the peer's features still PENDING"),
    must("CCI-L-44", "on a customer bandwidth change the initiator first checks that the environment offers the size; if not, it refuses the customer and sends no PATCH"),
    must("CCI-L-45", "the initiator sends UpdateConnection (updateMask=bandwidthMbps) before it changes its network and changes it only after a 200; after a refusal, 5xx or no answer the old bandwidth stays in service"),
    should("CCI-L-46", "the initiator's own connection shows the new bandwidth before its PATCH goes out, and the old one again if the peer refuses"),
    should("CCI-L-47", "after a granted update the initiator sends NotifyConnectionStatus once the change is complete"),
    must("CCI-L-48", "a granted peer PATCH shows the new bandwidthMbps at once and after, and moves the reservation; an unoffered or unfitting size is never granted"),
    must("CCI-L-49", "while its own customer update of a connection is in progress, a peer PATCH of that connection gets 409"),
    must("CCI-L-50", "an update can change only the bandwidth: another field in updateMask or the body gets 400 or is ignored"),
    should("CCI-L-51", "a customer delete at the initiator is carried out locally at once and passed on with one DeleteConnection"),
    must("CCI-L-52", "a DeleteConnection from the peer is never refused; then the connection and its features read 404 and the customer sees it gone"),
    must("CCI-L-53", "a deleted connection frees its bandwidth for a new connection and its VLANs and subnets for new features"),
    must("CCI-L-54", "after the peer's DeleteConnection the IUT sends no more calls for that connection, but optionally its own DeleteConnection"),
    must("CCI-L-55", "a DeleteFeature from the peer gets 2xx and the feature then reads 404"),
    must("CCI-L-56", "as a channel's owner the IUT recreates a feature missing on it from a live connection: guidance from the peer, then a CreateFeature"),
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
        purpose: "accepted from the third provider (csp-c), a second peer: the target's credentials.harness_other; 403 when it names B as the caller",
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

/// Answers whose body no requirement fixes: a delete's answer is Empty, which V-03
/// lets a server give as `{}` or as an empty 204, and nothing is read from it.
const FREE_ANSWER_BODIES: &[FreeAnswerBody] = &[
    FreeAnswerBody {
        role: "csp-a",
        operation: "lc_delete_connection",
        why: "DeleteConnection answers Empty: `{}` or an empty 204 (V-03); CCI-L-53 judges the delete by what it frees, not by its body",
    },
    FreeAnswerBody {
        role: "csp-a",
        operation: "lc_delete_feature",
        why: "DeleteFeature answers Empty: `{}` or an empty 204 (V-03); CCI-L-55 judges it by the 404 that follows",
    },
    FreeAnswerBody {
        role: "csp-b",
        operation: "lc_delete_connection",
        why: "DeleteConnection answers Empty: `{}` or an empty 204 (V-03); CCI-L-52 judges the delete by the 404s that follow",
    },
    FreeAnswerBody {
        role: "csp-b",
        operation: "update_connection",
        why: "the customer binding fixes a bandwidth change's answer as 200 or 202 only (§1b, customer binding); CCI-L-45 judges the change by the connection's GETs that follow",
    },
    FreeAnswerBody {
        role: "csp-a",
        operation: "lc_notify_status",
        why: "NotifyConnectionStatus answers Empty: `{}` or an empty 204 (V-03); CCI-L-40 judges it by its 2xx and the refresh that follows",
    },
    FreeAnswerBody {
        role: "csp-b",
        operation: "lc_notify_status",
        why: "NotifyConnectionStatus answers Empty: `{}` or an empty 204 (V-03); CCI-L-40 judges it by its 2xx and the refresh that follows",
    },
];

impl Profile for Cci {
    fn free_answer_bodies(&self) -> &'static [FreeAnswerBody] {
        FREE_ANSWER_BODIES
    }

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
                    .filter(|(v, _, _)| v.role().is_none_or(|role| role == r.name))
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
            // The key fields of the §1b binding table (extra fields are legal, V-04).
            "EnvironmentResource" => json!({
                "type": "object",
                "required": ["name", "supportedConnectionSizeMbps"],
                "properties": {
                    "name": {"type": "string"},
                    "providerSites": {"type": "array", "maxItems": 2},
                    "supportedConnectionSizeMbps": {"type": "array", "items": {"type": "integer"}},
                    "supportedFeatures": {"type": "array", "items": {"type": "string"}},
                    "deferralTimeoutHours": {"type": "integer"},
                    "deferConnectionProvisioning": {"type": "boolean"}
                }
            }),
            "InterconnectResource" => json!({
                "type": "object",
                "required": ["name", "supportedConnectionSizeMbps", "state", "maxBandwidthMbps"],
                "properties": {
                    "name": {"type": "string"},
                    "supportedConnectionSizeMbps": {"type": "array", "items": {"type": "integer"}},
                    "supportedFeatures": {"type": "array", "items": {"type": "string"}},
                    "state": {"enum": ["INTERCONNECT_STATE_PENDING", "INTERCONNECT_STATE_ACTIVE", "INTERCONNECT_STATE_CLOSED"]},
                    "maxBandwidthMbps": {"type": "integer", "minimum": 0}
                }
            }),
            "ChannelResource" => json!({
                "type": "object",
                "required": ["name", "macsecManagerProvider", "crossConnectManagerProvider"],
                "properties": {
                    "name": {"type": "string"},
                    "macsecManagerProvider": {"type": "string", "pattern": "^providers/[^/]+$"},
                    "crossConnectManagerProvider": {"type": "string", "pattern": "^providers/[^/]+$"},
                    "aggregateChannelSizeGbps": {"type": "integer"},
                    "channelMemberSizeGbps": {"type": "integer"},
                    "adminState": {"enum": ["ADMIN_STATE_ENABLED", "ADMIN_STATE_DISABLED"]}
                }
            }),
            "ConnectionResource" => json!({
                "type": "object",
                "required": ["name", "bandwidthMbps", "verificationState"],
                "properties": {
                    "name": {"type": "string"},
                    "activationKey": {"type": "string"},
                    "bandwidthMbps": {"type": "integer"},
                    "verificationState": {"enum": ["VERIFICATION_STATE_UNVERIFIED", "VERIFICATION_STATE_VERIFIED"]},
                    "deferProvisioning": {"type": "boolean"}
                }
            }),
            _ => return None,
        })
    }

    fn schema_names(&self) -> &'static [&'static str] {
        &[
            "ConfirmActivationKeyResponse",
            "ErrorObject",
            "EnvironmentResource",
            "InterconnectResource",
            "ChannelResource",
            "ConnectionResource",
        ]
    }

    fn credential_names(&self) -> &'static [&'static str] {
        &["customer", crate::protocols::cci::target::SECOND_PEER]
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
