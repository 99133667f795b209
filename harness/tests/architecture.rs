//! The architecture's invariants, checked on the source tree:
//! 1. the engine names no protocol: no protocol, role, variant, operation, preset,
//!    schema, template name, target field, credential, fault or `sim` setting of any
//!    registered protocol appears in a file outside `src/protocols/` (words the engine
//!    itself owns are listed in `ALLOWED`, each with its reason);
//! 2. no import circles: the engine reaches `protocols` only through the registry's
//!    functions, the interface (`src/profile/`) not at all, and a protocol imports the
//!    interface and the shared utilities, never the engine or another protocol;
//! 3. library errors are typed: no `Result<_, String>` outside tests (a `thiserror`
//!    enum says what went wrong, and callers can match on it).
//!
//! `.ci/run` runs this test first, by name.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crosscheck::protocols;

/// Words of protocols that the engine may use, because they are its own too.
const ALLOWED: &[(&str, &str)] = &[
    (
        "advance_clock",
        "the engine's own operation, which every role has",
    ),
    (
        "seed",
        "the fuzzer's random seed (`crosscheck fuzz --seed`)",
    ),
    ("env", "minijinja environments and environment variables"),
    (
        "provider",
        "rustls' crypto provider, which the HTTP client installs",
    ),
    (
        "binding",
        "the engine's binding operations (profile/binding.rs), which every protocol has",
    ),
    ("name", "names of things in general"),
    (
        "accepted",
        "the English word: the fuzz engine's oracles say whether an input was accepted",
    ),
    (
        "delayed",
        "the English word: TCP's delayed ACK, which the fuzz engine's `auto` connections notice",
    ),
    ("size", "sizes and size caps of bodies"),
    (
        "garbage",
        "the English word: a null implementation answers garbage (nulls.rs)",
    ),
    (
        "unavailable",
        "the English word (a JSON path unavailable in a body)",
    ),
    (
        "server_error",
        "HTTP's status name (`StatusCode::INTERNAL_SERVER_ERROR`)",
    ),
    (
        "bad_request",
        "HTTP's status name (`StatusCode::BAD_REQUEST`)",
    ),
];

/// The registry's functions: the only door from the engine into `protocols`.
const REGISTRY_API: &[&str] = &["all", "find", "names", "catalogue", "requirement"];

/// Modules of the engine a protocol must not import.
const ENGINE: &[&str] = &["scenario", "report", "suite", "selftest", "cli", "fuzz"];

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("readable source folder")
        .flatten()
        .map(|e| e.path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().and_then(|e| e.to_str()) == Some("rs") {
            out.push(path);
        }
    }
}

fn relative(path: &Path) -> String {
    path.strip_prefix(src())
        .unwrap_or(path)
        .display()
        .to_string()
}

/// Every word a protocol owns, lower case, with where it comes from.
fn protocol_words() -> Vec<(String, String)> {
    let mut words = Vec::new();
    let mut add = |w: &str, why: String| words.push((w.to_ascii_lowercase(), why));
    for p in protocols::all() {
        let n = p.name();
        add(n, format!("protocol {n}"));
        for r in p.roles() {
            add(r.name, format!("a role of {n}"));
            for op in r.operations {
                add(op, format!("an operation of {n} {}", r.name));
            }
            for b in r.bases {
                add(&format!("{}_base", b.name), format!("a base of {n}"));
            }
        }
        if let Some(axis) = p.variant_axis() {
            add(axis.name, format!("the variant axis of {n}"));
            for v in axis.values {
                add(v, format!("a variant of {n}"));
            }
        }
        for w in p.presets() {
            add(w, format!("a preset of {n}"));
        }
        for w in p.schema_names() {
            add(w, format!("a schema of {n}"));
        }
        for w in p.template_names() {
            add(w, format!("a template name of {n}"));
        }
        for w in p.target_fields() {
            add(w, format!("a target field of {n}"));
        }
        for w in p.credential_names() {
            add(w, format!("a credential of {n}"));
        }
        for o in p.sim_options() {
            add(o.name, format!("a sim setting of {n}"));
        }
        for f in p.faults() {
            add(f.name, format!("a fault of {n}"));
        }
    }
    let allowed: BTreeSet<&str> = ALLOWED.iter().map(|(w, _)| *w).collect();
    words.retain(|(w, _)| !allowed.contains(w.as_str()));
    words.sort();
    words.dedup_by(|a, b| a.0 == b.0);
    words
}

/// Whether `word` stands in `line` on its own (bounded by anything but a letter or digit).
fn mentions(line: &str, word: &str) -> bool {
    let bytes = line.as_bytes();
    let mut from = 0;
    while let Some(i) = line[from..].find(word) {
        let start = from + i;
        let end = start + word.len();
        let before = start == 0 || !bytes[start - 1].is_ascii_alphanumeric();
        let after = end == bytes.len() || !bytes[end].is_ascii_alphanumeric();
        if before && after {
            return true;
        }
        from = start + 1;
    }
    false
}

fn engine_files() -> Vec<PathBuf> {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    files.retain(|f| !f.starts_with(src().join("protocols")));
    files
}

#[test]
fn the_engine_names_no_protocol() {
    let words = protocol_words();
    assert!(words.len() > 50, "the registry yields the protocols' words");
    let mut found = Vec::new();
    for file in engine_files() {
        let text = std::fs::read_to_string(&file).expect("readable");
        for (n, line) in text.lines().enumerate() {
            let lower = line.to_ascii_lowercase();
            for (word, why) in &words {
                if mentions(&lower, word) {
                    found.push(format!(
                        "{}:{}: `{word}` ({why}): {}",
                        relative(&file),
                        n + 1,
                        line.trim()
                    ));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "the engine must name no protocol; move this into the protocol's folder (or, if the word is the engine's own, add it to ALLOWED in tests/architecture.rs with the reason):\n{}",
        found.join("\n")
    );
}

#[test]
fn the_engine_reaches_protocols_only_through_the_registry() {
    let mut found = Vec::new();
    for file in engine_files() {
        let text = std::fs::read_to_string(&file).expect("readable");
        let interface = file.starts_with(src().join("profile"));
        for (n, line) in text.lines().enumerate() {
            let mut rest = line;
            while let Some(i) = rest.find("protocols::") {
                let after = &rest[i + "protocols::".len()..];
                let item: String = after
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if interface || !REGISTRY_API.contains(&item.as_str()) {
                    found.push(format!("{}:{}: {}", relative(&file), n + 1, line.trim()));
                }
                rest = after;
            }
        }
    }
    assert!(
        found.is_empty(),
        "the engine may call only protocols::{{{}}}, and profile/ nothing of protocols:\n{}",
        REGISTRY_API.join(", "),
        found.join("\n")
    );
}

#[test]
fn protocols_import_the_interface_never_the_engine_or_each_other() {
    let mut found = Vec::new();
    for p in protocols::all() {
        let dir = src().join("protocols").join(p.name());
        let mut files = Vec::new();
        rust_files(&dir, &mut files);
        assert!(!files.is_empty(), "{} lives in its own folder", p.name());
        let others: Vec<&str> = protocols::all()
            .iter()
            .map(|o| o.name())
            .filter(|o| *o != p.name())
            .collect();
        for file in files {
            let text = std::fs::read_to_string(&file).expect("readable");
            let bad = |path: &str| {
                ENGINE
                    .iter()
                    .any(|m| names_module(path, &format!("crate::{m}")))
                    || others
                        .iter()
                        .any(|o| names_module(path, &format!("crate::protocols::{o}")))
            };
            for (line, stmt) in use_statements(&text) {
                if expand_use(&stmt).iter().any(|path| bad(path)) {
                    found.push(format!("{}:{line}: {stmt}", relative(&file)));
                }
            }
            // Paths written out in code, outside `use`.
            for (n, line) in text.lines().enumerate() {
                let written = line
                    .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
                    .any(|word| word.starts_with("crate::") && bad(word));
                if written && !line.trim_start().starts_with("use ") {
                    found.push(format!("{}:{}: {}", relative(&file), n + 1, line.trim()));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "a protocol may import crate::profile and the shared utilities, not the engine ({}) or another protocol:\n{}",
        ENGINE.join(", "),
        found.join("\n")
    );
}

/// Whether `path` is `module` or something inside it.
fn names_module(path: &str, module: &str) -> bool {
    path == module || path.starts_with(&format!("{module}::"))
}

/// Every `use` statement of `text` with the line it starts on, whitespace collapsed
/// (a grouped `use` may span lines).
fn use_statements(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut open: Option<(usize, String)> = None;
    for (n, line) in text.lines().enumerate() {
        let trimmed = line.trim();
        let rest = match open.take() {
            Some((start, so_far)) => Some((start, format!("{so_far} {trimmed}"))),
            None => ["use ", "pub use ", "pub(crate) use ", "pub(super) use "]
                .iter()
                .find_map(|p| trimmed.strip_prefix(p))
                .map(|r| (n + 1, r.to_string())),
        };
        if let Some((start, stmt)) = rest {
            match stmt.find(';') {
                Some(end) => out.push((start, stmt[..end].trim().to_string())),
                None => open = Some((start, stmt)),
            }
        }
    }
    out
}

/// The paths a use tree names: `crate::{a::b, c::{d, e as f}}` gives `crate::a::b`,
/// `crate::c::d` and `crate::c::e`.
fn expand_use(tree: &str) -> Vec<String> {
    // Drop renames (`x as y`), then every space.
    let mut words = tree.split_whitespace();
    let mut flat = String::new();
    while let Some(word) = words.next() {
        if word == "as" {
            let alias = words.next().unwrap_or_default();
            let rest: String = alias
                .chars()
                .skip_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            flat.push_str(&rest);
        } else {
            flat.push_str(word);
        }
    }
    let tree = flat;
    let mut out = Vec::new();
    expand_into("", &tree, &mut out);
    out
}

fn expand_into(prefix: &str, tree: &str, out: &mut Vec<String>) {
    let join = |a: &str, b: &str| {
        let b = b.trim_end_matches("::");
        match (a.is_empty(), b.is_empty() || b == "self") {
            (_, true) => a.to_string(),
            (true, false) => b.to_string(),
            (false, false) => format!("{a}::{b}"),
        }
    };
    match tree.find('{') {
        None => out.push(join(prefix, tree)),
        Some(open) => {
            let head = join(prefix, &tree[..open]);
            let inner = tree[open + 1..]
                .strip_suffix('}')
                .unwrap_or(&tree[open + 1..]);
            let (mut depth, mut start) = (0usize, 0usize);
            for (i, c) in inner.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => depth = depth.saturating_sub(1),
                    ',' if depth == 0 => {
                        expand_into(&head, &inner[start..i], out);
                        start = i + 1;
                    }
                    _ => {}
                }
            }
            if start < inner.len() {
                expand_into(&head, &inner[start..], out);
            }
        }
    }
}

#[test]
fn grouped_and_multi_line_uses_are_read_whole() {
    let text =
        "use crate::{\n    profile::base,\n    scenario::{checks, Step as S},\n};\nuse std::fmt;\n";
    let uses = use_statements(text);
    assert_eq!(uses.len(), 2, "{uses:?}");
    assert_eq!(uses[0].0, 1);
    assert_eq!(
        expand_use(&uses[0].1),
        [
            "crate::profile::base",
            "crate::scenario::checks",
            "crate::scenario::Step"
        ]
    );
    assert_eq!(expand_use("crate::suite"), ["crate::suite"]);
    assert_eq!(
        expand_use("crate::{self, report}"),
        ["crate", "crate::report"]
    );
    assert!(names_module("crate::scenario::Step", "crate::scenario"));
    assert!(!names_module("crate::scenarios", "crate::scenario"));
}

#[test]
fn the_checker_sees_words_and_their_bounds() {
    assert!(mentions("use crate::x::cci_sim;", "cci"));
    assert!(mentions("\"csp-a\" =>", "csp-a"));
    assert!(!mentions("occidental", "cci"));
    assert!(!mentions("dialects", "dialect"));
}

/// The error type of every `Result<...>` written in `code`, as written.
fn result_errors(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = code;
    while let Some(at) = rest.find("Result<") {
        let preceded = rest[..at]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_alphanumeric() || c == '_');
        rest = &rest[at + "Result<".len()..];
        if preceded {
            continue;
        }
        // The arguments up to the matching `>`; the error is the last top-level one.
        let (mut depth, mut last_comma, mut end) = (0i32, None, None);
        for (i, c) in rest.char_indices() {
            match c {
                '<' | '(' | '[' => depth += 1,
                ')' | ']' => depth -= 1,
                '>' if depth == 0 => {
                    end = Some(i);
                    break;
                }
                '>' => depth -= 1,
                ',' if depth == 0 => last_comma = Some(i),
                _ => {}
            }
        }
        if let (Some(comma), Some(end)) = (last_comma, end) {
            out.push(rest[comma + 1..end].trim().to_string());
        }
    }
    out
}

#[test]
fn library_errors_are_typed() {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let mut found = Vec::new();
    for path in files {
        if path.file_name().and_then(|n| n.to_str()) == Some("tests.rs") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("readable source");
        for (n, line) in text.lines().enumerate() {
            // Unit tests sit at the end of a file, after `#[cfg(test)]`.
            if line.trim_start().starts_with("#[cfg(test)]") {
                break;
            }
            let code = line.split("//").next().unwrap_or("");
            for error in result_errors(code) {
                if matches!(
                    error.as_str(),
                    "String" | "std::string::String" | "alloc::string::String"
                ) {
                    found.push(format!("{}:{}: {}", relative(&path), n + 1, line.trim()));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "untyped errors (use a thiserror enum):\n{}",
        found.join("\n")
    );
}

#[test]
fn the_error_checker_reads_nested_types() {
    assert_eq!(
        result_errors("fn f() -> Result<Vec<(u8, u16)>, String> {"),
        ["String"]
    );
    assert_eq!(
        result_errors("OnceLock<Result<Config, std::string::String>>"),
        ["std::string::String"]
    );
    assert_eq!(
        result_errors("type R = Result<HashMap<String, u8>, MyError>;"),
        ["MyError"]
    );
    // `io::Result<T>` has no error argument; `MyResult<_, String>` is not `Result`.
    assert!(result_errors("fn g() -> io::Result<String> {").is_empty());
    assert!(result_errors("fn h() -> MyResult<u8, String> {").is_empty());
}
