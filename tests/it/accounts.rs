//! A pack of two accounts: each is evaluated on its own, so one account's
//! compliance never covers for another's failures.
//!
//! Both accounts live in one moto server: moto binds the credentials
//! `sts:AssumeRole` hands out to the account id in the role's ARN, as AWS
//! does for a role in another account, so account B is seeded and
//! collected through an assumed role, the way an organisation's accounts
//! are read.

use std::path::Path;

use aws_config::SdkConfig;
use aws_sdk_iam::config::Credentials;

use crate::harness::{
    Moto, REGION, block_public_access, by_account, control, entry, keypair, record_management_events, run,
    settle_bucket, statuses,
};

const A: &str = "123456789012";
const B: &str = "222222222222";

/// Account A complies: a logging multi-Region trail recording every
/// management event, and account-level S3 Block Public Access.
async fn seed_a(moto: &Moto, cfg: &SdkConfig) {
    let s3 = aws_sdk_s3::Client::new(cfg);
    let logs = "a-trail-logs";
    s3.create_bucket().bucket(logs).send().await.unwrap();
    settle_bucket(&s3, logs).await;
    let ct = aws_sdk_cloudtrail::Client::new(cfg);
    ct.create_trail()
        .name("org")
        .s3_bucket_name(logs)
        .is_multi_region_trail(true)
        .enable_log_file_validation(true)
        .send()
        .await
        .unwrap();
    record_management_events(&ct, "org").await;
    ct.start_logging().name("org").send().await.unwrap();
    block_public_access(moto, cfg, A).await;
}

/// Account B does not: a world-readable bucket, no Block Public Access
/// and no trail.
async fn seed_b(cfg: &SdkConfig) {
    let s3 = aws_sdk_s3::Client::new(cfg);
    s3.create_bucket().bucket("b-public").send().await.unwrap();
    settle_bucket(&s3, "b-public").await;
    s3.put_bucket_acl().bucket("b-public").acl(aws_sdk_s3::types::BucketCannedAcl::PublicRead).send().await.unwrap();
}

fn collect(moto: &Moto, out: &Path, credentials: Option<&Credentials>) -> serde_json::Value {
    let mut cmd = moto.cmd();
    if let Some(c) = credentials {
        cmd.env("AWS_ACCESS_KEY_ID", c.access_key_id())
            .env("AWS_SECRET_ACCESS_KEY", c.secret_access_key())
            .env("AWS_SESSION_TOKEN", c.session_token().unwrap());
    }
    run(cmd.args(["collect", "--quiet", "--regions", REGION, "-o"]).arg(out));
    crate::harness::json(out)
}

#[tokio::test(flavor = "multi_thread")]
async fn one_compliant_account_does_not_cover_for_another() {
    let dir = tempfile::tempdir().unwrap();
    let moto = Moto::start();
    let b = moto.assume(&format!("arn:aws:iam::{B}:role/x")).await;
    seed_a(&moto, &moto.config().await).await;
    seed_b(&moto.config_with(b.clone()).await).await;

    let (a_json, b_json) = (dir.path().join("a.json"), dir.path().join("b.json"));
    let snapshot_a = collect(&moto, &a_json, None);
    let snapshot_b = collect(&moto, &b_json, Some(&b));
    assert_eq!(snapshot_a["accounts"][0]["account_id"], A);
    assert_eq!(snapshot_b["accounts"][0]["account_id"], B, "moto did not bind the assumed role to account B");

    let (key, _) = keypair(dir.path());
    let zip = dir.path().join("pack.zip");
    let out =
        run(moto.cmd().args(["pack", "--quiet", "--key"]).arg(&key).arg("-o").arg(&zip).arg(&a_json).arg(&b_json));
    assert_eq!(out.status.code(), Some(3), "exit code for failed controls");
    let results: serde_json::Value = serde_json::from_slice(&entry(&zip, "results.json")).unwrap();
    let s = statuses(&results);
    let pair = |a: &str, b: &str| vec![(A.to_string(), a.to_string()), (B.to_string(), b.to_string())];

    // B has no trail: before, A's trail passed both controls for B.
    for id in ["CloudTrail.1", "CloudTrail.3"] {
        let c = control(&results, id);
        assert_eq!(s[id], "fail", "{id}: {c:#}");
        assert_eq!(by_account(c), pair("pass", "fail"), "{id}: {c:#}");
        assert!(c["reason"].as_str().unwrap().contains(&format!("Account {B}: No trail exists")), "{id}: {c:#}");
    }
    // B's public bucket: before, A's account-level Block Public Access hid it.
    let s3 = control(&results, "S3.2");
    assert_eq!(s["S3.2"], "fail", "{s3:#}");
    assert_eq!(by_account(s3)[1], (B.to_string(), "fail".to_string()), "{s3:#}");
    let failing = s3["failing"].as_array().unwrap();
    assert_eq!(failing.len(), 1, "{s3:#}");
    assert_eq!(failing[0]["name"], "b-public");
    assert_eq!(failing[0]["account"], B);
    assert_eq!(failing[0]["region"], REGION);
    assert!(s3["reason"].as_str().unwrap().contains(&format!("b-public in {B}/{REGION}")), "{s3:#}");

    // The summary counts each account's statuses first, then shows each
    // account's verdict on each control.
    let report = String::from_utf8(entry(&zip, "report.md")).unwrap();
    let counts = report.split("### By account").nth(1).expect("no counts by account in report.md");
    let row = |id: &str| -> Vec<usize> {
        let line = counts.lines().find(|l| l.starts_with(&format!("| {id} |"))).unwrap_or_else(|| panic!("{counts}"));
        line.split('|').skip(2).filter_map(|c| c.trim().parse().ok()).collect()
    };
    let (a, b) = (row(A), row(B));
    // Pass, fail, …, total: B fails more than A, and both count every control.
    assert!(b[1] > a[1], "{counts}");
    assert_eq!(a[6], results["controls"].as_array().unwrap().len(), "{counts}");
    assert_eq!(a[6], b[6], "{counts}");
    let matrix = report.split("### Control by account").nth(1).expect("no account matrix in report.md");
    assert!(matrix.contains(&format!("| Control | {A} | {B} |")), "{matrix}");
    assert!(matrix.contains("| [CloudTrail.3](#cloudtrail3) | ✅ | ❌ |"), "{matrix}");
    // Failing resources are grouped by account.
    let s3 = report.split("\n## S3.2\n").nth(1).unwrap().split("\n## ").next().unwrap();
    assert!(s3.contains(&format!("**Account {B}** (1)")) && s3.contains("| b-public | us-east-1 |"), "{s3}");
    // The cover lists both accounts as read, with their regions.
    assert!(report.contains("| Accounts | 2 accounts, all read."), "{report}");
    assert!(report.contains(&format!("| {B} | - | {REGION} | read |")), "{report}");
}
