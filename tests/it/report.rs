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

/// The example account with `groups` more security groups of 20 rules
/// each, one of them (port 22) open to the Internet.
pub(crate) fn with_open_groups(groups: usize) -> Snapshot {
    let mut s = example();
    let template = s.resources.iter().find(|r| r.kind == "ec2.security_group").unwrap().clone();
    for g in 0..groups {
        let mut r = template.clone();
        r.id = format!("sg-estate-{g:03}");
        r.data["group_id"] = format!("sg-estate-{g:03}").into();
        r.data["is_default"] = false.into();
        r.data["egress"] = serde_json::json!([]);
        r.data["ingress"] = (0..20)
            .map(|i| serde_json::json!({"protocol": "tcp", "from_port": 22 + i, "to_port": 22 + i, "peer": if i == 0 { "0.0.0.0/0" } else { "10.0.0.0/8" }, "peer_type": "cidr_ipv4", "description": null}))
            .collect();
        s.resources.push(r);
    }
    s
}

/// A big estate: under a control, every flagged row and a fixed sample of
/// the rest, saying so and naming the CSV that holds every row. Before, a
/// control showed at most 50 flagged rows, so with 60 open groups ten
/// failing rows were missing from the report (a false pass to a reader),
/// and the full 1,200-row table was printed in an appendix.
#[test]
fn a_long_table_shows_every_flagged_row_and_a_stated_sample() {
    let s = with_open_groups(60);
    let catalog = Catalog::builtin();
    let results = evaluate::evaluate(&s, &catalog);
    let report = render::build(&s, "x", &catalog, &results);
    let ec2_13 = report.controls.iter().find(|c| c.id == "EC2.13").unwrap();
    assert!(ec2_13.failing.len() >= 60, "{}", ec2_13.reason);
    let t = ec2_13.tables.iter().find(|t| t.kind == "ec2.security_group").unwrap();
    let flagged = t.rows.iter().filter(|r| r.flagged).count();
    assert!(flagged >= ec2_13.failing.len(), "every failing row: {flagged}");
    let sampled = t.rows.len() - flagged;
    assert!(sampled > 0 && sampled <= render::evidence::SAMPLE_ROWS, "{sampled}");
    assert!(t.total_rows > 1200, "{}", t.total_rows);
    assert!(t.rows[..flagged].iter().all(|r| r.flagged), "flagged rows first");
    assert!(
        t.note.contains(&format!("Showing the {flagged} flagged rows and a fixed sample of {sampled} of the other"))
            && t.note.contains("evidence/ec2.security_group.csv"),
        "{}",
        t.note
    );
    assert!(t.counts.starts_with(&format!("{} resources (", s.of_kind("ec2.security_group").count())), "{}", t.counts);
    assert!(t.counts.contains(&format!("{} failing", ec2_13.failing.len())), "{}", t.counts);
    // The sample is the same every run and in every control that reads
    // the kind without flagging it.
    let again = render::build(&s, "x", &catalog, &evaluate::evaluate(&s, &catalog));
    let again = again.controls.iter().find(|c| c.id == "EC2.13").unwrap();
    let t2 = again.tables.iter().find(|t| t.kind == "ec2.security_group").unwrap();
    assert_eq!(t.rows, t2.rows);
    // No appendix of full tables: the CSV holds them, every row.
    let csv = report.evidence_csv.iter().find(|(n, _)| n == "evidence/ec2.security_group.csv").unwrap();
    let mut reader = csv::Reader::from_reader(csv.1.as_slice());
    assert_eq!(reader.records().count(), t.total_rows);
    let md = render::markdown(&report).unwrap();
    assert!(!md.contains("## Appendix: evidence tables"));
    assert!(md.contains("| `evidence/ec2.security_group.csv` | Security group rules |"), "the appendix lists the CSVs");
}

/// Every kind gets `evidence/<kind>.csv`: a header of the fixed columns and
/// the table's own, one record per table row, each naming its resource; a
/// name holding a comma, a quote or a line break stays in its cell, and one
/// a spreadsheet would run as a formula is written as text.
#[test]
fn evidence_csvs_hold_every_row_as_rfc_4180() {
    let mut s = example();
    let hostile = "a,b \"quoted\"\nline two";
    let g = s.resources.iter_mut().find(|r| r.kind == "iam.group").unwrap();
    g.data["name"] = hostile.into();
    let u = s.resources.iter_mut().find(|r| r.kind == "iam.user").unwrap();
    u.data["name"] = "=HYPERLINK(\"http://evil.example\")".into();
    let catalog = Catalog::builtin();
    let results = evaluate::evaluate(&s, &catalog);
    let report = render::build(&s, "x", &catalog, &results);
    let names: Vec<&str> = report.evidence_csv.iter().map(|(n, _)| n.as_str()).collect();
    let mut kinds: Vec<&str> = s.resources.iter().map(|r| r.kind.as_str()).collect();
    kinds.sort();
    kinds.dedup();
    for k in &kinds {
        let name = format!("evidence/{k}.csv");
        assert!(names.contains(&name.as_str()), "{name} missing from {names:?}");
        assert!(evidence_pack::seal::name::problem(&name).is_none(), "{name}");
    }
    for (name, bytes) in &report.evidence_csv {
        let kind = name.trim_start_matches("evidence/").trim_end_matches(".csv");
        let info = render::tables::info(kind).unwrap();
        let mut reader = csv::Reader::from_reader(bytes.as_slice());
        let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
        let expected: Vec<&str> = render::evidence::CSV_COLUMNS.iter().chain(info.columns).copied().collect();
        assert_eq!(header, expected, "{name}");
        let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        let file = report.evidence.iter().find(|f| &f.name == name).unwrap();
        assert_eq!(records.len().to_string(), file.rows.replace(',', ""), "{name}");
        for r in &records {
            assert_eq!(r.len(), header.len(), "{name}: {r:?}");
            assert!(s.resources.iter().any(|x| x.id == r[2] && x.kind == kind), "{name}: unknown resource {}", &r[2]);
        }
        assert!(bytes.ends_with(b"\r\n"), "{name}: CRLF line ends");
    }
    let groups = &report.evidence_csv.iter().find(|(n, _)| n == "evidence/iam.group.csv").unwrap().1;
    let cells: Vec<String> = csv::Reader::from_reader(groups.as_slice())
        .records()
        .flat_map(|r| r.unwrap().iter().map(String::from).collect::<Vec<_>>())
        .collect();
    assert!(cells.iter().any(|c| c == hostile), "the name is one cell, as it was");
    let users =
        String::from_utf8(report.evidence_csv.iter().find(|(n, _)| n == "evidence/iam.user.csv").unwrap().1.clone())
            .unwrap();
    assert!(users.contains("'=HYPERLINK"), "a formula is text: {users}");
}

/// Controls with nothing to report that read the same evidence share one
/// section, where the first of them is; each keeps its verdict and reason.
/// Before, each had a page of its own, most of it empty.
#[test]
fn quiet_controls_on_the_same_evidence_share_a_section() {
    let snapshot = example();
    let catalog = Catalog::builtin();
    let results = evaluate::evaluate(&snapshot, &catalog);
    let report = render::build(&snapshot, "x", &catalog, &results);
    let mut ids: Vec<&str> = report.controls.iter().map(|c| c.id.as_str()).collect();
    ids.sort();
    let mut all: Vec<&str> = results.controls.iter().map(|c| c.id.as_str()).collect();
    all.sort();
    assert_eq!(ids, all, "every control once");
    let mut groups = 0;
    let mut i = 0;
    while i < report.controls.len() {
        let c = &report.controls[i];
        if let Some(g) = &c.group {
            groups += 1;
            let n = report.controls[i..]
                .iter()
                .take_while(|m| m.grouped)
                .position(|m| !m.shared_tables.is_empty())
                .unwrap()
                + 1;
            let members = &report.controls[i..i + n];
            assert!(n > 1, "{}: a group of one", g.title);
            let kinds = |id: &str| {
                let mut k = catalog.controls.iter().find(|x| x.id == id).unwrap().evidence.clone();
                k.sort();
                k.dedup();
                k
            };
            for m in members {
                assert!(m.grouped && m.tables.is_empty(), "{}", m.id);
                assert!(m.status == "pass" || m.status == "not_applicable", "{}: {}", m.id, m.status);
                assert!(!m.reason.is_empty() && m.failing.is_empty());
                assert_eq!(
                    kinds(&m.id),
                    kinds(&members[0].id),
                    "{} and {} read different evidence",
                    m.id,
                    members[0].id
                );
                assert!(g.text.contains(&m.id), "{}", g.text);
            }
            let shared: Vec<&str> = members[n - 1].shared_tables.iter().map(|t| t.kind.as_str()).collect();
            let mut shared_sorted = shared.clone();
            shared_sorted.sort();
            shared_sorted.dedup();
            assert_eq!(shared_sorted, kinds(&members[0].id), "{}", g.title);
            i += n;
        } else {
            assert!(!c.grouped, "{} is grouped without a group heading before it", c.id);
            i += 1;
        }
    }
    assert!(groups > 0, "the demo has controls passing on the same evidence");
    // A failing control is never folded into a group.
    assert!(report.controls.iter().filter(|c| c.status == "fail").all(|c| !c.grouped));
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

/// The example account copied as `n` accounts (ids 100000000000 + i), and
/// one more that could not be entered, as `collect --org` records it.
fn estate(n: usize) -> Snapshot {
    let text = example().to_json();
    let mut parts: Vec<Snapshot> = (0..n)
        .map(|i| {
            Snapshot::from_json("a", &text.replace("992382705250", &format!("{}", 100_000_000_000u64 + i as u64)))
                .unwrap()
        })
        .collect();
    let mut denied = example();
    let id = "999999999999";
    denied.accounts.truncate(1);
    denied.accounts[0].account_id = id.into();
    denied.accounts[0].alias = None;
    denied.accounts[0].regions.clear();
    denied.accounts[0].regions_enabled = None;
    denied.resources.clear();
    denied.errors.truncate(1);
    let e = &mut denied.errors[0];
    (e.account, e.region, e.operation, e.code) =
        (id.into(), "global".into(), "sts:AssumeRole".into(), "AccessDenied".into());
    e.resource_types = evidence_pack::snapshot::kinds::ALL.iter().map(|k| k.to_string()).collect();
    parts.push(denied);
    Snapshot::merge(parts).unwrap()
}

/// Before, the summary's matrix had a column per account: past about five
/// accounts it left the PDF page, and a thousand made it unreadable. Now
/// counts per account always come first, one row each; the control ×
/// account grid only while it fits.
#[test]
fn many_accounts_get_counts_per_account_and_no_grid() {
    let catalog = Catalog::builtin();
    let snapshot = estate(render::GRID_ACCOUNTS + 1);
    let results = evaluate::evaluate(&snapshot, &catalog);
    let report = render::build(&snapshot, "x", &catalog, &results);
    let md = render::markdown(&report).unwrap();
    assert!(!md.contains("Source: ,"), "an empty table has no empty source line");
    let by_account = md.split("### By account").nth(1).expect("no counts by account");
    let counts = by_account
        .split("\n\n")
        .find(|b| b.starts_with("| Account | Pass | Fail | Error | Manual | Not applicable | Excepted | Total |"))
        .expect("no counts table");
    assert_eq!(counts.lines().count(), 2 + render::GRID_ACCOUNTS + 2, "a row per account: {counts}");
    let total = results.controls.len();
    for a in &report.summary.by_account {
        assert_eq!(a.counts.total(), a.total, "{}: the counts add up", a.id);
        assert_eq!(a.total, total, "{}: every control counts once per account", a.id);
    }
    // The account that could not be entered is in error for every check.
    let denied = report.summary.by_account.iter().find(|a| a.id == "999999999999").unwrap();
    assert_eq!((denied.counts.pass, denied.counts.fail), (0, 0), "{denied:?}");
    assert!(report.summary.accounts.is_empty() && report.summary.matrix.is_empty(), "no grid past GRID_ACCOUNTS");
    assert!(!md.contains("### Control by account"));
    assert!(md.contains("is in results.json (controls\\[\\].accounts)"), "says where the statuses are");

    // The cover: accounts read, the one that failed, regions per account.
    let cover = md.split("## Summary").next().unwrap();
    let n = render::GRID_ACCOUNTS + 2;
    let line = format!("| Accounts | {n} accounts: {} read, 1 whose collection failed (999999999999).", n - 1);
    assert!(cover.contains(&line), "{cover}");
    assert!(cover.contains("| 999999999999 | - | - | failed: sts:AssumeRole returned AccessDenied |"), "{cover}");
    assert!(cover.contains("| 100000000000 | seguros-patria-prod | us-east-1, us-east-2 | read |"), "{cover}");

    // Failing resources are grouped by account, one table each.
    let kms = report.controls.iter().find(|c| c.id == "KMS.4").unwrap();
    assert_eq!(kms.failing_by_account.len(), render::GRID_ACCOUNTS + 1, "{:?}", kms.failing_by_account);
    let section = md.split("\n## KMS.4").nth(1).unwrap().split("\n## ").next().unwrap();
    assert!(
        section.contains("**Account 100000000000** (1)") && section.contains("| Resource | Region | What is wrong |")
    );
}

#[test]
fn a_few_accounts_keep_the_control_by_account_grid() {
    let catalog = Catalog::builtin();
    let snapshot = estate(render::GRID_ACCOUNTS - 1);
    let results = evaluate::evaluate(&snapshot, &catalog);
    let report = render::build(&snapshot, "x", &catalog, &results);
    assert_eq!(report.summary.accounts.len(), render::GRID_ACCOUNTS);
    assert!(report.summary.matrix_note.is_empty());
    let md = render::markdown(&report).unwrap();
    let grid = md.split("### Control by account").nth(1).expect("no grid");
    assert!(grid.contains("| Control | 100000000000 |"), "{grid}");
    // Counts come first.
    assert!(md.find("### By account").unwrap() < md.find("### Control by account").unwrap());
}

/// The example account with one more resource, as if every call had
/// answered (the example, collected from moto, has a few that did not).
fn with_resource(kind: &str, data: serde_json::Value) -> Snapshot {
    let mut s = example();
    s.errors.clear();
    let mut r = s.resources[0].clone();
    r.kind = kind.to_string();
    r.id = format!("test-{kind}");
    r.data = data;
    s.resources.push(r);
    s
}

/// States moto cannot produce (old credentials, rotated secrets, a virtual
/// root MFA device, an instance outside a VPC), evaluated over snapshots.
#[test]
fn states_moto_cannot_produce() {
    let catalog = Catalog::builtin();
    let status = |s: &Snapshot, id: &str| evaluate::evaluate(s, &catalog).get(id).unwrap().status.as_str().to_string();
    let user = |created: &str, key_rotated: &str, key_used: Option<&str>| {
        with_resource(
            "iam.credential_report",
            serde_json::json!({"user": "old-user", "arn": "arn:aws:iam::992382705250:user/old-user", "is_root": false,
                "created": created, "password_enabled": false, "password_last_used": null, "password_last_changed": null,
                "mfa_active": true, "access_keys": [{"slot": 1, "active": true, "last_rotated": key_rotated, "last_used": key_used},
                {"slot": 2, "active": false, "last_rotated": null, "last_used": null}]}),
        )
    };
    // The example was collected on 2026-11-22.
    let stale = user("2025-01-01T00:00:00Z", "2025-01-01T00:00:00Z", Some("2025-02-01T00:00:00Z"));
    assert_eq!(status(&stale, "IAM.3"), "fail");
    assert_eq!(status(&stale, "IAM.8"), "fail");
    assert_eq!(status(&stale, "IAM.22"), "fail");
    let fresh = user("2026-11-01T00:00:00Z", "2026-11-01T00:00:00Z", Some("2026-11-20T00:00:00Z"));
    assert_eq!(status(&fresh, "IAM.3"), "pass");
    assert_eq!(status(&fresh, "IAM.22"), "pass");

    let secret = |rotation: bool, last_rotated: Option<&str>| {
        with_resource(
            "secretsmanager.secret",
            serde_json::json!({"name": "db", "arn": "arn:aws:secretsmanager:us-east-1:992382705250:secret:db", "kms_key_id": null,
                "rotation_enabled": rotation, "rotation_days": 30, "rotation_schedule": null, "last_rotated": last_rotated,
                "last_accessed": "2026-11-21T00:00:00Z", "next_rotation": null, "created": "2026-01-01T00:00:00Z"}),
        )
    };
    let rotated = secret(true, Some("2026-11-10T00:00:00Z"));
    assert_eq!(status(&rotated, "SecretsManager.1"), "pass");
    assert_eq!(status(&rotated, "SecretsManager.2"), "pass");
    assert_eq!(status(&rotated, "SecretsManager.4"), "pass");
    let stuck = secret(true, Some("2026-06-01T00:00:00Z"));
    assert_eq!(status(&stuck, "SecretsManager.2"), "fail");
    assert_eq!(status(&stuck, "SecretsManager.4"), "fail");

    let virtual_root = with_resource(
        "iam.virtual_mfa_device",
        serde_json::json!({"serial": "arn:aws:iam::992382705250:mfa/root-account-mfa-device", "user_arn": "arn:aws:iam::992382705250:root", "is_root": true}),
    );
    assert_eq!(status(&virtual_root, "IAM.6"), "fail");
    assert_eq!(status(&virtual_root, "IAM.9"), "pass", "IAM.9 accepts any MFA");

    let classic = with_resource(
        "ec2.instance",
        serde_json::json!({"instance_id": "i-0classic", "vpc_id": null, "state": "running", "instance_profile": null}),
    );
    assert_eq!(status(&classic, "EC2.29"), "fail");

    let private = with_resource(
        "ec2.snapshot",
        serde_json::json!({"snapshot_id": "snap-0private", "volume_id": "vol-1", "encrypted": true, "public": false}),
    );
    assert_eq!(status(&private, "EC2.1"), "pass");

    // moto implements neither DescribeInstanceInformation nor
    // ListResourceComplianceSummaries (SSM.1 to SSM.3).
    let mut managed = with_resource(
        "ec2.instance",
        serde_json::json!({"instance_id": "i-0managed", "vpc_id": "vpc-1", "state": "running", "instance_profile": null}),
    );
    assert_eq!(status(&managed, "SSM.1"), "fail", "not in the managed list");
    let mut m = managed.resources[0].clone();
    m.kind = "ssm.managed_instance".into();
    m.data = serde_json::json!({"instance_id": "i-0managed", "ping_status": "Online"});
    managed.resources.push(m);
    assert_eq!(status(&managed, "SSM.1"), "pass");
    let patch = |st: &str| {
        with_resource(
            "ssm.compliance",
            serde_json::json!({"resource_id": "i-0managed", "compliance_type": "Patch", "status": st}),
        )
    };
    assert_eq!(status(&patch("NON_COMPLIANT"), "SSM.2"), "fail");
    assert_eq!(status(&patch("COMPLIANT"), "SSM.2"), "pass");

    // moto's CreateDistribution needs more than this test is about.
    let dist = |oac: Option<&str>| {
        with_resource(
            "cloudfront.distribution",
            serde_json::json!({"id": "E1", "arn": "arn:aws:cloudfront::992382705250:distribution/E1",
                "s3_origins": [{"id": "site", "domain": "site.s3.us-east-1.amazonaws.com", "origin_access_identity": null, "origin_access_control": oac}]}),
        )
    };
    assert_eq!(status(&dist(None), "CloudFront.2"), "fail");
    assert_eq!(status(&dist(Some("E2OAC")), "CloudFront.2"), "pass");

    // moto does not speak CloudWatch's CBOR protocol.
    let alarm = |actions: i64| {
        with_resource(
            "cloudwatch.billing_alarm",
            serde_json::json!({"name": "estimated-charges", "state": "OK", "threshold": 500.0, "actions": actions}),
        )
    };
    assert_eq!(status(&alarm(1), "EP.Billing.2"), "pass");
    assert_eq!(status(&alarm(0), "EP.Billing.2"), "fail");
}

#[test]
fn bucket_states_moto_cannot_describe() {
    // Notifications and versioning (see harness::settle_bucket).
    let catalog = Catalog::builtin();
    let bucket = |field: &str, value: serde_json::Value| {
        let mut s = example();
        s.errors.retain(|e| !e.resource_types.iter().any(|t| t.starts_with("s3.bucket")));
        let b = s.resources.iter_mut().find(|r| r.kind == "s3.bucket").unwrap();
        b.data["unreadable"] = serde_json::json!([]);
        b.data[field] = value;
        s
    };
    let status = |s: &Snapshot, id: &str| evaluate::evaluate(s, &catalog).get(id).unwrap().status.as_str().to_string();
    assert_eq!(status(&bucket("event_notifications", false.into()), "S3.11"), "fail");
    assert_eq!(status(&bucket("versioning", serde_json::Value::Null), "S3.14"), "fail");
    let versioned = bucket("versioning", "Enabled".into());
    assert_eq!(status(&versioned, "S3.14"), "pass");
    assert_eq!(status(&versioned, "S3.10"), "fail", "versioned without lifecycle rules");
}

/// Each side of the controls the moto fixtures leave uncovered, over
/// snapshots stating the resource.
#[test]
fn remaining_pass_and_fail_cases() {
    let catalog = Catalog::builtin();
    let status = |kind: &str, data: serde_json::Value, id: &str| {
        evaluate::evaluate(&with_resource(kind, data), &catalog).get(id).unwrap().status.as_str().to_string()
    };
    let cluster = |iam: bool| serde_json::json!({"identifier": "c1", "engine": "aurora-mysql", "iam_auth": iam});
    assert_eq!(status("rds.cluster", cluster(true), "RDS.12"), "pass");
    assert_eq!(status("rds.cluster", cluster(false), "RDS.12"), "fail");
    let db = |vpc: Option<&str>| serde_json::json!({"identifier": "db1", "engine": "postgres", "cluster": null, "vpc_id": vpc, "iam_auth": true});
    assert_eq!(status("rds.instance", db(Some("vpc-1")), "RDS.18"), "pass");
    assert_eq!(status("rds.instance", db(None), "RDS.18"), "fail");
    let acl = |rules: i64| serde_json::json!({"name": "edge", "arn": "arn:aws:wafv2:us-east-1:992382705250:regional/webacl/edge/1", "scope": "REGIONAL", "rules": rules});
    assert_eq!(status("wafv2.web_acl", acl(3), "WAF.10"), "pass");
    assert_eq!(status("wafv2.web_acl", acl(0), "WAF.10"), "fail");
    let assoc = |st: &str| serde_json::json!({"resource_id": "i-1", "compliance_type": "Association", "status": st});
    assert_eq!(status("ssm.compliance", assoc("COMPLIANT"), "SSM.3"), "pass");
    assert_eq!(status("ssm.compliance", assoc("NON_COMPLIANT"), "SSM.3"), "fail");
    let monitor = |subs: i64| serde_json::json!({"name": "services", "arn": "arn:aws:ce::992382705250:anomalymonitor/1", "monitor_type": "DIMENSIONAL", "subscriptions": subs});
    assert_eq!(status("ce.anomaly_monitor", monitor(1), "EP.Billing.1"), "pass");
    assert_eq!(status("ce.anomaly_monitor", monitor(0), "EP.Billing.1"), "fail");
    let secret = serde_json::json!({"name": "old", "arn": "arn:aws:secretsmanager:us-east-1:992382705250:secret:old", "kms_key_id": null,
        "rotation_enabled": false, "rotation_days": null, "rotation_schedule": null, "last_rotated": null,
        "last_accessed": "2026-01-05T00:00:00Z", "next_rotation": null, "created": "2025-12-01T00:00:00Z"});
    assert_eq!(status("secretsmanager.secret", secret, "SecretsManager.3"), "fail");
    let vpc_instance =
        serde_json::json!({"instance_id": "i-1", "vpc_id": "vpc-1", "state": "running", "instance_profile": null});
    assert_eq!(status("ec2.instance", vpc_instance, "EC2.29"), "pass");

    // IAM.20 reads the root user's row of the credential report; the
    // example's root row was last used in January 2025.
    let mut s = example();
    s.errors.clear();
    assert_eq!(evaluate::evaluate(&s, &catalog).get("IAM.20").unwrap().status.as_str(), "pass");
    let root = s.resources.iter_mut().find(|r| r.kind == "iam.credential_report" && r.data["is_root"] == true).unwrap();
    root.data["password_last_used"] = "2026-11-20T00:00:00Z".into();
    assert_eq!(evaluate::evaluate(&s, &catalog).get("IAM.20").unwrap().status.as_str(), "fail");

    // S3.4: a bucket without default encryption.
    let mut s = example();
    s.errors.clear();
    let set = |s: &mut Snapshot, v: serde_json::Value| {
        let b = s.resources.iter_mut().find(|r| r.kind == "s3.bucket").unwrap();
        b.data["unreadable"] = serde_json::json!([]);
        b.data["encryption"] = v;
    };
    set(&mut s, serde_json::Value::Null);
    assert_eq!(evaluate::evaluate(&s, &catalog).get("S3.4").unwrap().status.as_str(), "fail");
    set(&mut s, "AES256".into());
    assert_eq!(evaluate::evaluate(&s, &catalog).get("S3.4").unwrap().status.as_str(), "pass");
}

/// Markup an attacker could put in any text that reaches the report.
/// `{}` is replaced by the field's name, so each field can be found again.
const MARKUP: &str = "{} <img src=x onerror=alert(1)><script>alert(2)</script>[link](javascript:alert(3)) \
    ![i](data:text/html,x) <a href=\"data:text/html,y\">a</a> <https://evil.example> *em* _u_ `c` # h &amp; \
    after|pipe\n| fake | row |\n\n<svg onload=alert(4)>";

fn markup(field: &str) -> String {
    MARKUP.replace("{}", field)
}

/// Every tag pulldown-cmark wrote: `<name attr=…>`, lowercased.
fn tags(html: &str) -> Vec<String> {
    html.match_indices('<').map(|(i, _)| html[i..].split_inclusive('>').next().unwrap_or("").to_lowercase()).collect()
}

/// Text from every input field (catalog, snapshot, attestations,
/// exceptions) is text in report.md and report.html: no raw HTML, no
/// script, no event handler, no link but to anchors, web pages and mail.
#[test]
fn markup_in_input_text_is_only_text() {
    // Catalog: a title, a description, an `otherwise`, a section's text, a
    // remediation link, a question and a choice. JSON strings are YAML.
    let q = |field: &str| serde_json::to_string(&markup(field)).unwrap();
    let mut yaml = Catalog::builtin().source;
    for (from, to) in [
        ("title: Prevention of Public Access of Cloud Resources", format!("title: {}", q("catalog-title"))),
        ("description: Foundational control SO 1.", format!("description: {}", q("catalog-description"))),
        ("otherwise: the root user has an access key", format!("otherwise: {}", q("catalog-otherwise"))),
        ("text: The root user has MFA and no access keys.", format!("text: {}", q("catalog-section"))),
        (
            "url: https://docs.aws.amazon.com/securityhub/latest/userguide/iam-controls.html#iam-4",
            "url: \"javascript:alert(5)\"".to_string(),
        ),
        (
            "question: Are the account's primary contact and its alternate contacts (billing, operations, security) accurate?",
            format!("question: {}", q("catalog-question")),
        ),
        (
            "title: The primary contact (email and phone) is current and monitored.",
            format!("title: {}", q("catalog-choice")),
        ),
    ] {
        assert_eq!(yaml.matches(from).count(), 1, "{from}");
        yaml = yaml.replace(from, &to);
    }
    let catalog = Catalog::parse("controls.yaml", &yaml).unwrap();

    // Snapshot: resource names, and a collection error's message.
    let mut s = with_summary("root_access_keys_present", true.into());
    for (i, r) in s.resources.iter_mut().filter(|r| r.kind == "iam.user" || r.kind == "iam.group").enumerate() {
        r.data["name"] = markup(&format!("resource-name-{i}")).into();
    }
    if let Some(e) = s.errors.first_mut() {
        e.message = markup("error-message");
    }

    let attestations = evaluate::Attestations::parse(
        "attestations.yaml",
        &format!(
            "attestations:\n  - control: SO1.Q1\n    answer: [so_1_1_primary]\n    by: {}\n    date: 2026-11-20\n    note: {}\n",
            q("attestation-by"),
            q("attestation-note")
        ),
    )
    .unwrap();
    let exceptions = evaluate::Exceptions::parse(
        "exceptions.yaml",
        &format!(
            "exceptions:\n  - control: IAM.4\n    resources: ['*']\n    justification: {}\n    approver: {}\n    expires: 2099-01-01\n",
            q("exception-justification"),
            q("exception-approver")
        ),
    )
    .unwrap();
    let inputs = evaluate::Inputs { attestations, exceptions };

    let results = evaluate::evaluate_with(&s, &catalog, &inputs);
    let report = render::build(&s, "x", &catalog, &results);
    let md = render::markdown(&report).unwrap();
    let html = render::html(&md, &report.title);

    // report.md: no raw HTML anywhere, as GitHub or any renderer parses it.
    use pulldown_cmark::{Event, Options, Parser, Tag};
    for e in Parser::new_ext(&md, Options::ENABLE_TABLES) {
        match e {
            Event::Html(t) | Event::InlineHtml(t) => panic!("raw HTML in report.md: {t}"),
            Event::Start(Tag::Image { dest_url, .. }) => panic!("image in report.md: {dest_url}"),
            Event::Start(Tag::Link { dest_url, .. }) => {
                assert!(
                    dest_url.starts_with('#') || dest_url.starts_with("https://"),
                    "link to {dest_url} in report.md"
                )
            }
            _ => {}
        }
    }

    // report.html: scripts are forbidden, and nothing from input is markup.
    assert!(
        html.contains(&format!("<meta http-equiv=\"Content-Security-Policy\" content=\"{}\">", render::CSP)),
        "CSP meta tag"
    );
    assert!(render::CSP.starts_with("default-src 'none';") && !render::CSP.contains("script-src"));
    for tag in tags(&html) {
        assert!(!tag.starts_with("<script") && !tag.starts_with("<img") && !tag.starts_with("<svg"), "{tag}");
        assert!(
            !tag.starts_with("<a ") || tag.starts_with("<a href=\"#") || tag.starts_with("<a href=\"https://"),
            "{tag}"
        );
        for attr in tag.split_whitespace().skip(1) {
            assert!(!attr.starts_with("on"), "event handler in {tag}");
            assert!(!attr.contains("javascript:") && !attr.contains("data:"), "{tag}");
        }
    }
    // Every field is shown, as the characters it holds; inline fields on
    // their own table row or paragraph (a `|` or a line break did not split
    // them). Catalog prose keeps its paragraphs and `code` spans.
    let prose = ["catalog-description", "catalog-section", "catalog-question"];
    let inline = [
        "catalog-title",
        "catalog-otherwise",
        "catalog-choice",
        "resource-name-0",
        "attestation-by",
        "attestation-note",
        "exception-justification",
        "exception-approver",
    ];
    for field in prose.iter().chain(&inline) {
        let mut shown = format!(
            "{field} &lt;img src=x onerror=alert(1)&gt;&lt;script&gt;alert(2)&lt;/script&gt;[link](javascript:alert(3)) \
             ![i](data:text/html,x) &lt;a href=\"data:text/html,y\"&gt;a&lt;/a&gt; &lt;https://evil.example&gt; \
             *em* _u_ "
        );
        if inline.contains(field) {
            shown.push_str("`c` # h &amp;amp; after|pipe | fake | row |  &lt;svg onload=alert(4)&gt;");
        } else {
            shown.push_str(
                "<code>c</code> # h &amp;amp; after|pipe\n| fake | row |</p>\n<p>&lt;svg onload=alert(4)&gt;",
            );
        }
        let at = html.find(*field).unwrap_or(0);
        assert!(
            html.contains(&shown),
            "{field} not shown as text:\n{}",
            html[at..].chars().take(600).collect::<String>()
        );
    }
    assert!(!html.contains("<td>fake</td>"), "a line break in a cell started a new row");
    assert!(!html.contains("alert(5)"), "a javascript: remediation link is dropped");
}
