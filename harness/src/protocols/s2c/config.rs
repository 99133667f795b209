//! The S2C provider simulator's settings and the tokens it knows.

use std::collections::BTreeSet;

use super::fault::Fault;
use super::variation::Variation;
use crate::profile::{FaultTable, VariationTable};

/// The bearer token of the first consumer.
pub const TOKEN_CONSUMER_1: &str = "sim-token-consumer-1";
/// The bearer token of the second consumer.
pub const TOKEN_CONSUMER_2: &str = "sim-token-consumer-2";
/// A token the provider issued to the first consumer that has expired.
pub const TOKEN_EXPIRED: &str = "sim-token-expired";
/// The bandwidth the provider can give to all sessions together, in Mbps.
pub const CAPACITY_MBPS: u64 = 10_000;

/// The HTTP shape the provider serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// PROTOCOLS.md's default binding (`/sessions`, CAMARA field names).
    Camara,
    /// The 0.1 draft's own shape (`/S2C_VPN`, `/S2C_VPN_Assessment`, its field names).
    Draft,
}

impl Shape {
    /// The shape called `name` (`camara` or `draft`).
    pub fn named(name: &str) -> Option<Self> {
        match name {
            "camara" => Some(Self::Camara),
            "draft" => Some(Self::Draft),
            _ => None,
        }
    }
}

/// How the provider simulator behaves.
#[derive(Debug, Clone)]
pub struct S2cConfig {
    /// Deliberate bugs.
    pub faults: BTreeSet<Fault>,
    /// Legal S2C variations.
    pub variations: BTreeSet<Variation>,
    /// Legal answer variations.
    pub answers: Vec<crate::server::AnswerVariation>,
    /// The HTTP shape served.
    pub shape: Shape,
    /// Seconds per unit of `duration` (1, or 3600 when durations are in hours).
    pub unit_seconds: u64,
    /// Total bandwidth for all sessions, in Mbps.
    pub capacity_mbps: u64,
    /// Tokens of the consumers.
    pub consumers: Vec<String>,
    /// Tokens that have expired.
    pub expired: Vec<String>,
}

impl S2cConfig {
    /// A correct provider in the CAMARA shape, durations in seconds.
    pub fn new() -> Self {
        Self {
            faults: BTreeSet::new(),
            variations: BTreeSet::new(),
            answers: Vec::new(),
            shape: Shape::Camara,
            unit_seconds: 1,
            capacity_mbps: CAPACITY_MBPS,
            consumers: vec![TOKEN_CONSUMER_1.into(), TOKEN_CONSUMER_2.into()],
            expired: vec![TOKEN_EXPIRED.into()],
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

    /// Switches on the faults, S2C variations and answer variations among `names`.
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

impl Default for S2cConfig {
    fn default() -> Self {
        Self::new()
    }
}
