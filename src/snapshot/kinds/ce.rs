//! Cost Anomaly Detection monitors.

use serde::{Deserialize, Serialize};

/// A Cost Anomaly Detection monitor and how many subscriptions alert on it.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct AnomalyMonitor {
    pub name: String,
    pub arn: String,
    pub monitor_type: String,
    pub subscriptions: i64,
}
kind!(AnomalyMonitor, "ce.anomaly_monitor", "anomaly monitor");
