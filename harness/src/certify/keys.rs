//! Ed25519 key pairs for signing bundles (ring): the private key as Base64 PKCS#8 on
//! one line, the public key as Base64 of its 32 bytes on one line.

use std::path::{Path, PathBuf};

use base64::Engine as _;
use ring::signature::{Ed25519KeyPair, KeyPair as _, UnparsedPublicKey, ED25519};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// The private key's file name in `keygen --out DIR`.
pub const PRIVATE_FILE: &str = "crosscheck-signing.key";
/// The public key's file name in `keygen --out DIR`.
pub const PUBLIC_FILE: &str = "crosscheck-signing.pub";

/// Why a key could not be made, read or used.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The file does not hold a key of the kind expected.
    #[error("{path}: not a crosscheck Ed25519 {kind} key ({why})")]
    Malformed {
        /// The file.
        path: String,
        /// `private` or `public`.
        kind: &'static str,
        /// What is wrong.
        why: String,
    },
    /// The system's random source failed.
    #[error("cannot make a key pair: the system's random source failed")]
    Random,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> KeyError + '_ {
    move |source| KeyError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// Makes a key pair in `dir`; gives the paths of the private and the public key. The
/// private key is written readable by its owner only, and never over an existing one.
pub fn generate(dir: &Path) -> Result<(PathBuf, PathBuf), KeyError> {
    let rng = ring::rand::SystemRandom::new();
    let pkcs8 = Ed25519KeyPair::generate_pkcs8(&rng).map_err(|_| KeyError::Random)?;
    let pair = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).map_err(|_| KeyError::Random)?;
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let private = dir.join(PRIVATE_FILE);
    let public = dir.join(PUBLIC_FILE);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&private).map_err(io(&private))?;
    std::io::Write::write_all(
        &mut file,
        format!("{}\n", B64.encode(pkcs8.as_ref())).as_bytes(),
    )
    .map_err(io(&private))?;
    std::fs::write(
        &public,
        format!("{}\n", B64.encode(pair.public_key().as_ref())),
    )
    .map_err(io(&public))?;
    Ok((private, public))
}

/// Reads a private key.
pub fn load_private(path: &Path) -> Result<Ed25519KeyPair, KeyError> {
    let text = std::fs::read_to_string(path).map_err(io(path))?;
    let malformed = |why: String| KeyError::Malformed {
        path: path.display().to_string(),
        kind: "private",
        why,
    };
    let der = B64
        .decode(text.trim())
        .map_err(|e| malformed(e.to_string()))?;
    Ed25519KeyPair::from_pkcs8(&der).map_err(|e| malformed(e.to_string()))
}

/// Reads a public key: its 32 bytes.
pub fn load_public(path: &Path) -> Result<Vec<u8>, KeyError> {
    let text = std::fs::read_to_string(path).map_err(io(path))?;
    let bytes = B64.decode(text.trim()).map_err(|e| KeyError::Malformed {
        path: path.display().to_string(),
        kind: "public",
        why: e.to_string(),
    })?;
    match bytes.len() {
        32 => Ok(bytes),
        n => Err(KeyError::Malformed {
            path: path.display().to_string(),
            kind: "public",
            why: format!("{n} bytes, not 32"),
        }),
    }
}

/// Whether `signature` is `public`'s over `message`.
pub fn verifies(public: &[u8], message: &[u8], signature: &[u8]) -> bool {
    UnparsedPublicKey::new(&ED25519, public)
        .verify(message, signature)
        .is_ok()
}

/// The public key's bytes as Base64 (as in the public key file).
pub fn public_base64(pair: &Ed25519KeyPair) -> String {
    B64.encode(pair.public_key().as_ref())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_pair_signs_and_verifies_and_refuses_to_overwrite() {
        let dir = std::env::temp_dir().join(format!("crosscheck-keys-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let (private, public) = generate(&dir).expect("generated");
        let pair = load_private(&private).expect("private");
        let key = load_public(&public).expect("public");
        let signature = pair.sign(b"message");
        assert!(verifies(&key, b"message", signature.as_ref()));
        assert!(!verifies(&key, b"messagf", signature.as_ref()));
        assert!(
            matches!(generate(&dir), Err(KeyError::Io { .. })),
            "never overwrites"
        );
        assert!(matches!(
            load_public(&private),
            Err(KeyError::Malformed { .. })
        ));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
