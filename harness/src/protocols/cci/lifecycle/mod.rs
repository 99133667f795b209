//! The Connection Coordinator after intent (PROTOCOLS.md §1b), v1 only: the provider
//! API's routes ([`route`]), the static resources a provider serves from its fixture
//! ([`resources`]), L3 feature guidance and the check of a proposal against it
//! ([`guidance`]), the proposals the harness makes from guidance ([`proposal`]), and
//! the responder's books: connections on interconnects ([`responder`], each one a
//! [`placed`] connection with its update), their
//! features and what each holds on its channel ([`features`]), and list pages
//! ([`paging`]); and the negotiator's own books: its local connection, features and
//! notifications ([`negotiator`]).

pub mod features;
pub mod guidance;
pub mod negotiator;
pub mod paging;
pub mod placed;
pub mod proposal;
pub mod resources;
pub mod responder;
pub mod route;
