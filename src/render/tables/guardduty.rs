//! GuardDuty: the detector of each region.

use super::{At, EvidenceTable, Row, title_case};
use crate::snapshot::kinds::GuardDutyRegion;

impl EvidenceTable for GuardDutyRegion {
    const TITLE: &'static str = "GuardDuty detectors";
    const COLUMNS: &'static [&'static str] = &["Region", "Detector", "Status"];

    fn cli(&self, at: &At) -> Vec<String> {
        vec![format!("aws guardduty list-detectors{}", at.region_flag())]
    }

    fn rows(self, at: &At) -> Vec<Row> {
        vec![at.row(vec![
            at.region(),
            self.detector_id.unwrap_or_else(|| "None".into()),
            self.status.map(|s| title_case(&s)).unwrap_or_else(|| "Not enabled".into()),
        ])]
    }
}
