//! CloudTrail trails.

use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct EventSelector {
    pub read_write_type: String,
    pub include_management_events: bool,
    pub exclude_management_event_sources: Vec<String>,
    pub data_resources: usize,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Trail {
    pub name: String,
    pub arn: String,
    pub home_region: String,
    pub multi_region: bool,
    pub organization_trail: bool,
    pub include_global_service_events: bool,
    pub s3_bucket: Option<String>,
    pub s3_key_prefix: Option<String>,
    pub log_file_validation: bool,
    pub kms_key_id: Option<String>,
    pub cloudwatch_logs_log_group_arn: Option<String>,
    /// From `cloudtrail:GetTrailStatus`; `None` if that call failed.
    pub is_logging: Option<bool>,
    pub latest_delivery_time: Option<String>,
    pub latest_delivery_error: Option<String>,
    /// From `cloudtrail:GetEventSelectors`.
    pub event_selectors: Vec<EventSelector>,
    /// Advanced event selectors, as AWS returns them.
    pub advanced_event_selectors: Vec<Value>,
    /// Which management events the selectors record: `All`, `ReadOnly`,
    /// `WriteOnly` or `None`; `null` if the selectors could not be read.
    /// Derived from both selector styles so a check need not know either.
    pub management_events: Option<String>,
    /// Management-event sources the selectors leave out (a basic
    /// selector's `ExcludeManagementEventSources`, an advanced selector's
    /// `eventSource NotEquals ...`); `null` if the selectors could not be
    /// read or the snapshot predates the field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub excluded_management_event_sources: Option<Vec<String>>,
}
kind!(Trail, "cloudtrail.trail", "trail");
