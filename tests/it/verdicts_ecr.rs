//! ECR.1 against AWS's definition: "The control fails if the private ECR
//! repository isn't configured for scan on push or continuous scanning"
//! (https://docs.aws.amazon.com/securityhub/latest/userguide/ecr-controls.html#ecr-1).
//! The collector records the registry's scanning rules as they stand; the
//! catalog decides which repositories they cover, with ECR's own filter
//! rules. The whole path runs: moto seeded through the SDK, `run` with a
//! catalog holding only the built-in ECR.1, results.json read from the pack.

use std::collections::BTreeSet;

use aws_sdk_ecr::types::{
    ImageScanningConfiguration, RegistryScanningRule, ScanFrequency, ScanType, ScanningRepositoryFilter,
    ScanningRepositoryFilterType,
};

use crate::harness::{Moto, entry, keypair, run, stated};

/// The built-in catalog's ECR.1, on its own, so that `run` reads only ECR.
fn ecr1_catalog() -> String {
    let builtin = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/controls.yaml")).unwrap();
    let start = builtin.find("\n  - id: ECR.1\n").expect("ECR.1 in controls.yaml");
    let rest = &builtin[start + 1..];
    let end = rest[1..].find("\n  - id: ").map_or(rest.len(), |i| i + 1);
    format!("version: 1\nname: ecr\ncontrols:\n{}\n", &rest[..end])
}

fn rule(frequency: ScanFrequency, filters: &[&str]) -> RegistryScanningRule {
    let mut b = RegistryScanningRule::builder().scan_frequency(frequency);
    for f in filters {
        b = b.repository_filters(
            ScanningRepositoryFilter::builder()
                .filter(*f)
                .filter_type(ScanningRepositoryFilterType::Wildcard)
                .build()
                .unwrap(),
        );
    }
    b.build().unwrap()
}

async fn repository(ecr: &aws_sdk_ecr::Client, name: &str, scan_on_push: bool) {
    ecr.create_repository()
        .repository_name(name)
        .image_scanning_configuration(ImageScanningConfiguration::builder().scan_on_push(scan_on_push).build())
        .send()
        .await
        .unwrap();
}

/// ECR.1's status and the names of its failing repositories.
fn ecr1(moto: &Moto) -> (String, BTreeSet<String>, serde_json::Value) {
    let dir = tempfile::tempdir().unwrap();
    let catalog = dir.path().join("controls.yaml");
    std::fs::write(&catalog, ecr1_catalog()).unwrap();
    let (key, _) = keypair(dir.path());
    let zip = dir.path().join("pack.zip");
    run(moto
        .cmd()
        .args(["run", "--quiet", "--regions", "us-east-1", "--controls"])
        .arg(&catalog)
        .arg("--key")
        .arg(&key)
        .arg("-o")
        .arg(&zip));
    let results: serde_json::Value = serde_json::from_slice(&entry(&zip, "results.json")).unwrap();
    let c = results["controls"].as_array().unwrap().iter().find(|c| c["id"] == "ECR.1").unwrap().clone();
    let failing = c["failing"].as_array().unwrap().iter().map(|f| f["name"].as_str().unwrap().to_string()).collect();
    (c["status"].as_str().unwrap().to_string(), failing, c)
}

/// Basic scanning. Before, a `*` filter counted whatever the rule's frequency
/// (a MANUAL rule passed every repository: false pass), and a filter without
/// a wildcard had to equal the name, where ECR matches every name containing
/// it (false fail).
#[tokio::test(flavor = "multi_thread")]
async fn basic_scanning_rules_count_by_frequency_and_ecr_filter_rules() {
    let moto = Moto::start();
    let cfg = moto.config().await;
    let ecr = aws_sdk_ecr::Client::new(&cfg);
    ecr.put_registry_scanning_configuration()
        .scan_type(ScanType::Basic)
        .rules(rule(ScanFrequency::ScanOnPush, &["prod*", "svc"]))
        .rules(rule(ScanFrequency::Manual, &["*"]))
        .send()
        .await
        .unwrap();
    repository(&ecr, "prod-api", false).await; // a wildcard rule on push: pass
    repository(&ecr, "team/svc-a", false).await; // "svc" is contained: pass
    repository(&ecr, "legacy", true).await; // its own scan on push, under basic scanning: pass
    repository(&ecr, "manual/app", false).await; // only the MANUAL rule matches: fail
    repository(&ecr, "api-prod", false).await; // "prod*" does not match, nothing else on push: fail

    let (status, failing, c) = ecr1(&moto);
    assert_eq!(status, "fail", "{c:#}");
    assert_eq!(failing, BTreeSet::from(["manual/app".to_string(), "api-prod".to_string()]), "{c:#}");
    assert_eq!(c["evaluated"], 5, "{c:#}");
}

/// Enhanced scanning: "any repositories not matching an enhanced scanning
/// filter will have scanning disabled", whatever their own scan-on-push
/// setting says (that setting counted before: false pass).
#[tokio::test(flavor = "multi_thread")]
async fn enhanced_scanning_counts_only_its_rules() {
    let moto = Moto::start();
    let cfg = moto.config().await;
    let ecr = aws_sdk_ecr::Client::new(&cfg);
    ecr.put_registry_scanning_configuration()
        .scan_type(ScanType::Enhanced)
        .rules(rule(ScanFrequency::ContinuousScan, &["*prod"]))
        .send()
        .await
        .unwrap();
    repository(&ecr, "repo-prod", false).await;
    repository(&ecr, "legacy", true).await;

    let (status, failing, c) = ecr1(&moto);
    assert_eq!(status, "fail", "{c:#}");
    assert_eq!(failing, BTreeSet::from(["legacy".to_string()]), "{c:#}");

    // With the rule matching both, both pass.
    ecr.put_registry_scanning_configuration()
        .scan_type(ScanType::Enhanced)
        .rules(rule(ScanFrequency::ContinuousScan, &["*"]))
        .send()
        .await
        .unwrap();
    let (status, failing, c) = ecr1(&moto);
    assert_eq!((status.as_str(), failing.len()), ("pass", 0), "{c:#}");
}

/// An unreadable registry configuration leaves ECR.1 `error`, naming the
/// repository, even for repositories with scan on push: under enhanced
/// scanning their own setting would not count, so nothing can be said.
/// Before, the collector wrote `registry_scanning: false`, and a repository
/// without scan on push failed on evidence nobody had read (false fail).
/// A stated snapshot: moto cannot deny one ECR call and answer the other
/// (the collector's own unit test covers the denial as AWS sends it).
#[test]
fn an_unreadable_registry_configuration_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let account = "111122223333";
    let repo = |name: &str, scan_on_push: bool| {
        let arn = format!("arn:aws:ecr:us-east-1:{account}:repository/{name}");
        let data = serde_json::json!({"name": name, "arn": arn, "scan_on_push": scan_on_push, "registry_scan": null});
        stated("ecr.repository", &arn, "ecr:DescribeRepositories", "2026-11-20T10:00:00Z", data)
    };
    let snapshot = serde_json::json!({
        "schema_version": 1,
        "tool": {"name": "evidence-pack", "version": "0.1.0"},
        "collected_at": {"started": "2026-11-20T10:00:00Z", "finished": "2026-11-20T10:00:05Z"},
        "accounts": [{
            "account_id": account,
            "alias": null,
            "collector_arn": format!("arn:aws:sts::{account}:assumed-role/auditor/s"),
            "regions": ["us-east-1"]
        }],
        "resources": [repo("app", false), repo("web", true)],
        "errors": [{
            "account": account,
            "region": "us-east-1",
            "operation": "ecr:GetRegistryScanningConfiguration",
            "code": "AccessDeniedException",
            "message": "not authorized to perform: ecr:GetRegistryScanningConfiguration",
            "resource_types": ["ecr.repository"],
            "collected_at": "2026-11-20T10:00:01Z"
        }]
    });
    let path = dir.path().join("snapshot.json");
    std::fs::write(&path, serde_json::to_vec_pretty(&snapshot).unwrap()).unwrap();
    let catalog = dir.path().join("controls.yaml");
    std::fs::write(&catalog, ecr1_catalog()).unwrap();
    let out = run(std::process::Command::new(crate::harness::BIN)
        .args(["evaluate", "--json", "--controls"])
        .arg(&catalog)
        .arg(&path));
    let results: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let c = &results["controls"][0];
    assert_eq!(c["id"], "ECR.1");
    assert_eq!(c["status"], "error", "{c:#}");
    assert_eq!(c["failing"].as_array().map_or(0, Vec::len), 0, "{c:#}");
    assert_eq!(c["evidence_errors"][0]["code"], "AccessDeniedException", "{c:#}");
    let reason = c["reason"].as_str().unwrap();
    assert!(reason.contains("app") && reason.contains("web"), "{reason}");
}
