//! The mock parties the harness plays, served on axum.

mod mock;

pub use mock::{
    read_request, Behaviour, FieldPattern, MockPeer, PeerReply, RecordedRequest, RequestMatch,
    ScriptedAnswer,
};
