//! YAML loading with errors that name the file, line and column.

use std::fmt;
use std::fmt::Write as _;

use serde::de::DeserializeOwned;

/// A problem in a YAML input file, located as precisely as the parser allows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct InputError {
    /// The file's path as the user gave it.
    pub file: String,
    /// 1-based line, 0 when unknown.
    pub line: u64,
    /// 1-based column, 0 when unknown.
    pub column: u64,
    /// What is wrong, naming the field where possible.
    pub message: String,
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.column) {
            (0, _) => write!(f, "{}: {}", self.file, self.message),
            (line, 0) => write!(f, "{}:{}: {}", self.file, line, self.message),
            (line, column) => write!(f, "{}:{}:{}: {}", self.file, line, column, self.message),
        }
    }
}

impl InputError {
    /// An error at a known place.
    pub fn at(file: &str, location: &serde_saphyr::Location, message: impl Into<String>) -> Self {
        Self {
            file: file.to_string(),
            line: location.line(),
            column: location.column(),
            message: message.into(),
        }
    }

    /// An error about the file as a whole.
    pub fn whole(file: &str, message: impl Into<String>) -> Self {
        Self {
            file: file.to_string(),
            line: 0,
            column: 0,
            message: message.into(),
        }
    }
}

/// Parses YAML text into `T`, reporting the first problem with its location.
pub fn parse<T: DeserializeOwned>(text: &str, file: &str) -> Result<T, InputError> {
    serde_saphyr::from_str::<T>(text).map_err(|e| {
        let (line, column) = e
            .location()
            .map(|l| (l.line(), l.column()))
            .unwrap_or((0, 0));
        let message = first_line(&e.without_snippet().to_string());
        InputError {
            file: file.to_string(),
            line,
            column,
            message,
        }
    })
}

/// Reads and parses a YAML file.
pub fn load<T: DeserializeOwned>(path: &std::path::Path) -> Result<T, InputError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .map_err(|e| InputError::whole(&file, format!("cannot read: {e}")))?;
    parse(&text, &file)
}

/// The message without the parser's own trailing location, which we print ourselves.
fn first_line(text: &str) -> String {
    let line = text.lines().next().unwrap_or(text).trim();
    match line.rfind(" at line ") {
        Some(i) => line[..i].to_string(),
        None => line.to_string(),
    }
}

/// `text` as a YAML double-quoted scalar on one line: every character YAML does not
/// print as itself (controls, DEL, line and paragraph separators, the byte order mark,
/// non-characters) escaped.
pub fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            ' '..='~' => out.push(c),
            '\u{2028}' | '\u{2029}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            '\u{a0}'..='\u{d7ff}' | '\u{e000}'..='\u{fefe}' | '\u{ff00}'..='\u{fffd}' => {
                out.push(c)
            }
            '\u{10000}'.. => out.push(c),
            _ if (c as u32) < 0x100 => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            _ => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    proptest::proptest! {
        #[test]
        fn any_text_quoted_reads_back_exactly(text in "\\PC*|[\\x00-\\x{ffff}]{0,40}") {
            let read: String = super::parse(&super::quote(&text), "t").expect("reads back");
            proptest::prop_assert_eq!(read, text);
        }
    }

    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Doc {
        name: String,
        size: u32,
    }

    #[test]
    fn names_line_and_field() {
        let err = parse::<Doc>("name: a\nsize: big\n", "x.yaml").expect_err("bad size");
        assert_eq!((err.file.as_str(), err.line), ("x.yaml", 2), "{err}");
        let err = parse::<Doc>("name: a\nsize: 1\nsise: 2\n", "x.yaml").expect_err("unknown");
        assert_eq!(err.line, 3, "{err}");
        assert!(err.message.contains("sise"), "{err}");
    }
}
