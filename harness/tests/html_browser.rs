//! report.html in a real browser. Headless Chromium loads, from `file://`, the page of a
//! run against the CSP A simulator in another process with a fault: the page logs
//! nothing but its own ready line (no error, no uncaught exception), the problems come
//! before the coverage, a filter in the URL's `#` part (outcome, text search) hides the
//! runs it excludes, and the page fits a phone's width. The whole built-in suite's page
//! stays under 2 MB and fits too.
//!
//! Without Chromium the tests say so and pass, unless `CROSSCHECK_REQUIRE_BROWSER` is
//! set (`.ci/run` installs Chromium and sets it).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use common::{crosscheck, external_cci_a, sim, temp_dir, text};

/// The browser to use: `CROSSCHECK_CHROMIUM`, else the first of the usual names on PATH.
fn chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("CROSSCHECK_CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH")?;
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .flat_map(|name| std::env::split_paths(&path).map(move |dir| dir.join(name)))
        .find(|p| p.is_file())
}

/// The browser, or `None` (with a note) when it is absent and not required.
fn browser_or_skip() -> Option<PathBuf> {
    let found = chromium();
    if found.is_none() {
        assert!(
            std::env::var_os("CROSSCHECK_REQUIRE_BROWSER").is_none(),
            "CROSSCHECK_REQUIRE_BROWSER is set but no chromium was found"
        );
        eprintln!("no chromium on PATH: the browser check of report.html did not run");
    }
    found
}

/// What the browser made of a page: the DOM after its scripts ran, and every console
/// message it logged.
struct Loaded {
    dom: String,
    console: Vec<String>,
}

/// Loads `page` with `hash` in a window `width` pixels wide.
fn load(browser: &Path, page: &Path, hash: &str, width: u32) -> Loaded {
    let profile = temp_dir(&format!("chromium-{width}-{}", hash.len()));
    let url = format!("file://{}{hash}", page.display());
    // Output goes to files: a page's DOM is larger than a pipe holds.
    let (dom_file, log_file) = (profile.join("dom.html"), profile.join("log.txt"));
    let file = |p: &Path| std::fs::File::create(p).expect("output file");
    let mut child = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--enable-logging=stderr",
            "--v=0",
            "--virtual-time-budget=3000",
            &format!("--window-size={width},900"),
            &format!("--user-data-dir={}", profile.join("profile").display()),
            "--dump-dom",
            &url,
        ])
        .stdout(file(&dom_file))
        .stderr(file(&log_file))
        .spawn()
        .expect("chromium starts");
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().expect("chromium runs") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("chromium did not finish loading {url} within 60 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let log = std::fs::read_to_string(&log_file).unwrap_or_default();
    assert!(status.success(), "chromium failed on {url}: {log}");
    // Lines such as `[...:INFO:CONSOLE:12] "message", source: file:///... (12)`.
    let console = log
        .lines()
        .filter(|l| l.contains(":CONSOLE"))
        .map(|l| l.split_once("] ").map_or(l, |(_, m)| m).to_string())
        .collect();
    Loaded {
        dom: std::fs::read_to_string(&dom_file).expect("the dumped DOM"),
        console,
    }
}

/// The opening tags of the run sections: (id, hidden).
fn runs(dom: &str) -> Vec<(String, bool)> {
    dom.split("<section ")
        .skip(1)
        .filter_map(|s| s.split_once('>').map(|(tag, _)| tag))
        .filter(|tag| tag.contains("class=\"run\""))
        .map(|tag| {
            let id = tag
                .split("data-text=\"")
                .nth(1)
                .and_then(|t| t.split(' ').next())
                .unwrap_or("")
                .to_string();
            (id, tag.contains("hidden"))
        })
        .collect()
}

/// The page's one console line, checked: nothing else logged, the run counts, and a
/// page no wider than the window.
fn ready_line(loaded: &Loaded) -> (usize, usize) {
    assert_eq!(
        loaded.console.len(),
        1,
        "the page logs its ready line and nothing else: {:?}",
        loaded.console
    );
    let line = &loaded.console[0];
    let words: Vec<&str> = line
        .trim_start_matches('"')
        .split([' ', ';', '"'])
        .filter(|w| !w.is_empty())
        .collect();
    assert_eq!(words.first(), Some(&"crosscheck-report-ready:"), "{line}");
    let number = |i: usize| -> usize {
        words
            .get(i)
            .and_then(|w| w.parse().ok())
            .unwrap_or_else(|| panic!("word {i} of {line} is a number"))
    };
    // crosscheck-report-ready: S of N runs shown; page width W of C
    let (shown, total, width, client) = (number(1), number(3), number(8), number(10));
    assert!(
        width <= client,
        "the page is {width} px wide in a {client} px window: {line}"
    );
    (shown, total)
}

/// A run of the CSP A scenarios against the simulator with `a-accepts-reuse`: its
/// report.html.
fn failing_page(dir: &Path) -> PathBuf {
    let (target, listen, peer, api) = external_cci_a(dir);
    let reports = dir.join("reports");
    let _sim = sim(
        "cci",
        "csp-a",
        &listen,
        Some(&peer),
        Some("a-accepts-reuse"),
        api,
    );
    let out = crosscheck(&[
        "run",
        "scenarios/cci/csp-a",
        "--target",
        target.to_str().expect("utf-8"),
        "--report-dir",
        reports.to_str().expect("utf-8"),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    reports.join("report.html")
}

#[test]
fn the_detector_sees_an_uncaught_error() {
    // Positive control: a page that throws is not taken for a quiet one.
    let Some(browser) = browser_or_skip() else {
        return;
    };
    let dir = temp_dir("browser-control");
    let page = dir.join("broken.html");
    std::fs::write(&page, "<!doctype html><p>x</p><script>null.x();</script>").expect("page");
    let loaded = load(&browser, &page, "", 800);
    assert!(
        loaded.console.iter().any(|l| l.contains("Uncaught")),
        "{:?}",
        loaded.console
    );
}

#[test]
fn a_failing_runs_page_loads_cleanly_and_filters() {
    let Some(browser) = browser_or_skip() else {
        return;
    };
    let dir = temp_dir("browser-failing");
    let page = failing_page(&dir);

    let all = load(&browser, &page, "", 390);
    let (shown, total) = ready_line(&all);
    let sections = runs(&all.dom);
    assert_eq!(
        (shown, total),
        (sections.len(), sections.len()),
        "{sections:?}"
    );
    assert!(
        total > 5 && sections.iter().all(|(_, hidden)| !hidden),
        "{sections:?}"
    );
    // The problems come first, and the failure there names its requirement.
    let problems = all.dom.find("id=\"problems\"").expect("a problems section");
    let coverage = all.dom.find("id=\"coverage\"").expect("a coverage section");
    assert!(problems < coverage);
    assert!(all.dom[problems..coverage].contains("cci-a-reuse"));
    assert!(all.dom[problems..coverage].contains("CCI-A-10"));

    let failed = load(&browser, &page, "#outcome=failed", 390);
    assert_eq!(ready_line(&failed), (1, total));
    let visible: Vec<String> = runs(&failed.dom)
        .into_iter()
        .filter(|(_, hidden)| !hidden)
        .map(|(id, _)| id)
        .collect();
    assert_eq!(visible, ["cci-a-reuse"]);
    // The coverage keeps only the requirements of the runs still shown.
    let rows = failed.dom.matches("<tr class=\"req\"").count();
    let hidden_rows = failed
        .dom
        .split("<tr class=\"req\"")
        .skip(1)
        .filter(|r| {
            r.split_once('>')
                .is_some_and(|(tag, _)| tag.contains("hidden"))
        })
        .count();
    assert!(
        hidden_rows > 0 && hidden_rows < rows,
        "{hidden_rows} of {rows}"
    );

    let searched = load(&browser, &page, "#q=expired", 390);
    let (shown, _) = ready_line(&searched);
    assert!(shown >= 1 && shown < total, "{shown} of {total}");
}

#[test]
fn the_whole_suites_page_is_small_and_fits_a_phone() {
    let Some(browser) = browser_or_skip() else {
        return;
    };
    let dir = temp_dir("browser-suite");
    let reports = dir.join("reports");
    let out = crosscheck(&["run", "--report-dir", reports.to_str().expect("utf-8")]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let page = reports.join("report.html");
    let size = std::fs::metadata(&page).expect("report.html").len();
    assert!(
        size < 2 * 1024 * 1024,
        "report.html of the whole suite is {size} bytes"
    );
    let loaded = load(&browser, &page, "", 390);
    let (shown, total) = ready_line(&loaded);
    assert!(total > 50 && shown == total, "{shown} of {total}");
}
