//! Named faults of the CCI reference simulators: each one a realistic bug, tied to
//! the requirement it breaks.

use crate::profile::FaultTable;

use serde::Serialize;

/// A deliberate bug a simulator can be started with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum Fault {
    /// A: validates by comparing decoded JSON, so re-encodings of a key pass.
    AAcceptsReencoded,
    /// A: looks keys up by their material alone, so other fields can be tweaked.
    AMatchesMaterialOnly,
    /// A: accepts any well-formed key on a known environment, issued or not.
    AAcceptsSpoofed,
    /// A: never marks a key used, so it confirms twice.
    AAcceptsReuse,
    /// A: ignores the environment in the confirm path.
    AIgnoresEnvPath,
    /// A: key material is a counter.
    ASequentialMaterial,
    /// A: does not check peer credentials at all.
    ANoCallerCheck,
    /// A: checks credentials but not that they belong to the provider in the path.
    AIgnoresCallerPath,
    /// A: answers 500 when the confirm body is not JSON.
    A500OnGarbage,
    /// A: issues keys for unknown environments and unoffered sizes.
    AAcceptsUnknownEnv,
    /// A: checks a bandwidth against every environment's sizes, not the requested one's.
    ASizesFromAnyEnv,
    /// A: deleting a connection leaves its key valid.
    AKeepsDeletedKeys,
    /// A: keys never expire.
    ANoExpiry,
    /// A: tells B about the connection as soon as it is created.
    AEagerNotify,
    /// A: confirm answers say `text/plain`.
    ATextPlain,
    /// A: confirms true but leaves its own connection PENDING.
    AStaysPending,
    /// A: answers 200 to paths it does not serve.
    ACatchAll200,
    /// A: reports new connections as REQUESTED instead of PENDING.
    AWrongInitialState,
    /// A: writes the environment's first bandwidth into the key, not the requested one.
    AKeyDefaultSize,
    /// A (v1): confirms a body carrying both `encodedKey` and the deprecated `key`.
    AAcceptsBothKeyFields,
    /// A: answers a wrong method 405 without an `Allow` header.
    A405WithoutAllow,
    /// A: answers a re-encoding of an issued key 200 with an empty object.
    AEmptyOnReencoded,
    /// B: reaches NEGOTIATION without asking A.
    BNoConfirm,
    /// B: keeps its pending connection when A says keyValid false.
    BKeepsOnInvalid,
    /// B: proceeds to NEGOTIATION when A answers 5xx or times out.
    BFailOpen,
    /// B: treats anything but a literal `false` (missing, "false", null) as valid.
    BLenientKeyValid,
    /// B: sends the confirmation twice.
    BConfirmsTwice,
    /// B: once in NEGOTIATION, confirms the key with A once more, a little later.
    BReconfirmsLater,
    /// B: puts A's provider id in the confirm path instead of its own.
    BWrongCaller,
    /// A (lifecycle): names resources by their bare ids, not `providers/{CALLER}/...`.
    ALcBareNames,
    /// A (lifecycle): serves channels ch1…ch4 whatever the interconnect's channels are.
    ALcHardcodedChannels,
    /// A (lifecycle): an interconnect's sizes leave out its environment's largest one.
    ALcIxSizesSubset,
    /// A (lifecycle): places connections on a CLOSED interconnect.
    ALcAcceptsClosed,
    /// A (lifecycle): places a connection for a UUID it never confirmed (F-01).
    ALcAcceptsUnconfirmed,
    /// A (lifecycle): places a connection whose bandwidth is not the key's (F-02).
    ALcAcceptsOtherBandwidth,
    /// A (lifecycle): a second create of the same connection overwrites the first.
    ALcOverwritesDuplicate,
    /// A (lifecycle): answers a create 201 but keeps nothing.
    ALcCreateUnstored,
    /// A (lifecycle): checks for room and reserves it in two steps, so a reservation
    /// counts for other creates only half a second later (F-03).
    ALcRoomRace,
    /// A (lifecycle): accepts VLANs ≤ 1024 or outside vlanRanges and subnets in an
    /// excluded one (F-08).
    ALcAcceptsLowVlan,
    /// A (lifecycle): answers 500 to a feature without l3BaseConfig (F-09).
    ALcFeature500,
    /// A (lifecycle): checks a feature's VLAN and subnet and reserves them in two steps,
    /// so parallel proposals for the same VLAN are all accepted (F-10).
    ALcVlanRace,
    /// A (lifecycle): accepts a second feature of one connection on a channel.
    ALcTwoPerChannel,
    /// A (lifecycle): deletes a connection but keeps its features' VLANs and subnets
    /// reserved (F-18).
    ALcDeleteKeepsVlans,
    /// A (lifecycle): answers DeleteFeature 200 but keeps the feature.
    ALcDeleteFeatureKept,
    /// A (lifecycle): serves lifecycle paths for any caller the credentials do not
    /// belong to (F-27).
    ALcIgnoresCallerPath,
    /// A (lifecycle): serves static resources (GET) without credentials.
    ALcOpenReads,
    /// A (lifecycle): answers 500 to a create whose body is not JSON.
    ALcGarbage500,
    /// A (lifecycle): answers an unknown connection or feature 404 in plain text.
    ALcTextNotFound,
    /// A (lifecycle): does not serve its own provider resource.
    ALcProviderUnserved,
    /// A (lifecycle): one channel of each interconnect is a LAG of other members.
    ALcMixedLags,
    /// A (lifecycle): two channels of an interconnect share a device.
    ALcSharedDevice,
    /// A (lifecycle): lists a third provider site.
    ALcExtraSites,
    /// A (lifecycle): guidance for ch1…ch4 whatever the interconnect's channels (F-07).
    ALcGuidanceCh1To4,
    /// A (lifecycle): the token of a list's last page starts it over.
    ALcEndlessPages,
    /// A (lifecycle): refuses DeleteConnection while the connection has features (F-17).
    ALcRefusesDeleteWithFeatures,
    /// A (lifecycle): after the peer's DeleteConnection, its customer still sees the
    /// connection.
    ALcDeleteCustomerUnaware,
    /// A (lifecycle): grants an UpdateConnection to a size the environment does not offer.
    ALcGrantsUnoffered,
    /// A (lifecycle): a granted update does not move the interconnect's reservation.
    ALcUpdateKeepsReservation,
    /// A (lifecycle): applies an UpdateConnection to whatever fields its mask names.
    ALcPatchAnyField,
    /// A (lifecycle): keeps one set of books for every caller, so each sees the others'
    /// connections and features.
    ALcSharedBooks,
    /// A (lifecycle): having accepted a CreateConnection, asks the negotiator for
    /// guidance itself.
    ALcProposesBack,
    /// A (lifecycle): never sends NotifyConnectionStatus, though its features are final.
    ALcNeverNotifies,
    /// A (lifecycle): notifies once its features are accepted, before they are final.
    ALcNotifiesPending,
    /// A (lifecycle): takes any answer to its notification as acknowledged.
    ALcNotifiesOnce,
    /// A (lifecycle): answers the peer's notification but never reads the connection.
    ALcNoRefresh,
    /// A (lifecycle): verifies once its own notification is acknowledged, without the
    /// peer's.
    ALcVerifiesAlone,
    /// A (lifecycle): as a channel's owner, never recreates a feature the peer deleted.
    ALcNoRepair,
    /// A (lifecycle): recreates a deleted feature on any channel, the peer's own too.
    ALcRepairsForeign,
    /// B: sends the confirmation without credentials.
    BNoCredentials,
    /// B: re-serializes the key (sorted fields) before sending it to A.
    BReencodesKey,
    /// B: forwards any key to A without checking it locally.
    BSkipsLocalChecks,
    /// B: does not check the key's destination account (v1).
    BIgnoresAccount,
    /// B: describe asks A to confirm the key.
    BDescribeCallsA,
    /// B: fetches the environment from A before confirming.
    BCallsBeforeConfirm,
    /// B: answers 500 to a read of a connection whose confirmation failed.
    BGet500AfterFailure,
    /// B: accept answers 404 to every request.
    BAcceptAlways404,
    /// B (lifecycle): sends CreateConnection first and creates its local connection
    /// after the peer's answer (F-04).
    BLcRemoteFirst,
    /// B (lifecycle): takes the first interconnect listed, whatever its state (F-05).
    BLcFirstInterconnect,
    /// B (lifecycle): proposes its first feature before it asks for guidance.
    BLcGuidanceLate,
    /// B (lifecycle): proposes on channels ch1 … ch4 whatever the guidance names (F-07).
    BLcChannels1To4,
    /// B (lifecycle): counts a connection ready with two features accepted (F-11).
    BLcReadyWithTwo,
    /// B (lifecycle): sends its notification once, whatever the answer (F-13).
    BLcNotifiesOnce,
    /// B (lifecycle): answers the peer's notification without reading the peer's state.
    BLcNoRefresh,
    /// B (lifecycle): marks the connection VERIFIED without the peer's notification (F-12).
    BLcVerifiesAlone,
    /// B (lifecycle): drops a peer notification that arrives before its own features
    /// are final (F-14).
    BLcDropsEarlyNotice,
    /// B (lifecycle): asks the peer for an update before it checks the size, and
    /// refuses an unoffered one to the customer only afterwards.
    BLcUpdateUnchecked,
    /// B (lifecycle): puts the new bandwidth in service before the peer's 200 (F-15).
    BLcUpdatesBeforeGrant,
    /// B (lifecycle): keeps the new bandwidth after the peer refused the update (F-15).
    BLcKeepsRefusedUpdate,
    /// B (lifecycle): shows the new bandwidth on its own connection only after the 200.
    BLcUpdateLocalLate,
    /// B (lifecycle): sends no NotifyConnectionStatus after a granted update.
    BLcUpdateSilent,
    /// B (lifecycle): grants a peer PATCH while its own customer update is in
    /// progress (F-16).
    BLcGrantsWhileUpdating,
    /// B (lifecycle): deletes its own connection only after the peer answered the
    /// DeleteConnection.
    BLcDeleteRemoteFirst,
    /// B (lifecycle): sends DeleteConnection twice for one customer delete.
    BLcDeletesTwice,
    /// B (lifecycle): notifies the peer once more about a connection the peer deleted.
    BLcCallsAfterDelete,
    /// B (lifecycle): reads the connection from the peer after the peer deleted it.
    BLcReadsAfterDelete,
    /// B (lifecycle): answers the peer's DeleteConnection 409 while its customer's
    /// update of the connection is in progress (F-17).
    BLcRefusesDeleteMidUpdate,
    /// B (lifecycle): takes a lost CreateConnection answer as a refusal and moves on without reading the peer.
    BLcNoReconcile,
    /// B (lifecycle): names the peer as the caller in its CreateFeature paths.
    BLcFeatureCaller,
    /// B (lifecycle): places the connection on the fitting interconnect with the least room.
    BLcLeastRoom,
    /// B (lifecycle): proposes the lowest MTU the guidance allows.
    BLcLowMtu,
    /// B (lifecycle): records a feature locally only after the peer's answer.
    BLcFeatureRemoteFirst,
    /// B (lifecycle): after a 409, resends the same proposal without new guidance.
    BLcRetrySame,
    /// B (lifecycle): waits for every feature before it counts the connection ready (F-11).
    BLcWaitsForFour,
    /// B (lifecycle): counts the peer's notification whatever state its features read.
    BLcIgnoresPending,
    /// B (lifecycle): after a 409 to its CreateConnection, tries the same interconnect
    /// again at once, over and over (F-06).
    BLcRetriesSameIx,
    /// B (lifecycle): tells the customer the placement failed but goes on sending
    /// CreateConnection every half second.
    BLcFailsButRetries,
    /// B (lifecycle): tells the customer the placement failed, then tries once more
    /// two seconds later.
    BLcRetriesAfterGivingUp,
}

/// Every fault, in listing order.
pub const ALL: &[Fault] = &[
    Fault::AAcceptsReencoded,
    Fault::AMatchesMaterialOnly,
    Fault::AAcceptsSpoofed,
    Fault::AAcceptsReuse,
    Fault::AIgnoresEnvPath,
    Fault::ASequentialMaterial,
    Fault::ANoCallerCheck,
    Fault::AIgnoresCallerPath,
    Fault::A500OnGarbage,
    Fault::AAcceptsUnknownEnv,
    Fault::ASizesFromAnyEnv,
    Fault::AKeepsDeletedKeys,
    Fault::ANoExpiry,
    Fault::AEagerNotify,
    Fault::ATextPlain,
    Fault::AStaysPending,
    Fault::ACatchAll200,
    Fault::AWrongInitialState,
    Fault::AKeyDefaultSize,
    Fault::AAcceptsBothKeyFields,
    Fault::A405WithoutAllow,
    Fault::AEmptyOnReencoded,
    Fault::ALcBareNames,
    Fault::ALcHardcodedChannels,
    Fault::ALcIxSizesSubset,
    Fault::ALcAcceptsClosed,
    Fault::ALcAcceptsUnconfirmed,
    Fault::ALcAcceptsOtherBandwidth,
    Fault::ALcOverwritesDuplicate,
    Fault::ALcCreateUnstored,
    Fault::ALcRoomRace,
    Fault::ALcAcceptsLowVlan,
    Fault::ALcFeature500,
    Fault::ALcVlanRace,
    Fault::ALcTwoPerChannel,
    Fault::ALcDeleteKeepsVlans,
    Fault::ALcDeleteFeatureKept,
    Fault::ALcIgnoresCallerPath,
    Fault::ALcOpenReads,
    Fault::ALcGarbage500,
    Fault::ALcTextNotFound,
    Fault::ALcProviderUnserved,
    Fault::ALcMixedLags,
    Fault::ALcSharedDevice,
    Fault::ALcExtraSites,
    Fault::ALcGuidanceCh1To4,
    Fault::ALcEndlessPages,
    Fault::ALcRefusesDeleteWithFeatures,
    Fault::ALcDeleteCustomerUnaware,
    Fault::ALcGrantsUnoffered,
    Fault::ALcUpdateKeepsReservation,
    Fault::ALcPatchAnyField,
    Fault::ALcSharedBooks,
    Fault::ALcProposesBack,
    Fault::ALcNeverNotifies,
    Fault::ALcNotifiesPending,
    Fault::ALcNotifiesOnce,
    Fault::ALcNoRefresh,
    Fault::ALcVerifiesAlone,
    Fault::ALcNoRepair,
    Fault::ALcRepairsForeign,
    Fault::BNoConfirm,
    Fault::BKeepsOnInvalid,
    Fault::BFailOpen,
    Fault::BLenientKeyValid,
    Fault::BConfirmsTwice,
    Fault::BReconfirmsLater,
    Fault::BWrongCaller,
    Fault::BNoCredentials,
    Fault::BReencodesKey,
    Fault::BSkipsLocalChecks,
    Fault::BIgnoresAccount,
    Fault::BDescribeCallsA,
    Fault::BCallsBeforeConfirm,
    Fault::BGet500AfterFailure,
    Fault::BAcceptAlways404,
    Fault::BLcRemoteFirst,
    Fault::BLcFirstInterconnect,
    Fault::BLcGuidanceLate,
    Fault::BLcChannels1To4,
    Fault::BLcReadyWithTwo,
    Fault::BLcNotifiesOnce,
    Fault::BLcNoRefresh,
    Fault::BLcVerifiesAlone,
    Fault::BLcDropsEarlyNotice,
    Fault::BLcUpdateUnchecked,
    Fault::BLcUpdatesBeforeGrant,
    Fault::BLcKeepsRefusedUpdate,
    Fault::BLcUpdateLocalLate,
    Fault::BLcUpdateSilent,
    Fault::BLcGrantsWhileUpdating,
    Fault::BLcDeleteRemoteFirst,
    Fault::BLcDeletesTwice,
    Fault::BLcCallsAfterDelete,
    Fault::BLcReadsAfterDelete,
    Fault::BLcRefusesDeleteMidUpdate,
    Fault::BLcNoReconcile,
    Fault::BLcFeatureCaller,
    Fault::BLcLeastRoom,
    Fault::BLcLowMtu,
    Fault::BLcFeatureRemoteFirst,
    Fault::BLcRetrySame,
    Fault::BLcWaitsForFour,
    Fault::BLcIgnoresPending,
    Fault::BLcRetriesSameIx,
    Fault::BLcFailsButRetries,
    Fault::BLcRetriesAfterGivingUp,
];

impl FaultTable for Fault {
    const ALL: &'static [Self] = ALL;

    fn role(self) -> &'static str {
        if self.name().starts_with("a-") {
            "csp-a"
        } else {
            "csp-b"
        }
    }

    fn info(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Fault::AAcceptsReencoded => ("a-accepts-reencoded", "CCI-A-08", "compares decoded key JSON, so whitespace, field order, padding or alphabet changes still confirm"),
            Fault::AMatchesMaterialOnly => ("a-matches-material-only", "CCI-A-08", "finds the key by its material alone, so a changed bandwidth or environment still confirms"),
            Fault::AAcceptsSpoofed => ("a-accepts-spoofed", "CCI-A-07", "confirms any well-formed key on a known environment, issued or not"),
            Fault::AAcceptsReuse => ("a-accepts-reuse", "CCI-A-10", "never marks a key as used"),
            Fault::AIgnoresEnvPath => ("a-ignores-env-path", "CCI-A-09", "ignores the environment in the confirm path"),
            Fault::ASequentialMaterial => ("a-sequential-material", "CCI-A-04", "key material comes from a counter"),
            Fault::ANoCallerCheck => ("a-no-caller-check", "CCI-A-14", "does not check peer credentials"),
            Fault::AIgnoresCallerPath => ("a-ignores-caller-path", "CCI-A-14", "accepts valid credentials for a caller other than the one in the path"),
            Fault::A500OnGarbage => ("a-500-on-garbage", "CCI-A-13", "answers 500 when the confirm body is not JSON"),
            Fault::AAcceptsUnknownEnv => ("a-accepts-unknown-env", "CCI-A-02", "issues keys for unknown environments and unoffered bandwidths"),
            Fault::ASizesFromAnyEnv => ("a-sizes-from-any-env", "CCI-A-02", "accepts a bandwidth any environment offers, not only the requested one's"),
            Fault::AKeepsDeletedKeys => ("a-keeps-deleted-keys", "CCI-A-11", "deleting a connection does not invalidate its key"),
            Fault::ANoExpiry => ("a-no-expiry", "CCI-A-12", "keys never expire"),
            Fault::AEagerNotify => ("a-eager-notify", "CCI-A-05", "tells B about a new connection before B presents the key"),
            Fault::ATextPlain => ("a-text-plain", "CCI-A-15", "confirm answers carry Content-Type text/plain"),
            Fault::AStaysPending => ("a-stays-pending", "CCI-A-06", "confirms true but leaves its connection PENDING"),
            Fault::ACatchAll200 => ("a-catch-all-200", "X-03", "answers 200 with an empty object to paths it does not serve"),
            Fault::AWrongInitialState => ("a-wrong-initial-state", "CCI-A-01", "reports new connections as REQUESTED instead of PENDING"),
            Fault::AKeyDefaultSize => ("a-key-default-size", "CCI-A-03", "writes the environment's first offered bandwidth into the key instead of the requested one"),
            Fault::AAcceptsBothKeyFields => ("a-accepts-both-key-fields", "CCI-A-13", "in v1, confirms a body that carries both encodedKey and the deprecated key (of any type), and consumes the key"),
            Fault::A405WithoutAllow => ("a-405-without-allow", "X-03", "answers a wrong method on the confirm path 405 without an Allow header"),
            Fault::AEmptyOnReencoded => ("a-empty-on-reencoded", "CCI-A-08", "answers a re-encoding of an issued key (same JSON, another string) 200 with an empty object"),
            Fault::ALcBareNames => ("a-lc-bare-names", "CCI-L-08", "names environments, interconnects, channels and connections by their bare ids instead of providers/{CALLER}/..."),
            Fault::ALcHardcodedChannels => ("a-lc-hardcoded-channels", "CCI-L-03", "serves channels ch1 to ch4 whatever the interconnect's real channel names are (F-07's static side)"),
            Fault::ALcIxSizesSubset => ("a-lc-ix-sizes-subset", "CCI-L-04", "an interconnect's supportedConnectionSizeMbps leaves out its environment's largest size"),
            Fault::ALcAcceptsClosed => ("a-lc-accepts-closed", "CCI-L-18", "places connections on a CLOSED interconnect"),
            Fault::ALcAcceptsUnconfirmed => ("a-lc-accepts-unconfirmed", "CCI-L-15", "places a connection for a UUID it never issued or has not confirmed (F-01)"),
            Fault::ALcAcceptsOtherBandwidth => ("a-lc-accepts-other-bandwidth", "CCI-L-15", "places a connection whose bandwidthMbps differs from the key's (F-02)"),
            Fault::ALcOverwritesDuplicate => ("a-lc-overwrites-duplicate", "CCI-L-17", "a second CreateConnection with the same connectionId replaces the first instead of 409"),
            Fault::ALcCreateUnstored => ("a-lc-create-unstored", "CCI-L-14", "answers CreateConnection 201 but keeps nothing, so the connection is neither readable nor listed"),
            Fault::ALcRoomRace => ("a-lc-room-race", "CCI-L-16", "checks for room and reserves it in two steps: parallel creates for the last room are all placed, over maxBandwidthMbps"),
            Fault::ALcAcceptsLowVlan => ("a-lc-accepts-low-vlan", "CCI-L-27", "accepts a feature with VLAN 1000 or outside vlanRanges, or with a subnet inside excludeSubnets"),
            Fault::ALcFeature500 => ("a-lc-feature-500", "CCI-L-27", "answers 500 to a CreateFeature without l3BaseConfig"),
            Fault::ALcVlanRace => ("a-lc-vlan-race", "CCI-L-28", "checks a feature's VLAN and subnet and reserves them in two steps: parallel proposals for the same VLAN on a channel all get 200"),
            Fault::ALcTwoPerChannel => ("a-lc-two-per-channel", "CCI-L-28", "accepts a second feature of the same connection on a channel"),
            Fault::ALcDeleteKeepsVlans => ("a-lc-delete-keeps-vlans", "CCI-L-53", "deletes a connection but keeps its features' VLANs and subnets reserved"),
            Fault::ALcDeleteFeatureKept => ("a-lc-delete-feature-kept", "CCI-L-55", "answers DeleteFeature 200 but keeps the feature readable"),
            Fault::ALcIgnoresCallerPath => ("a-lc-ignores-caller-path", "CCI-L-10", "serves lifecycle paths naming another provider to the harness's credentials, so a caller reads others' resources by a change of path (F-27)"),
            Fault::ALcOpenReads => ("a-lc-open-reads", "CCI-L-10", "serves environments, interconnects and channels without credentials"),
            Fault::ALcGarbage500 => ("a-lc-garbage-500", "CCI-L-12", "answers 500 to a CreateConnection or CreateFeature whose body is not JSON"),
            Fault::ALcTextNotFound => ("a-lc-text-not-found", "CCI-L-12", "answers an unknown connection or feature 404 with a plain-text body"),
            Fault::ALcProviderUnserved => ("a-lc-provider-unserved", "CCI-L-02", "does not serve its own provider resource (GET /providers/{IUT} is 404)"),
            Fault::ALcMixedLags => ("a-lc-mixed-lags", "CCI-L-05", "the last channel of each interconnect is a LAG of 10 Gbps members while the others have 100 Gbps"),
            Fault::ALcSharedDevice => ("a-lc-shared-device", "CCI-L-06", "the first two channels of each interconnect sit on one device"),
            Fault::ALcExtraSites => ("a-lc-extra-sites", "CCI-L-07", "lists a third provider site in each environment"),
            Fault::ALcGuidanceCh1To4 => ("a-lc-guidance-ch1-to-4", "CCI-L-25", "guidance names channels ch1 to ch4 whatever the interconnect's channels are (F-07)"),
            Fault::ALcEndlessPages => ("a-lc-endless-pages", "CCI-L-09", "the last page of a list carries a nextPageToken that starts the list over"),
            Fault::ALcRefusesDeleteWithFeatures => ("a-lc-refuses-delete-with-features", "CCI-L-52", "answers 409 to DeleteConnection while the connection has features (F-17)"),
            Fault::ALcDeleteCustomerUnaware => ("a-lc-delete-customer-unaware", "CCI-L-52", "after the peer's DeleteConnection, its customer still reads the connection as live"),
            Fault::ALcGrantsUnoffered => ("a-lc-grants-unoffered", "CCI-L-48", "grants an UpdateConnection to a bandwidth the environment does not offer"),
            Fault::ALcUpdateKeepsReservation => ("a-lc-update-keeps-reservation", "CCI-L-48", "a granted update leaves the interconnect's reservation at the old bandwidth, so it can be over-committed"),
            Fault::ALcPatchAnyField => ("a-lc-patch-any-field", "CCI-L-50", "applies an UpdateConnection to any field its updateMask names, activationKey included"),
            Fault::ALcSharedBooks => ("a-lc-shared-books", "CCI-L-11", "keeps one set of books for every caller: a second peer reads, updates and deletes the first one's connections and features"),
            Fault::ALcProposesBack => ("a-lc-proposes-back", "CCI-L-30", "having accepted a CreateConnection, sends its own GenerateFeatureGuidance to the negotiator, as if it were negotiating too"),
            Fault::ALcNeverNotifies => ("a-lc-never-notifies", "CCI-L-39", "never sends NotifyConnectionStatus, though every feature it holds is final"),
            Fault::ALcNotifiesPending => ("a-lc-notifies-pending", "CCI-L-39", "sends NotifyConnectionStatus as soon as enough features are accepted, while they are still PENDING"),
            Fault::ALcNotifiesOnce => ("a-lc-notifies-once", "CCI-L-39", "sends NotifyConnectionStatus once and takes a 503 as acknowledged"),
            Fault::ALcNoRefresh => ("a-lc-no-refresh", "CCI-L-40", "answers the peer's NotifyConnectionStatus but never reads the connection from the peer"),
            Fault::ALcVerifiesAlone => ("a-lc-verifies-alone", "CCI-L-41", "turns VERIFIED once its own notification is acknowledged, without the peer's"),
            Fault::ALcNoRepair => ("a-lc-no-repair", "CCI-L-56", "as a channel's owner, leaves a feature the peer deleted from a live connection missing"),
            Fault::ALcRepairsForeign => ("a-lc-repairs-foreign", "CCI-L-30", "recreates a deleted feature on any channel, one the peer owns too: a proposal of its own the responder may not make"),
            Fault::BNoConfirm => ("b-no-confirm", "CCI-B-02", "moves to NEGOTIATION without confirming with A"),
            Fault::BKeepsOnInvalid => ("b-keeps-on-invalid", "CCI-B-04", "keeps its pending connection when A says keyValid false"),
            Fault::BFailOpen => ("b-fail-open", "CCI-B-06", "proceeds to NEGOTIATION when A answers 5xx or does not answer in time"),
            Fault::BLenientKeyValid => ("b-lenient-keyvalid", "CCI-B-06", "treats anything but a JSON false (missing, \"false\", null) as valid"),
            Fault::BConfirmsTwice => ("b-confirms-twice", "CCI-B-02", "sends the confirmation twice"),
            Fault::BReconfirmsLater => ("b-reconfirms-later", "CCI-B-02", "once in NEGOTIATION, confirms the key with A once more when the connection is next read"),
            Fault::BWrongCaller => ("b-wrong-caller", "CCI-B-02", "names A instead of itself as the caller in the confirm path"),
            Fault::BNoCredentials => ("b-no-credentials", "CCI-B-02", "sends the confirmation without credentials"),
            Fault::BReencodesKey => ("b-reencodes-key", "CCI-B-02", "re-serializes the key with sorted fields before sending it"),
            Fault::BSkipsLocalChecks => ("b-skips-local-checks", "CCI-B-05", "forwards every key to A without checking it first"),
            Fault::BIgnoresAccount => ("b-ignores-account", "CCI-B-05", "does not check that a v1 key's destination account is the customer's"),
            Fault::BDescribeCallsA => ("b-describe-calls-a", "CCI-B-01", "describe asks A to confirm the key"),
            Fault::BCallsBeforeConfirm => ("b-calls-before-confirm", "CCI-B-07", "fetches the environment from A before confirming the key"),
            Fault::BGet500AfterFailure => ("b-get-500-after-failure", "CCI-B-06", "answers 500 to a read of a connection whose confirmation failed"),
            Fault::BAcceptAlways404 => ("b-accept-always-404", "CCI-B-02", "accept answers 404 to every key"),
            Fault::BLcRemoteFirst => ("b-lc-remote-first", "CCI-L-19", "sends CreateConnection to the peer first and creates its own connection only after the answer (F-04)"),
            Fault::BLcFirstInterconnect => ("b-lc-first-interconnect", "CCI-L-20", "places the connection on the first interconnect listed, even a CLOSED one (F-05)"),
            Fault::BLcGuidanceLate => ("b-lc-guidance-late", "CCI-L-31", "proposes its first feature from values of its own before it asks the peer for guidance"),
            Fault::BLcChannels1To4 => ("b-lc-channels-1-to-4", "CCI-L-32", "proposes on channels ch1 to ch4 whatever channels the guidance names (F-07)"),
            Fault::BLcReadyWithTwo => ("b-lc-ready-with-two", "CCI-L-36", "counts the connection ready, and notifies, with only two features accepted (F-11)"),
            Fault::BLcNotifiesOnce => ("b-lc-notifies-once", "CCI-L-39", "sends NotifyConnectionStatus once and takes any answer, a 503 too, as acknowledged (F-13)"),
            Fault::BLcNoRefresh => ("b-lc-no-refresh", "CCI-L-40", "answers the peer's NotifyConnectionStatus but never reads the peer's connection"),
            Fault::BLcVerifiesAlone => ("b-lc-verifies-alone", "CCI-L-41", "marks the connection VERIFIED once its own side is ready and acknowledged, without the peer's notification (F-12)"),
            Fault::BLcDropsEarlyNotice => ("b-lc-drops-early-notice", "CCI-L-42", "drops a peer notification that arrives before its own features are final, so it never verifies (F-14)"),
            Fault::BLcUpdateUnchecked => ("b-lc-update-unchecked", "CCI-L-44", "sends the peer UpdateConnection before it checks the size, so an unoffered one reaches the peer though the customer is refused"),
            Fault::BLcUpdatesBeforeGrant => ("b-lc-updates-before-grant", "CCI-L-45", "puts the new bandwidth in service as soon as the customer asks, before the peer's 200 (F-15)"),
            Fault::BLcKeepsRefusedUpdate => ("b-lc-keeps-refused-update", "CCI-L-45", "keeps the new bandwidth in service after the peer refused the update (F-15)"),
            Fault::BLcUpdateLocalLate => ("b-lc-update-local-late", "CCI-L-46", "shows the new bandwidth on its own connection only after the peer's 200"),
            Fault::BLcUpdateSilent => ("b-lc-update-silent", "CCI-L-47", "sends no NotifyConnectionStatus once a granted update is complete"),
            Fault::BLcGrantsWhileUpdating => ("b-lc-grants-while-updating", "CCI-L-49", "grants the peer's PATCH while its own customer update of the connection is in progress (F-16)"),
            Fault::BLcDeleteRemoteFirst => ("b-lc-delete-remote-first", "CCI-L-51", "on a customer delete, removes its own connection only after the peer answered its DeleteConnection"),
            Fault::BLcDeletesTwice => ("b-lc-deletes-twice", "CCI-L-51", "sends DeleteConnection twice for one customer delete"),
            Fault::BLcCallsAfterDelete => ("b-lc-calls-after-delete", "CCI-L-54", "sends NotifyConnectionStatus about a connection once more after the peer deleted it"),
            Fault::BLcReadsAfterDelete => ("b-lc-reads-after-delete", "CCI-L-54", "reads the connection from the peer after the peer deleted it, to see why"),
            Fault::BLcRefusesDeleteMidUpdate => ("b-lc-refuses-delete-mid-update", "CCI-L-52", "answers 409 to the peer's DeleteConnection while its own customer update of the connection is in progress (F-17)"),
            Fault::BLcNoReconcile => ("b-lc-no-reconcile", "CCI-L-23", "takes a CreateConnection whose answer was lost as refused, without reading the peer, and moves to the next interconnect: the first one's connection is left half built at the peer"),
            Fault::BLcFeatureCaller => ("b-lc-feature-caller", "CCI-L-13", "names the peer instead of itself as the caller in its CreateFeature paths"),
            Fault::BLcLeastRoom => ("b-lc-least-room", "CCI-L-21", "places the connection on the ACTIVE interconnect with the least room that fits, not the most"),
            Fault::BLcLowMtu => ("b-lc-low-mtu", "CCI-L-33", "proposes the lowest MTU the guidance allows instead of the highest"),
            Fault::BLcFeatureRemoteFirst => ("b-lc-feature-remote-first", "CCI-L-34", "records each feature on its own side only after the peer answered its CreateFeature"),
            Fault::BLcRetrySame => ("b-lc-retry-same", "CCI-L-35", "after a 409 to a proposal, resends the same body without asking for guidance again"),
            Fault::BLcWaitsForFour => ("b-lc-waits-for-four", "CCI-L-37", "with one channel refused every time, waits for all four features and never notifies (F-11)"),
            Fault::BLcIgnoresPending => ("b-lc-ignores-pending", "CCI-L-43", "counts the peer's notification though its refresh shows the peer's features still PENDING"),
            Fault::BLcRetriesSameIx => ("b-lc-retries-same-ix", "CCI-L-22", "after a 409 to its CreateConnection, reads the interconnects and sends the create to the same interconnect again at once, many times, before it tries another (F-06)"),
            Fault::BLcFailsButRetries => ("b-lc-fails-but-retries", "CCI-L-22", "with every interconnect refused, tells the customer FAILED but goes on sending CreateConnection every half second"),
            Fault::BLcRetriesAfterGivingUp => ("b-lc-retries-after-giving-up", "CCI-L-22", "with every interconnect refused, tells the customer FAILED, then sends one more CreateConnection two seconds later"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_round_trip() {
        let mut names: Vec<_> = ALL.iter().map(|f| f.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ALL.len());
        for f in ALL {
            assert_eq!(Fault::from_name(f.name()), Some(*f));
            assert!(crate::protocols::requirement(f.requirement()).is_some());
        }
    }
}
