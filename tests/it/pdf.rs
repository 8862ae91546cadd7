//! The PDF and HTML in a pack, read back with the tools a person would use:
//! poppler's pdfinfo, pdfdetach and pdftotext.

use std::path::Path;
use std::process::Command;

use crate::harness::{BIN, entry, run};

fn demo_pack(dir: &Path) -> std::path::PathBuf {
    let out = run(Command::new(BIN).current_dir(dir).args(["demo", "-o", "demo.zip"]));
    assert_eq!(out.status.code(), Some(0));
    dir.join("demo.zip")
}

fn tool(dir: &Path, args: &[&str]) -> String {
    let out = Command::new(args[0])
        .args(&args[1..])
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("{}: {e} (install poppler-utils)", args[0]));
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn pdf_has_pages_attachments_and_the_results() {
    let dir = tempfile::tempdir().unwrap();
    let zip = demo_pack(dir.path());
    std::fs::write(dir.path().join("report.pdf"), entry(&zip, "report.pdf")).unwrap();
    let results: serde_json::Value = serde_json::from_slice(&entry(&zip, "results.json")).unwrap();

    let info = tool(dir.path(), &["pdfinfo", "report.pdf"]);
    let pages: usize = info.lines().find_map(|l| l.strip_prefix("Pages:")).unwrap().trim().parse().unwrap();
    let controls = results["controls"].as_array().unwrap().len();
    // A cover, a summary, and about a page per control.
    assert!(pages >= controls / 2 + 2 && pages <= controls * 4 + 10, "{pages} pages for {controls} controls");
    assert!(info.contains("evidence-pack"), "creator is pinned: {info}");

    let attached = tool(dir.path(), &["pdfdetach", "-list", "report.pdf"]);
    assert!(attached.contains("snapshot.json") && attached.contains("results.json"), "{attached}");
    std::fs::create_dir(dir.path().join("detached")).unwrap();
    tool(dir.path(), &["pdfdetach", "-saveall", "-o", "detached", "report.pdf"]);
    assert_eq!(
        std::fs::read(dir.path().join("detached/results.json")).unwrap(),
        entry(&zip, "results.json"),
        "the PDF carries the pack's results"
    );

    let text = tool(dir.path(), &["pdftotext", "-layout", "report.pdf", "-"]);
    for c in results["controls"].as_array().unwrap() {
        let id = c["id"].as_str().unwrap();
        assert!(text.contains(id), "{id} missing from the PDF");
    }
    let summary = &results["summary"];
    assert!(text.contains(&format!("Page 1 of {pages}")), "page X of Y footer");
    let fail = summary["fail"].as_u64().unwrap();
    assert!(text.contains(&fail.to_string()));
}

#[test]
fn html_fetches_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let zip = demo_pack(dir.path());
    let html = String::from_utf8(entry(&zip, "report.html")).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    for attr in ["src=\"", "href=\""] {
        for (i, _) in html.match_indices(attr) {
            let url = &html[i + attr.len()..];
            let url = &url[..url.find('"').unwrap()];
            let doc = url.starts_with("https://docs.aws.amazon.com/") || url.starts_with("https://cel.dev");
            assert!(url.starts_with('#') || doc, "external {attr}{url}");
        }
    }
    assert!(!html.contains("<script"), "no scripts");
    assert!(!html.contains("<link"), "no linked stylesheets");
}

#[test]
fn pdf_is_reproducible_and_pinned_by_hash() {
    let dir = tempfile::tempdir().unwrap();
    let (key, _) = crate::harness::keypair(dir.path());
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/snapshot.json");
    let mut hashes = Vec::new();
    for name in ["a.zip", "b.zip"] {
        let zip = dir.path().join(name);
        run(Command::new(BIN).args(["pack", example, "--key"]).arg(&key).arg("-o").arg(&zip));
        hashes.push(evidence_pack::seal::sha256_hex(&entry(&zip, "report.pdf")));
    }
    assert_eq!(hashes[0], hashes[1]);
    insta::assert_snapshot!("report.pdf.sha256", hashes[0]);
    let zip = dir.path().join("a.zip");
    insta::assert_snapshot!("report.html.sha256", evidence_pack::seal::sha256_hex(&entry(&zip, "report.html")));
}

/// Resource names are data to the PDF template, never markup.
#[test]
fn markup_in_resource_names_is_only_text() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = evidence_pack::snapshot::Snapshot::from_json("example", evidence_pack::EXAMPLE_SNAPSHOT).unwrap();
    let nasty = "#set page(fill: red) *bold* $x^2$ <label> ]) // [";
    let g = s.resources.iter_mut().find(|r| r.kind == "iam.group").unwrap();
    g.data["name"] = nasty.into();
    let path = dir.path().join("snapshot.json");
    std::fs::write(&path, s.to_json()).unwrap();
    let (key, _) = crate::harness::keypair(dir.path());
    let zip = dir.path().join("pack.zip");
    let out = run(Command::new(BIN).arg("pack").arg(&path).arg("--key").arg(&key).arg("-o").arg(&zip));
    assert_eq!(out.status.code(), Some(3));
    std::fs::write(dir.path().join("report.pdf"), entry(&zip, "report.pdf")).unwrap();
    let text = tool(dir.path(), &["pdftotext", "report.pdf", "-"]);
    assert!(text.contains("#set page(fill: red) *bold* $x^2$ <label> ])"), "name not shown verbatim");
}

/// Names in CJK scripts and with emoji are real; the PDF shows them (PDF/A
/// forbids a missing glyph, so without a font for them the pack failed).
/// A character no font has, and a control character, are written out.
#[test]
fn cjk_and_emoji_are_shown_in_the_pdf() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = evidence_pack::snapshot::Snapshot::from_json("example", evidence_pack::EXAMPLE_SNAPSHOT).unwrap();
    let name = "王小明-グループ-관리자 🙂 \u{1F469}\u{200D}\u{1F4BB} \u{10000}\u{1b}[31m";
    let g = s.resources.iter_mut().find(|r| r.kind == "iam.group").unwrap();
    g.data["name"] = name.into();
    let path = dir.path().join("snapshot.json");
    std::fs::write(&path, s.to_json()).unwrap();
    std::fs::write(
        dir.path().join("attestations.yaml"),
        "attestations:\n  - control: SO1.Q1\n    answer: [so_1_1_primary, so_1_1_alternate]\n    by: 王小明\n    date: 2026-11-20\n    note: 已在控制台核实 🙂 ✅\n",
    )
    .unwrap();
    let (key, _) = crate::harness::keypair(dir.path());
    let zip = dir.path().join("pack.zip");
    let out = run(Command::new(BIN)
        .arg("pack")
        .arg(&path)
        .arg("--attestations")
        .arg(dir.path().join("attestations.yaml"))
        .arg("--key")
        .arg(&key)
        .arg("-o")
        .arg(&zip));
    assert_eq!(out.status.code(), Some(3), "{}", String::from_utf8_lossy(&out.stderr));
    std::fs::write(dir.path().join("report.pdf"), entry(&zip, "report.pdf")).unwrap();
    let text = tool(dir.path(), &["pdftotext", "report.pdf", "-"]);
    for shown in ["王小明-グループ-관리자", "🙂", "Attested by 王小明", "已在控制台核实", "\\u{10000}\\u{1b}[31m"]
    {
        assert!(text.contains(shown), "{shown} missing from the PDF text");
    }
    assert!(!text.contains('\u{1b}'), "a control character reached the PDF");
    let fonts = tool(dir.path(), &["pdffonts", "report.pdf"]);
    assert!(fonts.contains("NotoSansCJK") && fonts.contains("NotoEmoji"), "{fonts}");
    let md = String::from_utf8(entry(&zip, "report.md")).unwrap();
    assert!(md.contains("王小明-グループ-관리자 🙂"));
}

/// A snapshot dated past year 9999 (corrupt or crafted) cannot date a PDF:
/// a clear error, not a panic.
#[test]
fn a_collection_time_past_year_9999_is_a_clear_error() {
    use chrono::TimeZone;
    let dir = tempfile::tempdir().unwrap();
    let mut s = evidence_pack::snapshot::Snapshot::from_json("example", evidence_pack::EXAMPLE_SNAPSHOT).unwrap();
    let far = chrono::Utc.with_ymd_and_hms(10000, 1, 1, 0, 0, 0).unwrap();
    s.collected_at.started = far;
    s.collected_at.finished = far;
    let path = dir.path().join("snapshot.json");
    std::fs::write(&path, s.to_json()).unwrap();
    let (key, _) = crate::harness::keypair(dir.path());
    let zip = dir.path().join("pack.zip");
    let out = Command::new(BIN).arg("pack").arg(&path).arg("--key").arg(&key).arg("-o").arg(&zip).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("cannot date a PDF") && !stderr.contains("panicked"), "{stderr}");
    assert!(!zip.exists(), "no pack is written");
}
