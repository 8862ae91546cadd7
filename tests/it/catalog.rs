//! A catalog with a mistake gets an error with its file, line and column.

use std::process::Command;

use crate::harness::{BIN, run};

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

#[test]
fn a_threshold_change_needs_no_rebuild() {
    let builtin = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/controls.yaml")).unwrap();
    let (_, _) = evaluate_with(&builtin);
    let strict = builtin.replace("days_to_expiration: 30", "days_to_expiration: 100000");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("controls.yaml");
    std::fs::write(&path, strict).unwrap();
    let out = run(Command::new(BIN).args(["evaluate", EXAMPLE, "--json", "--controls"]).arg(&path));
    let results: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let acm = results["controls"].as_array().unwrap().iter().find(|c| c["id"] == "ACM.1").unwrap();
    assert_eq!(acm["status"], "fail");
}
