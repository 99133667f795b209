//! S2C's own legal variations: behaviour PROTOCOLS.md §2 and CAMARA allow that the
//! reference provider does not show. Switched on by name like faults; the whole suite
//! must still pass against a provider showing one.

use crate::profile::VariationTable;

/// A legal way the S2C provider may differ from the reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Variation {
    /// New sessions are REQUESTED for 0.3 s, then AVAILABLE (with a notification).
    RequestedFirst,
    /// Another consumer's session is answered 404 NOT_FOUND, not 403.
    NotFoundAcrossConsumers,
    /// Error messages in other words, with a trace id.
    OtherErrorMessages,
    /// Notifications leave 0.3 s after the change, from a queue.
    SlowNotifications,
    /// Expiry runs up to 0.8 s after expiresAt (a sweep every 0.8 s).
    LateExpiry,
    /// Insufficient capacity is 503 UNAVAILABLE, not 409.
    Capacity503,
    /// Insufficient capacity is 422 with an API-specific code.
    Capacity422,
    /// CloudEvents carry extension attributes and `subject`.
    EventExtensions,
    /// Every answer carries an x-correlator, a generated one when none was sent.
    GeneratedCorrelator,
    /// Sessions carry extra fields (`sla`, `provisioningRef`).
    ExtraSessionFields,
    /// 400s for bad addresses and out-of-range numbers carry API-specific codes.
    ApiSpecificCodes,
}

/// Every S2C variation, in listing order.
pub const ALL: &[Variation] = &[
    Variation::RequestedFirst,
    Variation::NotFoundAcrossConsumers,
    Variation::OtherErrorMessages,
    Variation::SlowNotifications,
    Variation::LateExpiry,
    Variation::Capacity503,
    Variation::Capacity422,
    Variation::EventExtensions,
    Variation::GeneratedCorrelator,
    Variation::ExtraSessionFields,
    Variation::ApiSpecificCodes,
];

impl VariationTable for Variation {
    const ALL: &'static [Self] = ALL;

    fn info(self) -> (&'static str, &'static str, &'static str) {
        let (name, description) = match self {
            Variation::RequestedFirst => (
                "requested-first",
                "new sessions are REQUESTED for 0.3 s before AVAILABLE, and the change is notified",
            ),
            Variation::NotFoundAcrossConsumers => (
                "not-found-across-consumers",
                "answers another consumer's session 404 NOT_FOUND instead of 403",
            ),
            Variation::OtherErrorMessages => (
                "other-error-messages",
                "words every error message differently, with a trace id",
            ),
            Variation::SlowNotifications => (
                "slow-notifications",
                "sends each notification 0.3 s after the status change",
            ),
            Variation::LateExpiry => (
                "late-expiry",
                "expires sessions up to 0.8 s after expiresAt (tolerance: 2 s)",
            ),
            Variation::Capacity503 => (
                "capacity-503",
                "refuses a create for capacity with 503 UNAVAILABLE",
            ),
            Variation::Capacity422 => (
                "capacity-422",
                "refuses a create for capacity with 422 S2C_VPN.INSUFFICIENT_CAPACITY",
            ),
            Variation::EventExtensions => (
                "event-extensions",
                "CloudEvents carry `subject` and extension attributes",
            ),
            Variation::GeneratedCorrelator => (
                "generated-correlator",
                "answers carry a generated x-correlator when the request had none",
            ),
            Variation::ExtraSessionFields => (
                "extra-session-fields",
                "sessions carry extra fields the consumer did not ask for",
            ),
            Variation::ApiSpecificCodes => (
                "api-specific-codes",
                "400s for bad addresses and out-of-range numbers say S2C_VPN.INVALID_IP_ADDRESS and S2C_VPN.OUT_OF_RANGE",
            ),
        };
        (name, "provider", description)
    }
}
