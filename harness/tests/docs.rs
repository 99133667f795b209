//! What a newcomer reads holds: every relative link in the repository's Markdown files
//! leads to a file of the repository (a clone has nothing beside it), and
//! `crosscheck sim --help` names every simulator token the fixture targets use.

mod common;

use std::path::{Path, PathBuf};

use common::{crosscheck, root, text};

/// The repository's Markdown files: everything but build output, git's folder and run
/// output (only `reports/README.md` of `reports/` is part of the repository).
fn markdown_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().to_string();
        if path.is_dir() {
            if !matches!(
                name.as_str(),
                "target" | ".git" | "node_modules" | "reports"
            ) {
                markdown_files(&path, out);
            }
        } else if name.ends_with(".md") {
            out.push(path);
        }
    }
}

/// The destinations of the Markdown links in `text`: inline `[text](dest)` and
/// reference definitions `[label]: dest`, outside fenced code blocks and code spans.
fn link_destinations(text: &str) -> Vec<(usize, String)> {
    let mut links = Vec::new();
    let mut fenced = false;
    for (i, line) in text.lines().enumerate() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if fenced {
            continue;
        }
        // Code spans hold no links: drop every other backtick-delimited piece, but keep
        // a link whose text is code (`[`a`](b)` becomes `[](b)`).
        let plain: String = line
            .split('`')
            .enumerate()
            .filter(|(k, _)| k % 2 == 0)
            .map(|(_, piece)| piece)
            .collect();
        let trimmed = plain.trim_start();
        if trimmed.starts_with('[') {
            if let Some((_, dest)) = trimmed.split_once("]: ") {
                links.push((i + 1, dest.trim().to_string()));
            }
        }
        let mut rest = plain.as_str();
        while let Some(at) = rest.find("](") {
            rest = &rest[at + 2..];
            let end = rest.find(')').unwrap_or(rest.len());
            links.push((i + 1, rest[..end].trim().to_string()));
            rest = &rest[end..];
        }
    }
    links
}

/// The relative links of `file` (whose text is `text`) that lead to nothing inside
/// `root`, as `file:line: dest`.
fn dead_links(root: &Path, file: &Path, text: &str) -> Vec<String> {
    let root = root.canonicalize().expect("the root exists");
    let dir = file.parent().unwrap_or(Path::new("."));
    link_destinations(text)
        .into_iter()
        .filter(|(_, dest)| {
            let external = ["http://", "https://", "mailto:"]
                .iter()
                .any(|s| dest.starts_with(s));
            !external && !dest.starts_with('#') && !dest.is_empty()
        })
        .filter(|(_, dest)| {
            // `path "title"` and `path#anchor`: only the path must exist.
            let path = dest.split_whitespace().next().unwrap_or(dest);
            let path = path.split('#').next().unwrap_or(path);
            let path = path.trim_start_matches('<').trim_end_matches('>');
            match dir.join(path).canonicalize() {
                Ok(found) => !found.starts_with(&root),
                Err(_) => true,
            }
        })
        .map(|(line, dest)| {
            let shown = file.strip_prefix(&root).unwrap_or(file);
            format!("{}:{line}: {dest}", shown.display())
        })
        .collect()
}

#[test]
fn the_link_check_finds_links_out_of_the_repository_and_to_nothing() {
    let root = root().canonicalize().expect("the root exists");
    let file = root.join("README.md");
    let text = "see [`PROTOCOLS.md`](../shared/PROTOCOLS.md) and [gone](docs/gone.md)\n\
                [ref]: ../outside.md\n\
                fine: [a](ARCHITECTURE.md#layout), [b](#reports), [c](https://example.com/x),\n\
                [d](reports/README.md \"title\"), `[code](nowhere.md)`\n\
                ```\n[fenced](nowhere.md)\n```\n";
    let dead = dead_links(&root, &file, text);
    let dests: Vec<&str> = dead
        .iter()
        .map(|d| d.rsplit(": ").next().unwrap_or(d))
        .collect();
    assert_eq!(
        dests,
        ["../shared/PROTOCOLS.md", "docs/gone.md", "../outside.md"],
        "{dead:?}"
    );
    assert_eq!(dead[0], "README.md:1: ../shared/PROTOCOLS.md", "{dead:?}");
}

#[test]
fn every_relative_link_in_the_markdown_files_resolves_inside_the_repository() {
    let root = root().canonicalize().expect("the root exists");
    let mut files = Vec::new();
    markdown_files(&root, &mut files);
    files.push(root.join("reports/README.md"));
    assert!(files.iter().any(|f| f.ends_with("README.md")), "{files:?}");
    assert!(
        files.iter().any(|f| f.ends_with("ARCHITECTURE.md")),
        "{files:?}"
    );
    let mut dead = Vec::new();
    let mut links = 0;
    for file in &files {
        let text = std::fs::read_to_string(file).expect("a Markdown file reads");
        links += link_destinations(&text).len();
        dead.extend(dead_links(&root, file, &text));
    }
    assert!(links > 0, "no link found in {files:?}");
    assert!(
        dead.is_empty(),
        "links that lead nowhere in a clone:\n{}",
        dead.join("\n")
    );
}

/// The simulator tokens a fixture target names: every `sim-token-…` word.
fn fixture_tokens() -> Vec<(String, String)> {
    let dir = root().join("fixtures/targets");
    let mut found = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("fixtures/targets").flatten() {
        let name = entry.file_name().to_string_lossy().to_string();
        let text = std::fs::read_to_string(entry.path()).expect("a fixture reads");
        for (at, _) in text.match_indices("sim-token-") {
            let token: String = text[at..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
                .collect();
            found.push((name.clone(), token));
        }
    }
    found
}

#[test]
fn sim_help_names_every_token_the_fixture_targets_use() {
    let tokens = fixture_tokens();
    for file in ["cci-csp-a.yaml", "onapi-sp.yaml", "s2c-provider.yaml"] {
        assert!(
            tokens.iter().any(|(f, _)| f == file),
            "no sim-token in {file}: {tokens:?}"
        );
    }
    let out = crosscheck(&["sim", "--help"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let help = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(help.contains("Fixed credentials"), "{help}");
    let missing: Vec<_> = tokens
        .iter()
        .filter(|(_, token)| !help.contains(&format!(": {token} ")))
        .collect();
    assert!(
        missing.is_empty(),
        "tokens of fixtures/targets/ that `crosscheck sim --help` does not list: {missing:?}\n{help}"
    );
}
