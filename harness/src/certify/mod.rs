//! Certification: versioned profiles with pinned suites ([`profiles`]), the
//! certificate and its verdict ([`certificate`]), Ed25519 keys ([`keys`]), and the
//! signed bundle with its offline check ([`bundle`]). The CLI's `certify` runs the
//! profile and puts these together; `verify` needs only the bundle and a public key.

pub mod bundle;
pub mod certificate;
pub mod keys;
pub mod profiles;

use serde_json::Value;

use crate::http::Redactor;
use crate::yaml::{self, InputError};

/// What a removed secret reads as in the bundle's copy of the target.
pub const REMOVED: &str = "<removed>";

/// The target file as JSON with every secret removed: each credential's token, and any
/// other value that holds one of `secrets` (the expanded tokens).
pub fn redacted_target(text: &str, file: &str, secrets: &[String]) -> Result<Value, InputError> {
    let mut value: Value = yaml::parse(text, file)?;
    if let Some(Value::Object(credentials)) = value.get_mut("credentials") {
        for credential in credentials.values_mut() {
            if let Some(token) = credential.get_mut("token") {
                *token = Value::from(REMOVED);
            }
        }
    }
    let redactor = Redactor::new(secrets.iter().cloned());
    scrub(&mut value, &redactor);
    Ok(value)
}

fn scrub(value: &mut Value, redactor: &Redactor) {
    match value {
        Value::String(s) => {
            let shown = redactor.redact(s);
            if shown != *s {
                *s = REMOVED.to_string();
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| scrub(v, redactor)),
        Value::Object(map) => map.values_mut().for_each(|v| scrub(v, redactor)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_and_any_value_holding_a_secret_are_removed() {
        let text = "name: x\ncredentials:\n  harness: {token: \"${T:-abc}\"}\nprivate_field: s3cret-value\nnote: plain\n";
        let v = redacted_target(text, "t.yaml", &["s3cret-value".into()]).expect("parses");
        assert_eq!(v["credentials"]["harness"]["token"], REMOVED);
        assert_eq!(v["private_field"], REMOVED);
        assert_eq!(v["note"], "plain");
        assert!(!v.to_string().contains("s3cret"));
    }
}
