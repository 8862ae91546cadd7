//! WAF: web ACLs.

use super::{At, EvidenceTable, Row, title_case};
use crate::snapshot::kinds::WebAcl;

impl EvidenceTable for WebAcl {
    const TITLE: &'static str = "WAF web ACLs";
    const COLUMNS: &'static [&'static str] = &["Region", "Web ACL", "Scope", "Rules"];

    fn cli(&self, at: &At) -> Vec<String> {
        // list-web-acls takes only these two scope values.
        let scope = if self.scope == "CLOUDFRONT" { "CLOUDFRONT" } else { "REGIONAL" };
        vec![format!("aws wafv2 list-web-acls --scope {scope}{}", at.region_flag())]
    }

    fn rows(self, at: &At) -> Vec<Row> {
        vec![at.row(vec![at.region(), self.name, title_case(&self.scope), self.rules.to_string()])]
    }
}
