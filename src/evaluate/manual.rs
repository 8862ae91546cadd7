//! Manual controls: a person's answer and the catalog's risk rules.

use super::catalog::{self, Control, Status};
use super::results::ControlResult;
use super::{Attestation, attest, base};

/// A manual control's status from its answer and the catalog's risk rules.
pub(super) fn answer(c: &Control, m: &catalog::Manual, a: Option<&Attestation>) -> ControlResult {
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
