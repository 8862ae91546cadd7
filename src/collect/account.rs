//! Account-level settings (global): the security alternate contact, and
//! membership in an AWS Organizations organization.

use super::{Ctx, Found};
use crate::snapshot::GLOBAL;
use crate::snapshot::kinds::{OrganizationMembership, ResourceData, SecurityContact};

pub(crate) async fn collect(ctx: &Ctx) -> Found {
    let (a, b) = futures::join!(security_contact(ctx), organization(ctx));
    let mut found = a;
    found.extend(b);
    ctx.done();
    found
}

async fn security_contact(ctx: &Ctx) -> Found {
    const OP: &str = "account:GetAlternateContact";
    let mut found = Found::default();
    let id = format!("arn:aws:account::{}:account/alternate-contact/SECURITY", ctx.account());
    let client = aws_sdk_account::Client::new(ctx.global());
    match client
        .get_alternate_contact()
        .alternate_contact_type(aws_sdk_account::types::AlternateContactType::Security)
        .send()
        .await
    {
        Ok(out) => {
            let c = out.alternate_contact();
            let data = SecurityContact {
                present: c.is_some(),
                name: c.and_then(|c| c.name()).map(String::from),
                title: c.and_then(|c| c.title()).map(String::from),
            };
            found.add(ctx, GLOBAL, id, OP, &data);
        }
        // AWS answers "not found" when no security contact is set.
        Err(e) if e.as_service_error().is_some_and(|s| s.is_resource_not_found_exception()) => {
            found.add(ctx, GLOBAL, id, OP, &SecurityContact { present: false, name: None, title: None });
        }
        Err(e) => found.fail(ctx, GLOBAL, OP, &[SecurityContact::KIND], &e),
    }
    found
}

async fn organization(ctx: &Ctx) -> Found {
    const OP: &str = "organizations:DescribeOrganization";
    let mut found = Found::default();
    let id = format!("arn:aws:organizations::{}:account-membership", ctx.account());
    let client = aws_sdk_organizations::Client::new(ctx.global());
    match client.describe_organization().send().await {
        Ok(out) => {
            let o = out.organization();
            let data = OrganizationMembership {
                member: o.is_some(),
                organization_id: o.and_then(|o| o.id()).map(String::from),
                management_account_id: o.and_then(|o| o.master_account_id()).map(String::from),
            };
            found.add(ctx, GLOBAL, id, OP, &data);
        }
        Err(e) if e.as_service_error().is_some_and(|s| s.is_aws_organizations_not_in_use_exception()) => {
            let data = OrganizationMembership { member: false, organization_id: None, management_account_id: None };
            found.add(ctx, GLOBAL, id, OP, &data);
        }
        Err(e) => found.fail(ctx, GLOBAL, OP, &[OrganizationMembership::KIND], &e),
    }
    found
}
