//! `controls.yaml`: the catalog of controls and their checks.
//!
//! A check is data, not code: CEL expressions over one kind of snapshot
//! resource, with named parameters. Changing a threshold or adding a rule
//! over evidence already collected is an edit to this file, not a rebuild.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_saphyr::Spanned;
use sha2::{Digest, Sha256};

use crate::snapshot::kinds;

use kinds::ALL as KNOWN_KINDS;

/// The catalog as written, with source locations for error messages.
/// These structs accept unknown fields: [`unknown_fields`] reports every one
/// of them with its place, where serde's `deny_unknown_fields` would stop
/// at the first.
#[derive(Debug, Deserialize)]
struct RawCatalog {
    version: u32,
    name: String,
    #[serde(default)]
    description: String,
    controls: Vec<RawControl>,
}

#[derive(Debug, Deserialize)]
struct RawControl {
    id: Spanned<String>,
    title: String,
    /// Read as text and checked after, so that a misspelt severity is one
    /// problem among the others rather than the end of the reading.
    severity: Spanned<String>,
    #[serde(default)]
    description: String,
    #[serde(default)]
    frameworks: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    remediation: Option<Remediation>,
    #[serde(default)]
    params: BTreeMap<String, serde_json::Value>,
    /// Resource kinds whose evidence tables the report shows.
    #[serde(default)]
    evidence: Vec<Spanned<String>>,
    #[serde(default)]
    check: Option<RawCheck>,
    /// A control made of other controls (such as SEC-002).
    #[serde(default)]
    sections: Vec<RawSection>,
    #[serde(default)]
    manual: Option<Manual>,
}

#[derive(Debug, Deserialize)]
struct RawCheck {
    /// One kind, or several (`[iam.user, iam.role]`) checked alike.
    resource: Spanned<OneOrMany>,
    #[serde(default)]
    needs: Vec<Spanned<String>>,
    #[serde(default, rename = "where")]
    scope: Option<Spanned<String>>,
    #[serde(default)]
    mode: Option<Spanned<String>>,
    #[serde(default)]
    subject: Option<String>,
    #[serde(default)]
    when_none: Option<Spanned<String>>,
    assert: Vec<RawAssertion>,
    #[serde(default)]
    flag: Option<Spanned<String>>,
    /// Values computed once per account for every resource's expressions
    /// to read by name: a join across kinds costs one pass, not one per
    /// resource.
    #[serde(default, rename = "let")]
    lets: BTreeMap<String, Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

#[derive(Debug, Deserialize)]
struct RawAssertion {
    that: Spanned<String>,
    otherwise: String,
}

#[derive(Debug, Deserialize)]
struct RawSection {
    title: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    controls: Vec<Spanned<String>>,
    #[serde(default)]
    evidence: Vec<Spanned<String>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Critical,
    High,
    Medium,
    Low,
    Informational,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Every resource in scope must satisfy every assertion.
    #[default]
    Each,
    /// At least one resource in scope must satisfy every assertion.
    Any,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Pass,
    Fail,
    Error,
    Manual,
    NotApplicable,
    /// Failed, but every failure is an accepted, unexpired risk.
    Excepted,
}

impl Status {
    pub const ALL: [Status; 6] =
        [Status::Pass, Status::Fail, Status::Error, Status::Manual, Status::NotApplicable, Status::Excepted];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Fail => "fail",
            Status::Error => "error",
            Status::Manual => "manual",
            Status::NotApplicable => "not_applicable",
            Status::Excepted => "excepted",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Remediation {
    pub text: String,
    #[serde(default)]
    pub url: Option<String>,
}

/// A question a person answers, in the shape of a Well-Architected custom
/// lens question, so the catalog can be exported as a lens.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Manual {
    pub question: String,
    #[serde(default)]
    pub helpful_resource: Option<Link>,
    pub choices: Vec<Choice>,
    /// Evaluated in order; the first whose condition holds gives the risk.
    /// A condition is CEL over the choice ids with `!`, `&&`, `||`, `==`,
    /// `!=` and `? :` only (`so_1_1 && !so_1_2`), or `default`.
    pub risk_rules: Vec<RiskRule>,
    /// How many days an answer holds, counted to the snapshot's time; an
    /// older one is stale and leaves the control `manual` (default
    /// [`super::manual::DEFAULT_MAX_AGE_DAYS`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_age_days: Option<u32>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Link {
    pub text: String,
    #[serde(default)]
    pub url: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Choice {
    pub id: String,
    pub title: String,
    #[serde(default)]
    pub helpful_resource: Option<Link>,
    #[serde(default)]
    pub improvement_plan: Option<Link>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Risk {
    NoRisk,
    MediumRisk,
    HighRisk,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RiskRule {
    pub condition: String,
    pub risk: Risk,
}

/// Where something stands in the catalog file, for messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Pos {
    pub line: u64,
    pub column: u64,
}

impl<T> From<&Spanned<T>> for Pos {
    fn from(s: &Spanned<T>) -> Self {
        Pos { line: s.referenced.line(), column: s.referenced.column() }
    }
}

#[derive(Debug, Clone)]
pub struct Expr {
    pub source: String,
    pub pos: Pos,
    /// Compiled once, at load.
    pub program: Arc<super::engine::Compiled>,
}

#[derive(Debug, Clone)]
pub struct Assertion {
    pub that: Expr,
    pub otherwise: String,
}

#[derive(Debug, Clone)]
pub struct Check {
    /// The kinds checked, each resource on its own.
    pub resources: Vec<String>,
    /// `resources` plus `needs`: a collection error for any of these matters.
    pub needs: BTreeSet<String>,
    pub scope: Option<Expr>,
    pub mode: Mode,
    pub subject: String,
    pub when_none: Status,
    pub assertions: Vec<Assertion>,
    pub flag: Option<Expr>,
    /// `let`: names bound once per account, in name order, before any
    /// resource is evaluated.
    pub lets: Vec<(String, Expr)>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Section {
    pub title: String,
    pub text: String,
    pub controls: Vec<String>,
    pub evidence: Vec<String>,
}

#[derive(Debug, Clone)]
pub enum ControlBody {
    Check(Check),
    Composite(Vec<Section>),
    Manual(Manual),
}

#[derive(Debug, Clone)]
pub struct Control {
    pub id: String,
    pub title: String,
    pub severity: Severity,
    pub description: String,
    pub frameworks: BTreeMap<String, Vec<String>>,
    pub remediation: Option<Remediation>,
    pub params: BTreeMap<String, serde_json::Value>,
    pub evidence: Vec<String>,
    pub body: ControlBody,
}

#[derive(Debug, Clone)]
pub struct Catalog {
    pub name: String,
    pub version: u32,
    pub description: String,
    pub controls: Vec<Control>,
    /// The exact bytes that were read, so the pack carries what was used.
    pub source: String,
    pub sha256: String,
}

#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("cannot read control catalog {path}")]
    Read { path: String, source: crate::fs::FsError },
    #[error("cannot start a thread to load the control catalog: {0}")]
    Thread(std::io::Error),
    #[error(transparent)]
    Invalid(#[from] Problems),
}

impl From<Located> for CatalogError {
    fn from(one: Located) -> Self {
        CatalogError::Invalid(Problems(vec![one]))
    }
}

/// Every mistake found in a catalog, in the order they stand in the file:
/// one reading shows them all, as a compiler or cargo-deny does, instead of
/// one fix and one run per mistake.
#[derive(Debug)]
pub struct Problems(pub Vec<Located>);

impl std::error::Error for Problems {}

impl std::fmt::Display for Problems {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0.as_slice() {
            [one] => write!(f, "{one}"),
            all => {
                let path = all.first().map_or("the control catalog", |p| p.path.as_str());
                write!(f, "{} problems in {path}:", all.len())?;
                for p in all {
                    write!(f, "\n{p}")?;
                }
                Ok(())
            }
        }
    }
}

/// A mistake in one of the YAML files people write, with where it is and
/// what to do about it.
#[derive(Debug, thiserror::Error)]
#[error("{path}:{line}:{column}: {message}\n  hint: {hint}")]
pub struct Located {
    pub path: String,
    pub line: u64,
    pub column: u64,
    pub message: String,
    pub hint: String,
}

/// Deserialise YAML, turning a syntax or shape error into a [`Located`].
pub fn from_yaml<T: for<'de> Deserialize<'de>>(path: &str, text: &str, hint: &str) -> Result<T, Located> {
    serde_saphyr::from_str(text).map_err(|e| {
        let loc = e.location();
        let message = e.to_string();
        // serde-saphyr renders a snippet after the first line, and repeats
        // in it the position we already print in front.
        let first = message.lines().next().unwrap_or_default();
        let first = match first.split_once(": ") {
            Some((_, rest)) if first.starts_with("error: line ") => rest.split_once(": ").map_or(rest, |(_, m)| m),
            _ => first,
        };
        Located {
            path: path.to_string(),
            line: loc.map(|l| l.line()).unwrap_or(0),
            column: loc.map(|l| l.column()).unwrap_or(0),
            message: first.to_string(),
            hint: hint.to_string(),
        }
    })
}

/// The problems found so far in one catalog.
struct Found<'a> {
    path: &'a str,
    list: Vec<Located>,
}

impl Found<'_> {
    fn add(&mut self, pos: Pos, message: String, hint: &str) {
        self.list.push(Located {
            path: self.path.to_string(),
            line: pos.line,
            column: pos.column,
            message,
            hint: hint.to_string(),
        });
    }

    fn finish(mut self) -> CatalogError {
        self.list.sort_by(|a, b| (a.line, a.column, &a.message).cmp(&(b.line, b.column, &b.message)));
        self.list.dedup_by(|a, b| (a.line, a.column, &a.message) == (b.line, b.column, &b.message));
        CatalogError::Invalid(Problems(self.list))
    }

    /// The kinds named, each unknown one reported and left out.
    fn kinds(&mut self, named: &[Spanned<String>]) -> Vec<String> {
        let mut out = Vec::with_capacity(named.len());
        for s in named {
            if KNOWN_KINDS.contains(&s.value.as_str()) {
                out.push(s.value.clone());
            } else {
                self.add(
                    s.into(),
                    format!("unknown resource type '{}'", s.value),
                    &format!("use one of: {}", KNOWN_KINDS.join(", ")),
                );
            }
        }
        out
    }

    /// One of an enum's values, written as text (`severity: high`).
    fn variant<T: for<'de> Deserialize<'de>>(&mut self, s: &Spanned<String>, field: &str) -> Option<T> {
        match serde_json::from_value(serde_json::Value::String(s.value.clone())) {
            Ok(v) => Some(v),
            Err(e) => {
                self.add(s.into(), format!("`{field}`: {e}"), &format!("write one of the values listed for `{field}`"));
                None
            }
        }
    }

    /// Whether a `let` of control `id` may bind `name` to `e`: a plain name
    /// that hides no variable, over what is the same for every resource.
    fn binding(&mut self, id: &str, name: &str, e: &Expr) -> bool {
        const TAKEN: [&str; 5] = ["r", "meta", "params", "now", "resources"];
        let plain = name.chars().next().is_some_and(|c| c.is_ascii_lowercase() || c == '_')
            && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !plain || TAKEN.contains(&name) {
            self.add(
                e.pos,
                format!("control '{id}' binds `{name}` in `let`, which is not a free variable name"),
                "name it in lower case, letters, digits and `_`, and not r, meta, params, now or resources",
            );
            return false;
        }
        if e.program.reads_resource() {
            self.add(
                e.pos,
                format!("control '{id}': `let {name}` reads `r` or `meta`, but is computed once for every resource"),
                "move what depends on the resource into the assertion, and keep `let` to params, now and resources",
            );
            return false;
        }
        true
    }

    /// An expression compiled, and every `params.x` it reads defined by its control.
    fn expr(&mut self, id: &str, params: &BTreeMap<String, serde_json::Value>, s: &Spanned<String>) -> Option<Expr> {
        let pos = Pos::from(s);
        let program = match super::engine::compile(&s.value, pos) {
            Ok(p) => p,
            Err(e) => {
                self.add(e.pos, e.message, e.hint);
                return None;
            }
        };
        let undefined: Vec<&String> = program.params_read().iter().filter(|p| !params.contains_key(*p)).collect();
        if !undefined.is_empty() {
            let names: Vec<String> = undefined.iter().map(|p| format!("params.{p}")).collect();
            let defined: Vec<&str> = params.keys().map(String::as_str).collect();
            self.add(
                pos,
                format!("control '{id}' reads {}, which its `params` do not define", names.join(", ")),
                &if defined.is_empty() {
                    "add a `params:` map to the control with a value for each, or fix the name".to_string()
                } else {
                    format!("define it under the control's `params`, or use one it defines: {}", defined.join(", "))
                },
            );
            return None;
        }
        Some(Expr { source: s.value.clone(), pos, program: Arc::new(program) })
    }
}

/// Where in the catalog a YAML mapping stands, for the fields it may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    Catalog,
    Control,
    Check,
    Assertion,
    Section,
    Remediation,
    Manual,
    Link,
    Choice,
    RiskRule,
}

/// What a node is expected to be.
#[derive(Debug, Clone, Copy)]
enum Expect {
    Map(Shape),
    ListOf(Shape),
    Any,
}

impl Shape {
    /// The field names, as serde reads them: taken from the derived
    /// `Deserialize` itself, so they cannot drift from the structs.
    fn fields(self) -> &'static [&'static str] {
        fn of<T: for<'de> Deserialize<'de>>() -> &'static [&'static str] {
            let mut fields: &'static [&'static str] = &[];
            let _ = T::deserialize(FieldProbe(&mut fields));
            fields
        }
        match self {
            Shape::Catalog => of::<RawCatalog>(),
            Shape::Control => of::<RawControl>(),
            Shape::Check => of::<RawCheck>(),
            Shape::Assertion => of::<RawAssertion>(),
            Shape::Section => of::<RawSection>(),
            Shape::Remediation => of::<Remediation>(),
            Shape::Manual => of::<Manual>(),
            Shape::Link => of::<Link>(),
            Shape::Choice => of::<Choice>(),
            Shape::RiskRule => of::<RiskRule>(),
        }
    }

    fn noun(self) -> &'static str {
        match self {
            Shape::Catalog => "the catalog",
            Shape::Control => "a control",
            Shape::Check => "a check",
            Shape::Assertion => "an assertion",
            Shape::Section => "a section",
            Shape::Remediation => "a remediation",
            Shape::Manual => "a manual control",
            Shape::Link => "a link",
            Shape::Choice => "a choice",
            Shape::RiskRule => "a risk rule",
        }
    }

    fn child(self, field: &str) -> Expect {
        match (self, field) {
            (Shape::Catalog, "controls") => Expect::ListOf(Shape::Control),
            (Shape::Control, "check") => Expect::Map(Shape::Check),
            (Shape::Control, "sections") => Expect::ListOf(Shape::Section),
            (Shape::Control, "manual") => Expect::Map(Shape::Manual),
            (Shape::Control, "remediation") => Expect::Map(Shape::Remediation),
            (Shape::Check, "assert") => Expect::ListOf(Shape::Assertion),
            (Shape::Manual, "choices") => Expect::ListOf(Shape::Choice),
            (Shape::Manual, "risk_rules") => Expect::ListOf(Shape::RiskRule),
            (Shape::Manual | Shape::Choice, "helpful_resource") | (Shape::Choice, "improvement_plan") => {
                Expect::Map(Shape::Link)
            }
            _ => Expect::Any,
        }
    }
}

/// A deserializer that only records the field names a derived `Deserialize`
/// asks for.
struct FieldProbe<'a>(&'a mut &'static [&'static str]);

impl<'de> serde::Deserializer<'de> for FieldProbe<'_> {
    type Error = serde::de::value::Error;

    fn deserialize_any<V: serde::de::Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
        Err(serde::de::Error::custom("only probes struct fields"))
    }

    fn deserialize_struct<V: serde::de::Visitor<'de>>(
        self,
        _: &'static str,
        fields: &'static [&'static str],
        _: V,
    ) -> Result<V::Value, Self::Error> {
        *self.0 = fields;
        Err(serde::de::Error::custom("only probes struct fields"))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf option unit
        unit_struct newtype_struct seq tuple tuple_struct map enum identifier ignored_any
    }
}

/// Every field the catalog's structs do not have, with its position. Serde
/// stops at the first; this walks the YAML events once (no recursion: the
/// document may nest deeper than a stack) and finds them all. A syntax
/// error ends the walk: deserialising reports it.
fn unknown_fields(path: &str, text: &str) -> Vec<Located> {
    use serde_saphyr::granit_parser::{Event, Parser};

    enum Frame {
        /// A mapping; `value` is set once its key is read, to what the value must be.
        Map {
            of: Option<Shape>,
            value: Option<Expect>,
        },
        Seq {
            item: Expect,
        },
    }
    let mut found = Found { path, list: Vec::new() };
    let mut stack: Vec<Frame> = Vec::new();
    for event in Parser::new_from_str(text) {
        let Ok((event, span)) = event else { break };
        let pos = Pos { line: span.start.line() as u64, column: span.start.col() as u64 + 1 };
        let is_node = matches!(
            event,
            Event::Scalar(..)
                | Event::Alias(_)
                | Event::UnresolvedAlias(_)
                | Event::MappingStart(..)
                | Event::SequenceStart(..)
        );
        if matches!(event, Event::MappingEnd | Event::SequenceEnd) {
            stack.pop();
            continue;
        }
        if !is_node {
            continue;
        }
        // What this node must be, or None if it is a mapping's key.
        let expect = match stack.last_mut() {
            None => Some(Expect::Map(Shape::Catalog)),
            Some(Frame::Seq { item }) => Some(*item),
            Some(Frame::Map { value, .. }) => value.take(),
        };
        match (expect, event) {
            (None, Event::Scalar(key, ..)) => {
                if let Some(Frame::Map { of, value }) = stack.last_mut() {
                    *value = Some(match of {
                        Some(shape) if key != "<<" && !shape.fields().contains(&key.as_ref()) => {
                            found.add(
                                pos,
                                format!("unknown field `{key}` in {}", shape.noun()),
                                &format!(
                                    "remove it or correct its spelling; {} has: {}",
                                    shape.noun(),
                                    shape.fields().join(", ")
                                ),
                            );
                            Expect::Any
                        }
                        Some(shape) => shape.child(&key),
                        None => Expect::Any,
                    });
                }
            }
            (None, e) => {
                // A key that is itself a mapping or a list: its value follows it.
                if let Some(Frame::Map { value, .. }) = stack.last_mut() {
                    *value = Some(Expect::Any);
                }
                match e {
                    Event::MappingStart(..) => stack.push(Frame::Map { of: None, value: None }),
                    Event::SequenceStart(..) => stack.push(Frame::Seq { item: Expect::Any }),
                    _ => {}
                }
            }
            (Some(expect), Event::MappingStart(..)) => stack.push(Frame::Map {
                of: match expect {
                    Expect::Map(shape) => Some(shape),
                    _ => None,
                },
                value: None,
            }),
            (Some(expect), Event::SequenceStart(..)) => stack.push(Frame::Seq {
                item: match expect {
                    Expect::ListOf(shape) => Expect::Map(shape),
                    _ => Expect::Any,
                },
            }),
            (Some(_), _) => {}
        }
    }
    found.list
}

/// The catalog bundled with the binary, for `demo` and as the default.
pub const BUILTIN: &str = include_str!("../../controls.yaml");
pub const BUILTIN_NAME: &str = "controls.yaml (built in)";

/// SHA-256 of the built-in catalog, as a pack records any catalog's.
pub fn builtin_sha256() -> String {
    hex::encode(Sha256::digest(BUILTIN.as_bytes()))
}

impl Catalog {
    pub fn read(path: &Path) -> Result<Catalog, CatalogError> {
        let shown = path.display().to_string();
        let text = crate::fs::read_text(path, crate::fs::cap::CATALOG)
            .map_err(|source| CatalogError::Read { path: shown.clone(), source })?;
        Catalog::parse(&shown, &text)
    }

    pub fn builtin() -> Catalog {
        Catalog::parse(BUILTIN_NAME, BUILTIN).expect("the built-in catalog is valid")
    }

    /// Parse and check a catalog, compiling its expressions. On a thread of
    /// its own with [`super::engine::STACK`], as parsing an expression
    /// recurses as deep as the expression goes.
    pub fn parse(path: &str, text: &str) -> Result<Catalog, CatalogError> {
        super::engine::on_stack(|| Catalog::parse_here(path, text)).map_err(CatalogError::Thread)?
    }

    fn parse_here(path: &str, text: &str) -> Result<Catalog, CatalogError> {
        let mut problems = Found { path, list: unknown_fields(path, text) };
        let raw: RawCatalog = match from_yaml(
            path,
            text,
            "fix the YAML at that position; the header of the bundled controls.yaml describes each field",
        ) {
            Ok(raw) => raw,
            Err(e) => {
                problems.list.push(e);
                return Err(problems.finish());
            }
        };
        if raw.version != 1 {
            problems.add(
                Pos { line: 1, column: 1 },
                format!("catalog version {} is not supported", raw.version),
                "this evidence-pack reads catalog version 1",
            );
        }

        let mut first_at: HashMap<&str, Pos> = HashMap::new();
        for c in &raw.controls {
            if let Some(first) = first_at.get(c.id.value.as_str()) {
                problems.add(
                    (&c.id).into(),
                    format!("control id '{}' is defined twice (first at line {})", c.id.value, first.line),
                    "give each control a unique id",
                );
            } else {
                first_at.insert(&c.id.value, (&c.id).into());
            }
        }
        let ids: BTreeSet<String> = first_at.keys().map(|k| k.to_string()).collect();

        let mut controls = Vec::with_capacity(raw.controls.len());
        // Where each included id is written, by including control and id.
        let mut included_at: HashMap<(usize, String), Pos> = HashMap::new();
        for c in raw.controls {
            let id = c.id.value.clone();
            let severity = problems.variant::<Severity>(&c.severity, "severity");
            let bodies_given =
                [c.check.is_some(), !c.sections.is_empty(), c.manual.is_some()].iter().filter(|x| **x).count();
            if bodies_given != 1 {
                problems.add(
                    (&c.id).into(),
                    format!("control '{id}' must have exactly one of `check`, `sections` or `manual`"),
                    "an automated control has `check`; a control made of others has `sections`; one a person answers has `manual`",
                );
                continue;
            }
            let mut evidence = problems.kinds(&c.evidence);
            let body = if let Some(ch) = c.check {
                let listed = match &ch.resource.value {
                    OneOrMany::One(k) => vec![k.clone()],
                    OneOrMany::Many(ks) => ks.clone(),
                };
                let listed: Vec<Spanned<String>> = listed
                    .into_iter()
                    .map(|k| Spanned { value: k, referenced: ch.resource.referenced, defined: ch.resource.defined })
                    .collect();
                let resources = problems.kinds(&listed);
                let mut needs: BTreeSet<String> = problems.kinds(&ch.needs).into_iter().collect();
                needs.extend(resources.iter().cloned());
                if ch.assert.is_empty() {
                    problems.add(
                        (&ch.resource).into(),
                        format!("control '{id}' has a check with no assertions"),
                        "add at least one `- that: <expression>` with an `otherwise:` message",
                    );
                }
                let mut expr = |s: &Spanned<String>| problems.expr(&id, &c.params, s);
                let assertions: Vec<Option<Assertion>> = ch
                    .assert
                    .iter()
                    .map(|a| expr(&a.that).map(|that| Assertion { that, otherwise: a.otherwise.clone() }))
                    .collect();
                let scope = ch.scope.as_ref().map(&mut expr);
                let flag = ch.flag.as_ref().map(&mut expr);
                let lets: Vec<Option<(String, Expr)>> =
                    ch.lets.iter().map(|(name, e)| expr(e).map(|e| (name.clone(), e))).collect();
                let mode = ch.mode.as_ref().map(|m| problems.variant::<Mode>(m, "mode"));
                let when_none = ch.when_none.as_ref().map(|w| problems.variant::<Status>(w, "when_none"));
                // Anything wrong above is already reported; the control is
                // not built, and the reading goes on to the next.
                let lets = lets
                    .into_iter()
                    .collect::<Option<Vec<_>>>()
                    .filter(|lets| lets.iter().all(|(name, e)| problems.binding(&id, name, e)));
                let (Some(assertions), Some(scope), Some(flag), Some(mode), Some(when_none), Some(first), Some(lets)) = (
                    assertions.into_iter().collect::<Option<Vec<_>>>(),
                    scope.map_or(Some(None), |e| e.map(Some)),
                    flag.map_or(Some(None), |e| e.map(Some)),
                    mode.unwrap_or(Some(Mode::Each)),
                    when_none.map_or(Some(None), |w| w.map(Some)),
                    resources.first().filter(|_| resources.len() == listed.len()),
                    lets,
                ) else {
                    continue;
                };
                if evidence.is_empty() {
                    evidence.extend(resources.iter().cloned());
                }
                ControlBody::Check(Check {
                    subject: ch.subject.unwrap_or_else(|| kinds::label_of_kind(first).to_string()),
                    scope,
                    flag,
                    mode,
                    when_none: when_none.unwrap_or(match mode {
                        Mode::Each => Status::NotApplicable,
                        Mode::Any => Status::Fail,
                    }),
                    assertions,
                    needs,
                    resources,
                    lets,
                })
            } else if let Some(m) = c.manual {
                // Held to a plain formula before anything compiles it: evaluated
                // without a budget, it must not be able to cost more than its size.
                for rule in m.risk_rules.iter().filter(|r| r.condition.trim() != "default") {
                    if let Err(message) = super::engine::check_condition(&rule.condition) {
                        problems.add(
                            (&c.id).into(),
                            format!("control '{id}': {message}"),
                            "write a risk rule condition over the choice ids, such as `so_1_1 && !so_1_2`",
                        );
                    }
                }
                if let Err(message) = super::attest::validate(&m) {
                    problems.add((&c.id).into(), format!("control '{id}': {message}"), "a manual control needs choices with unique ids and risk rules over them, ending with `condition: default`");
                }
                ControlBody::Manual(m)
            } else {
                let mut sections = Vec::new();
                for s in &c.sections {
                    for inc in &s.controls {
                        if !ids.contains(&inc.value) {
                            problems.add(
                                inc.into(),
                                format!("section '{}' of '{id}' includes unknown control '{}'", s.title, inc.value),
                                "include only ids of other controls defined in this catalog",
                            );
                        }
                        included_at.entry((controls.len(), inc.value.clone())).or_insert_with(|| inc.into());
                    }
                    sections.push(Section {
                        title: s.title.clone(),
                        text: s.text.clone(),
                        controls: s.controls.iter().map(|x| x.value.clone()).collect(),
                        evidence: problems.kinds(&s.evidence),
                    });
                }
                ControlBody::Composite(sections)
            };
            let Some(severity) = severity else { continue };
            controls.push(Control {
                id,
                title: c.title,
                severity,
                description: c.description,
                frameworks: c.frameworks,
                remediation: c.remediation,
                params: c.params,
                evidence,
                body,
            });
        }
        if let Err(cycle) = dependency_order(&controls) {
            // Reported where the member written first in the file includes the next.
            let at = (0..cycle.len()).min_by_key(|&i| cycle[i]).unwrap_or(0);
            let (from, to) = (&controls[cycle[at]], &controls[cycle[(at + 1) % cycle.len()]]);
            let pos = included_at.get(&(cycle[at], to.id.clone())).copied().unwrap_or(Pos { line: 0, column: 0 });
            let path: Vec<&str> =
                (0..=cycle.len()).map(|i| controls[cycle[(at + i) % cycle.len()]].id.as_str()).collect();
            let message = if cycle.len() == 1 {
                format!("control '{}' includes itself", from.id)
            } else {
                format!("controls include each other in a cycle: {}", path.join(" → "))
            };
            problems.add(
                pos,
                message,
                "a control made of others cannot include itself, directly or through others; remove one of these includes",
            );
        }
        if !problems.list.is_empty() {
            return Err(problems.finish());
        }
        Ok(Catalog {
            name: raw.name,
            version: raw.version,
            description: raw.description,
            controls,
            source: text.to_string(),
            sha256: hex::encode(Sha256::digest(text.as_bytes())),
        })
    }

    /// Every resource kind the catalog's checks and evidence tables read:
    /// what collection has to produce for it.
    pub fn kinds(&self) -> BTreeSet<String> {
        let mut out: BTreeSet<String> = BTreeSet::new();
        for c in &self.controls {
            out.extend(c.evidence.iter().cloned());
            match &c.body {
                ControlBody::Check(ch) => out.extend(ch.needs.iter().cloned()),
                ControlBody::Composite(sections) => {
                    out.extend(sections.iter().flat_map(|s| s.evidence.iter().cloned()))
                }
                ControlBody::Manual(_) => {}
            }
        }
        out
    }

    pub fn get(&self, id: &str) -> Option<&Control> {
        self.controls.iter().find(|c| c.id == id)
    }

    /// The controls made of others, each after every composite it includes,
    /// otherwise in catalog order: the order to evaluate them in.
    pub fn composites_in_order(&self) -> Vec<&Control> {
        let order = dependency_order(&self.controls).unwrap_or_else(|_| {
            // A loaded catalog has no cycle; one built otherwise is taken as written.
            (0..self.controls.len()).filter(|&i| matches!(self.controls[i].body, ControlBody::Composite(_))).collect()
        });
        order.into_iter().map(|i| &self.controls[i]).collect()
    }
}

/// The indices of the composite controls, each after the composites it
/// includes and otherwise in catalog order; or, if they include each other
/// in a cycle, the indices along one cycle, each including the next.
/// Iterative (Kahn's algorithm): a catalog may chain thousands of them.
fn dependency_order(controls: &[Control]) -> Result<Vec<usize>, Vec<usize>> {
    let index: HashMap<&str, usize> = controls.iter().enumerate().map(|(i, c)| (c.id.as_str(), i)).collect();
    let includes = |i: usize| -> Vec<usize> {
        match &controls[i].body {
            ControlBody::Composite(sections) => sections
                .iter()
                .flat_map(|s| &s.controls)
                .filter_map(|id| index.get(id.as_str()).copied())
                .filter(|&j| matches!(controls[j].body, ControlBody::Composite(_)))
                .collect(),
            _ => vec![],
        }
    };
    let composites: Vec<usize> =
        (0..controls.len()).filter(|&i| matches!(controls[i].body, ControlBody::Composite(_))).collect();
    let mut waiting: HashMap<usize, usize> = HashMap::new();
    let mut dependents: HashMap<usize, Vec<usize>> = HashMap::new();
    for &i in &composites {
        let mut deps = includes(i);
        deps.sort_unstable();
        deps.dedup();
        waiting.insert(i, deps.len());
        for d in deps {
            dependents.entry(d).or_default().push(i);
        }
    }
    let mut ready: BTreeSet<usize> = composites.iter().copied().filter(|i| waiting[i] == 0).collect();
    let mut order = Vec::with_capacity(composites.len());
    while let Some(i) = ready.pop_first() {
        order.push(i);
        for &d in dependents.get(&i).map(Vec::as_slice).unwrap_or_default() {
            let w = waiting.entry(d).or_default();
            *w -= 1;
            if *w == 0 {
                ready.insert(d);
            }
        }
    }
    if order.len() == composites.len() {
        return Ok(order);
    }
    // Every composite left waits on another one left: following those
    // leads round a cycle.
    let left = |i: &usize| waiting.get(i).is_some_and(|w| *w > 0);
    let mut path: Vec<usize> = Vec::new();
    let mut seen: HashMap<usize, usize> = HashMap::new();
    let mut at = composites.iter().copied().find(|i| left(i)).unwrap_or_default();
    loop {
        if let Some(&start) = seen.get(&at) {
            return Err(path.split_off(start));
        }
        seen.insert(at, path.len());
        path.push(at);
        match includes(at).into_iter().find(|j| left(j)) {
            Some(next) => at = next,
            None => return Err(path),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: &str = "version: 1\nname: test\ncontrols:\n";
    const CHECK: &str = "  - id: X.1\n    title: t\n    severity: low\n    check:\n      resource: kms.key\n      assert:\n        - that: 'true'\n          otherwise: no\n";

    fn composite(id: &str, includes: &str) -> String {
        format!(
            "  - id: {id}\n    title: t\n    severity: low\n    sections:\n      - title: s\n        controls: [{includes}]\n"
        )
    }

    fn order(c: &Catalog) -> Vec<&str> {
        c.composites_in_order().iter().map(|c| c.id.as_str()).collect()
    }

    #[test]
    fn composites_come_after_the_composites_they_include() {
        let text = format!("{HEAD}{}{}{}{CHECK}", composite("A", "B, C"), composite("B", "C"), composite("C", "X.1"));
        assert_eq!(order(&Catalog::parse("c.yaml", &text).unwrap()), ["C", "B", "A"]);
        // A long chain, written backwards, is ordered without recursing.
        let mut text = HEAD.to_string();
        for i in 0..5000 {
            text.push_str(&composite(&format!("K{i}"), &format!("K{}", i + 1)));
        }
        text.push_str(&composite("K5000", "X.1"));
        text.push_str(CHECK);
        let catalog = Catalog::parse("c.yaml", &text).unwrap();
        let got = order(&catalog);
        assert_eq!((got[0], got[5000]), ("K5000", "K0"));
    }

    #[test]
    fn a_cycle_is_shown_where_it_closes() {
        let text = format!("{HEAD}{CHECK}{}{}", composite("A", "B"), composite("B", "X.1, A"));
        let Err(CatalogError::Invalid(Problems(all))) = Catalog::parse("c.yaml", &text) else {
            panic!("a cycle was accepted")
        };
        let [e] = all.as_slice() else { panic!("{all:?}") };
        assert_eq!(
            (e.line, e.column, e.message.as_str()),
            (17, 20, "controls include each other in a cycle: A → B → A")
        );
    }

    #[test]
    fn risk_rules_are_formulas_over_the_choices() {
        let manual = |condition: &str| {
            format!(
                "{HEAD}  - id: Q.1\n    title: t\n    severity: low\n    manual:\n      question: q\n      choices:\n        - id: a\n          title: A\n      risk_rules:\n        - condition: {condition}\n          risk: HIGH_RISK\n        - condition: default\n          risk: NO_RISK\n"
            )
        };
        assert!(Catalog::parse("c.yaml", &manual("'!a'")).is_ok());
        let bomb = "'[1, 2, 3].all(x, [1, 2, 3].all(y, a))'";
        let Err(CatalogError::Invalid(Problems(all))) = Catalog::parse("c.yaml", &manual(bomb)) else {
            panic!("accepted {bomb}")
        };
        let [e] = all.as_slice() else { panic!("{all:?}") };
        assert!(e.message.contains("may only combine choice ids"), "{e}");
        assert_eq!(e.line, 4);
    }

    /// Six different mistakes, each reported at its own line and column,
    /// in file order; before, loading stopped at the first.
    #[test]
    fn every_problem_is_reported_with_its_position() {
        let text = format!(
            "{HEAD}{CHECK}{}{}{}{}{}",
            // 12: a misspelt field, and a severity that does not exist
            "  - id: A\n    title: t\n    severity: severe\n    chekc: {}\n    check:\n      resource: kms.keys\n      assert:\n        - that: r.x ==\n          otherwise: no\n",
            // 21: a duplicate id
            "  - id: X.1\n    title: t\n    severity: low\n    manual:\n      question: q\n      choices: [{id: a, title: A}]\n      risk_rules: [{condition: default, risk: NO_RISK}]\n",
            // 28: a composite including an unknown control
            "  - id: C\n    title: t\n    severity: low\n    sections:\n      - title: s\n        controls: [X.1, NOPE]\n        evidnce: []\n",
            // 35: a parameter the control does not define
            "  - id: P\n    title: t\n    severity: low\n    params: {max_age: 90}\n    check:\n      resource: kms.key\n      assert:\n        - that: r.age < params.max_days\n          otherwise: old\n",
            "",
        );
        let Err(CatalogError::Invalid(Problems(all))) = Catalog::parse("c.yaml", &text) else {
            panic!("a catalog with six mistakes was accepted")
        };
        let got: Vec<(u64, u64, &str)> = all.iter().map(|p| (p.line, p.column, p.message.as_str())).collect();
        let expect: Vec<(u64, u64, &str)> = vec![
            (
                14,
                15,
                "`severity`: unknown variant `severe`, expected one of `critical`, `high`, `medium`, `low`, `informational`",
            ),
            (15, 5, "unknown field `chekc` in a control"),
            (17, 17, "unknown resource type 'kms.keys'"),
            (19, 24, "invalid CEL expression `r.x ==`"),
            (21, 9, "control id 'X.1' is defined twice (first at line 4)"),
            (33, 25, "section 's' of 'C' includes unknown control 'NOPE'"),
            (34, 9, "unknown field `evidnce` in a section"),
            (42, 17, "control 'P' reads params.max_days, which its `params` do not define"),
        ];
        assert_eq!(got.len(), expect.len(), "{got:#?}");
        for (g, e) in got.iter().zip(&expect) {
            assert_eq!((g.0, g.1), (e.0, e.1), "{got:#?}");
            assert!(g.2.starts_with(e.2), "{g:?} does not start with {e:?}");
        }
        // Shown together, in file order, each with its hint.
        let shown = Problems(all).to_string();
        assert!(shown.starts_with("8 problems in c.yaml:\nc.yaml:14:15: "), "{shown}");
        assert_eq!(shown.matches("\n  hint: ").count(), 8, "{shown}");
    }

    /// The pass that finds unknown fields reads any text: nesting far past a
    /// stack, keys that are mappings, aliases and a bare scalar end in an
    /// error, never a panic.
    #[test]
    fn odd_yaml_shapes_are_errors_not_panics() {
        let deep = format!("version: 1\nname: n\ncontrols: {}{}\n", "[".repeat(200_000), "]".repeat(200_000));
        let texts = [
            deep,
            "just text".to_string(),
            "? {a: 1}\n: x\nversion: 1\nname: n\ncontrols: []\nbogus: 1\n".to_string(),
            "version: 1\nname: &n n\ncontrols:\n  - &c {id: A, title: *n, severity: low, oops: *n}\n  - *c\n"
                .to_string(),
            "version: 1\nname: n\ncontrols:\n  - [id, A]\n  - {id: B, title: t, severity: low, check: [1]}\n"
                .to_string(),
        ];
        for text in texts {
            assert!(matches!(Catalog::parse("c.yaml", &text), Err(CatalogError::Invalid(_))), "{text:.80}");
        }
        let Err(CatalogError::Invalid(Problems(all))) =
            Catalog::parse("c.yaml", "version: 1\nname: n\ncontrols: []\nbogus: 1\nmore: 2\n")
        else {
            panic!("unknown top-level fields were accepted")
        };
        assert_eq!(all.iter().map(|p| (p.line, p.column)).collect::<Vec<_>>(), [(4, 1), (5, 1)], "{all:?}");
    }

    #[test]
    fn params_read_must_be_defined_unless_asked_about() {
        let with = |that: &str| {
            format!(
                "{HEAD}  - id: P\n    title: t\n    severity: low\n    params: {{days: 90}}\n    check:\n      resource: kms.key\n      assert:\n        - that: \"{that}\"\n          otherwise: no\n"
            )
        };
        for ok in ["params.days > 1", "params['days'] > 1", "(has(params.max) ? params.max : 5) > 1"] {
            assert!(Catalog::parse("c.yaml", &with(ok)).is_ok(), "{ok}");
        }
        let Err(CatalogError::Invalid(Problems(all))) = Catalog::parse("c.yaml", &with("params['day'] > 1")) else {
            panic!("an undefined param was accepted")
        };
        assert!(all[0].message.contains("params.day,") && all[0].hint.ends_with("days"), "{all:?}");
    }

    #[test]
    fn the_field_lists_come_from_the_structs() {
        assert!(Shape::Control.fields().contains(&"severity") && Shape::Control.fields().contains(&"manual"));
        assert!(Shape::Check.fields().contains(&"where") && !Shape::Check.fields().contains(&"scope"));
        assert!(Shape::Link.fields().contains(&"url"));
    }

    #[test]
    fn the_builtin_catalog_loads() {
        let c = Catalog::builtin();
        assert!(c.controls.len() > 50);
    }

    /// Where AWS lists the controls it has retired: the change log of
    /// Security Hub controls
    /// (https://docs.aws.amazon.com/securityhub/latest/userguide/controls-change-log.html),
    /// and each one's own entry in the controls reference, which then reads
    /// "This control is retired". The one list of them.
    const RETIRED_BY_AWS: &[&str] = &["IAM.20", "CloudFront.2", "EC2.29", "RDS.18", "S3.4"];

    /// Every control mapped to Security Hub links its definition in AWS's
    /// controls reference, and none AWS has retired claims to be current.
    #[test]
    fn security_hub_controls_link_their_definition_and_none_is_retired() {
        let c = Catalog::builtin();
        let mut mapped = 0;
        for control in &c.controls {
            for retired in RETIRED_BY_AWS {
                if control.frameworks.get("security_hub").is_some_and(|ids| ids.iter().any(|i| i == retired)) {
                    panic!(
                        "{} claims Security Hub's {retired}, which AWS retired: map it under retired_by_aws",
                        control.id
                    );
                }
                if control.id == *retired {
                    assert!(
                        control.frameworks.get("retired_by_aws").is_some_and(|ids| ids.iter().any(|i| i == retired)),
                        "{retired} must say it is retired by AWS"
                    );
                }
            }
            for id in control.frameworks.get("security_hub").into_iter().flatten() {
                mapped += 1;
                let (service, number) = id.split_once('.').expect("a Security Hub id is Service.N");
                let url = format!(
                    "https://docs.aws.amazon.com/securityhub/latest/userguide/{}-controls.html#{}-{}",
                    service.to_lowercase(),
                    service.to_lowercase(),
                    number
                );
                let linked = control.description.contains(&url)
                    || control.remediation.as_ref().and_then(|r| r.url.as_deref()) == Some(url.as_str());
                assert!(linked, "{} does not link its definition, {url}", control.id);
            }
        }
        assert!(mapped > 50, "only {mapped} Security Hub mappings");
    }

    /// An auditor checks a verdict against AWS's own words, so every Security
    /// Hub control quotes its definition (`AWS: "…"`), links the control's
    /// entry in the controls reference from the description itself, and
    /// states AWS's parameters (`AWS parameters: …`, "none" when it has
    /// none); a Trusted Advisor check quotes and links Trusted Advisor's
    /// check. A paraphrase written from memory fails here.
    #[test]
    fn aws_controls_quote_and_link_their_definition_and_state_its_parameters() {
        let c = Catalog::builtin();
        let mut quoted = 0;
        for control in &c.controls {
            let d = &control.description;
            for id in control.frameworks.get("security_hub").into_iter().flatten() {
                quoted += 1;
                let (service, number) = id.split_once('.').expect("a Security Hub id is Service.N");
                let anchor = format!(
                    "https://docs.aws.amazon.com/securityhub/latest/userguide/{}-controls.html#{}-{}",
                    service.to_lowercase(),
                    service.to_lowercase(),
                    number
                );
                assert!(d.contains("AWS: \""), "{} does not quote AWS's definition (AWS: \"…\")", control.id);
                assert!(d.contains(&anchor), "{}'s description does not link {anchor}", control.id);
                assert!(d.contains("AWS parameters:"), "{} does not state AWS's parameters", control.id);
            }
            let is_check = matches!(control.body, ControlBody::Check(_));
            if is_check
                && control.frameworks.contains_key("trusted_advisor")
                && !control.frameworks.contains_key("security_hub")
            {
                assert!(d.contains("Trusted Advisor: \""), "{} does not quote Trusted Advisor's check", control.id);
                assert!(
                    d.contains("https://docs.aws.amazon.com/awssupport/latest/user/security-checks.html#"),
                    "{} does not link its Trusted Advisor check",
                    control.id
                );
            }
        }
        assert!(quoted > 50, "only {quoted} Security Hub controls quoted");
    }
}
