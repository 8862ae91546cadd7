//! `results.oscal.json`: the pack's results as an OSCAL v1.2.1 Assessment
//! Results document, the format GRC platforms import.
//!
//! One result for the run. Each item of evidence is an observation: every
//! snapshot resource (with the API operation, time, account and region it
//! was read with), every failed call, and every person's answer (with its
//! author). Each control is a finding whose target status is `satisfied` or
//! `not-satisfied`, linking the observations it was judged on; each
//! exception is a risk with its deadline. evidence-pack's six statuses map
//! onto OSCAL's two as [`objective`] says; the exact status is kept in a
//! property of each finding.
//!
//! UUIDs are version 5, derived from the pack's content (snapshot, catalog
//! and inputs), and times come from the snapshot, so the same inputs give
//! the same bytes. Observations are written as they are serialised, not
//! held: an estate of 100,000 resources does not hold 100,000 of them.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Datelike, NaiveDate, Timelike, Utc};
use serde::Serialize;
use serde::ser::{SerializeSeq, Serializer};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::escape;
use crate::evaluate::{Catalog, ControlBody, ControlResult, Inputs, Results, Status};
use crate::snapshot::Snapshot;

pub const OSCAL_VERSION: &str = "1.2.1";

/// The namespace of evidence-pack's own properties (OSCAL requires one for
/// any property it does not define).
pub const NS: &str = "https://github.com/evidence-pack/evidence-pack/oscal";

/// A time the document would have to state that OSCAL's date-time type
/// cannot hold (its pattern allows years 1900 to 2999): a corrupt or
/// crafted snapshot or input.
#[derive(Debug, thiserror::Error)]
#[error("{what} is dated {time}, which an OSCAL date-time cannot state (years 1900 to 2999): {hint}")]
pub struct OscalError {
    pub what: String,
    pub time: String,
    pub hint: &'static str,
}

/// How a control's status reads in OSCAL, whose objectives are only
/// `satisfied` or `not-satisfied`: (state, reason, remark).
///
/// Only evidence that the control is met satisfies it: `error` (evidence
/// missing) and `manual` (no current answer) are not-satisfied with reason
/// `other`, so a GRC tool never counts them as met. `excepted` is
/// not-satisfied (`fail`): it fails, and the accepted risk is a linked risk
/// with status `deviation-approved`. `not_applicable` (nothing in scope, so
/// nothing that could fail) is satisfied with reason `other`.
pub fn objective(status: Status) -> (&'static str, &'static str, &'static str) {
    match status {
        Status::Pass => ("satisfied", "pass", "Every resource in scope complies."),
        Status::Fail => ("not-satisfied", "fail", "One or more resources do not comply."),
        Status::Excepted => (
            "not-satisfied",
            "fail",
            "It fails, and every failing resource is covered by an accepted risk (see the related risks).",
        ),
        Status::Error => (
            "not-satisfied",
            "other",
            "Evidence could not be collected (see the related observations), so the control is not shown to be met.",
        ),
        Status::Manual => ("not-satisfied", "other", "It needs a person's answer, and has none that is current."),
        Status::NotApplicable => ("satisfied", "other", "Nothing is in scope, so nothing can fail."),
    }
}

/// A version 5 UUID (RFC 9562: SHA-1 of the namespace and the name), from
/// `sha1` and uuid's builder (see Cargo.toml for why not uuid's `v5`).
fn v5(namespace: &Uuid, name: &[u8]) -> Uuid {
    use sha1::Digest as _;
    let mut h = sha1::Sha1::new();
    h.update(namespace.as_bytes());
    h.update(name);
    let digest = h.finalize();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_sha1_bytes(bytes).into_uuid()
}

/// The namespace every document's own namespace is derived from.
fn root() -> Uuid {
    v5(&Uuid::NAMESPACE_URL, NS.as_bytes())
}

/// Parts joined so that no two lists of parts give the same bytes.
fn key(parts: &[&str]) -> Vec<u8> {
    let mut out = Vec::new();
    for p in parts {
        out.extend_from_slice(p.len().to_string().as_bytes());
        out.push(b':');
        out.extend_from_slice(p.as_bytes());
    }
    out
}

/// A UUID, written as OSCAL writes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Id(Uuid);

impl Serialize for Id {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&self.0.hyphenated())
    }
}

/// OSCAL's date-time pattern: years 1900 to 2999, and (a quirk of the
/// pattern) no 29 February before 2000.
fn representable(d: NaiveDate) -> bool {
    (1900..=2999).contains(&d.year()) && !(d.year() < 2000 && d.month() == 2 && d.day() == 29)
}

/// `t` in RFC 3339 as OSCAL's pattern takes it (a leap second, which
/// chrono prints as `:60`, is written as the end of the second before).
/// Only for times [`representable`].
fn time(t: DateTime<Utc>) -> String {
    let t = if t.nanosecond() >= 1_000_000_000 { t.with_nanosecond(999_999_999).unwrap_or(t) } else { t };
    t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}

fn checked(t: DateTime<Utc>, what: impl FnOnce() -> String, hint: &'static str) -> Result<String, OscalError> {
    if representable(t.date_naive()) {
        Ok(time(t))
    } else {
        Err(OscalError { what: what(), time: t.to_rfc3339(), hint })
    }
}

fn midnight(d: NaiveDate) -> DateTime<Utc> {
    d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc()
}

/// Input text as an OSCAL string: one line, no leading or trailing space,
/// never empty, and nothing that could repaint or reorder what a person
/// reads (written as `\u{…}`).
fn plain(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for word in s.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        for c in word.chars() {
            if crate::text::is_unsafe(c) {
                out.push_str(&format!("\\u{{{:x}}}", c as u32));
            } else {
                out.push(c);
            }
        }
    }
    if out.is_empty() { "-".into() } else { out }
}

/// Input text as OSCAL markup of one line: Markdown that shows exactly the
/// text (a name cannot become a link or an image in a GRC tool).
fn line(s: &str) -> String {
    let out = escape::inline(s.trim());
    if out.trim().is_empty() { "-".into() } else { out }
}

/// A control id as an OSCAL token (`^(\p{L}|_)(\p{L}|\p{N}|[.\-_])*$`):
/// as it is when it is one, else with `_` in front and each other character
/// as `_`. The exact id is in the finding's `control-id` property.
fn token(s: &str) -> String {
    let ok = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_');
    let mut out: String = s.chars().map(|c| if ok(c) { c } else { '_' }).collect();
    if !out.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
        out.insert(0, '_');
    }
    out
}

/// A pack member's name as a relative URI reference.
fn href(member: &str) -> String {
    member.split('/').map(|p| urlencoding::encode(p).into_owned()).collect::<Vec<_>>().join("/")
}

#[derive(Serialize)]
struct Prop {
    name: &'static str,
    ns: &'static str,
    value: String,
}

fn prop(name: &'static str, value: &str) -> Prop {
    Prop { name, ns: NS, value: plain(value) }
}

#[derive(Serialize)]
struct Document<'a> {
    #[serde(rename = "assessment-results")]
    assessment_results: AssessmentResults<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct AssessmentResults<'a> {
    uuid: Id,
    metadata: Metadata,
    import_ap: ImportAp,
    results: [RunResult<'a>; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct Metadata {
    title: String,
    last_modified: String,
    version: String,
    oscal_version: &'static str,
    props: Vec<Prop>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    parties: Vec<Party>,
}

#[derive(Serialize)]
struct Party {
    uuid: Id,
    #[serde(rename = "type")]
    kind: &'static str,
    name: String,
}

#[derive(Serialize)]
struct ImportAp {
    href: &'static str,
    remarks: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct RunResult<'a> {
    uuid: Id,
    title: String,
    description: String,
    start: String,
    end: String,
    props: Vec<Prop>,
    local_definitions: LocalDefinitions,
    reviewed_controls: ReviewedControls,
    #[serde(skip_serializing_if = "Observations::is_empty")]
    observations: Observations<'a>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    risks: Vec<Risk>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    findings: Vec<FindingOut>,
}

#[derive(Serialize)]
struct LocalDefinitions {
    components: [Component; 1],
}

#[derive(Serialize)]
struct Component {
    uuid: Id,
    #[serde(rename = "type")]
    kind: &'static str,
    title: String,
    description: String,
    props: Vec<Prop>,
    status: State,
}

#[derive(Serialize)]
struct State {
    state: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct ReviewedControls {
    control_selections: [Selection; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct Selection {
    description: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    include_all: Option<Empty>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    include_controls: Vec<ControlRef>,
}

#[derive(Serialize)]
struct Empty {}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct ControlRef {
    control_id: String,
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct Observation {
    uuid: Id,
    title: String,
    description: String,
    props: Vec<Prop>,
    methods: [&'static str; 1],
    origins: [Origin; 1],
    #[serde(skip_serializing_if = "Vec::is_empty")]
    relevant_evidence: Vec<Evidence>,
    collected: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    remarks: Option<String>,
}

#[derive(Serialize)]
struct Origin {
    actors: [Actor; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct Actor {
    #[serde(rename = "type")]
    kind: &'static str,
    actor_uuid: Id,
}

#[derive(Serialize)]
struct Evidence {
    href: String,
    description: String,
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct Risk {
    uuid: Id,
    title: String,
    description: String,
    statement: String,
    props: Vec<Prop>,
    status: &'static str,
    origins: [Origin; 1],
    #[serde(skip_serializing_if = "Option::is_none")]
    deadline: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    related_observations: Vec<RelatedObservation>,
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct RelatedObservation {
    observation_uuid: Id,
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct RelatedRisk {
    risk_uuid: Id,
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct FindingOut {
    uuid: Id,
    title: String,
    description: String,
    props: Vec<Prop>,
    origins: [Origin; 1],
    target: Target,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    related_observations: Vec<RelatedObservation>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    related_risks: Vec<RelatedRisk>,
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct Target {
    #[serde(rename = "type")]
    kind: &'static str,
    target_id: String,
    title: String,
    status: TargetStatus,
}

#[derive(Serialize)]
struct TargetStatus {
    state: &'static str,
    reason: &'static str,
    remarks: String,
}

/// Everything the observations are made from, and their ids.
struct Context<'a> {
    snapshot: &'a Snapshot,
    results: &'a Results,
    catalog: &'a Catalog,
    doc: Uuid,
    tool: Id,
    /// One id per snapshot resource, in snapshot order.
    resources: Vec<Id>,
    /// One id per collection error, in snapshot order.
    errors: Vec<Id>,
}

impl Context<'_> {
    fn id(&self, parts: &[&str]) -> Id {
        Id(v5(&self.doc, &key(parts)))
    }

    fn origin_tool(&self) -> [Origin; 1] {
        [Origin { actors: [Actor { kind: "tool", actor_uuid: self.tool }] }]
    }

    fn attestation_id(&self, control: &str) -> Id {
        self.id(&["attestation", control])
    }

    /// Controls with an answer, in catalog order.
    fn answered(&self) -> impl Iterator<Item = &ControlResult> + '_ {
        self.results.controls.iter().filter(|c| c.attestation.is_some())
    }
}

/// A person, as the same party in every document (by name).
fn party(name: &str) -> Id {
    Id(v5(&root(), &key(&["party", &plain(name)])))
}

/// The observations, made one at a time as they are written.
struct Observations<'a>(&'a Context<'a>);

impl Observations<'_> {
    fn is_empty(&self) -> bool {
        let c = self.0;
        c.snapshot.resources.is_empty() && c.snapshot.errors.is_empty() && c.answered().next().is_none()
    }
}

impl Serialize for Observations<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let c = self.0;
        let mut seq = s.serialize_seq(None)?;
        for (r, id) in c.snapshot.resources.iter().zip(&c.resources) {
            seq.serialize_element(&Observation {
                uuid: *id,
                title: line(&format!("{} {}", r.kind, r.id)),
                description: line(&format!(
                    "{} {} of account {} in {}, read with {} (the data as read is in snapshot.json).",
                    r.kind, r.id, r.account, r.region, r.source.operation
                )),
                props: vec![
                    prop("resource-type", &r.kind),
                    prop("resource-id", &r.id),
                    prop("account", &r.account),
                    prop("region", &r.region),
                    prop("operation", &r.source.operation),
                ],
                methods: ["EXAMINE"],
                origins: c.origin_tool(),
                relevant_evidence: vec![],
                collected: time(r.source.collected_at),
                remarks: None,
            })?;
        }
        for (e, id) in c.snapshot.errors.iter().zip(&c.errors) {
            seq.serialize_element(&Observation {
                uuid: *id,
                title: line(&format!("{} failed in {}/{}: {}", e.operation, e.account, e.region, e.code)),
                description: line(&format!(
                    "The call {} in account {}, region {}, returned {}: {} Evidence of {} is missing there.",
                    e.operation,
                    e.account,
                    e.region,
                    e.code,
                    e.message,
                    if e.resource_types.is_empty() { "-".to_string() } else { e.resource_types.join(", ") }
                )),
                props: vec![
                    prop("operation", &e.operation),
                    prop("error-code", &e.code),
                    prop("account", &e.account),
                    prop("region", &e.region),
                ],
                methods: ["EXAMINE"],
                origins: c.origin_tool(),
                relevant_evidence: vec![],
                collected: time(e.collected_at),
                remarks: None,
            })?;
        }
        for r in c.answered() {
            let Some(a) = &r.attestation else { continue };
            let control = c.catalog.get(&r.id);
            let choices: Vec<&str> = match control.map(|c| &c.body) {
                Some(ControlBody::Manual(m)) => {
                    m.choices.iter().filter(|ch| a.answer.contains(&ch.id)).map(|ch| ch.title.as_str()).collect()
                }
                _ => a.answer.iter().map(String::as_str).collect(),
            };
            let stale = match control.map(|c| &c.body) {
                Some(ControlBody::Manual(m)) => {
                    crate::evaluate::manual::stale_age(m, a, c.snapshot.collected_at.finished).map(|age| {
                        format!(
                            "Stale: {age} days old at the snapshot's time, past the {} days an answer to this control holds; it does not count.",
                            crate::evaluate::manual::max_age_days(m)
                        )
                    })
                }
                _ => None,
            };
            let mut props = vec![prop("control-id", &r.id), prop("author", &a.by), prop("date", &a.date.to_string())];
            props.extend(a.answer.iter().map(|x| prop("answer", x)));
            props.push(prop("stale", if stale.is_some() { "true" } else { "false" }));
            let mut evidence = vec![Evidence {
                href: href(crate::pack::ATTESTATIONS),
                description: "The answer as written, packed beside this document.".into(),
            }];
            for f in &a.evidence {
                let name = std::path::Path::new(f).file_name().map(|n| n.to_string_lossy().into_owned());
                if let Some(name) = name {
                    evidence.push(Evidence {
                        href: href(&format!("{}/{}/{name}", crate::pack::ATTESTATION_EVIDENCE, a.control)),
                        description: line(&format!("Evidence file attached to the answer: {name}")),
                    });
                }
            }
            seq.serialize_element(&Observation {
                uuid: c.attestation_id(&r.id),
                title: line(&format!("Answer to {}", r.id)),
                description: line(&format!(
                    "Answered by {} on {}: {}.{}",
                    a.by,
                    a.date,
                    choices.join("; "),
                    if a.note.trim().is_empty() { String::new() } else { format!(" {}", a.note.trim()) }
                )),
                props,
                methods: ["INTERVIEW"],
                origins: [Origin { actors: [Actor { kind: "party", actor_uuid: party(&a.by) }] }],
                relevant_evidence: evidence,
                collected: time(midnight(a.date)),
                remarks: stale,
            })?;
        }
        seq.end()
    }
}

/// The resource kinds a control reads: its check's kinds and lookups and
/// its evidence tables, or for a control made of others, those of every
/// control it includes and of its sections' tables.
fn kinds_of<'a>(catalog: &'a Catalog, id: &str) -> BTreeSet<&'a str> {
    let mut kinds = BTreeSet::new();
    let mut seen: BTreeSet<&str> = BTreeSet::new();
    let mut pending: Vec<&str> = vec![id];
    while let Some(id) = pending.pop() {
        let Some(c) = catalog.get(id) else { continue };
        if !seen.insert(c.id.as_str()) {
            continue;
        }
        kinds.extend(c.evidence.iter().map(String::as_str));
        match &c.body {
            ControlBody::Check(check) => {
                kinds.extend(check.resources.iter().map(String::as_str));
                kinds.extend(check.needs.iter().map(String::as_str));
            }
            ControlBody::Composite(sections) => {
                for s in sections {
                    kinds.extend(s.evidence.iter().map(String::as_str));
                    pending.extend(s.controls.iter().map(String::as_str));
                }
            }
            ControlBody::Manual(_) => {}
        }
    }
    kinds
}

/// What the document's namespace is derived from: everything the pack is
/// made from.
fn content_digest(snapshot_sha256: &str, catalog: &Catalog, inputs: &Inputs) -> String {
    let mut h = Sha256::new();
    for part in [snapshot_sha256, &catalog.sha256, &inputs.attestations.source, &inputs.exceptions.source] {
        h.update(key(&[part]));
    }
    for (name, bytes) in inputs.attestations.files() {
        h.update(key(&[name]));
        h.update(Sha256::digest(bytes));
    }
    hex::encode(h.finalize())
}

/// Every time the document states, checked before any is written.
fn check_times(snapshot: &Snapshot, results: &Results, inputs: &Inputs) -> Result<(), OscalError> {
    const SNAPSHOT_HINT: &str =
        "snapshot times come from the collecting machine's clock; collect again, or correct the snapshot";
    for t in [snapshot.collected_at.started, snapshot.collected_at.finished] {
        checked(t, || "the snapshot's collection".into(), SNAPSHOT_HINT)?;
    }
    for r in &snapshot.resources {
        checked(r.source.collected_at, || format!("resource {} of account {}", r.id, r.account), SNAPSHOT_HINT)?;
    }
    for e in &snapshot.errors {
        checked(e.collected_at, || format!("the failed call {} of account {}", e.operation, e.account), SNAPSHOT_HINT)?;
    }
    for r in results.controls.iter().filter_map(|c| c.attestation.as_ref()) {
        checked(
            midnight(r.date),
            || format!("{}: the answer to {}", inputs.attestations.path, r.control),
            "correct the answer's `date`",
        )?;
    }
    Ok(())
}

/// The OSCAL Assessment Results document of a pack, as pretty JSON with a
/// trailing newline (like the pack's other JSON).
pub fn document(
    snapshot: &Snapshot,
    snapshot_sha256: &str,
    catalog: &Catalog,
    results: &Results,
    inputs: &Inputs,
) -> Result<String, OscalError> {
    check_times(snapshot, results, inputs)?;
    let doc = v5(&root(), content_digest(snapshot_sha256, catalog, inputs).as_bytes());
    let tool = Id(v5(&root(), &key(&["tool", &snapshot.tool.to_string()])));
    let mut ctx = Context { snapshot, results, catalog, doc, tool, resources: vec![], errors: vec![] };
    ctx.resources = snapshot
        .resources
        .iter()
        .enumerate()
        .map(|(i, r)| ctx.id(&["resource", &i.to_string(), &r.kind, &r.account, &r.region, &r.id]))
        .collect();
    ctx.errors = snapshot
        .errors
        .iter()
        .enumerate()
        .map(|(i, e)| ctx.id(&["error", &i.to_string(), &e.account, &e.region, &e.operation, &e.code]))
        .collect();

    let by_kind: BTreeMap<&str, Vec<usize>> =
        snapshot.resources.iter().enumerate().fold(BTreeMap::new(), |mut m, (i, r)| {
            m.entry(r.kind.as_str()).or_insert_with(Vec::new).push(i);
            m
        });
    // Failing and excepted resources, found once among all of them.
    let wanted: BTreeSet<(&str, &str, &str)> = results
        .controls
        .iter()
        .flat_map(|c| c.failing.iter().map(|f| (f.account.as_str(), f.region.as_str(), f.id.as_str())))
        .collect();
    let mut by_resource: HashMap<(&str, &str, &str), Vec<usize>> = HashMap::new();
    for (i, r) in snapshot.resources.iter().enumerate() {
        let k = (r.account.as_str(), r.region.as_str(), r.id.as_str());
        if wanted.contains(&k) {
            by_resource.entry(k).or_default().push(i);
        }
    }
    let error_index = |e: &crate::snapshot::CollectionError| -> Vec<usize> {
        snapshot
            .errors
            .iter()
            .enumerate()
            .filter(|(_, x)| {
                (&x.account, &x.region, &x.operation, &x.code) == (&e.account, &e.region, &e.operation, &e.code)
            })
            .map(|(i, _)| i)
            .collect()
    };

    let now = snapshot.collected_at.finished;
    let mut risks = Vec::new();
    let mut risks_of: BTreeMap<&str, Vec<Id>> = BTreeMap::new();
    for (i, e) in inputs.exceptions.exceptions.iter().enumerate() {
        let uuid = ctx.id(&["risk", &i.to_string(), &e.control]);
        risks_of.entry(e.control.as_str()).or_default().push(uuid);
        let matched: Vec<usize> = results
            .get(&e.control)
            .map(|r| {
                r.failing
                    .iter()
                    .filter(|f| e.covers(&f.id, &f.name))
                    .flat_map(|f| {
                        by_resource
                            .get(&(f.account.as_str(), f.region.as_str(), f.id.as_str()))
                            .cloned()
                            .unwrap_or_default()
                    })
                    .collect()
            })
            .unwrap_or_default();
        let matched: Vec<usize> = matched.into_iter().collect::<BTreeSet<_>>().into_iter().collect();
        let nth = inputs.exceptions.exceptions[..i].iter().filter(|x| x.control == e.control).count();
        let active =
            results.get(&e.control).and_then(|r| r.exceptions.get(nth)).map_or_else(|| e.active(now), |n| n.active);
        let misses = e.misses(results);
        let patterns = e.resources.join(", ");
        let mut props = vec![
            prop("control-id", &e.control),
            prop("approver", &e.approver),
            prop("expires", &e.expires.to_string()),
            prop("applies", if active { "true" } else { "false" }),
            prop("matched", &matched.len().to_string()),
        ];
        props.extend(e.resources.iter().map(|p| prop("resource-pattern", p)));
        let deadline = e.expires.and_hms_opt(23, 59, 59).map(|d| d.and_utc()).filter(|d| representable(d.date_naive()));
        risks.push(Risk {
            uuid,
            title: line(&format!("Accepted risk on {}", e.control)),
            description: line(&format!(
                "{}{}",
                e.justification.trim(),
                match &misses {
                    Some(why) => format!(" (It matched nothing: {why}.)"),
                    None => String::new(),
                }
            )),
            statement: line(&format!(
                "Failures of {} on resources matching {patterns} are accepted by {} until {} (through that day, UTC){}.",
                e.control,
                e.approver,
                e.expires,
                if active { "" } else { "; it has expired and no longer applies" }
            )),
            props,
            // A lapsed exception leaves the risk open again.
            status: if active { "deviation-approved" } else { "open" },
            origins: [Origin { actors: [Actor { kind: "party", actor_uuid: party(&e.approver) }] }],
            deadline: deadline.map(time),
            related_observations: matched
                .iter()
                .map(|i| RelatedObservation { observation_uuid: ctx.resources[*i] })
                .collect(),
        });
    }

    let mut findings = Vec::with_capacity(results.controls.len());
    for r in &results.controls {
        let mut observed: BTreeSet<usize> = BTreeSet::new();
        for k in kinds_of(catalog, &r.id) {
            observed.extend(by_kind.get(k).into_iter().flatten());
        }
        let errors: BTreeSet<usize> = r.evidence_errors.iter().flat_map(error_index).collect();
        let mut related: Vec<RelatedObservation> =
            observed.iter().map(|i| RelatedObservation { observation_uuid: ctx.resources[*i] }).collect();
        related.extend(errors.iter().map(|i| RelatedObservation { observation_uuid: ctx.errors[*i] }));
        if r.attestation.is_some() {
            related.push(RelatedObservation { observation_uuid: ctx.attestation_id(&r.id) });
        }
        let (state, reason, remark) = objective(r.status);
        let mut props = vec![
            prop("control-id", &r.id),
            prop("status", r.status.as_str()),
            prop("severity", &format!("{:?}", r.severity).to_lowercase()),
            prop("evaluated", &r.evaluated.to_string()),
            prop("failing", &r.failing.len().to_string()),
        ];
        for (framework, refs) in &r.frameworks {
            props.extend(refs.iter().map(|x| prop("framework-reference", &format!("{framework}: {x}"))));
        }
        props.extend(
            r.accounts.iter().map(|a| prop("account-status", &format!("{}: {}", a.account, a.status.as_str()))),
        );
        findings.push(FindingOut {
            uuid: ctx.id(&["finding", &r.id]),
            title: line(&format!("{}: {}", r.id, r.title)),
            description: line(&r.reason),
            props,
            origins: ctx.origin_tool(),
            target: Target {
                kind: "objective-id",
                target_id: token(&r.id),
                title: line(&r.title),
                status: TargetStatus { state, reason, remarks: remark.to_string() },
            },
            related_observations: related,
            related_risks: risks_of
                .get(r.id.as_str())
                .into_iter()
                .flatten()
                .map(|id| RelatedRisk { risk_uuid: *id })
                .collect(),
        });
    }

    let mut parties: BTreeMap<String, Id> = BTreeMap::new();
    for a in results.controls.iter().filter_map(|c| c.attestation.as_ref()) {
        parties.insert(plain(&a.by), party(&a.by));
    }
    for e in &inputs.exceptions.exceptions {
        parties.insert(plain(&e.approver), party(&e.approver));
    }
    let accounts: Vec<&str> = snapshot.accounts.iter().map(|a| a.account_id.as_str()).collect();
    let mut result_props: Vec<Prop> = accounts.iter().map(|a| prop("account", a)).collect();
    result_props.extend(snapshot.regions().into_iter().map(|r| prop("region", r)));
    result_props.push(prop("snapshot-sha256", snapshot_sha256));
    let selection = Selection {
        description: line(&format!("Every control of the catalog {} (version {}).", catalog.name, catalog.version)),
        include_all: results.controls.is_empty().then_some(Empty {}),
        include_controls: results.controls.iter().map(|c| ControlRef { control_id: token(&c.id) }).collect(),
    };
    let document = Document {
        assessment_results: AssessmentResults {
            uuid: Id(doc),
            metadata: Metadata {
                title: line(&format!("AWS security evidence: {}", catalog.name)),
                last_modified: time(snapshot.collected_at.finished),
                version: plain(&format!(
                    "catalog {} version {}, snapshot sha256 {snapshot_sha256}",
                    catalog.name, catalog.version
                )),
                oscal_version: OSCAL_VERSION,
                props: vec![
                    prop("catalog", &catalog.name),
                    prop("catalog-version", &catalog.version.to_string()),
                    prop("catalog-sha256", &catalog.sha256),
                    prop("snapshot-sha256", snapshot_sha256),
                    prop("tool", &snapshot.tool.to_string()),
                ],
                parties: parties.into_iter().map(|(name, uuid)| Party { uuid, kind: "person", name }).collect(),
            },
            import_ap: ImportAp {
                href: crate::pack::CONTROLS,
                remarks: "There is no separate OSCAL assessment plan: the plan is the control catalog applied, packed beside this document as controls.yaml.",
            },
            results: [RunResult {
                uuid: ctx.id(&["result"]),
                title: line(&format!(
                    "Evidence pack of {} account{}",
                    accounts.len(),
                    if accounts.len() == 1 { "" } else { "s" }
                )),
                description: line(&format!(
                    "The controls of {} evaluated by {} over the snapshot of account{} {}. Each observation is one item of evidence: a resource as read from AWS, a call that failed, or a person's answer. Each finding is one control.",
                    catalog.name,
                    snapshot.tool,
                    if accounts.len() == 1 { "" } else { "s" },
                    accounts.join(", ")
                )),
                start: time(snapshot.collected_at.started),
                end: time(snapshot.collected_at.finished),
                props: result_props,
                local_definitions: LocalDefinitions {
                    components: [Component {
                        uuid: tool,
                        kind: "software",
                        title: line(&snapshot.tool.name),
                        description: line(&format!(
                            "{}: collects the evidence and evaluates the controls.",
                            snapshot.tool
                        )),
                        props: vec![prop("version", &snapshot.tool.version)],
                        status: State { state: "operational" },
                    }],
                },
                reviewed_controls: ReviewedControls { control_selections: [selection] },
                observations: Observations(&ctx),
                risks,
                findings,
            }],
        },
    };
    // Compact: one observation per resource makes this the pack's largest
    // file on a big estate (221 MB pretty-printed for 100,000 resources,
    // about half that compact), and tools read it, not people.
    let mut out = serde_json::to_string(&document).expect("an OSCAL document serialises");
    out.push('\n');
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 9562's example of a version 5 UUID (appendix A.4), as Python's
    /// `uuid.uuid5(uuid.NAMESPACE_DNS, "www.example.com")` gives it.
    #[test]
    fn v5_is_rfc_9562_s() {
        assert_eq!(v5(&Uuid::NAMESPACE_DNS, b"www.example.com").to_string(), "2ed6657d-e927-568b-95e1-2665a8aea6a2");
    }

    #[test]
    fn strings_fit_oscal_s_types() {
        assert_eq!(plain("  a\n\tb\u{202e}c  "), "a b\\u{202e}c");
        assert_eq!(plain(" \n "), "-");
        assert_eq!(line("[x](javascript:y)\nz"), "\\[x\\](javascript:y) z");
        assert_eq!(line(""), "-");
        for (id, t) in
            [("EC2.14", "EC2.14"), ("1abc", "_1abc"), ("SEC-002", "SEC-002"), ("a b/c", "a_b_c"), ("王1", "_1")]
        {
            assert_eq!(token(id), t, "{id}");
        }
        assert_eq!(href("attestations/SO1.Q1/a b.png"), "attestations/SO1.Q1/a%20b.png");
    }

    /// OSCAL's date-time pattern takes years 1900 to 2999 (and, a quirk of
    /// it, no 29 February before 2000); a leap second is written as :59.
    #[test]
    fn times_follow_oscal_s_pattern() {
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        assert!(representable(d("1900-01-01")) && representable(d("2999-12-31")) && representable(d("2024-02-29")));
        assert!(!representable(d("1899-12-31")) && !representable(d("3000-01-01")) && !representable(d("1996-02-29")));
        let t: DateTime<Utc> = "2026-11-22T12:37:35.934884239Z".parse().unwrap();
        assert_eq!(time(t), "2026-11-22T12:37:35.934884239Z");
        let leap = "2016-12-31T23:59:60.5Z".parse::<DateTime<Utc>>().unwrap();
        assert_eq!(time(leap), "2016-12-31T23:59:59.999999999Z");
    }

    #[test]
    fn a_snapshot_oscal_cannot_date_is_refused_with_what_to_correct() {
        let mut snapshot = Snapshot::from_json("example", crate::EXAMPLE_SNAPSHOT).unwrap();
        snapshot.resources[0].source.collected_at = "3000-01-01T00:00:00Z".parse().unwrap();
        let catalog = Catalog::builtin();
        let results = crate::evaluate::evaluate(&snapshot, &catalog);
        let err = document(&snapshot, "x", &catalog, &results, &Inputs::default()).unwrap_err().to_string();
        assert!(err.starts_with(&format!("resource {} of account", snapshot.resources[0].id)), "{err}");
        assert!(err.contains("3000-01-01") && err.contains("collect again"), "{err}");
    }
}
