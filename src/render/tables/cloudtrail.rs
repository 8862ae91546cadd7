//! CloudTrail: trails, their status and event selectors.

use super::{At, EvidenceTable, Row, opt, yes};
use crate::snapshot::kinds::Trail;

impl EvidenceTable for Trail {
    const TITLE: &'static str = "CloudTrail trails";
    const COLUMNS: &'static [&'static str] =
        &["Trail name", "Logging", "Multi-region", "Log location", "Log file validation", "SSE-KMS", "Last delivered"];

    fn cli(&self, at: &At) -> Vec<String> {
        let rf = at.region_flag();
        vec![
            format!("aws cloudtrail describe-trails --no-include-shadow-trails{rf}"),
            format!("aws cloudtrail get-trail-status --name {}{rf}", self.arn),
            format!("aws cloudtrail get-event-selectors --trail-name {}{rf}", self.arn),
        ]
    }

    fn rows(self, at: &At) -> Vec<Row> {
        let account = &at.resource.account;
        let location = match (&self.s3_bucket, &self.s3_key_prefix) {
            (Some(b), Some(p)) => format!("{b}/{p}/AWSLogs/{account}"),
            (Some(b), None) => format!("{b}/AWSLogs/{account}"),
            _ => "-".into(),
        };
        vec![at.row(vec![
            self.name,
            match self.is_logging {
                Some(true) => "Logging".into(),
                Some(false) => "Not logging".into(),
                None => "Unknown".into(),
            },
            yes(self.multi_region),
            location,
            if self.log_file_validation { "Enabled" } else { "Disabled" }.into(),
            if self.kms_key_id.is_some() { "Enabled" } else { "Not enabled" }.into(),
            opt(&self.latest_delivery_time),
        ])]
    }
}
