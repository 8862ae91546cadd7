//! Account: the security alternate contact.

use super::{At, EvidenceTable, Row, dash};
use crate::snapshot::kinds::SecurityContact;

impl EvidenceTable for SecurityContact {
    const TITLE: &'static str = "Security alternate contact (Account settings)";
    const COLUMNS: &'static [&'static str] = &["Contact", "Name", "Title"];

    fn cli(&self, _: &At) -> Vec<String> {
        vec!["aws account get-alternate-contact --alternate-contact-type SECURITY".into()]
    }

    fn rows(self, at: &At) -> Vec<Row> {
        vec![at.row(vec![if self.present { "Set" } else { "Not set" }.into(), dash(self.name), dash(self.title)])]
    }
}
