//! ECR: private repositories and the registry's scanning configuration.

use super::{At, EvidenceTable, Row, yes};
use crate::snapshot::kinds::EcrRepository;

impl EvidenceTable for EcrRepository {
    const TITLE: &'static str = "ECR private repositories";
    const COLUMNS: &'static [&'static str] = &["Region", "Repository", "Scan on push", "Registry scanning"];

    fn cli(&self, at: &At) -> Vec<String> {
        let rf = at.region_flag();
        vec![format!("aws ecr describe-repositories{rf}"), format!("aws ecr get-registry-scanning-configuration{rf}")]
    }

    fn rows(self, at: &At) -> Vec<Row> {
        // The rules as configured; which of them covers the repository is ECR.1's call.
        let registry = self.registry_scan.map_or_else(
            || "could not be read".to_string(),
            |s| {
                let rules = s.rules.iter().map(|r| {
                    let filters: Vec<&str> = r.repository_filters.iter().map(|f| f.filter.as_str()).collect();
                    format!("; {} for {}", r.scan_frequency, filters.join(", "))
                });
                format!("{}{}", s.scan_type, rules.collect::<String>())
            },
        );
        vec![at.row(vec![at.region(), self.name, yes(self.scan_on_push), registry])]
    }
}
