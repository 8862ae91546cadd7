//! What people add to the automated evidence: answers to manual controls
//! (`attestations.yaml`) and accepted risks (`exceptions.yaml`).

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use cel::{Context, Program, Value};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::catalog::{Located, Manual, Risk, from_yaml};

#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error("cannot read {path}: {source}")]
    Read { path: String, source: std::io::Error },
    #[error(transparent)]
    Invalid(#[from] Located),
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

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Attestations {
    pub attestations: Vec<Attestation>,
    /// Where the file was read from, to find evidence files.
    #[serde(skip)]
    pub base: PathBuf,
    #[serde(skip)]
    pub source: String,
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

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Exceptions {
    pub exceptions: Vec<Exception>,
    #[serde(skip)]
    pub source: String,
}

fn parse<T: for<'de> Deserialize<'de>>(path: &Path, what: &str) -> Result<(T, String), InputError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| InputError::Read { path: shown.clone(), source })?;
    let value = from_yaml(&shown, &text, &format!("see the README's section on {what} for the fields"))?;
    Ok((value, text))
}

impl Attestations {
    pub fn read(path: &Path) -> Result<Attestations, InputError> {
        let (mut a, text): (Attestations, String) = parse(path, "attestations")?;
        a.base = path.parent().map(Path::to_path_buf).unwrap_or_default();
        a.source = text;
        Ok(a)
    }

    pub fn get(&self, control: &str) -> Option<&Attestation> {
        self.attestations.iter().find(|a| a.control == control)
    }

    /// The evidence files, with their name inside the pack.
    pub fn files(&self) -> Result<Vec<(String, Vec<u8>)>, InputError> {
        let mut out = BTreeMap::new();
        for a in &self.attestations {
            for f in &a.evidence {
                let path = self.base.join(f);
                let bytes = std::fs::read(&path)
                    .map_err(|source| InputError::Read { path: path.display().to_string(), source })?;
                let name = Path::new(f).file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                out.insert(format!("attestations/{}/{name}", a.control), bytes);
            }
        }
        Ok(out.into_iter().collect())
    }
}

impl Exceptions {
    pub fn read(path: &Path) -> Result<Exceptions, InputError> {
        let (mut e, text): (Exceptions, String) = parse(path, "exceptions")?;
        e.source = text;
        for x in &e.exceptions {
            for pattern in &x.resources {
                globset::Glob::new(pattern).map_err(|err| Located {
                    path: path.display().to_string(),
                    line: 0,
                    column: 0,
                    message: format!("exception for {}: bad resource pattern '{pattern}': {err}", x.control),
                    hint: "use a resource id or name, with * for any text".into(),
                })?;
            }
        }
        Ok(e)
    }

    pub fn for_control<'a>(&'a self, control: &'a str) -> impl Iterator<Item = &'a Exception> + 'a {
        self.exceptions.iter().filter(move |e| e.control == control)
    }
}

impl Exception {
    /// Whether it still applies at the snapshot's time (through its expiry day).
    pub fn active(&self, now: DateTime<Utc>) -> bool {
        now.date_naive() <= self.expires
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
