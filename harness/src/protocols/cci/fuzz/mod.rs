//! CCI fuzzing: key mutants ([`keys`]), the campaign against either role
//! ([`campaign`]), the regression scenarios findings become ([`regress`]), and the
//! mock CSP A's answers a csp-b must fail closed on ([`answers`]).

pub mod answers;
pub mod campaign;
pub mod keys;
pub mod regress;
