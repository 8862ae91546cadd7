//! The catalog's manual questions as a Well-Architected Tool custom lens
//! (schema 2021-11-01), so one catalog drives both evidence-pack and the
//! Well-Architected review. Each control made of others that includes manual
//! controls becomes a pillar; each manual control a question.

use serde_json::{Value, json};

use crate::evaluate::catalog::{ControlBody, Link, Manual};
use crate::evaluate::{Catalog, Control};

/// Lens ids allow letters, digits and underscores.
fn lens_id(id: &str) -> String {
    id.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '_' }).collect()
}

fn link(l: &Option<Link>) -> Option<Value> {
    l.as_ref().map(|l| {
        let mut v = json!({ "displayText": l.text });
        if let Some(u) = &l.url {
            v["url"] = json!(u);
        }
        v
    })
}

fn question(c: &Control, m: &Manual) -> Value {
    let mut q = json!({
        "id": lens_id(&c.id),
        "title": m.question,
        "description": if c.description.trim().is_empty() { c.title.clone() } else { c.description.trim().to_string() },
        "choices": m.choices.iter().map(|ch| {
            let mut v = json!({ "id": ch.id, "title": ch.title });
            if let Some(h) = link(&ch.helpful_resource) { v["helpfulResource"] = h; }
            if let Some(p) = link(&ch.improvement_plan) { v["improvementPlan"] = p; }
            v
        }).collect::<Vec<_>>(),
        "riskRules": m.risk_rules.iter().map(|r| json!({
            "condition": r.condition.trim(),
            "risk": serde_json::to_value(r.risk).expect("risk serialises"),
        })).collect::<Vec<_>>(),
    });
    if let Some(h) = link(&m.helpful_resource) {
        q["helpfulResource"] = h;
    }
    q
}

pub fn lens(catalog: &Catalog) -> String {
    let manual = |id: &str| {
        catalog.get(id).and_then(|c| match &c.body {
            ControlBody::Manual(m) => Some((c, m)),
            _ => None,
        })
    };
    let mut placed = std::collections::BTreeSet::new();
    let mut pillars = Vec::new();
    for c in &catalog.controls {
        let ControlBody::Composite(sections) = &c.body else { continue };
        let questions: Vec<Value> = sections
            .iter()
            .flat_map(|s| s.controls.iter())
            .filter_map(|id| manual(id))
            .filter(|(q, _)| placed.insert(q.id.clone()))
            .map(|(q, m)| question(q, m))
            .collect();
        if !questions.is_empty() {
            pillars
                .push(json!({ "id": lens_id(&c.id), "name": format!("{} {}", c.id, c.title), "questions": questions }));
        }
    }
    let rest: Vec<Value> = catalog
        .controls
        .iter()
        .filter(|c| !placed.contains(&c.id))
        .filter_map(|c| manual(&c.id))
        .map(|(c, m)| question(c, m))
        .collect();
    if !rest.is_empty() {
        pillars.push(json!({ "id": "other", "name": "Other manual controls", "questions": rest }));
    }
    let name: String = catalog.name.chars().take(128).collect();
    let lens = json!({
        "schemaVersion": "2021-11-01",
        "name": name,
        "description": catalog.description.trim().chars().take(2048).collect::<String>(),
        "pillars": pillars,
    });
    let mut s = serde_json::to_string_pretty(&lens).expect("lens serialises");
    s.push('\n');
    s
}
