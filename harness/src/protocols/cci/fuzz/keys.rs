//! Key mutants: seeded changes of a real key (bytes replaced, inserted, deleted, the
//! string cut or doubled, same-content re-encodings, field tweaks, odd field values,
//! extra fields) and, for a confirm, whole bodies that are not a key at all. A
//! correct IUT refuses every one. The campaign that sends them is `fuzz_campaign.rs`.

use serde_json::{json, Value};

use crate::profile::fuzz::{self, Mutant, Rng};
use crate::protocols::cci::intent::key;
use crate::protocols::cci::intent::mutate::{self, Variant};

/// A key mutation class: one byte replaced.
pub const REPLACED: &str = "byte replaced";
/// A byte inserted.
pub const INSERTED: &str = "byte inserted";
/// A byte deleted.
pub const DELETED: &str = "byte deleted";
/// The key cut short.
pub const TRUNCATED: &str = "truncated";
/// The key twice.
pub const DOUBLED: &str = "doubled";
/// The same content in another string.
pub const REENCODED: &str = "re-encoding";
/// One field's value changed.
pub const TWEAKED: &str = "field tweak";
/// One field set to a value of an odd type or size.
pub const ODD_VALUE: &str = "odd field value";
/// A field the key does not have.
pub const EXTRA: &str = "extra field";
/// A request body that is not a well-formed key body.
pub const BODY: &str = "malformed body";

const ALPHABET: &[u8] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=-_ \n{}\":,\\";

/// A key with what mutating it needs, computed once.
#[derive(Debug, Clone)]
pub struct Seedling {
    /// The untouched key.
    pub key: String,
    reencodings: Vec<Variant>,
    tweaks: Vec<Variant>,
    fields: Vec<String>,
}

impl Seedling {
    /// Prepares `key` for mutation.
    pub fn new(key: String) -> Self {
        let reencodings = mutate::reencodings(&key).unwrap_or_default();
        let tweaks = mutate::field_tweaks(&key).unwrap_or_default();
        let fields = key::decode(&key)
            .map(|o| o.keys().cloned().collect())
            .unwrap_or_default();
        Self {
            key,
            reencodings,
            tweaks,
            fields,
        }
    }

    /// One mutant of the key, never equal to it, carried by `via`.
    pub fn mutant(&self, rng: &mut Rng, via: &'static str) -> Mutant {
        for _ in 0..16 {
            let (class, label, out) = self.once(rng);
            if out != self.key {
                return Mutant {
                    class,
                    label,
                    via,
                    input: out.into_bytes(),
                };
            }
        }
        Mutant {
            class: INSERTED,
            label: "append A".into(),
            via,
            input: format!("{}A", self.key).into_bytes(),
        }
    }

    fn once(&self, rng: &mut Rng) -> (&'static str, String, String) {
        let key = &self.key;
        let mut bytes = key.as_bytes().to_vec();
        let len = bytes.len().max(1);
        let pick = |rng: &mut Rng| ALPHABET[rng.below(ALPHABET.len())];
        let text = |b: Vec<u8>| String::from_utf8_lossy(&b).into_owned();
        match rng.below(9) {
            0 => {
                let i = rng.below(len).min(bytes.len().saturating_sub(1));
                if let Some(b) = bytes.get_mut(i) {
                    *b = pick(rng);
                }
                (REPLACED, format!("replace byte {i}"), text(bytes))
            }
            1 => {
                let i = rng.below(len + 1).min(bytes.len());
                bytes.insert(i, pick(rng));
                (INSERTED, format!("insert at {i}"), text(bytes))
            }
            2 => {
                let i = rng.below(len).min(bytes.len().saturating_sub(1));
                if !bytes.is_empty() {
                    bytes.remove(i);
                }
                (DELETED, format!("delete byte {i}"), text(bytes))
            }
            3 => {
                let keep = rng.below(len);
                (
                    TRUNCATED,
                    format!("truncate to {keep}"),
                    key.chars().take(keep).collect(),
                )
            }
            4 => (DOUBLED, "doubled".into(), format!("{key}{key}")),
            5 if !self.reencodings.is_empty() => {
                let v = &self.reencodings[rng.below(self.reencodings.len())];
                (REENCODED, v.name.clone(), v.key.clone())
            }
            6 if !self.tweaks.is_empty() => {
                let v = &self.tweaks[rng.below(self.tweaks.len())];
                (TWEAKED, v.name.clone(), v.key.clone())
            }
            7 if !self.fields.is_empty() => {
                let field = &self.fields[rng.below(self.fields.len())];
                let value = match rng.below(6) {
                    0 => Value::Null,
                    1 => json!(-1),
                    2 => json!(""),
                    3 => json!([1, 2]),
                    4 => json!({"nested": true}),
                    _ => json!("x".repeat(rng.below(2000) + 1)),
                };
                let out = mutate::tweak_field(key, field, Some(value.clone()))
                    .unwrap_or_else(|_| key.to_string());
                let label = format!("{field} set to {}", fuzz::short(&value.to_string(), 40));
                (ODD_VALUE, label, out)
            }
            8 => {
                let mut object = key::decode(key).unwrap_or_default();
                object.insert(format!("extra{}", rng.below(100)), json!(rng.below(1000)));
                (
                    EXTRA,
                    "extra field".into(),
                    key::encode_object(&Value::Object(object)),
                )
            }
            _ => (INSERTED, "reversed".into(), key.chars().rev().collect()),
        }
    }
}

/// A confirm body that is not a well-formed key body: not JSON, cut short, no key,
/// the key of a wrong type, or big.
pub fn body_mutant(rng: &mut Rng, field: &str, key: &str, via: &'static str) -> Mutant {
    let whole = json!({ field: key }).to_string();
    let (label, input): (String, Vec<u8>) = match rng.below(7) {
        0 => ("not JSON".into(), format!("{field}={key}").into_bytes()),
        1 => {
            let keep = rng.below(whole.len());
            (
                format!("cut at byte {keep}"),
                whole.as_bytes()[..keep].to_vec(),
            )
        }
        2 => (
            "no key field".into(),
            json!({"other": key}).to_string().into_bytes(),
        ),
        3 => {
            let value = [
                json!(42),
                Value::Null,
                json!(true),
                json!([key]),
                json!({"k": key}),
            ][rng.below(5)]
            .clone();
            (
                format!("{field} set to {}", fuzz::short(&value.to_string(), 30)),
                json!({ field: value }).to_string().into_bytes(),
            )
        }
        4 => ("empty body".into(), Vec::new()),
        5 => {
            let len = rng.below(48) + 1;
            let bytes = (0..len).map(|_| (rng.next_u64() & 0xff) as u8).collect();
            (format!("{len} random bytes"), bytes)
        }
        _ => (
            "a JSON array".into(),
            json!([whole]).to_string().into_bytes(),
        ),
    };
    Mutant {
        class: BODY,
        label,
        via,
        input,
    }
}

/// The key's JSON, when it decodes (for reports).
pub fn decoded(input: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(input).ok()?;
    key::decode_lenient(text).map(|v| v.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::fuzz::Rng;
    use proptest::prelude::*;

    fn seedling(env: &str) -> Seedling {
        Seedling::new(key::encode_object(
            &json!({"environment": env, "connectionSizeMbps": "500", "keyMaterial": "abc"}),
        ))
    }

    proptest! {
        #[test]
        fn mutants_always_differ_and_replay_by_seed(seed in any::<u64>(), env in "[a-z0-9-]{1,12}") {
            let s = seedling(&env);
            let mut a = Rng::new(seed);
            let mut b = Rng::new(seed);
            for _ in 0..20 {
                let ma = s.mutant(&mut a, "confirm");
                let mb = s.mutant(&mut b, "confirm");
                prop_assert_ne!(&ma.input, &s.key.as_bytes().to_vec(), "{} kept the key", ma.label);
                prop_assert_eq!(ma, mb);
            }
        }

        #[test]
        fn odd_keys_never_panic(k in "\\PC{0,80}", seed in any::<u64>()) {
            let s = Seedling::new(k.clone());
            let mut rng = Rng::new(seed);
            for _ in 0..10 {
                let m = s.mutant(&mut rng, "confirm");
                prop_assert_ne!(m.input, k.clone().into_bytes());
                let _ = body_mutant(&mut rng, "key", &k, "confirm-body");
            }
        }
    }

    #[test]
    fn every_class_appears() {
        let s = seedling("env-ab-1");
        let mut rng = Rng::new(1);
        let seen: std::collections::BTreeSet<&str> = (0..500)
            .map(|_| s.mutant(&mut rng, "confirm").class)
            .collect();
        assert_eq!(seen.len(), 9, "{seen:?}");
        assert!(decoded(s.key.as_bytes()).is_some_and(|d| d.contains("env-ab-1")));
    }
}
