//! `results.oscal.json` against NIST's OSCAL v1.2.1 Assessment Results
//! schema (vendored in tests/it/schemas), the exceptions register and
//! `--warn-expiring`, and stale attestations, through the real binary.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::harness::{BIN, Moto, REGION, control, entry, keypair, member_config, open_ssh, organisation, run};

const EXAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/snapshot.json");
const SCHEMA: &str = include_str!("schemas/oscal_assessment-results_schema.json");

/// Every violation of NIST's schema, each with the path of the field it is
/// about, formats (date-time, URI) checked too.
fn violations(doc: &Value) -> Vec<String> {
    let schema: Value = serde_json::from_str(SCHEMA).unwrap();
    let validator = jsonschema::draft7::options().should_validate_formats(true).build(&schema).unwrap();
    validator.iter_errors(doc).map(|e| format!("at {}: {e}", e.instance_path())).collect()
}

fn assert_valid(doc: &Value, what: &str) {
    let v = violations(doc);
    assert!(
        v.is_empty(),
        "{what}: results.oscal.json breaks the OSCAL schema in {} places:\n{}",
        v.len(),
        v.join("\n")
    );
}

fn oscal(zip: &Path) -> Value {
    serde_json::from_slice(&entry(zip, "results.oscal.json")).unwrap()
}

fn result(doc: &Value) -> &Value {
    let results = doc["assessment-results"]["results"].as_array().unwrap();
    assert_eq!(results.len(), 1, "one result for the run");
    &results[0]
}

fn prop<'a>(v: &'a Value, name: &str) -> Vec<&'a str> {
    v["props"]
        .as_array()
        .map(|ps| ps.iter().filter(|p| p["name"] == name).map(|p| p["value"].as_str().unwrap()).collect())
        .unwrap_or_default()
}

fn finding<'a>(doc: &'a Value, id: &str) -> &'a Value {
    result(doc)["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| prop(f, "control-id") == [id])
        .unwrap_or_else(|| panic!("no finding for {id}"))
}

/// A test that the validation fails on a violation, naming the field: a
/// checker that passed everything would make the other tests worthless.
#[test]
fn the_schema_check_names_the_violating_field() {
    let dir = tempfile::tempdir().unwrap();
    let zip = dir.path().join("demo.zip");
    run(Command::new(BIN).args(["demo", "--quiet", "-o"]).arg(&zip));
    let mut doc = oscal(&zip);
    assert_valid(&doc, "demo");
    doc["assessment-results"]["results"][0]["findings"][0]["target"]["status"]["state"] = "passed".into();
    doc["assessment-results"]["metadata"]["last-modified"] = "yesterday".into();
    doc["assessment-results"]["results"][0]["findings"][1]["target"]["target-id"] = "1 bad".into();
    let v = violations(&doc).join("\n");
    for path in [
        "/assessment-results/results/0/findings/0/target/status/state",
        "/assessment-results/metadata/last-modified",
        "/assessment-results/results/0/findings/1/target/target-id",
    ] {
        assert!(v.contains(&format!("at {path}:")), "{path} not named in:\n{v}");
    }
}

/// The demo pack's document: valid, one finding per control with the
/// documented status mapping, one observation per resource and failed call
/// with its provenance, unique ids, and the same bytes from two runs (the
/// demo signs with a new key each time; the document does not depend on it).
#[test]
fn the_demo_pack_has_valid_reproducible_oscal() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a.zip"), dir.path().join("b.zip"));
    for zip in [&a, &b] {
        let out = run(Command::new(BIN).args(["demo", "--quiet", "-o"]).arg(zip));
        assert_eq!(out.status.code(), Some(0));
    }
    assert_eq!(entry(&a, "results.oscal.json"), entry(&b, "results.oscal.json"), "UUIDs and times come from content");
    let doc = oscal(&a);
    assert_valid(&doc, "demo");
    let ar = &doc["assessment-results"];
    assert_eq!(ar["metadata"]["oscal-version"], "1.2.1");
    let snapshot: Value = serde_json::from_slice(&entry(&a, "snapshot.json")).unwrap();
    let results: Value = serde_json::from_slice(&entry(&a, "results.json")).unwrap();
    assert_eq!(ar["metadata"]["last-modified"], snapshot["collected_at"]["finished"]);
    let r = result(&doc);
    assert_eq!(r["start"], snapshot["collected_at"]["started"]);

    let resources = snapshot["resources"].as_array().unwrap();
    let errors = snapshot["errors"].as_array().unwrap();
    let observations = r["observations"].as_array().unwrap();
    assert_eq!(observations.len(), resources.len() + errors.len(), "one per resource and per failed call");
    for (o, res) in observations.iter().zip(resources) {
        assert_eq!(prop(o, "resource-id"), [res["id"].as_str().unwrap()]);
        assert_eq!(prop(o, "operation"), [res["source"]["operation"].as_str().unwrap()]);
        assert_eq!(prop(o, "account"), [res["account"].as_str().unwrap()]);
        assert_eq!(prop(o, "region"), [res["region"].as_str().unwrap()]);
        assert_eq!(o["collected"], res["source"]["collected_at"]);
    }

    let controls = results["controls"].as_array().unwrap();
    let findings = r["findings"].as_array().unwrap();
    assert_eq!(findings.len(), controls.len(), "one finding per control");
    let observed: BTreeSet<&str> = observations.iter().map(|o| o["uuid"].as_str().unwrap()).collect();
    for (f, c) in findings.iter().zip(controls) {
        let status = c["status"].as_str().unwrap();
        assert_eq!(prop(f, "status"), [status]);
        let expected = match status {
            "pass" | "not_applicable" => "satisfied",
            _ => "not-satisfied",
        };
        assert_eq!(f["target"]["status"]["state"], expected, "{f:#}");
        for link in f["related-observations"].as_array().into_iter().flatten() {
            assert!(observed.contains(link["observation-uuid"].as_str().unwrap()), "{f:#}");
        }
    }
    // A failing check links the resources it judged, among them each it failed.
    let ec2 = finding(&doc, "EC2.14");
    assert_eq!(ec2["target"]["status"]["reason"], "fail");
    let linked: BTreeSet<&str> = ec2["related-observations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["observation-uuid"].as_str().unwrap())
        .collect();
    for failing in control(&results, "EC2.14")["failing"].as_array().unwrap() {
        let o = observations.iter().find(|o| prop(o, "resource-id") == [failing["id"].as_str().unwrap()]).unwrap();
        assert!(linked.contains(o["uuid"].as_str().unwrap()), "EC2.14 links {failing}");
    }

    let mut ids = Vec::new();
    collect_uuids(&doc, &mut ids);
    let unique: BTreeSet<&String> = ids.iter().collect();
    assert_eq!(unique.len(), ids.len(), "every uuid is unique");

    // Listed, hashed and signed with the rest.
    let sums = String::from_utf8(entry(&a, "SHA256SUMS")).unwrap();
    assert!(sums.contains("  results.oscal.json\n"), "{sums}");
    let public = a.with_extension("pub");
    let out = run(Command::new(BIN).arg("verify").arg(&a).arg("--public-key").arg(&public));
    assert_eq!(out.status.code(), Some(0));
}

/// The `uuid` of every object (not the references to them).
fn collect_uuids(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                match x {
                    Value::String(s) if k == "uuid" => out.push(s.clone()),
                    _ => collect_uuids(x, out),
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|x| collect_uuids(x, out)),
        _ => {}
    }
}

/// Attestations (one fresh, one two years old), exceptions (one expiring
/// within the warning window, one matching nothing, one expired), and
/// names no schema expects (line breaks, bidi overrides, Markdown): the
/// document stays valid, answers are observations by their author,
/// exceptions are risks with their deadline, and the report and stderr
/// carry the register and the warnings.
#[test]
fn inputs_become_observations_and_risks_and_the_register() {
    let dir = tempfile::tempdir().unwrap();
    let attestations = dir.path().join("attestations.yaml");
    std::fs::write(
        &attestations,
        "attestations:
  - {control: SO1.Q1, answer: [so_1_1_primary, so_1_1_alternate], by: \"Ana Ruiz\\n\\u202eevil\", date: 2026-11-20, note: \"[click](javascript:x)\"}
  - {control: SO8.Q1, answer: [so_8_1_anomaly, so_8_1_alarm], by: Bo Chen, date: 2024-10-01}
",
    )
    .unwrap();
    let exceptions = dir.path().join("exceptions.yaml");
    std::fs::write(
        &exceptions,
        "exceptions:
  - {control: EC2.14, resources: ['*legacy-rdp*'], justification: \"Vendor appliance\\nneeds RDP\", approver: CISO, expires: 2026-12-10}
  - {control: IAM.2, resources: ['*'], justification: Nothing fails here, approver: CTO, expires: 9999-12-31}
  - {control: EC2.14, resources: ['*legacy-rdp*'], justification: The old one, approver: CISO, expires: 2025-01-31}
",
    )
    .unwrap();
    let (key, _) = keypair(dir.path());
    let pack = |zip: &Path, extra: &[&str]| {
        run(Command::new(BIN)
            .args(["pack", EXAMPLE, "--attestations"])
            .arg(&attestations)
            .arg("--exceptions")
            .arg(&exceptions)
            .arg("--key")
            .arg(&key)
            .arg("-o")
            .arg(zip)
            .args(extra))
    };
    let zip = dir.path().join("pack.zip");
    let out = pack(&zip, &["--quiet"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    // The example snapshot was taken on 2026-11-22.
    assert!(
        stderr.contains("exceptions.yaml:2:15: the exception for EC2.14 approved by CISO expires on 2026-12-10 (18 days after the snapshot), within 30 days"),
        "{stderr}"
    );
    assert!(stderr.contains("exceptions.yaml:3:15: the exception for IAM.2 matches nothing"), "{stderr}");

    let doc = oscal(&zip);
    assert_valid(&doc, "pack with inputs");
    let r = result(&doc);
    let parties = doc["assessment-results"]["metadata"]["parties"].as_array().unwrap();
    let party = |name: &str| {
        parties.iter().find(|p| p["name"] == name).unwrap_or_else(|| panic!("no party {name}: {parties:#?}"))["uuid"]
            .as_str()
            .unwrap()
    };
    let observations = r["observations"].as_array().unwrap();
    let answer = |id: &str| observations.iter().find(|o| prop(o, "control-id") == [id]).unwrap();
    let fresh = answer("SO1.Q1");
    assert_eq!(fresh["methods"][0], "INTERVIEW");
    assert_eq!(fresh["origins"][0]["actors"][0]["type"], "party");
    assert_eq!(fresh["origins"][0]["actors"][0]["actor-uuid"], party("Ana Ruiz \\u{202e}evil"));
    assert_eq!(prop(fresh, "author"), ["Ana Ruiz \\u{202e}evil"]);
    assert_eq!(prop(fresh, "stale"), ["false"]);
    assert!(!fresh["description"].as_str().unwrap().contains("[click]("), "Markdown from input is escaped");
    let stale = answer("SO8.Q1");
    assert_eq!(prop(stale, "stale"), ["true"]);
    assert_eq!(stale["collected"], "2024-10-01T00:00:00Z");
    assert_eq!(finding(&doc, "SO1.Q1")["target"]["status"]["state"], "satisfied");
    assert_eq!(finding(&doc, "SO8.Q1")["target"]["status"]["state"], "not-satisfied");
    let so8_links = finding(&doc, "SO8.Q1")["related-observations"].as_array().unwrap();
    assert!(so8_links.iter().any(|l| l["observation-uuid"] == stale["uuid"]), "the answer is linked");

    let risks = r["risks"].as_array().unwrap();
    assert_eq!(risks.len(), 3);
    assert_eq!(risks[0]["status"], "deviation-approved");
    assert_eq!(risks[0]["deadline"], "2026-12-10T23:59:59Z");
    assert_eq!(risks[0]["origins"][0]["actors"][0]["actor-uuid"], party("CISO"));
    assert!(!risks[0]["related-observations"].as_array().unwrap().is_empty(), "{:#}", risks[0]);
    assert!(risks[1].get("deadline").is_none(), "year 9999 is past what OSCAL's date-time allows: left out");
    assert_eq!(prop(&risks[1], "expires"), ["9999-12-31"]);
    assert_eq!(prop(&risks[1], "matched"), ["0"]);
    assert_eq!(risks[2]["status"], "open", "a lapsed exception leaves the risk open");
    let ec2 = finding(&doc, "EC2.14");
    assert_eq!(ec2["target"]["status"]["state"], "not-satisfied");
    let linked: Vec<&Value> = ec2["related-risks"].as_array().unwrap().iter().map(|l| &l["risk-uuid"]).collect();
    assert_eq!(linked, [&risks[0]["uuid"], &risks[2]["uuid"]]);

    let results: Value = serde_json::from_slice(&entry(&zip, "results.json")).unwrap();
    let so8 = control(&results, "SO8.Q1");
    assert_eq!(so8["status"], "manual", "a two-year-old answer does not count: {so8:#}");
    assert!(so8["reason"].as_str().unwrap().starts_with("Stale: answered by Bo Chen on 2024-10-01"), "{so8:#}");

    let md = String::from_utf8(entry(&zip, "report.md")).unwrap();
    assert!(md.contains("**Exceptions expiring within 30 days** of the snapshot"), "{md}");
    assert!(md.contains("EC2.14 (no. 1, approved by CISO, until 2026-12-10)"), "{md}");
    assert!(md.contains("**⚠️ Exceptions that matched nothing:** 1 of 3"), "{md}");
    let register = &md[md.find("## Appendix: exceptions register").expect("a register appendix")..];
    let rows: Vec<&str> = register.lines().filter(|l| l.starts_with("| ") && !l.starts_with("| No.")).take(3).collect();
    assert_eq!(rows.len(), 3, "{register}");
    assert!(
        rows[0].starts_with("| 1 | EC2.14 |")
            && rows[0].contains("expires in 18 days")
            && rows[0].contains("legacy-rdp"),
        "{}",
        rows[0]
    );
    assert!(rows[1].contains("⚠️ nothing: the control does not fail (its status is pass)"), "{}", rows[1]);
    assert!(rows[2].contains("| expired |") && rows[2].contains("legacy-rdp"), "{}", rows[2]);
    let html = String::from_utf8(entry(&zip, "report.html")).unwrap();
    assert!(html.contains("Appendix: exceptions register"));

    // A shorter window: nothing expires within 5 days, so no warning.
    let short = dir.path().join("short.zip");
    let out = pack(&short, &["--warn-expiring", "5"]);
    assert!(!String::from_utf8_lossy(&out.stderr).contains("expires on 2026-12-10"));
    let md = String::from_utf8(entry(&short, "report.md")).unwrap();
    assert!(!md.contains("Exceptions expiring within"), "{md}");
    assert_eq!(entry(&short, "results.oscal.json"), entry(&zip, "results.oscal.json"));
}

/// An organisation's pack, from moto: the management account and two
/// members read in one `run --org`, one member with SSH open to the world.
/// The document validates and each observation names its own account.
#[tokio::test(flavor = "multi_thread")]
async fn an_organisation_pack_has_valid_oscal() {
    let dir = tempfile::tempdir().unwrap();
    let moto = Moto::start();
    let members = organisation(&moto, 2).await;
    let open = &members[1];
    let cfg = member_config(&moto, open).await;
    open_ssh(&aws_sdk_ec2::Client::new(&cfg), "ssh-anywhere").await;

    let (key, _) = keypair(dir.path());
    let zip = dir.path().join("org.zip");
    run(moto.cmd().args(["run", "--quiet", "--org", "--regions", REGION, "--key"]).arg(&key).arg("-o").arg(&zip));
    let doc = oscal(&zip);
    assert_valid(&doc, "organisation");
    let r = result(&doc);
    let accounts: BTreeSet<&str> = prop(r, "account").into_iter().collect();
    assert_eq!(accounts.len(), 3, "{accounts:?}");
    let observed: BTreeSet<&str> =
        r["observations"].as_array().unwrap().iter().flat_map(|o| prop(o, "account")).collect();
    for m in &members {
        assert!(observed.contains(m.as_str()), "observations of {m}");
    }
    let ec2 = finding(&doc, "EC2.13");
    assert_eq!(ec2["target"]["status"]["state"], "not-satisfied", "{ec2:#}");
    assert!(prop(ec2, "account-status").contains(&format!("{open}: fail").as_str()), "{ec2:#}");
}
