//! CloudTrail, per region: the trails whose home is this region, with their
//! logging status and event selectors.

use aws_sdk_cloudtrail::Client;
use aws_sdk_cloudtrail::types::AdvancedEventSelector;
use serde_json::json;

use super::{Ctx, Found, time};
// A denied GetTrailStatus marks only the controls that need logging status.
use crate::snapshot::kinds::{
    EventSelector, ResourceData, TRAIL_SELECTORS as SELECTORS, TRAIL_STATUS as STATUS, Trail,
};

pub(crate) async fn collect(ctx: &Ctx, region: String) -> Found {
    let client = Client::new(&ctx.in_region(&region));
    // Shadow copies of multi-region trails would repeat them in every region;
    // each trail is read once, in its home region.
    let trails = client.describe_trails().include_shadow_trails(false).send().await;
    let trails = trails.map(|out| out.trail_list.unwrap_or_default());
    let kinds = [Trail::KIND, STATUS, SELECTORS];
    Found::each_read(ctx, &region, "cloudtrail:DescribeTrails", &kinds, trails, 8, |t| {
        let client = &client;
        let region = &region;
        async move {
            let mut found = Found::default();
            let arn = t.trail_arn().unwrap_or_default().to_string();
            let mut trail = Trail {
                name: t.name().unwrap_or_default().to_string(),
                arn: arn.clone(),
                home_region: t.home_region().unwrap_or(region).to_string(),
                multi_region: t.is_multi_region_trail().unwrap_or(false),
                organization_trail: t.is_organization_trail().unwrap_or(false),
                include_global_service_events: t.include_global_service_events().unwrap_or(false),
                s3_bucket: t.s3_bucket_name().map(String::from),
                s3_key_prefix: t.s3_key_prefix().map(String::from),
                log_file_validation: t.log_file_validation_enabled().unwrap_or(false),
                kms_key_id: t.kms_key_id().map(String::from),
                cloudwatch_logs_log_group_arn: t.cloud_watch_logs_log_group_arn().map(String::from),
                is_logging: None,
                latest_delivery_time: None,
                latest_delivery_error: None,
                event_selectors: vec![],
                advanced_event_selectors: vec![],
                management_events: None,
            };
            let (status, selectors) = futures::join!(
                client.get_trail_status().name(&arn).send(),
                client.get_event_selectors().trail_name(&arn).send()
            );
            match status {
                Ok(s) => {
                    trail.is_logging = s.is_logging();
                    trail.latest_delivery_time = time(s.latest_delivery_time());
                    trail.latest_delivery_error = s.latest_delivery_error().map(String::from);
                }
                Err(e) => found.fail(ctx, region, "cloudtrail:GetTrailStatus", &[STATUS], &e),
            }
            match selectors {
                Ok(s) => {
                    trail.event_selectors = s
                        .event_selectors()
                        .iter()
                        .map(|e| EventSelector {
                            read_write_type: e.read_write_type().map(|t| t.as_str()).unwrap_or("All").to_string(),
                            include_management_events: e.include_management_events().unwrap_or(true),
                            exclude_management_event_sources: e.exclude_management_event_sources().to_vec(),
                            data_resources: e.data_resources().len(),
                        })
                        .collect();
                    trail.advanced_event_selectors = s.advanced_event_selectors().iter().map(advanced_json).collect();
                    trail.management_events =
                        Some(management_events(&trail.event_selectors, s.advanced_event_selectors()).into());
                }
                Err(e) => found.fail(ctx, region, "cloudtrail:GetEventSelectors", &[SELECTORS], &e),
            }
            found.add(ctx, region, arn, "cloudtrail:DescribeTrails+GetTrailStatus+GetEventSelectors", &trail);
            found
        }
    })
    .await
}

fn advanced_json(s: &AdvancedEventSelector) -> serde_json::Value {
    json!({
        "name": s.name(),
        "field_selectors": s.field_selectors().iter().map(|f| json!({
            "field": f.field(),
            "equals": f.equals(),
            "not_equals": f.not_equals(),
            "starts_with": f.starts_with(),
            "not_starts_with": f.not_starts_with(),
            "ends_with": f.ends_with(),
            "not_ends_with": f.not_ends_with(),
        })).collect::<Vec<_>>(),
    })
}

/// Which management events a trail records, from either selector style.
fn management_events(basic: &[EventSelector], advanced: &[AdvancedEventSelector]) -> &'static str {
    let (mut read, mut write) = (false, false);
    for s in basic.iter().filter(|s| s.include_management_events) {
        match s.read_write_type.as_str() {
            "ReadOnly" => read = true,
            "WriteOnly" => write = true,
            _ => (read, write) = (true, true),
        }
    }
    for s in advanced {
        let field = |name: &str| s.field_selectors().iter().find(|f| f.field() == name);
        let management = field("eventCategory").is_some_and(|f| f.equals().iter().any(|v| v == "Management"));
        if !management {
            continue;
        }
        match field("readOnly").map(|f| f.equals()) {
            Some([v]) if v == "true" => read = true,
            Some([v]) if v == "false" => write = true,
            _ => (read, write) = (true, true),
        }
    }
    match (read, write) {
        (true, true) => "All",
        (true, false) => "ReadOnly",
        (false, true) => "WriteOnly",
        (false, false) => "None",
    }
}
