//! The responder's side of placement (PROTOCOLS.md §1b, CCI-L-01 … L-18): static
//! resources, and CreateConnection, GetConnection, ListConnections and
//! DeleteConnection on the interconnects of a confirmed key's environment, with the
//! bandwidth each connection reserves.

use std::collections::BTreeMap;
use std::sync::Mutex;

use serde_json::{json, Value};

use super::features::{Features, Place};
use super::negotiator::ready_at;
use super::paging::{self, Paging};
use super::placed::{bandwidth_of, connection, shown, update, Placed};
use super::resources::{self, Naming, Parties};
use super::route::Route;
use crate::peers::{PeerReply, RecordedRequest};
use crate::protocols::cci::sim::faults::Fault;
use crate::protocols::cci::sim::variation::Variation;
use crate::protocols::cci::sim::world::SimConfig;
use crate::protocols::cci::target::{Environment, Interconnect, IxState, Side};

/// What the issuer knows of the key behind a sharedConnectionUuid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyFacts {
    /// The key's environment.
    pub environment: String,
    /// The key's connectionSizeMbps.
    pub size: u32,
    /// The key itself.
    pub key: String,
    /// Whether ConfirmActivationKey has confirmed it.
    pub confirmed: bool,
    /// Whether its connection was deleted.
    pub deleted: bool,
}

/// The responder's books: placed connections by sharedConnectionUuid.
#[derive(Debug, Default)]
pub struct Responder {
    placed: Mutex<BTreeMap<String, Placed>>,
    /// The connectionId of the last CreateConnection that got as far as the room
    /// check (the room-race fault's reservation still in flight).
    last_create: Mutex<Option<String>>,
    /// The connections each caller deleted: (caller, id).
    gone: Mutex<std::collections::BTreeSet<(String, String)>>,
    features: Features,
}

/// A JSON error answer `{"error": message}`.
pub(crate) fn error(status: u16, message: impl Into<String>) -> PeerReply {
    PeerReply::json(status, &json!({"error": message.into()}))
}

impl Responder {
    /// Answers a lifecycle request from `caller` (already authenticated) for `route`
    /// at `now` on the simulator's clock; `facts` tells what the issuer knows of a
    /// sharedConnectionUuid.
    pub fn reply(
        &self,
        now: std::time::Duration,
        config: &SimConfig,
        caller: &str,
        route: &Route<'_>,
        request: &RecordedRequest,
        facts: &dyn Fn(&str) -> Option<KeyFacts>,
    ) -> PeerReply {
        let parties = Parties {
            own: &config.own_id,
            caller,
            peer: &config.peer_id,
        };
        let naming = Naming {
            leading_slash: config.variations.contains(&Variation::LeadingSlashNames),
            bare: config.has(Fault::ALcBareNames),
        };
        let get = request.method == "GET";
        let paging = Paging {
            short_first_page: config.variations.contains(&Variation::ShortPages),
            endless: config.has(Fault::ALcEndlessPages),
            omit_empty: config.variations.contains(&Variation::OmitsDefaults),
        };
        let find_env = |id: &str| config.environments.iter().find(|e| e.id == id);
        let find_ix = |e: &str, x: &str| {
            find_env(e).and_then(|env| {
                env.interconnects
                    .iter()
                    .find(|i| i.id == x)
                    .map(|i| (env, i))
            })
        };
        match route {
            // I-9: the response's array is named `environments` in the spec; both
            // names are served.
            Route::Providers if get => {
                let mut known: Vec<&str> = vec![config.own_id.as_str()];
                known.extend(config.peer_tokens.values().map(String::as_str));
                known.sort_unstable();
                known.dedup();
                let all = known
                    .into_iter()
                    .map(|p| json!({"name": format!("providers/{p}"), "displayName": format!("provider {p}")}))
                    .collect();
                match paging::page(all, request, paging) {
                    Ok((page, next)) => {
                        let mut body = json!({"providers": page, "environments": page});
                        if let Some(next) = next {
                            body["nextPageToken"] = json!(next);
                        }
                        PeerReply::json(200, &body)
                    }
                    Err(e) => error(400, e.to_string()),
                }
            }
            Route::Provider(p) if get => {
                if *p == config.own_id && config.has(Fault::ALcProviderUnserved) {
                    return error(404, format!("no provider {p}"));
                }
                PeerReply::json(
                    200,
                    &json!({"name": format!("providers/{p}"), "displayName": format!("provider {p}")}),
                )
            }
            Route::Environments if get => paging::answer(
                "environments",
                config
                    .environments
                    .iter()
                    .map(|e| environment(config, parties, naming, e))
                    .collect(),
                request,
                paging,
            ),
            Route::Environment(e) if get => match find_env(e) {
                Some(env) => PeerReply::json(200, &environment(config, parties, naming, env)),
                None => error(404, format!("no environment {e}")),
            },
            Route::Interconnects(e) if get => match find_env(e) {
                Some(env) => paging::answer(
                    "interconnects",
                    env.interconnects
                        .iter()
                        .map(|ix| self.interconnect(config, parties, naming, env, ix))
                        .collect(),
                    request,
                    paging,
                ),
                None => error(404, format!("no environment {e}")),
            },
            Route::Interconnect(e, x) if get => match find_ix(e, x) {
                Some((env, ix)) => {
                    PeerReply::json(200, &self.interconnect(config, parties, naming, env, ix))
                }
                None => error(404, format!("no interconnect {x} in {e}")),
            },
            Route::Channels(e, x) if get => match find_ix(e, x) {
                Some((env, ix)) => {
                    let channels = Self::channels(config, ix);
                    paging::answer(
                        "channels",
                        (0..channels.len())
                            .map(|i| channel(config, parties, naming, env, ix, &channels, i))
                            .collect(),
                        request,
                        paging,
                    )
                }
                None => error(404, format!("no interconnect {x} in {e}")),
            },
            Route::Channel(e, x, h) if get => {
                let found = find_ix(e, x).and_then(|(env, ix)| {
                    let channels = Self::channels(config, ix);
                    let i = channels.iter().position(|c| c.name == *h)?;
                    Some(channel(config, parties, naming, env, ix, &channels, i))
                });
                match found {
                    Some(v) => PeerReply::json(200, &v),
                    None => error(404, format!("no channel {h} on {x} in {e}")),
                }
            }
            Route::Connections(e, x) if get => match find_ix(e, x) {
                Some((env, ix)) => {
                    let placed = self.books();
                    let list: Vec<Value> = placed
                        .iter()
                        .filter(|(_, p)| p.seen(config, caller, env, ix))
                        .map(|(id, p)| shown(config, connection(parties, naming, env, ix, id, p)))
                        .collect();
                    drop(placed);
                    paging::answer("connections", list, request, paging)
                }
                None => error(404, format!("no interconnect {x} in {e}")),
            },
            Route::Connections(e, x) if request.method == "POST" => match find_ix(e, x) {
                Some((env, ix)) => self.create(config, parties, naming, env, ix, request, facts),
                None => error(404, format!("no interconnect {x} in {e}")),
            },
            Route::Connection(e, x, id)
                if matches!(request.method.as_str(), "GET" | "DELETE" | "PATCH") =>
            {
                let Some((env, ix)) = find_ix(e, x) else {
                    return error(404, format!("no interconnect {x} in {e}"));
                };
                let mut placed = self.books();
                let here = placed
                    .get(*id)
                    .filter(|p| p.seen(config, caller, env, ix))
                    .cloned();
                match (here, request.method.as_str()) {
                    // V-10: a repeated delete may be answered 2xx.
                    (None, "DELETE")
                        if config.variations.contains(&Variation::RepeatTolerant)
                            && self.deleted_by(caller, id) =>
                    {
                        PeerReply::json(200, &json!({}))
                    }
                    (None, _) => error(404, format!("no connection {id} on {x}")),
                    (Some(p), "GET") => PeerReply::json(
                        200,
                        &shown(config, connection(parties, naming, env, ix, id, &p)),
                    ),
                    (Some(p), "PATCH") => {
                        let answer = update(config, env, ix, id, p, &placed, request);
                        match answer {
                            Ok(updated) => {
                                let answer = connection(parties, naming, env, ix, id, &updated);
                                placed.insert((*id).to_string(), updated);
                                PeerReply::json(200, &shown(config, answer))
                            }
                            Err(refusal) => refusal,
                        }
                    }
                    (Some(_), _) => {
                        if config.has(Fault::ALcRefusesDeleteWithFeatures)
                            && self.features.holds_any(id)
                        {
                            return error(409, format!("connection {id} still has features"));
                        }
                        placed.remove(*id);
                        drop(placed);
                        self.gone
                            .lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .insert((caller.to_string(), (*id).to_string()));
                        self.features.drop_connection(config, id);
                        PeerReply::json(200, &json!({}))
                    }
                }
            }
            Route::Notify(e, x, id) if request.method == "POST" => {
                let here = find_ix(e, x).is_some_and(|(env, ix)| {
                    self.books()
                        .get(*id)
                        .is_some_and(|p| p.seen(config, caller, env, ix))
                });
                if here {
                    PeerReply::json(200, &json!({}))
                } else {
                    error(404, format!("no connection {id} on {x}"))
                }
            }
            Route::Guidance(e, x, id) | Route::Features(e, x, id) | Route::Feature(e, x, id, _) => {
                let Some((env, ix)) = find_ix(e, x) else {
                    return error(404, format!("no interconnect {x} in {e}"));
                };
                let here = self
                    .books()
                    .get(*id)
                    .is_some_and(|p| p.seen(config, caller, env, ix));
                if !here {
                    return error(404, format!("no connection {id} on {x}"));
                }
                let channels = Self::channels(config, ix);
                let ix_path = resources::connection_path(parties, env, ix, "");
                let ix_path = ix_path.trim_end_matches("/connections/");
                let slash = if naming.leading_slash { "/" } else { "" };
                let place = Place {
                    interconnect: format!("{}/{}", env.id, ix.id),
                    ix_index: env
                        .interconnects
                        .iter()
                        .position(|i| i.id == ix.id)
                        .unwrap_or(0),
                    channels: &channels,
                    connection_path: format!(
                        "{slash}{}",
                        resources::connection_path(parties, env, ix, id)
                    ),
                    channel_path: format!("{slash}{ix_path}/channels/"),
                    connection: id,
                };
                match (route, request.method.as_str()) {
                    (Route::Guidance(..), "POST") => {
                        self.features.guidance(config, &place, request)
                    }
                    (Route::Features(..), "POST") => {
                        self.features.create(now, config, &place, request)
                    }
                    (Route::Features(..), "GET") => {
                        paging::answer("features", self.features.list(now, &place), request, paging)
                    }
                    (Route::Feature(.., f), "GET") => self.features.get(now, &place, f),
                    (Route::Feature(.., f), "DELETE") => self.features.delete(config, &place, f),
                    _ => not_allowed(route, request),
                }
            }
            _ => not_allowed(route, request),
        }
    }

    /// Where connection `id` is placed: its environment and interconnect.
    pub fn placement(&self, id: &str) -> Option<(String, String)> {
        self.books()
            .get(id)
            .map(|p| (p.environment.clone(), p.interconnect.clone()))
    }

    /// Whether the features of connection `id` make it ready at `now` (CCI-L-39): at
    /// least [`ready_at`] of its interconnect's channels have one, and every one it
    /// holds is PROVISIONING_STATE_FINAL.
    pub fn ready(&self, now: std::time::Duration, config: &SimConfig, id: &str) -> bool {
        let (held, finals) = self.features.count(now, id);
        self.enough_features(config, id) && finals == held
    }

    /// Whether connection `id` holds features on at least [`ready_at`] of its
    /// interconnect's channels, final or not.
    pub fn enough_features(&self, config: &SimConfig, id: &str) -> bool {
        let Some((_, _, ix)) = self.placed_on(config, id) else {
            return false;
        };
        let (held, _) = self.features.count(std::time::Duration::ZERO, id);
        held >= ready_at(Self::channels(config, ix).len())
    }

    /// Marks connection `id` VERIFICATION_STATE_VERIFIED (CCI-L-41); false when it is
    /// not placed (any more).
    pub fn verify(&self, id: &str) -> bool {
        match self.books().get_mut(id) {
            Some(p) => {
                p.verified = true;
                true
            }
            None => false,
        }
    }

    /// Forgets connection `id` and its features, freeing what they held.
    pub fn forget(&self, config: &SimConfig, id: &str) {
        self.books().remove(id);
        self.features.drop_connection(config, id);
    }

    /// Whether connection `id` is VERIFICATION_STATE_VERIFIED.
    pub fn is_verified(&self, id: &str) -> bool {
        self.books().get(id).is_some_and(|p| p.verified)
    }

    /// The bare channel name of feature `feature` of connection `id`.
    pub fn feature_channel(&self, id: &str, feature: &str) -> Option<String> {
        self.features.channel_of(id, feature)
    }

    /// Whether connection `id` holds a feature on `channel` (a bare name).
    pub fn holds_on(&self, id: &str, channel: &str) -> bool {
        self.features.holds_on(id, channel)
    }

    /// Whether the server owns `channel` of connection `id`'s interconnect: it is the
    /// channel's manager provider.
    pub fn owns(&self, config: &SimConfig, id: &str, channel: &str) -> bool {
        self.placed_on(config, id).is_some_and(|(_, _, ix)| {
            Self::channels(config, ix)
                .iter()
                .any(|c| c.name == channel && c.manager == Side::Iut)
        })
    }

    /// Holds the server's own proposal `body` as feature `feature` of connection `id`
    /// (owner repair, CCI-L-56): whether it keeps to the server's guidance and took.
    pub fn hold_own(
        &self,
        now: std::time::Duration,
        config: &SimConfig,
        id: &str,
        feature: &str,
        body: &Value,
    ) -> bool {
        let Some((env, ix_index, ix)) = self.placed_on(config, id) else {
            return false;
        };
        let channels = Self::channels(config, ix);
        let place = Place {
            interconnect: format!("{}/{}", env.id, ix.id),
            ix_index,
            channels: &channels,
            connection_path: String::new(),
            channel_path: String::new(),
            connection: id,
        };
        let reply = self
            .features
            .accept(now, config, &place, feature.to_string(), body);
        (200..300).contains(&reply.status)
    }

    /// Forgets the server's own feature `feature` of connection `id` (the peer refused
    /// it).
    pub fn drop_own(&self, id: &str, feature: &str) {
        self.features.forget(id, feature);
    }

    /// Connection `id`'s environment, its interconnect's index there, and the
    /// interconnect, from the fixture.
    fn placed_on<'c>(
        &self,
        config: &'c SimConfig,
        id: &str,
    ) -> Option<(&'c Environment, usize, &'c Interconnect)> {
        let (env, ix) = self.placement(id)?;
        let env = config.environments.iter().find(|e| e.id == env)?;
        let index = env.interconnects.iter().position(|i| i.id == ix)?;
        Some((env, index, &env.interconnects[index]))
    }

    /// Whether `caller` deleted connection `id` before.
    fn deleted_by(&self, caller: &str, id: &str) -> bool {
        self.gone
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .contains(&(caller.to_string(), id.to_string()))
    }

    fn books(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Placed>> {
        self.placed.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The channels served: the fixture's, or (fault) ch1…ch4 whatever it says.
    fn channels(
        config: &SimConfig,
        ix: &Interconnect,
    ) -> Vec<crate::protocols::cci::target::Channel> {
        if !config.has(Fault::ALcHardcodedChannels) {
            return ix.channels.clone();
        }
        ix.channels
            .iter()
            .enumerate()
            .map(|(i, c)| crate::protocols::cci::target::Channel {
                name: format!("ch{}", i + 1),
                manager: c.manager,
            })
            .collect()
    }

    fn interconnect(
        &self,
        config: &SimConfig,
        parties: Parties<'_>,
        naming: Naming,
        env: &Environment,
        ix: &Interconnect,
    ) -> Value {
        let mut sizes = ix.sizes_in(env).to_vec();
        if config.has(Fault::ALcIxSizesSubset) && sizes.len() > 1 {
            let top = sizes.iter().copied().max().unwrap_or(0);
            sizes.retain(|s| *s != top);
        }
        resources::interconnect(parties, naming, env, ix, &sizes)
    }

    #[allow(clippy::too_many_arguments)]
    fn create(
        &self,
        config: &SimConfig,
        parties: Parties<'_>,
        naming: Naming,
        env: &Environment,
        ix: &Interconnect,
        request: &RecordedRequest,
        facts: &dyn Fn(&str) -> Option<KeyFacts>,
    ) -> PeerReply {
        let Some(id) = request
            .query_param("connectionId")
            .filter(|i| !i.is_empty())
        else {
            return error(400, "the connectionId query parameter is required");
        };
        let Some(body) = &request.json else {
            return not_json(config);
        };
        let Ok(bandwidth) = bandwidth_of(body) else {
            return error(400, "bandwidthMbps (integer) is required");
        };
        if ix.state != IxState::Active && !config.has(Fault::ALcAcceptsClosed) {
            return error(
                409,
                format!(
                    "interconnect {} takes no new connections ({})",
                    ix.id,
                    ix.state.wire()
                ),
            );
        }
        let lenient = config.has(Fault::ALcAcceptsUnconfirmed);
        let known = facts(&id);
        let key = match &known {
            Some(k) if k.environment == env.id && k.confirmed && !k.deleted => k.key.clone(),
            _ if lenient => known.as_ref().map(|k| k.key.clone()).unwrap_or_default(),
            _ => {
                return error(
                    404,
                    format!("no confirmed activation key for {id} in {}", env.id),
                )
            }
        };
        let mut placed = self.books();
        if placed.contains_key(&id) && !config.has(Fault::ALcOverwritesDuplicate) {
            return error(409, format!("connection {id} is already created"));
        }
        if let Some(k) = &known {
            if k.size != bandwidth && !config.has(Fault::ALcAcceptsOtherBandwidth) {
                return error(
                    400,
                    format!("bandwidthMbps {bandwidth} is not the key's {}", k.size),
                );
            }
        }
        if let Some(sent) = body.get("activationKey").and_then(Value::as_str) {
            if sent != key {
                return error(
                    400,
                    "activationKey is not the key issued for this connection",
                );
            }
        }
        // The fault checks and reserves in two steps: the create just before this one
        // has not landed yet when this one checks (counted in creates, not in time,
        // so that both clocks see the same race).
        let mut last = self.last_create.lock().unwrap_or_else(|p| p.into_inner());
        let unlanded = last
            .replace(id.clone())
            .filter(|_| config.has(Fault::ALcRoomRace));
        drop(last);
        let used: u32 = placed
            .iter()
            .filter(|(other, p)| {
                **other != id
                    && p.environment == env.id
                    && p.interconnect == ix.id
                    && unlanded.as_deref() != Some(other.as_str())
            })
            .map(|(_, p)| p.reserved)
            .sum();
        if used.saturating_add(bandwidth) > ix.max_mbps {
            return error(
                409,
                format!("no room on {}: {used} of {} Mbps taken", ix.id, ix.max_mbps),
            );
        }
        let p = Placed {
            environment: env.id.clone(),
            interconnect: ix.id.clone(),
            bandwidth,
            reserved: bandwidth,
            key,
            owner: parties.caller.to_string(),
            verified: false,
        };
        let answer = connection(parties, naming, env, ix, &id, &p);
        if !config.has(Fault::ALcCreateUnstored) {
            placed.insert(id, p);
        }
        let status = if config.variations.contains(&Variation::Create200) {
            200
        } else {
            201
        };
        PeerReply::json(status, &shown(config, answer))
    }
}

/// 405 for a method the route does not serve, with its Allow header.
fn not_allowed(route: &Route<'_>, request: &RecordedRequest) -> PeerReply {
    let mut reply = error(
        405,
        format!("{} is not served on this path", request.method),
    );
    reply.headers.push(("allow".into(), allowed(route).into()));
    reply
}

/// The answer to a create whose body is not JSON: 400, or (fault) 500.
pub(super) fn not_json(config: &SimConfig) -> PeerReply {
    if config.has(Fault::ALcGarbage500) {
        return PeerReply {
            status: 500,
            content_type: Some("text/plain".into()),
            headers: vec![],
            body: b"internal error".to_vec(),
        };
    }
    error(400, "the body is not JSON")
}

/// An Environment as served, bent by the fault that lists a third site.
fn environment(config: &SimConfig, parties: Parties<'_>, naming: Naming, e: &Environment) -> Value {
    let mut v = resources::environment(parties, naming, e);
    if config.has(Fault::ALcExtraSites) {
        if let Some(Value::Array(sites)) = v.get_mut("providerSites") {
            sites.push(json!({"providerId": "providers/elsewhere", "site": "site-9", "displayName": "a third site"}));
        }
    }
    v
}

/// The `index`th Channel of `channels` as served, bent by the LAG and device faults.
fn channel(
    config: &SimConfig,
    parties: Parties<'_>,
    naming: Naming,
    env: &Environment,
    ix: &Interconnect,
    channels: &[crate::protocols::cci::target::Channel],
    index: usize,
) -> Value {
    let Some(c) = channels.get(index) else {
        return Value::Null;
    };
    let mut v = resources::channel(parties, naming, env, ix, index, c);
    if config.has(Fault::ALcMixedLags) && index + 1 == channels.len() && index > 0 {
        v["channelMemberSizeGbps"] = json!(10);
        v["aggregateChannelSizeGbps"] = json!(40);
    }
    if config.has(Fault::ALcSharedDevice) && index == 1 {
        v["obfuscatedDeviceId"] =
            resources::channel(parties, naming, env, ix, 0, c)["obfuscatedDeviceId"].clone();
    }
    v
}

/// The Allow header of a route.
fn allowed(route: &Route<'_>) -> &'static str {
    match route {
        Route::Connections(..) => "GET, POST",
        Route::Connection(..) => "GET, PATCH, DELETE",
        Route::Feature(..) => "GET, DELETE",
        Route::Features(..) => "GET, POST",
        Route::Guidance(..) | Route::Notify(..) => "POST",
        _ => "GET",
    }
}
