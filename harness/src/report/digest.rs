//! The suite's digest: which scenario files a report's runs came from, so reports of
//! one suite (e.g. the partitions of one run) can be told from reports of another.

use crate::http::fingerprint::sha256_hex;

/// `sha256:` and the SHA-256 over the SHA-256 of each file's contents, sorted: the
/// same files give the same digest whatever their paths or the order they were read.
pub fn suite_digest<'a>(files: impl IntoIterator<Item = &'a [u8]>) -> String {
    let mut each: Vec<String> = files.into_iter().map(sha256_hex).collect();
    each.sort();
    format!("sha256:{}", sha256_hex(each.join("\n").as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_files_in_any_order_give_the_same_digest() {
        let a: &[u8] = b"id: a";
        let b: &[u8] = b"id: b";
        let digest = suite_digest([a, b]);
        assert!(digest.starts_with("sha256:") && digest.len() == 7 + 64);
        assert_eq!(digest, suite_digest([b, a]));
        assert_ne!(digest, suite_digest([a]));
        assert_ne!(digest, suite_digest([a, b"id: b2".as_slice()]));
    }
}
