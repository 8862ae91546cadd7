//! The CEL environment checks run in.
//!
//! Variables: `r` (the resource's data), `meta` (its account, region, id),
//! `params` (the control's parameters), `now` (when the resource's account
//! was collected, never the clock) and `resources` (every resource of the
//! same account, its data by kind, for checks that look across kinds).
//! Functions beyond the CEL standard library: `days_until(time)`,
//! `days_since(time)`, `covers_port(rule, port)`, and for S3 bucket policies
//! `public_access(policy)` and `denies_insecure_transport(policy, arn)`
//! ([`super::policy`]).
//!
//! A catalog is untrusted input, and CEL's interpreter recurses over the
//! expression and copies values as it goes. So every expression is held to
//! [`limits`] when the catalog is loaded, parsed on a thread with a
//! [`STACK`] large enough for anything within those limits and evaluated on
//! threads with the same stack, and each control evaluates each resource
//! under a cost [`Budget`]: a control that would run for minutes or fill
//! memory ends as `error` instead, and the other controls are evaluated as
//! usual.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock};

use cel::common::ast::{CallExpr, Expr as Node, IdedExpr, LiteralValue, SourceInfo, operators};
use cel::common::functions::Function;
use cel::common::types::{
    CelBool, CelBytes, CelInt, CelList, CelMap, CelMapKey, CelOptional, CelString, DYN_TYPE, INT_TYPE, Kind, Type,
};
use cel::common::value::{CowVal, Val};
use cel::context::VariableResolver;
use cel::{Context, Env as CelEnv, ExecutionError, Value};
use chrono::{DateTime, Utc};

use super::catalog::Pos;
use crate::snapshot::{Resource, Snapshot};

/// Bounds on one expression of a catalog, checked when it is loaded. Each is
/// well above what the bundled `controls.yaml` needs (its largest, measured
/// by `tests::bundled_catalog_is_well_within_the_limits`: 385 bytes, 78
/// nodes, depth 13, comprehensions nested 4 deep).
pub mod limits {
    /// Bytes of source. Parsing recurses once per operator of a chain such as
    /// `a + b + c`, so this also bounds how deep the parser goes.
    pub const SOURCE_BYTES: usize = 4096;
    /// Nodes of the parsed expression, macros expanded: each `all`, `exists`,
    /// `map` or `filter` counts about eight.
    pub const NODES: usize = 1500;
    /// Depth of the parsed expression: evaluation recurses once per level.
    pub const DEPTH: usize = 64;
    /// Comprehensions (`all`, `exists`, `exists_one`, `map`, `filter`)
    /// inside the body of one another.
    pub const NESTING: usize = 8;
}

/// The stack every expression is parsed and evaluated with. The worst cases
/// the [`limits`] let through need under 2 MiB as built here (and overflow
/// 512 KiB); `tests::limits_fit_in_a_quarter_of_the_stack` runs them with a
/// quarter of this, which leaves room for builds that optimise less. The
/// memory is only reserved until a deep expression uses it.
pub const STACK: usize = 64 << 20;

/// Run `f` on a new thread with [`STACK`], waiting for it.
pub fn on_stack<T: Send>(f: impl FnOnce() -> T + Send) -> std::io::Result<T> {
    std::thread::scope(|scope| {
        let handle = std::thread::Builder::new().stack_size(STACK).spawn_scoped(scope, f)?;
        // A panic is a bug, not bad input: let it surface as one.
        Ok(handle.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)))
    })
}

/// Cost units a control may spend on one resource, whatever the estate. A
/// unit is roughly 50 to 100 ns of evaluation; a runaway expression spends
/// this in about half a second.
pub const BUDGET_BASE: u64 = 5_000_000;
/// Cost units a control may spend on one resource, added per unit of size
/// of the account's resource data (lookups see only that account): checks
/// that look a resource up among all those of another kind (SSM.1, IAM.18)
/// scan a share of the account for every resource, and may scan all of it
/// about four times over. On the benchmark's estate (10,000 security-group
/// rules) this gives 7.7 million, against 21,000 for the bundled catalog's
/// costliest check on one resource (EC2.19: 2.1 million over its 100
/// security groups); see `calibration::cost_of_the_bundled_checks`.
pub const BUDGET_PER_NODE: u64 = 20;

/// Strings and bytes cost one unit per this many bytes (and one for the value).
const BYTES_PER_UNIT: u64 = 16;

/// Units per unit of size of a value that is copied (into a list, into a
/// comprehension's variable, into a function's arguments): allocating and
/// freeing it takes about this many times as long as reading it, and a
/// unit should stand for about the same time whatever the expression does.
const COPY: u64 = 4;

/// Functions the interpreter is made to call around costly operations, each
/// charging the control's budget and handing its first argument back as it
/// was. The `@` keeps them out of reach of expressions as written.
mod hooks {
    /// `@cost_range(range, per_item)`: a comprehension's range, charged for
    /// copying it item by item and for evaluating the body once per item.
    pub const RANGE: &str = "@cost_range";
    /// `@cost_copy(value)`: a value about to be copied: into a list or a
    /// map, by `+`, or into a function's arguments.
    pub const COPY: &str = "@cost_copy";
    /// `@cost_scan(value)`: a value about to be compared as a whole.
    pub const SCAN: &str = "@cost_scan";
    /// `@cost_unit(value)`: a value about to be read once without what it
    /// contains: text compared, measured or looked up by.
    pub const UNIT: &str = "@cost_unit";
    /// `@cost_in(container[, needle])`: the right side of `in`: a list is
    /// scanned, a map looked up by the needle.
    pub const IN: &str = "@cost_in";
}

/// How much one control has spent on the resource it is evaluating, shared
/// by every expression it evaluates.
#[derive(Debug)]
pub struct Budget {
    limit: u64,
    spent: AtomicU64,
}

impl Budget {
    pub fn new(limit: u64) -> Budget {
        Budget { limit, spent: AtomicU64::new(0) }
    }

    pub fn limit(&self) -> u64 {
        self.limit
    }

    pub fn spent(&self) -> u64 {
        self.spent.load(Ordering::Relaxed)
    }

    /// Start over, for the next resource.
    pub fn reset(&self) {
        self.spent.store(0, Ordering::Relaxed);
    }

    /// Whether the budget ran out. Stays true once it has: an expression can
    /// swallow the error a hook raises (`true || …`), but not this.
    pub fn exceeded(&self) -> bool {
        self.spent() > self.limit
    }

    fn charge(&self, units: u64) -> Result<(), ExecutionError> {
        let before = self
            .spent
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |s| Some(s.saturating_add(units)))
            .unwrap_or_else(|s| s);
        if before.saturating_add(units) > self.limit {
            Err(ExecutionError::function_error("cost budget", format!("exceeded the limit of {}", self.limit)))
        } else {
            Ok(())
        }
    }

    /// Charge `extra` plus `weight` per unit of the size of `v`, measured
    /// no further than the budget left, so measuring costs at most what it
    /// may charge.
    fn charge_value(&self, v: &dyn Val, weight: u64, extra: u64) -> Result<(), ExecutionError> {
        let left = self.limit.saturating_sub(self.spent()).saturating_sub(extra) / weight.max(1);
        self.charge(extra.saturating_add(size_of(v, left).saturating_mul(weight)))
    }
}

/// A value's size in cost units: one per value and map entry, and one per
/// [`BYTES_PER_UNIT`] of text, counted no further than just past `cap`.
/// Iterative: values can nest as deep as the data they came from.
fn size_of<'b, 'v>(v: &'b (dyn Val + 'v), cap: u64) -> u64 {
    // Each value is counted when it is found, and only containers are
    // queued: a flat map or list is measured without allocating.
    let mut n = unit(v);
    let mut pending: Vec<&'b (dyn Val + 'v)> = Vec::new();
    let mut next = is_container(v).then_some(v);
    while let Some(v) = next.take().or_else(|| pending.pop()) {
        let mut found = |item: &'b (dyn Val + 'v), extra: u64| {
            n = n.saturating_add(extra).saturating_add(unit(item));
            if is_container(item) {
                pending.push(item);
            }
            n <= cap
        };
        if let Some(l) = v.downcast_ref::<CelList>() {
            for item in l.inner() {
                if !found(item.as_ref(), 0) {
                    return n;
                }
            }
        } else if let Some(m) = v.downcast_ref::<CelMap>() {
            for (k, item) in m.inner() {
                let key = match k {
                    CelMapKey::String(s) => 1 + s.inner().len() as u64 / BYTES_PER_UNIT,
                    _ => 1,
                };
                if !found(item.as_ref(), key) {
                    return n;
                }
            }
        } else if let Some(inner) = v.downcast_ref::<CelOptional>().and_then(|o| o.inner())
            && !found(inner, 0)
        {
            return n;
        }
    }
    n
}

fn is_container(v: &dyn Val) -> bool {
    matches!(v.get_type().kind(), Kind::List | Kind::Map | Kind::Opaque)
}

/// The size of a value on its own, without what it contains.
fn unit(v: &dyn Val) -> u64 {
    let bytes = match v.get_type().kind() {
        Kind::String => v.downcast_ref::<CelString>().map_or(0, |s| s.inner().len()),
        Kind::Bytes => v.downcast_ref::<CelBytes>().map_or(0, |b| b.inner().len()),
        _ => 0,
    };
    1 + bytes as u64 / BYTES_PER_UNIT
}

/// The size of JSON data in the units of [`size_of`], for the budget.
fn json_size(v: &serde_json::Value) -> u64 {
    let mut n = 0u64;
    let mut pending = vec![v];
    while let Some(v) = pending.pop() {
        n += 1;
        match v {
            serde_json::Value::String(s) => n += s.len() as u64 / BYTES_PER_UNIT,
            serde_json::Value::Array(a) => pending.extend(a),
            serde_json::Value::Object(o) => {
                for (k, v) in o {
                    n += 1 + k.len() as u64 / BYTES_PER_UNIT;
                    pending.push(v);
                }
            }
            _ => {}
        }
    }
    n
}

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

/// An expression of the catalog, parsed once at load, checked against the
/// [`limits`] and prepared for evaluation under a [`Budget`].
#[derive(Debug)]
pub struct Compiled {
    /// The parsed expression with the budget's hooks in place.
    expr: IdedExpr,
    /// Nodes of the expression as parsed: what one evaluation costs at least.
    nodes: u64,
    /// Whether it reads `r` or `meta`, the resource's own variables.
    reads_resource: bool,
    /// The `params.<name>`s it reads, checked against the control's params at load.
    params: std::collections::BTreeSet<String>,
}

impl Compiled {
    /// The control params the expression reads (`params.x`, `params['x']`),
    /// leaving out any it asks about with `has(params.x)`: those are optional.
    pub fn params_read(&self) -> &std::collections::BTreeSet<String> {
        &self.params
    }

    /// Whether the expression reads the resource evaluated (`r`, `meta`).
    pub fn reads_resource(&self) -> bool {
        self.reads_resource
    }
}

/// Why an expression of the catalog cannot be used, and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ExprError {
    pub pos: Pos,
    pub message: String,
    pub hint: &'static str,
}

const CEL_HINT: &str = "see https://cel.dev for CEL syntax; variables are r, params, meta, now and resources";
const SPLIT_HINT: &str = "split the check into several shorter `assert` entries, or simplify the expression";
const NESTING_HINT: &str = "nest fewer `all`, `exists`, `map` and `filter` inside one another; compute what inner ones look up once, in a `where` or in params";

/// Where line `line` (from 1) and byte column `col` (from 0) of an expression
/// written at `at` stand in the catalog: exact for one-line expressions, the
/// usual case.
fn place(at: Pos, line: u64, col: u64) -> Pos {
    Pos { line: at.line + (line.max(1) - 1), column: if line <= 1 { at.column + col } else { col + 1 } }
}

/// Where the node `id` of `source` stands in the catalog.
fn node_pos(at: Pos, source: &str, info: &SourceInfo, id: u64) -> Pos {
    let Some((start, _)) = info.offset_for(id) else {
        return at;
    };
    let start = (start as usize).min(source.len());
    let before = &source.as_bytes()[..start];
    let line = before.iter().filter(|b| **b == b'\n').count() as u64 + 1;
    let line_start = before.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
    let col = String::from_utf8_lossy(&before[line_start..]).chars().count() as u64;
    place(at, line, col)
}

/// The sizes [`limits`] bounds, with the first node past each bound.
#[derive(Default)]
struct Shape {
    nodes: usize,
    depth: usize,
    nesting: usize,
    too_deep: Option<u64>,
    too_nested: Option<u64>,
    params: std::collections::BTreeSet<String>,
    params_tested: std::collections::BTreeSet<String>,
}

/// Measure an expression without recursing: it may be far deeper than the
/// limits allow.
fn shape(root: &IdedExpr) -> Shape {
    let mut s = Shape::default();
    // (node, its depth, comprehensions whose body it is in)
    let mut pending: Vec<(&IdedExpr, usize, usize)> = vec![(root, 1, 0)];
    while let Some((e, depth, nesting)) = pending.pop() {
        s.nodes += 1;
        s.depth = s.depth.max(depth);
        if depth > limits::DEPTH && s.too_deep.is_none() {
            s.too_deep = Some(e.id);
        }
        let d = depth + 1;
        match &e.expr {
            Node::Call(c) => {
                pending.extend(c.target.iter().map(|t| (&**t, d, nesting)));
                pending.extend(c.args.iter().map(|a| (a, d, nesting)));
            }
            Node::Comprehension(c) => {
                let inner = nesting + 1;
                s.nesting = s.nesting.max(inner);
                if inner > limits::NESTING && s.too_nested.is_none() {
                    s.too_nested = Some(e.id);
                }
                pending.extend([
                    (&c.iter_range, d, nesting),
                    (&c.accu_init, d, nesting),
                    (&c.loop_cond, d, inner),
                    (&c.loop_step, d, inner),
                    (&c.result, d, nesting),
                ]);
            }
            Node::List(l) => pending.extend(l.elements.iter().map(|x| (x, d, nesting))),
            Node::Map(m) => {
                for entry in &m.entries {
                    if let cel::common::ast::EntryExpr::MapEntry(me) = &entry.expr {
                        pending.push((&me.key, d, nesting));
                        pending.push((&me.value, d, nesting));
                    }
                }
            }
            Node::Struct(st) => {
                for entry in &st.entries {
                    if let cel::common::ast::EntryExpr::StructField(f) = &entry.expr {
                        pending.push((&f.value, d, nesting));
                    }
                }
            }
            Node::Select(sel) => {
                if matches!(&sel.operand.expr, Node::Ident(n) if n == "params") {
                    if sel.test { &mut s.params_tested } else { &mut s.params }.insert(sel.field.clone());
                }
                pending.push((&sel.operand, d, nesting))
            }
            Node::Ident(_) | Node::Literal(_) | Node::Unspecified => {}
        }
        if let Node::Call(c) = &e.expr
            && c.func_name == operators::INDEX
            && let [target, key] = c.args.as_slice()
            && matches!(&target.expr, Node::Ident(n) if n == "params")
            && let Node::Literal(LiteralValue::String(field)) = &key.expr
        {
            s.params.insert(field.to_string());
        }
    }
    s
}

/// Parse `source`, written at `at` in the catalog, and hold it to the
/// [`limits`]. Call it on a thread with [`STACK`] ([`on_stack`]): within the
/// length limit, parsing recurses up to a few thousand levels.
fn parse(source: &str, at: Pos) -> Result<(IdedExpr, Shape), ExprError> {
    let shown = source.trim();
    if source.len() > limits::SOURCE_BYTES {
        return Err(ExprError {
            pos: at,
            message: format!(
                "the CEL expression is {} bytes long, over the limit of {} bytes",
                source.len(),
                limits::SOURCE_BYTES
            ),
            hint: SPLIT_HINT,
        });
    }
    let (expr, info) = cel::parser::Parser::new().parse_with_source_info(source).map_err(|errs| {
        let first = errs.errors.first();
        let (line, col) = first.map(|e| e.pos).unwrap_or((1, 0));
        let message = first.map(|e| e.msg.clone()).unwrap_or_else(|| errs.to_string());
        ExprError {
            pos: place(at, line.max(1) as u64, col.max(0) as u64),
            message: format!("invalid CEL expression `{shown}`: {message}"),
            hint: CEL_HINT,
        }
    })?;
    let s = shape(&expr);
    // Each limit the parsed expression passes over, with where to point and
    // what to suggest; the first one found is reported.
    let over = |pos: Pos, what: String, hint: &'static str| ExprError {
        pos,
        message: format!("the CEL expression {what}: `{}`", abbreviated(shown)),
        hint,
    };
    if let Some(id) = s.too_deep {
        let what = format!("nests {} levels deep, over the limit of {}", s.depth, limits::DEPTH);
        return Err(over(node_pos(at, source, &info, id), what, SPLIT_HINT));
    }
    if s.nodes > limits::NODES {
        let what = format!("has {} nodes once its macros are expanded, over the limit of {}", s.nodes, limits::NODES);
        return Err(over(at, what, SPLIT_HINT));
    }
    if let Some(id) = s.too_nested {
        let what = format!("nests comprehensions {} deep, over the limit of {}", s.nesting, limits::NESTING);
        return Err(over(node_pos(at, source, &info, id), what, NESTING_HINT));
    }
    Ok((expr, s))
}

/// At most the first 80 characters, for messages about long expressions.
pub fn abbreviated(s: &str) -> String {
    match s.char_indices().nth(80) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

/// Parse and check a check's expression (at catalog load, so that a typo or
/// an expression past the limits is reported with its line before any
/// account is read), ready to evaluate. Call it on a thread with [`STACK`].
pub fn compile(source: &str, at: Pos) -> Result<Compiled, ExprError> {
    let (expr, shape) = parse(source, at)?;
    let refs = expr.references();
    let reads_resource = refs.has_variable("r") || refs.has_variable("meta");
    let params = shape.params.difference(&shape.params_tested).cloned().collect();
    Ok(Compiled { expr: instrument(expr), nodes: shape.nodes as u64, reads_resource, params })
}

/// Check a manual control's risk-rule condition: within the [`limits`], and
/// only choice ids combined with `!`, `&&`, `||`, `==`, `!=`, `? :` and
/// `true`/`false`. Nothing more is needed, and nothing in it can then cost
/// more than its size to evaluate. Call it on a thread with [`STACK`].
pub fn check_condition(source: &str) -> Result<(), String> {
    let (expr, _) = parse(source, Pos { line: 1, column: 1 }).map_err(|e| e.message)?;
    let mut pending = vec![&expr];
    while let Some(e) = pending.pop() {
        match &e.expr {
            Node::Ident(_) | Node::Literal(LiteralValue::Boolean(_)) => {}
            Node::Call(c)
                if c.target.is_none()
                    && matches!(
                        c.func_name.as_str(),
                        operators::LOGICAL_NOT
                            | operators::LOGICAL_AND
                            | operators::LOGICAL_OR
                            | operators::EQUALS
                            | operators::NOT_EQUALS
                            | operators::CONDITIONAL
                    ) =>
            {
                pending.extend(&c.args)
            }
            _ => {
                return Err(format!(
                    "risk rule condition `{}` may only combine choice ids with !, &&, ||, ==, != and ? :",
                    abbreviated(source.trim())
                ));
            }
        }
    }
    Ok(())
}

fn call(id: u64, func: &str, args: Vec<IdedExpr>) -> IdedExpr {
    IdedExpr { id, expr: Node::Call(CallExpr { func_name: func.to_string(), target: None, args }) }
}

/// Whether evaluating `e` costs no more than its size in the source: a
/// literal, or a list or map of them.
fn is_const(e: &IdedExpr) -> bool {
    match &e.expr {
        Node::Literal(_) => true,
        Node::List(l) => l.elements.iter().all(is_const),
        Node::Map(m) => m.entries.iter().all(|entry| match &entry.expr {
            cel::common::ast::EntryExpr::MapEntry(me) => is_const(&me.key) && is_const(&me.value),
            cel::common::ast::EntryExpr::StructField(f) => is_const(&f.value),
        }),
        _ => false,
    }
}

/// `e` passed through the hook `h` before it is used, unless its cost is
/// bounded by the source anyway.
fn hooked(e: IdedExpr, h: &str) -> IdedExpr {
    if is_const(&e) { e } else { call(e.id, h, vec![e]) }
}

/// The first operand through `h`, unless either is a literal, which bounds
/// the cost.
fn hook_first(args: &mut [IdedExpr], h: &str) {
    if !args.iter().any(is_const)
        && let Some(first) = args.first_mut()
    {
        *first = hooked(std::mem::take(first), h);
    }
}

/// Whether `e` spells a name (`a`, `a.b.c`): reading it again costs a
/// lookup per part.
fn is_name(e: &IdedExpr) -> bool {
    match &e.expr {
        Node::Ident(_) => true,
        Node::Select(s) => !s.test && is_name(&s.operand),
        _ => false,
    }
}

/// Whether `e`, as a call's target, may name a function together with the
/// call (`optional.of(x)` calls `optional.of`): then it must stay as
/// written. `optional` is the only namespace of functions checks have.
fn names_a_function(e: &IdedExpr) -> bool {
    match &e.expr {
        Node::Ident(name) => name == "optional",
        Node::Select(s) => !s.test && names_a_function(&s.operand),
        _ => false,
    }
}

/// Put the budget's hooks around every operation whose cost depends on the
/// data rather than on the expression: comprehensions, copies into lists
/// and maps, `+`, comparisons of whole values, `in` and function calls.
/// What is left (field access, indexing, logic, arithmetic) costs the same
/// on any data and is paid for by the expression's size on each evaluation.
///
/// The macros' own loop steps (`@result + [x]`, `@result && x`) and the
/// shapes the interpreter runs in place stay as they are. Recursive: the
/// expression is within [`limits::DEPTH`].
fn instrument(e: IdedExpr) -> IdedExpr {
    let id = e.id;
    let expr = match e.expr {
        Node::Comprehension(c) => {
            let mut c = *c;
            // Each item costs the body's nodes, besides being copied.
            let per_item = shape(&c.loop_cond).nodes + shape(&c.loop_step).nodes;
            let range = instrument(c.iter_range);
            let per_item = IdedExpr { id, expr: Node::Literal(LiteralValue::Int(CelInt::from(per_item as i64))) };
            c.iter_range = call(range.id, hooks::RANGE, vec![range, per_item]);
            c.accu_init = instrument(c.accu_init);
            c.loop_cond = instrument(c.loop_cond);
            c.loop_step = instrument(c.loop_step);
            c.result = instrument(c.result);
            Node::Comprehension(Box::new(c))
        }
        Node::Call(mut c) => {
            let accumulates = matches!(c.args.first().map(|a| &a.expr), Some(Node::Ident(n)) if n.starts_with('@'));
            let mut args: Vec<IdedExpr> = std::mem::take(&mut c.args).into_iter().map(instrument).collect();
            let mut target = c.target.take().map(|t| instrument(*t));
            match c.func_name.as_str() {
                // The same cost on any data.
                operators::LOGICAL_AND
                | operators::LOGICAL_OR
                | operators::LOGICAL_NOT
                | operators::CONDITIONAL
                | operators::NOT_STRICTLY_FALSE
                | operators::NEGATE
                | operators::SUBSTRACT
                | operators::MULTIPLY
                | operators::DIVIDE
                | operators::MODULO
                | operators::OPT_SELECT
                | "covers_port" => {}
                // A macro's accumulator, appended to in place.
                operators::ADD if accumulates => {}
                // A comparison stops at the end of the shorter side: a
                // literal, or either side.
                operators::LESS | operators::LESS_EQUALS | operators::GREATER | operators::GREATER_EQUALS => {
                    hook_first(&mut args, hooks::UNIT)
                }
                operators::EQUALS | operators::NOT_EQUALS => hook_first(&mut args, hooks::SCAN),
                // A map hashes the key.
                operators::INDEX | operators::OPT_INDEX => {
                    if let Some(key) = args.get_mut(1) {
                        *key = hooked(std::mem::take(key), hooks::UNIT);
                    }
                }
                // Counts the characters of text; a list or map knows its size.
                "size" => {
                    args = args.into_iter().map(|a| hooked(a, hooks::UNIT)).collect();
                    target = target.map(|t| if names_a_function(&t) { t } else { hooked(t, hooks::UNIT) });
                }
                operators::IN => {
                    if let [needle, haystack] = args.as_mut_slice()
                        && !is_const(haystack)
                    {
                        let mut hook_args = vec![std::mem::take(haystack)];
                        if is_name(needle) {
                            // Read again by the hook: cheaper than a hook of its own.
                            hook_args.push(needle.clone());
                        } else {
                            *needle = hooked(std::mem::take(needle), hooks::UNIT);
                        }
                        *haystack = call(hook_args[0].id, hooks::IN, hook_args);
                    }
                }
                // `+`, and every function: they copy or scan what they are given.
                _ => {
                    args = args.into_iter().map(|a| hooked(a, hooks::COPY)).collect();
                    target = target.map(|t| if names_a_function(&t) { t } else { hooked(t, hooks::COPY) });
                }
            }
            c.args = args;
            c.target = target.map(Box::new);
            Node::Call(c)
        }
        Node::List(mut l) => {
            // Each item is copied into the new list.
            l.elements = l.elements.into_iter().map(|x| hooked(instrument(x), hooks::COPY)).collect();
            Node::List(l)
        }
        Node::Map(mut m) => {
            for entry in &mut m.entries {
                if let cel::common::ast::EntryExpr::MapEntry(me) = &mut entry.expr {
                    me.key = hooked(instrument(std::mem::take(&mut me.key)), hooks::COPY);
                    me.value = hooked(instrument(std::mem::take(&mut me.value)), hooks::COPY);
                }
            }
            Node::Map(m)
        }
        Node::Select(mut s) => {
            s.operand = Box::new(instrument(std::mem::take(&mut *s.operand)));
            Node::Select(s)
        }
        other => other,
    };
    IdedExpr { id, expr }
}

/// A duration in days, as a fraction; millisecond precision, so whole-day
/// durations are exact.
fn days(d: chrono::TimeDelta) -> f64 {
    d.num_milliseconds() as f64 / 86_400_000.0
}

fn parse_time(s: &str) -> Result<DateTime<Utc>, ExecutionError> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| ExecutionError::function_error("days_until", format!("'{s}' is not an RFC 3339 time: {e}")))
}

thread_local! {
    /// The budget of the evaluation running on this thread, for the hooks:
    /// set by [`eval`] for as long as it runs.
    static SPENDING: RefCell<Option<Arc<Budget>>> = const { RefCell::new(None) };
}

/// Charge the budget of the evaluation running on this thread.
fn spend(charge: impl FnOnce(&Budget) -> Result<(), ExecutionError>) -> Result<(), ExecutionError> {
    SPENDING.with(|s| match s.borrow().as_deref() {
        Some(budget) => charge(budget),
        None => Err(ExecutionError::function_error("cost budget", "evaluated without a budget")),
    })
}

/// The standard library, the budget's hooks and `covers_port`, shared by
/// every context. The hooks are overloads of the environment, not functions
/// of the context, as those are called with less work: they run for nearly
/// every operation.
static CEL_ENV: LazyLock<Arc<CelEnv>> = LazyLock::new(|| {
    let mut env = CelEnv::stdlib();
    let overloads: [(&str, &str, Vec<Type>, Function); 7] = [
        (hooks::RANGE, "cost_range", vec![DYN_TYPE, INT_TYPE], range_hook),
        (hooks::COPY, "cost_copy", vec![DYN_TYPE], copy_hook),
        (hooks::SCAN, "cost_scan", vec![DYN_TYPE], scan_hook),
        (hooks::UNIT, "cost_unit", vec![DYN_TYPE], unit_hook),
        (hooks::IN, "cost_in", vec![DYN_TYPE], in_hook),
        (hooks::IN, "cost_in_needle", vec![DYN_TYPE, DYN_TYPE], in_hook),
        ("covers_port", "covers_port", vec![DYN_TYPE, DYN_TYPE], covers_port),
    ];
    for (name, id, args, op) in overloads {
        env.add_overload(name, id, args, op).expect("each overload is declared once");
    }
    Arc::new(env)
});

fn range_hook<'b, 'v>(mut args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    let per_item = args.get(1).and_then(|k| k.downcast_ref::<CelInt>().map(|k| *k.inner())).unwrap_or(1);
    let range = args.swap_remove(0);
    let items = range.as_sizer().map_or(0, |s| *s.size().inner());
    // Each item is copied into the comprehension's variable.
    let per_items = (items.max(0) as u64).saturating_mul(per_item.max(1) as u64);
    spend(|b| b.charge_value(&*range, COPY, per_items))?;
    Ok(range)
}

fn copy_hook<'b, 'v>(mut args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    let v = args.swap_remove(0);
    spend(|b| b.charge_value(&*v, COPY, 0))?;
    Ok(v)
}

fn scan_hook<'b, 'v>(mut args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    let v = args.swap_remove(0);
    spend(|b| b.charge_value(&*v, 1, 0))?;
    Ok(v)
}

fn unit_hook<'b, 'v>(mut args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    let v = args.swap_remove(0);
    spend(|b| b.charge(unit(&*v)))?;
    Ok(v)
}

fn in_hook<'b, 'v>(mut args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    let needle = args.get(1).map_or(1, |n| unit(&**n));
    let v = args.swap_remove(0);
    // A list is compared item by item, which costs no more than its size
    // however long the needle; a map hashes the needle.
    if v.downcast_ref::<CelMap>().is_some() {
        spend(|b| b.charge(needle))?;
    } else {
        spend(|b| b.charge_value(&*v, 1, 0))?;
    }
    Ok(v)
}

/// Shared, read-only state for evaluating every control over one account
/// of a snapshot (or over a whole snapshot of one account).
///
/// The resources' data is converted to CEL once, borrowing the snapshot's
/// strings, and every control reads it in place: `r` and `resources` are
/// lent to each evaluation through a [`VariableResolver`] rather than bound
/// as variables, which would copy the value (for `resources`, the whole
/// account) each time.
pub struct Env<'a> {
    /// The account evaluated; `None` for the whole snapshot as one estate.
    pub account: Option<String>,
    /// The account's own collection time: `now` and `days_since` read it.
    now: DateTime<Utc>,
    /// The account's resources' data by kind, for `resources[...]` and `r`,
    /// so a lookup never sees another account's resources.
    resources: CelMap<'a>,
    /// Which of the snapshot's resources this environment evaluates, by
    /// index, with where each one's data is in `resources`: its kind and
    /// its place in that kind's list.
    members: Vec<(usize, usize)>,
    /// What a control may spend on one resource: see [`BUDGET_PER_NODE`].
    budget: u64,
}

/// JSON as a CEL value that borrows the JSON's strings: whole numbers stay
/// CEL `int`, as in [`to_cel`].
fn to_val(v: &serde_json::Value) -> Box<dyn Val + '_> {
    match v {
        serde_json::Value::Null => Box::new(cel::common::types::CelNull),
        serde_json::Value::Bool(b) => Box::new(CelBool::from(*b)),
        serde_json::Value::Number(n) => match n.as_i64() {
            Some(i) => Box::new(CelInt::from(i)),
            None => Box::new(cel::common::types::CelDouble::from(n.as_f64().unwrap_or(f64::NAN))),
        },
        serde_json::Value::String(s) => Box::new(CelString::from(s.as_str())),
        serde_json::Value::Array(a) => Box::new(CelList::from(a.iter().map(to_val).collect::<Vec<_>>())),
        serde_json::Value::Object(o) => Box::new(CelMap::from(
            o.iter()
                .map(|(k, v)| (CelMapKey::String(CelString::from(k.as_str())), to_val(v)))
                .collect::<HashMap<_, _>>(),
        )),
    }
}

impl<'a> Env<'a> {
    /// The whole snapshot as one estate, timed by its window.
    pub fn new(snapshot: &'a Snapshot) -> Env<'a> {
        let all = (0..snapshot.resources.len()).collect();
        Env::over(snapshot, None, all, snapshot.collected_at.finished)
    }

    /// One environment per account the snapshot covers, each seeing only
    /// its own resources and timed by its own collection; a snapshot of one
    /// account (or none) is evaluated as [`Env::new`] does.
    pub fn per_account(snapshot: &'a Snapshot) -> Vec<Env<'a>> {
        let ids = snapshot.account_ids();
        if ids.len() <= 1 {
            return vec![Env::new(snapshot)];
        }
        let mut members: BTreeMap<&str, Vec<usize>> = ids.iter().map(|a| (*a, Vec::new())).collect();
        for (i, r) in snapshot.resources.iter().enumerate() {
            members.entry(r.account.as_str()).or_default().push(i);
        }
        members
            .into_iter()
            .map(|(id, m)| Env::over(snapshot, Some(id.to_string()), m, snapshot.window_of(id).finished))
            .collect()
    }

    fn over(snapshot: &'a Snapshot, account: Option<String>, members: Vec<usize>, now: DateTime<Utc>) -> Env<'a> {
        let mut by_kind: BTreeMap<&str, Vec<Box<dyn Val + 'a>>> = BTreeMap::new();
        let mut places = Vec::with_capacity(members.len());
        for i in members {
            let r = &snapshot.resources[i];
            let list = by_kind.entry(r.kind.as_str()).or_default();
            places.push((i, list.len()));
            list.push(to_val(&r.data));
        }
        let size: u64 = places.iter().map(|(i, _)| json_size(&snapshot.resources[*i].data)).sum();
        let resources: HashMap<CelMapKey<'a>, Box<dyn Val + 'a>> = by_kind
            .into_iter()
            .map(|(k, v)| (CelMapKey::String(CelString::from(k)), Box::new(CelList::from(v)) as Box<dyn Val + 'a>))
            .collect();
        Env {
            account,
            now,
            resources: CelMap::from(resources),
            members: places,
            budget: BUDGET_BASE.saturating_add(BUDGET_PER_NODE.saturating_mul(size)),
        }
    }

    /// The time checks in this environment measure from.
    pub fn now(&self) -> DateTime<Utc> {
        self.now
    }

    /// This environment's resources, each with its data as CEL.
    pub fn resources<'s>(
        &'s self,
        snapshot: &'s Snapshot,
    ) -> impl Iterator<Item = (&'s Resource, &'s (dyn Val + 'a))> + 's {
        self.members.iter().map(move |&(i, at)| {
            let r = &snapshot.resources[i];
            let list = self
                .resources
                .inner()
                .get(&CelMapKey::String(CelString::from(r.kind.as_str())))
                .and_then(|l| l.downcast_ref::<CelList>())
                .expect("every member's kind has a list");
            (r, list.inner()[at].as_ref())
        })
    }

    /// A fresh budget for one control, to [`Budget::reset`] for each resource.
    pub fn budget(&self) -> Arc<Budget> {
        Arc::new(Budget::new(self.budget))
    }

    /// A context for one control: its params, the time, `resources` and the
    /// functions.
    pub fn context(&'a self, params: &BTreeMap<String, serde_json::Value>) -> Context<'a, 'a> {
        let mut ctx = Context::with_env(CEL_ENV.clone());
        let params: HashMap<String, Value> = params.iter().map(|(k, v)| (k.clone(), to_cel(v))).collect();
        ctx.add_variable_from_value("params", Value::from(params));
        ctx.add_variable_from_value("now", Value::Timestamp(self.now.fixed_offset()));
        ctx.set_variable_resolver(self);
        let now = self.now;
        // Exact days, fractions included: whole days would truncate 45 days
        // and 23 hours to 45, and a check could not say "45 days or more"
        // (`< 45`) apart from "more than 90 days" (`<= 90`) at the boundary.
        let _ = ctx.add_function("days_until", move |t: Arc<String>| -> Result<f64, ExecutionError> {
            Ok(days(parse_time(&t)? - now))
        });
        let _ = ctx.add_function("days_since", move |t: Arc<String>| -> Result<f64, ExecutionError> {
            Ok(days(now - parse_time(&t)?))
        });
        let _ = ctx.add_function("statements", statements);
        let _ = ctx.add_function("public_access", public_access);
        let _ = ctx.add_function("denies_insecure_transport", denies_insecure_transport);
        let _ = ctx.add_function("action_matches", |pattern: Arc<String>, action: Arc<String>| {
            action_matches(&pattern, &action)
        });
        let _ = ctx.add_function("matches_wildcard", |filter: Arc<String>, name: Arc<String>| {
            matches_wildcard(&filter, &name)
        });
        ctx
    }
}

impl VariableResolver for Env<'_> {
    fn resolve<'b>(&'b self, variable: &str) -> Option<CowVal<'b, 'b>> {
        (variable == "resources").then(|| CowVal::Borrowed(&self.resources as &dyn Val))
    }
}

/// `r` and `meta` of one resource, lent to one evaluation.
struct ResourceVars<'a> {
    r: &'a (dyn Val + 'a),
    meta: CelMap<'a>,
}

impl VariableResolver for ResourceVars<'_> {
    fn resolve<'b>(&'b self, variable: &str) -> Option<CowVal<'b, 'b>> {
        match variable {
            "r" => Some(CowVal::Borrowed(self.r)),
            "meta" => Some(CowVal::Borrowed(&self.meta as &dyn Val)),
            _ => None,
        }
    }
}

impl<'a> ResourceVars<'a> {
    fn new(resource: &'a Resource, data: &'a (dyn Val + 'a)) -> ResourceVars<'a> {
        let field = |k: &'static str, v: &'a str| {
            (CelMapKey::String(CelString::from(k)), Box::new(CelString::from(v)) as Box<dyn Val + 'a>)
        };
        let meta = HashMap::from([
            field("account", resource.account.as_str()),
            field("region", resource.region.as_str()),
            field("id", resource.id.as_str()),
        ]);
        ResourceVars { r: data, meta: CelMap::from(meta) }
    }
}

/// What a bucket policy grants the public: `{read, write}` ([`super::policy::public_access`]).
fn public_access(doc: Value) -> Result<Value, ExecutionError> {
    let json = policy_document("public_access", doc)?;
    let a = super::policy::public_access(&json);
    Ok(to_cel(&serde_json::json!({"read": a.read, "write": a.write})))
}

/// Whether a bucket policy refuses plain HTTP on the bucket `arn` and its
/// objects ([`super::policy::denies_insecure_transport`]).
fn denies_insecure_transport(doc: Value, arn: Arc<String>) -> Result<bool, ExecutionError> {
    let json = policy_document("denies_insecure_transport", doc)?;
    Ok(super::policy::denies_insecure_transport(&json, &arn))
}

/// A policy as JSON. Anything but an object (a policy S3 returned that did
/// not parse is kept as its text) cannot be judged either way: an error,
/// never a verdict.
fn policy_document(function: &str, doc: Value) -> Result<serde_json::Value, ExecutionError> {
    match doc.json().map_err(|e| ExecutionError::function_error(function, format!("{e:?}")))? {
        json @ serde_json::Value::Object(_) => Ok(json),
        _ => Err(ExecutionError::function_error(function, "the policy is not a JSON policy document")),
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

/// An ECR scanning filter against a repository name, as ECR's user guide
/// defines it (<https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-scanning-filters.html>):
/// "a filter with no wildcard will match all repository names that contain the
/// filter. A filter with a wildcard (*) matches on any repository name where
/// the wildcard replaces zero or more characters". Only `*` is special.
pub fn matches_wildcard(filter: &str, name: &str) -> bool {
    if !filter.contains('*') {
        return name.contains(filter);
    }
    let pattern: Vec<String> = filter.split('*').map(globset::escape).collect();
    globset::GlobBuilder::new(&pattern.join("*"))
        .literal_separator(false)
        .build()
        .is_ok_and(|g| g.compile_matcher().is_match(name))
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
/// Reads the rule where it is: it runs for every rule and port of every
/// security group, and costs the same whatever it is given.
fn covers_port<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    let [rule, port] = args.as_slice() else {
        return Err(ExecutionError::invalid_argument_count(2, args.len()));
    };
    let port = *port
        .downcast_ref::<CelInt>()
        .ok_or_else(|| ExecutionError::UnexpectedType { got: format!("{:?}", &**port), want: "i64".into() })?
        .inner();
    let Some(rule) = rule.downcast_ref::<CelMap>() else {
        return Err(ExecutionError::function_error("covers_port", "the first argument must be a rule"));
    };
    let get = |k: &'static str| rule.inner().get(&CelMapKey::String(CelString::from(k))).map(|v| v.as_ref());
    let protocol = get("protocol").and_then(|p| p.downcast_ref::<CelString>()).map_or("-1", |p| p.inner());
    let bound = |k| get(k).and_then(|v| v.downcast_ref::<CelInt>()).map(|i| *i.inner());
    let covers = match protocol {
        "-1" => true,
        "tcp" | "udp" | "6" | "17" => match (bound("from_port"), bound("to_port")) {
            (Some(from), Some(to)) => (from == -1 && to == -1) || (from <= port && port <= to),
            _ => true,
        },
        _ => false,
    };
    Ok(CowVal::owned(CelBool::from(covers)))
}

/// Evaluate one compiled expression for one resource, charging `budget`
/// for its size and for what its hooks measure.
pub fn eval<'a>(
    program: &Compiled,
    ctx: &Context<'_, 'a>,
    budget: &Arc<Budget>,
    resource: &'a Resource,
    data: &'a (dyn Val + 'a),
) -> Result<Value, ExecutionError> {
    let vars = ResourceVars::new(resource, data);
    eval_shared(program, &resource_scope(ctx, &vars), budget)
}

/// Evaluate one compiled expression in `ctx` alone (a check's `let`, the
/// same for every resource), charging `budget` as [`eval`] does.
pub fn eval_shared(program: &Compiled, ctx: &Context<'_, '_>, budget: &Arc<Budget>) -> Result<Value, ExecutionError> {
    budget.charge(program.nodes)?;
    let outer = SPENDING.with(|s| s.replace(Some(budget.clone())));
    let value = Value::resolve(&program.expr, ctx);
    SPENDING.with(|s| s.replace(outer));
    value
}

/// `ctx` with `r` and `meta` of one resource.
fn resource_scope<'s>(ctx: &'s Context<'_, 's>, vars: &'s ResourceVars<'s>) -> Context<'s, 's> {
    let mut inner = ctx.new_inner_scope();
    inner.set_variable_resolver(vars);
    inner
}

#[cfg(test)]
mod tests {

    use super::*;
    use crate::evaluate::catalog::{Catalog, ControlBody};

    const AT: Pos = Pos { line: 1, column: 1 };

    /// The data of the snapshot's first resource, as CEL.
    fn first<'a>(env: &'a Env<'a>, snapshot: &'a Snapshot) -> &'a (dyn Val + 'a) {
        env.resources(snapshot).next().unwrap().1
    }

    fn example() -> Snapshot {
        serde_json::from_str(include_str!("../../examples/snapshot.json")).unwrap()
    }

    /// Evaluate `src` over the example snapshot's first resource, with the
    /// hooks, on a thread like the evaluation threads.
    fn run(src: &str) -> (Result<Value, ExecutionError>, Arc<Budget>) {
        let src = src.to_string();
        on_stack(move || {
            let snapshot = example();
            let env = Env::new(&snapshot);
            let program = compile(&src, AT).unwrap_or_else(|e| panic!("{src}: {e:?}"));
            let budget = env.budget();
            let ctx = env.context(&BTreeMap::new());
            let value = eval(&program, &ctx, &budget, &snapshot.resources[0], first(&env, &snapshot));
            (value, budget)
        })
        .unwrap()
    }

    /// Evaluate `src` as CEL does without the hooks.
    fn run_plain(src: &str) -> Result<Value, ExecutionError> {
        let src = src.to_string();
        on_stack(move || {
            let snapshot = example();
            let env = Env::new(&snapshot);
            let program = cel::Program::compile(&src).unwrap();
            let ctx = env.context(&BTreeMap::new());
            let vars = ResourceVars::new(&snapshot.resources[0], first(&env, &snapshot));
            program.execute(&resource_scope(&ctx, &vars))
        })
        .unwrap()
    }

    /// AWS's wording decides the boundary: "unused for 45 days or more"
    /// fails at exactly 45 days (`days_since(t) < 45` passes), "rotated
    /// within 90 days" passes at exactly 90 (`days_since(t) <= 90`). Whole
    /// days made 45 days and 23 hours read as 45, a false pass of IAM.22.
    #[test]
    fn days_since_is_exact_at_the_boundaries() {
        on_stack(|| {
            let snapshot = example();
            let env = Env::new(&snapshot);
            let at = |d: chrono::TimeDelta| (env.now - d).to_rfc3339_opts(chrono::SecondsFormat::Nanos, true);
            let day = chrono::TimeDelta::days;
            let cases = [
                (at(day(45) - chrono::TimeDelta::hours(1)), "< 45", true),
                (at(day(45)), "< 45", false),
                (at(day(45) + chrono::TimeDelta::seconds(1)), "< 45", false),
                (at(day(90)), "<= 90", true),
                (at(day(90) + chrono::TimeDelta::seconds(1)), "<= 90", false),
                (at(day(89) + chrono::TimeDelta::hours(23)), "<= 90", true),
            ];
            for (time, test, expected) in cases {
                let src = format!("days_since('{time}') {test}");
                let program = compile(&src, AT).unwrap();
                let ctx = env.context(&BTreeMap::new());
                let value = eval(&program, &ctx, &env.budget(), &snapshot.resources[0], first(&env, &snapshot));
                assert_eq!(value, Ok(Value::Bool(expected)), "{src}");
            }
            let until = format!("days_until('{}')", at(-day(30)));
            let program = compile(&format!("{until} >= 30 && {until} < 30.00001"), AT).unwrap();
            let ctx = env.context(&BTreeMap::new());
            let value = eval(&program, &ctx, &env.budget(), &snapshot.resources[0], first(&env, &snapshot));
            assert_eq!(value, Ok(Value::Bool(true)));
        })
        .unwrap();
    }

    #[test]
    fn hooks_change_no_result() {
        let cases = [
            "[1, 2, 3].map(x, x * 2)",
            "[1, 2, 3].map(x, x > 1, x * 2)",
            "[1, 2, 3].filter(x, x > 1)",
            "[1, 2, 3].all(x, x > 0)",
            "[1, 2, 3].exists(x, x > 2)",
            "[1, 2, 3].exists_one(x, x > 2)",
            "[1, 2, 3].existsOne(x, x > 5)",
            "{'a': 1, 'b': 2}.map(k, k).size() == 2",
            "[[1, 2], [3]].map(l, l.map(x, x + 1))",
            "[[1, 2], [3]].filter(l, l.exists(x, x > 2))",
            "'a' in {'a': 1}",
            "2 in [1, 2]",
            "[2] in [[1], [2]]",
            "[1] + [2] == [1, 2]",
            "'ab' + 'c'",
            "size([1, 2]) + size('abc')",
            "[1, 'a', [2]] == [1, 'a', [2]]",
            "{'k': [1]} != {'k': [2]}",
            "has({'a': 1}.a)",
            "[1, 2].exists(x, x / 0 == 1)",
            "[0, 1].all(x, 1 / x > 0)",
            "[0, 1].all(x, 1 / x > 5)",
            "[1, 2].exists(x, x == 2 || 1 / 0 == 1)",
            "'abc'.startsWith('a') && 'abc'.contains('b') && 'x'.matches('^x$')",
            "string(1) + 'a'",
            "int('3') * 2",
            "type(1) == int",
            "dyn([1])",
            "[1, 2, 3][1]",
            "{'a': {'b': 1}}.a.b",
            "-(1) < 0 ? 'y' : 'n'",
            "!true",
            "now > timestamp('2000-01-01T00:00:00Z')",
            "duration('1h') + duration('1m')",
            "days_until('2030-01-01T00:00:00Z') > 0",
            "covers_port({'protocol': 'tcp', 'from_port': 22, 'to_port': 22}, 22)",
            "statements({'Statement': [{'Effect': 'Allow', 'Action': 's3:*'}]})[0].actions",
            "action_matches('s3:*', 's3:GetObject')",
            "size(resources) > 0 && 'kms.key' in resources",
            "resources.map(k, size(resources[k])).exists(n, n > 0)",
            "r == r && [r, meta] != [meta, r]",
            "meta.id + '/' + meta.region",
            "undefined_var",
            "1 + 'a'",
            "[1].map(x, y)",
            "{'a': 1}.b",
            "[undefined_var] + [1]",
            "size(undefined_var) + [1, 2].size()",
            "undefined_fn(1)",
            "'a'.undefined_method()",
            "r.missing_field + 1",
            "dyn(undefined_var) == 1",
            "{'a': undefined_var}",
        ];
        for src in cases {
            assert_eq!(run(src).0, run_plain(src), "{src}");
        }
    }

    #[test]
    fn covers_port_reads_rules_as_ec2_writes_them() {
        let cases = [
            ("{'protocol': '-1'}", 22, Ok(true)),
            ("{}", 22, Ok(true)),
            ("{'protocol': 6}", 22, Ok(true)),
            ("{'protocol': 'icmp', 'from_port': 8, 'to_port': 0}", 22, Ok(false)),
            ("{'protocol': 'tcp', 'from_port': 20, 'to_port': 23}", 22, Ok(true)),
            ("{'protocol': 'udp', 'from_port': 20, 'to_port': 21}", 22, Ok(false)),
            ("{'protocol': '6', 'from_port': -1, 'to_port': -1}", 3389, Ok(true)),
            ("{'protocol': '17', 'from_port': 22}", 22, Ok(true)),
            ("{'protocol': 'tcp', 'from_port': '22', 'to_port': 22}", 22, Ok(true)),
        ];
        for (rule, port, want) in cases {
            assert_eq!(run(&format!("covers_port({rule}, {port})")).0, want.map(Value::Bool), "{rule} {port}");
        }
        assert!(run("covers_port('tcp', 22)").0.is_err());
        assert!(run("covers_port({'protocol': 'tcp'}, '22')").0.is_err());
        assert!(run("covers_port({'protocol': 'tcp'})").0.is_err());
    }

    /// IAM's grammar lets `Statement`, `Action`, `Resource` and each
    /// principal be one value or a list; a check must see the same
    /// statements either way. A field of a type IAM never writes reads as
    /// empty, never as `*`.
    #[test]
    fn statements_read_each_shape_iam_allows() {
        use serde_json::json;
        // Back to JSON to compare: a CEL map keeps no order, so principals
        // under several keys come out in any order; they are sorted here.
        let parse = |doc: serde_json::Value| {
            let mut out = statements(to_cel(&doc)).unwrap().json().unwrap();
            for s in out.as_array_mut().unwrap() {
                s["principals"].as_array_mut().unwrap().sort_by_key(|p| p.to_string());
            }
            out
        };
        type J = serde_json::Value;
        let stmt = |effect: &str, actions: J, not_actions: J, resources: J, principals: J, condition: J| {
            json!({"effect": effect, "actions": actions, "not_actions": not_actions, "resources": resources,
                "principals": principals, "condition": condition})
        };
        let lone = json!({"Statement": {"Effect": "Deny", "Action": "s3:*", "Resource": "arn:aws:s3:::b/*",
            "Principal": "*"}});
        let want = stmt("Deny", json!(["s3:*"]), json!([]), json!(["arn:aws:s3:::b/*"]), json!(["*"]), json!({}));
        assert_eq!(parse(lone), json!([want]));

        let condition = json!({"Bool": {"aws:SecureTransport": "false"}});
        let listed = json!({"Statement": [
            {"Effect": "Allow", "NotAction": ["iam:*", "kms:*"], "Resource": ["a", "b"],
             "Principal": {"AWS": ["arn:aws:iam::1:root", "2"], "Service": "ec2.amazonaws.com"},
             "Condition": condition},
            {"Effect": "Allow", "Action": ["s3:GetObject"]},
        ]});
        let first = stmt(
            "Allow",
            json!([]),
            json!(["iam:*", "kms:*"]),
            json!(["a", "b"]),
            json!(["2", "arn:aws:iam::1:root", "ec2.amazonaws.com"]),
            condition,
        );
        let second = stmt("Allow", json!(["s3:GetObject"]), json!([]), json!([]), json!([]), json!({}));
        assert_eq!(parse(listed), json!([first, second]));

        for none in [json!({}), json!({"Statement": "s3:*"}), json!({"Statement": null}), json!("text")] {
            assert_eq!(parse(none.clone()), json!([]), "{none}");
        }
        let odd = json!({"Statement": [{"Effect": true, "Action": 7, "Resource": {"r": 1}, "Principal": ["*"]}]});
        let want = stmt("", json!([]), json!([]), json!([]), json!([]), json!({}));
        assert_eq!(parse(odd), json!([want]));
    }

    #[test]
    fn bucket_policy_functions_judge_documents_and_refuse_anything_else() {
        let public =
            "{'Statement': [{'Effect': 'Allow', 'Principal': '*', 'Action': 's3:GetObject', 'Resource': '*'}]}";
        assert_eq!(run(&format!("public_access({public}).read")).0, Ok(Value::Bool(true)));
        assert_eq!(run(&format!("public_access({public}).write")).0, Ok(Value::Bool(false)));
        assert_eq!(run(&format!("denies_insecure_transport({public}, 'arn:aws:s3:::b')")).0, Ok(Value::Bool(false)));
        // A policy kept as text because it did not parse: no verdict either way.
        assert!(run("public_access('{\"Statement\": ')").0.is_err());
        assert!(run("denies_insecure_transport(['x'], 'arn:aws:s3:::b')").0.is_err());
    }

    #[test]
    fn a_nested_comprehension_bomb_stops_on_its_budget_quickly() {
        let range = format!("[{}]", (0..30).map(|i| i.to_string()).collect::<Vec<_>>().join(", "));
        // 30^6 iterations if nothing stopped it.
        let mut bomb = "true".to_string();
        for v in ["a", "b", "c", "d", "e", "f"] {
            bomb = format!("{range}.all({v}, {bomb})");
        }
        let (value, budget) = run(&bomb);
        assert!(value.is_err() && budget.exceeded(), "{value:?}");
        // Work, not wall time (which a loaded machine stretches): it stopped
        // within a few budgets of work, not after 30^6 iterations.
        assert!(budget.spent() < 3 * budget.limit(), "{} of {}", budget.spent(), budget.limit());
    }

    #[test]
    fn growing_values_are_charged_for_their_size() {
        // Each step doubles a value that a one-item range hands on.
        let lists = format!("[1]{}", ".map(x, [x, x])".repeat(60));
        let text = format!("['ab']{}", ".map(s, s + s)".repeat(60));
        let sixteen = format!("[{}]", (0..16).map(|i| i.to_string()).collect::<Vec<_>>().join(", "));
        let copies = format!("{sixteen}.map(i, {sixteen}.map(j, [resources, resources]))");
        for src in [lists, text, copies] {
            let (value, budget) = run(&src);
            assert!(value.is_err() && budget.exceeded(), "{src}: {value:?}");
            assert!(budget.spent() < 3 * budget.limit(), "{src}: {} of {}", budget.spent(), budget.limit());
        }
    }

    #[test]
    fn a_budget_error_is_not_swallowed() {
        let range = format!("[{}]", (0..100).map(|i| i.to_string()).collect::<Vec<_>>().join(", "));
        let bomb = format!("true || {range}.all(a, {range}.all(b, {range}.all(c, {range}.all(d, true))))");
        // `true || …` never evaluates the bomb; `… || true` does and swallows its error.
        assert_eq!(run(&bomb).0, Ok(Value::Bool(true)));
        let bomb = format!("{range}.all(a, {range}.all(b, {range}.all(c, {range}.all(d, true)))) || true");
        let (value, budget) = run(&bomb);
        assert_eq!(value, Ok(Value::Bool(true)));
        assert!(budget.exceeded());
    }

    /// ECR's own table of filters against names, row by row
    /// (https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-scanning-filters.html).
    #[test]
    fn ecr_filters_match_as_ecr_documents() {
        let names = ["prod", "repo-prod", "prod-repo", "repo-prod-repo", "prodrepo"];
        let table = [
            ("prod", [true, true, true, true, true]),
            ("*prod", [true, true, false, false, false]),
            ("prod*", [true, false, true, false, true]),
            ("*prod*", [true, true, true, true, true]),
            ("prod*repo", [false, false, true, false, true]),
        ];
        for (filter, expected) in table {
            let got = names.map(|n| matches_wildcard(filter, n));
            assert_eq!(got, expected, "{filter}");
        }
        // `*` crosses `/`; nothing but `*` is special.
        assert!(matches_wildcard("team/*", "team/a/b") && !matches_wildcard("a?c", "abc"));
    }

    fn shape_of(src: &str) -> Shape {
        let src = src.to_string();
        on_stack(move || parse(&src, AT).map(|(_, s)| s)).unwrap().unwrap()
    }

    #[test]
    fn bundled_catalog_is_well_within_the_limits() {
        let catalog = Catalog::builtin();
        let (mut bytes, mut nodes, mut depth, mut nesting) = (0, 0, 0, 0);
        for c in &catalog.controls {
            if let ControlBody::Check(ch) = &c.body {
                for e in ch.scope.iter().chain(&ch.flag).chain(ch.assertions.iter().map(|a| &a.that)) {
                    let s = shape_of(&e.source);
                    bytes = bytes.max(e.source.len());
                    (nodes, depth, nesting) = (nodes.max(s.nodes), depth.max(s.depth), nesting.max(s.nesting));
                }
            }
        }
        eprintln!("bundled catalog: {bytes} bytes, {nodes} nodes, depth {depth}, nesting {nesting}");
        assert!(bytes * 8 <= limits::SOURCE_BYTES, "{bytes}");
        assert!(nodes * 8 <= limits::NODES, "{nodes}");
        assert!(depth * 2 <= limits::DEPTH, "{depth}");
        assert!(nesting * 2 <= limits::NESTING, "{nesting}");
    }

    /// The longest expressions of each recursive shape the length limit
    /// lets through, and the deepest the depth limit lets through.
    fn worst_cases() -> (Vec<String>, Vec<String>) {
        let n = limits::SOURCE_BYTES;
        let long = vec![
            format!("1{}", "+1".repeat(n / 2 - 1)),
            format!("a{}", ".b".repeat(n / 2 - 1)),
            format!("a{}", "[0]".repeat(n / 3 - 1)),
            format!("{}a", "!".repeat(n - 1)),
            format!("{}1", "-".repeat(n - 1)),
            format!("1{}", "<1".repeat(n / 2 - 1)),
            format!("a{}", "||a".repeat(n / 3 - 1)),
            format!("{}1{}", "(".repeat(n / 2 - 1), ")".repeat(n / 2 - 1)),
            format!("{}1{}", "[".repeat(n / 2 - 1), "]".repeat(n / 2 - 1)),
            format!("{}1{}", "f(".repeat(n / 3 - 1), ")".repeat(n / 3 - 1)),
            format!("{}a", "a?a:".repeat(n / 4 - 1)),
            format!("{}1{}", "[1].all(x,".repeat(n / 11), ")".repeat(n / 11)),
        ];
        let d = limits::DEPTH;
        let range = "[1, 2]";
        let deep = vec![
            format!("1{}", " + 1".repeat(d - 1)),
            format!("{}true", "!".repeat(d - 1)),
            format!("{}1{}", "[".repeat(d - 1), "]".repeat(d - 1)),
            format!("{}1{}", "size([".repeat((d - 1) / 3), "])".repeat((d - 1) / 3)),
            format!("{}true{}", format!("{range}.all(x, ").repeat(limits::NESTING), ")".repeat(limits::NESTING)),
            format!(
                "{}[r]{}",
                format!("{range}.map(x, ").repeat(limits::NESTING),
                format!(" + [r, meta, params] {}", ")").repeat(limits::NESTING)
            ),
        ];
        (long, deep)
    }

    #[test]
    fn limits_fit_in_a_quarter_of_the_stack() {
        let (long, deep) = worst_cases();
        let quarter = std::thread::Builder::new().stack_size(STACK / 4);
        quarter
            .spawn(move || {
                for src in &long {
                    // Refused or not, parsing must come back.
                    let _ = parse(src, AT);
                }
                let snapshot = example();
                let env = Env::new(&snapshot);
                for src in &deep {
                    let program = compile(src, AT).unwrap_or_else(|e| panic!("{src}: {e:?}"));
                    let budget = env.budget();
                    let ctx = env.context(&BTreeMap::new());
                    let _ = eval(&program, &ctx, &budget, &snapshot.resources[0], first(&env, &snapshot));
                }
            })
            .unwrap()
            .join()
            .unwrap();
    }

    #[test]
    fn expressions_past_the_limits_are_refused_where_they_are() {
        let err = |src: String| on_stack(move || compile(&src, Pos { line: 7, column: 15 }).unwrap_err()).unwrap();
        let e = err(format!("1{}", " + 1".repeat(2999)));
        assert!(e.message.contains("bytes long, over the limit of 4096"), "{e:?}");
        assert_eq!(e.pos, Pos { line: 7, column: 15 });
        let e = err(format!("1{}", "+1".repeat(999)));
        assert!(e.message.contains("levels deep, over the limit of 64"), "{e:?}");
        assert_eq!(e.pos.line, 7);
        let e = err(format!("{}true{}", "[1].all(x, ".repeat(9), ")".repeat(9)));
        assert!(e.message.contains("comprehensions 9 deep"), "{e:?}");
        // The innermost one: the `(` of the ninth `.all(`.
        assert_eq!(e.pos, Pos { line: 7, column: 15 + 8 * 11 + 7 });
        let e = err(format!("[{}]", ["[1,2,3]"; 400].join(",")));
        assert!(e.message.contains("nodes once its macros are expanded"), "{e:?}");
    }

    #[test]
    fn risk_rule_conditions_are_plain_formulas() {
        let check = |src: &'static str| on_stack(move || check_condition(src)).unwrap();
        assert_eq!(check("a && (b || !c) && a == b ? true : false"), Ok(()));
        for src in ["[1, 2].all(x, x > 0)", "size(a)", "a.b", "1 == 1", "[a].exists(x, x)"] {
            assert!(check(src).is_err(), "{src}");
        }
    }
}

#[cfg(test)]
mod calibration {
    use std::time::{Duration, Instant};

    use super::*;
    use crate::evaluate::catalog::{Catalog, ControlBody};

    /// What each check of the bundled catalog spends on one resource, at
    /// most, over the snapshot in `EVIDENCE_PACK_SNAPSHOT` (default: the
    /// example), costliest last: the figures the budget is set against. `cargo test --lib calibration -- --ignored --nocapture`
    #[test]
    #[ignore]
    fn cost_of_the_bundled_checks() {
        let path = std::env::var("EVIDENCE_PACK_SNAPSHOT")
            .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/examples/snapshot.json").into());
        on_stack(move || {
            let snapshot: Snapshot = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
            let env = Env::new(&snapshot);
            let catalog = Catalog::builtin();
            let mut costs = Vec::new();
            let (mut plain, mut hooked) = (Duration::ZERO, Duration::ZERO);
            for c in &catalog.controls {
                let ControlBody::Check(ch) = &c.body else { continue };
                let budget = env.budget();
                let mut ctx = env.context(&c.params);
                let start = Instant::now();
                for (name, e) in &ch.lets {
                    let value = eval_shared(&e.program, &ctx, &budget).unwrap();
                    ctx.add_variable_from_value(name.as_str(), value);
                }
                let (mut total, mut most) = (0, 0);
                for (r, data) in env.resources(&snapshot).filter(|(r, _)| ch.resources.contains(&r.kind)) {
                    total += budget.spent();
                    most = most.max(budget.spent());
                    budget.reset();
                    if let Some(s) = &ch.scope
                        && eval(&s.program, &ctx, &budget, r, data) != Ok(Value::Bool(true))
                    {
                        continue;
                    }
                    for a in ch.assertions.iter().map(|a| &a.that).chain(&ch.flag) {
                        let _ = eval(&a.program, &ctx, &budget, r, data);
                    }
                }
                (total, most) = (total + budget.spent(), most.max(budget.spent()));
                let took = start.elapsed();
                // The same evaluations as CEL runs them without the hooks, for their overhead.
                let scope_program = ch.scope.as_ref().map(|s| cel::Program::compile(&s.source).unwrap());
                let programs: Vec<cel::Program> = ch
                    .assertions
                    .iter()
                    .map(|a| &a.that)
                    .chain(&ch.flag)
                    .map(|e| cel::Program::compile(&e.source).unwrap())
                    .collect();
                let start = Instant::now();
                for (r, data) in env.resources(&snapshot).filter(|(r, _)| ch.resources.contains(&r.kind)) {
                    let vars = ResourceVars::new(r, data);
                    let scope = resource_scope(&ctx, &vars);
                    if let Some(s) = &scope_program
                        && s.execute(&scope) != Ok(Value::Bool(true))
                    {
                        continue;
                    }
                    for p in &programs {
                        let _ = p.execute(&scope);
                    }
                }
                plain += start.elapsed();
                hooked += took;
                costs.push((most, total, took, c.id.clone()));
            }
            costs.sort();
            for (most, total, took, id) in &costs {
                eprintln!("{most:>10} units on one resource, {total:>10} in all, {took:>10.3?} {id}");
            }
            eprintln!("budget: {}; evaluation with the hooks {hooked:?}, without {plain:?} ", env.budget().limit());
        })
        .unwrap();
    }
}
