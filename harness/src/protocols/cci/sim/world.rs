//! The simulators' shared world: tokens, and the settings each simulator runs with
//! (provider ids, environments and accounts come from a [`Shape`]).

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use crate::profile::FaultTable;
use crate::protocols::cci::intent::key::Dialect;
use crate::protocols::cci::shape::Shape;
use crate::protocols::cci::sim::faults::Fault;
use crate::protocols::cci::target::Environment;

/// The bearer token CSP A uses towards B.
pub const TOKEN_A: &str = "sim-token-a";
/// The bearer token CSP B uses towards A.
pub const TOKEN_B: &str = "sim-token-b";
/// The bearer token of the third provider (valid at A, but not for B's path).
pub const TOKEN_OTHER: &str = "sim-token-c";

/// How one simulator instance behaves.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// Key dialect.
    pub dialect: Dialect,
    /// This CSP's provider id.
    pub own_id: String,
    /// The other CSP's provider id.
    pub peer_id: String,
    /// Base URL (prefix included) of the other CSP's provider API, if known.
    pub peer_base: Option<String>,
    /// Path prefix of this CSP's own provider API.
    pub api_prefix: String,
    /// Offered environments.
    pub environments: Vec<Environment>,
    /// Header carrying peer credentials.
    pub credential_header: String,
    /// Credential header values this CSP accepts from peers, and whose each is.
    pub peer_tokens: BTreeMap<String, String>,
    /// The token this CSP sends to its peer.
    pub own_token: String,
    /// The customer's account (B checks v1 keys against it).
    pub customer_account: String,
    /// How long an issued key stays valid.
    pub key_lifetime: Duration,
    /// How long B waits for A's confirmation.
    pub peer_timeout: Duration,
    /// Deliberate bugs.
    pub faults: BTreeSet<Fault>,
    /// Legal answer variations the simulator applies.
    pub answers: Vec<crate::server::AnswerVariation>,
    /// CCI's own legal variations.
    pub variations: Vec<crate::protocols::cci::sim::variation::Variation>,
}

impl SimConfig {
    /// A correct simulator for `role` in `dialect`, in the reference shape.
    pub fn new(role: &str, dialect: Dialect) -> Self {
        Self::shaped(role, dialect, &Shape::reference())
    }

    /// A correct simulator for `role` in `dialect`, in `shape`.
    pub fn shaped(role: &str, dialect: Dialect, shape: &Shape) -> Self {
        let (own_id, peer_id, own_token) = if role == "csp-a" {
            (&shape.provider_a, &shape.provider_b, TOKEN_A)
        } else {
            (&shape.provider_b, &shape.provider_a, TOKEN_B)
        };
        let peer_tokens = [
            (TOKEN_B, &shape.provider_b),
            (TOKEN_A, &shape.provider_a),
            (TOKEN_OTHER, &shape.provider_other),
        ]
        .into_iter()
        .filter(|(_, p)| *p != own_id)
        .map(|(t, p)| (format!("Bearer {t}"), p.clone()))
        .collect();
        Self {
            dialect,
            own_id: own_id.clone(),
            peer_id: peer_id.clone(),
            peer_base: None,
            api_prefix: shape.api_prefix.clone(),
            environments: shape.environments.clone(),
            credential_header: "authorization".into(),
            peer_tokens,
            own_token: own_token.into(),
            customer_account: shape.customer_account.clone(),
            key_lifetime: Duration::from_secs(3600),
            peer_timeout: Duration::from_secs(1),
            faults: BTreeSet::new(),
            answers: Vec::new(),
            variations: Vec::new(),
        }
    }

    /// Switches on the faults, CCI variations and answer variations among `names`
    /// (names of other kinds, such as shape variations, are ignored here).
    pub fn switch_on<'a>(&mut self, names: impl IntoIterator<Item = &'a str> + Clone) {
        self.faults = names
            .clone()
            .into_iter()
            .filter_map(Fault::from_name)
            .collect();
        self.answers = crate::server::AnswerVariation::named(names.clone());
        self.variations = crate::protocols::cci::sim::variation::Variation::named(names);
    }

    /// Whether a fault is on.
    pub fn has(&self, fault: Fault) -> bool {
        self.faults.contains(&fault)
    }

    /// Whether `size` is offered on environment `env`.
    pub fn offers(&self, env: &str, size: u32) -> bool {
        self.environments
            .iter()
            .any(|e| e.id == env && e.sizes.contains(&size))
    }

    /// Whether `env` is a known environment.
    pub fn knows(&self, env: &str) -> bool {
        self.environments.iter().any(|e| e.id == env)
    }
}
