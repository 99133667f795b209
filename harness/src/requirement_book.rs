//! The requirement catalogue as people read it: one book per protocol (its own
//! requirements) and one for the cross-cutting ones, each requirement in full with the
//! scenarios of the suite that cite it. `crosscheck requirements` prints the books,
//! `docs/requirements/<book>.md` is their Markdown (kept fresh by a test), and the
//! reports link each id to its text.

use std::fmt::Write as _;
use std::sync::OnceLock;

use serde::Serialize;

use crate::profile::catalogue::{self, CatalogueError, Requirement, RequirementText, TextFile};
use crate::profile::Profile;
use crate::protocols;

/// The book of the requirements every protocol shares.
pub const CROSS_CUTTING: &str = "cross-cutting";

/// Where the books' Markdown lives, from the repository's root.
pub const DOCS_DIR: &str = "docs/requirements";

/// One requirement in full.
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    /// Its id.
    pub id: &'static str,
    /// MUST or SHOULD.
    pub level: &'static str,
    /// The one-line summary the reports show.
    pub gist: &'static str,
    /// What it demands.
    pub statement: String,
    /// Where it comes from.
    pub source: String,
    /// How the suite checks it.
    pub checks: String,
    /// The scenarios citing it, when the suite was loaded.
    pub scenarios: Option<Vec<String>>,
}

/// The requirements of one protocol, or the cross-cutting ones.
#[derive(Debug, Clone, Serialize)]
pub struct Book {
    /// A protocol's name, or [`CROSS_CUTTING`].
    pub name: &'static str,
    /// Its requirements, in catalogue order.
    pub requirements: Vec<Entry>,
}

/// A scenario as the books see it: its id and the requirements it cites.
pub type Citation<'a> = (&'a str, &'a [String]);

fn book(
    name: &'static str,
    file: TextFile,
    requirements: &'static [Requirement],
    suite: Option<&[Citation<'_>]>,
) -> Result<Book, CatalogueError> {
    let texts = catalogue::texts(file, requirements)?;
    let requirements = requirements
        .iter()
        .zip(texts)
        .map(|(r, t)| Entry {
            id: r.id,
            level: r.level.name(),
            gist: r.gist,
            statement: t.statement,
            source: t.source,
            checks: t.checks,
            scenarios: suite.map(|suite| {
                suite
                    .iter()
                    .filter(|(_, cites)| cites.iter().any(|c| c == r.id))
                    .map(|(id, _)| id.to_string())
                    .collect()
            }),
        })
        .collect();
    Ok(Book { name, requirements })
}

/// The books of `profiles`, then the cross-cutting one; `suite` (every loaded
/// scenario) fills in who cites what.
pub fn books(
    profiles: &[&'static dyn Profile],
    suite: Option<&[Citation<'_>]>,
) -> Result<Vec<Book>, CatalogueError> {
    let mut books = profiles
        .iter()
        .map(|p| book(p.name(), p.requirement_texts(), p.requirements(), suite))
        .collect::<Result<Vec<_>, _>>()?;
    books.push(book(
        CROSS_CUTTING,
        catalogue::CROSS_CUTTING_TEXTS,
        catalogue::CROSS_CUTTING,
        suite,
    )?);
    Ok(books)
}

/// Every registered requirement's text, parsed once; `None` for an unknown id (or a
/// catalogue that does not parse, which the tests rule out).
pub fn text_of(id: &str) -> Option<&'static RequirementText> {
    static ALL: OnceLock<Vec<(&'static str, RequirementText)>> = OnceLock::new();
    ALL.get_or_init(|| {
        let mut all = Vec::new();
        for p in protocols::all() {
            if let Ok(texts) = catalogue::texts(p.requirement_texts(), p.requirements()) {
                all.extend(texts.into_iter().map(|t| (p.name(), t)));
            }
        }
        if let Ok(texts) =
            catalogue::texts(catalogue::CROSS_CUTTING_TEXTS, catalogue::CROSS_CUTTING)
        {
            all.extend(texts.into_iter().map(|t| (CROSS_CUTTING, t)));
        }
        all
    })
    .iter()
    .find(|(_, t)| t.id == id)
    .map(|(_, t)| t)
}

/// The HTML anchor of a requirement in its book's Markdown.
pub fn anchor(id: &str) -> String {
    id.to_ascii_lowercase()
}

/// The repository path of a requirement's text, with its anchor
/// (`docs/requirements/<book>.md#<id in lower case>`), or `None` for an unknown id.
pub fn doc_path(id: &str) -> Option<String> {
    let name = protocols::all()
        .iter()
        .find(|p| p.requirements().iter().any(|r| r.id == id))
        .map(|p| p.name())
        .or_else(|| {
            catalogue::CROSS_CUTTING
                .iter()
                .any(|r| r.id == id)
                .then_some(CROSS_CUTTING)
        })?;
    Some(format!("{DOCS_DIR}/{name}.md#{}", anchor(id)))
}

fn scenario_list(e: &Entry) -> String {
    match &e.scenarios {
        None => "(the suite was not loaded)".into(),
        Some(s) if s.is_empty() => "none".into(),
        Some(s) => s.join(", "),
    }
}

/// The books as plain text, for a terminal.
pub fn render_text(books: &[Book]) -> String {
    let mut out = String::new();
    for b in books {
        let _ = writeln!(out, "{} requirements ({})\n", b.name, b.requirements.len());
        for e in &b.requirements {
            let _ = writeln!(out, "{} {}: {}", e.id, e.level, e.gist);
            let _ = writeln!(out, "  {}", e.statement);
            let _ = writeln!(out, "  source: {}", e.source);
            let _ = writeln!(out, "  checked: {}", e.checks);
            let _ = writeln!(out, "  scenarios: {}\n", scenario_list(e));
        }
    }
    out
}

/// One book as Markdown: an index, then each requirement under its own anchor.
pub fn render_markdown(b: &Book) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# {} requirements\n", b.name);
    let _ = writeln!(
        out,
        "Generated by `crosscheck requirements --docs {DOCS_DIR}`; do not edit: a test \
         fails when this file is stale. MUST makes a scenario fail; SHOULD passes it with a \
         warning. Reports link each id here.\n"
    );
    let _ = writeln!(out, "| id | level | in short |\n|---|---|---|");
    for e in &b.requirements {
        let _ = writeln!(
            out,
            "| [{}](#{}) | {} | {} |",
            e.id,
            anchor(e.id),
            e.level,
            e.gist.replace('|', "\\|")
        );
    }
    for e in &b.requirements {
        let _ = writeln!(
            out,
            "\n<a id=\"{}\"></a>\n## {} ({})\n\n{}\n",
            anchor(e.id),
            e.id,
            e.level,
            e.statement
        );
        let _ = writeln!(out, "- **Source:** {}", e.source);
        let _ = writeln!(out, "- **How the suite checks it:** {}", e.checks);
        let scenarios = match &e.scenarios {
            Some(s) if !s.is_empty() => s
                .iter()
                .map(|s| format!("`{s}`"))
                .collect::<Vec<_>>()
                .join(", "),
            _ => scenario_list(e),
        };
        let _ = writeln!(out, "- **Scenarios:** {scenarios}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_registered_protocol_has_a_full_text_for_each_requirement() {
        let books = books(protocols::all(), None).expect("every catalogue parses and fits");
        assert_eq!(books.len(), protocols::all().len() + 1);
        for b in &books {
            for e in &b.requirements {
                assert!(e.statement.len() > 60, "{}: statement too short", e.id);
                assert!(!e.source.is_empty() && !e.checks.is_empty(), "{}", e.id);
                assert_eq!(text_of(e.id).map(|t| &t.statement), Some(&e.statement));
            }
        }
        assert!(text_of("NOPE-01").is_none());
    }

    #[test]
    fn a_requirement_links_into_its_own_book() {
        let first = protocols::all()[0].requirements()[0].id;
        let path = doc_path(first).expect("known");
        assert_eq!(
            path,
            format!(
                "docs/requirements/{}.md#{}",
                protocols::all()[0].name(),
                anchor(first)
            )
        );
        assert_eq!(
            doc_path("X-02").as_deref(),
            Some("docs/requirements/cross-cutting.md#x-02")
        );
        assert_eq!(doc_path("NOPE-01"), None);
    }

    #[test]
    fn scenarios_citing_a_requirement_are_listed_under_it() {
        let cites = vec!["X-01".to_string()];
        let suite: Vec<Citation<'_>> = vec![("one", cites.as_slice()), ("two", &[])];
        let books = books(&[], Some(&suite)).expect("books");
        let x = &books[0];
        assert_eq!(x.name, CROSS_CUTTING);
        assert_eq!(
            x.requirements[0].scenarios.as_deref(),
            Some(&["one".to_string()][..])
        );
        assert_eq!(x.requirements[1].scenarios.as_deref(), Some(&[][..]));
        let md = render_markdown(x);
        assert!(md.contains("<a id=\"x-01\"></a>\n## X-01 (MUST)"), "{md}");
        assert!(md.contains("- **Scenarios:** `one`"), "{md}");
        assert!(md.contains("- **Scenarios:** none"), "{md}");
        let text = render_text(&books);
        assert!(
            text.contains("X-01 MUST: ") && text.contains("  scenarios: one\n"),
            "{text}"
        );
    }
}
