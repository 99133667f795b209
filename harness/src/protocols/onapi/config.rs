//! The ONAPI simulators' settings and shared constants.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use super::fault::Fault;
use super::variation::Variation;
use crate::profile::{FaultTable, VariationTable};

/// The bearer token of the simulated CO (it has the right to send notices).
pub const TOKEN_CO: &str = "sim-token-co";
/// A valid token without the right to send notices.
pub const TOKEN_NO_RIGHT: &str = "sim-token-readonly";

/// One product offering an SP sells, and the CO product it expects with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offering {
    /// productId.
    pub product_id: String,
    /// offeringId.
    pub offering_id: String,
    /// The matching CO product.
    pub co_product: String,
}

/// How an ONAPI simulator behaves.
#[derive(Debug, Clone)]
pub struct OnapiConfig {
    /// Deliberate bugs.
    pub faults: BTreeSet<Fault>,
    /// Legal ONAPI variations the simulator shows.
    pub variations: BTreeSet<Variation>,
    /// Legal answer variations the simulator applies.
    pub answers: Vec<crate::server::AnswerVariation>,
    /// Header carrying credentials.
    pub credential_header: String,
    /// Accepted credential values (full header value) and whether each has the right.
    pub credentials: BTreeMap<String, bool>,
    /// What the CO sends.
    pub own_credential: String,
    /// The SP's base URL (the CO posts to `{sp_base}/onapi/2.5/activationnotice/`).
    pub sp_base: String,
    /// The SP's catalogue: notices for anything else are unwanted.
    pub offerings: Vec<Offering>,
    /// Customers the SP knows, by e-mail.
    pub customers: Vec<String>,
    /// CO: tries per notice on 5xx or timeout.
    pub max_attempts: u32,
    /// CO: first backoff, doubled per try.
    pub backoff: Duration,
    /// CO: how long one send may take.
    pub request_timeout: Duration,
}

/// The offering, customer and CO product of the example notice.
pub const EXAMPLE_PRODUCT: &str = "prod-fiber-100";
/// The example's offering.
pub const EXAMPLE_OFFERING: &str = "offer-2025.1";
/// The example's CO product.
pub const EXAMPLE_CO_PRODUCT: &str = "100/100";
/// The example's customer e-mail.
pub const EXAMPLE_CUSTOMER: &str = "ada@example.com";

impl OnapiConfig {
    /// A correct simulator.
    pub fn new() -> Self {
        Self {
            faults: BTreeSet::new(),
            variations: BTreeSet::new(),
            answers: Vec::new(),
            credential_header: "authorization".into(),
            credentials: BTreeMap::from([
                (format!("Bearer {TOKEN_CO}"), true),
                (format!("Bearer {TOKEN_NO_RIGHT}"), false),
            ]),
            own_credential: format!("Bearer {TOKEN_CO}"),
            sp_base: "http://127.0.0.1:18280".into(),
            offerings: vec![
                Offering {
                    product_id: EXAMPLE_PRODUCT.into(),
                    offering_id: EXAMPLE_OFFERING.into(),
                    co_product: EXAMPLE_CO_PRODUCT.into(),
                },
                Offering {
                    product_id: "prod-fiber-1000".into(),
                    offering_id: "offer-2025.1".into(),
                    co_product: "1000/1000".into(),
                },
            ],
            customers: vec![EXAMPLE_CUSTOMER.into(), "grace@example.com".into()],
            max_attempts: 4,
            backoff: Duration::from_millis(200),
            request_timeout: Duration::from_secs(2),
        }
    }

    /// Whether a fault is on.
    pub fn has(&self, fault: Fault) -> bool {
        self.faults.contains(&fault)
    }

    /// Whether a legal variation is on.
    pub fn varies(&self, variation: Variation) -> bool {
        self.variations.contains(&variation)
    }

    /// Switches on the faults, ONAPI variations and answer variations among `names`
    /// (names of other kinds are ignored).
    pub fn switch_on<'a>(&mut self, names: impl IntoIterator<Item = &'a str> + Clone) {
        self.faults = names
            .clone()
            .into_iter()
            .filter_map(Fault::from_name)
            .collect();
        self.variations = Variation::named(names.clone());
        self.answers = crate::server::AnswerVariation::named(names);
    }
}

impl Default for OnapiConfig {
    fn default() -> Self {
        Self::new()
    }
}
