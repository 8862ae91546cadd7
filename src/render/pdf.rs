//! The PDF report, compiled in-process by typst from `templates/report.typ`.
//!
//! The template reads the report as JSON data, never as spliced markup. Fonts
//! come from typst-assets and `fonts/` (CJK and emoji fallbacks), the date
//! from the snapshot, and the creator string is pinned, so the same inputs
//! give the same PDF bytes. The output is PDF/A-3b with `snapshot.json` and
//! `results.json` attached.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Datelike, Timelike, Utc};
use typst::diag::{FileError, FileResult};
use typst::foundations::{Bytes, Datetime, Duration, Smart};
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook, is_default_ignorable};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World, WorldExt};
use typst_layout::PagedDocument;
use typst_pdf::{PdfOptions, PdfStandard, PdfStandards, Timestamp};

use super::{RenderError, Report};

const TEMPLATE: &str = include_str!("../../templates/report.typ");

/// What typst-assets lacks and real resource names hold: CJK (one region's
/// Noto Sans CJK, subset to the CJK blocks) and monochrome emoji. The
/// template lists them after its own fonts; see fonts/README.md.
const FALLBACK_FONTS: [&[u8]; 2] = [
    include_bytes!("../../fonts/NotoSansCJKsc-Regular-subset.otf"),
    include_bytes!("../../fonts/NotoEmoji-Regular.ttf"),
];

/// Fonts are parsed once per process; typst keeps them by index.
fn fonts() -> &'static (LazyHash<FontBook>, Vec<Font>) {
    static FONTS: std::sync::OnceLock<(LazyHash<FontBook>, Vec<Font>)> = std::sync::OnceLock::new();
    FONTS.get_or_init(|| {
        let fonts: Vec<Font> =
            typst_assets::fonts().chain(FALLBACK_FONTS).flat_map(|data| Font::iter(Bytes::new(data))).collect();
        (LazyHash::new(FontBook::from_fonts(&fonts)), fonts)
    })
}

/// Whether some font can draw `c`.
fn covered(c: char) -> bool {
    fonts().1.iter().any(|f| f.info().coverage.contains(c as u32))
}

/// `s` as the PDF can show it. PDF/A forbids the .notdef glyph, so one
/// character no font has would fail the whole pack; it, and anything that
/// could repaint or reorder the text (control characters, bidi overrides),
/// is written as `\u{…}` instead. `None` when `s` needs no change.
fn printable(s: &str, seen: &mut HashMap<char, bool>) -> Option<String> {
    if s.bytes().all(|b| (0x20..0x7f).contains(&b) || b == b'\n') {
        return None;
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\n' => out.push('\n'),
            '\r' if chars.peek() == Some(&'\n') => {}
            '\r' => out.push('\n'),
            '\t' => out.push(' '),
            c if crate::text::is_unsafe(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            // typst drops these when shaping (they join emoji sequences).
            c if c.is_ascii() || is_default_ignorable(c) => out.push(c),
            c if *seen.entry(c).or_insert_with(|| covered(c)) => out.push(c),
            c => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
        }
    }
    Some(out)
}

/// Where the PDF may break the text of a table cell that is not one of an
/// evidence table (those carry their own `wrap`, which their column widths
/// were fitted to): failing resources and collection errors.
const WRAP: usize = 24;

/// Break points (zero-width spaces) in the cells of the template's tables
/// (see [`super::tables::breakable`]), so a long ARN or key id wraps inside
/// its column rather than run off the page.
fn make_breakable(v: &mut serde_json::Value) {
    use serde_json::Value;
    let wrap_str = |v: &mut Value, wrap: usize| {
        if let Value::String(s) = v {
            *s = super::tables::breakable(s, wrap);
        }
    };
    match v {
        Value::Object(m) => {
            let table_wrap = m.get("wrap").and_then(Value::as_u64).filter(|_| m.contains_key("rows"));
            if let Some(wrap) = table_wrap {
                let wrap = wrap as usize;
                m.get_mut("columns")
                    .and_then(Value::as_array_mut)
                    .into_iter()
                    .flatten()
                    .for_each(|c| wrap_str(c, wrap));
                for row in m.get_mut("rows").and_then(Value::as_array_mut).into_iter().flatten() {
                    row.get_mut("cells")
                        .and_then(Value::as_array_mut)
                        .into_iter()
                        .flatten()
                        .for_each(|c| wrap_str(c, wrap));
                }
                // Commands too, in their narrower monospace.
                m.get_mut("cli").and_then(Value::as_array_mut).into_iter().flatten().for_each(|c| wrap_str(c, 40));
            }
            for (k, x) in m.iter_mut() {
                match k.as_str() {
                    "failing" | "findings" | "evidence_errors" | "errors" => {
                        for item in x.as_array_mut().into_iter().flatten() {
                            for field in ["name", "problems", "location", "message", "reason"] {
                                if let Some(s) = item.get_mut(field) {
                                    wrap_str(s, WRAP);
                                }
                            }
                        }
                    }
                    "failing_groups" | "groups" => {
                        for group in x.as_array_mut().into_iter().flatten() {
                            for field in ["problems", "location"] {
                                if let Some(s) = group.get_mut(field) {
                                    wrap_str(s, WRAP);
                                }
                            }
                            let names = group.get_mut("names").and_then(Value::as_array_mut);
                            names.into_iter().flatten().for_each(|s| wrap_str(s, WRAP));
                        }
                    }
                    // A verdict's reason names resources, ARNs among them.
                    "reason" | "reasons" => match x {
                        Value::Array(a) => a.iter_mut().for_each(|s| wrap_str(s, WRAP)),
                        s => wrap_str(s, WRAP),
                    },
                    "rows" if table_wrap.is_some() => {}
                    _ => make_breakable(x),
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(make_breakable),
        _ => {}
    }
}

/// A pack member lent to typst for the compilation: `Bytes` over the
/// pack's own buffer, not a copy of it.
struct Lent(Arc<Vec<u8>>);

impl AsRef<[u8]> for Lent {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

/// Every string in the template's data, made [`printable`].
fn make_printable(v: &mut serde_json::Value, seen: &mut HashMap<char, bool>) {
    match v {
        serde_json::Value::String(s) => {
            if let Some(p) = printable(s, seen) {
                *s = p;
            }
        }
        serde_json::Value::Array(a) => a.iter_mut().for_each(|x| make_printable(x, seen)),
        serde_json::Value::Object(m) => m.values_mut().for_each(|x| make_printable(x, seen)),
        _ => {}
    }
}

fn library() -> &'static LazyHash<Library> {
    static LIB: std::sync::OnceLock<LazyHash<Library>> = std::sync::OnceLock::new();
    LIB.get_or_init(|| LazyHash::new(Library::builder().build()))
}

fn file_id(name: &str) -> FileId {
    RootedPath::new(VirtualRoot::Project, VirtualPath::new(format!("/{name}")).expect("static file names are valid"))
        .intern()
}

/// Everything the template may read: itself and a few in-memory files.
struct ReportWorld {
    main: Source,
    files: HashMap<FileId, Bytes>,
    today: Datetime,
}

impl World for ReportWorld {
    fn library(&self) -> &LazyHash<Library> {
        library()
    }

    fn book(&self) -> &LazyHash<FontBook> {
        &fonts().0
    }

    fn main(&self) -> FileId {
        self.main.id()
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        if id == self.main.id() { Ok(self.main.clone()) } else { Err(FileError::NotSource) }
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        self.files.get(&id).cloned().ok_or_else(|| FileError::NotFound(id.vpath().get_without_slash().into()))
    }

    fn font(&self, index: usize) -> Option<Font> {
        fonts().1.get(index).cloned()
    }

    fn today(&self, _offset: Option<Duration>) -> Option<Datetime> {
        Some(self.today)
    }
}

/// The PDF's date. A PDF date has a four-digit year, so a snapshot dated
/// outside years 0 to 9999 (a corrupt or crafted one) cannot be packed.
fn datetime(t: DateTime<Utc>) -> Result<Datetime, RenderError> {
    (0..=9999)
        .contains(&t.year())
        .then(|| {
            Datetime::from_ymd_hms(
                t.year(),
                t.month() as u8,
                t.day() as u8,
                t.hour() as u8,
                t.minute() as u8,
                t.second() as u8,
            )
        })
        .flatten()
        .ok_or_else(|| {
            RenderError::Date(format!(
                "the snapshot's collection time {} cannot date a PDF, whose years run from 0000 to 9999",
                t.to_rfc3339()
            ))
        })
}

/// Compile the report to PDF/A-3b bytes, attaching `attachments` (pack
/// members by name: the template attaches snapshot.json and results.json).
/// Their buffers are lent to typst, not copied, and are back in place when
/// this returns, whatever it returns.
pub fn pdf(
    report: &Report,
    pack_id: &str,
    attachments: &mut [(&str, &mut Vec<u8>)],
    time: DateTime<Utc>,
) -> Result<Vec<u8>, RenderError> {
    let today = datetime(time)?;
    let mut data = serde_json::json!({ "report": report, "pack_id": pack_id, "statuses": super::status::for_typst() });
    make_printable(&mut data, &mut HashMap::new());
    make_breakable(&mut data["report"]);
    let data = serde_json::to_vec(&data).expect("report serialises");
    let lent: Vec<Arc<Vec<u8>>> = attachments.iter_mut().map(|(_, b)| Arc::new(std::mem::take(*b))).collect();
    let mut files = HashMap::from([(file_id("data.json"), Bytes::new(data))]);
    for ((name, _), bytes) in attachments.iter().zip(&lent) {
        files.insert(file_id(name), Bytes::new(Lent(bytes.clone())));
    }
    let world = ReportWorld { main: Source::new(file_id("report.typ"), TEMPLATE.to_string()), files, today };
    // typst hands its layout to rayon's threads. Run from a pool that the
    // calling thread is part of, a one-flow document is laid out on this
    // thread, and the memory the caller freed before (a large estate's
    // snapshot) is reused: glibc keeps what one thread frees for that
    // thread, and from rayon's own threads the PDF of 100,000 resources
    // cost 200 MB more.
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).use_current_thread().build();
    let compile = || {
        typst::compile::<PagedDocument>(&world).output.and_then(|doc| {
            let options = PdfOptions {
                ident: Smart::Custom(format!("evidence-pack/{pack_id}")),
                creator: Smart::Custom(Some(format!("evidence-pack {}", env!("CARGO_PKG_VERSION")))),
                timestamp: Some(Timestamp::new_utc(today)),
                standards: PdfStandards::new(&[PdfStandard::A_3b]).expect("PDF/A-3b is a valid standard"),
                // Tagging costs about a tenth of the render time on a big estate,
                // PDF/A-3b does not require it, and report.html is the
                // accessible form of the same report.
                tagged: false,
                ..PdfOptions::default()
            };
            typst_pdf::pdf(&doc, &options)
        })
    };
    // A pool that cannot start leaves rayon's global one, as before.
    let result = match pool {
        Ok(pool) => pool.install(compile),
        Err(_) => compile(),
    };
    let result = result.map_err(|diags| {
        RenderError::Template(
            diags
                .iter()
                .map(|d| {
                    let at = world
                        .range(d.span)
                        .map(|r| {
                            let line = world.main.text()[..r.start].lines().count();
                            format!("templates/report.typ:{line}: ")
                        })
                        .unwrap_or_default();
                    format!("{at}{}", d.message)
                })
                .collect::<Vec<_>>()
                .join("; "),
        )
    });
    drop(world);
    // typst memoises across compilations; a long-running process (or a big
    // estate) would otherwise keep every intermediate result, and the
    // attachments with them.
    comemo::evict(0);
    for ((_, b), bytes) in attachments.iter_mut().zip(lent) {
        **b = Arc::try_unwrap(bytes).unwrap_or_else(|shared| shared.as_ref().clone());
    }
    result
}
