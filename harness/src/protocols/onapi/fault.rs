//! Named faults of the ONAPI reference simulators, each a realistic bug tied to the
//! requirement it breaks.

use crate::profile::FaultTable;

/// A deliberate bug an ONAPI simulator can be started with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Fault {
    /// SP: answers 400 to notices it does not want.
    SpRejectsUnwanted,
    /// SP: crashes (500) when a mandatory field is missing.
    Sp500OnMissingField,
    /// SP: accepts IDs of up to 64 characters.
    SpAcceptsLongId,
    /// SP: accepts dateTimes with a local offset instead of Z.
    SpAcceptsLocalTime,
    /// SP: activates every product of a multi-product notice.
    SpAcceptsTwoProducts,
    /// SP: creates a new subscription for a repeated coOrderId.
    SpDuplicateSubscription,
    /// SP: error bodies say `error`, not `cause`.
    SpErrorWithoutCause,
    /// SP: answers without checking credentials.
    SpNoAuth,
    /// SP: lets credentials without the right through.
    SpIgnoresRight,
    /// SP: spReference values break the ID format.
    SpBadReference,
    /// CO: leaves coAccessId out of the notice.
    CoOmitsAccessId,
    /// CO: sends the product twice.
    CoTwoProducts,
    /// CO: sends without credentials.
    CoNoCredentials,
    /// CO: writes dateTimes with a local offset.
    CoLocalTime,
    /// CO: retries a 429 after its own short backoff, ignoring Retry-After.
    CoIgnoresRetryAfter,
    /// CO: after a 429, sends the order again as a new notice (a fresh coOrderId).
    CoThrottledAsNew,
    /// CO: resends a 400'd notice unchanged.
    CoRetries400,
    /// CO: retries 5xx at once, many times.
    CoRetriesWithoutBackoff,
    /// CO: gives up after the first 5xx.
    CoNoRetry,
    /// CO: retries every refused notice (4xx or 5xx) once a second, 60 times.
    CoRetriesWithoutEnd,
}

/// Every fault, in listing order.
pub const ALL: &[Fault] = &[
    Fault::SpRejectsUnwanted,
    Fault::Sp500OnMissingField,
    Fault::SpAcceptsLongId,
    Fault::SpAcceptsLocalTime,
    Fault::SpAcceptsTwoProducts,
    Fault::SpDuplicateSubscription,
    Fault::SpErrorWithoutCause,
    Fault::SpNoAuth,
    Fault::SpIgnoresRight,
    Fault::SpBadReference,
    Fault::CoOmitsAccessId,
    Fault::CoTwoProducts,
    Fault::CoNoCredentials,
    Fault::CoLocalTime,
    Fault::CoIgnoresRetryAfter,
    Fault::CoThrottledAsNew,
    Fault::CoRetries400,
    Fault::CoRetriesWithoutBackoff,
    Fault::CoNoRetry,
    Fault::CoRetriesWithoutEnd,
];

impl FaultTable for Fault {
    const ALL: &'static [Self] = ALL;

    fn role(self) -> &'static str {
        if self.name().starts_with("sp-") {
            "sp"
        } else {
            "co"
        }
    }

    fn info(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Fault::SpRejectsUnwanted => (
                "sp-rejects-unwanted",
                "ON-SP-02",
                "answers 400 to well-formed notices it does not want",
            ),
            Fault::Sp500OnMissingField => (
                "sp-500-on-missing-field",
                "ON-SP-03",
                "answers 500 when a mandatory field is missing",
            ),
            Fault::SpAcceptsLongId => (
                "sp-accepts-long-id",
                "ON-SP-04",
                "accepts IDs of up to 64 characters",
            ),
            Fault::SpAcceptsLocalTime => (
                "sp-accepts-local-time",
                "ON-SP-04",
                "accepts dateTimes with a local offset instead of Z",
            ),
            Fault::SpAcceptsTwoProducts => (
                "sp-accepts-two-products",
                "ON-SP-04",
                "accepts notices with more than one product",
            ),
            Fault::SpDuplicateSubscription => (
                "sp-duplicate-subscription",
                "ON-SP-06",
                "creates a second subscription for a repeated coOrderId",
            ),
            Fault::SpErrorWithoutCause => (
                "sp-error-without-cause",
                "ON-SP-07",
                "error answers carry `error` instead of `cause`",
            ),
            Fault::SpNoAuth => ("sp-no-auth", "ON-SP-05", "does not check credentials"),
            Fault::SpIgnoresRight => (
                "sp-ignores-right",
                "ON-SP-05",
                "lets valid credentials without the right through",
            ),
            Fault::SpBadReference => (
                "sp-bad-reference",
                "ON-SP-01",
                "returns spReference values that break the ID format",
            ),
            Fault::CoOmitsAccessId => (
                "co-omits-access-id",
                "ON-CO-01",
                "leaves the mandatory coAccessId out of the notice",
            ),
            Fault::CoTwoProducts => ("co-two-products", "ON-CO-01", "sends the product twice"),
            Fault::CoNoCredentials => (
                "co-no-credentials",
                "ON-CO-01",
                "sends notices without credentials",
            ),
            Fault::CoLocalTime => (
                "co-local-time",
                "ON-CO-01",
                "writes orderDateTime with a local offset instead of Z",
            ),
            Fault::CoIgnoresRetryAfter => (
                "co-ignores-retry-after",
                "ON-CO-02",
                "retries a 429 after its own 0.2 s backoff, ignoring Retry-After",
            ),
            Fault::CoThrottledAsNew => (
                "co-throttled-as-new",
                "ON-CO-02",
                "after a 429, waits as asked but then sends the order as a new notice with a fresh coOrderId",
            ),
            Fault::CoRetries400 => (
                "co-retries-400",
                "ON-CO-03",
                "resends a notice the SP answered 400, unchanged",
            ),
            Fault::CoRetriesWithoutBackoff => (
                "co-retries-without-backoff",
                "ON-CO-03",
                "retries 5xx at once, up to 25 times",
            ),
            Fault::CoNoRetry => ("co-no-retry", "ON-CO-03", "gives up after the first 5xx"),
            Fault::CoRetriesWithoutEnd => (
                "co-retries-without-end",
                "ON-CO-03",
                "retries every notice the SP refuses (4xx or 5xx) once a second, 60 times",
            ),
        }
    }
}
