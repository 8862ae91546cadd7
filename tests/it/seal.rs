//! Packs as an auditor receives them: checked with unzip, sha256sum and
//! ssh-keygen, reproducible, and rejected when tampered with.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::harness::{BIN, keypair, rewrite, run};

const EXAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/snapshot.json");

fn pack(dir: &Path, key: &Path, name: &str) -> PathBuf {
    let zip = dir.join(name);
    let out = run(Command::new(BIN).args(["pack", EXAMPLE, "--key"]).arg(key).arg("-o").arg(&zip));
    assert_eq!(out.status.code(), Some(3), "the example account fails controls");
    zip
}

#[test]
fn same_inputs_give_the_same_zip_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let (key, _) = keypair(dir.path());
    let a = std::fs::read(pack(dir.path(), &key, "a.zip")).unwrap();
    let b = std::fs::read(pack(dir.path(), &key, "b.zip")).unwrap();
    assert!(a == b, "two packs of the same snapshot, catalog and key differ");
}

#[test]
fn auditor_checks_with_standard_tools() {
    let dir = tempfile::tempdir().unwrap();
    let (key, public) = keypair(dir.path());
    let zip = pack(dir.path(), &key, "pack.zip");
    let x = dir.path().join("x");
    let sh = |script: &str| {
        let out = Command::new("bash").arg("-ec").arg(script).current_dir(dir.path()).output().unwrap();
        assert!(
            out.status.success(),
            "{script}\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).to_string()
    };
    sh(&format!("unzip -q {} -d {}", zip.display(), x.display()));
    let checked = sh(&format!("cd {} && sha256sum -c SHA256SUMS", x.display()));
    for f in ["controls.yaml", "report.md", "results.json", "snapshot.json"] {
        assert!(checked.contains(&format!("{f}: OK")), "{checked}");
    }
    sh(&format!(
        "cd {x} && echo \"evidence-pack $(cat {p})\" > allowed_signers && ssh-keygen -Y verify -n evidence-pack -f allowed_signers -I evidence-pack -s SHA256SUMS.sig < SHA256SUMS",
        x = x.display(),
        p = public.display()
    ));
    let out = run(Command::new(BIN).arg("verify").arg(&zip).arg("--public-key").arg(&public));
    assert_eq!(out.status.code(), Some(0));
}

/// How a test rewrites one entry: new bytes, or `None` to drop it.
type Change = Box<dyn Fn(&str, Vec<u8>) -> Option<Vec<u8>>>;
/// What a case is called, its change, an entry it adds, and the name the
/// failure must mention.
type Case<'a> = (&'a str, Change, Option<(&'a str, &'a [u8])>, &'a str);

#[test]
fn tampered_packs_fail_verify_and_name_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let (key, public) = keypair(dir.path());
    let zip = pack(dir.path(), &key, "pack.zip");
    let verify = |p: &Path| {
        let out = run(Command::new(BIN).arg("verify").arg(p).arg("--public-key").arg(&public));
        (out.status.code(), String::from_utf8_lossy(&out.stderr).to_string())
    };

    let cases: Vec<Case> = vec![
        (
            "edited results",
            Box::new(|n, b| {
                Some(if n == "results.json" {
                    String::from_utf8(b).unwrap().replace("\"fail\"", "\"pass\"").into_bytes()
                } else {
                    b
                })
            }),
            None,
            "results.json",
        ),
        ("removed report", Box::new(|n, b| (n != "report.md").then_some(b)), None, "report.md"),
        ("extra file", Box::new(|_, b| Some(b)), Some(("extra.txt", b"hello")), "extra.txt"),
        (
            "edited manifest",
            Box::new(|n, b| {
                Some(if n == "SHA256SUMS" {
                    [b, b"0000000000000000000000000000000000000000000000000000000000000000  x\n".to_vec()].concat()
                } else {
                    b
                })
            }),
            None,
            "SHA256SUMS",
        ),
        ("unsafe path", Box::new(|_, b| Some(b)), Some(("../evil", b"x")), "../evil"),
    ];
    for (what, change, add, named) in cases {
        let bad = dir.path().join("bad.zip");
        rewrite(&zip, &bad, change, add);
        let (code, err) = verify(&bad);
        assert_eq!(code, Some(5), "{what}: {err}");
        assert!(err.contains(named), "{what}: message does not name {named}: {err}");
    }

    // Signed by someone else.
    let other = tempfile::tempdir().unwrap();
    let (_, other_pub) = keypair(other.path());
    let out = run(Command::new(BIN).arg("verify").arg(&zip).arg("--public-key").arg(&other_pub));
    assert_eq!(out.status.code(), Some(5));
    assert!(String::from_utf8_lossy(&out.stderr).contains("different key"));
}

#[test]
fn demo_needs_no_account_and_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(Command::new(BIN).current_dir(dir.path()).env_clear().args(["demo", "-o", "demo.zip"]));
    assert_eq!(out.status.code(), Some(0));
    let out = run(Command::new(BIN).current_dir(dir.path()).args(["verify", "demo.zip", "--public-key", "demo.pub"]));
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn bad_key_is_a_clear_error_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("not-a-key");
    std::fs::write(&key, "hello").unwrap();
    let zip = dir.path().join("pack.zip");
    let out = run(Command::new(BIN).args(["pack", EXAMPLE, "--key"]).arg(&key).arg("-o").arg(&zip));
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("not-a-key") && err.contains("ssh-keygen"), "{err}");
    assert!(!zip.exists());
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "no temporary file left behind");
}

#[cfg(unix)]
#[test]
fn output_replaces_only_regular_files_and_keeps_their_mode() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let demo = |out: &Path| run(Command::new(BIN).current_dir(dir.path()).arg("demo").arg("-o").arg(out));

    let out = demo(Path::new("/dev/null"));
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("only a regular file is replaced"));

    let link = dir.path().join("link.zip");
    std::os::unix::fs::symlink(dir.path().join("elsewhere.zip"), &link).unwrap();
    assert_eq!(demo(&link).status.code(), Some(1));
    assert!(!dir.path().join("elsewhere.zip").exists(), "a link's target was written");

    let private = dir.path().join("private.zip");
    std::fs::write(&private, b"old").unwrap();
    std::fs::set_permissions(&private, std::fs::Permissions::from_mode(0o600)).unwrap();
    assert_eq!(demo(&private).status.code(), Some(0));
    assert_eq!(std::fs::metadata(&private).unwrap().permissions().mode() & 0o777, 0o600);

    let fresh = dir.path().join("fresh.zip");
    assert_eq!(demo(&fresh).status.code(), Some(0));
    assert_eq!(std::fs::metadata(&fresh).unwrap().permissions().mode() & 0o777, 0o644);
}
