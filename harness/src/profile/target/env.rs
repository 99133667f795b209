//! `${VAR}` and `${VAR:-default}` in a target file, expanded from the environment
//! before the file is parsed (so secrets need not be written in it).

/// Why `${VAR}` could not be expanded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnvError {
    /// `${` without `}`.
    #[error("unclosed `${{` in `{0}`")]
    Unclosed(String),
    /// The variable is not set and has no default.
    #[error("environment variable {0} is not set")]
    Unset(String),
}

/// Expands `${VAR}` and `${VAR:-default}` from the environment.
pub fn expand_env(text: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<String, EnvError> {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after
            .find('}')
            .ok_or_else(|| EnvError::Unclosed(text.to_string()))?;
        let spec = &after[..end];
        let (name, default) = match spec.split_once(":-") {
            Some((n, d)) => (n, Some(d)),
            None => (spec, None),
        };
        match (env(name), default) {
            (Some(v), _) => out.push_str(&v),
            (None, Some(d)) => out.push_str(d),
            (None, None) => return Err(EnvError::Unset(name.to_string())),
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_expansion_with_defaults_and_errors() {
        let env = |n: &str| (n == "SET").then(|| "v".to_string());
        assert_eq!(expand_env("a${SET}b${UNSET:-d}", &env), Ok("avbd".into()));
        assert_eq!(
            expand_env("${UNSET}", &env),
            Err(EnvError::Unset("UNSET".into()))
        );
        assert!(matches!(
            expand_env("${SET", &env),
            Err(EnvError::Unclosed(_))
        ));
    }
}
