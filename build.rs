//! Records the git commit the binary is built from, so `--version`, the
//! snapshot's `tool` block and the report cover trace a pack to its binary.
//! Builds outside a git checkout (a source tarball, a container build
//! without `.git`) may pass the commit as `EVIDENCE_PACK_COMMIT`; otherwise
//! it reads "unknown".
use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    let text = String::from_utf8(out.stdout).ok()?;
    (out.status.success() && !text.trim().is_empty()).then(|| text.trim().to_string())
}

fn main() {
    println!("cargo::rerun-if-env-changed=EVIDENCE_PACK_COMMIT");
    // Rebuild when HEAD moves: HEAD itself, and the ref or packed refs it names.
    // A path that does not exist would rerun this script on every build.
    let branch = git(&["symbolic-ref", "-q", "HEAD"]);
    for path in ["HEAD", "packed-refs"].into_iter().chain(branch.as_deref()) {
        if let Some(p) = git(&["rev-parse", "--git-path", path]).filter(|p| std::path::Path::new(p).exists()) {
            println!("cargo::rerun-if-changed={p}");
        }
    }
    let commit = std::env::var("EVIDENCE_PACK_COMMIT")
        .ok()
        .filter(|c| !c.is_empty())
        .or_else(|| git(&["rev-parse", "HEAD"]))
        .unwrap_or_else(|| "unknown".into());
    println!("cargo::rustc-env=EVIDENCE_PACK_COMMIT={commit}");
}
