//! How each status looks, in every format: its label, its Markdown mark,
//! its colour and its HTML class. The PDF template and the HTML stylesheet
//! read these, so the formats cannot drift apart, and a new status fails to
//! compile until it has all of them.

use crate::evaluate::Status;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Look {
    pub status: Status,
    /// Upper-case label on badges: `FAIL`.
    pub label: &'static str,
    /// The emoji in front of the label in Markdown.
    pub mark: &'static str,
    /// Badge colour, `#rrggbb`.
    pub colour: &'static str,
    /// The HTML class (and the PDF template's key): the status's JSON name.
    pub class: &'static str,
}

pub fn look(status: Status) -> Look {
    let (label, mark, colour) = match status {
        Status::Pass => ("PASS", "✅", "#1d8102"),
        Status::Fail => ("FAIL", "❌", "#d13212"),
        Status::Error => ("ERROR", "⚠️", "#b7410e"),
        Status::Manual => ("MANUAL", "📝", "#0073bb"),
        Status::NotApplicable => ("N/A", "➖", "#687078"),
        Status::Excepted => ("EXCEPTED", "🛡️", "#6b40b5"),
    };
    Look { status, label, mark, colour, class: status.as_str() }
}

/// Every status's look, in the order the summary counts them.
pub fn all() -> impl Iterator<Item = Look> {
    Status::ALL.into_iter().map(look)
}

/// The Markdown badge: `❌ FAIL`.
pub fn badge(status: Status) -> String {
    let l = look(status);
    format!("{} {}", l.mark, l.label)
}

/// The stylesheet rules that colour HTML badges, three to a line.
pub fn css() -> String {
    let rules: Vec<String> = all().map(|l| format!(".badge.{} {{ background: {}; }}", l.class, l.colour)).collect();
    rules.chunks(3).map(|line| format!("{}\n", line.join(" "))).collect()
}

/// What the PDF template reads: colour and label by class.
pub fn for_typst() -> serde_json::Value {
    all().map(|l| (l.class.to_string(), serde_json::json!({ "colour": l.colour, "label": l.label }))).collect()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn every_status_has_a_distinct_label_mark_colour_and_class() {
        let looks: Vec<Look> = all().collect();
        assert_eq!(looks.len(), Status::ALL.len());
        for field in [|l: &Look| l.label, |l: &Look| l.mark, |l: &Look| l.colour, |l: &Look| l.class] {
            let values: BTreeSet<&str> = looks.iter().map(field).collect();
            assert_eq!(values.len(), looks.len(), "two statuses share a look");
            assert!(values.iter().all(|v| !v.is_empty()));
        }
        for l in &looks {
            assert!(l.colour.len() == 7 && l.colour.starts_with('#'), "{}", l.colour);
            assert!(css().contains(&format!(".badge.{} ", l.class)));
        }
    }
}
