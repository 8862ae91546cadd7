//! The rendered report, pinned; and the statuses moto cannot produce,
//! evaluated over snapshots that state them.

use evidence_pack::evaluate::{self, Catalog};
use evidence_pack::render;
use evidence_pack::seal::sha256_hex;
use evidence_pack::snapshot::Snapshot;

fn example() -> Snapshot {
    Snapshot::from_json("examples/snapshot.json", evidence_pack::EXAMPLE_SNAPSHOT).unwrap()
}

#[test]
fn report_markdown_is_pinned() {
    let snapshot = example();
    let catalog = Catalog::builtin();
    let results = evaluate::evaluate(&snapshot, &catalog);
    let report = render::build(&snapshot, &sha256_hex(snapshot.to_json().as_bytes()), &catalog, &results);
    insta::assert_snapshot!("report.md", render::markdown(&report).unwrap());
}

#[test]
fn results_json_is_pinned() {
    let snapshot = example();
    let results = evaluate::evaluate(&snapshot, &Catalog::builtin());
    insta::assert_snapshot!("results.json", results.to_json());
}

/// Set a field of the one account summary in a snapshot.
fn with_summary(field: &str, value: serde_json::Value) -> Snapshot {
    let mut s = example();
    let r = s.resources.iter_mut().find(|r| r.kind == "iam.account_summary").unwrap();
    r.data[field] = value;
    s
}

#[test]
fn root_controls_follow_the_account_summary() {
    // moto's root user never has MFA nor access keys; real accounts may.
    let catalog = Catalog::builtin();
    let status = |s: &Snapshot, id: &str| evaluate::evaluate(s, &catalog).get(id).unwrap().status.as_str();
    assert_eq!(status(&with_summary("root_mfa_enabled", true.into()), "IAM.9"), "pass");
    assert_eq!(status(&with_summary("root_mfa_enabled", false.into()), "IAM.9"), "fail");
    assert_eq!(status(&with_summary("root_access_keys_present", true.into()), "IAM.4"), "fail");
    assert_eq!(status(&with_summary("root_access_keys_present", false.into()), "IAM.4"), "pass");
}

#[test]
fn every_control_in_the_catalog_has_a_result() {
    let catalog = Catalog::builtin();
    let mut empty = example();
    empty.resources.clear();
    let results = evaluate::evaluate(&empty, &catalog);
    assert_eq!(results.controls.len(), catalog.controls.len());
    for c in &results.controls {
        assert!(!c.reason.is_empty(), "{} has no reason", c.id);
    }
}
