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

/// A big estate: long tables appear once, in the appendix, and each control
/// repeats only its flagged rows.
#[test]
fn long_tables_go_to_the_appendix() {
    let mut s = example();
    let template = s.resources.iter().find(|r| r.kind == "ec2.security_group").unwrap().clone();
    for g in 0..30 {
        let mut r = template.clone();
        r.id = format!("sg-estate-{g}");
        r.data["group_id"] = format!("sg-estate-{g}").into();
        r.data["is_default"] = false.into();
        r.data["egress"] = serde_json::json!([]);
        r.data["ingress"] = (0..20)
            .map(|i| serde_json::json!({"protocol": "tcp", "from_port": 22 + i, "to_port": 22 + i, "peer": if i == 0 { "0.0.0.0/0" } else { "10.0.0.0/8" }, "peer_type": "cidr_ipv4", "description": null}))
            .collect();
        s.resources.push(r);
    }
    let catalog = Catalog::builtin();
    let results = evaluate::evaluate(&s, &catalog);
    let report = render::build(&s, "x", &catalog, &results);
    assert_eq!(report.evidence.len(), 1, "one appendix table, for security groups");
    assert!(report.evidence[0].rows.len() > 600);
    let ec2_13 = report.controls.iter().find(|c| c.id == "EC2.13").unwrap();
    let excerpt = &ec2_13.tables[0];
    assert!(excerpt.rows.iter().all(|r| r.flagged) && excerpt.rows.len() == 30, "{}", excerpt.rows.len());
    assert!(excerpt.note.contains("appendix"));
    let md = render::markdown(&report).unwrap();
    assert!(md.contains("## Appendix: evidence tables"));
}

/// Snapshots of several accounts make one pack covering all of them.
#[test]
fn snapshots_of_two_accounts_merge() {
    let a = example();
    let mut b = example();
    let (old, new) = ("992382705250", "111122223333");
    let text = b.to_json().replace(old, new);
    b = Snapshot::from_json("b", &text).unwrap();
    let merged = Snapshot::merge(vec![a, b]).unwrap();
    assert_eq!(merged.accounts.len(), 2);
    let catalog = Catalog::builtin();
    let results = evaluate::evaluate(&merged, &catalog);
    let kms = results.get("KMS.4").unwrap();
    let accounts: std::collections::BTreeSet<&str> = kms.failing.iter().map(|f| f.account.as_str()).collect();
    assert_eq!(accounts.len(), 2, "both accounts' keys are evaluated");
    let report = render::build(&merged, "x", &catalog, &results);
    let md = render::markdown(&report).unwrap();
    assert!(md.contains(old) && md.contains(new));
    assert!(md.contains("| Account | Region | Aliases"), "tables gain an Account column");
}
