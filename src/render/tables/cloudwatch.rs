//! CloudWatch: billing alarms.

use super::{At, EvidenceTable, Row, title_case};
use crate::snapshot::kinds::BillingAlarm;

impl EvidenceTable for BillingAlarm {
    const TITLE: &'static str = "CloudWatch billing alarms";
    const COLUMNS: &'static [&'static str] = &["Alarm", "State", "Threshold (USD)", "Actions"];

    fn cli(&self, _: &At) -> Vec<String> {
        vec!["aws cloudwatch describe-alarms --region us-east-1".into()]
    }

    fn rows(self, at: &At) -> Vec<Row> {
        vec![at.row(vec![
            self.name,
            self.state.map(|s| title_case(&s)).unwrap_or_else(|| "-".into()),
            self.threshold.map(|t| format!("{t:.2}")).unwrap_or_else(|| "-".into()),
            self.actions.to_string(),
        ])]
    }
}
