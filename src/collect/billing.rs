//! Spend monitoring (global, read in the home region where billing data lives):
//! Cost Anomaly Detection monitors with their subscriptions, and CloudWatch
//! alarms on estimated charges.

use super::{Ctx, Found, wanted};
use crate::snapshot::GLOBAL;
use crate::snapshot::kinds::{AnomalyMonitor, BillingAlarm, ResourceData};

pub(crate) async fn collect(ctx: &Ctx, region: String) -> Found {
    let (a, b) = futures::join!(
        wanted(ctx, AnomalyMonitor::KIND, anomaly_monitors(ctx, &region)),
        wanted(ctx, BillingAlarm::KIND, billing_alarms(ctx, &region))
    );
    [a, b].into_iter().collect()
}

async fn anomaly_monitors(ctx: &Ctx, region: &str) -> Found {
    let client = ctx.client::<aws_sdk_costexplorer::Client>(region);
    let (monitors, subscriptions) = futures::join!(
        client.get_anomaly_monitors().into_paginator().items().send().collect::<Result<Vec<_>, _>>(),
        client.get_anomaly_subscriptions().into_paginator().items().send().collect::<Result<Vec<_>, _>>()
    );
    let subscriptions = match subscriptions {
        Ok(list) => list,
        Err(e) => return Found::failed(ctx, GLOBAL, "ce:GetAnomalySubscriptions", &[AnomalyMonitor::KIND], &e),
    };
    let op = ("ce:GetAnomalyMonitors", "ce:GetAnomalyMonitors+GetAnomalySubscriptions");
    Found::each(ctx, GLOBAL, op, monitors, |m| {
        let arn = m.monitor_arn().unwrap_or_default().to_string();
        let data = AnomalyMonitor {
            name: m.monitor_name().to_string(),
            monitor_type: m.monitor_type().as_str().to_string(),
            subscriptions: subscriptions
                .iter()
                .filter(|s| s.monitor_arn_list().contains(&arn) && !s.subscribers().is_empty())
                .count() as i64,
            arn,
        };
        (data.arn.clone(), data)
    })
}

async fn billing_alarms(ctx: &Ctx, region: &str) -> Found {
    let client = ctx.client::<aws_sdk_cloudwatch::Client>(region);
    let pages = client.describe_alarms().into_paginator().send().collect::<Result<Vec<_>, _>>().await;
    let billing = pages.map(|p| {
        p.into_iter()
            .flat_map(|p| p.metric_alarms.unwrap_or_default())
            .filter(|a| a.namespace() == Some("AWS/Billing") && a.metric_name() == Some("EstimatedCharges"))
    });
    Found::each(ctx, GLOBAL, "cloudwatch:DescribeAlarms", billing, |a| {
        let data = BillingAlarm {
            name: a.alarm_name().unwrap_or_default().to_string(),
            state: a.state_value().map(|s| s.as_str().to_string()),
            threshold: a.threshold(),
            actions: a.alarm_actions().len() as i64,
        };
        (a.alarm_arn().map(String::from).unwrap_or_else(|| data.name.clone()), data)
    })
}
