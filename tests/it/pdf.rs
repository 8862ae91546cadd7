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

/// The summary's counts, in the order both reports print them.
fn summary_counts(results: &serde_json::Value) -> Vec<u64> {
    let s = &results["summary"];
    let mut counts: Vec<u64> = ["pass", "fail", "error", "manual", "not_applicable", "excepted"]
        .iter()
        .map(|k| s[k].as_u64().unwrap_or_else(|| panic!("summary.{k}")))
        .collect();
    counts.push(results["controls"].as_array().unwrap().len() as u64);
    counts
}

/// The status as both reports' badges print it.
fn badge(status: &str) -> String {
    if status == "not_applicable" { "N/A".into() } else { status.to_uppercase() }
}

#[test]
fn pdf_has_pages_attachments_and_the_results() {
    let dir = tempfile::tempdir().unwrap();
    let zip = demo_pack(dir.path());
    std::fs::write(dir.path().join("report.pdf"), entry(&zip, "report.pdf")).unwrap();
    let results: serde_json::Value = serde_json::from_slice(&entry(&zip, "results.json")).unwrap();
    let controls = results["controls"].as_array().unwrap();

    let info = tool(dir.path(), &["pdfinfo", "report.pdf"]);
    let pages: usize = info.lines().find_map(|l| l.strip_prefix("Pages:")).unwrap().trim().parse().unwrap();
    assert!(info.contains("evidence-pack"), "creator is pinned: {info}");

    // Exactly the two files, each byte for byte the pack's own.
    let attached = tool(dir.path(), &["pdfdetach", "-list", "report.pdf"]);
    let names: Vec<&str> = attached.lines().skip(1).map(|l| l.split_once(": ").unwrap().1).collect();
    assert_eq!(names, ["results.json", "snapshot.json"], "{attached}");
    std::fs::create_dir(dir.path().join("detached")).unwrap();
    tool(dir.path(), &["pdfdetach", "-saveall", "-o", "detached", "report.pdf"]);
    for name in names {
        let (detached, packed) = (std::fs::read(dir.path().join("detached").join(name)).unwrap(), entry(&zip, name));
        assert_eq!(detached.len(), packed.len(), "{name}: size");
        assert!(detached == packed, "{name}: the PDF carries the pack's file");
    }

    let text = tool(dir.path(), &["pdftotext", "-layout", "report.pdf", "-"]);
    let lines: Vec<&str> = text.lines().collect();
    // Every page has its footer, numbered against the real page count.
    for page in 1..=pages {
        assert!(text.contains(&format!("Page {page} of {pages}")), "footer of page {page}");
    }
    assert!(!text.contains(&format!("Page {} of", pages + 1)));

    // The summary: its counts row right under the column names, then one
    // row per control with its status and number of failing resources.
    let summary = lines.iter().position(|l| l.trim() == "Summary").expect("a Summary section");
    let header = summary + 1;
    let columns: Vec<&str> = lines[header].split_whitespace().collect();
    assert_eq!(columns, ["Pass", "Fail", "Error", "Manual", "Not", "Excepted", "Total"], "{}", lines[header]);
    let row = lines[header + 1..].iter().find(|l| !l.trim().is_empty() && l.trim() != "applicable").unwrap();
    let counts: Vec<u64> = row.split_whitespace().map(|n| n.parse().unwrap()).collect();
    assert_eq!(counts, summary_counts(&results), "counts row: {row}");
    let catalog = String::from_utf8(entry(&zip, "controls.yaml")).unwrap();
    let catalog = evidence_pack::evaluate::Catalog::parse("controls.yaml", &catalog).unwrap();
    let composite = |id: &str| {
        let c = catalog.controls.iter().find(|c| c.id == id).unwrap();
        matches!(c.body, evidence_pack::evaluate::ControlBody::Composite(_))
    };
    let table = &lines[summary..];
    for c in controls {
        let (id, status) = (c["id"].as_str().unwrap(), c["status"].as_str().unwrap());
        let row = table
            .iter()
            .find(|l| l.split_whitespace().next() == Some(id))
            .unwrap_or_else(|| panic!("{id}: no summary row"));
        let cells: Vec<&str> = row.split_whitespace().collect();
        // A control made of others names no resources of its own.
        let failing = if composite(id) { "-".to_string() } else { c["failing"].as_array().unwrap().len().to_string() };
        assert_eq!(cells[cells.len() - 2..], [badge(status).as_str(), failing.as_str()], "{id}: {row}");
    }

    // One section per control, headed by its id and status, in catalog order.
    let mut at = summary;
    for c in controls {
        let (id, status) = (c["id"].as_str().unwrap(), badge(c["status"].as_str().unwrap()));
        let found = lines[at..]
            .iter()
            .position(|l| l.split_whitespace().collect::<Vec<_>>() == [id, status.as_str()])
            .unwrap_or_else(|| panic!("{id}: no section headed `{id} {status}` after line {at}"));
        at += found + 1;
    }
    let appendix = lines[at..].iter().position(|l| l.trim() == "Appendix: collection errors");
    assert!(appendix.is_some(), "the collection errors appendix follows the controls");
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

/// Two runs give the same bytes. The PDF stays pinned by hash (its layout is
/// what an auditor files); report.html is checked for its structure, which
/// is what a change to it must keep.
#[test]
fn pdf_is_reproducible_and_pinned_by_hash() {
    let dir = tempfile::tempdir().unwrap();
    let (key, _) = crate::harness::keypair(dir.path());
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/snapshot.json");
    let mut packs = Vec::new();
    for name in ["a.zip", "b.zip"] {
        let zip = dir.path().join(name);
        run(Command::new(BIN).args(["pack", example, "--key"]).arg(&key).arg("-o").arg(&zip));
        packs.push((entry(&zip, "report.pdf"), entry(&zip, "report.html")));
    }
    assert!(packs[0].0 == packs[1].0, "report.pdf differs between two runs");
    assert!(packs[0].1 == packs[1].1, "report.html differs between two runs");
    insta::assert_snapshot!("report.pdf.sha256", evidence_pack::seal::sha256_hex(&packs[0].0));

    let zip = dir.path().join("a.zip");
    let results: serde_json::Value = serde_json::from_slice(&entry(&zip, "results.json")).unwrap();
    let controls = results["controls"].as_array().unwrap();
    let html = String::from_utf8(packs.swap_remove(0).1).unwrap();
    let head = &html[..html.find("</head>").expect("a head")];
    let csp = format!("<meta http-equiv=\"Content-Security-Policy\" content=\"{}\">", evidence_pack::render::CSP);
    assert!(head.contains(&csp), "the CSP is in the head");
    for tag in ["<script", "<link", "<img", "<iframe", "<object", "<embed"] {
        assert!(!html.contains(tag), "{tag} in report.html");
    }

    // The summary's counts row, under its column names.
    let cells = |row: &str| -> Vec<String> {
        row.split("<td").skip(1).map(|c| c[c.find('>').unwrap() + 1..c.find("</td>").unwrap()].to_string()).collect()
    };
    let summary = &html[html.find("<h2 id=\"summary\">Summary</h2>").expect("a Summary section")..];
    let header = &summary[..summary.find("</thead>").unwrap()];
    let columns: Vec<&str> = header.split("</th>").filter_map(|c| c.rsplit_once('>').map(|(_, t)| t)).collect();
    assert_eq!(columns[..7], ["Pass", "Fail", "Error", "Manual", "Not applicable", "Excepted", "Total"]);
    let counts_row = &summary[summary.find("<tbody>").unwrap()..summary.find("</tbody>").unwrap()];
    let counts: Vec<u64> = cells(counts_row).iter().map(|n| n.parse().unwrap()).collect();
    assert_eq!(counts, summary_counts(&results));

    // One row per control in the summary table, and one section per control,
    // in catalog order, each reached from its row.
    let mut h2: Vec<&str> = html
        .match_indices("<h2 id=\"")
        .map(|(i, _)| {
            let h = &html[i..];
            &h[h.find('>').unwrap() + 1..h.find("</h2>").unwrap()]
        })
        .collect();
    assert_eq!(h2.remove(0), "Summary");
    assert_eq!(h2.pop(), Some("Appendix: collection errors"));
    let ids: Vec<&str> = controls.iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(h2, ids, "one section per control");
    for c in controls {
        let (id, status) = (c["id"].as_str().unwrap(), c["status"].as_str().unwrap());
        let anchor =
            html.find(&format!("\">{id}</h2>")).map(|i| html[..i].rsplit_once("<h2 id=\"").unwrap().1).unwrap();
        let row = summary
            .split("<tr>")
            .find(|r| r.starts_with(&format!("<td><a href=\"#{anchor}\">{id}</a></td>")))
            .unwrap_or_else(|| panic!("{id}: no summary row linking #{anchor}"));
        let badge = format!("<span class=\"badge {status}\">{}</span>", badge(status));
        assert!(row.contains(&badge), "{id}: {row}");
    }
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
