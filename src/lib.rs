//! evidence-pack: turn an AWS account's security posture into a signed,
//! hashed, zipped audit evidence pack.
//!
//! The pipeline is `collect → snapshot → evaluate → render → seal`; each
//! stage is a module, and only [`collect`] talks to AWS.

pub mod collect;
pub mod diff;
pub mod evaluate;
pub mod fs;
pub mod pack;
pub mod render;
pub mod seal;
pub mod snapshot;
pub mod text;

use evaluate::{Catalog, Inputs, Results};
use seal::{Member, SealError, Signer};
use snapshot::Snapshot;

/// The example account bundled for `evidence-pack demo`, modelled on a
/// hand-made SEC-002 evidence document.
pub const EXAMPLE_SNAPSHOT: &str = include_str!("../examples/snapshot.json");

/// The git commit this binary was built from (see build.rs), or "unknown".
pub const COMMIT: &str = env!("EVIDENCE_PACK_COMMIT");

/// What identifies this binary in `--version`, in a snapshot's `tool` block
/// and on the report cover: its version, commit and built-in catalog.
pub fn tool() -> snapshot::Tool {
    snapshot::Tool {
        name: env!("CARGO_PKG_NAME").into(),
        version: env!("CARGO_PKG_VERSION").into(),
        commit: Some(COMMIT.into()),
        catalog_sha256: Some(evaluate::catalog::builtin_sha256()),
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PackError {
    #[error(transparent)]
    Render(#[from] render::RenderError),
    #[error(transparent)]
    Seal(#[from] SealError),
    #[error(transparent)]
    Input(#[from] evaluate::InputError),
    #[error(transparent)]
    Baseline(#[from] diff::DiffError),
    #[error(transparent)]
    Oscal(#[from] render::oscal::OscalError),
}

pub struct Pack {
    pub zip: Vec<u8>,
    pub results: Results,
    /// SHA-256 of `SHA256SUMS` without the `report.pdf` line.
    pub id: String,
}

/// Evaluate, render and seal: everything after collection. Reads no clock
/// and no network, so the same snapshot, catalog and key give the same bytes.
pub fn pack(snapshot: &Snapshot, catalog: &Catalog, inputs: &Inputs, signer: &Signer) -> Result<Pack, PackError> {
    pack_with(snapshot, catalog, inputs, signer, None)
}

/// [`pack`], compared with an earlier pack (`--baseline`): the report opens
/// with what changed since it, results.json names it, and findings.csv
/// keeps its findings' first sighting. The baseline is read already, so
/// this still reads no clock, network or file.
pub fn pack_with(
    snapshot: &Snapshot,
    catalog: &Catalog,
    inputs: &Inputs,
    signer: &Signer,
    baseline: Option<&diff::PackView>,
) -> Result<Pack, PackError> {
    prepare(snapshot, catalog, inputs, baseline)?.seal(signer)
}

/// A pack but for its PDF and seal: everything that reads the snapshot.
/// Each file is hashed and compressed once made (the two the PDF attaches
/// are inflated again for it). The snapshot's parsed resources are the
/// largest thing a large estate holds in memory: a caller that owns it
/// drops it before [`Prepared::seal`], so typst lays out the PDF without it.
pub struct Prepared {
    report: render::Report,
    members: Vec<Member>,
    results: Results,
    time: chrono::DateTime<chrono::Utc>,
}

/// Evaluate and render all but the PDF (see [`Prepared`]).
pub fn prepare(
    snapshot: &Snapshot,
    catalog: &Catalog,
    inputs: &Inputs,
    baseline: Option<&diff::PackView>,
) -> Result<Prepared, PackError> {
    // Inputs name controls and pack members: never pack ones the catalog
    // has not vouched for, whoever built them.
    inputs.check(catalog)?;
    let time = snapshot.collected_at.finished;
    let snapshot_json = Member::new(pack::SNAPSHOT, snapshot.to_json(), time)?;
    let mut results = evaluate::evaluate_with(snapshot, catalog, inputs);
    results.baseline = baseline.map(diff::PackView::reference);
    let results_json = results.to_json().into_bytes();
    let first_seen = |id: &str| baseline.and_then(|b| b.first_seen(id));
    let findings = evaluate::finding::to_csv(&evaluate::finding::rows(
        snapshot,
        catalog,
        &results,
        &inputs.exceptions,
        &first_seen,
    ));
    let snapshot_sha256 = snapshot_json.sha256.clone();
    let mut report = render::build(snapshot, &snapshot_sha256, catalog, &results);
    report.register = evaluate::exceptions::register(&inputs.exceptions, &results, time);
    let oscal = render::oscal::document(snapshot, &snapshot_sha256, catalog, &results, inputs)?;
    let oscal = Member::new(pack::RESULTS_OSCAL, oscal, time)?;
    if let Some(old) = baseline {
        let members = std::collections::BTreeMap::from([
            (pack::RESULTS.to_string(), results_json.clone()),
            (pack::FINDINGS.to_string(), findings.clone()),
            (pack::CONTROLS.to_string(), catalog.source.clone().into_bytes()),
        ]);
        let collected = time.format("%Y-%m-%d %H:%M UTC").to_string();
        let new = diff::PackView::from_members("this pack", "", "", &collected, None, &members)?;
        report.changes = Some(diff::compare(old, &new).chapter());
    }
    let markdown = render::markdown(&report)?;
    let mut members = vec![
        oscal,
        Member::new(pack::CONTROLS, &catalog.source, time)?,
        Member::new(pack::FINDINGS, findings, time)?,
        Member::new(pack::REPORT_HTML, render::html(&markdown, &report.title), time)?,
        Member::new(pack::REPORT_MD, markdown, time)?,
        Member::new(pack::RESULTS, results_json, time)?,
        snapshot_json,
    ];
    // What people added travels with the pack, hashed like the rest.
    if !inputs.attestations.source.is_empty() {
        members.push(Member::new(pack::ATTESTATIONS, &inputs.attestations.source, time)?);
        for (name, bytes) in inputs.attestations.files() {
            members.push(Member::new(name, bytes, time)?);
        }
    }
    if !inputs.exceptions.source.is_empty() {
        members.push(Member::new(pack::EXCEPTIONS, &inputs.exceptions.source, time)?);
    }
    // Every row of the evidence, a CSV per kind; the report summarises them.
    for (name, bytes) in std::mem::take(&mut report.evidence_csv) {
        members.push(Member::new(name, bytes, time)?);
    }
    Ok(Prepared { report, members, results, time })
}

impl Prepared {
    /// Compile the PDF and seal the pack.
    pub fn seal(self, signer: &Signer) -> Result<Pack, PackError> {
        let Prepared { report, mut members, results, time } = self;
        // The PDF shows the pack id, so the id covers every file but the PDF.
        let id = pack::id(&seal::manifest(&members));
        // The PDF attaches the pack's own snapshot.json and results.json.
        let whole = |name: &str| members.iter().find(|m| m.name == name).expect("`prepare` packs it").bytes();
        let (mut snapshot_json, mut results_json) = (whole(pack::SNAPSHOT)?, whole(pack::RESULTS)?);
        let mut attach = [(pack::SNAPSHOT, &mut snapshot_json), (pack::RESULTS, &mut results_json)];
        let pdf = render::pdf::pdf(&report, &id, &mut attach, time)?;
        drop((report, snapshot_json, results_json));
        members.push(Member::new(pack::REPORT_PDF, pdf, time)?);
        let zip = seal::seal(members, signer, time)?;
        Ok(Pack { zip, results, id })
    }
}
