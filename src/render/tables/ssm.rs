//! Systems Manager: managed instances, compliance and shared documents.

use super::{At, EvidenceTable, Row, dash, title_case, yes};
use crate::snapshot::kinds::{Compliance, ManagedInstance, SsmDocument};

impl EvidenceTable for ManagedInstance {
    const TITLE: &'static str = "Systems Manager managed instances";
    const COLUMNS: &'static [&'static str] = &["Region", "Instance", "Ping status"];

    fn cli(&self, at: &At) -> Vec<String> {
        vec![format!("aws ssm describe-instance-information{}", at.region_flag())]
    }

    fn rows(self, at: &At) -> Vec<Row> {
        vec![at.row(vec![at.region(), self.instance_id, dash(self.ping_status)])]
    }
}

impl EvidenceTable for Compliance {
    const TITLE: &'static str = "Systems Manager compliance";
    const COLUMNS: &'static [&'static str] = &["Region", "Resource", "Type", "Status"];

    fn cli(&self, at: &At) -> Vec<String> {
        vec![format!("aws ssm list-resource-compliance-summaries{}", at.region_flag())]
    }

    fn rows(self, at: &At) -> Vec<Row> {
        vec![at.row(vec![at.region(), self.resource_id, self.compliance_type, title_case(&self.status)])]
    }
}

impl EvidenceTable for SsmDocument {
    const TITLE: &'static str = "SSM documents owned by the account";
    const COLUMNS: &'static [&'static str] = &["Region", "Document", "Public"];

    fn cli(&self, at: &At) -> Vec<String> {
        vec![format!(
            "aws ssm describe-document-permission --name {} --permission-type Share{}",
            self.name,
            at.region_flag()
        )]
    }

    fn rows(self, at: &At) -> Vec<Row> {
        vec![at.row(vec![at.region(), self.name, yes(self.public)])]
    }
}
