//! Account-level settings (global): the security alternate contact, and
//! membership in an AWS Organizations organization.

use super::{Ctx, Found, or_absent, wanted};
use crate::snapshot::GLOBAL;
use crate::snapshot::kinds::{OrganizationMembership, ResourceData, SecurityContact};

pub(crate) async fn collect(ctx: &Ctx) -> Found {
    let (a, b) = futures::join!(
        wanted(ctx, SecurityContact::KIND, security_contact(ctx)),
        wanted(ctx, OrganizationMembership::KIND, organization(ctx))
    );
    [a, b].into_iter().collect()
}

async fn security_contact(ctx: &Ctx) -> Found {
    let client = ctx.global_client::<aws_sdk_account::Client>();
    let res = client
        .get_alternate_contact()
        .alternate_contact_type(aws_sdk_account::types::AlternateContactType::Security)
        .send()
        .await;
    // AWS answers "not found" when no security contact is set.
    let contact = or_absent(res, |e| e.is_resource_not_found_exception()).map(|o| o.and_then(|o| o.alternate_contact));
    Found::each(ctx, GLOBAL, "account:GetAlternateContact", contact.map(Some), |c| {
        let data = SecurityContact {
            present: c.is_some(),
            name: c.as_ref().and_then(|c| c.name()).map(String::from),
            title: c.as_ref().and_then(|c| c.title()).map(String::from),
        };
        (format!("arn:aws:account::{}:account/alternate-contact/SECURITY", ctx.account()), data)
    })
}

async fn organization(ctx: &Ctx) -> Found {
    let client = ctx.global_client::<aws_sdk_organizations::Client>();
    let res = client.describe_organization().send().await;
    let organization =
        or_absent(res, |e| e.is_aws_organizations_not_in_use_exception()).map(|o| o.and_then(|o| o.organization));
    Found::each(ctx, GLOBAL, "organizations:DescribeOrganization", organization.map(Some), |o| {
        let data = OrganizationMembership {
            member: o.is_some(),
            organization_id: o.as_ref().and_then(|o| o.id()).map(String::from),
            management_account_id: o.as_ref().and_then(|o| o.master_account_id()).map(String::from),
        };
        (format!("arn:aws:organizations::{}:account-membership", ctx.account()), data)
    })
}
