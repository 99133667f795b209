//! The simulators' shared world: provider ids, tokens, environments, and the settings
//! each simulator runs with.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use super::faults::Fault;
use super::key::Dialect;
use super::target::Environment;

/// Provider id of the simulated CSP A.
pub const PROVIDER_A: &str = "csp-a";
/// Provider id of the simulated CSP B.
pub const PROVIDER_B: &str = "csp-b";
/// A third provider, for "caller names someone else" checks.
pub const PROVIDER_OTHER: &str = "csp-c";
/// The bearer token CSP A uses towards B.
pub const TOKEN_A: &str = "sim-token-a";
/// The bearer token CSP B uses towards A.
pub const TOKEN_B: &str = "sim-token-b";
/// The bearer token of the third provider (valid at A, but not for B's path).
pub const TOKEN_OTHER: &str = "sim-token-c";
/// The customer's account id at B.
pub const CUSTOMER_ACCOUNT: &str = "123456789012";
/// Path prefix of the provider-to-provider API.
pub const API_PREFIX: &str = "/v1";

/// The environments both simulated CSPs offer.
pub fn environments() -> Vec<Environment> {
    vec![
        Environment {
            id: "env-ab-1".into(),
            sizes: vec![50, 100, 500, 1000],
        },
        Environment {
            id: "env-ab-2".into(),
            sizes: vec![1000, 10000],
        },
    ]
}

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
}

impl SimConfig {
    /// A correct simulator for `role` in `dialect`.
    pub fn new(role: &str, dialect: Dialect) -> Self {
        let (own_id, peer_id, own_token) = if role == "csp-a" {
            (PROVIDER_A, PROVIDER_B, TOKEN_A)
        } else {
            (PROVIDER_B, PROVIDER_A, TOKEN_B)
        };
        let peer_tokens = [
            (TOKEN_B, PROVIDER_B),
            (TOKEN_A, PROVIDER_A),
            (TOKEN_OTHER, PROVIDER_OTHER),
        ]
        .into_iter()
        .filter(|(_, p)| *p != own_id)
        .map(|(t, p)| (format!("Bearer {t}"), p.to_string()))
        .collect();
        Self {
            dialect,
            own_id: own_id.into(),
            peer_id: peer_id.into(),
            peer_base: None,
            api_prefix: API_PREFIX.into(),
            environments: environments(),
            credential_header: "authorization".into(),
            peer_tokens,
            own_token: own_token.into(),
            customer_account: CUSTOMER_ACCOUNT.into(),
            key_lifetime: Duration::from_secs(3600),
            peer_timeout: Duration::from_secs(1),
            faults: BTreeSet::new(),
            answers: Vec::new(),
        }
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
