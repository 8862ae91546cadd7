//! A catalog with a mistake gets an error with its file, line and column.

use std::process::Command;

use crate::harness::{BIN, control, run};

const EXAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/snapshot.json");

fn evaluate_with(catalog: &str) -> (Option<i32>, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("controls.yaml");
    std::fs::write(&path, catalog).unwrap();
    let out = run(Command::new(BIN).args(["evaluate", EXAMPLE, "--controls"]).arg(&path));
    (out.status.code(), String::from_utf8_lossy(&out.stderr).replace(&path.display().to_string(), "controls.yaml"))
}

const HEAD: &str = "version: 1\nname: test\ncontrols:\n";

#[test]
fn yaml_syntax_error_has_line_and_column() {
    let (code, err) = evaluate_with(&format!("{HEAD}  - id: X.1\n    title: [unclosed\n"));
    assert_eq!(code, Some(1));
    assert!(err.contains("controls.yaml:5:"), "{err}");
}

#[test]
fn unknown_field_is_named_with_its_line() {
    let (code, err) = evaluate_with(&format!(
        "{HEAD}  - id: X.1\n    title: t\n    severity: low\n    chekc:\n      resource: kms.key\n"
    ));
    assert_eq!(code, Some(1));
    assert!(err.contains("controls.yaml:7:") && err.contains("chekc"), "{err}");
}

#[test]
fn bad_expression_points_into_the_expression() {
    let (code, err) = evaluate_with(&format!(
        "{HEAD}  - id: X.1\n    title: t\n    severity: low\n    check:\n      resource: kms.key\n      assert:\n        - that: r.rotation_enabled ==\n          otherwise: no\n"
    ));
    assert_eq!(code, Some(1));
    assert!(err.contains("controls.yaml:10:") && err.contains("invalid CEL"), "{err}");
}

#[test]
fn unknown_resource_type_lists_the_known_ones() {
    let (code, err) = evaluate_with(&format!(
        "{HEAD}  - id: X.1\n    title: t\n    severity: low\n    check:\n      resource: kms.keys\n      assert:\n        - that: 'true'\n          otherwise: no\n"
    ));
    assert_eq!(code, Some(1));
    assert!(err.contains("controls.yaml:8:") && err.contains("kms.key,"), "{err}");
}

/// The example's one certificate expires 20 days after collection: inside
/// Security Hub's 30-day window, outside a 10-day one.
#[test]
fn a_threshold_change_needs_no_rebuild() {
    let builtin = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/controls.yaml")).unwrap();
    let acm = |catalog: &str| {
        let (code, results, err, _) = evaluate_json(catalog);
        assert_eq!(code, Some(3), "{err}");
        control(&results, "ACM.1").clone()
    };
    let baseline = acm(&builtin);
    assert_eq!(baseline["status"], "fail", "{baseline}");
    assert!(baseline["reason"].as_str().unwrap().contains("renewal window"), "{baseline}");

    assert_eq!(builtin.matches("days_to_expiration: 30").count(), 1, "the threshold moved in controls.yaml");
    let lenient = builtin.replace("days_to_expiration: 30", "days_to_expiration: 10");
    let changed = acm(&lenient);
    assert_eq!(changed["status"], "pass", "{changed}");
}

/// A check over the example's one KMS key with one assertion.
fn check(id: &str, that: &str) -> String {
    format!(
        "  - id: {id}\n    title: t\n    severity: low\n    check:\n      resource: kms.key\n      assert:\n        - that: {that}\n          otherwise: no\n"
    )
}

fn composite(id: &str, includes: &str) -> String {
    format!(
        "  - id: {id}\n    title: t\n    severity: low\n    sections:\n      - title: s\n        controls: [{includes}]\n"
    )
}

fn evaluate_json(catalog: &str) -> (Option<i32>, serde_json::Value, String, std::time::Duration) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("controls.yaml");
    std::fs::write(&path, catalog).unwrap();
    let start = std::time::Instant::now();
    let out = run(Command::new(BIN).args(["evaluate", EXAMPLE, "--json", "--controls"]).arg(&path));
    let took = start.elapsed();
    let results = serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null);
    (out.status.code(), results, String::from_utf8_lossy(&out.stderr).into_owned(), took)
}

#[test]
fn a_3000_term_expression_is_refused_with_its_place() {
    let sum = vec!["1"; 3000].join(" + ");
    let (code, err) = evaluate_with(&format!("{HEAD}{}", check("X.1", &format!("'{sum} == 3000'"))));
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("controls.yaml:10:17: the CEL expression is 12005 bytes long, over the limit of 4096 bytes"),
        "{err}"
    );
    // Within the length limit, but far deeper than evaluation may go.
    let sum = vec!["1"; 1000].join("+");
    let (code, err) = evaluate_with(&format!("{HEAD}{}", check("X.1", &format!("'{sum} == 1000'"))));
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("controls.yaml:10:") && err.contains("levels deep, over the limit"), "{err}");
}

#[test]
fn a_comprehension_bomb_is_stopped_and_the_other_controls_are_evaluated() {
    let range = format!("[{}]", (0..50).map(|i| i.to_string()).collect::<Vec<_>>().join(", "));
    let mut bomb = "r.key_id == r.key_id".to_string();
    for v in ["a", "b", "c", "d", "e", "f"] {
        bomb = format!("{range}.all({v}, {bomb})");
    }
    let catalog = format!("{HEAD}{}{}", check("X.1", &format!("'{bomb}'")), check("X.2", "'true'"));
    let (code, results, err, took) = evaluate_json(&catalog);
    assert_eq!(code, Some(4), "{err}");
    let bombed = control(&results, "X.1");
    assert_eq!(bombed["status"], "error");
    assert!(bombed["reason"].as_str().unwrap().contains("went over the cost budget"), "{bombed}");
    assert_eq!(control(&results, "X.2")["status"], "pass");
    // A guard against a hang, not a speed target: the bound on work is
    // asserted exactly in engine's unit tests, where wall time plays no part.
    assert!(took < std::time::Duration::from_secs(120), "{took:?}");
}

#[test]
fn a_composite_may_include_a_later_composite() {
    let catalog = format!("{HEAD}{}{}{}", composite("A", "B"), composite("B", "X.1"), check("X.1", "'false'"));
    let (code, results, err, _) = evaluate_json(&catalog);
    assert_eq!(code, Some(3), "{err}");
    assert_eq!(control(&results, "X.1")["status"], "fail");
    assert_eq!(control(&results, "B")["status"], "fail");
    assert_eq!(control(&results, "A")["status"], "fail");
}

#[test]
fn composites_including_each_other_are_refused_where_the_cycle_closes() {
    let catalog = format!(
        "{HEAD}{}{}{}{}",
        composite("A", "X.1, B"),
        composite("B", "C"),
        composite("C", "A"),
        check("X.1", "'true'")
    );
    let (code, err) = evaluate_with(&catalog);
    assert_eq!(code, Some(1), "{err}");
    // A, first in the file, includes B on line 9.
    assert!(err.contains("controls.yaml:9:25: controls include each other in a cycle: A → B → C → A"), "{err}");
    let (code, err) = evaluate_with(&format!("{HEAD}{}{}", composite("A", "X.1, A"), check("X.1", "'true'")));
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("controls.yaml:9:25: control 'A' includes itself"), "{err}");
}

#[test]
fn an_oversized_catalog_is_refused() {
    let builtin = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/controls.yaml")).unwrap();
    let padding = format!("# {}\n", "x".repeat(1000)).repeat(5000);
    let (code, err) = evaluate_with(&format!("{builtin}{padding}"));
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("cannot read control catalog controls.yaml") && err.contains("over the limit of 4194304 bytes"),
        "{err}"
    );
}

/// Four mistakes in four controls: all are reported in one run, in file
/// order, each with its line and column (before, only the first was, and
/// each fix needed another run to find the next).
#[test]
fn every_mistake_is_reported_in_one_run() {
    let catalog = format!(
        "{HEAD}{}{}{}{}",
        // line 4: an unknown field in a control
        "  - id: A\n    title: t\n    severity: low\n    descripton: typo\n    check:\n      resource: kms.key\n      assert:\n        - that: 'true'\n          otherwise: no\n",
        // line 13: an unknown resource type
        "  - id: B\n    title: t\n    severity: low\n    check:\n      resource: kms.keys\n      assert:\n        - that: 'true'\n          otherwise: no\n",
        // line 21: an expression that does not parse
        check("C", "r.rotation_enabled =="),
        // line 29: the same id again
        check("A", "'true'"),
    );
    let (code, err) = evaluate_with(&catalog);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("4 problems in controls.yaml:"), "{err}");
    let at = |needle: &str| err.find(needle).unwrap_or_else(|| panic!("no {needle:?} in {err}"));
    let positions = [
        at("controls.yaml:7:5: unknown field `descripton` in a control"),
        at("controls.yaml:17:17: unknown resource type 'kms.keys'"),
        at("controls.yaml:27:"),
        at("controls.yaml:29:9: control id 'A' is defined twice (first at line 4)"),
    ];
    assert!(positions.is_sorted(), "not in file order: {err}");
    assert!(err[positions[2]..positions[3]].contains("invalid CEL"), "{err}");
    assert_eq!(err.matches("\n  hint: ").count(), 4, "{err}");
}
