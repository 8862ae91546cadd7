//! Two quarters of the same account: `findings.csv` in each pack,
//! `evidence-pack diff` between them, and `pack --baseline`.
//!
//! The catalog is the built-in one cut down to EC2.13 and S3.2 (same
//! catalog name, so the same finding ids): a new bucket fails a dozen other
//! S3 controls too, and the test is about telling one fix and one new
//! failure apart, not about those.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::harness::{Moto, REGION, entry, keypair, open_ssh, rewrite, run, settle_bucket};

const ACCOUNT: &str = "123456789012";

/// The built-in catalog with only `ids`, written as JSON (which is YAML).
fn catalog_of(dir: &Path, ids: &[&str]) -> PathBuf {
    let builtin = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/controls.yaml")).unwrap();
    let mut doc: serde_json::Value = serde_saphyr::from_str(&builtin).unwrap();
    let controls: Vec<serde_json::Value> = doc["controls"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| ids.contains(&c["id"].as_str().unwrap()))
        .cloned()
        .collect();
    doc["controls"] = serde_json::Value::Array(controls);
    let path = dir.join("controls.yaml");
    std::fs::write(&path, serde_json::to_string_pretty(&doc).unwrap()).unwrap();
    path
}

fn collect(moto: &Moto, out: &Path) {
    let status = run(moto.cmd().args(["collect", "--quiet", "--regions", REGION, "-o"]).arg(out)).status;
    assert!(status.code() == Some(0) || status.code() == Some(4), "collect failed: {status:?}");
}

/// findings.csv of a pack, read with a real CSV reader, by finding id.
fn findings(zip: &Path) -> BTreeMap<String, BTreeMap<String, String>> {
    let bytes = entry(zip, "findings.csv");
    let mut r = csv::Reader::from_reader(bytes.as_slice());
    let headers = r.headers().unwrap().clone();
    let mut out = BTreeMap::new();
    for rec in r.records() {
        let row: BTreeMap<String, String> =
            headers.iter().zip(rec.unwrap().iter()).map(|(h, v)| (h.to_string(), v.to_string())).collect();
        let id = row["finding_id"].clone();
        assert!(out.insert(id.clone(), row).is_none(), "finding id {id} twice in {}", zip.display());
    }
    out
}

/// The finding id of the row for the resource called `name`. `resource_name`
/// is the resource's display name, as results.json and the report give it:
/// the name itself for a bucket, `sg-… (name)` for a security group.
fn id_of(rows: &BTreeMap<String, BTreeMap<String, String>>, control: &str, name: &str) -> String {
    let named = |r: &str| r == name || r.ends_with(&format!(" ({name})"));
    rows.values()
        .find(|r| r["control_id"] == control && named(&r["resource_name"]))
        .unwrap_or_else(|| panic!("no {control} finding for {name}: {rows:#?}"))["finding_id"]
        .clone()
}

/// Rewrite a pack with one member's bytes changed.
fn tamper(src: &Path, dst: &Path, member: &str) {
    rewrite(
        src,
        dst,
        |name, mut bytes| {
            if name == member {
                bytes.push(b'x');
            }
            Some(bytes)
        },
        None,
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_fix_and_a_new_misconfiguration_between_two_packs() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (key, public) = keypair(d);
    let controls = catalog_of(d, &["EC2.13", "S3.2"]);
    let moto = Moto::start();
    let cfg = moto.config().await;
    let ec2 = aws_sdk_ec2::Client::new(&cfg);
    let s3 = aws_sdk_s3::Client::new(&cfg);

    // Last quarter: two groups open SSH to the world, one private bucket.
    let closed = open_ssh(&ec2, "ssh-closed-later").await;
    open_ssh(&ec2, "ssh-still-open").await;
    s3.create_bucket().bucket("private-data").send().await.unwrap();
    settle_bucket(&s3, "private-data").await;
    let (old_json, old_zip) = (d.join("old.json"), d.join("old.zip"));
    collect(&moto, &old_json);
    let pack = |snapshot: &Path, out: &Path, baseline: Option<&Path>| {
        let mut cmd = moto.cmd();
        cmd.args(["pack", "--quiet", "--key"]).arg(&key).arg("--controls").arg(&controls).arg("-o").arg(out);
        if let Some(b) = baseline {
            cmd.arg("--baseline").arg(b);
        }
        let out = run(cmd.arg(snapshot));
        assert_eq!(out.status.code(), Some(3), "EC2.13 fails in both quarters");
    };
    pack(&old_json, &old_zip, None);

    // This quarter: one group closed, one bucket made public.
    ec2.revoke_security_group_ingress()
        .group_id(&closed)
        .ip_permissions(
            aws_sdk_ec2::types::IpPermission::builder()
                .ip_protocol("tcp")
                .from_port(22)
                .to_port(22)
                .ip_ranges(aws_sdk_ec2::types::IpRange::builder().cidr_ip("0.0.0.0/0").build())
                .build(),
        )
        .send()
        .await
        .unwrap();
    s3.create_bucket().bucket("new-public").send().await.unwrap();
    settle_bucket(&s3, "new-public").await;
    s3.put_bucket_acl().bucket("new-public").acl(aws_sdk_s3::types::BucketCannedAcl::PublicRead).send().await.unwrap();
    let (new_json, new_zip) = (d.join("new.json"), d.join("new.zip"));
    collect(&moto, &new_json);
    pack(&new_json, &new_zip, Some(&old_zip));

    // findings.csv: a real CSV reader parses it; ids are unique (checked
    // in `findings`) and the same resource keeps its id across quarters.
    let (old_rows, new_rows) = (findings(&old_zip), findings(&new_zip));
    let fixed = id_of(&old_rows, "EC2.13", "ssh-closed-later");
    let still = id_of(&old_rows, "EC2.13", "ssh-still-open");
    assert_eq!(id_of(&new_rows, "EC2.13", "ssh-still-open"), still);
    let new_failure = id_of(&new_rows, "S3.2", "new-public");
    assert_eq!(old_rows.keys().cloned().collect::<Vec<_>>(), sorted([&fixed, &still]));
    assert_eq!(new_rows.keys().cloned().collect::<Vec<_>>(), sorted([&still, &new_failure]));
    assert_eq!(new_rows[&new_failure]["resource_type"], "s3.bucket");
    assert_eq!(new_rows[&new_failure]["account"], ACCOUNT);
    assert_eq!(new_rows[&new_failure]["status"], "fail");
    // first_seen: the baseline's for the finding it had, this pack's for the new one.
    assert_eq!(new_rows[&still]["first_seen"], old_rows[&still]["first_seen"]);
    let new_snapshot: serde_json::Value = serde_json::from_slice(&std::fs::read(&new_json).unwrap()).unwrap();
    let finished: chrono::DateTime<chrono::Utc> =
        new_snapshot["collected_at"]["finished"].as_str().unwrap().parse().unwrap();
    assert_eq!(new_rows[&new_failure]["first_seen"], finished.format("%Y-%m-%dT%H:%M:%SZ").to_string());

    // diff, verified: exactly the fixed and the new finding, by those ids.
    let diff = |args: &[&str], old: &Path, new: &Path| {
        run(moto.cmd().arg("diff").arg(old).arg(new).args(args).arg("--public-key").arg(&public))
    };
    let out = diff(&["--json"], &old_zip, &new_zip);
    assert_eq!(out.status.code(), Some(0), "no --fail-on-regression: exit 0");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let ids = |field: &str| -> Vec<(String, String)> {
        json["controls"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|c| {
                c[field]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|f| (c["id"].as_str().unwrap().to_string(), f["finding_id"].as_str().unwrap().to_string()))
            })
            .collect()
    };
    assert_eq!(ids("new_failures"), [("S3.2".to_string(), new_failure.clone())], "{json:#}");
    assert_eq!(ids("fixed"), [("EC2.13".to_string(), fixed.clone())], "{json:#}");
    assert_eq!(ids("still_failing"), [("EC2.13".to_string(), still.clone())], "{json:#}");
    assert_eq!(json["regression"], true);
    assert_eq!(json["old"]["verified"], true);
    let s3_change = json["controls"].as_array().unwrap().iter().find(|c| c["id"] == "S3.2").unwrap();
    assert_eq!((s3_change["old_status"].as_str(), s3_change["new_status"].as_str()), (Some("pass"), Some("fail")));

    assert_eq!(diff(&["--fail-on-regression"], &old_zip, &new_zip).status.code(), Some(3));
    assert_eq!(diff(&["--fail-on-regression"], &new_zip, &new_zip).status.code(), Some(0), "no change, no regression");

    // Markdown without a key: says so, and names both findings.
    let out = run(moto.cmd().arg("diff").arg(&old_zip).arg(&new_zip));
    assert_eq!(out.status.code(), Some(0));
    let md = String::from_utf8(out.stdout).unwrap();
    assert!(md.contains("**not verified**"), "{md}");
    assert!(md.contains(&new_failure) && md.contains(&fixed), "{md}");

    // Tampering with either pack: exit 5, naming the pack and the file.
    for (which, member) in [("old", "findings.csv"), ("new", "results.json")] {
        let bad = d.join(format!("{which}-tampered.zip"));
        let (old, new) = if which == "old" {
            tamper(&old_zip, &bad, member);
            (bad.clone(), new_zip.clone())
        } else {
            tamper(&new_zip, &bad, member);
            (old_zip.clone(), bad.clone())
        };
        let out = diff(&[], &old, &new);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(5), "{which}: {err}");
        assert!(err.contains(&format!("{which}-tampered.zip")) && err.contains(member), "{which}: {err}");
        assert!(out.stdout.is_empty(), "no diff of an unverified pack");
    }

    // --baseline: results.json names the baseline, the report opens with
    // the changes, and the pack still reproduces byte for byte.
    let results: serde_json::Value = serde_json::from_slice(&entry(&new_zip, "results.json")).unwrap();
    let verified = run(moto.cmd().arg("verify").arg(&old_zip).arg("--public-key").arg(&public));
    let old_id =
        String::from_utf8(verified.stdout).unwrap().lines().find_map(|l| l.strip_prefix("pack id: ").map(String::from));
    assert_eq!(results["baseline"]["pack_id"].as_str(), old_id.as_deref());
    assert_eq!(results["baseline"]["sha256"], hex::encode(Sha256::digest(std::fs::read(&old_zip).unwrap())));
    let report = String::from_utf8(entry(&new_zip, "report.md")).unwrap();
    let changes = report.find("## Changes since pack ").expect("no Changes chapter");
    assert!(changes < report.find("## Summary").unwrap(), "the chapter comes first");
    let chapter = &report[changes..report.find("## Summary").unwrap()];
    assert!(chapter.contains(&new_failure) && chapter.contains("new-public"), "{chapter}");
    assert!(chapter.contains(&fixed) && chapter.contains("ssh-closed-later"), "{chapter}");
    assert!(String::from_utf8(entry(&new_zip, "report.html")).unwrap().contains("Changes since pack "));
    let again = d.join("again.zip");
    pack(&new_json, &again, Some(&old_zip));
    assert!(std::fs::read(&again).unwrap() == std::fs::read(&new_zip).unwrap(), "a pack with --baseline differs");
    let out = run(moto.cmd().arg("verify").arg(&new_zip).arg("--public-key").arg(&public));
    assert_eq!(out.status.code(), Some(0));
}

fn sorted<const N: usize>(ids: [&String; N]) -> Vec<String> {
    let mut v: Vec<String> = ids.iter().map(|s| s.to_string()).collect();
    v.sort();
    v
}
