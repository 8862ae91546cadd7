//! What people add to the automated evidence: answers to manual controls
//! (`attestations.yaml`) and accepted risks (`exceptions.yaml`).
//!
//! Both files come from people, so nothing in them is trusted: control ids
//! go into pack member names and onto the terminal and get a strict
//! character set, they must name controls of the catalog, and evidence
//! files are read only from inside the attestations file's own folder.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use cel::{Context, Program, Value};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_saphyr::Spanned;

use super::catalog::{Catalog, ControlBody, Located, Manual, Pos, Risk, from_yaml};
use super::{Inputs, Results, Status};
use crate::fs::{self, FsError, Links, cap};
use crate::text::terminal;

#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error(transparent)]
    Read(#[from] FsError),
    #[error(transparent)]
    Invalid(#[from] Located),
}

/// Longest control id an input may name.
pub const MAX_ID: usize = 64;

/// Why `id` cannot name a control in an input, or `None` when it can.
pub fn id_problem(id: &str) -> Option<&'static str> {
    let mut chars = id.chars();
    match chars.next() {
        None => return Some("it is empty"),
        Some(c) if !c.is_ascii_alphanumeric() => return Some("it must start with a letter or a digit"),
        Some(_) => {}
    }
    if !chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')) {
        return Some("it may contain only the letters A-Z and a-z, digits, '.', '_' and '-'");
    }
    if id.len() > MAX_ID {
        return Some("it is longer than 64 characters");
    }
    None
}

/// Input text quoted in a message: as written, unless it holds control
/// characters or bidi overrides, which could forge lines or reorder text on
/// a terminal.
fn shown(s: &str) -> Cow<'_, str> {
    if s.chars().any(crate::text::is_unsafe) { terminal(s) } else { Cow::Borrowed(s) }
}

const ID_HINT: &str = "write the control's id exactly as the catalog has it (such as SO1.Q1 or EC2.14)";
const EVIDENCE_HINT: &str = "list each evidence file by a path relative to the folder of the attestations file, and keep it there as a regular file (not a link, a device or a pipe)";

fn located(path: &str, pos: Pos, message: String, hint: &str) -> Located {
    Located {
        path: if path.is_empty() { "(inputs)".into() } else { path.to_string() },
        line: pos.line,
        column: pos.column,
        message,
        hint: hint.to_string(),
    }
}

/// The name an evidence file gets inside the pack, refused when a pack
/// could not hold it as written.
fn member_name(control: &str, evidence: &str) -> Result<String, String> {
    let file = Path::new(evidence).file_name().and_then(|n| n.to_str()).ok_or("it names no file")?;
    let name = format!("{}/{control}/{file}", crate::pack::ATTESTATION_EVIDENCE);
    match crate::seal::name::problem(&name) {
        Some(why) => Err(format!("it would be packed as '{}', which a pack cannot hold: {why}", shown(&name))),
        None => Ok(name),
    }
}

/// Where a file read as `path` keeps what it names.
fn folder_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// What the catalog offers for `kind`, for hints: the controls a person
/// answers (manual ones and those made of others), or the automated checks.
fn ids_of(catalog: &Catalog, manual: bool) -> String {
    let ids: Vec<&str> = catalog
        .controls
        .iter()
        .filter(|c| match c.body {
            ControlBody::Manual(_) | ControlBody::Composite(_) => manual,
            ControlBody::Check(_) => !manual,
        })
        .map(|c| c.id.as_str())
        .collect();
    if ids.len() > 12 { format!("{}, …", ids[..12].join(", ")) } else { ids.join(", ") }
}

/// The answers a person may give a control made of others, and the status
/// each gives it. Such a control has no choices of its own; it needs an
/// answer only when its evaluation reads `manual` (a section with no
/// evidence in scope), and then says whether the section's purpose is met.
pub const COMPOSITE_ANSWERS: &[(&str, Status, &str)] = &[
    ("in_place", Status::Pass, "in place"),
    ("not_in_place", Status::Fail, "not in place"),
    ("not_applicable", Status::NotApplicable, "not applicable"),
];

/// The status an attestation gives a control made of others, or why it
/// gives none.
pub fn composite_answer(a: &Attestation) -> Result<(Status, &'static str), String> {
    match a.answer.as_slice() {
        [one] => COMPOSITE_ANSWERS
            .iter()
            .find(|(id, ..)| id == one)
            .map(|(_, status, label)| (*status, *label))
            .ok_or_else(|| format!("the answer '{}' is not one of {}", shown(one), composite_answer_ids())),
        _ => Err(format!("it answers with {} choices, not one of {}", a.answer.len(), composite_answer_ids())),
    }
}

fn composite_answer_ids() -> String {
    COMPOSITE_ANSWERS.iter().map(|(id, ..)| *id).collect::<Vec<_>>().join(", ")
}

/// One answer to a manual control.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Attestation {
    pub control: String,
    /// The chosen choice ids.
    pub answer: Vec<String>,
    pub by: String,
    pub date: NaiveDate,
    #[serde(default)]
    pub note: String,
    /// Files that back the answer, relative to the attestations file; they
    /// go into the pack under `attestations/`.
    #[serde(default)]
    pub evidence: Vec<String>,
}

/// [`Attestation`] as written, with positions for messages.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAttestations {
    attestations: Vec<RawAttestation>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAttestation {
    control: Spanned<String>,
    answer: Vec<String>,
    by: String,
    date: NaiveDate,
    #[serde(default)]
    note: String,
    #[serde(default)]
    evidence: Vec<Spanned<String>>,
}

#[derive(Debug, Clone, PartialEq)]
struct AttestationSpots {
    control: Pos,
    evidence: Vec<Pos>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Attestations {
    pub attestations: Vec<Attestation>,
    /// The folder evidence files are read from: the attestations file's own.
    pub base: PathBuf,
    /// The file exactly as read; packed as `attestations.yaml`.
    pub source: String,
    /// The file's name as messages show it.
    pub path: String,
    spots: Vec<AttestationSpots>,
    /// Evidence files by member name, read once at load, so what is packed
    /// is exactly what was checked.
    files: BTreeMap<String, Vec<u8>>,
}

/// An accepted risk: failures of `control` on matching resources show as
/// `excepted` until `expires`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Exception {
    pub control: String,
    /// Resource ids or names; `*` and `?` match any text, as in shell globs.
    pub resources: Vec<String>,
    pub justification: String,
    pub approver: String,
    pub expires: NaiveDate,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawExceptions {
    exceptions: Vec<RawException>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawException {
    control: Spanned<String>,
    resources: Vec<Spanned<String>>,
    justification: String,
    approver: String,
    expires: NaiveDate,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Exceptions {
    pub exceptions: Vec<Exception>,
    /// The file exactly as read; packed as `exceptions.yaml`.
    pub source: String,
    /// The file's name as messages show it.
    pub path: String,
    /// Where each exception's `control` stands.
    spots: Vec<Pos>,
    /// Exceptions expiring within this many days of the snapshot's time
    /// are warned of (`--warn-expiring`) and listed in the report's summary.
    pub warn_days: u32,
}

/// `--warn-expiring`'s default: a month's notice to renew or fix.
pub const DEFAULT_WARN_DAYS: u32 = 30;

impl Default for Exceptions {
    fn default() -> Exceptions {
        Exceptions {
            exceptions: Vec::new(),
            source: String::new(),
            path: String::new(),
            spots: Vec::new(),
            warn_days: DEFAULT_WARN_DAYS,
        }
    }
}

const NOWHERE: Pos = Pos { line: 0, column: 0 };

impl Inputs {
    /// Check the inputs against the catalog they will be applied with:
    /// every control they name exists and is of the kind they need.
    /// Run before any work, and by [`crate::pack`] itself.
    pub fn check(&self, catalog: &Catalog) -> Result<(), InputError> {
        self.attestations.check(catalog)?;
        self.exceptions.check(catalog)?;
        Ok(())
    }

    /// What is worth a person's attention in how the inputs applied, without
    /// stopping the run: exceptions that matched nothing.
    pub fn warnings(&self, results: &Results) -> Vec<Located> {
        self.exceptions.unmatched(results)
    }
}

impl Attestations {
    /// Read the file and every evidence file it lists.
    pub fn read(path: &Path) -> Result<Attestations, InputError> {
        let text = fs::read_text(path, cap::INPUT_YAML)?;
        let mut a = Attestations::parse(&path.display().to_string(), &text)?;
        a.base = folder_of(path);
        a.load_evidence()?;
        Ok(a)
    }

    /// The file's shape, its control ids and the names its evidence would
    /// get in the pack; evidence files are not read.
    pub fn parse(path: &str, text: &str) -> Result<Attestations, InputError> {
        let raw: RawAttestations = from_yaml(path, text, "see the README's section on attestations for the fields")?;
        let mut out = Attestations { path: path.to_string(), source: text.to_string(), ..Default::default() };
        let mut answered: BTreeMap<String, Pos> = BTreeMap::new();
        let mut names: BTreeMap<String, Pos> = BTreeMap::new();
        for r in raw.attestations {
            let at = Pos::from(&r.control);
            let control = r.control.value;
            if let Some(why) = id_problem(&control) {
                let message = format!("control id '{}' is not valid: {why}", shown(&control));
                return Err(located(path, at, message, ID_HINT).into());
            }
            if let Some(first) = answered.insert(control.clone(), at) {
                let message = format!("control {control} is answered twice (first on line {})", first.line);
                return Err(located(path, at, message, "keep one answer per control").into());
            }
            for e in &r.evidence {
                let bad = |why: String| {
                    located(
                        path,
                        e.into(),
                        format!("evidence '{}' for {control}: {why}", shown(&e.value)),
                        EVIDENCE_HINT,
                    )
                };
                let name = member_name(&control, &e.value).map_err(bad)?;
                if let Some(first) = names.insert(name.clone(), e.into()) {
                    return Err(bad(format!(
                        "it would be packed as '{}', as the evidence on line {} already is",
                        shown(&name),
                        first.line
                    ))
                    .into());
                }
            }
            out.spots.push(AttestationSpots { control: at, evidence: r.evidence.iter().map(Pos::from).collect() });
            out.attestations.push(Attestation {
                control,
                answer: r.answer,
                by: r.by,
                date: r.date,
                note: r.note,
                evidence: r.evidence.into_iter().map(|e| e.value).collect(),
            });
        }
        Ok(out)
    }

    fn control_pos(&self, i: usize) -> Pos {
        self.spots.get(i).map_or(NOWHERE, |s| s.control)
    }

    fn evidence_pos(&self, i: usize, j: usize) -> Pos {
        self.spots.get(i).and_then(|s| s.evidence.get(j).copied()).unwrap_or(NOWHERE)
    }

    /// Read the evidence files from inside [`Attestations::base`] only:
    /// relative paths, no `..`, no links, regular files within the caps.
    fn load_evidence(&mut self) -> Result<(), InputError> {
        let mut total = 0u64;
        let mut files = BTreeMap::new();
        for (i, a) in self.attestations.iter().enumerate() {
            for (j, e) in a.evidence.iter().enumerate() {
                let at = self.evidence_pos(i, j);
                let bad = |why: String| {
                    located(&self.path, at, format!("evidence '{}' for {}: {why}", shown(e), a.control), EVIDENCE_HINT)
                };
                let name = member_name(&a.control, e).map_err(bad)?;
                // FsError shows the path as given, which came from the file.
                let fs_bad = |err: FsError| bad(shown(&err.to_string()).into_owned());
                let path = fs::confined(&self.base, e).map_err(fs_bad)?;
                let bytes = fs::read_regular(&path, cap::EVIDENCE_FILE, Links::Refuse).map_err(fs_bad)?;
                total += bytes.len() as u64;
                if total > cap::EVIDENCE_TOTAL {
                    return Err(located(
                        &self.path,
                        at,
                        format!(
                            "evidence '{}' for {}: with it the evidence files come to {total} bytes, over the limit of {} bytes in all",
                            shown(e),
                            a.control,
                            cap::EVIDENCE_TOTAL
                        ),
                        "pack smaller files (a screenshot or a PDF export, not a recording), or fewer",
                    )
                    .into());
                }
                files.insert(name, bytes);
            }
        }
        self.files = files;
        Ok(())
    }

    fn check(&self, catalog: &Catalog) -> Result<(), InputError> {
        for (i, a) in self.attestations.iter().enumerate() {
            let at = self.control_pos(i);
            let bad = |message: String, hint: String| -> InputError { located(&self.path, at, message, &hint).into() };
            if let Some(why) = id_problem(&a.control) {
                return Err(bad(format!("control id '{}' is not valid: {why}", shown(&a.control)), ID_HINT.into()));
            }
            match catalog.get(&a.control).map(|c| &c.body) {
                Some(ControlBody::Manual(_)) => {}
                Some(ControlBody::Composite(_)) => {
                    if let Err(why) = composite_answer(a) {
                        return Err(bad(
                            format!("control {} is made of other controls: {why}", a.control),
                            format!(
                                "answer a control made of others with one of {} (it applies only while the control reads manual)",
                                composite_answer_ids()
                            ),
                        ));
                    }
                }
                None => {
                    return Err(bad(
                        format!("control {} is not in the catalog '{}'", a.control, shown(&catalog.name)),
                        format!(
                            "attestations answer the catalog's manual controls and those made of others: {}",
                            ids_of(catalog, true)
                        ),
                    ));
                }
                Some(_) => {
                    return Err(bad(
                        format!("control {} is evaluated from the snapshot, not answered by a person", a.control),
                        format!(
                            "attestations answer the catalog's manual controls and those made of others: {}",
                            ids_of(catalog, true)
                        ),
                    ));
                }
            }
            for (j, e) in a.evidence.iter().enumerate() {
                let loaded = member_name(&a.control, e).is_ok_and(|name| self.files.contains_key(&name));
                if !loaded {
                    return Err(located(
                        &self.path,
                        self.evidence_pos(i, j),
                        format!("evidence '{}' for {} was not read", shown(e), a.control),
                        "read attestations with Attestations::read, which reads and checks their evidence files",
                    )
                    .into());
                }
            }
        }
        Ok(())
    }

    pub fn get(&self, control: &str) -> Option<&Attestation> {
        self.attestations.iter().find(|a| a.control == control)
    }

    /// The evidence files, by their name inside the pack.
    pub fn files(&self) -> impl Iterator<Item = (&str, &[u8])> + '_ {
        self.files.iter().map(|(name, bytes)| (name.as_str(), bytes.as_slice()))
    }
}

impl Exceptions {
    pub fn read(path: &Path) -> Result<Exceptions, InputError> {
        let text = fs::read_text(path, cap::INPUT_YAML)?;
        Exceptions::parse(&path.display().to_string(), &text)
    }

    pub fn parse(path: &str, text: &str) -> Result<Exceptions, InputError> {
        let raw: RawExceptions = from_yaml(path, text, "see the README's section on exceptions for the fields")?;
        let mut out = Exceptions { path: path.to_string(), source: text.to_string(), ..Default::default() };
        for r in raw.exceptions {
            let at = Pos::from(&r.control);
            let control = r.control.value;
            if let Some(why) = id_problem(&control) {
                let message = format!("control id '{}' is not valid: {why}", shown(&control));
                return Err(located(path, at, message, ID_HINT).into());
            }
            if r.resources.is_empty() {
                let message = format!("the exception for {control} lists no resources");
                return Err(
                    located(path, at, message, "list resource ids or names; `['*']` covers the whole control").into()
                );
            }
            for p in &r.resources {
                globset::Glob::new(&p.value).map_err(|err| {
                    located(
                        path,
                        p.into(),
                        format!(
                            "exception for {control}: bad resource pattern '{}': {}",
                            shown(&p.value),
                            shown(&err.kind().to_string())
                        ),
                        "use a resource id or name, with * for any text and ? for one character",
                    )
                })?;
            }
            out.spots.push(at);
            out.exceptions.push(Exception {
                control,
                resources: r.resources.into_iter().map(|p| p.value).collect(),
                justification: r.justification,
                approver: r.approver,
                expires: r.expires,
            });
        }
        Ok(out)
    }

    fn check(&self, catalog: &Catalog) -> Result<(), InputError> {
        for (i, e) in self.exceptions.iter().enumerate() {
            let at = self.spots.get(i).copied().unwrap_or(NOWHERE);
            let bad = |message: String| -> InputError {
                located(
                    &self.path,
                    at,
                    message,
                    &format!("exceptions apply to the catalog's automated checks: {}", ids_of(catalog, false)),
                )
                .into()
            };
            if let Some(why) = id_problem(&e.control) {
                return Err(located(
                    &self.path,
                    at,
                    format!("control id '{}' is not valid: {why}", shown(&e.control)),
                    ID_HINT,
                )
                .into());
            }
            match catalog.get(&e.control).map(|c| &c.body) {
                Some(ControlBody::Check(_)) => {}
                None => {
                    return Err(bad(format!("control {} is not in the catalog '{}'", e.control, shown(&catalog.name))));
                }
                Some(ControlBody::Manual(_)) => {
                    return Err(bad(format!(
                        "control {} is answered by a person; an exception covers failing resources of an automated check",
                        e.control
                    )));
                }
                Some(ControlBody::Composite(_)) => {
                    return Err(bad(format!(
                        "control {} is made of other controls; write the exception for the included control that fails",
                        e.control
                    )));
                }
            }
        }
        Ok(())
    }

    pub fn for_control<'a>(&'a self, control: &'a str) -> impl Iterator<Item = &'a Exception> + 'a {
        self.exceptions.iter().filter(move |e| e.control == control)
    }

    /// Exceptions that covered nothing: their control does not fail, or none
    /// of their patterns names a failing resource. Usually a mistyped
    /// pattern or a risk fixed since; either way the file no longer says
    /// what the pack shows. Messages carry snapshot and input text
    /// unescaped: escape them for a terminal.
    pub fn unmatched(&self, results: &Results) -> Vec<Located> {
        let mut out = Vec::new();
        for (i, e) in self.exceptions.iter().enumerate() {
            let Some(why) = e.misses(results) else { continue };
            out.push(located(
                &self.path,
                self.spot(i),
                format!("the exception for {} matches nothing: {why}", e.control),
                "remove the exception, or correct its resource patterns",
            ));
        }
        out
    }

    /// Exceptions that expire within [`Exceptions::warn_days`] of `now` (the
    /// snapshot's time), soonest first: someone has to renew them or fix
    /// what they cover before the next pack shows it failing.
    pub fn expiring(&self, now: DateTime<Utc>) -> Vec<Located> {
        let mut soon: Vec<(i64, usize)> = self
            .exceptions
            .iter()
            .enumerate()
            .map(|(i, e)| (e.days_left(now), i))
            .filter(|(days, _)| (0..=i64::from(self.warn_days)).contains(days))
            .collect();
        soon.sort();
        soon.into_iter()
            .map(|(days, i)| {
                let e = &self.exceptions[i];
                located(
                    &self.path,
                    self.spot(i),
                    format!(
                        "the exception for {} approved by {} expires on {} ({}), within {} days of the snapshot",
                        e.control,
                        e.approver,
                        e.expires,
                        match days {
                            0 => "the snapshot's day".to_string(),
                            1 => "1 day after the snapshot".to_string(),
                            n => format!("{n} days after the snapshot"),
                        },
                        self.warn_days
                    ),
                    "renew it (a new `expires` with the approver's consent) or fix what it covers before then",
                )
            })
            .collect()
    }

    /// Where the `i`-th exception's `control` stands in the file.
    pub fn spot(&self, i: usize) -> Pos {
        self.spots.get(i).copied().unwrap_or(NOWHERE)
    }
}

impl Exception {
    /// Whether it still applies at the snapshot's time (through its expiry day).
    pub fn active(&self, now: DateTime<Utc>) -> bool {
        now.date_naive() <= self.expires
    }

    /// Days from `now`'s date to the expiry day: 0 on that day, negative
    /// once it has lapsed.
    pub fn days_left(&self, now: DateTime<Utc>) -> i64 {
        (self.expires - now.date_naive()).num_days()
    }

    /// Why it covered nothing in `results`, or `None` when it covered a
    /// failure: its control does not fail, or none of its patterns names a
    /// failing resource.
    pub fn misses(&self, results: &Results) -> Option<String> {
        let r = results.get(&self.control)?;
        match r.status {
            Status::Fail | Status::Excepted => {
                // As evaluation applies them: a failing resource covered,
                // or `*` on a control that fails with none named.
                let hit = r.failing.iter().any(|f| self.covers(&f.id, &f.name))
                    || (r.failing.is_empty() && self.resources.iter().any(|p| p == "*"));
                if hit {
                    return None;
                }
                let mut failing: Vec<&str> = r.failing.iter().take(3).map(|f| f.name.as_str()).collect();
                let more = r.failing.len().saturating_sub(3);
                let more = if more > 0 { format!(" and {more} more") } else { String::new() };
                if failing.is_empty() {
                    failing.push("none named");
                }
                Some(format!(
                    "none of its resource patterns ({}) matches a failing resource ({}{more})",
                    self.resources.iter().map(|p| format!("'{p}'")).collect::<Vec<_>>().join(", "),
                    failing.join(", ")
                ))
            }
            other => Some(format!("the control does not fail (its status is {})", other.as_str())),
        }
    }

    pub fn covers(&self, id: &str, name: &str) -> bool {
        self.resources.iter().any(|p| {
            globset::Glob::new(p)
                .map(|g| {
                    let m = g.compile_matcher();
                    m.is_match(id) || m.is_match(name)
                })
                .unwrap_or(false)
        })
    }
}

fn condition(src: &str) -> Result<Option<Program>, String> {
    if src.trim() == "default" {
        return Ok(None);
    }
    Program::compile(src).map(Some).map_err(|e| format!("risk rule condition `{src}` is not valid: {e}"))
}

/// Check a manual control's choices and risk rules at catalog load.
pub fn validate(m: &Manual) -> Result<(), String> {
    let mut ids = std::collections::BTreeSet::new();
    for c in &m.choices {
        if !ids.insert(c.id.as_str()) {
            return Err(format!("choice id '{}' is used twice", c.id));
        }
    }
    if m.max_age_days == Some(0) {
        return Err(
            "`max_age_days` is 0, which would make every answer stale: give the days an answer holds (1 or more)"
                .into(),
        );
    }
    if m.risk_rules.last().map(|r| r.condition.trim()) != Some("default") {
        return Err("the last risk rule must have `condition: default`".into());
    }
    for r in &m.risk_rules {
        if let Some(p) = condition(&r.condition)? {
            for v in p.references().variables() {
                if !ids.contains(v) {
                    return Err(format!("risk rule condition `{}` names '{v}', which is not a choice", r.condition));
                }
            }
        }
    }
    Ok(())
}

/// The risk the catalog's rules give an answer.
pub fn risk(m: &Manual, answer: &[String]) -> Result<Risk, String> {
    for rule in &m.risk_rules {
        let Some(program) = condition(&rule.condition)? else {
            return Ok(rule.risk);
        };
        let mut ctx = Context::default();
        let chosen: HashMap<&str, bool> = m.choices.iter().map(|c| (c.id.as_str(), answer.contains(&c.id))).collect();
        for (id, on) in chosen {
            ctx.add_variable_from_value(id, Value::Bool(on));
        }
        if program.execute(&ctx) == Ok(Value::Bool(true)) {
            return Ok(rule.risk);
        }
    }
    Err("no risk rule matched".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn invalid(e: InputError) -> Located {
        match e {
            InputError::Invalid(l) => l,
            other => panic!("expected a located error, got {other}"),
        }
    }

    const ANSWER: &str = "    answer: [so_1_1_primary]\n    by: Ana\n    date: 2026-11-20\n";

    #[test]
    fn control_ids_are_plain() {
        for ok in ["SO1.Q1", "EC2.14", "SEC-002", "EP.STS.1", "a_b", &"x".repeat(64)] {
            assert_eq!(id_problem(ok), None, "{ok}");
        }
        for bad in ["", "../x", ".x", "-x", "a/b", "a\nb", "a b", "a:b", "SO1.Q1\u{202e}", "王", &"x".repeat(65)] {
            assert!(id_problem(bad).is_some(), "{bad:?}");
        }
    }

    #[test]
    fn a_newline_or_a_path_in_a_control_id_is_refused_where_it_stands() {
        let text = format!("attestations:\n  - control: \"SO1.Q1\\nabc  x\"\n{ANSWER}");
        let l = invalid(Attestations::parse("a.yaml", &text).unwrap_err());
        assert_eq!((l.line, l.column), (2, 14), "{l}");
        assert!(l.message.contains("SO1.Q1\\nabc") && !l.message.contains('\n'), "{l}");

        let text = format!("attestations:\n  - control: ../../x\n{ANSWER}");
        let l = invalid(Attestations::parse("a.yaml", &text).unwrap_err());
        assert_eq!((l.line, l.column), (2, 14), "{l}");
    }

    #[test]
    fn evidence_names_must_make_pack_members() {
        for (evidence, why) in [("'a\\b.png'", "backslash"), ("'x.png.'", "ends with a dot"), ("'..'", "names no file")]
        {
            let text = format!("attestations:\n  - control: SO1.Q1\n{ANSWER}    evidence: [ok.png, {evidence}]\n");
            let l = invalid(Attestations::parse("a.yaml", &text).unwrap_err());
            assert_eq!((l.line, l.column), (6, 24), "{l}");
            assert!(l.message.contains(why), "{l}");
        }
        let text = format!("attestations:\n  - control: SO1.Q1\n{ANSWER}    evidence: [a/x.png, b/x.png]\n");
        let l = invalid(Attestations::parse("a.yaml", &text).unwrap_err());
        assert!(l.message.contains("line 6 already"), "{l}");
    }

    #[test]
    fn a_control_is_answered_once() {
        let one = format!("  - control: SO1.Q1\n{ANSWER}");
        let l = invalid(Attestations::parse("a.yaml", &format!("attestations:\n{one}{one}")).unwrap_err());
        assert_eq!(l.line, 6, "{l}");
        assert!(l.message.contains("answered twice"), "{l}");
    }

    #[test]
    fn inputs_must_name_controls_of_the_right_kind() {
        let catalog = Catalog::builtin();
        let check = |attestations: &str, exceptions: &str| {
            let inputs = Inputs {
                attestations: Attestations::parse("a.yaml", attestations).unwrap(),
                exceptions: Exceptions::parse("e.yaml", exceptions).unwrap(),
            };
            inputs.check(&catalog).map_err(invalid)
        };
        let attest = |id: &str| format!("attestations:\n  - control: {id}\n{ANSWER}");
        let except = |id: &str| {
            format!(
                "exceptions:\n  - control: {id}\n    resources: ['*']\n    justification: x\n    approver: y\n    expires: 2099-01-01\n"
            )
        };
        assert!(check(&attest("SO1.Q1"), &except("EC2.14")).is_ok());
        for (a, e, what) in [
            (attest("NOPE.1"), except("EC2.14"), "not in the catalog"),
            (attest("EC2.14"), except("EC2.14"), "evaluated from the snapshot"),
            (attest("SO1.Q1"), except("NOPE.1"), "not in the catalog"),
            (attest("SO1.Q1"), except("SO1.Q1"), "answered by a person"),
            (attest("SO1.Q1"), except("SEC-002"), "made of other controls"),
        ] {
            let l = check(&a, &e).unwrap_err();
            assert_eq!((l.line, l.column), (2, 14), "{l}");
            assert!(l.message.contains(what), "{l}");
        }
    }

    /// A composite whose sections have no evidence in scope reads `manual`
    /// ("attest or except"); before, attesting it was refused, so it could
    /// never be answered.
    #[test]
    fn an_attestation_answers_a_composite_only_while_it_reads_manual() {
        let snapshot = crate::snapshot::Snapshot::from_json("example", crate::EXAMPLE_SNAPSHOT).unwrap();
        let catalog = Catalog::builtin();
        let before = super::super::evaluate(&snapshot, &catalog);
        let status = |r: &Results, id: &str| r.get(id).unwrap().status;
        // SO4's sections have no evidence in scope in the example; SO1 fails.
        assert_eq!(status(&before, "SO4"), Status::Manual);
        assert_eq!(status(&before, "SO1"), Status::Fail);
        let text = "attestations:
  - {control: SO4, answer: [in_place], by: Ana Ruiz, date: 2026-11-20, note: Secrets live in the vault.}
  - {control: SO1, answer: [in_place], by: Ana Ruiz, date: 2026-11-20}
";
        let inputs = Inputs { attestations: Attestations::parse("a.yaml", text).unwrap(), ..Default::default() };
        inputs.check(&catalog).unwrap();
        let after = super::super::evaluate_with(&snapshot, &catalog, &inputs);
        let so4 = after.get("SO4").unwrap();
        assert_eq!(so4.status, Status::Pass, "{}", so4.reason);
        assert!(so4.reason.starts_with("Answered by Ana Ruiz on 2026-11-20: in place."), "{}", so4.reason);
        assert!(so4.reason.contains("no evidence in scope"), "the evaluation stays visible: {}", so4.reason);
        assert_eq!(so4.attestation.as_ref().map(|a| a.control.as_str()), Some("SO4"));
        assert!(so4.accounts.iter().all(|a| a.status != Status::Manual), "{:?}", so4.accounts);
        // Evidence in scope outranks a person's answer.
        let so1 = after.get("SO1").unwrap();
        assert_eq!(so1.status, Status::Fail, "{}", so1.reason);
        assert!(so1.attestation.is_none());
        assert!(so1.reason.contains("is not used"), "{}", so1.reason);
        // The summary counts the answered composite.
        assert_eq!(after.summary.counts.manual + 1, before.summary.counts.manual);
        assert_eq!(after.summary.counts.pass, before.summary.counts.pass + 1);

        let not_in_place = text.replace("[in_place]", "[not_in_place]");
        let inputs =
            Inputs { attestations: Attestations::parse("a.yaml", &not_in_place).unwrap(), ..Default::default() };
        assert_eq!(status(&super::super::evaluate_with(&snapshot, &catalog, &inputs), "SO4"), Status::Fail);
    }

    #[test]
    fn a_composite_takes_exactly_one_of_its_answers() {
        let catalog = Catalog::builtin();
        for (answer, why) in [
            ("[so_1_1_primary]", "'so_1_1_primary' is not one of in_place"),
            ("[in_place, not_in_place]", "answers with 2 choices"),
            ("[]", "answers with 0 choices"),
            ("[\"in_place\\u202e\"]", "\\u{202e}"),
        ] {
            let text =
                format!("attestations:\n  - control: SO4\n    answer: {answer}\n    by: Ana\n    date: 2026-11-20\n");
            let inputs = Inputs { attestations: Attestations::parse("a.yaml", &text).unwrap(), ..Default::default() };
            let l = invalid(inputs.check(&catalog).unwrap_err());
            assert_eq!((l.line, l.column), (2, 14), "{answer}: {l}");
            assert!(l.message.contains("made of other controls") && l.message.contains(why), "{answer}: {l}");
            assert!(!l.message.contains('\u{202e}'), "{l}");
        }
    }

    #[test]
    fn evidence_not_read_through_read_is_not_packed() {
        let text = format!("attestations:\n  - control: SO1.Q1\n{ANSWER}    evidence: [x.png]\n");
        let inputs = Inputs { attestations: Attestations::parse("a.yaml", &text).unwrap(), ..Default::default() };
        let l = invalid(inputs.check(&Catalog::builtin()).unwrap_err());
        assert_eq!(l.line, 6, "{l}");
        assert!(l.message.contains("was not read"), "{l}");
    }

    #[cfg(unix)]
    #[test]
    fn evidence_is_read_only_from_inside_the_folder() {
        let dir = tempfile::tempdir().unwrap();
        let inner = dir.path().join("in");
        std::fs::create_dir(&inner).unwrap();
        std::fs::write(dir.path().join("secret"), "s").unwrap();
        std::fs::write(inner.join("ok.png"), "png").unwrap();
        std::os::unix::fs::symlink(dir.path().join("secret"), inner.join("link.png")).unwrap();
        assert!(std::process::Command::new("mkfifo").arg(inner.join("pipe")).status().unwrap().success());
        let file = inner.join("attestations.yaml");
        let write = |evidence: &str| {
            std::fs::write(&file, format!("attestations:\n  - control: SO1.Q1\n{ANSWER}    evidence: [{evidence}]\n"))
                .unwrap();
            Attestations::read(&file)
        };
        let a = write("ok.png").unwrap();
        assert_eq!(a.files().collect::<Vec<_>>(), vec![("attestations/SO1.Q1/ok.png", &b"png"[..])]);
        for (evidence, why) in [
            ("/etc/hostname", "absolute"),
            ("../secret", "`..`"),
            ("link.png", "symbolic link"),
            ("pipe", "FIFO"),
            (".", "names no file"),
            ("missing.png", "No such file"),
        ] {
            let l = invalid(write(evidence).unwrap_err());
            assert_eq!((l.line, l.column), (6, 16), "{evidence}: {l}");
            assert!(l.message.contains(why), "{evidence}: {l}");
        }
    }

    #[test]
    fn a_bad_pattern_is_reported_where_it_stands() {
        let text = "exceptions:\n  - control: EC2.14\n    resources: ['ok', '[abc']\n    justification: x\n    approver: y\n    expires: 2099-01-01\n";
        let l = invalid(Exceptions::parse("e.yaml", text).unwrap_err());
        assert_eq!((l.line, l.column), (3, 23), "{l}");
        assert!(l.message.contains("'[abc'"), "{l}");
    }

    #[test]
    fn exceptions_that_match_nothing_are_reported() {
        let snapshot = crate::snapshot::Snapshot::from_json("example", crate::EXAMPLE_SNAPSHOT).unwrap();
        let catalog = Catalog::builtin();
        let text = "exceptions:
  - {control: EC2.14, resources: ['*legacy-rdp*'], justification: x, approver: y, expires: 2099-01-01}
  - {control: IAM.2, resources: ['*'], justification: x, approver: y, expires: 2099-01-01}
  - {control: EC2.19, resources: ['sg-nope*'], justification: x, approver: y, expires: 2099-01-01}
  - {control: EC2.2, resources: ['*'], justification: x, approver: y, expires: 2099-01-01}
";
        let inputs = Inputs { exceptions: Exceptions::parse("e.yaml", text).unwrap(), ..Default::default() };
        inputs.check(&catalog).unwrap();
        let results = super::super::evaluate_with(&snapshot, &catalog, &inputs);
        let warnings = inputs.warnings(&results);
        let lines: Vec<u64> = warnings.iter().map(|w| w.line).collect();
        assert_eq!(lines, vec![3, 4], "{warnings:?}");
        assert!(warnings[0].message.contains("does not fail (its status is pass)"), "{}", warnings[0]);
        assert!(
            warnings[1].message.contains("'sg-nope*'") && warnings[1].message.contains("legacy-rdp"),
            "{}",
            warnings[1]
        );
    }
}
