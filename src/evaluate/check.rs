//! One automated check over the snapshot: each resource in scope against
//! each assertion, with per-resource failures and the reason; and, for a
//! pack of several accounts, each account's verdict and the worst of them.

use cel::Value;

use super::catalog::{self, Check, Control, Mode, Status};
use super::reason::{by_account, describe_errors, listed, listed_unevaluated, plural};
use super::results::{AccountResult, ControlResult, Finding};
use super::{base, engine};
use crate::snapshot::{CollectionError, Snapshot, kinds};

/// A resource the check could not judge: no assertion failed on it, but
/// one (or its `where`) could not be evaluated.
pub(super) struct Unevaluated {
    pub name: String,
    pub place: String,
    pub expression: String,
    pub why: String,
}

/// Why a value is not what an expression had to give.
fn not_a(what: &str, v: &Value) -> String {
    format!("gave {}, not {what}", engine::abbreviated(&format!("{v:?}")))
}

pub(super) fn run_check(env: &engine::Env, snapshot: &Snapshot, c: &Control, check: &Check) -> ControlResult {
    // In a pack of several accounts, only this account's failed calls leave
    // its evidence missing.
    let errors: Vec<CollectionError> = snapshot
        .errors_for(&check.needs)
        .filter(|e| env.account.as_ref().is_none_or(|a| &e.account == a))
        .cloned()
        .collect();
    let located = env.account.is_some();
    let mut result = base(c, Status::Pass, String::new());
    result.evidence_errors = errors.clone();

    let budget = env.budget();
    let mut ctx = env.context(&c.params);
    for (name, e) in &check.lets {
        let value = engine::eval_shared(&e.program, &ctx, &budget);
        budget.reset();
        match value {
            Ok(v) => ctx.add_variable_from_value(name.as_str(), v),
            Err(err) => {
                result.status = Status::Error;
                result.reason = format!(
                    "The check could not compute `let {name}` (`{}`): {err}; fix the control's `let` in the catalog.",
                    engine::abbreviated(e.source.trim())
                );
                return result;
            }
        }
    }
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
    // One bad value must not hide the other resources' failures: a resource
    // whose expressions cannot be evaluated is set aside and named, and the
    // check goes on.
    let mut unevaluated: Vec<Unevaluated> = Vec::new();
    for (r, data) in env.resources(snapshot).filter(|(r, _)| check.resources.contains(&r.kind)) {
        budget.reset();
        let could_not = |e: &catalog::Expr, why: String| Unevaluated {
            name: kinds::label(&r.kind, &r.data),
            place: format!("{}/{}", r.account, r.region),
            expression: engine::abbreviated(e.source.trim()),
            why,
        };
        if let Some(p) = &check.scope {
            let value = engine::eval(&p.program, &ctx, &budget, r, data);
            if budget.exceeded() {
                return over_budget(result, p, r);
            }
            match value {
                Ok(Value::Bool(true)) => {}
                Ok(Value::Bool(false)) => continue,
                Ok(other) => {
                    unevaluated.push(could_not(p, not_a("a bool", &other)));
                    continue;
                }
                Err(e) => {
                    unevaluated.push(could_not(p, e.to_string()));
                    continue;
                }
            }
        }
        in_scope += 1;
        let mut problems = Vec::new();
        let mut bad = Vec::new();
        for a in &check.assertions {
            let value = engine::eval(&a.that.program, &ctx, &budget, r, data);
            if budget.exceeded() {
                return over_budget(result, &a.that, r);
            }
            match value {
                Ok(Value::Bool(true)) => {}
                Ok(Value::Bool(false)) => problems.push(a.otherwise.clone()),
                Ok(other) => bad.push(could_not(&a.that, not_a("a bool", &other))),
                Err(e) => bad.push(could_not(&a.that, e.to_string())),
            }
        }
        if problems.is_empty() {
            if bad.is_empty() {
                compliant += 1;
            } else {
                unevaluated.extend(bad);
            }
            continue;
        }
        // A resource that fails one assertion fails, whatever else could
        // not be evaluated on it; that is said next to the failure.
        problems.extend(bad.iter().map(|u| format!("`{}` could not be evaluated ({})", u.expression, u.why)));
        if let Some(p) = &check.flag {
            let value = engine::eval(&p.program, &ctx, &budget, r, data);
            if budget.exceeded() {
                return over_budget(result, p, r);
            }
            // What a flag cannot name is said, never dropped.
            let flag = engine::abbreviated(p.source.trim());
            match value {
                Ok(Value::List(items)) => problems.extend(items.iter().map(|v| match v {
                    Value::String(s) => s.to_string(),
                    other => format!("the flag `{flag}` {}", not_a("a string", other)),
                })),
                Ok(other) => problems.push(format!("the flag `{flag}` {}", not_a("a list of strings", &other))),
                Err(e) => problems.push(format!("the flag `{flag}` could not be evaluated ({e})")),
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

    let missing = if errors.is_empty() {
        String::new()
    } else {
        format!(" Some evidence could not be collected: {}.", describe_errors(&errors))
    };
    let not_judged = if unevaluated.is_empty() {
        String::new()
    } else {
        format!(
            " {} could not be evaluated: {}; fix the control's expressions in the catalog.",
            plural(unevaluated.len(), subject),
            listed_unevaluated(&unevaluated)
        )
    };
    match check.mode {
        Mode::Each if !failing.is_empty() => {
            result.status = Status::Fail;
            result.reason = if in_scope == 1 && !located {
                format!("The {subject} does not comply: {}.{missing}{not_judged}", failing[0].problems.join("; "))
            } else {
                format!(
                    "{} of {} do{} not comply: {}.{missing}{not_judged}",
                    failing.len(),
                    plural(in_scope, subject),
                    if in_scope == 1 { "es" } else { "" },
                    listed(&failing, located)
                )
            };
        }
        Mode::Any if compliant > 0 => {
            result.status = Status::Pass;
            result.reason = format!(
                "{} of {} meet{} every requirement.{not_judged}",
                compliant,
                plural(in_scope, subject),
                if compliant == 1 { "s" } else { "" }
            );
            failing.clear();
        }
        Mode::Each if !unevaluated.is_empty() => {
            result.status = Status::Error;
            result.reason = format!("No {subject} fails, but{not_judged}{missing}");
        }
        // None is known to comply, but one that could not be judged might.
        Mode::Any if !unevaluated.is_empty() => {
            result.status = Status::Error;
            let known = if failing.is_empty() { String::new() } else { format!(": {}", listed(&failing, located)) };
            result.reason = format!("No {subject} is known to meet every requirement{known}, and{not_judged}{missing}");
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
            result.reason = format!("No {subject} meets every requirement: {}.", listed(&failing, located));
        }
    }
    result.reason.push_str(&super::results::unread_note(snapshot, env.account.as_deref(), &check.needs));
    result.failing = failing;
    result
}

/// Rank for the worst of several statuses: a failure anywhere is a failure;
/// then what could not be told, then what waits for a person, then accepted
/// risks; a pass needs at least one account where the control applies.
fn rank(s: Status) -> u8 {
    match s {
        Status::Fail => 0,
        Status::Error => 1,
        Status::Manual => 2,
        Status::Excepted => 3,
        Status::Pass => 4,
        Status::NotApplicable => 5,
    }
}

/// The worst of `statuses`, or `None` if there are none.
pub(super) fn worst(statuses: impl IntoIterator<Item = Status>) -> Option<Status> {
    statuses.into_iter().min_by_key(|s| rank(*s))
}

/// One control's verdicts, one per account, as one result: the worst
/// status, each account's verdict, and every failing resource (each names
/// its account and region). A single verdict is returned as it is, so a
/// pack of one account reads as it always has.
pub(super) fn combine(c: &Control, mut parts: Vec<(Option<String>, ControlResult)>) -> ControlResult {
    if parts.len() == 1 {
        return parts.remove(0).1;
    }
    let status = worst(parts.iter().map(|(_, r)| r.status)).unwrap_or(Status::NotApplicable);
    let accounts: Vec<AccountResult> = parts
        .iter()
        .map(|(a, r)| AccountResult {
            account: a.clone().unwrap_or_default(),
            status: r.status,
            reason: r.reason.clone(),
            evaluated: r.evaluated,
            failing: r.failing.len(),
        })
        .collect();
    let mut result = base(c, status, by_account(&accounts, status));
    result.evaluated = accounts.iter().map(|a| a.evaluated).sum();
    for (_, r) in parts {
        result.failing.extend(r.failing);
        for e in r.evidence_errors {
            if !result.evidence_errors.contains(&e) {
                result.evidence_errors.push(e);
            }
        }
        // Each account saw the same exceptions in the same order: one note
        // each, covering what it covered in every account.
        if result.exceptions.is_empty() {
            result.exceptions = r.exceptions;
        } else {
            for (mine, theirs) in result.exceptions.iter_mut().zip(r.exceptions) {
                mine.covered.extend(theirs.covered);
                mine.active &= theirs.active;
            }
        }
    }
    result.accounts = accounts;
    result
}

#[cfg(test)]
mod tests {
    //! Evaluation over stated snapshots and small inline catalogs: each
    //! states the one thing it is about, so it does not move when the
    //! bundled catalog's expressions are rewritten.

    use serde_json::{Value as Json, json};

    use crate::evaluate::{Catalog, Results, evaluate};
    use crate::snapshot::Snapshot;

    const A: &str = "111111111111";
    const B: &str = "222222222222";

    fn resource(kind: &str, account: &str, region: &str, name: &str, data: Json) -> Json {
        json!({
            "type": kind,
            "id": format!("arn:aws:test:{region}:{account}:{name}"),
            "account": account,
            "region": region,
            "source": {"operation": "test:Stated", "collected_at": "2026-01-01T00:00:00Z"},
            "data": data,
        })
    }

    /// One collection of `account`, finished at `finished`.
    fn collection(account: &str, finished: &str, resources: Vec<Json>) -> Snapshot {
        serde_json::from_value(json!({
            "schema_version": 1,
            "tool": {"name": "evidence-pack", "version": "0"},
            "collected_at": {"started": finished, "finished": finished},
            "accounts": [{"account_id": account, "collector_arn": format!("arn:aws:iam::{account}:user/c"), "regions": ["us-east-1"]}],
            "resources": resources,
        }))
        .unwrap()
    }

    /// `pack a.json b.json`: A read on 1 January, B on 1 June.
    fn two_accounts(a: Vec<Json>, b: Vec<Json>) -> Snapshot {
        Snapshot::merge(vec![collection(A, "2026-01-01T00:00:00Z", a), collection(B, "2026-06-01T00:00:00Z", b)])
            .unwrap()
    }

    fn catalog(controls: &str) -> Catalog {
        Catalog::parse("inline.yaml", &format!("version: 1\nname: test\ncontrols:\n{controls}")).unwrap()
    }

    fn control<'a>(results: &'a Results, id: &str) -> &'a crate::evaluate::ControlResult {
        results.get(id).unwrap_or_else(|| panic!("{id} missing"))
    }

    fn per_account(results: &Results, id: &str) -> Vec<(String, String)> {
        control(results, id).accounts.iter().map(|a| (a.account.clone(), a.status.as_str().to_string())).collect()
    }

    // IAM.18's lookup and IAM.6's virtual-MFA lookup, as the bundled catalog
    // writes them: each reads another kind through `resources[...]`.
    const LOOKUPS: &str = r#"
  - id: IAM.18
    title: support role
    severity: low
    params: {policy_arn: "arn:aws:iam::aws:policy/AWSSupportAccess"}
    check:
      resource: iam.account_summary
      subject: account
      assert:
        - that: >
            ['iam.role', 'iam.group', 'iam.user'].exists(k, k in resources &&
              resources[k].exists(e, e.attached_policies.exists(p, p.arn == params.policy_arn)))
          otherwise: no IAM role, group or user has the AWSSupportAccess policy
  - id: IAM.6
    title: hardware MFA
    severity: critical
    check:
      resource: iam.account_summary
      subject: root user
      assert:
        - that: "!('iam.virtual_mfa_device' in resources && resources['iam.virtual_mfa_device'].exists(d, d.is_root))"
          otherwise: the root user's MFA is a virtual device
"#;

    #[test]
    fn lookups_across_kinds_see_only_their_own_account() {
        let summary = |account| resource("iam.account_summary", account, "global", "summary", json!({}));
        let support = resource(
            "iam.role",
            A,
            "global",
            "role/support",
            json!({"name": "support", "attached_policies": [{"arn": "arn:aws:iam::aws:policy/AWSSupportAccess"}]}),
        );
        let virtual_root = resource("iam.virtual_mfa_device", A, "global", "mfa/root", json!({"is_root": true}));
        let results =
            evaluate(&two_accounts(vec![summary(A), support, virtual_root], vec![summary(B)]), &catalog(LOOKUPS));

        // Before, A's support role passed IAM.18 for B too: a false pass.
        let iam18 = control(&results, "IAM.18");
        assert_eq!(iam18.status.as_str(), "fail", "{}", iam18.reason);
        assert_eq!(per_account(&results, "IAM.18"), [(A.into(), "pass".into()), (B.into(), "fail".into())]);
        assert_eq!(iam18.failing.len(), 1);
        assert_eq!(iam18.failing[0].account, B);
        assert!(iam18.reason.contains(&format!("Account {B}:")), "{}", iam18.reason);
        assert!(iam18.reason.contains(&format!("in {B}/global")), "{}", iam18.reason);

        // Before, A's virtual root MFA failed IAM.6 for B too: a false fail.
        let iam6 = control(&results, "IAM.6");
        assert_eq!(per_account(&results, "IAM.6"), [(A.into(), "fail".into()), (B.into(), "pass".into())]);
        assert_eq!(iam6.failing.iter().map(|f| f.account.as_str()).collect::<Vec<_>>(), [A]);
    }

    /// A control `mode: any` over trails: one logging trail anywhere passes.
    const ANY_TRAIL: &str = r#"
  - id: CloudTrail.3
    title: a trail
    severity: high
    check:
      resource: cloudtrail.trail
      mode: any
      assert:
        - that: r.is_logging == true
          otherwise: not logging
"#;

    /// `controls` over two accounts of which only A has a (logging) trail.
    fn a_trail_in_a_only(controls: &str) -> Results {
        let trail = resource("cloudtrail.trail", A, "us-east-1", "trail/t", json!({"name": "t", "is_logging": true}));
        evaluate(&two_accounts(vec![trail], vec![]), &catalog(controls))
    }

    /// SSM.1 as the bundled catalog writes it, with `let`: the managed
    /// instances' ids are listed once per account, and each account's
    /// instances are judged against its own list only.
    #[test]
    fn a_let_joins_kinds_once_per_account() {
        let builtin = Catalog::builtin();
        let instance = |account, id: &str| {
            resource("ec2.instance", account, "us-east-1", id, json!({"instance_id": id, "state": "running"}))
        };
        let managed = |account, id: &str| {
            resource("ssm.managed_instance", account, "us-east-1", &format!("managed/{id}"), json!({"instance_id": id}))
        };
        // B manages i-2 but not i-1, and A manages i-1: before accounts were
        // kept apart, A's entry would have passed B's i-1.
        let snapshot = two_accounts(
            vec![instance(A, "i-1"), managed(A, "i-1")],
            vec![instance(B, "i-1"), instance(B, "i-2"), managed(B, "i-2")],
        );
        let results = evaluate(&snapshot, &builtin);
        let ssm1 = control(&results, "SSM.1");
        assert_eq!(per_account(&results, "SSM.1"), [(A.into(), "pass".into()), (B.into(), "fail".into())]);
        assert_eq!(ssm1.failing.len(), 1, "{}", ssm1.reason);
        assert_eq!((ssm1.failing[0].account.as_str(), ssm1.failing[0].name.as_str()), (B, "i-1"));
        // An account with no managed instance at all: every instance fails.
        let results = evaluate(&two_accounts(vec![instance(A, "i-1")], vec![]), &builtin);
        assert_eq!(per_account(&results, "SSM.1")[0], (A.into(), "fail".into()));
    }

    #[test]
    fn a_let_is_a_plain_name_over_what_every_resource_shares() {
        let with_let = |name: &str, expr: &str| {
            format!(
                "  - id: L.1\n    title: t\n    severity: low\n    check:\n      resource: kms.key\n      let:\n        {name}: \"{expr}\"\n      assert:\n        - that: 'true'\n          otherwise: no\n"
            )
        };
        let problem = |name: &str, expr: &str| {
            let text = format!("version: 1\nname: test\ncontrols:\n{}", with_let(name, expr));
            match Catalog::parse("inline.yaml", &text) {
                Err(crate::evaluate::catalog::CatalogError::Invalid(p)) => p.to_string(),
                other => panic!("let {name} = {expr} accepted: {:?}", other.map(|_| ())),
            }
        };
        assert!(problem("r", "1").contains("not a free variable name"));
        assert!(problem("Ids", "1").contains("not a free variable name"));
        assert!(problem("ids", "r.key_id").contains("reads `r` or `meta`"));
        assert!(problem("ids", "[meta.id]").contains("reads `r` or `meta`"));
        catalog(&with_let("ids", "size(params) + 1"));
    }

    #[test]
    fn any_and_when_none_are_judged_per_account() {
        let results = a_trail_in_a_only(ANY_TRAIL);
        let r = control(&results, "CloudTrail.3");
        // Before, A's trail passed the control for B, which has none.
        assert_eq!(r.status.as_str(), "fail", "{}", r.reason);
        assert_eq!(per_account(&results, "CloudTrail.3"), [(A.into(), "pass".into()), (B.into(), "fail".into())]);
        assert!(
            r.reason.starts_with(&format!("Fails in 1 of 2 accounts. Account {B}: No trail exists")),
            "{}",
            r.reason
        );
        assert_eq!(r.evaluated, 1);
    }

    #[test]
    fn now_is_each_accounts_own_collection_time() {
        let controls = r#"
  - id: T.1
    title: recent
    severity: low
    check:
      resource: iam.user
      assert:
        - that: double(days_since(r.created)) <= 90.0
          otherwise: older than 90 days
        - that: now == timestamp('2026-01-01T00:00:00Z') || meta.account != '111111111111'
          otherwise: A's now is not A's collection time
"#;
        // 61 days before A was read; 212 before B was, the merged window's end.
        let user = resource("iam.user", A, "global", "user/u", json!({"name": "u", "created": "2025-11-01T00:00:00Z"}));
        let merged = two_accounts(vec![user], vec![]);
        assert_eq!(merged.collected_at.finished.to_rfc3339(), "2026-06-01T00:00:00+00:00");
        let results = evaluate(&merged, &catalog(controls));
        // Before, A was aged from B's collection: a false fail.
        assert_eq!(per_account(&results, "T.1"), [(A.into(), "pass".into()), (B.into(), "not_applicable".into())]);
        assert_eq!(control(&results, "T.1").status.as_str(), "pass");
        // The windows travel in the merged snapshot, so the pack re-evaluates alike.
        let reread = Snapshot::from_json("merged.json", &merged.to_json()).unwrap();
        assert_eq!(reread.window_of(A).finished.to_rfc3339(), "2026-01-01T00:00:00+00:00");
        assert_eq!(evaluate(&reread, &catalog(controls)), results);
    }

    #[test]
    fn an_exception_covers_only_the_account_it_names() {
        let controls = r#"
  - id: U.1
    title: no users
    severity: low
    check:
      resource: iam.user
      assert:
        - that: "false"
          otherwise: exists
"#;
        let user = |account| resource("iam.user", account, "global", "user/u", json!({"name": format!("u-{account}")}));
        let exceptions = crate::evaluate::Exceptions::parse(
            "exceptions.yaml",
            &format!(
                "exceptions:\n  - control: U.1\n    resources: [u-{A}]\n    justification: break-glass user\n    approver: ciso\n    expires: 2027-01-01\n"
            ),
        )
        .unwrap();
        let inputs = crate::evaluate::Inputs { exceptions, ..Default::default() };
        let results =
            crate::evaluate::evaluate_with(&two_accounts(vec![user(A)], vec![user(B)]), &catalog(controls), &inputs);
        let r = control(&results, "U.1");
        assert_eq!(per_account(&results, "U.1"), [(A.into(), "excepted".into()), (B.into(), "fail".into())]);
        assert_eq!(r.status.as_str(), "fail", "{}", r.reason);
        assert_eq!(r.exceptions.len(), 1);
        assert_eq!(r.exceptions[0].covered, [format!("u-{A}")]);
    }

    #[test]
    fn one_account_reads_as_before() {
        let user = resource("iam.user", A, "global", "user/u", json!({"name": "u"}));
        let snapshot = Snapshot::merge(vec![collection(A, "2026-01-01T00:00:00Z", vec![user])]).unwrap();
        assert!(snapshot.accounts[0].collected_at.is_none());
        let results = evaluate(&snapshot, &catalog(LOOKUPS));
        assert!(results.controls.iter().all(|c| c.accounts.is_empty()));
        assert!(!results.to_json().contains("\"accounts\""));
    }

    // The expressions the issue names, as the catalog wrote them before
    // they were fixed: list-valued aws:SecureTransport (`string(list)`), a
    // null date in days_since, and `string(null)` ports in a flag.
    const BAD_VALUES: &str = r#"
  - id: S3.5
    title: TLS
    severity: medium
    check:
      resource: s3.bucket
      assert:
        - that: >
            r.policy != null && statements(r.policy).exists(s, s.effect == 'Deny' && 'Bool' in s.condition &&
              'aws:SecureTransport' in s.condition.Bool && string(s.condition.Bool['aws:SecureTransport']) == 'false')
          otherwise: its policy does not deny plain HTTP requests
  - id: IAM.3
    title: keys rotated
    severity: medium
    check:
      resource: iam.user
      assert:
        - that: r.access_keys.all(k, !k.active || double(days_since(k.last_rotated)) <= 90.0)
          otherwise: has an active key older than 90 days
  - id: EC2.13
    title: no SSH from anywhere
    severity: high
    check:
      resource: ec2.security_group
      assert:
        - that: "!r.ingress.exists(x, x.peer == '0.0.0.0/0' && covers_port(x, 22))"
          otherwise: allows SSH from anywhere
      flag: r.ingress.filter(x, x.peer == '0.0.0.0/0' && covers_port(x, 22)).map(x, x.protocol + ' ' + string(x.from_port) + '-' + string(x.to_port) + ' from ' + x.peer)
"#;

    fn tls_policy(value: Json) -> Json {
        json!({"Statement": [{"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Condition": {"Bool": {"aws:SecureTransport": value}}}]})
    }

    #[test]
    fn one_bad_value_does_not_hide_other_failures() {
        let bucket = |name: &str, policy: Json| {
            resource("s3.bucket", A, "us-east-1", name, json!({"name": name, "policy": policy}))
        };
        let user = |name: &str, key: Json| {
            resource("iam.user", A, "global", name, json!({"name": name, "access_keys": [key]}))
        };
        let snapshot = collection(
            A,
            "2026-01-01T00:00:00Z",
            vec![
                bucket("listed", tls_policy(json!(["false"]))),
                bucket("open", Json::Null),
                bucket("good", tls_policy(json!("false"))),
                user("never-rotated", json!({"active": true, "last_rotated": null})),
                user("old", json!({"active": true, "last_rotated": "2025-01-01T00:00:00Z"})),
            ],
        );
        let results = evaluate(&snapshot, &catalog(BAD_VALUES));
        // Before, the list value turned S3.5 into `error` and hid `open`.
        let s35 = control(&results, "S3.5");
        assert_eq!(s35.status.as_str(), "fail", "{}", s35.reason);
        assert_eq!(s35.failing.iter().map(|f| f.name.as_str()).collect::<Vec<_>>(), ["open"]);
        assert!(
            s35.reason
                .contains("1 S3 bucket could not be evaluated: listed in 111111111111/us-east-1 (`r.policy != null"),
            "{}",
            s35.reason
        );
        // Before, the null date hid the old key.
        let iam3 = control(&results, "IAM.3");
        assert_eq!(iam3.status.as_str(), "fail", "{}", iam3.reason);
        assert_eq!(iam3.failing.iter().map(|f| f.name.as_str()).collect::<Vec<_>>(), ["old"]);
        assert!(iam3.reason.contains("never-rotated in 111111111111/global (`r.access_keys.all("), "{}", iam3.reason);

        // With nothing failing, what could not be evaluated is `error`, named.
        let only_bad = collection(A, "2026-01-01T00:00:00Z", vec![bucket("listed", tls_policy(json!(["false"])))]);
        let s35 = evaluate(&only_bad, &catalog(BAD_VALUES)).get("S3.5").unwrap().clone();
        assert_eq!(s35.status.as_str(), "error");
        assert!(
            s35.reason.starts_with("No S3 bucket fails, but 1 S3 bucket could not be evaluated: listed in"),
            "{}",
            s35.reason
        );
    }

    #[test]
    fn any_with_a_resource_it_cannot_judge_is_an_error() {
        let controls = r#"
  - id: A.1
    title: one good
    severity: low
    check:
      resource: iam.user
      mode: any
      assert:
        - that: int(r.n) > 0
          otherwise: n is not positive
"#;
        let users = [("a", json!("x")), ("b", json!(0)), ("c", json!(2))]
            .map(|(n, v)| resource("iam.user", A, "global", n, json!({"name": n, "n": v})))
            .to_vec();
        let unjudged = collection(A, "2026-01-01T00:00:00Z", users[..2].to_vec());
        let r = evaluate(&unjudged, &catalog(controls)).get("A.1").unwrap().clone();
        // `a` might be the one that complies: neither pass nor fail.
        assert_eq!(r.status.as_str(), "error", "{}", r.reason);
        assert!(
            r.reason.starts_with("No IAM user is known to meet every requirement: b (n is not positive), and 1 IAM user could not be evaluated: a in 111111111111/global (`int(r.n) > 0`:"),
            "{}",
            r.reason
        );
        let one_good = collection(A, "2026-01-01T00:00:00Z", users);
        assert_eq!(evaluate(&one_good, &catalog(controls)).get("A.1").unwrap().status.as_str(), "pass");
    }

    #[test]
    fn a_flag_that_cannot_name_the_failure_says_so() {
        let group = resource(
            "ec2.security_group",
            A,
            "us-east-1",
            "sg-1",
            json!({"group_id": "sg-1", "group_name": "open", "ingress": [{"protocol": "-1", "peer": "0.0.0.0/0", "from_port": null, "to_port": null}]}),
        );
        let results = evaluate(&collection(A, "2026-01-01T00:00:00Z", vec![group]), &catalog(BAD_VALUES));
        let r = control(&results, "EC2.13");
        assert_eq!(r.status.as_str(), "fail", "{}", r.reason);
        let problems = &r.failing[0].problems;
        assert_eq!(problems[0], "allows SSH from anywhere");
        // Before, the flag's error was dropped and nothing said so.
        assert!(problems.len() == 2 && problems[1].starts_with("the flag `r.ingress.filter("), "{problems:?}");
        assert!(problems[1].contains("could not be evaluated"), "{problems:?}");
    }

    #[test]
    fn a_flag_of_the_wrong_type_is_visible() {
        let controls = r#"
  - id: F.1
    title: flagged
    severity: low
    check:
      resource: iam.user
      assert:
        - that: "false"
          otherwise: fails
      flag: "r.name == 'a' ? 'not a list' : [1, 'named']"
"#;
        let users = ["a", "b"].map(|n| resource("iam.user", A, "global", n, json!({"name": n}))).to_vec();
        let results = evaluate(&collection(A, "2026-01-01T00:00:00Z", users), &catalog(controls));
        let problems: Vec<Vec<String>> = control(&results, "F.1").failing.iter().map(|f| f.problems.clone()).collect();
        assert!(problems[0][1].contains("not a list of strings"), "{problems:?}");
        assert_eq!(problems[1][1..].len(), 2, "{problems:?}");
        assert!(problems[1][1].contains("not a string") && problems[1][2] == "named", "{problems:?}");
    }

    #[test]
    fn a_section_with_no_evidence_is_not_a_pass() {
        // SEC-002's shape: one section whose only control has nothing in
        // scope when the account has no customer managed key.
        let controls = r#"
  - id: SEC-002
    title: composite
    severity: high
    sections:
      - title: The root user is secured
        controls: [IAM.9]
      - title: Cryptographic keys are managed securely
        controls: [KMS.4]
  - id: IAM.9
    title: root MFA
    severity: critical
    check:
      resource: iam.account_summary
      assert:
        - that: "true"
          otherwise: no MFA
  - id: KMS.4
    title: rotation
    severity: medium
    check:
      resource: kms.key
      where: r.manager == 'CUSTOMER'
      assert:
        - that: r.rotation_enabled
          otherwise: not rotated
"#;
        let summary = resource("iam.account_summary", A, "global", "summary", json!({}));
        let aws_key = resource("kms.key", A, "us-east-1", "key/aws", json!({"manager": "AWS"}));
        let results =
            evaluate(&collection(A, "2026-01-01T00:00:00Z", vec![summary.clone(), aws_key]), &catalog(controls));
        assert_eq!(control(&results, "KMS.4").status.as_str(), "not_applicable");
        // Before: "All 1 applicable included controls pass."
        let sec = control(&results, "SEC-002");
        assert_eq!(sec.status.as_str(), "manual", "{}", sec.reason);
        assert_eq!(
            sec.reason,
            "The section \"Cryptographic keys are managed securely\" has no evidence in scope (KMS.4 does not apply): attest or except."
        );
        assert!(results.summary.open_attestations.is_empty());

        // With a rotated customer managed key there is evidence, and it passes.
        let cmk =
            resource("kms.key", A, "us-east-1", "key/c", json!({"manager": "CUSTOMER", "rotation_enabled": true}));
        let results = evaluate(&collection(A, "2026-01-01T00:00:00Z", vec![summary, cmk]), &catalog(controls));
        assert_eq!(control(&results, "SEC-002").status.as_str(), "pass");
    }

    #[test]
    fn composites_are_judged_per_account_too() {
        let composite = r#"
  - id: C
    title: composite
    severity: high
    sections:
      - title: trail
        controls: [CloudTrail.3]"#;
        let results = a_trail_in_a_only(&format!("{composite}{ANY_TRAIL}"));
        assert_eq!(control(&results, "C").status.as_str(), "fail");
        assert_eq!(per_account(&results, "C"), [(A.into(), "pass".into()), (B.into(), "fail".into())]);
    }
}
