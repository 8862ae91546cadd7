//! GuardDuty, per region: whether a detector exists and is enabled. Every
//! region gets a record, so "no detector" is evidence too.

use aws_sdk_guardduty::Client;

use super::{Ctx, Found};
use crate::snapshot::kinds::{GuardDutyRegion, ResourceData};

pub(crate) async fn collect(ctx: &Ctx, region: String) -> Found {
    let client = ctx.client::<Client>(&region);
    let detectors = match client.list_detectors().into_paginator().items().send().collect::<Result<Vec<_>, _>>().await {
        Ok(ids) => ids,
        Err(e) => return Found::failed(ctx, &region, "guardduty:ListDetectors", &[GuardDutyRegion::KIND], &e),
    };
    // A region has at most one detector.
    let data = match detectors.first() {
        None => Ok(GuardDutyRegion { detector_id: None, status: None }),
        Some(d) => client.get_detector().detector_id(d).send().await.map(|out| GuardDutyRegion {
            detector_id: Some(d.clone()),
            status: out.status().map(|s| s.as_str().to_string()),
        }),
    };
    let op = ("guardduty:GetDetector", "guardduty:ListDetectors+GetDetector");
    Found::each(ctx, &region, op, data.map(Some), |data| {
        (format!("arn:aws:guardduty:{region}:{}:detector", ctx.account()), data)
    })
}
