//! Stage 2: evaluate the catalog's controls over a snapshot.
//!
//! Reads only the snapshot. Every control in the catalog gets a result with
//! a status and a reason a person can read; none is ever left out.

pub mod attest;
pub mod catalog;
pub mod engine;

use std::collections::BTreeMap;

use cel::Value;
use serde::Serialize;

use crate::snapshot::{CollectionError, Snapshot, kinds};
pub use attest::{Attestation, Attestations, Exception, Exceptions, InputError};
pub use catalog::{Catalog, CatalogError, Control, Kind, Severity, Status};
use catalog::{Check, Mode};

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Results {
    pub catalog: CatalogRef,
    pub summary: Summary,
    pub controls: Vec<ControlResult>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CatalogRef {
    pub name: String,
    pub version: u32,
    pub sha256: String,
}

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Summary {
    pub pass: usize,
    pub fail: usize,
    pub error: usize,
    pub manual: usize,
    pub not_applicable: usize,
    pub excepted: usize,
    /// Manual controls nobody has answered yet.
    pub open_attestations: Vec<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ControlResult {
    pub id: String,
    pub title: String,
    pub severity: Severity,
    pub status: Status,
    pub reason: String,
    pub frameworks: BTreeMap<String, Vec<String>>,
    /// Resources the check looked at, after its `where` filter.
    pub evaluated: usize,
    /// Resources that did not comply, each with what was wrong.
    pub failing: Vec<Finding>,
    /// The collection errors that left evidence missing.
    pub evidence_errors: Vec<CollectionError>,
    /// For a control made of others: the ids it includes.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub includes: Vec<String>,
    /// The answer to a manual control.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attestation: Option<Attestation>,
    /// Exceptions written for this control, applied or expired.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub exceptions: Vec<ExceptionNote>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ExceptionNote {
    pub justification: String,
    pub approver: String,
    pub expires: chrono::NaiveDate,
    /// False once past its expiry at the snapshot's time.
    pub active: bool,
    /// The failing resources it covered.
    pub covered: Vec<String>,
}

/// What people add to the snapshot: answers and accepted risks.
#[derive(Debug, Clone, Default)]
pub struct Inputs {
    pub attestations: Attestations,
    pub exceptions: Exceptions,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Finding {
    pub id: String,
    pub name: String,
    pub account: String,
    pub region: String,
    pub problems: Vec<String>,
}

impl Results {
    pub fn get(&self, id: &str) -> Option<&ControlResult> {
        self.controls.iter().find(|c| c.id == id)
    }

    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).expect("results serialise");
        s.push('\n');
        s
    }
}

pub fn evaluate(snapshot: &Snapshot, catalog: &Catalog) -> Results {
    evaluate_with(snapshot, catalog, &Inputs::default())
}

pub fn evaluate_with(snapshot: &Snapshot, catalog: &Catalog, inputs: &Inputs) -> Results {
    let env = engine::Env::new(snapshot);
    let now = snapshot.collected_at.finished;
    let mut done: BTreeMap<String, ControlResult> = BTreeMap::new();
    // Composite controls read their parts' results, so those go first.
    let simple: Vec<&Control> = catalog.controls.iter().filter(|c| !matches!(c.kind, Kind::Composite(_))).collect();
    let one = |c: &Control| match &c.kind {
        Kind::Check(check) => {
            let mut r = run_check(&env, snapshot, c, check);
            apply_exceptions(&mut r, &inputs.exceptions, now);
            r
        }
        Kind::Manual(m) => answer(c, m, inputs.attestations.get(&c.id)),
        Kind::Composite(_) => unreachable!("composites are evaluated after their parts"),
    };
    // Controls are independent of each other: evaluate them on every core,
    // with the stack expressions were checked to fit in.
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(simple.len().max(1));
    let chunk = simple.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        let handles: Vec<_> = simple
            .chunks(chunk)
            .map(|part| {
                std::thread::Builder::new()
                    .name("evaluate".into())
                    .stack_size(engine::STACK)
                    .spawn_scoped(scope, move || part.iter().map(|c| one(c)).collect::<Vec<_>>())
                    .expect("start an evaluation thread")
            })
            .collect();
        for h in handles {
            for r in h.join().expect("evaluation does not panic") {
                done.insert(r.id.clone(), r);
            }
        }
    });
    // A composite may include composites written after it.
    for c in catalog.composites_in_order() {
        if let Kind::Composite(sections) = &c.kind {
            let ids: Vec<String> = sections.iter().flat_map(|s| s.controls.clone()).collect();
            let result = composite(c, ids, &done);
            done.insert(c.id.clone(), result);
        }
    }
    let controls: Vec<ControlResult> = catalog.controls.iter().filter_map(|c| done.remove(&c.id)).collect();
    let mut summary = Summary::default();
    for c in &controls {
        *match c.status {
            Status::Pass => &mut summary.pass,
            Status::Fail => &mut summary.fail,
            Status::Error => &mut summary.error,
            Status::Manual => &mut summary.manual,
            Status::NotApplicable => &mut summary.not_applicable,
            Status::Excepted => &mut summary.excepted,
        } += 1;
        if c.status == Status::Manual && c.includes.is_empty() {
            summary.open_attestations.push(c.id.clone());
        }
    }
    Results {
        catalog: CatalogRef { name: catalog.name.clone(), version: catalog.version, sha256: catalog.sha256.clone() },
        summary,
        controls,
    }
}

fn base(c: &Control, status: Status, reason: String) -> ControlResult {
    ControlResult {
        id: c.id.clone(),
        title: c.title.clone(),
        severity: c.severity,
        status,
        reason,
        frameworks: c.frameworks.clone(),
        evaluated: 0,
        failing: vec![],
        evidence_errors: vec![],
        includes: vec![],
        attestation: None,
        exceptions: vec![],
    }
}

/// A manual control's status from its answer and the catalog's risk rules.
fn answer(c: &Control, m: &catalog::Manual, a: Option<&Attestation>) -> ControlResult {
    let Some(a) = a else {
        return base(c, Status::Manual, format!("Open: needs a person's answer. {}", m.question));
    };
    let unknown: Vec<&String> = a.answer.iter().filter(|x| !m.choices.iter().any(|ch| &ch.id == *x)).collect();
    let mut r = if !unknown.is_empty() {
        base(
            c,
            Status::Error,
            format!(
                "The attestation answers with {}, which {} not a choice of this control.",
                unknown.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", "),
                if unknown.len() == 1 { "is" } else { "are" }
            ),
        )
    } else {
        let chosen: Vec<&str> =
            m.choices.iter().filter(|ch| a.answer.contains(&ch.id)).map(|ch| ch.title.as_str()).collect();
        let by = format!("Answered by {} on {}: {}.", a.by, a.date, chosen.join("; "));
        match attest::risk(m, &a.answer) {
            Ok(catalog::Risk::NoRisk) => base(c, Status::Pass, format!("{by} No risk.")),
            Ok(catalog::Risk::MediumRisk) => base(c, Status::Fail, format!("{by} Medium risk.")),
            Ok(catalog::Risk::HighRisk) => base(c, Status::Fail, format!("{by} High risk.")),
            Err(e) => base(c, Status::Error, e),
        }
    };
    r.attestation = Some(a.clone());
    r
}

/// Turn failures covered by accepted, unexpired risks into `excepted`,
/// and say when an exception has lapsed.
fn apply_exceptions(r: &mut ControlResult, exceptions: &Exceptions, now: chrono::DateTime<chrono::Utc>) {
    for e in exceptions.for_control(&r.id) {
        let active = e.active(now);
        let covered: Vec<String> =
            r.failing.iter().filter(|f| e.covers(&f.id, &f.name)).map(|f| f.name.clone()).collect();
        r.exceptions.push(ExceptionNote {
            justification: e.justification.clone(),
            approver: e.approver.clone(),
            expires: e.expires,
            active,
            covered,
        });
        if !active {
            r.reason.push_str(&format!(
                " An exception approved by {} expired on {} and no longer applies.",
                e.approver, e.expires
            ));
        }
    }
    if r.status != Status::Fail {
        return;
    }
    let applies = |id: &str, name: &str| exceptions.for_control(&r.id).any(|e| e.active(now) && e.covers(id, name));
    let whole = exceptions.for_control(&r.id).any(|e| e.active(now) && e.resources.iter().any(|p| p == "*"));
    let excepted = r.failing.iter().filter(|f| applies(&f.id, &f.name)).count();
    if (excepted == r.failing.len() && excepted > 0) || (r.failing.is_empty() && whole) {
        let notes: Vec<String> = r
            .exceptions
            .iter()
            .filter(|n| n.active)
            .map(|n| format!("{} (approved by {}, until {})", n.justification.trim(), n.approver, n.expires))
            .collect();
        r.status = Status::Excepted;
        r.reason = format!("Accepted risk: {} Without the exception: {}", notes.join("; "), r.reason);
    } else if excepted > 0 {
        r.reason.push_str(&format!(
            " {excepted} of the {} failing resources are covered by an accepted risk.",
            r.failing.len()
        ));
    }
}

fn plural(n: usize, noun: &str) -> String {
    match n {
        1 => format!("1 {noun}"),
        _ if noun.ends_with('y') && !noun.ends_with("ey") => format!("{n} {}ies", &noun[..noun.len() - 1]),
        _ => format!("{n} {noun}s"),
    }
}

fn describe_errors(errors: &[CollectionError]) -> String {
    let mut parts: Vec<String> =
        errors.iter().map(|e| format!("{} in {}/{} returned {}", e.operation, e.account, e.region, e.code)).collect();
    parts.dedup();
    let more = parts.len().saturating_sub(3);
    parts.truncate(3);
    let mut s = parts.join("; ");
    if more > 0 {
        s.push_str(&format!("; and {more} more"));
    }
    s
}

fn run_check(env: &engine::Env, snapshot: &Snapshot, c: &Control, check: &Check) -> ControlResult {
    let errors: Vec<CollectionError> = snapshot.errors_for(&check.needs).cloned().collect();
    let mut result = base(c, Status::Pass, String::new());
    result.evidence_errors = errors.clone();

    let reads_resources = check
        .scope
        .iter()
        .chain(&check.flag)
        .chain(check.assertions.iter().map(|a| &a.that))
        .any(|e| e.program.reads_resources());
    let budget = env.budget();
    let ctx = env.context(&c.params, reads_resources);
    // Once the budget is gone, the check stops where it is.
    let over_budget = |mut result: ControlResult, e: &catalog::Expr, r: &crate::snapshot::Resource| {
        result.status = Status::Error;
        result.reason = format!(
            "The check was stopped: evaluating `{}` for {} went over the cost budget of {} units a check may spend on one resource; simplify the control's expressions in the catalog.",
            engine::abbreviated(e.source.trim()),
            r.id,
            budget.limit()
        );
        result
    };

    let mut in_scope = 0usize;
    let mut compliant = 0usize;
    let mut failing = Vec::new();
    let mut eval_errors = Vec::new();
    for (r, data) in snapshot.resources.iter().zip(&env.data).filter(|(r, _)| check.resources.contains(&r.kind)) {
        budget.reset();
        if let Some(p) = &check.scope {
            let value = engine::eval(&p.program, &ctx, &budget, r, data);
            if budget.exceeded() {
                return over_budget(result, p, r);
            }
            match value {
                Ok(Value::Bool(true)) => {}
                Ok(Value::Bool(false)) => continue,
                Ok(other) => {
                    eval_errors.push(format!("`where` gave {other:?}, not a bool, for {}", r.id));
                    continue;
                }
                Err(e) => {
                    eval_errors.push(format!("`where` failed for {}: {e}", r.id));
                    continue;
                }
            }
        }
        in_scope += 1;
        let mut problems = Vec::new();
        for a in &check.assertions {
            let value = engine::eval(&a.that.program, &ctx, &budget, r, data);
            if budget.exceeded() {
                return over_budget(result, &a.that, r);
            }
            match value {
                Ok(Value::Bool(true)) => {}
                Ok(Value::Bool(false)) => problems.push(a.otherwise.clone()),
                Ok(other) => {
                    eval_errors.push(format!("`{}` gave {other:?}, not a bool, for {}", a.that.source.trim(), r.id))
                }
                Err(e) => eval_errors.push(format!("`{}` failed for {}: {e}", a.that.source.trim(), r.id)),
            }
        }
        if problems.is_empty() {
            compliant += 1;
            continue;
        }
        if let Some(p) = &check.flag {
            let value = engine::eval(&p.program, &ctx, &budget, r, data);
            if budget.exceeded() {
                return over_budget(result, p, r);
            }
            if let Ok(Value::List(items)) = value {
                problems.extend(items.iter().filter_map(|v| match v {
                    Value::String(s) => Some(s.to_string()),
                    _ => None,
                }));
            }
        }
        failing.push(Finding {
            id: r.id.clone(),
            name: kinds::label(&r.kind, &r.data),
            account: r.account.clone(),
            region: r.region.clone(),
            problems,
        });
    }
    result.evaluated = in_scope;
    let subject = &check.subject;

    if !eval_errors.is_empty() {
        result.status = Status::Error;
        result.reason = format!(
            "The check could not be evaluated ({}); fix the control's expressions in the catalog.",
            eval_errors.into_iter().take(3).collect::<Vec<_>>().join("; ")
        );
        return result;
    }
    let missing = if errors.is_empty() {
        String::new()
    } else {
        format!(" Some evidence could not be collected: {}.", describe_errors(&errors))
    };
    let listed = |fs: &[Finding]| {
        let mut parts: Vec<String> =
            fs.iter().take(3).map(|f| format!("{} ({})", f.name, f.problems.join("; "))).collect();
        if fs.len() > 3 {
            parts.push(format!("and {} more", fs.len() - 3));
        }
        parts.join(", ")
    };
    match check.mode {
        Mode::Each if !failing.is_empty() => {
            result.status = Status::Fail;
            result.reason = if in_scope == 1 {
                format!("The {subject} does not comply: {}.{missing}", failing[0].problems.join("; "))
            } else {
                format!(
                    "{} of {} do not comply: {}.{missing}",
                    failing.len(),
                    plural(in_scope, subject),
                    listed(&failing)
                )
            };
        }
        Mode::Any if compliant > 0 => {
            result.status = Status::Pass;
            result.reason = format!(
                "{} of {} meet{} every requirement.",
                compliant,
                plural(in_scope, subject),
                if compliant == 1 { "s" } else { "" }
            );
            failing.clear();
        }
        _ if !errors.is_empty() => {
            result.status = Status::Error;
            result.reason = format!("Evidence could not be collected: {}.", describe_errors(&errors));
        }
        _ if in_scope == 0 => {
            result.status = check.when_none;
            result.reason = match check.when_none {
                Status::Fail => format!("No {subject} exists, and at least one is required."),
                _ => format!("No {subject} is in scope for this control."),
            };
        }
        Mode::Each if in_scope == 1 => result.reason = format!("The {subject} complies."),
        Mode::Each => result.reason = format!("All {} comply.", plural(in_scope, subject)),
        Mode::Any => {
            result.status = Status::Fail;
            result.reason = format!("No {subject} meets every requirement: {}.", listed(&failing));
        }
    }
    result.failing = failing;
    result
}

fn composite(c: &Control, ids: Vec<String>, done: &BTreeMap<String, ControlResult>) -> ControlResult {
    let parts: Vec<&ControlResult> = ids.iter().filter_map(|i| done.get(i)).collect();
    let with = |s: Status| -> Vec<&str> { parts.iter().filter(|p| p.status == s).map(|p| p.id.as_str()).collect() };
    let (fail, error, manual, pass, excepted) =
        (with(Status::Fail), with(Status::Error), with(Status::Manual), with(Status::Pass), with(Status::Excepted));
    let n = parts.len();
    let (status, reason) = if !fail.is_empty() {
        (Status::Fail, format!("{} of {n} included controls fail: {}.", fail.len(), fail.join(", ")))
    } else if !error.is_empty() {
        (
            Status::Error,
            format!("{} of {n} included controls could not be evaluated: {}.", error.len(), error.join(", ")),
        )
    } else if !manual.is_empty() {
        (
            Status::Manual,
            format!("{} of {n} included controls need a person's answer: {}.", manual.len(), manual.join(", ")),
        )
    } else if !excepted.is_empty() {
        (
            Status::Excepted,
            format!(
                "{} of {n} included controls fail only on accepted risks: {}.",
                excepted.len(),
                excepted.join(", ")
            ),
        )
    } else if !pass.is_empty() {
        (Status::Pass, format!("All {} applicable included controls pass.", pass.len()))
    } else {
        (Status::NotApplicable, "None of the included controls applies to this account.".to_string())
    };
    let mut r = base(c, status, reason);
    r.evidence_errors = parts.iter().flat_map(|p| p.evidence_errors.clone()).collect();
    r.evidence_errors.dedup();
    r.evaluated = parts.iter().map(|p| p.evaluated).sum();
    r.includes = ids;
    r
}
