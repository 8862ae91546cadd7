//! Verdicts for EC2, RDS, ECS, Secrets Manager and Trusted Advisor's port
//! check, row by row against AWS's own definitions: `(control, fixture,
//! expected status, expected failing resource)`. Every row named "false
//! fail" or "false pass" gave the other verdict before its fix.
//!
//! Fixtures are moto accounts seeded through the SDK where moto can hold
//! the state, and stated snapshots where it cannot (each says why).

use std::path::Path;

use aws_config::SdkConfig;
use serde_json::{Value, json};

use crate::harness::{
    Moto, control, default_vpc, empty_web_acl, keypair, nacl_entry, network_acl, run, stated, task_family,
};

/// Where the moto fixtures live: not us-east-1, so that reading the
/// CloudFront-scoped web ACLs, which live there, shows they are read
/// whatever `--regions` says.
const FIXTURE_REGION: &str = "us-west-2";

/// A row: the control, the fixture, its expected status, and a resource the
/// control must name as failing (`None`: the status says it all).
struct Row {
    control: &'static str,
    fixture: &'static str,
    status: &'static str,
    failing: Option<&'static str>,
    /// A resource that must NOT be among the failing ones.
    not_failing: Option<&'static str>,
    /// Text one of the failing resource's problems must contain.
    problem: Option<&'static str>,
}

const fn row(control: &'static str, fixture: &'static str, status: &'static str, failing: Option<&'static str>) -> Row {
    Row { control, fixture, status, failing, not_failing: None, problem: None }
}

/// `aliases` stand for names only known once seeded (a network ACL's id).
fn check_rows(rows: &[Row], fixture: &str, results: &Value, aliases: &[(&str, String)]) {
    let real = |name: &'static str| -> String {
        aliases.iter().find(|(k, _)| *k == name).map_or(name.to_string(), |(_, v)| v.clone())
    };
    let mut wrong = Vec::new();
    for r in rows.iter().filter(|r| r.fixture == fixture) {
        let c = control(results, r.control);
        let failing: Vec<&Value> = c["failing"].as_array().map(|f| f.iter().collect()).unwrap_or_default();
        let names =
            |f: &Value| format!("{} {}", f["id"].as_str().unwrap_or_default(), f["name"].as_str().unwrap_or_default());
        let mut ok = c["status"] == r.status;
        if let Some(want) = r.failing {
            let want = real(want);
            let hit = failing.iter().find(|f| names(f).contains(&want));
            ok &= hit.is_some();
            if let (Some(hit), Some(problem)) = (hit, r.problem) {
                ok &= hit["problems"].as_array().unwrap().iter().any(|p| p.as_str().unwrap().contains(problem));
            }
        }
        if let Some(not) = r.not_failing {
            ok &= !failing.iter().any(|f| names(f).contains(&real(not)));
        }
        if !ok {
            wrong.push(format!(
                "{} on {}: want {} failing {:?} (not {:?}, problem {:?}), got {} {}: {}",
                r.control,
                r.fixture,
                r.status,
                r.failing,
                r.not_failing,
                r.problem,
                c["status"],
                c["reason"],
                Value::Array(failing.into_iter().cloned().collect())
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

const ROWS: &[Row] = &[
    // EC2.13: an all-traffic rule has no ports; its flag used to be
    // `string(null)` and the rule went unnamed.
    Row { problem: Some("all traffic from 0.0.0.0/0"), ..row("EC2.13", "open", "fail", Some("all-traffic")) },
    Row { problem: Some("all traffic from 0.0.0.0/0"), ..row("EC2.19", "open", "fail", Some("all-traffic")) },
    // EC2.21, false pass: UDP 22 from anywhere.
    row("EC2.21", "open", "fail", Some("udp-ssh")),
    // EC2.21, false fail: the default ACL allows everything, but Security
    // Hub generates no finding for a default network ACL.
    Row { not_failing: Some("default-acl"), ..row("EC2.21", "open", "fail", Some("udp-ssh")) },
    // EC2.21, false fail: an allow-all at 100 shadowed by a deny-all at 1.
    row("EC2.21", "closed", "pass", None),
    // SSM.1, false pass: AWS checks stopped instances too.
    row("SSM.1", "open", "fail", Some("stopped-vm")),
    // TA.SGPorts, Trusted Advisor's red and yellow ports.
    Row { problem: Some("red"), ..row("TA.SGPorts", "open", "fail", Some("ta-red")) },
    Row { problem: Some("yellow"), ..row("TA.SGPorts", "open", "fail", Some("ta-yellow")) },
    // TA.SGPorts, false fail: green ports, and ::/0, which Trusted Advisor
    // does not evaluate (EC2.19 still fails on it).
    row("TA.SGPorts", "closed", "pass", None),
    row("EC2.19", "closed", "fail", Some("ta-green")),
    // RDS.1 / TA.RDSPublic, false pass: a public Aurora cluster snapshot.
    row("RDS.1", "open", "fail", Some("aurora-public")),
    Row { not_failing: Some("aurora-private"), ..row("RDS.1", "open", "fail", Some("aurora-public")) },
    row("TA.RDSPublic", "open", "fail", None),
    // RDS.10, false fail: a stopped instance is outside AWS's scope.
    row("RDS.10", "closed", "not_applicable", None),
    row("RDS.10", "open", "fail", Some("running-db")),
    // ECS.8, false fail: an older revision with keys, superseded by a clean
    // latest revision, is not evaluated.
    row("ECS.8", "closed", "pass", None),
    row("ECS.8", "open", "fail", Some("keyed-api:2")),
];

/// Security groups in the fixture region's default VPC.
async fn group(ec2: &aws_sdk_ec2::Client, name: &str, rules: &[(&str, Option<i32>, &str)]) {
    use aws_sdk_ec2::types::{IpPermission, IpRange, Ipv6Range};
    let id = ec2.create_security_group().group_name(name).description(name).send().await.unwrap().group_id.unwrap();
    let perms = rules
        .iter()
        .map(|(protocol, port, cidr)| {
            let p = IpPermission::builder().ip_protocol(*protocol).set_from_port(*port).set_to_port(*port);
            if cidr.contains(':') {
                p.ipv6_ranges(Ipv6Range::builder().cidr_ipv6(*cidr).build()).build()
            } else {
                p.ip_ranges(IpRange::builder().cidr_ip(*cidr).build()).build()
            }
        })
        .collect();
    ec2.authorize_security_group_ingress().group_id(id).set_ip_permissions(Some(perms)).send().await.unwrap();
}

async fn mysql(rds: &aws_sdk_rds::Client, name: &str) {
    rds.create_db_instance()
        .db_instance_identifier(name)
        .engine("mysql")
        .db_instance_class("db.t3.micro")
        .allocated_storage(20)
        .master_username("admin")
        .master_user_password("not-a-real-password")
        .enable_iam_database_authentication(false)
        .send()
        .await
        .unwrap();
}

async fn cluster_snapshot(rds: &aws_sdk_rds::Client, cluster: &str, public: bool) {
    rds.create_db_cluster()
        .db_cluster_identifier(cluster)
        .engine("aurora-postgresql")
        .master_username("admin")
        .master_user_password("not-a-real-password")
        .send()
        .await
        .unwrap();
    let snapshot = format!("{cluster}-manual");
    rds.create_db_cluster_snapshot()
        .db_cluster_identifier(cluster)
        .db_cluster_snapshot_identifier(&snapshot)
        .send()
        .await
        .unwrap();
    if public {
        rds.modify_db_cluster_snapshot_attribute()
            .db_cluster_snapshot_identifier(&snapshot)
            .attribute_name("restore")
            .values_to_add("all")
            .send()
            .await
            .unwrap();
    }
}

/// Everything open: the rows' false passes. Returns the UDP network ACL's id.
async fn seed_open(cfg: &SdkConfig) -> Vec<(&'static str, String)> {
    let ec2 = aws_sdk_ec2::Client::new(cfg);
    group(&ec2, "all-traffic", &[("-1", None, "0.0.0.0/0")]).await;
    group(&ec2, "ta-red", &[("tcp", Some(3306), "0.0.0.0/0")]).await;
    group(&ec2, "ta-yellow", &[("tcp", Some(8443), "0.0.0.0/0")]).await;
    let vpc = default_vpc(&ec2).await;
    let acl = network_acl(&ec2).await;
    nacl_entry(&ec2, &acl, 100, "17", true, Some(22)).await;
    let default_acl = default_acl(&ec2, &vpc).await;
    // moto does not check the image id unless MOTO_ENABLE_AMI_VALIDATION is set.
    let vm = ec2.run_instances().image_id("ami-12345678").min_count(1).max_count(1).send().await.unwrap();
    let vm = vm.instances()[0].instance_id().unwrap().to_string();
    ec2.stop_instances().instance_ids(&vm).send().await.unwrap();
    let rds = aws_sdk_rds::Client::new(cfg);
    cluster_snapshot(&rds, "aurora-public", true).await;
    cluster_snapshot(&rds, "aurora-private", false).await;
    mysql(&rds, "running-db").await;
    // The latest revision carries keys; the first does not.
    task_family(cfg, "keyed-api", &[false, true]).await;
    vec![("udp-ssh", acl), ("default-acl", default_acl), ("stopped-vm", vm)]
}

async fn default_acl(ec2: &aws_sdk_ec2::Client, vpc: &str) -> String {
    let acls = ec2.describe_network_acls().send().await.unwrap().network_acls.unwrap();
    let default = acls.iter().find(|a| a.vpc_id() == Some(vpc) && a.is_default() == Some(true)).unwrap();
    default.network_acl_id().unwrap().to_string()
}

/// Everything closed, in ways the old checks misread: the false fails.
async fn seed_closed(cfg: &SdkConfig) {
    let ec2 = aws_sdk_ec2::Client::new(cfg);
    group(
        &ec2,
        "ta-green",
        &[("tcp", Some(443), "0.0.0.0/0"), ("tcp", Some(25), "0.0.0.0/0"), ("tcp", Some(22), "::/0")],
    )
    .await;
    let acl = network_acl(&ec2).await;
    nacl_entry(&ec2, &acl, 100, "-1", true, None).await;
    nacl_entry(&ec2, &acl, 1, "-1", false, None).await;
    let rds = aws_sdk_rds::Client::new(cfg);
    mysql(&rds, "stopped-db").await;
    rds.stop_db_instance().db_instance_identifier("stopped-db").send().await.unwrap();
    // The first revision carries keys; the latest, the one AWS evaluates, does not.
    task_family(cfg, "clean-api", &[true, false]).await;
}

async fn fixture_config(moto: &Moto) -> SdkConfig {
    moto.config().await.into_builder().region(aws_config::Region::new(FIXTURE_REGION)).build()
}

fn collect(moto: &Moto, dir: &Path, regions: Option<&str>) -> Value {
    let out = dir.join("snapshot.json");
    let mut cmd = moto.cmd();
    cmd.args(["collect", "-q", "-o"]).arg(&out);
    if let Some(r) = regions {
        cmd.args(["--regions", r]);
    }
    run(&mut cmd);
    crate::harness::json(&out)
}

fn evaluate(moto: &Moto, dir: &Path) -> Value {
    let out = run(moto.cmd().args(["evaluate", "-q", "--json"]).arg(dir.join("snapshot.json")));
    serde_json::from_slice(&out.stdout).expect("results.json on stdout")
}

#[tokio::test(flavor = "multi_thread")]
async fn open_fixture_fails_where_aws_fails() {
    let dir = tempfile::tempdir().unwrap();
    let moto = Moto::start();
    let cfg = fixture_config(&moto).await;
    let aliases = seed_open(&cfg).await;
    // A CloudFront-scoped web ACL lives in us-east-1, outside --regions.
    empty_web_acl(&moto.config().await, "edge", aws_sdk_wafv2::types::Scope::Cloudfront).await;
    let snapshot = collect(&moto, dir.path(), Some(FIXTURE_REGION));

    let acls: Vec<&Value> =
        snapshot["resources"].as_array().unwrap().iter().filter(|r| r["type"] == "wafv2.web_acl").collect();
    assert!(
        acls.iter().any(|a| a["data"]["scope"] == "CLOUDFRONT" && a["data"]["name"] == "edge"),
        "CloudFront web ACL not read with --regions {FIXTURE_REGION}: {acls:?}"
    );
    // Only the latest active revision of each family is read.
    let tasks: Vec<&str> = snapshot["resources"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["type"] == "ecs.task_definition")
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert!(tasks.len() == 1 && tasks[0].ends_with("keyed-api:2"), "{tasks:?}");
    let account = &snapshot["accounts"][0];
    assert!(account["regions_enabled"].as_array().is_some_and(|e| e.len() > 1), "{account}");

    let results = evaluate(&moto, dir.path());
    check_rows(ROWS, "open", &results, &aliases);
    // The subset is stated in results.json: read against enabled.
    let coverage = &results["regions"][0];
    assert_eq!(coverage["read"], json!([FIXTURE_REGION]), "{coverage}");
    assert!(coverage["not_read"].as_array().unwrap().iter().any(|r| r == "us-east-1"), "{coverage}");

    // … and on the cover.
    let (key, _) = keypair(dir.path());
    let zip = dir.path().join("pack.zip");
    run(moto.cmd().args(["pack", "-q", "--key"]).arg(&key).arg("-o").arg(&zip).arg(dir.path().join("snapshot.json")));
    let report = String::from_utf8(crate::harness::entry(&zip, "report.md")).unwrap();
    let line =
        report.lines().find(|l| l.starts_with("| Regions not read |")).expect("cover names the regions not read");
    assert!(line.contains("us-east-1") && line.contains("enabled regions not read"), "{line}");
}

#[tokio::test(flavor = "multi_thread")]
async fn closed_fixture_passes_where_aws_passes() {
    let dir = tempfile::tempdir().unwrap();
    let moto = Moto::start();
    seed_closed(&fixture_config(&moto).await).await;
    collect(&moto, dir.path(), Some(FIXTURE_REGION));
    check_rows(ROWS, "closed", &evaluate(&moto, dir.path()), &[]);
}

/// moto enforces IAM after INITIAL_NO_AUTH_ACTION_COUNT requests: a
/// collector denied `ec2:DescribeRegions` reads only its home region, and
/// every regional control must then be `error`, not a pass on one region.
#[tokio::test(flavor = "multi_thread")]
async fn unknown_regions_make_regional_controls_error() {
    let dir = tempfile::tempdir().unwrap();
    let moto = Moto::start_denying(r#""ec2:DescribeRegions""#).await;
    let snapshot = collect(&moto, dir.path(), None);
    assert!(snapshot["accounts"][0].get("regions_enabled").is_none(), "{}", snapshot["accounts"][0]);
    let results = evaluate(&moto, dir.path());
    // False passes before: a bare account passes these on its home region.
    for id in ["EC2.13", "EC2.14", "EC2.19", "KMS.4", "RDS.1", "ECS.8", "SecretsManager.2"] {
        let c = control(&results, id);
        assert_eq!(c["status"], "error", "{id}: {c}");
        assert!(c["reason"].as_str().unwrap().contains("ec2:DescribeRegions"), "{id}: {c}");
    }
    // Global controls are unaffected.
    assert_ne!(control(&results, "IAM.7")["status"], "error");
    // The cover says so.
    let (key, _) = keypair(dir.path());
    let zip = dir.path().join("pack.zip");
    run(moto.cmd().args(["pack", "-q", "--key"]).arg(&key).arg("-o").arg(&zip).arg(dir.path().join("snapshot.json")));
    let report = String::from_utf8(crate::harness::entry(&zip, "report.md")).unwrap();
    let line = report.lines().find(|l| l.starts_with("| Regions not read |")).expect("cover says regions are unknown");
    assert!(line.contains("ec2:DescribeRegions failed") && line.contains("regional controls are in error"), "{line}");
}

/// A snapshot stating secrets, because moto cannot hold them: it dates
/// `NextRotationDate` from its own clock (never in the past), and turning
/// rotation on invokes a rotation Lambda it would have to run. With them, a
/// DB instance and a task definition as an earlier build wrote them, which
/// only a stated snapshot can be.
fn secrets_snapshot(dir: &Path) -> std::path::PathBuf {
    const AT: &str = "2026-06-01T00:00:00Z";
    let secret = |name: &str, next: Option<&str>, last: Option<&str>, pending: Option<bool>| {
        let arn = format!("arn:aws:secretsmanager:us-east-1:111122223333:secret:{name}");
        let data = json!({"name": name, "arn": arn, "rotation_enabled": true, "rotation_days": 30,
            "next_rotation": next, "last_rotated": last, "rotation_pending": pending});
        stated("secretsmanager.secret", &arn, "secretsmanager:ListSecrets", AT, data)
    };
    // Written by an earlier build, without the fields added since: still in
    // scope, and evaluated rather than an error.
    let old_db = stated(
        "rds.instance",
        "arn:aws:rds:us-east-1:111122223333:db:old-db",
        "rds:DescribeDBInstances",
        AT,
        json!({"identifier": "old-db", "engine": "mysql", "cluster": null, "vpc_id": "vpc-1", "iam_auth": false}),
    );
    let task = "arn:aws:ecs:us-east-1:111122223333:task-definition/old-task:3";
    let old_task = stated(
        "ecs.task_definition",
        task,
        "ecs:DescribeTaskDefinition",
        AT,
        json!({"arn": task, "containers": [{"name": "api", "environment": ["AWS_SECRET_ACCESS_KEY"]}]}),
    );
    let snapshot = json!({
        "schema_version": 1,
        "tool": {"name": "evidence-pack", "version": "test"},
        "collected_at": {"started": "2026-06-01T00:00:00Z", "finished": "2026-06-01T00:00:00Z"},
        "accounts": [{"account_id": "111122223333", "collector_arn": "arn:aws:iam::111122223333:user/audit", "regions": ["us-east-1"]}],
        "resources": [
            // False fail before: rotation on, not yet due, never rotated.
            secret("fresh", Some("2026-06-20T00:00:00Z"), None, Some(false)),
            // False pass before: rotated in time once, but the next rotation is overdue.
            secret("overdue", Some("2026-05-25T00:00:00Z"), Some("2026-05-20T00:00:00Z"), Some(false)),
            // False pass before: the last rotation left an AWSPENDING version behind.
            secret("stuck", Some("2026-06-15T00:00:00Z"), Some("2026-05-30T00:00:00Z"), Some(true)),
            old_db,
            old_task,
        ],
        "errors": []
    });
    let path = dir.join("secrets.json");
    std::fs::write(&path, serde_json::to_vec_pretty(&snapshot).unwrap()).unwrap();
    path
}

#[test]
fn secrets_rotation_follows_the_rotation_outcome() {
    let dir = tempfile::tempdir().unwrap();
    let path = secrets_snapshot(dir.path());
    let out = run(std::process::Command::new(crate::harness::BIN).args(["evaluate", "-q", "--json"]).arg(&path));
    let results: Value = serde_json::from_slice(&out.stdout).unwrap();
    let rows = [
        row("SecretsManager.2", "secrets", "fail", Some("overdue")),
        Row { problem: Some("AWSPENDING"), ..row("SecretsManager.2", "secrets", "fail", Some("stuck")) },
        Row { not_failing: Some("fresh"), ..row("SecretsManager.2", "secrets", "fail", Some("overdue")) },
        row("RDS.10", "secrets", "fail", Some("old-db")),
        row("ECS.8", "secrets", "fail", Some("old-task:3")),
    ];
    check_rows(&rows, "secrets", &results, &[]);
}
