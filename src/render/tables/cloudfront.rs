//! CloudFront: distributions and their S3 origins.

use super::{At, EvidenceTable, Row, dash};
use crate::snapshot::kinds::Distribution;

impl EvidenceTable for Distribution {
    const TITLE: &'static str = "CloudFront distributions";
    const COLUMNS: &'static [&'static str] =
        &["Distribution", "S3 origin", "Origin access identity", "Origin access control"];

    fn cli(&self, _: &At) -> Vec<String> {
        vec!["aws cloudfront list-distributions".into()]
    }

    fn rows(self, at: &At) -> Vec<Row> {
        if self.s3_origins.is_empty() {
            return vec![at.row(vec![self.id, "No S3 origin".into(), "-".into(), "-".into()])];
        }
        self.s3_origins
            .into_iter()
            .map(|o| {
                at.row(vec![self.id.clone(), o.domain, dash(o.origin_access_identity), dash(o.origin_access_control)])
            })
            .collect()
    }
}
