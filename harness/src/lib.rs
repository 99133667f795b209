//! crosscheck: a conformance harness for two-party provisioning protocols.
//!
//! It plays every party but the implementation under test, replays YAML scenarios
//! against it, and reports pass/fail per scenario and per requirement.

/// `println!` that survives a closed stdout (a pager or `head` that has quit): the
/// line is dropped, the run goes on, and its reports and exit code stand.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout().lock(), $($arg)*);
    }};
}

/// `print!` that survives a closed stdout, as [`say!`] does.
macro_rules! show {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stdout().lock(), $($arg)*);
    }};
}

/// `eprintln!` that survives a closed stderr, as [`say!`] does stdout.
macro_rules! tell {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr().lock(), $($arg)*);
    }};
}

pub mod answer_fuzz;
pub mod certify;
pub mod cli;
pub mod clock;
pub mod fuzz;
pub mod http;
pub mod interrupt;
pub mod listing;
pub mod mutants;
pub mod nulls;
pub mod peers;
pub mod profile;
pub mod protocols;
pub mod raw_request;
pub mod report;
pub mod requirement_book;
pub mod scenario;
pub mod selftest;
pub mod server;
pub mod suite;
pub mod tls;
pub mod transport;
pub mod waivers;
pub mod yaml;
