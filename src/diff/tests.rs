//! `compare` over packs written by hand: what each kind of change is
//! called, and what counts as a regression.

use super::*;

const CATALOG: &str = "AWS foundational security evidence";

fn results(controls: serde_json::Value, regions: serde_json::Value) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "catalog": {"name": CATALOG, "version": 1, "sha256": "x"},
        "summary": {},
        "controls": controls,
        "regions": regions,
    }))
    .unwrap()
}

fn control(id: &str, status: &str, failing: &[(&str, &str)]) -> serde_json::Value {
    serde_json::json!({
        "id": id, "title": format!("{id} title"), "severity": "high", "status": status, "reason": "r",
        "frameworks": {}, "evaluated": 3,
        "failing": failing.iter().map(|(rid, region)| serde_json::json!({
            "id": rid, "name": rid, "account": "123456789012", "region": region, "problems": ["open"]
        })).collect::<Vec<_>>(),
        "evidence_errors": [],
    })
}

fn view(controls: serde_json::Value, regions: serde_json::Value, yaml: &str) -> PackView {
    let files = BTreeMap::from([
        (pack::RESULTS.to_string(), results(controls, regions)),
        (pack::CONTROLS.to_string(), yaml.as_bytes().to_vec()),
    ]);
    PackView::from_members("p.zip", "ab".repeat(32).as_str(), "", "2026-08-20 10:00 UTC", None, &files).unwrap()
}

fn one_region(regions: &[&str]) -> serde_json::Value {
    serde_json::json!([{"account": "123456789012", "read": regions, "enabled": regions, "not_read": []}])
}

const YAML_OLD: &str = "version: 1\nname: c\ncontrols:\n  - id: EC2.19\n    params: {ports: [22, 3389]}\n    check: {resource: ec2.security_group, assert: [{that: 'true', otherwise: x}]}\n  - id: S3.8\n    check: {resource: s3.bucket, assert: [{that: 'true', otherwise: x}]}\n";
const YAML_NEW: &str = "version: 1\nname: c\ncontrols:\n  - id: EC2.19\n    params: {ports: [22]}\n    check: {resource: ec2.security_group, assert: [{that: 'false', otherwise: x}]}\n  - id: S3.8\n    check: {resource: s3.bucket, assert: [{that: 'true', otherwise: x}]}\n";

/// One group closed, one bucket opened: exactly one fixed and one new
/// failure, each under its control, and a regression.
#[test]
fn a_fix_and_a_new_failure_are_told_apart() {
    let old = view(
        serde_json::json!([
            control("EC2.19", "fail", &[("sg-1", "us-east-1"), ("sg-2", "us-east-1")]),
            control("S3.8", "pass", &[]),
        ]),
        one_region(&["us-east-1"]),
        YAML_OLD,
    );
    let new = view(
        serde_json::json!([
            control("EC2.19", "fail", &[("sg-2", "us-east-1")]),
            control("S3.8", "fail", &[("arn:aws:s3:::open", "us-east-1")]),
        ]),
        one_region(&["us-east-1", "eu-west-1"]),
        YAML_NEW,
    );
    let d = compare(&old, &new);
    let ec2 = d.controls.iter().find(|c| c.id == "EC2.19").unwrap();
    let id = |rid: &str, control: &str| finding::finding_id(CATALOG, control, "123456789012", "us-east-1", rid);
    assert_eq!(ec2.fixed.iter().map(|f| f.finding_id.clone()).collect::<Vec<_>>(), [id("sg-1", "EC2.19")]);
    assert_eq!(ec2.still_failing.iter().map(|f| f.finding_id.clone()).collect::<Vec<_>>(), [id("sg-2", "EC2.19")]);
    assert!(ec2.new_failures.is_empty());
    let s3 = d.controls.iter().find(|c| c.id == "S3.8").unwrap();
    assert_eq!(
        s3.new_failures.iter().map(|f| f.finding_id.clone()).collect::<Vec<_>>(),
        [id("arn:aws:s3:::open", "S3.8")]
    );
    assert_eq!((s3.old_status.as_deref(), s3.new_status.as_deref()), (Some("pass"), Some("fail")));
    assert!(d.regression);
    assert_eq!((d.counts.new_failures, d.counts.fixed, d.counts.still_failing), (1, 1, 1));
    assert_eq!(d.regions.appeared, [RegionItem { account: "123456789012".into(), region: "eu-west-1".into() }]);
    // The catalog change: the expression and one parameter.
    assert_eq!(d.catalog.changed.len(), 1);
    let c = &d.catalog.changed[0];
    assert!(c.expression);
    assert_eq!(c.params[0].name, "ports");
    let md = d.markdown();
    assert!(md.contains("**not verified**"), "{md}");
    assert!(md.contains(&id("sg-1", "EC2.19")) && md.contains(&id("arn:aws:s3:::open", "S3.8")), "{md}");
    let chapter = d.chapter();
    assert_eq!(chapter.new_failures.len(), 1);
    assert_eq!(chapter.fixed.len(), 1);
    assert!(chapter.title.starts_with("Changes since pack abababababababab, 2026-08-20"), "{}", chapter.title);
}

/// A fix alone is no regression; the same pack twice lists nothing.
#[test]
fn fixes_alone_are_no_regression() {
    let old = view(
        serde_json::json!([control("EC2.19", "fail", &[("sg-1", "us-east-1")])]),
        one_region(&["us-east-1"]),
        YAML_OLD,
    );
    let new = view(serde_json::json!([control("EC2.19", "pass", &[])]), one_region(&["us-east-1"]), YAML_OLD);
    let d = compare(&old, &new);
    assert!(!d.regression);
    assert_eq!(d.counts.fixed, 1);
    let same = compare(&new, &new);
    assert!(same.controls.is_empty() && !same.regression, "{same:?}");
    assert!(same.other_changes().is_empty());
}

/// An exception that lapsed turns a covered finding back into a failure:
/// a new failure, and the exception is listed as expired.
#[test]
fn an_expired_exception_is_a_regression() {
    let mut was = control("EC2.19", "excepted", &[("sg-1", "us-east-1")]);
    was["exceptions"] = serde_json::json!([{"justification": "vendor", "approver": "CISO", "expires": "2026-09-01", "active": true, "covered": ["sg-1"]}]);
    let mut now = control("EC2.19", "fail", &[("sg-1", "us-east-1")]);
    now["exceptions"] = serde_json::json!([{"justification": "vendor", "approver": "CISO", "expires": "2026-09-01", "active": false, "covered": ["sg-1"]}]);
    let d = compare(
        &view(serde_json::json!([was]), one_region(&[]), ""),
        &view(serde_json::json!([now]), one_region(&[]), ""),
    );
    assert_eq!(d.exceptions.expired.len(), 1);
    assert_eq!(d.counts.new_failures, 1);
    assert!(d.regression);
}
