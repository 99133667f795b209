//! Named faults of the S2C reference provider, each a realistic bug tied to the
//! requirement it breaks.

use crate::profile::FaultTable;

/// A deliberate bug the S2C provider simulator can be started with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Fault {
    /// Sessions never expire.
    NeverExpires,
    /// Expiry deletes the session but sends no notification.
    ExpiresSilently,
    /// Every notification is sent twice, each with its own id.
    NotifiesTwice,
    /// Notifications go out without the sink credential.
    NotifiesWithoutCredential,
    /// Notifications say `application/json`, not `application/cloudevents+json`.
    NotifiesWrongContentType,
    /// Every notification of a provider carries the same event id.
    ReusesEventIds,
    /// A session without a sink is notified to the consumer's last sink.
    NotifiesDefaultSink,
    /// expiresAt ignores the requested duration (always an hour after startedAt).
    ExpiresAtIgnoresDuration,
    /// Error bodies carry `status` 400 whatever the HTTP status.
    ErrorStatusMismatch,
    /// Error answers do not echo `x-correlator`.
    NoCorrelatorOnErrors,
    /// A malformed IP address crashes the create handler (500).
    Crash500OnMalformedIp,
    /// Unknown properties in a create body are ignored.
    AcceptsUnknownProperties,
    /// An expired bearer token is still accepted.
    AcceptsExpiredToken,
    /// Any consumer may read, modify, extend and delete any session.
    SharesSessionsAcrossConsumers,
    /// A bandwidth change answers 200 but nothing changes.
    ModifyIgnored,
    /// DELETE answers 204 but the session stays readable.
    DeleteLeavesReadable,
    /// An expired session is kept, and extending it answers 200.
    ExtendsExpired,
    /// A REQUESTED session is extended with 200 (the status check is missing from the
    /// extend path).
    ExtendsRequested,
    /// A create refused for capacity still reserves the bandwidth.
    HalfCreatedOnCapacity,
    /// An assessment reserves the bandwidth it assessed.
    AssessmentReserves,
    /// Paths the API does not have are answered 200 with an empty object.
    AnswersUnknownPaths,
    /// DELETE waits for the sink and answers 500 when the sink fails.
    DeleteWaitsForSink,
    /// A wrong method on a served path gets 405 without an `Allow` header.
    MethodNotAllowedWithoutAllow,
    /// Every AVAILABLE session with a sink is reported AVAILABLE again every 0.3 s.
    RepeatsAvailable,
    /// A DELETE_REQUESTED event is sent again every 0.3 s for 10 s, though the sink
    /// took it.
    RepeatsDeleteEvent,
    /// A deleted session's sink stays subscribed: later events also go to it.
    KeepsDeletedSinks,
}

/// Every fault, in listing order.
pub const ALL: &[Fault] = &[
    Fault::NeverExpires,
    Fault::ExpiresSilently,
    Fault::NotifiesTwice,
    Fault::NotifiesWithoutCredential,
    Fault::NotifiesWrongContentType,
    Fault::ReusesEventIds,
    Fault::NotifiesDefaultSink,
    Fault::ExpiresAtIgnoresDuration,
    Fault::ErrorStatusMismatch,
    Fault::NoCorrelatorOnErrors,
    Fault::Crash500OnMalformedIp,
    Fault::AcceptsUnknownProperties,
    Fault::AcceptsExpiredToken,
    Fault::SharesSessionsAcrossConsumers,
    Fault::ModifyIgnored,
    Fault::DeleteLeavesReadable,
    Fault::ExtendsExpired,
    Fault::ExtendsRequested,
    Fault::HalfCreatedOnCapacity,
    Fault::AssessmentReserves,
    Fault::AnswersUnknownPaths,
    Fault::DeleteWaitsForSink,
    Fault::MethodNotAllowedWithoutAllow,
    Fault::RepeatsAvailable,
    Fault::RepeatsDeleteEvent,
    Fault::KeepsDeletedSinks,
];

impl FaultTable for Fault {
    const ALL: &'static [Self] = ALL;

    fn role(self) -> &'static str {
        "provider"
    }

    fn shown_with(self) -> &'static [&'static str] {
        match self {
            // The reference makes sessions AVAILABLE at once: no session is REQUESTED
            // unless the provider holds new ones there first.
            Fault::ExtendsRequested => &["requested-first"],
            _ => &[],
        }
    }

    fn info(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Fault::NeverExpires => ("never-expires", "S2C-09", "sessions never expire"),
            Fault::ExpiresSilently => (
                "expires-silently",
                "S2C-10",
                "deletes expired sessions without notifying the sink",
            ),
            Fault::NotifiesTwice => (
                "notifies-twice",
                "S2C-10",
                "sends every status change twice, each with its own event id",
            ),
            Fault::NotifiesWithoutCredential => (
                "notifies-without-credential",
                "S2C-10",
                "sends notifications without the sink credential",
            ),
            Fault::NotifiesWrongContentType => (
                "notifies-wrong-content-type",
                "S2C-10",
                "sends notifications as application/json, not application/cloudevents+json",
            ),
            Fault::ReusesEventIds => (
                "reuses-event-ids",
                "S2C-10",
                "gives every notification the same event id",
            ),
            Fault::NotifiesDefaultSink => (
                "notifies-default-sink",
                "S2C-11",
                "notifies a session without a sink at the consumer's last sink",
            ),
            Fault::ExpiresAtIgnoresDuration => (
                "expires-at-ignores-duration",
                "S2C-01",
                "sets expiresAt an hour after startedAt whatever the duration",
            ),
            Fault::ErrorStatusMismatch => (
                "error-status-mismatch",
                "S2C-03",
                "error bodies say status 400 whatever the HTTP status",
            ),
            Fault::NoCorrelatorOnErrors => (
                "no-correlator-on-errors",
                "S2C-02",
                "error answers do not echo x-correlator",
            ),
            Fault::Crash500OnMalformedIp => (
                "500-on-malformed-ip",
                "S2C-03",
                "answers 500 to a create with a malformed IP address",
            ),
            Fault::AcceptsUnknownProperties => (
                "accepts-unknown-properties",
                "S2C-03",
                "ignores unknown properties in a create body",
            ),
            Fault::AcceptsExpiredToken => (
                "accepts-expired-token",
                "S2C-04",
                "accepts an expired bearer token",
            ),
            Fault::SharesSessionsAcrossConsumers => (
                "shares-sessions-across-consumers",
                "S2C-05",
                "lets any consumer read, modify, extend and delete any session",
            ),
            Fault::ModifyIgnored => (
                "modify-ignored",
                "S2C-07",
                "answers a bandwidth change 200 but keeps the old bandwidth",
            ),
            Fault::DeleteLeavesReadable => (
                "delete-leaves-readable",
                "S2C-08",
                "answers DELETE 204 but the session stays readable",
            ),
            Fault::ExtendsExpired => (
                "extends-expired",
                "S2C-07",
                "keeps expired sessions and answers 200 to extending one",
            ),
            Fault::ExtendsRequested => (
                "extends-requested",
                "S2C-07",
                "answers 200 to extending a session that is still REQUESTED",
            ),
            Fault::HalfCreatedOnCapacity => (
                "half-created-on-capacity",
                "S2C-12",
                "a create refused for capacity still holds its bandwidth",
            ),
            Fault::AssessmentReserves => (
                "assessment-reserves",
                "S2C-13",
                "an assessment reserves the bandwidth it assessed",
            ),
            Fault::AnswersUnknownPaths => (
                "answers-unknown-paths",
                "X-03",
                "answers 200 with an empty object on paths the API does not have",
            ),
            Fault::DeleteWaitsForSink => (
                "delete-waits-for-sink",
                "S2C-08",
                "DELETE waits for the sink's answer and fails with 500 when the sink fails",
            ),
            Fault::MethodNotAllowedWithoutAllow => (
                "405-without-allow",
                "X-03",
                "answers a wrong method on a served path 405 without an Allow header",
            ),
            Fault::RepeatsAvailable => (
                "repeats-available",
                "S2C-10",
                "reports every AVAILABLE session with a sink as AVAILABLE again every 0.3 s, though nothing changed",
            ),
            Fault::RepeatsDeleteEvent => (
                "repeats-delete-event",
                "S2C-10",
                "sends each DELETE_REQUESTED event again every 0.3 s for 10 s, though the sink answered 2xx",
            ),
            Fault::KeepsDeletedSinks => (
                "keeps-deleted-sinks",
                "S2C-10",
                "keeps a deleted session's sink subscribed: later sessions' events also go to it",
            ),
        }
    }
}
