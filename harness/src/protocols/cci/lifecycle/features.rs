//! The responder's features (PROTOCOLS.md §1b, CCI-L-24 … L-29, L-38, L-53, L-55):
//! guidance per channel, CreateFeature judged against it, the VLAN and subnet each
//! accepted feature takes on its channel, and what deleting gives back.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

use serde_json::{json, Value};

use super::guidance::{self, L3Guidance, Leniency, Taken};
use crate::peers::{PeerReply, RecordedRequest};
use crate::protocols::cci::sim::faults::Fault;
use crate::protocols::cci::sim::variation::Variation;
use crate::protocols::cci::sim::world::SimConfig;
use crate::protocols::cci::target::Channel;

/// How long after acceptance a feature turns PROVISIONING_STATE_FINAL (the simulated
/// network, on the simulator's clock).
pub const PROVISION_DELAY: Duration = Duration::from_secs(2);

/// How late a reservation counts for others under the race fault.
const RACE_LAG: Duration = Duration::from_millis(500);

/// Where a feature lives: connection, then feature id.
type Key = (String, String);

/// An accepted feature.
#[derive(Debug, Clone)]
struct Feature {
    /// Its interconnect (qualified by the environment).
    interconnect: String,
    /// The channel's bare name.
    channel: String,
    /// The proposal as sent.
    body: Value,
    /// What it takes on its channel.
    taken: Taken,
    /// When it was accepted.
    at: Duration,
}

/// A VLAN and subnet still held on a channel after its feature is gone (fault).
#[derive(Debug, Clone)]
struct Ghost {
    interconnect: String,
    channel: String,
    taken: Taken,
}

/// The features of every connection, and what they hold.
#[derive(Debug, Default)]
pub struct Features {
    books: Mutex<(BTreeMap<Key, Feature>, Vec<Ghost>)>,
}

/// Where a request's connection is: its interconnect, the interconnect's index in its
/// environment, its channels, and the names under it.
pub struct Place<'a> {
    /// The interconnect's id, qualified by the environment.
    pub interconnect: String,
    /// The interconnect's index in its environment.
    pub ix_index: usize,
    /// Its channels as served.
    pub channels: &'a [Channel],
    /// The relative path of the connection's resource (names are under it).
    pub connection_path: String,
    /// The channels' path prefix (`…/channels/`).
    pub channel_path: String,
    /// The connection's id.
    pub connection: &'a str,
}

fn error(status: u16, message: impl Into<String>) -> PeerReply {
    PeerReply::json(status, &json!({"error": message.into()}))
}

impl Features {
    fn lock(&self) -> std::sync::MutexGuard<'_, (BTreeMap<Key, Feature>, Vec<Ghost>)> {
        self.books.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// GenerateFeatureGuidance: one entry per channel, or the one `channelId` names (I-5).
    pub fn guidance(
        &self,
        config: &SimConfig,
        place: &Place<'_>,
        request: &RecordedRequest,
    ) -> PeerReply {
        let only = request.query_param("channelId");
        let hardcoded = config.has(Fault::ALcGuidanceCh1To4);
        let entries: Vec<Value> = place
            .channels
            .iter()
            .enumerate()
            .map(|(i, c)| {
                if hardcoded {
                    format!("ch{}", i + 1)
                } else {
                    c.name.clone()
                }
            })
            .enumerate()
            .filter(|(_, name)| only.as_deref().is_none_or(|o| bare(o) == name))
            .map(|(i, name)| {
                guidance::reference(&format!("{}{name}", place.channel_path), place.ix_index, i)
            })
            .collect();
        PeerReply::json(200, &json!({ "featureGuidance": entries }))
    }

    /// CreateFeature at `now`.
    pub fn create(
        &self,
        now: Duration,
        config: &SimConfig,
        place: &Place<'_>,
        request: &RecordedRequest,
    ) -> PeerReply {
        let Some(id) = request.query_param("featureId").filter(|i| !i.is_empty()) else {
            return error(400, "the featureId query parameter is required");
        };
        let Some(body) = &request.json else {
            return super::responder::not_json(config);
        };
        self.accept(now, config, place, id, body)
    }

    /// Takes feature `id` with proposal `body` for the connection at `place`, when it
    /// keeps to the guidance and clashes with nothing: the answer to its CreateFeature.
    pub fn accept(
        &self,
        now: Duration,
        config: &SimConfig,
        place: &Place<'_>,
        id: String,
        body: &Value,
    ) -> PeerReply {
        let Some(channel_name) = body.get("channel").and_then(Value::as_str) else {
            return error(400, "channel (string) is required");
        };
        let Some((index, channel)) = place
            .channels
            .iter()
            .enumerate()
            .find(|(_, c)| c.name == bare(channel_name))
        else {
            return error(
                400,
                format!("{channel_name} is no channel of this interconnect"),
            );
        };
        let config_of = body.get("featureConfig");
        if config_of
            .and_then(|c| c.get("featureType"))
            .and_then(Value::as_str)
            != Some("FEATURE_TYPE_L3_BASE")
        {
            return error(
                400,
                "featureConfig.featureType must be FEATURE_TYPE_L3_BASE",
            );
        }
        let Some(l3) = config_of.and_then(|c| c.get("l3BaseConfig")) else {
            if config.has(Fault::ALcFeature500) {
                return error(500, "internal error");
            }
            return error(400, "featureConfig.l3BaseConfig is required");
        };
        let entry = guidance::reference(&channel.name, place.ix_index, index);
        let rules = match L3Guidance::read(&entry) {
            Ok(g) => g,
            Err(e) => return error(500, e.to_string()),
        };
        let lenient = Leniency {
            ranges: config.has(Fault::ALcAcceptsLowVlan),
        };
        let taken = match guidance::check(l3, &rules, lenient) {
            Ok(t) => t,
            // V-06: 409 instead of 400 is legal (a warning at most, I-6).
            Err(why) if config.variations.contains(&Variation::Guidance409) => {
                return error(409, why.0)
            }
            Err(why) => return error(400, why.0),
        };
        let mut books = self.lock();
        let (features, ghosts) = &mut *books;
        let key = (place.connection.to_string(), id.clone());
        if let Some(stored) = features.get(&key) {
            // V-10: the same proposal again may be answered with the stored feature.
            if config.variations.contains(&Variation::RepeatTolerant) && stored.body == *body {
                return PeerReply::json(200, &render(place, &id, stored, now));
            }
            return error(409, format!("feature {id} already exists"));
        }
        let lag = if config.has(Fault::ALcVlanRace) {
            RACE_LAG
        } else {
            Duration::ZERO
        };
        let on_channel = |f: &Feature| {
            f.interconnect == place.interconnect
                && f.channel == channel.name
                && now.saturating_sub(f.at) >= lag
        };
        let mine = features
            .iter()
            .any(|((c, _), f)| c == place.connection && f.channel == channel.name);
        if mine && !config.has(Fault::ALcTwoPerChannel) {
            return error(
                409,
                format!("connection already has a feature on {}", channel.name),
            );
        }
        let clash = features
            .iter()
            .filter(|((c, _), f)| c != place.connection && on_channel(f))
            .map(|(_, f)| f.taken)
            .chain(
                ghosts
                    .iter()
                    .filter(|g| g.interconnect == place.interconnect && g.channel == channel.name)
                    .map(|g| g.taken),
            )
            .find(|t| t.vlan == taken.vlan || t.subnet.overlaps(taken.subnet));
        if let Some(t) = clash {
            return error(
                409,
                format!(
                    "VLAN {} or subnet {} is taken on {} (by VLAN {} / {})",
                    taken.vlan, taken.subnet, channel.name, t.vlan, t.subnet
                ),
            );
        }
        let feature = Feature {
            interconnect: place.interconnect.clone(),
            channel: channel.name.clone(),
            body: body.clone(),
            taken,
            at: now,
        };
        let answer = render(place, &id, &feature, now);
        features.insert(key, feature);
        PeerReply::json(200, &answer)
    }

    /// GetFeature.
    pub fn get(&self, now: Duration, place: &Place<'_>, id: &str) -> PeerReply {
        let books = self.lock();
        match books.0.get(&(place.connection.to_string(), id.to_string())) {
            Some(f) => PeerReply::json(200, &render(place, id, f, now)),
            None => error(
                404,
                format!("no feature {id} on connection {}", place.connection),
            ),
        }
    }

    /// ListFeatures: the connection's features, to be paged.
    pub fn list(&self, now: Duration, place: &Place<'_>) -> Vec<Value> {
        let books = self.lock();
        books
            .0
            .iter()
            .filter(|((c, _), _)| c == place.connection)
            .map(|((_, id), f)| render(place, id, f, now))
            .collect()
    }

    /// Forgets feature `id` of `connection` (a proposal of the server's own that the
    /// peer refused).
    pub fn forget(&self, connection: &str, id: &str) {
        self.lock()
            .0
            .remove(&(connection.to_string(), id.to_string()));
    }

    /// The bare channel name of feature `id` of `connection`.
    pub fn channel_of(&self, connection: &str, id: &str) -> Option<String> {
        self.lock()
            .0
            .get(&(connection.to_string(), id.to_string()))
            .map(|f| f.channel.clone())
    }

    /// Whether `connection` holds a feature on channel `channel` (a bare name).
    pub fn holds_on(&self, connection: &str, channel: &str) -> bool {
        self.lock()
            .0
            .iter()
            .any(|((c, _), f)| c == connection && f.channel == channel)
    }

    /// How many features `connection` holds, and how many of them are
    /// PROVISIONING_STATE_FINAL at `now`.
    pub fn count(&self, now: Duration, connection: &str) -> (usize, usize) {
        let books = self.lock();
        books
            .0
            .iter()
            .filter(|((c, _), _)| c == connection)
            .fold((0, 0), |(held, finals), (_, f)| {
                (held + 1, finals + usize::from(is_final(f, now)))
            })
    }

    /// Whether `connection` has any feature.
    pub fn holds_any(&self, connection: &str) -> bool {
        self.lock().0.keys().any(|(c, _)| c == connection)
    }

    /// DeleteFeature.
    pub fn delete(&self, config: &SimConfig, place: &Place<'_>, id: &str) -> PeerReply {
        let mut books = self.lock();
        let key = (place.connection.to_string(), id.to_string());
        if !books.0.contains_key(&key) {
            return error(
                404,
                format!("no feature {id} on connection {}", place.connection),
            );
        }
        if !config.has(Fault::ALcDeleteFeatureKept) {
            books.0.remove(&key);
        }
        PeerReply::json(200, &json!({}))
    }

    /// Drops every feature of `connection` (on `interconnect`), giving back what they
    /// held (or, under the fault, keeping it held).
    pub fn drop_connection(&self, config: &SimConfig, connection: &str) {
        let mut books = self.lock();
        let (features, ghosts) = &mut *books;
        let gone: Vec<Key> = features
            .keys()
            .filter(|(c, _)| c == connection)
            .cloned()
            .collect();
        for key in gone {
            if let Some(f) = features.remove(&key) {
                if config.has(Fault::ALcDeleteKeepsVlans) {
                    ghosts.push(Ghost {
                        interconnect: f.interconnect,
                        channel: f.channel,
                        taken: f.taken,
                    });
                }
            }
        }
    }
}

/// A channel's bare name from a name or a relative path.
fn bare(name: &str) -> &str {
    name.rsplit('/').next().unwrap_or(name)
}

/// Whether `f` is PROVISIONING_STATE_FINAL at `now`.
fn is_final(f: &Feature, now: Duration) -> bool {
    now.saturating_sub(f.at) >= PROVISION_DELAY
}

/// A Feature resource: the proposal as sent, its name and provisioning state.
fn render(place: &Place<'_>, id: &str, f: &Feature, now: Duration) -> Value {
    let mut v = f.body.clone();
    if let Some(o) = v.as_object_mut() {
        o.insert(
            "name".into(),
            json!(format!("{}/features/{id}", place.connection_path)),
        );
        let state = if is_final(f, now) {
            "PROVISIONING_STATE_FINAL"
        } else {
            "PROVISIONING_STATE_PENDING"
        };
        o.insert("provisioningState".into(), json!(state));
    }
    v
}
