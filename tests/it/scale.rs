//! What `run` asks AWS for: only the evidence its catalog reads, down to the
//! resource kind, and no call per bucket where a list call says it all.
//! Every request moto answers is taken from moto's own request recorder.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::harness::{self, Moto, REGION, keypair, run};

/// The bundled catalog cut to SEC-002 and the controls its sections include
/// (what `scripts/bench.sh` gives Prowler), written as JSON, which is YAML.
fn sec002_catalog(dir: &Path) -> PathBuf {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/controls.yaml")).unwrap();
    let mut catalog: serde_json::Value = serde_saphyr::from_str(&text).unwrap();
    let controls = catalog["controls"].as_array().unwrap().clone();
    let sec = controls.iter().find(|c| c["id"] == "SEC-002").expect("SEC-002 in the bundled catalog");
    let mut keep: BTreeSet<&str> = BTreeSet::from(["SEC-002"]);
    for section in sec["sections"].as_array().unwrap() {
        keep.extend(section["controls"].as_array().unwrap().iter().map(|c| c.as_str().unwrap()));
    }
    catalog["controls"] = controls.iter().filter(|c| keep.contains(c["id"].as_str().unwrap())).cloned().collect();
    let path = dir.join("sec002.yaml");
    std::fs::write(&path, serde_json::to_string_pretty(&catalog).unwrap()).unwrap();
    path
}

/// One request as moto recorded it: the service it was signed for, and
/// what it asked (`Action=` of a query call, `X-Amz-Target` of a JSON call,
/// method and path of a REST call).
#[derive(Debug)]
struct Call {
    service: String,
    what: String,
}

/// The requests recorded since the last call, which empties the recording.
fn recorded(path: &Path) -> Vec<Call> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    std::fs::write(path, "").unwrap();
    text.lines()
        .map(|line| {
            let entry: serde_json::Value = serde_json::from_str(line).unwrap();
            let header = |name: &str| {
                let headers = entry["headers"].as_object().unwrap();
                headers
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(name))
                    .and_then(|(_, v)| v.as_str())
                    .map(String::from)
            };
            let body = entry["body"].as_str().unwrap_or_default();
            let body = if entry["body_encoded"] == true {
                String::from_utf8_lossy(&aws_smithy_types::base64::decode(body).unwrap()).into_owned()
            } else {
                body.to_string()
            };
            // Credential=KEY/DATE/REGION/SERVICE/aws4_request
            let service = header("authorization")
                .and_then(|a| a.split("Credential=").nth(1).and_then(|c| c.split('/').nth(3)).map(String::from))
                .unwrap_or_default();
            let action = body.split('&').find_map(|kv| kv.strip_prefix("Action=")).map(String::from);
            // A REST call by its path: http://host:port/bucket?encryption
            let path = entry["url"].as_str().unwrap().splitn(4, '/').nth(3).unwrap_or_default().to_string();
            let what = action
                .or_else(|| header("x-amz-target"))
                .unwrap_or_else(|| format!("{} /{path}", entry["method"].as_str().unwrap()));
            Call { service, what }
        })
        .collect()
}

fn asked(calls: &[Call], service: &str, what: &str) -> usize {
    calls.iter().filter(|c| c.service == service && c.what.contains(what)).count()
}

fn kinds(snapshot: &serde_json::Value) -> BTreeSet<String> {
    snapshot["resources"].as_array().unwrap().iter().map(|r| r["type"].as_str().unwrap().to_string()).collect()
}

/// Before, `run` chose whole services: a SEC-002-only catalog reads
/// security groups, so EC2 listed every EBS snapshot and network ACL too
/// (1,300 snapshots and more in a real account), and IAM listed the MFA
/// devices; each of those would show up here as a call.
#[tokio::test(flavor = "multi_thread")]
async fn run_reads_only_the_kinds_its_catalog_needs() {
    let dir = tempfile::tempdir().unwrap();
    let recording = dir.path().join("moto_recording");
    let moto =
        Moto::start_with(&[("MOTO_ENABLE_RECORDING", "true"), ("MOTO_RECORDER_FILEPATH", recording.to_str().unwrap())]);
    let cfg = moto.config().await;
    let ec2 = aws_sdk_ec2::Client::new(&cfg);
    let volume = ec2.create_volume().availability_zone("us-east-1a").size(8).send().await.unwrap();
    ec2.create_snapshot().volume_id(volume.volume_id.unwrap()).send().await.unwrap();
    let s3 = aws_sdk_s3::Client::new(&cfg);
    for bucket in ["logs-a", "logs-b", "logs-c"] {
        s3.create_bucket().bucket(bucket).send().await.unwrap();
        harness::settle_bucket(&s3, bucket).await;
    }
    let iam = aws_sdk_iam::Client::new(&cfg);
    iam.create_group().group_name("admins").send().await.unwrap();
    iam.create_user().user_name("alice").send().await.unwrap();
    iam.add_user_to_group().group_name("admins").user_name("alice").send().await.unwrap();
    let (key, _) = keypair(dir.path());
    let catalog = sec002_catalog(dir.path());
    recorded(&recording);

    let snapshot_path = dir.path().join("sec002.json");
    let out = run(moto
        .cmd()
        .args(["run", "--regions", REGION, "--controls"])
        .arg(&catalog)
        .arg("--key")
        .arg(&key)
        .args(["-o"])
        .arg(dir.path().join("sec002.zip"))
        .arg("--snapshot")
        .arg(&snapshot_path));
    assert!(dir.path().join("sec002.zip").exists(), "{out:?}");
    let calls = recorded(&recording);
    let snapshot = harness::json(&snapshot_path);
    let got = kinds(&snapshot);
    // What SEC-002 reads is there, so the recording is of a real run.
    assert!(asked(&calls, "ec2", "DescribeSecurityGroups") > 0, "{calls:#?}");
    assert!(got.contains("ec2.security_group") && got.contains("iam.group"), "{got:?}");
    // The kinds it does not read were not asked for.
    assert_eq!(asked(&calls, "ec2", "DescribeSnapshots"), 0, "{calls:#?}");
    assert!(!got.contains("ec2.snapshot"), "{got:?}");
    assert!(calls.iter().all(|c| c.service != "s3"), "SEC-002 reads no bucket: {calls:#?}");
    assert_eq!(asked(&calls, "ec2", "DescribeNetworkAcls"), 0, "{calls:#?}");
    assert_eq!(asked(&calls, "iam", "ListVirtualMFADevices"), 0, "{calls:#?}");
    assert!(!got.contains("iam.virtual_mfa_device"), "{got:?}");

    let snapshot_path = dir.path().join("all.json");
    let out = run(moto
        .cmd()
        .args(["run", "--regions", REGION, "--key"])
        .arg(&key)
        .args(["-o"])
        .arg(dir.path().join("all.zip"))
        .arg("--snapshot")
        .arg(&snapshot_path));
    assert!(dir.path().join("all.zip").exists(), "{out:?}");
    let calls = recorded(&recording);
    let got = kinds(&harness::json(&snapshot_path));
    // The whole catalog reads them.
    assert!(asked(&calls, "ec2", "DescribeSnapshots") > 0, "{calls:#?}");
    assert!(asked(&calls, "iam", "ListVirtualMFADevices") > 0, "{calls:#?}");
    assert!(got.contains("ec2.snapshot") && got.contains("ec2.network_acl"), "{got:?}");
    // Buckets and their regions come from ListBuckets with MaxBuckets, one
    // call for three buckets, and never from GetBucketLocation.
    let lists: Vec<&Call> = calls.iter().filter(|c| c.service == "s3" && c.what.starts_with("GET /?")).collect();
    assert_eq!(lists.len(), 1, "{calls:#?}");
    assert!(lists[0].what.contains("max-buckets=1000"), "{lists:?}");
    assert_eq!(asked(&calls, "s3", "?location"), 0, "{calls:#?}");
    // The SDK sends a path-style bucket call as `/bucket/?encryption`.
    assert_eq!(asked(&calls, "s3", "/logs-a/?encryption"), 1, "{calls:#?}");
}

/// `collect --org` streams each account to the snapshot file as it is read
/// (`src/snapshot/write.rs`) instead of merging them in memory: the file
/// must still be the merged snapshot in its one canonical form, and a
/// folder that cannot be written fails before any account is read.
#[tokio::test(flavor = "multi_thread")]
async fn collect_org_streams_accounts_into_the_canonical_snapshot() {
    use aws_sdk_organizations::types::OrganizationFeatureSet;
    let dir = tempfile::tempdir().unwrap();
    let moto = Moto::start();
    let org = aws_sdk_organizations::Client::new(&moto.config().await);
    org.create_organization().feature_set(OrganizationFeatureSet::All).send().await.unwrap();
    let mut accounts = vec!["123456789012".to_string()];
    for i in 0..3 {
        let out = org.create_account().email(format!("m{i}@example.com")).account_name(format!("m{i}")).send().await;
        let id = out.unwrap().create_account_status().unwrap().account_id().unwrap().to_string();
        let role = format!("arn:aws:iam::{id}:role/EvidencePackReadOnly");
        let cfg = moto.config_with(moto.assume(&role).await).await;
        // Each member's own group, so every account has resources to interleave.
        let ec2 = aws_sdk_ec2::Client::new(&cfg);
        ec2.create_security_group().group_name(format!("web-{i}")).description("web").send().await.unwrap();
        accounts.push(id);
    }

    let path = dir.path().join("org.json");
    let out = run(moto.cmd().args(["-q", "collect", "--org", "--regions", REGION, "-o"]).arg(&path));
    assert!(matches!(out.status.code(), Some(0 | 4)), "{out:?}");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut merged = evidence_pack::snapshot::Snapshot::from_json("org.json", &text).unwrap();
    merged.normalise();
    assert_eq!(text, merged.to_json(), "the streamed file is the normalised snapshot, byte for byte");
    let listed: BTreeSet<&str> = merged.accounts.iter().map(|a| a.account_id.as_str()).collect();
    assert_eq!(listed, accounts.iter().map(String::as_str).collect());
    let groups: BTreeSet<&str> = merged.of_kind("ec2.security_group").map(|r| r.account.as_str()).collect();
    assert_eq!(groups, listed, "every account's groups are in the file");
    let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert!(names.iter().all(|n| !n.to_string_lossy().starts_with('.')), "no spool left behind: {names:?}");

    let out = run(moto.cmd().args(["-q", "collect", "--org", "--regions", REGION, "-o", "/nonexistent-folder/s.json"]));
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("/nonexistent-folder/s.json"), "{err}");
}
