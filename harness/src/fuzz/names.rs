//! The fixed names of a fuzz report (mutation classes, requests, oracles) read back
//! from fuzz.json, for `crosscheck merge`. The report model keeps them as
//! `&'static str`, as the campaigns name them; a name read back is interned: stored
//! once for the life of the process, so a merge costs one copy of each distinct name
//! (a few dozen), whatever the number of findings.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Mutex, OnceLock};

use serde::{Deserialize, Deserializer};

/// `name` as a `&'static str`, stored once per distinct name.
pub fn intern(name: &str) -> &'static str {
    static NAMES: OnceLock<Mutex<BTreeSet<&'static str>>> = OnceLock::new();
    let mut names = NAMES
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(known) = names.get(name) {
        return known;
    }
    let stored: &'static str = Box::leak(name.to_owned().into_boxed_str());
    names.insert(stored);
    stored
}

/// Reads a name (serde `deserialize_with`).
pub fn name<'de, D: Deserializer<'de>>(d: D) -> Result<&'static str, D::Error> {
    Ok(intern(&String::deserialize(d)?))
}

/// Reads a map from names to counts (serde `deserialize_with`).
pub fn counts<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeMap<&'static str, usize>, D::Error> {
    let read = BTreeMap::<String, usize>::deserialize(d)?;
    Ok(read.iter().map(|(k, v)| (intern(k), *v)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_is_stored_once() {
        let a = intern(&String::from("bad IP"));
        let b = intern(&String::from("bad IP"));
        assert_eq!(a, "bad IP");
        assert!(std::ptr::eq(a, b), "the same storage");
        assert_ne!(intern("other"), a);
    }
}
