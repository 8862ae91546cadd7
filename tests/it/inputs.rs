//! Attestations, exceptions and the Well-Architected lens export.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::harness::{BIN, control, entry, keypair, run, statuses};

const EXAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/snapshot.json");

fn results(zip: &Path) -> serde_json::Value {
    serde_json::from_slice(&entry(zip, "results.json")).unwrap()
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
    // Markdown escapes the angle brackets, so the address stays text.
    assert!(md.contains("**Attested by** Ana Ruiz \\<ana@example.com\\> on 2026-11-20."), "{md}");
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

/// `run`, but a hang (a FIFO read as evidence) fails the test instead of
/// stalling it.
fn run_within(cmd: &mut Command, limit: Duration) -> Output {
    let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("run evidence-pack");
    let deadline = Instant::now() + limit;
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!("evidence-pack did not finish within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    eprintln!("--- stderr\n{}", String::from_utf8_lossy(&out.stderr));
    out
}

/// `pack` the example with these inputs into `dir/pack.zip`; its stderr, and
/// whether a pack was written.
fn pack_with(dir: &Path, inputs: &[(&str, &Path)]) -> (Output, PathBuf) {
    let key = dir.join("signing_key");
    if !key.exists() {
        keypair(dir);
    }
    let zip = dir.join("pack.zip");
    let mut cmd = Command::new(BIN);
    cmd.args(["pack", EXAMPLE, "--key"]).arg(&key).arg("-o").arg(&zip);
    for (flag, path) in inputs {
        cmd.arg(flag).arg(path);
    }
    (run_within(&mut cmd, Duration::from_secs(60)), zip)
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// An attestations file in `dir` answering SO1.Q1 with `evidence`, which
/// stands on line 6, column 16.
fn attest_with_evidence(dir: &Path, evidence: &str) -> PathBuf {
    let p = dir.join("attestations.yaml");
    std::fs::write(
        &p,
        format!(
            "attestations:\n  - control: SO1.Q1\n    answer: [so_1_1_primary]\n    by: Ana Ruiz\n    date: 2026-11-20\n    evidence: [{evidence}]\n"
        ),
    )
    .unwrap();
    p
}

fn exceptions(dir: &Path, body: &str) -> PathBuf {
    let p = dir.join("exceptions.yaml");
    std::fs::write(&p, format!("exceptions:\n{body}")).unwrap();
    p
}

#[cfg(unix)]
#[test]
fn evidence_is_read_only_from_regular_files_inside_the_attestations_folder() {
    let dir = tempfile::tempdir().unwrap();
    let inner = dir.path().join("answers");
    std::fs::create_dir(&inner).unwrap();
    std::fs::write(dir.path().join("secret.txt"), "AWS_SECRET_ACCESS_KEY=x").unwrap();
    std::os::unix::fs::symlink(dir.path().join("secret.txt"), inner.join("link.png")).unwrap();
    assert!(Command::new("mkfifo").arg(inner.join("pipe.png")).status().unwrap().success());
    // Sparse: one byte over the cap costs no disk.
    std::fs::File::create(inner.join("huge.png")).unwrap().set_len((25 << 20) + 1).unwrap();
    for (evidence, why) in [
        ("/etc/passwd", "it is absolute"),
        ("/dev/zero", "it is absolute"),
        ("../secret.txt", "it leaves its folder"),
        ("link.png", "symbolic link"),
        ("pipe.png", "it is a FIFO"),
        ("huge.png", "over the limit"),
    ] {
        let attestations = attest_with_evidence(&inner, evidence);
        let (out, zip) = pack_with(dir.path(), &[("--attestations", &attestations)]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{evidence}: {err}");
        assert!(err.contains("attestations.yaml:6:16: evidence ") && err.contains(why), "{evidence}: {err}");
        assert!(!zip.exists(), "{evidence}: no pack is written");
    }
}

#[test]
fn control_ids_cannot_forge_manifest_lines_or_member_paths() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("x.png"), "png").unwrap();
    let forged = "0000000000000000000000000000000000000000000000000000000000000000  report.md";
    for id in [format!("\"SO1.Q1\\n{forged}\""), "../../escaped".to_string(), "SO1.Q1/../..".to_string()] {
        let p = dir.path().join("attestations.yaml");
        std::fs::write(
            &p,
            format!("attestations:\n  - control: {id}\n    answer: [so_1_1_primary]\n    by: Ana\n    date: 2026-11-20\n    evidence: [x.png]\n"),
        )
        .unwrap();
        let (out, zip) = pack_with(dir.path(), &[("--attestations", &p)]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{id}: {err}");
        assert!(err.contains("attestations.yaml:2:14: control id '") && err.contains("is not valid"), "{id}: {err}");
        assert!(!err.contains(&format!("\n{forged}")), "the newline is shown escaped: {err}");
        assert!(!zip.exists(), "{id}: no pack is written");
    }
}

#[test]
fn inputs_for_controls_the_catalog_lacks_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("attestations.yaml");
    std::fs::write(&p, "attestations:\n  - control: SO9.Q1\n    answer: [x]\n    by: Ana\n    date: 2026-11-20\n")
        .unwrap();
    let (out, zip) = pack_with(dir.path(), &[("--attestations", &p)]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("attestations.yaml:2:14: control SO9.Q1 is not in the catalog"), "{err}");
    assert!(err.contains("SO1.Q1"), "the hint lists the manual controls: {err}");
    assert!(!zip.exists());

    let e = exceptions(
        dir.path(),
        "  - control: EC2.99\n    resources: ['*']\n    justification: x\n    approver: CISO\n    expires: 2099-12-31\n",
    );
    let (out, zip) = pack_with(dir.path(), &[("--exceptions", &e)]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("exceptions.yaml:2:14: control EC2.99 is not in the catalog"), "{err}");
    assert!(!zip.exists());
    // `evaluate` checks the same way.
    let out = run(Command::new(BIN).args(["evaluate", EXAMPLE, "--exceptions"]).arg(&e));
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn an_exception_that_matches_nothing_warns_and_the_pack_is_still_written() {
    let dir = tempfile::tempdir().unwrap();
    let e = exceptions(
        dir.path(),
        "  - control: IAM.2\n    resources: ['*']\n    justification: x\n    approver: CISO\n    expires: 2099-12-31\n  - control: EC2.14\n    resources: ['sg-nope*']\n    justification: x\n    approver: CISO\n    expires: 2099-12-31\n",
    );
    let (out, zip) = pack_with(dir.path(), &[("--exceptions", &e)]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(3), "the example fails controls: {err}");
    assert!(zip.exists());
    assert!(
        err.contains("warning: ") && err.contains("exceptions.yaml:2:14: the exception for IAM.2 matches nothing"),
        "{err}"
    );
    assert!(
        err.contains("exceptions.yaml:7:14: the exception for EC2.14 matches nothing") && err.contains("legacy-rdp"),
        "{err}"
    );
}

#[test]
fn a_bad_resource_pattern_is_reported_where_it_stands() {
    let dir = tempfile::tempdir().unwrap();
    let e = exceptions(
        dir.path(),
        "  - control: EC2.14\n    resources: ['ok', '[abc']\n    justification: x\n    approver: CISO\n    expires: 2099-12-31\n",
    );
    let out = run(Command::new(BIN).args(["evaluate", EXAMPLE, "--exceptions"]).arg(&e));
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("exceptions.yaml:3:23: exception for EC2.14: bad resource pattern '[abc'"), "{err}");
}

#[test]
fn an_os_error_is_printed_once() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.yaml");
    for args in [
        vec!["evaluate", EXAMPLE, "--attestations"],
        vec!["evaluate", EXAMPLE, "--exceptions"],
        vec!["evaluate", EXAMPLE, "--controls"],
        vec!["evaluate"],
    ] {
        let out = run(Command::new(BIN).args(&args).arg(&missing));
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert!(err.contains("missing.yaml"), "{args:?}: {err}");
        assert_eq!(err.matches("No such file or directory").count(), 1, "{args:?}: {err}");
    }
}
