//! Organizations: whether the account belongs to one.

use super::{At, EvidenceTable, Row, dash, yes};
use crate::snapshot::kinds::OrganizationMembership;

impl EvidenceTable for OrganizationMembership {
    const TITLE: &'static str = "AWS Organizations";
    const COLUMNS: &'static [&'static str] = &["Member", "Organization", "Management account"];

    fn cli(&self, _: &At) -> Vec<String> {
        vec!["aws organizations describe-organization".into()]
    }

    fn rows(self, at: &At) -> Vec<Row> {
        vec![at.row(vec![yes(self.member), dash(self.organization_id), dash(self.management_account_id)])]
    }
}
