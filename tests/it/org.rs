//! A whole AWS Organization in one run (`--org`), against moto.
//!
//! moto keeps Organizations state in the management account and binds the
//! credentials `sts:AssumeRole` hands out to the account id in the role's
//! ARN, so each member is seeded through its own assumed credentials and
//! has its own resources, as in AWS. moto grants any AssumeRole, so a
//! refused role is the collector's unit test (`collect::org`, with
//! aws-smithy-mocks).

use std::collections::BTreeSet;
use std::io::Read;
use std::net::TcpListener;
use std::path::Path;
use std::sync::{Arc, Mutex};

use aws_config::SdkConfig;
use serde_json::Value;

use crate::harness::{
    Moto, REGION, by_account, control, entry, json, keypair, member_config, open_ssh, organisation, run, settle_bucket,
};

const MANAGEMENT: &str = "123456789012";

/// A logging multi-Region trail recording every management event: what
/// CloudTrail.1 asks of each account.
async fn trail(cfg: &SdkConfig, account: &str) {
    let s3 = aws_sdk_s3::Client::new(cfg);
    let logs = format!("trail-logs-{account}");
    s3.create_bucket().bucket(&logs).send().await.unwrap();
    settle_bucket(&s3, &logs).await;
    let ct = aws_sdk_cloudtrail::Client::new(cfg);
    ct.create_trail().name("org").s3_bucket_name(&logs).is_multi_region_trail(true).send().await.unwrap();
    ct.put_event_selectors()
        .trail_name("org")
        .event_selectors(
            aws_sdk_cloudtrail::types::EventSelector::builder()
                .read_write_type(aws_sdk_cloudtrail::types::ReadWriteType::All)
                .include_management_events(true)
                .build(),
        )
        .send()
        .await
        .unwrap();
    ct.start_logging().name("org").send().await.unwrap();
}

fn results(zip: &Path) -> Value {
    serde_json::from_slice(&entry(zip, "results.json")).unwrap()
}

fn snapshot_accounts(snapshot: &Value) -> Vec<String> {
    snapshot["accounts"].as_array().unwrap().iter().map(|a| a["account_id"].as_str().unwrap().to_string()).collect()
}

/// Before `--org`, one run read one account. Now one run reads the
/// management account and four members; each member's findings are its
/// own: the open SSH group fails EC2.13 naming only that member's group,
/// and the member without a trail fails CloudTrail.1 alone. The same
/// organisation collected as 3 shards and packed gives exactly the same
/// results.json.
#[tokio::test(flavor = "multi_thread")]
async fn an_organisation_in_one_run_and_in_three_shards() {
    let dir = tempfile::tempdir().unwrap();
    let moto = Moto::start();
    let members = organisation(&moto, 4).await;
    let (open, untrailed) = (members[1].clone(), members[2].clone());
    trail(&moto.config().await, MANAGEMENT).await;
    let mut group = String::new();
    for m in &members {
        let cfg = member_config(&moto, m).await;
        if *m != untrailed {
            trail(&cfg, m).await;
        }
        if *m == open {
            group = open_ssh(&aws_sdk_ec2::Client::new(&cfg), "ssh-anywhere").await;
        }
    }
    let mut all: Vec<String> = members.iter().cloned().chain([MANAGEMENT.to_string()]).collect();
    all.sort();

    let (key, _) = keypair(dir.path());
    let zip = dir.path().join("org.zip");
    let snap = dir.path().join("org.json");
    let out = run(moto
        .cmd()
        .args(["run", "--quiet", "--org", "--regions", REGION, "--key"])
        .arg(&key)
        .arg("-o")
        .arg(&zip)
        .arg("--snapshot")
        .arg(&snap));
    assert_eq!(out.status.code(), Some(3), "exit code for failed controls");
    assert_eq!(snapshot_accounts(&json(&snap)), all, "every active account is read");
    let whole = results(&zip);
    let covered: Vec<&str> =
        whole["regions"].as_array().unwrap().iter().map(|r| r["account"].as_str().unwrap()).collect();
    assert_eq!(covered, all, "every account appears in results.json");

    let ec2 = control(&whole, "EC2.13");
    assert_eq!(ec2["status"], "fail", "{ec2:#}");
    let failing = ec2["failing"].as_array().unwrap();
    assert_eq!(failing.len(), 1, "{ec2:#}");
    assert_eq!(failing[0]["account"], open.as_str(), "{ec2:#}");
    assert!(failing[0]["id"].as_str().unwrap().contains(&group), "{ec2:#}");
    let expected: Vec<(String, String)> =
        all.iter().map(|a| (a.clone(), if *a == open { "fail" } else { "pass" }.to_string())).collect();
    assert_eq!(by_account(ec2), expected, "{ec2:#}");

    let ct = control(&whole, "CloudTrail.1");
    let expected: Vec<(String, String)> =
        all.iter().map(|a| (a.clone(), if *a == untrailed { "fail" } else { "pass" }.to_string())).collect();
    assert_eq!(by_account(ct), expected, "{ct:#}");

    // Before, nothing said how many calls a run made of each account. Each
    // account's own requests are counted per service, and the report's
    // collection appendix gives them, one row per account.
    let snapshot = json(&snap);
    let report = String::from_utf8(entry(&zip, "report.md")).unwrap();
    let appendix = report.split("## Appendix: collection\n").nth(1).expect("a collection appendix");
    for a in snapshot["accounts"].as_array().unwrap() {
        let id = a["account_id"].as_str().unwrap();
        let calls = a["calls"].as_object().unwrap_or_else(|| panic!("no call counts for {id}: {a:#}"));
        for service in ["ec2", "iam", "s3", "cloudtrail"] {
            assert!(calls.get(service).and_then(Value::as_u64).is_some_and(|n| n > 0), "{id}: {calls:?}");
        }
        let total: u64 = calls.values().filter_map(Value::as_u64).sum();
        let row =
            appendix.lines().find(|l| l.starts_with(&format!("| {id} |"))).unwrap_or_else(|| panic!("{appendix}"));
        assert!(row.contains(&format!("| {total}: ")) && row.contains(&format!("ec2 {}", calls["ec2"])), "{row}");
    }
    assert!(!entry(&zip, "results.json").windows(7).any(|w| w == b"\"calls\""), "call counts stay out of results.json");

    // Three shards, each its own process, then one pack.
    let mut shards = Vec::new();
    let mut seen = Vec::new();
    for i in 1..=3 {
        let path = dir.path().join(format!("shard-{i}.json"));
        let out = run(moto
            .cmd()
            .args(["collect", "--quiet", "--org", "--regions", REGION, "--shard", &format!("{i}/3"), "-o"])
            .arg(&path));
        assert!(out.status.success() || out.status.code() == Some(4), "shard {i}");
        let accounts = snapshot_accounts(&json(&path));
        assert!((1..=2).contains(&accounts.len()), "shard {i} of 5 accounts: {accounts:?}");
        seen.extend(accounts);
        shards.push(path);
    }
    seen.sort();
    assert_eq!(seen, all, "the shards cover every account once");
    let merged = dir.path().join("merged.zip");
    run(moto.cmd().args(["pack", "--quiet", "--key"]).arg(&key).arg("-o").arg(&merged).args(&shards));
    let sharded = results(&merged);
    assert!(sharded == whole, "3 shards merged differ from one run:\n{}", first_difference(&sharded, &whole, ""));
    assert!(entry(&merged, "results.json") == entry(&zip, "results.json"), "results.json differs in its bytes");
}

/// Where two JSON values first differ, for a failure that can be read.
fn first_difference(a: &Value, b: &Value, at: &str) -> String {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let keys: BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            keys.into_iter()
                .find(|k| x.get(*k) != y.get(*k))
                .map(|k| {
                    let (l, r) = (x.get(k).unwrap_or(&Value::Null), y.get(k).unwrap_or(&Value::Null));
                    first_difference(l, r, &format!("{at}.{k}"))
                })
                .unwrap_or_default()
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => x
            .iter()
            .zip(y)
            .enumerate()
            .find(|(_, (l, r))| l != r)
            .map(|(i, (l, r))| first_difference(l, r, &format!("{at}[{i}]")))
            .unwrap_or_default(),
        _ => format!("{at}: {a} != {b}"),
    }
}

/// `--accounts`, `--exclude-accounts` and `--ou` (recursive) pick the
/// accounts read; before, there was no way to read any but the caller's.
#[tokio::test(flavor = "multi_thread")]
async fn accounts_exclusions_and_organisational_units_choose_the_accounts() {
    let dir = tempfile::tempdir().unwrap();
    let moto = Moto::start();
    let members = organisation(&moto, 3).await;
    let org = aws_sdk_organizations::Client::new(&moto.config().await);
    let root = org.list_roots().send().await.unwrap().roots.unwrap()[0].id.clone().unwrap();
    let ou = |parent: String, name: &'static str| {
        let org = org.clone();
        async move {
            let out = org.create_organizational_unit().parent_id(parent).name(name).send().await.unwrap();
            out.organizational_unit.unwrap().id.unwrap()
        }
    };
    let workloads = ou(root.clone(), "workloads").await;
    let prod = ou(workloads.clone(), "prod").await;
    let moves = [(&members[0], &workloads), (&members[1], &prod)];
    for (account, to) in moves {
        org.move_account().account_id(account).source_parent_id(&root).destination_parent_id(to).send().await.unwrap();
    }

    let collect = |name: &str, extra: &[&str]| {
        let path = dir.path().join(name);
        let out =
            run(moto.cmd().args(["collect", "--quiet", "--org", "--regions", REGION]).args(extra).arg("-o").arg(&path));
        (out, path)
    };
    let sorted = |v: &[&String]| v.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>();
    let accounts = |path: &Path| snapshot_accounts(&json(path)).into_iter().collect::<BTreeSet<_>>();

    let only = format!("{},{}", members[2], MANAGEMENT);
    let (_, path) = collect("only.json", &["--accounts", &only]);
    assert_eq!(accounts(&path), [members[2].clone(), MANAGEMENT.to_string()].into());

    let (_, path) = collect("exclude.json", &["--exclude-accounts", &format!("{MANAGEMENT},{}", members[0])]);
    assert_eq!(accounts(&path), sorted(&[&members[1], &members[2]]));

    let (_, path) = collect("ou.json", &["--ou", &workloads]);
    assert_eq!(accounts(&path), sorted(&[&members[0], &members[1]]), "--ou reads nested OUs too");

    // A typo in --accounts would leave an account unaudited: it stops the run.
    let (out, path) = collect("typo.json", &["--accounts", "999999999999"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("999999999999"));
    assert!(!path.exists());
}

/// `--org` where there is no organisation (or no right to list it) stops
/// with the reason and what to do: an empty snapshot, written and
/// successful, would read as an organisation without findings.
#[test]
fn without_an_organisation_the_run_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let moto = Moto::start();
    let path = dir.path().join("none.json");
    let out = run(moto.cmd().args(["collect", "--quiet", "--org", "--regions", REGION, "-o"]).arg(&path));
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    // moto lists no account where AWS answers AWSOrganizationsNotInUseException;
    // either way the run stops, naming the call and who may make it.
    assert!(stderr.contains("organizations:ListAccounts"), "{stderr}");
    assert!(stderr.contains("management account"), "{stderr}");
    assert!(!path.exists());
}

/// A request that never answers: before, nothing bounded it and a run
/// could hang. With `--timeout 3` the KMS calls, sent to a socket that
/// accepts and never replies, are recorded as failed calls and the
/// snapshot is written. The socket also shows the user agent AWS would log.
///
/// moto's STS is woken first: its first answer loads the service, and on a
/// loaded CI machine took longer than the 1 s this test once allowed, so the
/// run stopped at `sts:GetCallerIdentity` before reaching KMS.
#[tokio::test(flavor = "multi_thread")]
async fn a_request_that_never_answers_is_recorded_and_the_run_ends() {
    let dir = tempfile::tempdir().unwrap();
    let moto = Moto::start();
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let silent_url = format!("http://{}", silent.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(String::new()));
    let record = seen.clone();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for mut conn in silent.incoming().flatten() {
            let mut buf = [0u8; 4096];
            if let Ok(n) = conn.read(&mut buf) {
                record.lock().unwrap().push_str(&String::from_utf8_lossy(&buf[..n]));
            }
            // Kept open, unanswered, until the test ends.
            held.push(conn);
        }
    });

    aws_sdk_sts::Client::new(&moto.config().await).get_caller_identity().send().await.unwrap();
    let path = dir.path().join("snapshot.json");
    let out = run(moto
        .cmd()
        .env("AWS_ENDPOINT_URL_KMS", &silent_url)
        .env("AWS_MAX_ATTEMPTS", "1")
        .args(["collect", "--quiet", "--regions", REGION, "--timeout", "3", "-o"])
        .arg(&path));
    assert_eq!(out.status.code(), Some(4), "evidence is missing, the snapshot is written");
    let snapshot = json(&path);
    let kms: Vec<&Value> =
        snapshot["errors"].as_array().unwrap().iter().filter(|e| e["operation"] == "kms:ListKeys").collect();
    assert_eq!(kms.len(), 1, "{:#}", snapshot["errors"]);
    assert!(kms[0]["message"].as_str().unwrap().contains("no answer within 3 s"), "{:#}", kms[0]);
    assert!(kms[0]["resource_types"].as_array().unwrap().iter().any(|k| k == "kms.key"), "{:#}", kms[0]);

    let request = seen.lock().unwrap().to_lowercase();
    let agent = request.lines().find(|l| l.starts_with("user-agent:")).unwrap_or_else(|| panic!("{request}"));
    assert!(agent.contains(concat!("evidence-pack/", env!("CARGO_PKG_VERSION"))), "{agent}");
}
