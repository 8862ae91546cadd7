//! CloudWatch billing alarms.

use serde::{Deserialize, Serialize};

/// A CloudWatch alarm on the `AWS/Billing` `EstimatedCharges` metric.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct BillingAlarm {
    pub name: String,
    #[serde(default)]
    pub state: Option<String>,
    #[serde(default)]
    pub threshold: Option<f64>,
    pub actions: i64,
}
kind!(BillingAlarm, "cloudwatch.billing_alarm", "billing alarm");
