//! Cost Explorer: cost anomaly monitors.

use super::{At, EvidenceTable, Row, title_case};
use crate::snapshot::kinds::AnomalyMonitor;

impl EvidenceTable for AnomalyMonitor {
    const TITLE: &'static str = "Cost Anomaly Detection monitors";
    const COLUMNS: &'static [&'static str] = &["Monitor", "Type", "Subscriptions with subscribers"];

    fn cli(&self, _: &At) -> Vec<String> {
        vec!["aws ce get-anomaly-monitors && aws ce get-anomaly-subscriptions".into()]
    }

    fn rows(self, at: &At) -> Vec<Row> {
        vec![at.row(vec![self.name, title_case(&self.monitor_type), self.subscriptions.to_string()])]
    }
}
