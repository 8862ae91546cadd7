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
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCatalog {
    version: u32,
    name: String,
    #[serde(default)]
    description: String,
    controls: Vec<RawControl>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawControl {
    id: Spanned<String>,
    title: String,
    severity: Severity,
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
#[serde(deny_unknown_fields)]
struct RawCheck {
    /// One kind, or several (`[iam.user, iam.role]`) checked alike.
    resource: Spanned<OneOrMany>,
    #[serde(default)]
    needs: Vec<Spanned<String>>,
    #[serde(default, rename = "where")]
    scope: Option<Spanned<String>>,
    #[serde(default)]
    mode: Mode,
    #[serde(default)]
    subject: Option<String>,
    #[serde(default)]
    when_none: Option<Status>,
    assert: Vec<RawAssertion>,
    #[serde(default)]
    flag: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAssertion {
    that: Spanned<String>,
    otherwise: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
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
#[serde(deny_unknown_fields)]
pub struct Remediation {
    pub text: String,
    #[serde(default)]
    pub url: Option<String>,
}

/// A question a person answers, in the shape of a Well-Architected custom
/// lens question, so the catalog can be exported as a lens.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Manual {
    pub question: String,
    #[serde(default)]
    pub helpful_resource: Option<Link>,
    pub choices: Vec<Choice>,
    /// Evaluated in order; the first whose condition holds gives the risk.
    /// A condition is CEL over the choice ids with `!`, `&&`, `||`, `==`,
    /// `!=` and `? :` only (`so_1_1 && !so_1_2`), or `default`.
    pub risk_rules: Vec<RiskRule>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Link {
    pub text: String,
    #[serde(default)]
    pub url: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
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
#[serde(deny_unknown_fields)]
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
    Invalid(#[from] Located),
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

/// The catalog bundled with the binary, for `demo` and as the default.
pub const BUILTIN: &str = include_str!("../../controls.yaml");
pub const BUILTIN_NAME: &str = "controls.yaml (built in)";

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
        let invalid = |pos: Pos, message: String, hint: &str| {
            CatalogError::Invalid(Located {
                path: path.to_string(),
                line: pos.line,
                column: pos.column,
                message,
                hint: hint.to_string(),
            })
        };
        let raw: RawCatalog = from_yaml(
            path,
            text,
            "fix the YAML at that position; the header of the bundled controls.yaml describes each field",
        )?;
        if raw.version != 1 {
            return Err(invalid(
                Pos { line: 1, column: 1 },
                format!("catalog version {} is not supported", raw.version),
                "this evidence-pack reads catalog version 1",
            ));
        }

        let mut ids = BTreeSet::new();
        for c in &raw.controls {
            if !ids.insert(c.id.value.clone()) {
                return Err(invalid(
                    (&c.id).into(),
                    format!("control id '{}' is defined twice", c.id.value),
                    "give each control a unique id",
                ));
            }
        }
        let known_kind = |s: &Spanned<String>| -> Result<String, CatalogError> {
            if KNOWN_KINDS.contains(&s.value.as_str()) {
                Ok(s.value.clone())
            } else {
                Err(invalid(
                    s.into(),
                    format!("unknown resource type '{}'", s.value),
                    &format!("use one of: {}", KNOWN_KINDS.join(", ")),
                ))
            }
        };

        let mut controls = Vec::with_capacity(raw.controls.len());
        // Where each included id is written, by including control and id.
        let mut included_at: HashMap<(usize, String), Pos> = HashMap::new();
        for c in raw.controls {
            let id = c.id.value.clone();
            let bodies_given =
                [c.check.is_some(), !c.sections.is_empty(), c.manual.is_some()].iter().filter(|x| **x).count();
            if bodies_given != 1 {
                return Err(invalid(
                    (&c.id).into(),
                    format!("control '{id}' must have exactly one of `check`, `sections` or `manual`"),
                    "an automated control has `check`; a control made of others has `sections`; one a person answers has `manual`",
                ));
            }
            let mut evidence = c.evidence.iter().map(known_kind).collect::<Result<Vec<_>, _>>()?;
            let body = if let Some(ch) = c.check {
                let listed = match &ch.resource.value {
                    OneOrMany::One(k) => vec![k.clone()],
                    OneOrMany::Many(ks) => ks.clone(),
                };
                let resources = listed
                    .into_iter()
                    .map(|k| {
                        known_kind(&Spanned {
                            value: k,
                            referenced: ch.resource.referenced,
                            defined: ch.resource.defined,
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                let mut needs: BTreeSet<String> = ch.needs.iter().map(known_kind).collect::<Result<_, _>>()?;
                needs.extend(resources.iter().cloned());
                let expr = |s: &Spanned<String>| -> Result<Expr, CatalogError> {
                    let pos = Pos::from(s);
                    let program =
                        super::engine::compile(&s.value, pos).map_err(|e| invalid(e.pos, e.message, e.hint))?;
                    Ok(Expr { source: s.value.clone(), pos, program: Arc::new(program) })
                };
                if ch.assert.is_empty() {
                    return Err(invalid(
                        (&ch.resource).into(),
                        format!("control '{id}' has a check with no assertions"),
                        "add at least one `- that: <expression>` with an `otherwise:` message",
                    ));
                }
                let assertions = ch
                    .assert
                    .iter()
                    .map(|a| Ok(Assertion { that: expr(&a.that)?, otherwise: a.otherwise.clone() }))
                    .collect::<Result<Vec<_>, CatalogError>>()?;
                if evidence.is_empty() {
                    evidence.extend(resources.iter().cloned());
                }
                ControlBody::Check(Check {
                    subject: ch.subject.unwrap_or_else(|| kinds::label_of_kind(&resources[0]).to_string()),
                    scope: ch.scope.as_ref().map(expr).transpose()?,
                    flag: ch.flag.as_ref().map(expr).transpose()?,
                    mode: ch.mode,
                    when_none: ch.when_none.unwrap_or(match ch.mode {
                        Mode::Each => Status::NotApplicable,
                        Mode::Any => Status::Fail,
                    }),
                    assertions,
                    needs,
                    resources,
                })
            } else if let Some(m) = c.manual {
                // Held to a plain formula before anything compiles it: evaluated
                // without a budget, it must not be able to cost more than its size.
                for rule in m.risk_rules.iter().filter(|r| r.condition.trim() != "default") {
                    super::engine::check_condition(&rule.condition).map_err(|message| {
                        invalid(
                            (&c.id).into(),
                            format!("control '{id}': {message}"),
                            "write a risk rule condition over the choice ids, such as `so_1_1 && !so_1_2`",
                        )
                    })?;
                }
                super::attest::validate(&m).map_err(|message| {
                    invalid((&c.id).into(), format!("control '{id}': {message}"), "a manual control needs choices with unique ids and risk rules over them, ending with `condition: default`")
                })?;
                ControlBody::Manual(m)
            } else {
                let mut sections = Vec::new();
                for s in &c.sections {
                    for inc in &s.controls {
                        if !ids.contains(&inc.value) {
                            return Err(invalid(
                                inc.into(),
                                format!("section '{}' of '{id}' includes unknown control '{}'", s.title, inc.value),
                                "include only ids of other controls defined in this catalog",
                            ));
                        }
                        included_at.entry((controls.len(), inc.value.clone())).or_insert_with(|| inc.into());
                    }
                    sections.push(Section {
                        title: s.title.clone(),
                        text: s.text.clone(),
                        controls: s.controls.iter().map(|x| x.value.clone()).collect(),
                        evidence: s.evidence.iter().map(known_kind).collect::<Result<_, _>>()?,
                    });
                }
                ControlBody::Composite(sections)
            };
            controls.push(Control {
                id,
                title: c.title,
                severity: c.severity,
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
            return Err(invalid(
                pos,
                message,
                "a control made of others cannot include itself, directly or through others; remove one of these includes",
            ));
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
        let Err(CatalogError::Invalid(e)) = Catalog::parse("c.yaml", &text) else { panic!("a cycle was accepted") };
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
        let Err(CatalogError::Invalid(e)) = Catalog::parse("c.yaml", &manual(bomb)) else { panic!("accepted {bomb}") };
        assert!(e.message.contains("may only combine choice ids"), "{e}");
        assert_eq!(e.line, 4);
    }
}
