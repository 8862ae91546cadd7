//! The PDF report, compiled in-process by typst from `templates/report.typ`.
//!
//! The template reads the report as JSON data, never as spliced markup. Fonts
//! come from typst-assets, the date from the snapshot, and the creator string
//! is pinned, so the same inputs give the same PDF bytes. The output is
//! PDF/A-3b with `snapshot.json` and `results.json` attached.

use std::collections::HashMap;

use chrono::{DateTime, Datelike, Timelike, Utc};
use typst::diag::{FileError, FileResult};
use typst::foundations::{Bytes, Datetime, Duration, Smart};
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World, WorldExt};
use typst_layout::PagedDocument;
use typst_pdf::{PdfOptions, PdfStandard, PdfStandards, Timestamp};

use super::{RenderError, Report};

const TEMPLATE: &str = include_str!("../../templates/report.typ");

/// Fonts are parsed once per process; typst keeps them by index.
fn fonts() -> &'static (LazyHash<FontBook>, Vec<Font>) {
    static FONTS: std::sync::OnceLock<(LazyHash<FontBook>, Vec<Font>)> = std::sync::OnceLock::new();
    FONTS.get_or_init(|| {
        let fonts: Vec<Font> = typst_assets::fonts().flat_map(|data| Font::iter(Bytes::new(data))).collect();
        (LazyHash::new(FontBook::from_fonts(&fonts)), fonts)
    })
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

fn datetime(t: DateTime<Utc>) -> Datetime {
    Datetime::from_ymd_hms(t.year(), t.month() as u8, t.day() as u8, t.hour() as u8, t.minute() as u8, t.second() as u8)
        .expect("a chrono time is a valid typst time")
}

/// Compile the report to PDF/A-3b bytes.
pub fn pdf(
    report: &Report,
    pack_id: &str,
    snapshot_json: &str,
    results_json: &str,
    time: DateTime<Utc>,
) -> Result<Vec<u8>, RenderError> {
    let data = serde_json::json!({ "report": report, "pack_id": pack_id });
    let world = ReportWorld {
        main: Source::new(file_id("report.typ"), TEMPLATE.to_string()),
        files: HashMap::from([
            (file_id("data.json"), Bytes::new(serde_json::to_vec(&data).expect("report serialises"))),
            (file_id("snapshot.json"), Bytes::new(snapshot_json.as_bytes().to_vec())),
            (file_id("results.json"), Bytes::new(results_json.as_bytes().to_vec())),
        ]),
        today: datetime(time),
    };
    let compiled = typst::compile::<PagedDocument>(&world).output;
    let result = compiled.and_then(|doc| {
        let options = PdfOptions {
            ident: Smart::Custom(format!("evidence-pack/{pack_id}")),
            creator: Smart::Custom(Some(format!("evidence-pack {}", env!("CARGO_PKG_VERSION")))),
            timestamp: Some(Timestamp::new_utc(datetime(time))),
            standards: PdfStandards::new(&[PdfStandard::A_3b]).expect("PDF/A-3b is a valid standard"),
            // Tagging costs about a tenth of the render time on a big estate,
            // PDF/A-3b does not require it, and report.html is the
            // accessible form of the same report.
            tagged: false,
            ..PdfOptions::default()
        };
        typst_pdf::pdf(&doc, &options)
    });
    // typst memoises across compilations; a long-running process (or a big
    // estate) would otherwise keep every intermediate result.
    comemo::evict(0);
    result.map_err(|diags| {
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
    })
}
