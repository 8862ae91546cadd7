//! Manual controls: a person's answer and the catalog's risk rules.

use chrono::{DateTime, Utc};

use super::catalog::{self, Control, Status};
use super::results::ControlResult;
use super::{Attestation, attest, base};

/// How many days an answer to a manual control holds when the catalog does
/// not say (`max_age_days`): a yearly review, as most audit frameworks ask.
pub const DEFAULT_MAX_AGE_DAYS: u32 = 365;

/// How many days `m`'s answers hold.
pub fn max_age_days(m: &catalog::Manual) -> u32 {
    m.max_age_days.unwrap_or(DEFAULT_MAX_AGE_DAYS)
}

/// How many whole days old `a` is at `now`, or `None` while it holds.
/// Measured against the snapshot's time, never the clock, so the same pack
/// rebuilt a year later says the same.
pub fn stale_age(m: &catalog::Manual, a: &Attestation, now: DateTime<Utc>) -> Option<i64> {
    let age = (now.date_naive() - a.date).num_days();
    (age > i64::from(max_age_days(m))).then_some(age)
}

/// A manual control's status from its answer and the catalog's risk rules.
/// `now` is the snapshot's time, against which the answer's age is measured.
pub(super) fn answer(c: &Control, m: &catalog::Manual, a: Option<&Attestation>, now: DateTime<Utc>) -> ControlResult {
    let Some(a) = a else {
        return base(c, Status::Manual, format!("Open: needs a person's answer. {}", m.question));
    };
    if let Some(age) = stale_age(m, a, now) {
        // The old answer stays with the result, so the report shows what
        // was answered and why it no longer counts.
        let mut r = base(
            c,
            Status::Manual,
            format!(
                "Stale: answered by {} on {}, {age} days before the snapshot, past the {} days an answer to this control holds (max_age_days); it needs a fresh answer. {}",
                a.by,
                a.date,
                max_age_days(m),
                m.question
            ),
        );
        r.attestation = Some(a.clone());
        return r;
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evaluate::{Attestations, Catalog, Inputs, evaluate_with};
    use crate::snapshot::Snapshot;

    /// The example snapshot was taken on 2026-11-22.
    fn so1_q1(date: &str, max_age_days: Option<u32>) -> ControlResult {
        let snapshot = Snapshot::from_json("example", crate::EXAMPLE_SNAPSHOT).unwrap();
        let mut catalog = Catalog::builtin();
        for c in &mut catalog.controls {
            if let crate::evaluate::ControlBody::Manual(m) = &mut c.body {
                m.max_age_days = max_age_days;
            }
        }
        let text = format!(
            "attestations:\n  - {{control: SO1.Q1, answer: [so_1_1_primary, so_1_1_alternate], by: Ana Ruiz, date: {date}}}\n"
        );
        let inputs = Inputs { attestations: Attestations::parse("a.yaml", &text).unwrap(), ..Default::default() };
        evaluate_with(&snapshot, &catalog, &inputs).get("SO1.Q1").unwrap().clone()
    }

    /// Before, an answer of any age counted: a two-year-old "contacts are
    /// current" read `pass`, a false pass.
    #[test]
    fn an_answer_older_than_its_limit_leaves_the_control_manual() {
        let r = so1_q1("2024-11-01", None);
        assert_eq!(r.status, Status::Manual, "{}", r.reason);
        assert!(
            r.reason.starts_with(
                "Stale: answered by Ana Ruiz on 2024-11-01, 751 days before the snapshot, past the 365 days"
            ),
            "{}",
            r.reason
        );
        assert!(r.attestation.is_some(), "the stale answer stays visible");
    }

    /// The limit is inclusive and counted in days to the snapshot's date;
    /// the catalog may set another.
    #[test]
    fn the_limit_is_counted_to_the_snapshot_day_and_the_catalog_may_change_it() {
        assert_eq!(so1_q1("2025-11-22", None).status, Status::Pass, "exactly 365 days holds");
        assert_eq!(so1_q1("2025-11-21", None).status, Status::Manual, "366 days does not");
        assert_eq!(so1_q1("2026-08-01", Some(90)).status, Status::Manual);
        assert_eq!(so1_q1("2026-09-01", Some(90)).status, Status::Pass);
        // Dated after the snapshot (answered between collecting and packing).
        assert_eq!(so1_q1("2026-12-01", None).status, Status::Pass);
    }

    /// `max_age_days` is a field of a manual control the catalog's check
    /// for unknown fields knows; a misspelling is still reported, and 0
    /// (every answer stale) is refused.
    #[test]
    fn max_age_days_is_a_catalog_field() {
        let manual = |field: &str| {
            format!(
                "version: 1\nname: t\ncontrols:\n  - id: Q.1\n    title: t\n    severity: low\n    manual:\n      question: q\n      {field}\n      choices: [{{id: a, title: A}}]\n      risk_rules: [{{condition: default, risk: NO_RISK}}]\n"
            )
        };
        let c = Catalog::parse("c.yaml", &manual("max_age_days: 90")).unwrap();
        let crate::evaluate::ControlBody::Manual(m) = &c.controls[0].body else { panic!("not manual") };
        assert_eq!(max_age_days(m), 90);
        let c = Catalog::parse("c.yaml", &manual("")).unwrap();
        let crate::evaluate::ControlBody::Manual(m) = &c.controls[0].body else { panic!("not manual") };
        assert_eq!(max_age_days(m), DEFAULT_MAX_AGE_DAYS);
        for (field, why) in [
            ("max_age_day: 90", "unknown field `max_age_day` in a manual control"),
            ("max_age_days: 0", "`max_age_days` is 0"),
            ("max_age_days: -5", ""),
        ] {
            let err = Catalog::parse("c.yaml", &manual(field)).err().unwrap_or_else(|| panic!("{field} accepted"));
            assert!(err.to_string().contains(why), "{field}: {err}");
        }
    }

    #[test]
    fn a_stale_answer_counts_as_open_in_the_summary() {
        let snapshot = Snapshot::from_json("example", crate::EXAMPLE_SNAPSHOT).unwrap();
        let catalog = Catalog::builtin();
        let text = "attestations:\n  - {control: SO1.Q1, answer: [so_1_1_primary], by: Ana, date: 2020-01-01}\n";
        let inputs = Inputs { attestations: Attestations::parse("a.yaml", text).unwrap(), ..Default::default() };
        let results = evaluate_with(&snapshot, &catalog, &inputs);
        assert!(results.summary.open_attestations.iter().any(|id| id == "SO1.Q1"));
    }
}
