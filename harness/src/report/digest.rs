//! The suite's digest: which scenario files a report's runs came from, so reports of
//! one suite (e.g. the partitions of one run) can be told from reports of another.

use crate::http::fingerprint::sha256_hex;

/// `sha256:` and the SHA-256 over the SHA-256 of each file's contents, sorted: the
/// same files give the same digest whatever their paths or the order they were read.
pub fn suite_digest<'a>(files: impl IntoIterator<Item = &'a [u8]>) -> String {
    let each: Vec<String> = files.into_iter().map(sha256_hex).collect();
    suite_digest_of_hashes(&each)
}

/// The suite digest of files known by their SHA-256s (hex): what [`suite_digest`]
/// gives for the files themselves.
pub fn suite_digest_of_hashes<S: AsRef<str>>(hashes: impl IntoIterator<Item = S>) -> String {
    let mut each: Vec<String> = hashes.into_iter().map(|h| h.as_ref().to_string()).collect();
    each.sort();
    format!("sha256:{}", sha256_hex(each.join("\n").as_bytes()))
}

/// A scenario file that could not be read again for the digest.
#[derive(Debug, thiserror::Error)]
#[error("cannot read {path} for the suite's digest: {source}")]
pub struct DigestError {
    /// The file.
    pub path: String,
    /// Why.
    pub source: std::io::Error,
}

/// The digest of the files scenarios were loaded from, given their `source`s
/// (`file:line`; a file holding several scenarios counts once).
pub fn of_sources<'a>(sources: impl IntoIterator<Item = &'a str>) -> Result<String, DigestError> {
    let files: std::collections::BTreeSet<&str> = sources
        .into_iter()
        .map(|s| s.rsplit_once(':').map_or(s, |(file, _)| file))
        .collect();
    let contents = files
        .into_iter()
        .map(|path| {
            std::fs::read(path).map_err(|source| DigestError {
                path: path.to_string(),
                source,
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(suite_digest(contents.iter().map(Vec::as_slice)))
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

    #[test]
    fn sources_name_each_file_once_and_a_missing_one_is_an_error() {
        let dir = std::env::temp_dir().join(format!("crosscheck-digest-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let file = dir.join("two.yaml");
        std::fs::write(&file, "id: a").expect("written");
        let path = file.display().to_string();
        let twice = of_sources([format!("{path}:1").as_str(), format!("{path}:9").as_str()]);
        assert_eq!(twice.expect("read"), suite_digest([b"id: a".as_slice()]));
        let missing = dir.join("gone.yaml").display().to_string() + ":1";
        assert!(of_sources([missing.as_str()]).is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
