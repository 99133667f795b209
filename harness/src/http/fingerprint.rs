//! Fingerprints: a value shown as the first 8 hex characters of its SHA-256, so two
//! values can be told apart without showing either.

/// The SHA-256 of `bytes`, in lower-case hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    ring::digest::digest(&ring::digest::SHA256, bytes)
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `sha256:` and the first 8 hex characters of the SHA-256 of `value`.
pub fn fingerprint(value: &str) -> String {
    let mut hex = sha256_hex(value.as_bytes());
    hex.truncate(8);
    format!("sha256:{hex}")
}

/// A credential header's value with the credential fingerprinted: the scheme of
/// `Bearer xyz` or `Basic xyz` is kept (`Bearer sha256:1a2b3c4d`), any other value is
/// fingerprinted whole.
pub fn credential(value: &str) -> String {
    match value.trim().split_once(' ') {
        Some((scheme, rest))
            if !scheme.is_empty() && scheme.chars().all(|c| c.is_ascii_alphanumeric()) =>
        {
            format!("{scheme} {}", fingerprint(rest.trim()))
        }
        _ => fingerprint(value.trim()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_of_a_known_value() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(fingerprint("abc"), "sha256:ba7816bf");
    }

    #[test]
    fn the_scheme_stays_and_the_credential_goes() {
        assert_eq!(credential("Bearer abc"), "Bearer sha256:ba7816bf");
        assert_eq!(credential("abc"), "sha256:ba7816bf");
        assert_ne!(credential("Basic abd"), "Basic sha256:ba7816bf");
        assert!(!credential("Bearer wrong-token").contains("wrong-token"));
    }
}
