//! The shipped scenario files, loaded against the real protocol registry.

use std::path::Path;

use crosscheck::protocols;
use crosscheck::scenario::load_paths;

#[test]
fn every_shipped_scenario_loads() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios");
    let all = load_paths(&[dir], protocols::all()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(all.len(), 98, "scenario files shipped");
    for p in protocols::all() {
        assert!(
            all.iter().any(|s| s.profile.name() == p.name()),
            "{} has scenarios",
            p.name()
        );
    }
}

#[test]
fn a_requirement_of_another_protocol_is_refused_with_file_and_line() {
    let [first, second] = [protocols::all()[0], protocols::all()[1]];
    let foreign = second.requirements()[0].id;
    let role = first.roles()[0].name;
    let text = format!(
        "id: t\ntitle: t\nprotocol: {}\nrole: {role}\nrequirements: [{foreign}]\nsteps:\n  - let: {{a: 1}}\n",
        first.name()
    );
    let errors = crosscheck::scenario::loader::load_str(&text, "t.yaml", protocols::all())
        .expect_err("refused");
    let shown = errors[0].to_string();
    assert!(
        shown.starts_with("t.yaml:5") && shown.contains(foreign),
        "{shown}"
    );
}
