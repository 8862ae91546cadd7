//! One automated check over the snapshot: each resource in scope against
//! each assertion, with per-resource failures and the reason.

use cel::Value;

use super::catalog::{self, Check, Control, Mode, Status};
use super::reason::{describe_errors, listed, plural};
use super::results::{ControlResult, Finding};
use super::{base, engine};
use crate::snapshot::{CollectionError, Snapshot, kinds};

pub(super) fn run_check(env: &engine::Env, snapshot: &Snapshot, c: &Control, check: &Check) -> ControlResult {
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
