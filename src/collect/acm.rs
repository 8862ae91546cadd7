//! ACM, per region: every certificate, whatever its key algorithm, with
//! status, validity, renewal and use.

use aws_sdk_acm::Client;
use aws_sdk_acm::types::{CertificateDetail, Filters, KeyAlgorithm};

use super::{Ctx, Found, time};
use crate::snapshot::kinds::{AcmCertificate, DomainValidation, ResourceData};

const PER_CERT: usize = 8;

pub(crate) async fn collect(ctx: &Ctx, region: String) -> Found {
    let client = ctx.client::<Client>(&region);
    // Without an explicit key type filter ListCertificates returns only
    // RSA_2048 certificates.
    let all_key_types = Filters::builder()
        .set_key_types(Some(KeyAlgorithm::values().iter().map(|v| KeyAlgorithm::from(*v)).collect()))
        .build();
    let listed = client
        .list_certificates()
        .includes(all_key_types)
        .into_paginator()
        .items()
        .send()
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<Result<Vec<_>, _>>();
    let arns = listed.map(|l| l.into_iter().filter_map(|c| c.certificate_arn));
    Found::each_read(ctx, &region, "acm:ListCertificates", &[AcmCertificate::KIND], arns, PER_CERT, |arn| {
        describe(ctx, &client, &region, arn)
    })
    .await
}

async fn describe(ctx: &Ctx, client: &Client, region: &str, arn: String) -> Found {
    const OP: &str = "acm:DescribeCertificate";
    match client.describe_certificate().certificate_arn(&arn).send().await {
        Ok(out) => match out.certificate {
            Some(c) => {
                let mut found = Found::default();
                let (id, data) = describe_one(arn, c);
                found.add(ctx, region, id, OP, &data);
                found
            }
            None => {
                let message = format!("DescribeCertificate answered without certificate details for {arn}");
                Found::incomplete(ctx, region, OP, &[AcmCertificate::KIND], message)
            }
        },
        Err(e) => Found::failed(ctx, region, OP, &[AcmCertificate::KIND], &e),
    }
}

fn describe_one(arn: String, c: CertificateDetail) -> (String, AcmCertificate) {
    let s = |v: Option<&str>| v.map(String::from);
    let data = AcmCertificate {
        arn: arn.clone(),
        domain: c.domain_name().unwrap_or_default().to_string(),
        subject_alternative_names: c.subject_alternative_names().to_vec(),
        cert_type: c.r#type().map(|t| t.as_str()).unwrap_or_default().to_string(),
        status: c.status().map(|t| t.as_str()).unwrap_or_default().to_string(),
        not_before: time(c.not_before()),
        not_after: time(c.not_after()),
        issued_at: time(c.issued_at().or(c.imported_at())),
        created_at: time(c.created_at()),
        renewal_eligibility: s(c.renewal_eligibility().map(|t| t.as_str())),
        renewal_status: s(c.renewal_summary().map(|r| r.renewal_status().as_str())),
        in_use: !c.in_use_by().is_empty(),
        in_use_by: c.in_use_by().to_vec(),
        key_algorithm: s(c.key_algorithm().map(|t| t.as_str())),
        signature_algorithm: s(c.signature_algorithm()),
        serial: s(c.serial()),
        domain_validation: c
            .domain_validation_options()
            .iter()
            .map(|d| DomainValidation {
                domain: d.domain_name().to_string(),
                status: s(d.validation_status().map(|t| t.as_str())),
                method: s(d.validation_method().map(|t| t.as_str())),
                cname_name: s(d.resource_record().map(|r| r.name())),
                cname_value: s(d.resource_record().map(|r| r.value())),
            })
            .collect(),
    };
    (arn, data)
}

/// moto always answers with the certificate, so an answer without it is mocked.
#[cfg(test)]
mod tests {
    use aws_sdk_acm::operation::describe_certificate::DescribeCertificateOutput;
    use aws_smithy_mocks::{MockResponseInterceptor, mock};

    use super::*;
    use crate::collect::tests::{assert_incomplete, ctx, mock_config};

    /// False pass before: the certificate vanished from the snapshot, and
    /// ACM.1 passed on the certificates left.
    #[tokio::test]
    async fn a_certificate_described_without_details_is_a_collection_error() {
        let rule = mock!(Client::describe_certificate).then_output(|| DescribeCertificateOutput::builder().build());
        let interceptor = MockResponseInterceptor::new().with_rule(&rule);
        let client =
            Client::from_conf(aws_sdk_acm::config::Builder::from(&mock_config()).interceptor(interceptor).build());
        let arn = "arn:aws:acm:us-east-1:111122223333:certificate/1";
        let found = describe(&ctx(), &client, "us-east-1", arn.to_string()).await;
        assert_incomplete(&found, "acm:DescribeCertificate", arn, &[AcmCertificate::KIND]);
    }
}
