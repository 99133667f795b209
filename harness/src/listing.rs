//! The tables `crosscheck faults` and `crosscheck variations` print: what each
//! protocol's simulators can be switched to, per role.

use std::fmt::Write as _;

use crate::profile::Profile;

/// The faults of `profiles`: name, role, the requirement each breaks, description, and
/// the legal variations a fault shows only together with.
pub fn faults(profiles: &[&'static dyn Profile]) -> String {
    let mut out = format!(
        "{:<28} {:<6} {:<9} description\n",
        "fault", "role", "breaks"
    );
    for f in profiles.iter().flat_map(|p| p.faults()) {
        let with = if f.shown_with.is_empty() {
            String::new()
        } else {
            format!(
                " (shown only with the variation {})",
                f.shown_with.join(", ")
            )
        };
        let _ = writeln!(
            out,
            "{:<28} {:<6} {:<9} {}{with}",
            f.name, f.role, f.requirement, f.description
        );
    }
    out
}

/// The legal variations of `profiles`: protocol, role, name, description.
pub fn variations(profiles: &[&'static dyn Profile]) -> String {
    let mut out = format!(
        "{:<18} {:<9} {:<6} description\n",
        "variation", "protocol", "role"
    );
    for v in profiles.iter().flat_map(|p| p.variations()) {
        let _ = writeln!(
            out,
            "{:<18} {:<9} {:<6} {}",
            v.name, v.protocol, v.role, v.description
        );
    }
    out
}
