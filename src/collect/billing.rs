//! Spend monitoring (global, read in us-east-1 where billing data lives):
//! Cost Anomaly Detection monitors with their subscriptions, and CloudWatch
//! alarms on estimated charges.

use super::{Ctx, Found};
use crate::snapshot::GLOBAL;
use crate::snapshot::kinds::{AnomalyMonitor, BillingAlarm, ResourceData};

pub(crate) async fn collect(ctx: &Ctx) -> Found {
    let (mut found, alarms) = futures::join!(anomaly_monitors(ctx), billing_alarms(ctx));
    found.extend(alarms);
    ctx.done();
    found
}

async fn anomaly_monitors(ctx: &Ctx) -> Found {
    const OP: &str = "ce:GetAnomalyMonitors";
    let mut found = Found::default();
    let client = aws_sdk_costexplorer::Client::new(&ctx.in_region("us-east-1"));
    let (monitors, subscriptions) =
        futures::join!(client.get_anomaly_monitors().send(), client.get_anomaly_subscriptions().send());
    let subscriptions = match subscriptions {
        Ok(out) => out.anomaly_subscriptions().to_vec(),
        Err(e) => {
            found.fail(ctx, GLOBAL, "ce:GetAnomalySubscriptions", &[AnomalyMonitor::KIND], &e);
            return found;
        }
    };
    match monitors {
        Ok(out) => {
            for m in out.anomaly_monitors() {
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
                found.add(ctx, GLOBAL, data.arn.clone(), "ce:GetAnomalyMonitors+GetAnomalySubscriptions", &data);
            }
        }
        Err(e) => found.fail(ctx, GLOBAL, OP, &[AnomalyMonitor::KIND], &e),
    }
    found
}

async fn billing_alarms(ctx: &Ctx) -> Found {
    const OP: &str = "cloudwatch:DescribeAlarms";
    let mut found = Found::default();
    let client = aws_sdk_cloudwatch::Client::new(&ctx.in_region("us-east-1"));
    match client.describe_alarms().into_paginator().send().collect::<Result<Vec<_>, _>>().await {
        Ok(pages) => {
            let billing = pages
                .iter()
                .flat_map(|p| p.metric_alarms())
                .filter(|a| a.namespace() == Some("AWS/Billing") && a.metric_name() == Some("EstimatedCharges"));
            for a in billing {
                let data = BillingAlarm {
                    name: a.alarm_name().unwrap_or_default().to_string(),
                    state: a.state_value().map(|s| s.as_str().to_string()),
                    threshold: a.threshold(),
                    actions: a.alarm_actions().len() as i64,
                };
                let id = a.alarm_arn().map(String::from).unwrap_or_else(|| data.name.clone());
                found.add(ctx, GLOBAL, id, OP, &data);
            }
        }
        Err(e) => found.fail(ctx, GLOBAL, OP, &[BillingAlarm::KIND], &e),
    }
    found
}
