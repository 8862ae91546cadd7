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

/// `pack` the snapshot `s` in `dir`, leaving its `report.pdf` there.
fn pack_pdf(dir: &Path, s: &evidence_pack::snapshot::Snapshot) {
    let path = dir.join("snapshot.json");
    std::fs::write(&path, s.to_json()).unwrap();
    let (key, _) = crate::harness::keypair(dir);
    let zip = dir.join("pack.zip");
    let out = run(Command::new(BIN).arg("pack").arg(&path).arg("--key").arg(&key).arg("-o").arg(&zip));
    assert!(matches!(out.status.code(), Some(0 | 3 | 4)), "{}", String::from_utf8_lossy(&out.stderr));
    std::fs::write(dir.join("report.pdf"), entry(&zip, "report.pdf")).unwrap();
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
    // A page per control made the demo's 91 controls 102 pages, most of
    // them nearly empty; the report now runs on and keeps every verdict.
    assert!(pages < 40, "the demo's PDF has {pages} pages");

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
    assert!(!text.contains('\u{200b}'), "break points are not text");
    // A table of contents with page numbers, before the summary.
    let contents = lines.iter().position(|l| l.trim() == "Contents").expect("a table of contents");
    let summary_entry =
        lines[contents..].iter().find(|l| l.trim_start().starts_with("Summary")).expect("Summary listed");
    // typst's outline puts a word joiner (U+2060) before the page number.
    let summary_page: usize =
        summary_entry.split_whitespace().last().unwrap().trim_start_matches('\u{2060}').parse().expect("a page number");
    assert!(summary_page > 1 && summary_page < pages, "{summary_entry}");
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

    // Each control headed by its id and status, once, after the summary
    // (controls sharing a section follow the first of them), and with its
    // reason and every failing resource.
    let mut last = summary;
    for c in controls {
        let (id, status) = (c["id"].as_str().unwrap(), badge(c["status"].as_str().unwrap()));
        let headed: Vec<usize> = (summary..lines.len())
            .filter(|i| lines[*i].split_whitespace().collect::<Vec<_>>() == [id, status.as_str()])
            .collect();
        assert_eq!(headed.len(), 1, "{id}: one heading `{id} {status}`, at {headed:?}");
        last = last.max(headed[0]);
        let section: String = lines[headed[0]..].iter().take(60).map(|l| format!("{l}\n")).collect();
        let flat = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
        let reason = c["reason"].as_str().unwrap();
        let start: String = flat(reason).chars().take(40).collect();
        assert!(flat(&section).contains(&start), "{id}: its reason `{start}` is not in its section");
        for f in c["failing"].as_array().unwrap() {
            let name = f["name"].as_str().unwrap();
            let word = name.split(['(', ' ']).next().unwrap();
            assert!(text.contains(word), "{id}: failing resource {name} is not in the PDF");
        }
    }
    let appendix = lines[last..].iter().position(|l| l.trim() == "Appendix: collection errors");
    assert!(appendix.is_some(), "the collection errors appendix follows the controls");

    // Every evidence CSV is in the pack, and the pack verifies with them.
    let names: Vec<String> = {
        let a = zip::ZipArchive::new(std::fs::File::open(&zip).unwrap()).unwrap();
        a.file_names().map(|n| n.unwrap().into_owned()).collect()
    };
    for kind in ["kms.key", "ec2.security_group", "iam.user", "ec2.region"] {
        let name = format!("evidence/{kind}.csv");
        assert!(names.contains(&name), "{name} not in {names:?}");
        assert!(text.contains(&name), "the PDF names {name}");
    }
    let sums = String::from_utf8(entry(&zip, "SHA256SUMS")).unwrap();
    assert!(sums.contains("  evidence/kms.key.csv\n"), "{sums}");
    let out = run(Command::new(BIN).current_dir(dir.path()).args(["verify", "demo.zip", "--public-key", "demo.pub"]));
    assert_eq!(out.status.code(), Some(0), "the demo pack verifies with its CSVs");
}

/// The KMS keys table's "Rotation" column ran off the right margin: every
/// kind of table, each cell holding a 60-character identifier, stays
/// within the page's margins (as pdftotext measures each word).
#[test]
fn every_kind_of_table_stays_inside_the_margins() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = evidence_pack::snapshot::Snapshot::from_json("example", evidence_pack::EXAMPLE_SNAPSHOT).unwrap();
    let template = s.resources[0].clone();
    fn fill(v: &mut serde_json::Value, long: &str) {
        match v {
            serde_json::Value::String(x) => *x = long.to_string(),
            serde_json::Value::Array(a) => a.iter_mut().for_each(|x| fill(x, long)),
            serde_json::Value::Object(m) => m.values_mut().for_each(|x| fill(x, long)),
            _ => {}
        }
    }
    for t in evidence_pack::render::tables::TABLES {
        let mut r = template.clone();
        r.kind = t.kind.to_string();
        r.id = format!("arn:aws:{}:us-east-1:992382705250:resource/{}", t.kind, "0123456789abcdef".repeat(3));
        r.region = "us-east-1".into();
        let mut data = (t.sample)();
        let long =
            format!("arn:aws:{}:us-east-1:992382705250:{}", t.kind, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789".repeat(2));
        fill(&mut data, &long);
        // Typed fields that are not text (numbers, booleans) keep their defaults.
        r.data = data;
        s.resources.push(r);
    }
    pack_pdf(dir.path(), &s);
    let text = tool(dir.path(), &["pdftotext", "report.pdf", "-"]);
    for t in evidence_pack::render::tables::TABLES {
        assert!(text.contains(t.title), "no {} table in the PDF", t.title);
    }
    let bbox = tool(dir.path(), &["pdftotext", "-bbox", "report.pdf", "-"]);
    let attr = |tag: &str, name: &str| -> f64 {
        let at = tag.find(&format!(" {name}=\"")).unwrap_or_else(|| panic!("{name} in {tag}")) + name.len() + 3;
        tag[at..tag[at..].find('"').unwrap() + at].parse().unwrap()
    };
    // A4 with 1.7 cm side margins (templates/report.typ).
    let margin = 1.7 / 2.54 * 72.0;
    let mut pages = 0;
    let mut right_edge: f64 = 0.0;
    for page in bbox.split("<page ").skip(1) {
        pages += 1;
        // The split took the "<page " off: the tag's first attribute has no space before it.
        let width = attr(&format!(" {}", &page[..page.find('>').unwrap()]), "width");
        for (i, _) in page.match_indices("<word ") {
            let tag = &page[i..i + page[i..].find('>').unwrap()];
            let word = &page[i + tag.len() + 1..i + page[i..].find("</word>").unwrap()];
            let (x0, x1) = (attr(tag, "xMin"), attr(tag, "xMax"));
            right_edge = right_edge.max(x1);
            assert!(
                x1 <= width - margin + 0.5,
                "page {pages}: `{word}` ends at {x1:.1} pt, past the right margin at {:.1}",
                width - margin
            );
            assert!(x0 >= margin - 0.5, "page {pages}: `{word}` starts at {x0:.1} pt, left of the margin");
        }
    }
    assert!(right_edge > 400.0, "tables reach across the page ({right_edge:.1} pt)");
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
    let headings = |level: &str| -> Vec<&str> {
        html.match_indices(&format!("<{level} id=\""))
            .map(|(i, _)| {
                let h = &html[i..];
                &h[h.find('>').unwrap() + 1..h.find(&format!("</{level}>")).unwrap()]
            })
            .collect()
    };
    let h2 = headings("h2");
    assert_eq!(h2[0], "Summary");
    assert_eq!(h2.last(), Some(&"Appendix: collection errors"));
    // A control is a section of its own (h2), or one of a group of
    // controls sharing their evidence (h3 under the group's h2).
    let (h2, h3) = (h2, headings("h3"));
    for c in controls {
        let (id, status) = (c["id"].as_str().unwrap(), c["status"].as_str().unwrap());
        let n = h2.iter().chain(&h3).filter(|h| **h == id).count();
        assert_eq!(n, 1, "{id}: one heading");
        let level = if h2.contains(&id) { "h2" } else { "h3" };
        let anchor = html
            .find(&format!("\">{id}</{level}>"))
            .map(|i| html[..i].rsplit_once(&format!("<{level} id=\"")).unwrap().1)
            .unwrap();
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
    // A table cell wraps a long name over lines (at spaces, `-` or the break
    // points, which are not text): the name is intact once they are joined.
    let text = text.replace('\n', "");
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
    // The OSCAL export, built first, refuses the year with its own message
    // naming what to do; the PDF's own check would say "cannot date a PDF".
    let clear = stderr.contains("cannot date a PDF")
        || (stderr.contains("which an OSCAL date-time cannot state") && stderr.contains("collect again"));
    assert!(clear && !stderr.contains("panicked"), "{stderr}");
    assert!(!zip.exists(), "no pack is written");
}

/// Sixty groups open to SSH were sixty table rows under EC2.13's failing
/// resources, a page per sixty, besides their flagged rows in the evidence
/// table. Past `FAILING_ROWS`, the PDF states each problem and place once
/// and names every resource under it.
#[test]
fn many_failing_resources_are_named_under_their_problem_once() {
    let dir = tempfile::tempdir().unwrap();
    let s = crate::report::with_open_groups(60);
    let catalog = evidence_pack::evaluate::Catalog::builtin();
    let results = evidence_pack::evaluate::evaluate(&s, &catalog);
    let report = evidence_pack::render::build(&s, "x", &catalog, &results);
    let c = report.controls.iter().find(|c| c.id == "EC2.13").unwrap();
    assert!(c.failing.len() > evidence_pack::render::evidence::FAILING_ROWS, "{}", c.reason);
    let named: usize = c.failing_groups.iter().map(|g| g.names.len()).sum();
    assert_eq!(named, c.failing.len(), "every failing resource is in a group");
    let estate = c.failing_groups.iter().find(|g| g.names.iter().any(|n| n.contains("sg-estate"))).unwrap();
    assert_eq!(estate.names.len(), 60, "{:?}", c.failing_groups);

    pack_pdf(dir.path(), &s);
    let text = tool(dir.path(), &["pdftotext", "report.pdf", "-"]).replace('\u{200b}', "");
    let ec2_13 = &text[text.find("AWS Security Hub: EC2.13\n").expect("EC2.13's section")..];
    let failing = &ec2_13[ec2_13.find("Failing resources").unwrap()..];
    let failing = &failing[..failing.find("\nEvidence\n").unwrap()];
    assert!(failing.contains(&format!("{}, 60 resources:", estate.location)), "{failing}");
    assert!(!failing.contains("What is wrong"), "no table row per resource: {failing}");
    // Lines break after a name's hyphens, and pdftotext drops a hyphen
    // that ends a line.
    let names = failing.replace(['-', '\n'], "");
    for g in 0..60 {
        assert!(names.contains(&format!("sgestate{g:03}")), "sg-estate-{g:03} is named: {failing}");
    }

    // Each group open on a port of its own: Trusted Advisor's problems name
    // each group's own rule, so a line per problem would take more room
    // than the table, which stays.
    let mut own_ports = s.clone();
    for r in own_ports.resources.iter_mut().filter(|r| r.id.starts_with("sg-estate-")) {
        let g: u16 = r.id["sg-estate-".len()..].parse().unwrap();
        r.data["ingress"][0]["from_port"] = (8000 + g).into();
        r.data["ingress"][0]["to_port"] = (8000 + g).into();
    }
    let dir = tempfile::tempdir().unwrap();
    pack_pdf(dir.path(), &own_ports);
    let text = tool(dir.path(), &["pdftotext", "report.pdf", "-"]).replace('\u{200b}', "");
    let ta = &text[text.rfind("Specific Ports Unrestricted\n").expect("TA.SGPorts's section")..];
    let failing = &ta[ta.find("Failing resources").unwrap()..];
    let failing = &failing[..failing.find("\nEvidence\n").unwrap()];
    assert!(failing.contains("What is wrong"), "a table: {failing}");
    assert!(!failing.contains(" resource:"), "no line per problem: {failing}");
}
