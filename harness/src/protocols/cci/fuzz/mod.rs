//! CCI fuzzing: key mutants ([`keys`]), the campaign against either role
//! ([`campaign`]), the lifecycle campaign against a responder's CreateFeature and
//! CreateConnection ([`lifecycle`], `--surface lifecycle`), the regression scenarios findings become ([`regress`]), and the
//! mock CSP A's answers a csp-b must fail closed on ([`answers`]).

pub mod answers;
pub mod campaign;
pub mod keys;
pub mod lifecycle;
pub mod regress;
