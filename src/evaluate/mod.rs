//! Stage 2: evaluate the catalog's controls over a snapshot.
//!
//! Reads only the snapshot. Every control in the catalog gets a result with
//! a status and a reason a person can read; none is ever left out.

pub mod attest;
pub mod catalog;
mod check;
mod composite;
pub mod engine;
pub mod exceptions;
pub mod finding;
pub mod lens;
pub mod manual;
pub mod policy;
mod reason;
pub mod results;

use std::collections::BTreeMap;

use rayon::prelude::*;

use crate::snapshot::Snapshot;
pub use attest::{Attestation, Attestations, Exception, Exceptions, InputError};
pub use catalog::{Catalog, CatalogError, Control, ControlBody, Severity, Status};
pub use results::{
    AccountResult, BaselineRef, CatalogRef, ControlResult, Counts, ExceptionNote, Finding, Results, Summary,
};

/// What people add to the snapshot: answers and accepted risks.
#[derive(Debug, Clone, Default)]
pub struct Inputs {
    pub attestations: Attestations,
    pub exceptions: Exceptions,
}

pub fn evaluate(snapshot: &Snapshot, catalog: &Catalog) -> Results {
    evaluate_with(snapshot, catalog, &Inputs::default())
}

pub fn evaluate_with(snapshot: &Snapshot, catalog: &Catalog, inputs: &Inputs) -> Results {
    // Each account is its own estate: one environment each, built once for
    // every control.
    let envs = engine::Env::per_account(snapshot);
    let mut done: BTreeMap<String, ControlResult> = BTreeMap::new();
    // Composite controls read their parts' results, so those go first.
    let simple: Vec<&Control> =
        catalog.controls.iter().filter(|c| !matches!(c.body, ControlBody::Composite(_))).collect();
    let one = |c: &Control| match &c.body {
        ControlBody::Check(check) => {
            let verdicts = envs
                .iter()
                .map(|env| {
                    let mut r = check::run_check(env, snapshot, c, check);
                    exceptions::apply_exceptions(&mut r, &inputs.exceptions, env.now());
                    (env.account.clone(), r)
                })
                .collect();
            check::combine(c, verdicts)
        }
        ControlBody::Manual(m) => manual::answer(c, m, inputs.attestations.get(&c.id), snapshot.collected_at.finished),
        ControlBody::Composite(_) => unreachable!("composites are evaluated after their parts"),
    };
    // Controls are independent of each other: evaluate them on every core,
    // with the stack expressions were checked to fit in. Their costs differ
    // by a hundred times, so cores take the next control as they finish
    // (rayon's work stealing); halves of the catalog fixed in advance left
    // one core idle for a fifth of the evaluation at 100,000 resources.
    let pool = rayon::ThreadPoolBuilder::new()
        .thread_name(|_| "evaluate".into())
        .stack_size(engine::STACK)
        .build()
        .expect("start the evaluation threads");
    let verdicts: Vec<ControlResult> = pool.install(|| simple.par_iter().map(|c| one(c)).collect());
    for r in verdicts {
        done.insert(r.id.clone(), r);
    }
    // A composite may include composites written after it.
    for c in catalog.composites_in_order() {
        if let ControlBody::Composite(sections) = &c.body {
            let mut result = composite::composite(c, sections, &done);
            composite::attested(&mut result, inputs.attestations.get(&c.id));
            done.insert(c.id.clone(), result);
        }
    }
    let controls: Vec<ControlResult> = catalog.controls.iter().filter_map(|c| done.remove(&c.id)).collect();
    let mut summary = Summary::default();
    for c in &controls {
        summary.counts.add(c.status);
        if c.status == Status::Manual && c.includes.is_empty() {
            summary.open_attestations.push(c.id.clone());
        }
    }
    Results {
        catalog: CatalogRef { name: catalog.name.clone(), version: catalog.version, sha256: catalog.sha256.clone() },
        summary,
        controls,
        regions: results::RegionCoverage::of(snapshot),
        baseline: None,
    }
}

fn base(c: &Control, status: Status, reason: String) -> ControlResult {
    ControlResult {
        id: c.id.clone(),
        title: c.title.clone(),
        severity: c.severity,
        status,
        reason,
        accounts: vec![],
        frameworks: c.frameworks.clone(),
        evaluated: 0,
        failing: vec![],
        evidence_errors: vec![],
        includes: vec![],
        attestation: None,
        exceptions: vec![],
    }
}
