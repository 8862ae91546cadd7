//! ACM: certificates.

use super::{At, EvidenceTable, Row, opt, title_case, yes};
use crate::snapshot::kinds::AcmCertificate;

impl EvidenceTable for AcmCertificate {
    const TITLE: &'static str = "ACM certificates";
    const COLUMNS: &'static [&'static str] =
        &["Region", "Domain", "Status", "Renewal status", "Type", "In use", "Not after", "Days left"];

    fn cli(&self, at: &At) -> Vec<String> {
        vec![format!("aws acm describe-certificate --certificate-arn {}{}", self.arn, at.region_flag())]
    }

    fn rows(self, at: &At) -> Vec<Row> {
        let days = self
            .not_after
            .as_deref()
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
            .map(|t| (t.with_timezone(&chrono::Utc) - at.now).num_days().to_string())
            .unwrap_or_else(|| "-".into());
        let ty = match self.cert_type.as_str() {
            "AMAZON_ISSUED" => "Amazon issued",
            "IMPORTED" => "Imported",
            "PRIVATE" => "Private",
            o => o,
        };
        vec![at.row(vec![
            at.region(),
            self.domain.clone(),
            title_case(&self.status),
            self.renewal_status.as_deref().map(title_case).unwrap_or_else(|| "-".into()),
            ty.into(),
            yes(self.in_use),
            opt(&self.not_after),
            days,
        ])]
    }
}
