//! The reference negotiator's drive after a confirmed key (PROTOCOLS.md §1b, v1 only):
//! local connection first, then CreateConnection on the best interconnect of the
//! peer, guidance, a feature per channel from it, its network provisioning on the
//! clock, NotifyConnectionStatus until acknowledged, and VERIFIED once the peer has
//! notified too and its features read FINAL.

use std::sync::Arc;
use std::time::Duration;

use futures_util::future::join_all;
use serde_json::{json, Value};

use super::CspB;
use crate::http::{HttpRequest, HttpResponse};
use crate::protocols::cci::lifecycle::guidance;
use crate::protocols::cci::lifecycle::negotiator::{ready_at, Local, LocalFeature};
use crate::protocols::cci::lifecycle::proposal;
use crate::protocols::cci::sim::faults::Fault;
use crate::protocols::cci::sim::variation::Variation;

/// How often the drive looks at the clock while it waits.
const TICK: Duration = Duration::from_millis(100);
/// How long the drive keeps at one thing (a notification, the peer's readiness).
const PATIENCE: Duration = Duration::from_secs(120);
/// Retries of one channel after a 409.
const CHANNEL_RETRIES: u64 = 3;
/// How often the F-06 fault sends one CreateConnection to the same interconnect.
const SAME_IX_TRIES: usize = 20;
/// How many VLAN ids there are to try.
const MAX_VLANS: u64 = 4096;
/// The customer states of the lifecycle (§1b, customer binding).
pub const PROVISIONING: &str = "PROVISIONING";
/// Verified and usable.
pub const ACTIVE: &str = "ACTIVE";

/// What the drive needs of the key.
#[derive(Debug, Clone)]
pub struct Intent {
    /// B's customer connection id.
    pub customer: String,
    /// The environment.
    pub environment: String,
    /// connectionSizeMbps.
    pub size: u32,
    /// sharedConnectionUuid.
    pub uuid: String,
    /// The key as presented.
    pub key: String,
}

impl CspB {
    fn peer_request(&self, method: &str, path: &str, body: Option<Value>) -> HttpRequest {
        let base = self.config.peer_base.clone().unwrap_or_default();
        let mut headers = vec![(
            "authorization".to_string(),
            format!("Bearer {}", self.config.own_token),
        )];
        if body.is_some() {
            headers.push(("content-type".into(), "application/json".into()));
        }
        HttpRequest {
            method: method.into(),
            url: format!("{base}/providers/{}/{path}", self.config.own_id),
            headers,
            body: body.map(|b| b.to_string().into_bytes()),
        }
    }

    pub(super) async fn ask(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> Option<HttpResponse> {
        let request = self.peer_request(method, path, body);
        self.http
            .send(&request, self.config.peer_timeout)
            .await
            .ok()
    }

    /// The peer's interconnects in `environment`, every page.
    async fn interconnects(&self, environment: &str) -> Vec<Value> {
        let mut all = Vec::new();
        let mut token = String::new();
        for _ in 0..20 {
            let query = if token.is_empty() {
                String::new()
            } else {
                format!("?pageToken={token}")
            };
            let path = format!("environments/{environment}/interconnects{query}");
            let Some(page) = self.ask("GET", &path, None).await.and_then(|r| r.json) else {
                break;
            };
            if let Some(Value::Array(items)) = page.get("interconnects") {
                all.extend(items.iter().cloned());
            }
            match page.get("nextPageToken").and_then(Value::as_str) {
                Some(t) if !t.is_empty() => token = t.to_string(),
                _ => break,
            }
        }
        all
    }

    /// V-18: the environment and interconnect read again, for no reason.
    async fn extra_reads(&self, environment: &str, interconnect: &str) {
        if self.config.variations.contains(&Variation::ExtraReads) {
            let _ = self
                .ask("GET", &format!("environments/{environment}"), None)
                .await;
            let _ = self
                .ask(
                    "GET",
                    &format!("environments/{environment}/interconnects/{interconnect}"),
                    None,
                )
                .await;
        }
    }

    fn set_customer(&self, id: &str, state: &'static str) {
        if let Some(c) = self.connections().get_mut(id) {
            c.state = state;
        }
    }

    /// Drives the lifecycle of a confirmed key to VERIFIED, or gives up cleanly.
    pub(super) async fn negotiate(self: Arc<Self>, intent: Intent) {
        let Some(ix) = self.place(&intent).await else {
            self.negotiator.books().remove(&intent.uuid);
            self.set_customer(&intent.customer, super::FAILED);
            self.after_giving_up(&intent).await;
            return;
        };
        let c = format!(
            "environments/{}/interconnects/{ix}/connections/{}",
            intent.environment, intent.uuid
        );
        let ((mut taken, channels), mut later) = self.propose(&intent, &ix, &c).await;
        let required = if self.config.has(Fault::BLcReadyWithTwo) {
            2
        } else if self.config.has(Fault::BLcWaitsForFour) {
            channels
        } else {
            ready_at(channels)
        };
        if taken < required {
            // V-09 holds channels back only when the connection can go live without.
            for (i, entry) in std::mem::take(&mut later) {
                if self.gone(&intent.uuid) {
                    return;
                }
                taken += usize::from(
                    self.propose_one(&intent, &c, i, entry, self.first_slot())
                        .await,
                );
            }
        }
        let accepted = (taken, channels);
        if accepted.0 < required {
            tracing::info!(
                accepted = accepted.0,
                required,
                "not ready: no notification"
            );
            return;
        }
        self.set_customer(&intent.customer, PROVISIONING);
        let clock = self.clock.clone();
        let own_final = || {
            self.negotiator
                .get(&intent.uuid)
                .is_some_and(|l| l.final_at(clock.now()))
        };
        while !own_final() {
            if self.gone(&intent.uuid) {
                return;
            }
            tokio::time::sleep(TICK).await;
        }
        if !self.notify(&intent.uuid, &c).await {
            return;
        }
        self.negotiator
            .with(&intent.uuid, |l| l.acknowledged = true);
        // V-09: live with 3 of 4, the rest proposed afterwards.
        for (i, entry) in later {
            if self.gone(&intent.uuid) {
                return;
            }
            self.propose_one(&intent, &c, i, entry, self.first_slot())
                .await;
        }
        let start = clock.now();
        loop {
            if self.gone(&intent.uuid) {
                return;
            }
            let notified = self
                .negotiator
                .get(&intent.uuid)
                .is_some_and(|l| l.peer_notified);
            if (notified || self.config.has(Fault::BLcVerifiesAlone)) && self.peer_final(&c).await {
                break;
            }
            if clock.now() >= start + PATIENCE {
                return;
            }
            tokio::time::sleep(TICK).await;
        }
        self.negotiator.with(&intent.uuid, |l| l.verified = true);
        self.set_customer(&intent.customer, ACTIVE);
    }

    /// Local connection, then CreateConnection on the best interconnect; after a
    /// refusal, the interconnects read again and the best one not tried yet, with
    /// backoff (CCI-L-22): the interconnect it was placed on.
    async fn place(&self, intent: &Intent) -> Option<String> {
        let mut tried: Vec<String> = Vec::new();
        let mut listed = self.interconnects(&intent.environment).await;
        let mut backoff = Duration::from_millis(200);
        let tries = if self.config.has(Fault::BLcRetriesSameIx) {
            SAME_IX_TRIES
        } else {
            1
        };
        loop {
            let ix = self
                .candidates(&listed, intent.size)
                .into_iter()
                .find(|ix| !tried.contains(ix))?;
            tried.push(ix.clone());
            for _ in 0..tries {
                if self.create_at(intent, &ix).await {
                    return Some(ix);
                }
                if tries > 1 {
                    // F-06: the list read again, and the same interconnect at once.
                    let _ = self.interconnects(&intent.environment).await;
                }
            }
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(Duration::from_secs(4));
            // CCI-L-22: the peer's interconnects read again before the next one.
            listed = self.interconnects(&intent.environment).await;
        }
    }

    /// What the faults do after the customer was told the placement failed: more
    /// CreateConnection calls (CCI-L-22 wants none).
    async fn after_giving_up(&self, intent: &Intent) {
        let (rounds, pause) = if self.config.has(Fault::BLcFailsButRetries) {
            (120, Duration::from_millis(500))
        } else if self.config.has(Fault::BLcRetriesAfterGivingUp) {
            (1, Duration::from_secs(2))
        } else {
            return;
        };
        let listed = self.interconnects(&intent.environment).await;
        let Some(ix) = self.candidates(&listed, intent.size).into_iter().next() else {
            return;
        };
        for _ in 0..rounds {
            tokio::time::sleep(pause).await;
            if self.create_at(intent, &ix).await {
                return;
            }
        }
    }

    /// The interconnects of `listed` a connection of `size` may go to, best first
    /// (CCI-L-20, L-21).
    fn candidates(&self, listed: &[Value], size: u32) -> Vec<String> {
        let mut candidates: Vec<(u64, String)> = listed
            .iter()
            .filter_map(|ix| {
                let id = ix.get("name")?.as_str()?.rsplit('/').next()?.to_string();
                let active =
                    ix.get("state").and_then(Value::as_str) == Some("INTERCONNECT_STATE_ACTIVE");
                let max = ix.get("maxBandwidthMbps").and_then(Value::as_u64)?;
                let offers = ix
                    .get("supportedConnectionSizeMbps")
                    .and_then(Value::as_array)
                    .is_some_and(|s| s.iter().any(|v| v.as_u64() == Some(size.into())));
                let fits = self.config.has(Fault::BLcFirstInterconnect)
                    || (active && offers && max >= u64::from(size));
                fits.then_some((max, id))
            })
            .collect();
        if self.config.has(Fault::BLcFirstInterconnect) {
            candidates.truncate(1);
        } else if self.config.has(Fault::BLcLeastRoom) {
            candidates.sort_by_key(|c| c.0);
        } else {
            // CCI-L-21: the most room first.
            candidates.sort_by_key(|c| std::cmp::Reverse(c.0));
        }
        candidates.into_iter().map(|(_, id)| id).collect()
    }

    /// Local connection on `ix`, then CreateConnection there: whether it was placed.
    async fn create_at(&self, intent: &Intent, ix: &str) -> bool {
        self.extra_reads(&intent.environment, ix).await;
        let local = Local::new(&intent.environment, ix, intent.size, &intent.key);
        let remote_first = self.config.has(Fault::BLcRemoteFirst);
        if !remote_first {
            self.negotiator
                .books()
                .insert(intent.uuid.clone(), local.clone());
        }
        let path = format!(
            "environments/{}/interconnects/{ix}/connections?connectionId={}",
            intent.environment, intent.uuid
        );
        let body = json!({"bandwidthMbps": intent.size, "activationKey": intent.key});
        let answer = self.ask("POST", &path, Some(body)).await;
        let placed = match answer.as_ref().map(|r| r.status) {
            Some(s) if (200..300).contains(&s) => true,
            None if self.config.has(Fault::BLcNoReconcile) => false,
            // CCI-L-23: an ambiguous answer is settled by reading the peer.
            Some(409) | Some(500..) | None => {
                let c = format!(
                    "environments/{}/interconnects/{ix}/connections/{}",
                    intent.environment, intent.uuid
                );
                self.ask("GET", &c, None)
                    .await
                    .is_some_and(|r| r.status == 200)
            }
            Some(_) => false,
        };
        if placed {
            if remote_first {
                self.negotiator.books().insert(intent.uuid.clone(), local);
            }
        } else {
            self.negotiator.books().remove(&intent.uuid);
        }
        placed
    }

    /// Guidance, then a feature per enabled channel (local first): how many were
    /// accepted, of how many channels.
    /// The slot of a channel's first proposal (the second under V-08).
    fn first_slot(&self) -> u64 {
        u64::from(self.config.variations.contains(&Variation::OtherValues))
    }

    /// Guidance, then a proposal on each enabled channel: how many were accepted of
    /// how many channels, and (V-09) the channels left for after going live.
    async fn propose(
        &self,
        intent: &Intent,
        ix: &str,
        c: &str,
    ) -> ((usize, usize), Vec<(usize, Value)>) {
        let late = self.config.has(Fault::BLcGuidanceLate);
        if late {
            let own = guidance::reference(&format!("{c}/channels/ch-early"), 0, 0);
            if let Ok(body) = proposal::make(&own, &self.config.own_id, &self.config.peer_id, 0) {
                let _ = self
                    .ask(
                        "POST",
                        &format!("{c}/features?featureId=f-early"),
                        Some(body),
                    )
                    .await;
            }
        }
        self.extra_reads(&intent.environment, ix).await;
        let Some(entries) = self.guidance(c, None).await else {
            return ((0, 0), Vec::new());
        };
        let channels = entries.len();
        let mut enabled: Vec<(usize, Value)> = entries
            .into_iter()
            .enumerate()
            .filter(|(_, e)| {
                e.get("channelAdminState").and_then(Value::as_str) != Some("ADMIN_STATE_DISABLED")
            })
            .collect();
        let later = if self.config.variations.contains(&Variation::FourthLater) {
            enabled.split_off(ready_at(channels).min(enabled.len()))
        } else {
            Vec::new()
        };
        let slot = self.first_slot();
        let outcomes: Vec<bool> = if self.config.variations.contains(&Variation::FeaturesAtOnce) {
            join_all(
                enabled
                    .iter()
                    .map(|(i, e)| self.propose_one(intent, c, *i, e.clone(), slot)),
            )
            .await
        } else {
            let mut out = Vec::new();
            for (i, e) in &enabled {
                if self.gone(&intent.uuid) {
                    break;
                }
                out.push(self.propose_one(intent, c, *i, e.clone(), slot).await);
            }
            out
        };
        (
            (outcomes.into_iter().filter(|ok| *ok).count(), channels),
            later,
        )
    }

    /// The first proposal from `entry` at `slot` or after whose VLAN none of B's
    /// connections uses on that channel already (CCI-L-33: the guidance does not
    /// filter them), with its slot.
    fn free_proposal(&self, entry: &Value, slot: u64) -> Option<(u64, Value)> {
        let channel = entry.get("channel");
        let vlan = |body: &Value| body.pointer("/featureConfig/l3BaseConfig/vlanId")?.as_u64();
        let used: std::collections::BTreeSet<u64> = self
            .negotiator
            .books()
            .values()
            .flat_map(|l| l.features.values())
            .filter(|f| f.body.get("channel") == channel)
            .filter_map(|f| vlan(&f.body))
            .collect();
        (slot..slot + MAX_VLANS).find_map(|s| {
            let body = proposal::make(entry, &self.config.own_id, &self.config.peer_id, s).ok()?;
            (!vlan(&body).is_some_and(|v| used.contains(&v))).then_some((s, body))
        })
    }

    /// The peer's guidance for connection `c`; `again` for the channel named when it
    /// is asked once more after a 409.
    async fn guidance(&self, c: &str, again: Option<&str>) -> Option<Vec<Value>> {
        let query = match again {
            Some(channel) if self.config.variations.contains(&Variation::GuidanceQuery) => {
                let bare = channel.rsplit('/').next().unwrap_or(channel);
                format!("?channelId={bare}&featureType=FEATURE_TYPE_L3_BASE")
            }
            _ => String::new(),
        };
        let answer = self
            .ask(
                "POST",
                &format!("{c}/GenerateFeatureGuidance{query}"),
                Some(json!({})),
            )
            .await?;
        match answer.json?.get("featureGuidance")? {
            Value::Array(entries) if answer.status == 200 => Some(entries.clone()),
            _ => None,
        }
    }

    /// One channel's feature: local first, then CreateFeature; after a 409, guidance
    /// again and other values (CCI-L-35); after a 400, no resend.
    async fn propose_one(
        &self,
        intent: &Intent,
        c: &str,
        index: usize,
        mut entry: Value,
        first_slot: u64,
    ) -> bool {
        let feature_id = format!("f-{}", index + 1);
        let mut slot = first_slot;
        for attempt in 0..=CHANNEL_RETRIES {
            if attempt > 0 {
                slot += 1;
            }
            let Some((next, mut body)) = self.free_proposal(&entry, slot) else {
                return false;
            };
            slot = next;
            if self.config.has(Fault::BLcLowMtu) {
                let lowest = guidance::L3Guidance::read(&entry)
                    .ok()
                    .and_then(|g| g.mtus.iter().map(|r| r.start).min());
                if let Some(mtu) = lowest {
                    body["featureConfig"]["l3BaseConfig"]["mtuBytes"] = json!(mtu);
                }
            }
            if self.config.has(Fault::BLcChannels1To4) {
                let prefix = format!("{c}/channels/");
                body["channel"] = json!(format!("{prefix}ch{}", index + 1));
            }
            let record = |body: &Value| {
                self.negotiator.with(&intent.uuid, |l| {
                    l.features.insert(
                        feature_id.clone(),
                        LocalFeature {
                            body: body.clone(),
                            accepted_at: None,
                        },
                    );
                });
            };
            let remote_first = self.config.has(Fault::BLcFeatureRemoteFirst);
            if !remote_first {
                record(&body);
            }
            let path = format!("{c}/features?featureId={feature_id}");
            let status = if self.config.has(Fault::BLcFeatureCaller) {
                let mut request = self.peer_request("POST", &path, Some(body.clone()));
                request.url = request.url.replace(
                    &format!("/providers/{}/", self.config.own_id),
                    &format!("/providers/{}/", self.config.peer_id),
                );
                self.http
                    .send(&request, self.config.peer_timeout)
                    .await
                    .ok()
                    .map(|r| r.status)
            } else {
                self.ask("POST", &path, Some(body.clone()))
                    .await
                    .map(|r| r.status)
            };
            if remote_first {
                record(&body);
            }
            match status {
                Some(s) if (200..300).contains(&s) => {
                    let now = self.clock.now();
                    self.negotiator.with(&intent.uuid, |l| {
                        if let Some(f) = l.features.get_mut(&feature_id) {
                            f.accepted_at = Some(now);
                        }
                    });
                    return true;
                }
                Some(409) if self.config.has(Fault::BLcRetrySame) => {
                    self.negotiator.with(&intent.uuid, |l| {
                        l.features.remove(&feature_id);
                    });
                    // The same slot, so the same body, and no new guidance.
                    slot = slot.saturating_sub(1);
                }
                Some(409) => {
                    self.negotiator.with(&intent.uuid, |l| {
                        l.features.remove(&feature_id);
                    });
                    let channel = entry.get("channel").cloned().unwrap_or(Value::Null);
                    if let Some(fresh) = self.guidance(c, channel.as_str()).await {
                        if let Some(e) = fresh
                            .into_iter()
                            .find(|e| e.get("channel") == Some(&channel))
                        {
                            entry = e;
                        }
                    }
                }
                Some(400)
                    if attempt == 0
                        && self.config.variations.contains(&Variation::RetriesAfter400) =>
                {
                    // The next slot gives other values: never the refused body again.
                    self.negotiator.with(&intent.uuid, |l| {
                        l.features.remove(&feature_id);
                    });
                }
                _ => {
                    self.negotiator.with(&intent.uuid, |l| {
                        l.features.remove(&feature_id);
                    });
                    return false;
                }
            }
        }
        false
    }

    /// Whether local connection `uuid` is gone (deleted by the peer or the customer):
    /// the drive then stops calling the peer about it (CCI-L-54).
    pub(super) fn gone(&self, uuid: &str) -> bool {
        self.negotiator.get(uuid).is_none()
    }

    /// NotifyConnectionStatus about `uuid` at `c` until a 2xx (CCI-L-39), unless the
    /// connection goes meanwhile: whether it was acknowledged.
    pub(super) async fn notify(&self, uuid: &str, c: &str) -> bool {
        let path = format!("{c}/NotifyConnectionStatus");
        let start = self.clock.now();
        let mut backoff = Duration::from_millis(200);
        loop {
            if self.gone(uuid) {
                return false;
            }
            let status = self
                .ask("POST", &path, Some(json!({})))
                .await
                .map(|r| r.status);
            let ok = status.is_some_and(|s| (200..300).contains(&s));
            if ok || self.config.has(Fault::BLcNotifiesOnce) {
                if ok && self.config.variations.contains(&Variation::NotifiesTwice) {
                    let _ = self.ask("POST", &path, Some(json!({}))).await;
                }
                return true;
            }
            if self.clock.now() >= start + PATIENCE {
                return false;
            }
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(Duration::from_secs(5));
        }
    }

    /// Whether the peer's features read FINAL (Q-9, CCI-L-43).
    async fn peer_final(&self, c: &str) -> bool {
        if self.config.has(Fault::BLcIgnoresPending) {
            return true;
        }
        let Some(answer) = self.ask("GET", &format!("{c}/features"), None).await else {
            return false;
        };
        match answer.json.as_ref().and_then(|j| j.get("features")) {
            Some(Value::Array(list)) if answer.status == 200 && !list.is_empty() => {
                list.iter().all(|f| {
                    f.get("provisioningState").and_then(Value::as_str)
                        == Some("PROVISIONING_STATE_FINAL")
                })
            }
            _ => false,
        }
    }

    /// The peer's NotifyConnectionStatus for `uuid` (answered already): refreshes the
    /// connection from the peer (CCI-L-40) and counts the notice, unless it came too
    /// early for the fault.
    pub(super) async fn notified(self: Arc<Self>, uuid: String) {
        let Some(local) = self.negotiator.get(&uuid) else {
            return;
        };
        if self.config.has(Fault::BLcDropsEarlyNotice) && !local.final_at(self.clock.now()) {
            return;
        }
        if !self.config.has(Fault::BLcNoRefresh) {
            let c = format!(
                "environments/{}/interconnects/{}/connections/{uuid}",
                local.environment, local.interconnect
            );
            let _ = self.ask("GET", &c, None).await;
        }
        self.negotiator.with(&uuid, |l| l.peer_notified = true);
    }
}
