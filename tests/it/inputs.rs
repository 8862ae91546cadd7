//! Attestations, exceptions and the Well-Architected lens export.

use std::path::Path;
use std::process::Command;

use crate::harness::{BIN, entry, keypair, run, statuses};

const EXAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/snapshot.json");

fn results(zip: &Path) -> serde_json::Value {
    serde_json::from_slice(&entry(zip, "results.json")).unwrap()
}

fn control<'a>(r: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    r["controls"].as_array().unwrap().iter().find(|c| c["id"] == id).unwrap()
}

#[test]
fn attestations_answer_manual_controls_and_travel_in_the_pack() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("contacts.png"), b"not really a png").unwrap();
    std::fs::write(
        dir.path().join("attestations.yaml"),
        "attestations:\n  - control: SO1.Q1\n    answer: [so_1_1_primary, so_1_1_alternate]\n    by: Ana Ruiz <ana@example.com>\n    date: 2026-11-20\n    note: Checked in the console.\n    evidence: [contacts.png]\n  - control: SO8.Q1\n    answer: [so_8_1_alarm]\n    by: Ana Ruiz\n    date: 2026-11-20\n",
    )
    .unwrap();
    let (key, public) = keypair(dir.path());
    let zip = dir.path().join("pack.zip");
    run(Command::new(BIN)
        .args(["pack", EXAMPLE, "--attestations"])
        .arg(dir.path().join("attestations.yaml"))
        .arg("--key")
        .arg(&key)
        .arg("-o")
        .arg(&zip));
    let r = results(&zip);
    let s = statuses(&r);
    assert_eq!(s["SO1.Q1"], "pass");
    assert_eq!(s["SO8.Q1"], "fail", "one of two answers is medium risk");
    assert_eq!(s["SO3.Q1"], "manual", "unanswered stays manual");
    assert!(r["summary"]["open_attestations"].as_array().unwrap().iter().any(|x| x == "SO3.Q1"));
    assert!(control(&r, "SO1.Q1")["reason"].as_str().unwrap().contains("Ana Ruiz"));
    let sums = String::from_utf8(entry(&zip, "SHA256SUMS")).unwrap();
    assert!(sums.contains("  attestations/SO1.Q1/contacts.png\n") && sums.contains("  attestations.yaml\n"), "{sums}");
    let out = run(Command::new(BIN).arg("verify").arg(&zip).arg("--public-key").arg(&public));
    assert_eq!(out.status.code(), Some(0));
    let md = String::from_utf8(entry(&zip, "report.md")).unwrap();
    assert!(md.contains("**Attested by** Ana Ruiz <ana@example.com> on 2026-11-20."));
}

#[test]
fn exceptions_turn_failures_into_excepted_until_they_expire() {
    let dir = tempfile::tempdir().unwrap();
    let write = |expires: &str| {
        let p = dir.path().join(format!("exceptions-{expires}.yaml"));
        std::fs::write(
            &p,
            format!("exceptions:\n  - control: EC2.14\n    resources: ['*legacy-rdp*']\n    justification: Vendor appliance needs RDP until migration.\n    approver: CISO\n    expires: {expires}\n"),
        )
        .unwrap();
        p
    };
    let eval = |p: &Path| {
        let out = run(Command::new(BIN).args(["evaluate", EXAMPLE, "--json", "--exceptions"]).arg(p));
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()
    };
    let active = eval(&write("2099-12-31"));
    let c = control(&active, "EC2.14");
    assert_eq!(c["status"], "excepted");
    assert!(c["reason"].as_str().unwrap().contains("Vendor appliance"), "{c}");
    assert_eq!(active["summary"]["excepted"], 1);

    let expired = eval(&write("2020-01-31"));
    let c = control(&expired, "EC2.14");
    assert_eq!(c["status"], "fail");
    assert!(c["reason"].as_str().unwrap().contains("expired on 2020-01-31"), "{c}");
}

#[test]
fn lens_export_follows_the_well_architected_format() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(Command::new(BIN).current_dir(dir.path()).args(["lens", "-o", "lens.json"]));
    assert_eq!(out.status.code(), Some(0));
    let lens: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("lens.json")).unwrap()).unwrap();
    assert_eq!(lens["schemaVersion"], "2021-11-01");
    let pillars = lens["pillars"].as_array().unwrap();
    let so3 = pillars.iter().find(|p| p["id"] == "so3").expect("an SO 3 pillar");
    let q = &so3["questions"][0];
    assert_eq!(q["id"], "so3_q1");
    assert_eq!(q["title"], "Are access keys for the root user in use?");
    assert_eq!(q["choices"][0]["id"], "so_3_1_1");
    assert_eq!(
        q["choices"][0]["improvementPlan"]["displayText"],
        "Remove all access keys associated with the root user."
    );
    assert_eq!(q["riskRules"][1], serde_json::json!({"condition": "default", "risk": "HIGH_RISK"}));
}

#[test]
fn bad_attestations_file_names_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("attestations.yaml");
    std::fs::write(&p, "attestations:\n  - control: SO1.Q1\n    anwser: [x]\n").unwrap();
    let out = run(Command::new(BIN).args(["evaluate", EXAMPLE, "--attestations"]).arg(&p));
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("attestations.yaml:3:") && err.contains("anwser"), "{err}");
}
