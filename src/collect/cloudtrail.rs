//! CloudTrail, per region: every trail the region lists, shadow copies of
//! multi-Region and organization trails included, each read once, in its
//! home region.

use std::collections::BTreeMap;

use aws_sdk_cloudtrail::Client;
use aws_sdk_cloudtrail::types::AdvancedEventSelector;
use serde_json::json;

use super::{Ctx, Found, time};
// A denied GetTrailStatus marks only the controls that need logging status.
use crate::snapshot::kinds::{
    EventSelector, ResourceData, TRAIL_SELECTORS as SELECTORS, TRAIL_STATUS as STATUS, Trail,
};

pub(crate) async fn collect(ctx: &Ctx, region: String) -> Found {
    let client = ctx.client::<Client>(&region);
    // Shadow trails are how a member account sees its organization's trail
    // and how another region sees a multi-Region trail: without them a
    // Control Tower member account has no trail at all.
    let trails = client.describe_trails().include_shadow_trails(true).send().await;
    let trails = trails.map(|out| {
        // One trail per ARN, read by one region only: its home region when
        // the run reads that region, else the run's first region, so a trail
        // homed outside `--regions` is still found, and found once.
        let mut unique = BTreeMap::new();
        for t in out.trail_list.unwrap_or_default() {
            let home = t.home_region().unwrap_or(&region);
            let reads_here = home == region
                || (!ctx.regions.iter().any(|r| r == home) && ctx.first_region() == Some(region.as_str()));
            if reads_here {
                unique.entry(t.trail_arn().unwrap_or_default().to_string()).or_insert(t);
            }
        }
        unique.into_values()
    });
    let kinds = [Trail::KIND, STATUS, SELECTORS];
    Found::each_read(ctx, &region, "cloudtrail:DescribeTrails", &kinds, trails, 8, |t| {
        let region = &region;
        async move {
            let mut found = Found::default();
            let arn = t.trail_arn().unwrap_or_default().to_string();
            let home = t.home_region().unwrap_or(region).to_string();
            // Status and selectors answer only in the trail's home region.
            let client = ctx.client::<Client>(&home);
            let mut trail = Trail {
                name: t.name().unwrap_or_default().to_string(),
                arn: arn.clone(),
                home_region: home.clone(),
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
                excluded_management_event_sources: None,
            };
            // Each only if the run reads it.
            let (status, selectors) = futures::join!(
                async {
                    if ctx.wants(STATUS) { Some(client.get_trail_status().name(&arn).send().await) } else { None }
                },
                async {
                    if ctx.wants(SELECTORS) {
                        Some(client.get_event_selectors().trail_name(&arn).send().await)
                    } else {
                        None
                    }
                }
            );
            match status {
                None => {}
                Some(Ok(s)) => {
                    trail.is_logging = s.is_logging();
                    trail.latest_delivery_time = time(s.latest_delivery_time());
                    trail.latest_delivery_error = s.latest_delivery_error().map(String::from);
                }
                Some(Err(e)) => found.fail_about(ctx, &home, "cloudtrail:GetTrailStatus", &[STATUS], &arn, &e),
            }
            match selectors {
                None => {}
                Some(Ok(s)) => {
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
                    trail.excluded_management_event_sources =
                        Some(excluded_sources(&trail.event_selectors, s.advanced_event_selectors()));
                }
                Some(Err(e)) => found.fail_about(ctx, &home, "cloudtrail:GetEventSelectors", &[SELECTORS], &arn, &e),
            }
            let operation = match (ctx.wants(STATUS), ctx.wants(SELECTORS)) {
                (true, true) => "cloudtrail:DescribeTrails+GetTrailStatus+GetEventSelectors",
                (true, false) => "cloudtrail:DescribeTrails+GetTrailStatus",
                (false, true) => "cloudtrail:DescribeTrails+GetEventSelectors",
                (false, false) => "cloudtrail:DescribeTrails",
            };
            found.add(ctx, &home, arn, operation, &trail);
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

/// The event sources a trail's management-event selectors leave out:
/// `ExcludeManagementEventSources` of basic selectors, and `eventSource`
/// conditions other than `Equals` of advanced ones (`NotEquals
/// kms.amazonaws.com`). Empty when some selector records every management
/// event, read and write, from every source, since selectors add up.
fn excluded_sources(basic: &[EventSelector], advanced: &[AdvancedEventSelector]) -> Vec<String> {
    let mut excluded = std::collections::BTreeSet::new();
    let mut complete = false;
    for s in basic.iter().filter(|s| s.include_management_events) {
        if s.exclude_management_event_sources.is_empty() {
            complete |= s.read_write_type == "All";
        }
        excluded.extend(s.exclude_management_event_sources.iter().cloned());
    }
    for s in advanced {
        let fields = s.field_selectors();
        let management =
            fields.iter().any(|f| f.field() == "eventCategory" && f.equals().iter().any(|v| v == "Management"));
        if !management {
            continue;
        }
        let mut restricted = false;
        for f in fields.iter().filter(|f| f.field() == "eventSource") {
            restricted = true;
            let conditions = [
                ("NotEquals", f.not_equals()),
                ("NotStartsWith", f.not_starts_with()),
                ("NotEndsWith", f.not_ends_with()),
                ("StartsWith", f.starts_with()),
                ("EndsWith", f.ends_with()),
            ];
            for (op, values) in conditions {
                excluded.extend(values.iter().map(|v| format!("eventSource {op} {v}")));
            }
            if !f.equals().is_empty() {
                excluded.insert(format!("every eventSource but {}", f.equals().join(", ")));
            }
        }
        let all_read_write = !fields.iter().any(|f| f.field() == "readOnly");
        complete |= !restricted && all_read_write;
    }
    if complete { Vec::new() } else { excluded.into_iter().collect() }
}

#[cfg(test)]
mod tests {
    use aws_sdk_cloudtrail::types::AdvancedFieldSelector;

    use super::*;

    fn basic(read_write: &str, excluded: &[&str]) -> EventSelector {
        EventSelector {
            read_write_type: read_write.into(),
            include_management_events: true,
            exclude_management_event_sources: excluded.iter().map(|s| s.to_string()).collect(),
            data_resources: 0,
        }
    }

    fn advanced(source: Option<AdvancedFieldSelector>) -> AdvancedEventSelector {
        let category = AdvancedFieldSelector::builder().field("eventCategory").equals("Management").build().unwrap();
        let mut b = AdvancedEventSelector::builder().field_selectors(category);
        if let Some(s) = source {
            b = b.field_selectors(s);
        }
        b.build().unwrap()
    }

    /// CloudTrail.1 reads this list: before, a selector excluding KMS
    /// events still read as "all management events" (a false pass).
    #[test]
    fn excluded_sources_come_from_either_selector_style() {
        assert_eq!(excluded_sources(&[basic("All", &["kms.amazonaws.com"])], &[]), ["kms.amazonaws.com"]);
        let not_kms =
            AdvancedFieldSelector::builder().field("eventSource").not_equals("kms.amazonaws.com").build().unwrap();
        assert_eq!(
            excluded_sources(&[], &[advanced(Some(not_kms.clone()))]),
            ["eventSource NotEquals kms.amazonaws.com"]
        );
        let only_s3 = AdvancedFieldSelector::builder().field("eventSource").equals("s3.amazonaws.com").build().unwrap();
        assert_eq!(excluded_sources(&[], &[advanced(Some(only_s3))]), ["every eventSource but s3.amazonaws.com"]);
        // Selectors add up: one that records everything covers the rest.
        assert!(excluded_sources(&[basic("All", &[]), basic("All", &["kms.amazonaws.com"])], &[]).is_empty());
        assert!(excluded_sources(&[], &[advanced(None), advanced(Some(not_kms))]).is_empty());
        assert!(excluded_sources(&[basic("All", &[])], &[]).is_empty());
    }
}
