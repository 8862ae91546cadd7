//! GuardDuty, per region: whether a detector exists and is enabled. Every
//! region gets a record, so "no detector" is evidence too.

use aws_sdk_guardduty::Client;

use super::{Ctx, Found};
use crate::snapshot::kinds::{GuardDutyRegion, ResourceData};

pub(crate) async fn collect(ctx: &Ctx, region: String) -> Found {
    let client = Client::new(&ctx.in_region(&region));
    let mut found = Found::default();
    let id = format!("arn:aws:guardduty:{region}:{}:detector", ctx.account());
    let detectors = match client.list_detectors().send().await {
        Ok(out) => out.detector_ids().to_vec(),
        Err(e) => {
            found.fail(ctx, &region, "guardduty:ListDetectors", &[GuardDutyRegion::KIND], &e);
            ctx.done();
            return found;
        }
    };
    // A region has at most one detector.
    let data = match detectors.first() {
        None => GuardDutyRegion { detector_id: None, status: None },
        Some(d) => match client.get_detector().detector_id(d).send().await {
            Ok(out) => {
                GuardDutyRegion { detector_id: Some(d.clone()), status: out.status().map(|s| s.as_str().to_string()) }
            }
            Err(e) => {
                found.fail(ctx, &region, "guardduty:GetDetector", &[GuardDutyRegion::KIND], &e);
                ctx.done();
                return found;
            }
        },
    };
    found.add(ctx, &region, id, "guardduty:ListDetectors+GetDetector", &data);
    ctx.done();
    found
}
