//! GuardDuty, one record per region.

use serde::{Deserialize, Serialize};

/// GuardDuty in one region: one record per region, detector or not.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct GuardDutyRegion {
    #[serde(default)]
    pub detector_id: Option<String>,
    /// `ENABLED` or `DISABLED`; `None` without a detector.
    #[serde(default)]
    pub status: Option<String>,
}
kind!(GuardDutyRegion, "guardduty.region", "region", |_| "GuardDuty".into());
