use std::collections::BTreeSet;

use serde_json::{Value, json};

use super::*;
use crate::snapshot::Snapshot;

/// A snapshot this build writes, kept as it is: later builds must still
/// read it (schema version 1).
const V1: &str = include_str!("../../../tests/fixtures/snapshot-v1.json");

fn typed(k: &KindInfo) -> fn(&Value) -> Result<Value, serde_json::Error> {
    k.typed.unwrap_or_else(|| panic!("{} carries no data", k.kind))
}

#[test]
fn kinds_are_unique_and_all_lists_them() {
    let unique: BTreeSet<&str> = KINDS.iter().map(|k| k.kind).collect();
    assert_eq!(unique.len(), KINDS.len(), "a kind is listed twice");
    assert_eq!(ALL, KINDS.iter().map(|k| k.kind).collect::<Vec<_>>());
}

#[test]
fn every_bucket_setting_is_a_marker_kind() {
    for s in BUCKET_SETTINGS {
        let k = info(&bucket_setting(s)).unwrap_or_else(|| panic!("{s} missing from KINDS"));
        assert!(k.typed.is_none());
    }
}

#[test]
fn each_kind_round_trips_through_its_struct() {
    for k in KINDS {
        let Some(sample) = k.sample else { continue };
        let data = sample();
        assert_eq!(typed(k)(&data).unwrap(), data, "{}", k.kind);
    }
}

#[test]
fn v1_snapshot_loads_and_every_resource_parses_unchanged() {
    let snapshot = Snapshot::from_json("snapshot-v1.json", V1).unwrap();
    assert!(!snapshot.resources.is_empty());
    for r in &snapshot.resources {
        let k = info(&r.kind).unwrap_or_else(|| panic!("unknown kind {}", r.kind));
        assert_eq!(typed(k)(&r.data).unwrap(), r.data, "{} {}", r.kind, r.id);
    }
}

/// Every `null` field dropped, as a snapshot written before that field
/// existed would have it. `document` is a policy as JSON, not an `Option`:
/// there `null` is the data itself.
fn without_nulls(data: &Value) -> Value {
    let mut data = data.clone();
    if let Value::Object(m) = &mut data {
        m.retain(|k, v| !v.is_null() || k == "document");
    }
    data
}

#[test]
fn resources_missing_optional_fields_still_parse() {
    let snapshot = Snapshot::from_json("snapshot-v1.json", V1).unwrap();
    let fixture = snapshot.resources.iter().map(|r| (r.kind.as_str(), r.data.clone()));
    let samples = KINDS.iter().filter_map(|k| k.sample.map(|s| (k.kind, s())));
    for (kind, data) in fixture.chain(samples) {
        let k = info(kind).unwrap();
        assert_eq!(typed(k)(&without_nulls(&data)).unwrap(), data, "{kind}");
    }
    // A kind added after the first release, written without its later fields.
    let role = json!({"name": "r", "arn": "arn:aws:iam::1:role/r", "path": "/",
        "attached_policies": [], "inline_policies": []});
    let parsed: IamRole = serde_json::from_value(role).unwrap();
    assert_eq!((parsed.created, parsed.last_used), (None, None));
}

/// Data a label must cope with: empty, not an object, fields of the wrong
/// type, and every field some label reads.
fn odd_data() -> [Value; 4] {
    [
        json!({}),
        json!(null),
        json!({"name": 7, "aliases": [], "arn": "no-slash"}),
        json!({"name": "n", "key_id": "k", "aliases": ["alias/a"], "domain": "d", "arn": "arn:x/y",
            "group_id": "sg-1", "user": "u", "acl_id": "acl-1", "identifier": "db", "id": "E1",
            "instance_id": "i-1", "snapshot_id": "snap-1", "serial": "arn:mfa"}),
    ]
}

/// Derived from KINDS alone, so a kind added later is checked without
/// being listed anywhere else: it has a noun, its label takes any data
/// without panicking, and the lookups by `type` string find its entry.
#[test]
fn every_kind_has_a_noun_and_a_label_for_any_data() {
    for k in KINDS {
        assert!(!k.noun.trim().is_empty(), "{} has no noun", k.kind);
        assert_eq!(label_of_kind(k.kind), k.noun, "{}", k.kind);
        let sample = k.sample.map(|s| s());
        for data in sample.into_iter().chain(odd_data()) {
            assert_eq!(label(k.kind, &data), (k.label)(&data), "{} {data}", k.kind);
        }
    }
    for unknown in ["unknown.kind", ""] {
        assert_eq!(label_of_kind(unknown), "resource");
        assert_eq!(label(unknown, &json!({"name": "n", "id": "i"})), "n");
    }
}

/// The nouns and labels of schema version 1's kinds as the hand-kept
/// tables that KINDS replaced gave them: reasons, tables and reports quote
/// them, so they must not drift. Only schema 1's kinds are pinned here; a
/// kind added later needs no entry (the test above covers it).
#[test]
fn v1_kinds_keep_their_nouns_and_labels() {
    let snapshot = Snapshot::from_json("snapshot-v1.json", V1).unwrap();
    for (kind, noun) in V1_NOUNS {
        assert!(info(kind).is_some(), "{kind} is gone: snapshots of schema 1 hold it");
        assert_eq!(label_of_kind(kind), *noun, "{kind}");
        let fixture = snapshot.of_kind(kind).map(|r| r.data.clone());
        let sample = info(kind).and_then(|k| k.sample).map(|s| s());
        for data in fixture.chain(sample).chain(odd_data()) {
            assert_eq!(label(kind, &data), v1_label(kind, &data), "{kind} {data}");
        }
    }
}

/// Every kind of schema version 1 (KINDS as it stood then), with its noun.
const V1_NOUNS: &[(&str, &str)] = &[
    ("iam.account_summary", "account summary"),
    ("iam.password_policy", "password policy"),
    ("iam.group", "IAM group"),
    ("iam.user", "IAM user"),
    ("iam.role", "IAM role"),
    ("iam.policy", "customer managed policy"),
    ("iam.credential_report", "IAM user"),
    ("iam.virtual_mfa_device", "virtual MFA device"),
    ("iam.account_alias", "resource"),
    ("ec2.region", "region"),
    ("ec2.security_group", "security group"),
    ("kms.key", "KMS key"),
    ("kms.key_rotation", "resource"),
    ("acm.certificate", "certificate"),
    ("cloudtrail.trail", "trail"),
    ("cloudtrail.trail_status", "resource"),
    ("cloudtrail.event_selectors", "resource"),
    ("s3.account_public_access_block", "account"),
    ("s3.bucket", "S3 bucket"),
    ("s3.bucket.public_access_block", "resource"),
    ("s3.bucket.policy", "resource"),
    ("s3.bucket.acl", "resource"),
    ("s3.bucket.ownership", "resource"),
    ("s3.bucket.encryption", "resource"),
    ("s3.bucket.versioning", "resource"),
    ("s3.bucket.logging", "resource"),
    ("s3.bucket.lifecycle", "resource"),
    ("s3.bucket.object_lock", "resource"),
    ("s3.bucket.notifications", "resource"),
    ("ce.anomaly_monitor", "anomaly monitor"),
    ("cloudwatch.billing_alarm", "billing alarm"),
    ("ecs.task_definition", "task definition"),
    ("ssm.managed_instance", "resource"),
    ("ssm.compliance", "resource"),
    ("ssm.document", "SSM document"),
    ("cloudfront.distribution", "CloudFront distribution"),
    ("rds.instance", "DB instance"),
    ("rds.cluster", "DB cluster"),
    ("rds.snapshot", "DB snapshot"),
    ("rds.cluster_snapshot", "DB cluster snapshot"),
    ("ecr.repository", "ECR repository"),
    ("wafv2.web_acl", "web ACL"),
    ("ec2.network_acl", "network ACL"),
    ("ec2.instance", "EC2 instance"),
    ("ec2.snapshot", "EBS snapshot"),
    ("guardduty.region", "region"),
    ("account.security_contact", "account"),
    ("organizations.membership", "account"),
    ("secretsmanager.secret", "secret"),
];

// The hand-kept label table KINDS replaced, for schema 1's kinds.
fn v1_label(kind: &str, data: &Value) -> String {
    let s = |k: &str| data.get(k).and_then(Value::as_str).unwrap_or_default().to_string();
    match kind {
        "iam.account_summary" => "root user".into(),
        "guardduty.region" => "GuardDuty".into(),
        "s3.account_public_access_block" => "account Block Public Access".into(),
        "account.security_contact" => "security contact".into(),
        "organizations.membership" => "AWS Organizations membership".into(),
        "iam.password_policy" => "account password policy".into(),
        "kms.key" => match data.get("aliases").and_then(|a| a.get(0)).and_then(Value::as_str) {
            Some(alias) => format!("{alias} ({})", s("key_id")),
            None => s("key_id"),
        },
        "acm.certificate" => format!("{} ({})", s("domain"), s("arn").rsplit('/').next().unwrap_or_default()),
        "ec2.security_group" => format!("{} ({})", s("group_id"), s("name")),
        "iam.credential_report" => s("user"),
        "ec2.network_acl" => s("acl_id"),
        "rds.instance" | "rds.cluster" | "rds.snapshot" | "rds.cluster_snapshot" => s("identifier"),
        "ecs.task_definition" => s("arn").rsplit('/').next().unwrap_or_default().to_string(),
        "cloudfront.distribution" => s("id"),
        "ec2.instance" => s("instance_id"),
        "ec2.snapshot" => s("snapshot_id"),
        "iam.virtual_mfa_device" => s("serial"),
        _ => s("name"),
    }
}
