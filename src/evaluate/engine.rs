//! The CEL environment checks run in.
//!
//! Variables: `r` (the resource's data), `meta` (its account, region, id),
//! `params` (the control's parameters), `now` (the snapshot's collection
//! time, never the clock) and `resources` (every resource's data by kind,
//! for checks that look across kinds). Functions beyond the CEL standard
//! library: `days_until(time)`, `days_since(time)` and `covers_port(rule, port)`.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use cel::{Context, ExecutionError, Program, Value};
use chrono::{DateTime, Utc};

use super::catalog::{Expr, Pos};
use crate::snapshot::{Resource, Snapshot};

/// JSON to CEL, keeping whole numbers as CEL `int` so that `r.x >= 8`
/// compares like with like.
pub fn to_cel(v: &serde_json::Value) -> Value {
    match v {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(b) => Value::Bool(*b),
        serde_json::Value::Number(n) => match n.as_i64() {
            Some(i) => Value::Int(i),
            None => Value::Float(n.as_f64().unwrap_or(f64::NAN)),
        },
        serde_json::Value::String(s) => Value::String(Arc::new(s.clone())),
        serde_json::Value::Array(a) => Value::List(Arc::new(a.iter().map(to_cel).collect())),
        serde_json::Value::Object(o) => {
            let m: HashMap<String, Value> = o.iter().map(|(k, v)| (k.clone(), to_cel(v))).collect();
            Value::from(m)
        }
    }
}

/// Parse an expression (at catalog load too, so a typo is reported with its
/// line before any account is read).
pub fn compile(expr: &Expr) -> Result<Program, (Pos, String)> {
    Program::compile(&expr.source).map_err(|errs| {
        let first = errs.errors.first();
        let (line, col) = first.map(|e| e.pos).unwrap_or((1, 0));
        // The expression's own line/column, placed within the YAML scalar
        // (exact for one-line expressions, the usual case).
        let pos = Pos {
            line: expr.pos.line + (line.max(1) as u64 - 1),
            column: if line <= 1 { expr.pos.column + col.max(0) as u64 } else { col.max(0) as u64 + 1 },
        };
        let msg = first.map(|e| e.msg.clone()).unwrap_or_else(|| errs.to_string());
        (pos, format!("invalid CEL expression `{}`: {msg}", expr.source.trim()))
    })
}

fn parse_time(s: &str) -> Result<DateTime<Utc>, ExecutionError> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| ExecutionError::function_error("days_until", format!("'{s}' is not an RFC 3339 time: {e}")))
}

/// Shared, read-only state for evaluating every control over one snapshot.
pub struct Env {
    now: DateTime<Utc>,
    resources: Value,
    /// Each snapshot resource's data as CEL, converted once for all controls.
    pub data: Vec<Value>,
}

impl Env {
    pub fn new(snapshot: &Snapshot) -> Env {
        let data: Vec<Value> = snapshot.resources.iter().map(|r| to_cel(&r.data)).collect();
        let mut by_kind: BTreeMap<&str, Vec<Value>> = BTreeMap::new();
        for (r, v) in snapshot.resources.iter().zip(&data) {
            by_kind.entry(r.kind.as_str()).or_default().push(v.clone());
        }
        let map: HashMap<String, Value> =
            by_kind.into_iter().map(|(k, v)| (k.to_string(), Value::List(Arc::new(v)))).collect();
        Env { now: snapshot.collected_at.finished, resources: Value::from(map), data }
    }

    /// A context for one control: its params, the time and the functions.
    /// `with_resources`: whether any of the control's expressions reads
    /// `resources` (handing every resource to CEL costs time on a big estate).
    pub fn context(
        &self,
        params: &BTreeMap<String, serde_json::Value>,
        with_resources: bool,
    ) -> Context<'static, 'static> {
        let mut ctx = Context::default();
        let params: HashMap<String, Value> = params.iter().map(|(k, v)| (k.clone(), to_cel(v))).collect();
        ctx.add_variable_from_value("params", Value::from(params));
        ctx.add_variable_from_value("now", Value::Timestamp(self.now.fixed_offset()));
        if with_resources {
            ctx.add_variable_from_value("resources", self.resources.clone());
        }
        let now = self.now;
        let _ = ctx.add_function("days_until", move |t: Arc<String>| -> Result<i64, ExecutionError> {
            Ok((parse_time(&t)? - now).num_days())
        });
        let _ = ctx.add_function("days_since", move |t: Arc<String>| -> Result<i64, ExecutionError> {
            Ok((now - parse_time(&t)?).num_days())
        });
        let _ = ctx.add_function("covers_port", covers_port);
        let _ = ctx.add_function("statements", statements);
        let _ = ctx.add_function("action_matches", |pattern: Arc<String>, action: Arc<String>| {
            action_matches(&pattern, &action)
        });
        ctx
    }
}

/// An IAM policy document's statements, each as `{effect, actions,
/// not_actions, resources, principals, condition}` with single strings made
/// lists, so checks need not care how the author wrote them.
fn statements(doc: Value) -> Result<Value, ExecutionError> {
    let json = doc.json().map_err(|e| ExecutionError::function_error("statements", format!("{e:?}")))?;
    let list = |v: Option<&serde_json::Value>| -> Vec<serde_json::Value> {
        match v {
            Some(serde_json::Value::Array(a)) => a.clone(),
            Some(other @ serde_json::Value::String(_)) => vec![other.clone()],
            _ => vec![],
        }
    };
    let stmts = match json.get("Statement") {
        Some(serde_json::Value::Array(a)) => a.clone(),
        Some(o @ serde_json::Value::Object(_)) => vec![o.clone()],
        _ => vec![],
    };
    let out: Vec<serde_json::Value> = stmts
        .iter()
        .map(|s| {
            serde_json::json!({
                "effect": s.get("Effect").and_then(|e| e.as_str()).unwrap_or(""),
                "actions": list(s.get("Action")),
                "not_actions": list(s.get("NotAction")),
                "resources": list(s.get("Resource")),
                // "*" for anyone; account ids, ARNs and service names otherwise.
                "principals": match s.get("Principal") {
                    Some(serde_json::Value::String(p)) => vec![serde_json::Value::String(p.clone())],
                    Some(serde_json::Value::Object(m)) => m.values().flat_map(|v| list(Some(v))).collect(),
                    _ => vec![],
                },
                "condition": s.get("Condition").cloned().unwrap_or_else(|| serde_json::json!({})),
            })
        })
        .collect();
    Ok(to_cel(&serde_json::Value::Array(out)))
}

/// IAM action matching: `*` and `?` wildcards, case-insensitive.
pub fn action_matches(pattern: &str, action: &str) -> bool {
    globset::GlobBuilder::new(pattern)
        .case_insensitive(true)
        .literal_separator(false)
        .build()
        .map(|g| g.compile_matcher().is_match(action))
        .unwrap_or(false)
}

/// Whether a security group rule lets traffic reach `port` over TCP or UDP.
/// Protocol `-1` is all traffic; ICMP and other protocols have no ports.
fn covers_port(rule: Value, port: i64) -> Result<bool, ExecutionError> {
    let Value::Map(m) = &rule else {
        return Err(ExecutionError::function_error("covers_port", "the first argument must be a rule"));
    };
    let get = |k: &str| m.get(&cel::objects::Key::from(k)).cloned();
    let protocol = match get("protocol") {
        Some(Value::String(s)) => s.to_string(),
        _ => "-1".into(),
    };
    if protocol == "-1" {
        return Ok(true);
    }
    if !matches!(protocol.as_str(), "tcp" | "udp" | "6" | "17") {
        return Ok(false);
    }
    let bound = |k: &str| match get(k) {
        Some(Value::Int(i)) => Some(i),
        _ => None,
    };
    match (bound("from_port"), bound("to_port")) {
        (Some(from), Some(to)) => Ok((from == -1 && to == -1) || (from <= port && port <= to)),
        _ => Ok(true),
    }
}

/// Evaluate one compiled expression for one resource.
pub fn eval(program: &Program, ctx: &Context, resource: &Resource, data: &Value) -> Result<Value, ExecutionError> {
    let mut inner = ctx.new_inner_scope();
    inner.add_variable_from_value("r", data.clone());
    let meta: HashMap<String, Value> = HashMap::from([
        ("account".to_string(), Value::from(resource.account.as_str())),
        ("region".to_string(), Value::from(resource.region.as_str())),
        ("id".to_string(), Value::from(resource.id.as_str())),
    ]);
    inner.add_variable_from_value("meta", Value::from(meta));
    program.execute(&inner)
}
