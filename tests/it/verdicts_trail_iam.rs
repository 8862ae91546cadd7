//! CloudTrail and IAM verdicts against AWS's own definitions (issue 9), as
//! a table: (control, fixture, expected status, expected failing resource).
//! Every defect has a row that read wrong before its fix; the comment on
//! the row says which way.
//!
//! Fixtures come from moto where moto can produce the state (a multi-Region
//! trail homed outside `--regions`, excluded management event sources,
//! NotAction policies, IAM users and roles). The rest are stated snapshots,
//! the example account with the resources in question replaced, because
//! moto cannot produce them: it has no root row in its credential report
//! (so no account without root credentials), reports every policy's
//! PermissionsBoundaryUsageCount as 0, and cannot backdate a password, an
//! access key or a secret to a chosen second before the collection time.

use std::collections::BTreeMap;
use std::path::Path;

use aws_config::SdkConfig;
use aws_sdk_cloudtrail::types::{AdvancedEventSelector, AdvancedFieldSelector, EventSelector, ReadWriteType};
use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};
use serde_json::{Value, json};

use crate::harness::{self, Moto, REGION, run};

struct Row {
    control: &'static str,
    fixture: &'static str,
    status: &'static str,
    /// A failing resource's id must contain this.
    failing: Option<&'static str>,
}

const fn row(control: &'static str, fixture: &'static str, status: &'static str, failing: Option<&'static str>) -> Row {
    Row { control, fixture, status, failing }
}

/// Every row whose verdict differs from the table, so one run shows all.
fn check(rows: &[Row], results: &BTreeMap<&str, Value>) {
    let mut wrong = Vec::new();
    for r in rows {
        let results = &results[r.fixture];
        let Some(c) = results["controls"].as_array().unwrap().iter().find(|c| c["id"] == r.control) else {
            wrong.push(format!("{} on {}: no such control", r.control, r.fixture));
            continue;
        };
        let failing: Vec<&str> =
            c["failing"].as_array().map(|f| f.iter().filter_map(|x| x["id"].as_str()).collect()).unwrap_or_default();
        let status_ok = c["status"] == r.status;
        let failing_ok = match r.failing {
            Some(id) => failing.iter().any(|f| f.contains(id)),
            None => true,
        };
        if !status_ok || !failing_ok {
            wrong.push(format!(
                "{} on {}: expected {} {:?}, got {} {:?} ({})",
                r.control, r.fixture, r.status, r.failing, c["status"], failing, c["reason"]
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

fn evaluate(dir: &Path, name: &str, snapshot: &Value) -> Value {
    let path = dir.join(format!("{name}.json"));
    std::fs::write(&path, serde_json::to_vec_pretty(snapshot).unwrap()).unwrap();
    let out = run(std::process::Command::new(harness::BIN).args(["evaluate", "--quiet", "--json"]).arg(&path));
    assert!(matches!(out.status.code(), Some(0 | 3 | 4)), "evaluate {name}: {:?}", out.status);
    serde_json::from_slice(&out.stdout).unwrap()
}

fn collect(moto: &Moto, dir: &Path, name: &str, regions: &str) -> Value {
    let out = dir.join(format!("{name}.json"));
    let status = run(moto.cmd().args(["collect", "--quiet", "--regions", regions, "-o"]).arg(&out)).status;
    assert!(matches!(status.code(), Some(0 | 4)), "collect {name}: {status:?}");
    harness::json(&out)
}

async fn trail(cfg: &SdkConfig, name: &str) -> aws_sdk_cloudtrail::Client {
    let bucket = format!("trail-logs-{name}");
    let east = cfg.to_builder().region(aws_config::Region::new(REGION)).build();
    aws_sdk_s3::Client::new(&east).create_bucket().bucket(&bucket).send().await.unwrap();
    let ct = aws_sdk_cloudtrail::Client::new(cfg);
    ct.create_trail().name(name).s3_bucket_name(&bucket).is_multi_region_trail(true).send().await.unwrap();
    ct.start_logging().name(name).send().await.unwrap();
    ct
}

fn all_management_events() -> EventSelector {
    EventSelector::builder().read_write_type(ReadWriteType::All).include_management_events(true).build()
}

/// A multi-Region trail homed in us-west-2, read with `--regions us-east-1`;
/// a customer managed policy and an inline policy granting with NotAction;
/// one IAM user.
async fn seed_covered(cfg: &SdkConfig) {
    let west = cfg.to_builder().region(aws_config::Region::new("us-west-2")).build();
    let ct = trail(&west, "org-wide").await;
    ct.put_event_selectors().trail_name("org-wide").event_selectors(all_management_events()).send().await.unwrap();

    let iam = aws_sdk_iam::Client::new(cfg);
    let not_iam = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}]}"#;
    iam.create_policy().policy_name("AllButIam").policy_document(not_iam).send().await.unwrap();
    iam.create_user().user_name("operator").send().await.unwrap();
    let not_s3 = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","NotAction":["s3:*"],"Resource":"*"}]}"#;
    iam.put_user_policy()
        .user_name("operator")
        .policy_name("everything-but-s3")
        .policy_document(not_s3)
        .send()
        .await
        .unwrap();
}

/// Logging multi-Region trails that leave out KMS events, one with a basic
/// selector's ExcludeManagementEventSources and one with an advanced
/// selector's `eventSource NotEquals`; IAM roles but no IAM user.
async fn seed_excluding(cfg: &SdkConfig) {
    let ct = trail(cfg, "no-kms-basic").await;
    let selector = EventSelector::builder()
        .read_write_type(ReadWriteType::All)
        .include_management_events(true)
        .exclude_management_event_sources("kms.amazonaws.com")
        .build();
    ct.put_event_selectors().trail_name("no-kms-basic").event_selectors(selector).send().await.unwrap();
    let ct = trail(cfg, "no-kms-advanced").await;
    let field = |name: &str| AdvancedFieldSelector::builder().field(name);
    let advanced = AdvancedEventSelector::builder()
        .name("management events but KMS")
        .field_selectors(field("eventCategory").equals("Management").build().unwrap())
        .field_selectors(field("eventSource").not_equals("kms.amazonaws.com").build().unwrap())
        .build()
        .unwrap();
    ct.put_event_selectors().trail_name("no-kms-advanced").advanced_event_selectors(advanced).send().await.unwrap();

    let iam = aws_sdk_iam::Client::new(cfg);
    let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
    for role in ["app-server", "batch"] {
        iam.create_role().role_name(role).assume_role_policy_document(trust).send().await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn cloudtrail_and_iam_verdicts_on_moto() {
    let dir = tempfile::tempdir().unwrap();
    let (covered, excluding) = (Moto::start(), Moto::start());
    seed_covered(&covered.config().await).await;
    seed_excluding(&excluding.config().await).await;

    let snapshot = collect(&covered, dir.path(), "covered", REGION);
    // Found through its shadow in us-east-1, read once, in its home region.
    let trails: Vec<&Value> =
        snapshot["resources"].as_array().unwrap().iter().filter(|r| r["type"] == "cloudtrail.trail").collect();
    assert_eq!(trails.len(), 1, "{trails:?}");
    assert_eq!(trails[0]["region"], "us-west-2");
    assert_eq!(trails[0]["data"]["home_region"], "us-west-2");
    assert_eq!(trails[0]["data"]["is_logging"], true);
    // moto's credential report is generated at a fixed time; it is kept.
    let report = snapshot["resources"].as_array().unwrap().iter().find(|r| r["type"] == "iam.credential_report");
    assert_eq!(report.unwrap()["data"]["report_generated_at"], "2015-02-02T20:02:02Z");

    let excluded = collect(&excluding, dir.path(), "excluding", REGION);
    let results = BTreeMap::from([
        ("covered", evaluate(dir.path(), "covered-eval", &snapshot)),
        ("excluding", evaluate(dir.path(), "excluding-eval", &excluded)),
    ]);

    let rows = [
        // Before: DescribeTrails without shadow trails saw no trail in
        // us-east-1, so both failed (false fail).
        row("CloudTrail.1", "covered", "pass", None),
        row("CloudTrail.3", "covered", "pass", None),
        // Before: excluded management event sources were ignored (false pass).
        row("CloudTrail.1", "excluding", "fail", Some("trail/no-kms-basic")),
        row("CloudTrail.1", "excluding", "fail", Some("trail/no-kms-advanced")),
        row("CloudTrail.3", "excluding", "pass", None),
        // Before: NotAction was ignored (false pass).
        row("IAM.1", "covered", "fail", Some("policy/AllButIam")),
        row("IAM.21", "covered", "fail", Some("policy/AllButIam")),
        row("KMS.2", "covered", "fail", Some("user/operator")),
        // Before: roles counted as IAM use (false pass).
        row("TA.IAMUse", "excluding", "fail", None),
        row("TA.IAMUse", "covered", "pass", None),
    ];
    check(&rows, &results);
}

// ---- stated snapshots ------------------------------------------------------

fn example() -> Value {
    serde_json::from_str(include_str!("../../examples/snapshot.json")).unwrap()
}

fn now(snapshot: &Value) -> DateTime<Utc> {
    snapshot["collected_at"]["finished"].as_str().unwrap().parse().unwrap()
}

fn ago(snapshot: &Value, d: TimeDelta) -> String {
    (now(snapshot) - d).to_rfc3339_opts(SecondsFormat::Nanos, true)
}

/// The example account with every resource of `kind` replaced by `data`
/// (id, data) pairs.
fn with(mut snapshot: Value, kind: &str, items: Vec<(String, Value)>) -> Value {
    let resources = snapshot["resources"].as_array_mut().unwrap();
    let template = resources.iter().find(|r| r["type"] == "iam.account_summary").unwrap().clone();
    resources.retain(|r| r["type"] != kind);
    for (id, data) in items {
        let mut r = template.clone();
        r["type"] = kind.into();
        r["id"] = id.into();
        r["data"] = data;
        resources.push(r);
    }
    snapshot
}

fn set_summary(snapshot: &mut Value, mfa: bool) {
    for r in snapshot["resources"].as_array_mut().unwrap() {
        if r["type"] == "iam.account_summary" {
            r["data"]["root_mfa_enabled"] = mfa.into();
            r["data"]["summary"]["AccountMFAEnabled"] = i64::from(mfa).into();
        }
    }
}

const ROOT: &str = "arn:aws:iam::992382705250:root";

fn root_row(password: bool, credentials_present: Option<bool>) -> (String, Value) {
    let mut data = json!({
        "user": "<root_account>", "arn": ROOT, "is_root": true, "created": "2023-06-01T14:02:11Z",
        "password_enabled": password, "password_last_used": null, "password_last_changed": null,
        "mfa_active": false,
        "access_keys": [{"slot": 1, "active": false, "last_rotated": null, "last_used": null},
                        {"slot": 2, "active": false, "last_rotated": null, "last_used": null}]
    });
    if let Some(present) = credentials_present {
        data["credentials_present"] = present.into();
    }
    (ROOT.to_string(), data)
}

fn user_row(
    name: &str,
    created: &str,
    password: Option<(&str, Option<&str>)>,
    key: Option<(&str, Option<&str>)>,
) -> (String, Value) {
    let arn = format!("arn:aws:iam::992382705250:user/{name}");
    let data = json!({
        "user": name, "arn": arn, "is_root": false, "created": created,
        "password_enabled": password.is_some(),
        "password_last_changed": password.map(|p| p.0),
        "password_last_used": password.and_then(|p| p.1),
        "mfa_active": true,
        "access_keys": [{"slot": 1, "active": key.is_some(), "last_rotated": key.map(|k| k.0), "last_used": key.and_then(|k| k.1)},
                        {"slot": 2, "active": false, "last_rotated": null, "last_used": null}],
        "credentials_present": password.is_some() || key.is_some(),
        "report_generated_at": created,
    });
    (arn, data)
}

fn policy(name: &str, attachments: i64, boundaries: i64) -> (String, Value) {
    let arn = format!("arn:aws:iam::992382705250:policy/{name}");
    let data = json!({
        "name": name, "arn": arn, "attachment_count": attachments,
        "permissions_boundary_usage_count": boundaries,
        "document": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    });
    (arn, data)
}

fn secret(name: &str, created: &str, last_accessed: &str, last_rotated: &str) -> (String, Value) {
    let arn = format!("arn:aws:secretsmanager:us-east-1:992382705250:secret:{name}-AbCdEf");
    let data = json!({
        "name": name, "arn": arn, "created": created, "last_accessed": last_accessed,
        "last_rotated": last_rotated, "last_changed": last_rotated, "rotation_enabled": true,
        "rotation_days": 30, "next_rotation": null, "kms_key_id": null
    });
    (arn, data)
}

/// The example account with one resource of `kind`, made from the time `d`
/// before the collection.
fn at_age(base: &Value, kind: &str, make: impl Fn(&str) -> (String, Value), d: TimeDelta) -> Value {
    let time = ago(base, d);
    let mut s = with(base.clone(), kind, vec![make(&time)]);
    if kind == "secretsmanager.secret" {
        for r in s["resources"].as_array_mut().unwrap() {
            if r["type"] == kind {
                r["region"] = "us-east-1".into();
            }
        }
    }
    s
}

#[test]
fn cloudtrail_and_iam_verdicts_on_stated_snapshots() {
    let dir = tempfile::tempdir().unwrap();
    let base = example();
    let long_ago = ago(&base, TimeDelta::days(400));
    let day = TimeDelta::days;
    let (hour, second) = (TimeDelta::hours, TimeDelta::seconds);

    let mut fixtures: BTreeMap<&str, Value> = BTreeMap::new();
    // Centralized root access deleted the root password and keys, and the
    // root user has no MFA: nothing can sign in as root.
    let mut rootless = with(base.clone(), "iam.credential_report", vec![root_row(false, Some(false))]);
    set_summary(&mut rootless, false);
    fixtures.insert("root-without-credentials", rootless);
    // A report saying not_supported for the root password is not "no root".
    let mut unknown = with(base.clone(), "iam.credential_report", vec![root_row(false, Some(true))]);
    set_summary(&mut unknown, false);
    fixtures.insert("root-password-not-supported", unknown);
    fixtures.insert("boundary-only", with(base.clone(), "iam.policy", vec![policy("Boundary", 0, 3)]));
    fixtures.insert("boundary-and-attached", with(base.clone(), "iam.policy", vec![policy("Both", 1, 3)]));
    // A user created 400 days ago whose password, never used, was set 10
    // (or 50) days ago.
    let password_set = |d: TimeDelta| {
        let set = ago(&base, d);
        with(base.clone(), "iam.credential_report", vec![user_row("new-hire", &long_ago, Some((&set, None)), None)])
    };
    fixtures.insert("password-set-10-days-ago", password_set(day(10)));
    fixtures.insert("password-set-50-days-ago", password_set(day(50)));
    let used = |d: TimeDelta| {
        at_age(&base, "iam.credential_report", |t| user_row("alice", &long_ago, Some((&long_ago, Some(t))), None), d)
    };
    fixtures.insert("password-used-44d23h-ago", used(day(45) - hour(1)));
    fixtures.insert("password-used-45d-ago", used(day(45)));
    fixtures.insert("password-used-45d+1s-ago", used(day(45) + second(1)));
    fixtures.insert("password-used-45d23h-ago", used(day(45) + hour(23)));
    fixtures.insert("password-used-90d-ago", used(day(90)));
    let rotated = |d: TimeDelta| {
        at_age(&base, "iam.credential_report", |t| user_row("ci", &long_ago, None, Some((t, Some(t)))), d)
    };
    fixtures.insert("key-rotated-90d-ago", rotated(day(90)));
    fixtures.insert("key-rotated-90d1h-ago", rotated(day(90) + hour(1)));
    let accessed = |d: TimeDelta| {
        let recent = ago(&base, day(1));
        at_age(&base, "secretsmanager.secret", |t| secret("db", &long_ago, t, &recent), d)
    };
    fixtures.insert("secret-read-89d23h-ago", accessed(day(90) - hour(1)));
    fixtures.insert("secret-read-90d-ago", accessed(day(90)));
    let secret_rotated = |d: TimeDelta| {
        let recent = ago(&base, day(1));
        at_age(&base, "secretsmanager.secret", |t| secret("db", &long_ago, &recent, t), d)
    };
    fixtures.insert("secret-rotated-90d-ago", secret_rotated(day(90)));
    fixtures.insert("secret-rotated-90d1h-ago", secret_rotated(day(90) + hour(1)));

    let results: BTreeMap<&str, Value> =
        fixtures.iter().map(|(name, s)| (*name, evaluate(dir.path(), name, s))).collect();
    let rows = [
        // Before: a root user without credentials failed for want of MFA
        // (false fail); AWS's rules do not apply to it.
        row("IAM.9", "root-without-credentials", "pass", None),
        row("IAM.6", "root-without-credentials", "pass", None),
        row("TA.RootMFA", "root-without-credentials", "pass", None),
        row("IAM.9", "root-password-not-supported", "fail", Some(ROOT)),
        row("IAM.6", "root-password-not-supported", "fail", Some(ROOT)),
        // Before: a policy used only as a permissions boundary failed
        // (false fail); Security Hub excludes it.
        row("IAM.1", "boundary-only", "not_applicable", None),
        row("IAM.21", "boundary-only", "not_applicable", None),
        row("IAM.1", "boundary-and-attached", "fail", Some("policy/Both")),
        // Before: "Action": "*" did not end in ":*", so IAM.21 passed it,
        // though it "allows full access to at least 1 AWS service" (false pass).
        row("IAM.21", "boundary-and-attached", "fail", Some("policy/Both")),
        // Before: a never-used password was aged from the user's creation
        // (false fail).
        row("IAM.22", "password-set-10-days-ago", "pass", None),
        row("IAM.8", "password-set-10-days-ago", "pass", None),
        row("IAM.22", "password-set-50-days-ago", "fail", Some("user/new-hire")),
        // "Unused for 45 days or more". Before: 45 days and 45 days 23
        // hours passed (false pass).
        row("IAM.22", "password-used-44d23h-ago", "pass", None),
        row("IAM.22", "password-used-45d-ago", "fail", Some("user/alice")),
        row("IAM.22", "password-used-45d+1s-ago", "fail", Some("user/alice")),
        row("IAM.22", "password-used-45d23h-ago", "fail", Some("user/alice")),
        row("IAM.8", "password-used-45d23h-ago", "pass", None),
        row("IAM.8", "password-used-90d-ago", "fail", Some("user/alice")),
        // "Rotated within 90 days". Before: 90 days and an hour passed.
        row("IAM.3", "key-rotated-90d-ago", "pass", None),
        row("IAM.3", "key-rotated-90d1h-ago", "fail", Some("user/ci")),
        // "Not accessed in 90 days". Before: 90 days passed.
        row("SecretsManager.3", "secret-read-89d23h-ago", "pass", None),
        row("SecretsManager.3", "secret-read-90d-ago", "fail", Some("secret:db")),
        // "Not rotated for more than 90 days". Before: 90 days and an hour passed.
        row("SecretsManager.4", "secret-rotated-90d-ago", "pass", None),
        row("SecretsManager.4", "secret-rotated-90d1h-ago", "fail", Some("secret:db")),
    ];
    check(&rows, &results);
}
