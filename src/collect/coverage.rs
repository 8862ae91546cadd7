//! Regions an account cannot be read in, told apart from evidence errors.
//!
//! An SCP that denies a region (AWS's example "Deny access to AWS based on
//! the requested AWS Region"), or a service AWS does not offer in a region,
//! fails every call made there. Left as collection errors, they would put
//! every regional control of the account in `error` for a region nobody it
//! governs can use. They are recorded instead as the account's
//! `regions_unreadable`: stated on the cover, in results.json's region
//! coverage and in the reason of every control whose evidence they leave
//! out, as a region left out by `--regions` is.
//!
//! The rules are narrow so that a real failure stays an error:
//! - a region is *denied* only when every regional collector failed there,
//!   every failure names an explicit deny in a service control policy, and
//!   no regional resource came back from it;
//! - a service is *not offered* in a region when AWS answers so
//!   (`UnsupportedOperation`, `InvalidAction`, `UnknownOperationException`
//!   naming the region), or when its endpoint's name does not exist while
//!   another service in the same region answered (if nothing there
//!   answered, the network is the likelier cause, and it stays an error).

use std::collections::{BTreeMap, BTreeSet};

use super::registry::{self, Scope};
use crate::snapshot::{CollectionError, Resource, UnreadableRegion};

/// What AWS puts in an access-denied message when an SCP's `Deny` refused
/// the call ("with an explicit deny in a service control policy"; also
/// "due to an explicit deny in a Service Control Policy"), per IAM's
/// "Troubleshoot access denied error messages":
/// <https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html>
const SCP_DENY: &str = "explicit deny in a service control policy";

/// The resolver's "no such name" answers (glibc, macOS, Windows), as
/// opposed to a resolver that could not be reached or timed out.
const NO_SUCH_HOST: &[&str] = &["name or service not known", "nodename nor servname provided", "no such host is known"];

/// The codes AWS answers a call with when the operation or service is not
/// offered in the region: EC2's "The functionality you requested is not
/// available in this region", SNS's "Operation (…) is not supported in this
/// region", SageMaker's "not supported in the called region".
const NOT_IN_REGION: &[&str] = &["UnsupportedOperation", "InvalidAction", "UnknownOperationException"];

fn scp_denied(e: &CollectionError) -> bool {
    e.message.to_lowercase().contains(SCP_DENY)
}

/// `Some(true)` when `e` says its service has no endpoint in the region
/// (believed only if something else there answered), `Some(false)` when
/// AWS itself answered that the service is not offered there.
fn not_offered(e: &CollectionError) -> Option<bool> {
    let message = e.message.to_lowercase();
    if NOT_IN_REGION.contains(&e.code.as_str()) && message.contains("region") {
        return Some(false);
    }
    (e.code == "DispatchFailure" && NO_SUCH_HOST.iter().any(|p| message.contains(p))).then_some(true)
}

/// Take out of `errors` the failures that mean a region (or a service in
/// it) cannot be read, and return them as the account's unreadable regions.
/// `regions` are the regions the regional collectors ran in; `kinds` the
/// run's kind selection.
pub(crate) fn unreadable(
    errors: &mut Vec<CollectionError>,
    resources: &[Resource],
    regions: &[String],
    kinds: Option<&BTreeSet<String>>,
) -> Vec<UnreadableRegion> {
    let collectors: Vec<&[&str]> =
        registry::selected(kinds).filter(|c| c.scope == Scope::Regional).map(|c| c.kinds).collect();
    let regional: BTreeSet<&str> = collectors.iter().flat_map(|k| k.iter().copied()).collect();
    // Only failures of regional evidence: a global service whose API lives
    // in this region (CloudFront, billing) keeps its errors.
    let is_regional = |e: &CollectionError| e.resource_types.iter().all(|t| regional.contains(t.as_str()));
    let mut out = Vec::new();
    for region in regions {
        let here: Vec<&CollectionError> = errors.iter().filter(|e| &e.region == region && is_regional(e)).collect();
        if here.is_empty() {
            continue;
        }
        let read_something = resources.iter().any(|r| &r.region == region && regional.contains(r.kind.as_str()));
        let every_collector_failed = !collectors.is_empty()
            && collectors
                .iter()
                .all(|kinds| here.iter().any(|e| e.resource_types.iter().any(|t| kinds.contains(&t.as_str()))));
        if !read_something && every_collector_failed && here.iter().all(|e| scp_denied(e)) {
            let taken = take(errors, |e| &e.region == region && is_regional(e));
            out.push(record(region, None, taken));
            continue;
        }
        let answered = read_something || !every_collector_failed;
        let taken = take(errors, |e| {
            &e.region == region
                && is_regional(e)
                && not_offered(e).is_some_and(|needs_answer| answered || !needs_answer)
        });
        let mut by_service: BTreeMap<String, Vec<CollectionError>> = BTreeMap::new();
        for e in taken {
            let service = e.operation.split(':').next().unwrap_or_default().to_string();
            by_service.entry(service).or_default().push(e);
        }
        out.extend(by_service.into_iter().map(|(service, es)| record(region, Some(service), es)));
    }
    out
}

/// Remove and return the errors `which` picks.
fn take(errors: &mut Vec<CollectionError>, which: impl Fn(&CollectionError) -> bool) -> Vec<CollectionError> {
    let (taken, kept) = std::mem::take(errors).into_iter().partition(|e| which(e));
    *errors = kept;
    taken
}

/// One unreadable region (or service in it), stated by the first of its
/// failed calls (by operation, so the same failures always give the same
/// record) and every kind they leave out.
fn record(region: &str, service: Option<String>, mut errors: Vec<CollectionError>) -> UnreadableRegion {
    errors.sort_by(|a, b| (&a.operation, &a.code).cmp(&(&b.operation, &b.code)));
    let kinds: BTreeSet<String> = errors.iter().flat_map(|e| e.resource_types.iter().cloned()).collect();
    let first = errors.first();
    UnreadableRegion {
        region: region.to_string(),
        service,
        code: first.map(|e| e.code.clone()).unwrap_or_default(),
        message: first.map(|e| format!("{}: {}", e.operation, e.message)).unwrap_or_default(),
        resource_types: kinds.into_iter().collect(),
    }
}

#[cfg(test)]
mod tests {
    //! Whole-account collection over a scripted HTTP client: what AWS
    //! answers in each region, which moto cannot produce (it has no SCPs
    //! and offers every service everywhere).

    use std::sync::Arc;
    use std::time::Duration;

    use aws_smithy_runtime_api::client::http::{
        HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient, SharedHttpConnector,
    };
    use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
    use aws_smithy_runtime_api::client::result::ConnectorError;
    use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
    use aws_smithy_runtime_api::http::StatusCode;
    use aws_smithy_types::body::SdkBody;
    use indicatif::ProgressBar;

    use super::super::tests::mock_config;
    use super::super::{Options, collect_account, sts};
    use std::collections::BTreeMap;

    use crate::evaluate::{Catalog, ControlBody, Status, evaluate};
    use crate::snapshot::Snapshot;

    type Answer = Result<HttpResponse, ConnectorError>;

    type Script = dyn Fn(&str, &str, &str) -> Answer + Send + Sync;

    /// Answers each request from its region, service and action.
    #[derive(Clone)]
    struct Scripted(Arc<Script>);

    impl std::fmt::Debug for Scripted {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("Scripted")
        }
    }

    impl HttpConnector for Scripted {
        fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
            let scope: Vec<String> = request
                .headers()
                .get("authorization")
                .and_then(|a| a.split("Credential=").nth(1))
                .map(|c| c.split(',').next().unwrap_or_default().split('/').map(String::from).collect())
                .unwrap_or_default();
            let (region, service) =
                (scope.get(2).cloned().unwrap_or_default(), scope.get(3).cloned().unwrap_or_default());
            let body = String::from_utf8_lossy(request.body().bytes().unwrap_or_default()).to_string();
            let action = body
                .split('&')
                .find_map(|p| p.strip_prefix("Action="))
                .map(String::from)
                .unwrap_or_else(|| request.uri().to_string());
            let answer = (self.0)(&region, &service, &action);
            HttpConnectorFuture::ready(answer)
        }
    }

    impl HttpClient for Scripted {
        fn http_connector(&self, _: &HttpConnectorSettings, _: &RuntimeComponents) -> SharedHttpConnector {
            SharedHttpConnector::new(self.clone())
        }
    }

    fn reply(status: u16, body: String) -> Answer {
        Ok(HttpResponse::new(StatusCode::try_from(status).unwrap(), SdkBody::from(body)))
    }

    /// An empty, successful answer in the service's protocol; the region
    /// list for `DescribeRegions`.
    fn empty(region_list: &[&str], service: &str, action: &str) -> Answer {
        match service {
            "ec2" if action == "DescribeRegions" => {
                let items: String = region_list
                    .iter()
                    .map(|r| {
                        format!(
                            "<item><regionName>{r}</regionName><optInStatus>opt-in-not-required</optInStatus></item>"
                        )
                    })
                    .collect();
                reply(
                    200,
                    format!("<DescribeRegionsResponse><regionInfo>{items}</regionInfo></DescribeRegionsResponse>"),
                )
            }
            "ec2" => reply(200, format!("<{action}Response></{action}Response>")),
            "iam" => reply(
                200,
                format!(
                    "<{action}Response><{action}Result><AccountAliases></AccountAliases><IsTruncated>false</IsTruncated></{action}Result></{action}Response>"
                ),
            ),
            "guardduty" => reply(200, r#"{"detectorIds":[]}"#.into()),
            other => panic!("no scripted answer for {other} {action}"),
        }
    }

    async fn collect(
        options: &Options,
        answer: impl Fn(&str, &str, &str) -> Answer + Send + Sync + 'static,
    ) -> Snapshot {
        let config = mock_config().to_builder().http_client(SharedHttpClient::new(Scripted(Arc::new(answer)))).build();
        let identity = sts::Identity { account: "111122223333".into(), arn: "arn:aws:iam::111122223333:role/r".into() };
        collect_account(&config, identity, options, ProgressBar::hidden()).await
    }

    fn options(regions: &[&str], kinds: &[&str]) -> Options {
        Options {
            regions: Some(regions.iter().map(|r| r.to_string()).collect()),
            kinds: Some(kinds.iter().map(|k| k.to_string()).collect()),
            ..Options::default()
        }
    }

    /// Every kind the EC2 collector reads, so it makes all four of its calls.
    const EC2_KINDS: &[&str] = &["ec2.security_group", "ec2.network_acl", "ec2.instance", "ec2.snapshot"];

    /// An SCP denying eu-south-1 refuses every EC2 call there. Before, each
    /// refusal was an evidence error and every security-group control read
    /// `error` for a region no one under that SCP can use; now the region
    /// is recorded as not readable, the controls judge what was read and
    /// say which region they could not see.
    #[tokio::test]
    async fn a_region_an_scp_denies_is_not_readable_rather_than_an_error() {
        let denied = "You are not authorized to perform this operation. User: arn:aws:sts::111122223333:assumed-role/r/s \
                      is not authorized to perform: ec2:Describe with an explicit deny in a service control policy";
        let sent = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let seen = sent.clone();
        let snapshot = collect(&options(&["eu-south-1", "us-east-1"], EC2_KINDS), move |region, service, action| {
            if service == "ec2" {
                seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            }
            if region == "eu-south-1" {
                let body = format!(
                    "<Response><Errors><Error><Code>UnauthorizedOperation</Code><Message>{denied}</Message></Error></Errors><RequestID>1</RequestID></Response>"
                );
                return reply(403, body);
            }
            empty(&["eu-south-1", "us-east-1"], service, action)
        })
        .await;
        assert!(snapshot.errors.is_empty(), "{:#?}", snapshot.errors);
        let account = &snapshot.accounts[0];
        assert_eq!(account.regions_unreadable.len(), 1, "{:#?}", account.regions_unreadable);
        let r = &account.regions_unreadable[0];
        assert_eq!(
            (r.region.as_str(), r.service.as_deref(), r.code.as_str()),
            ("eu-south-1", None, "UnauthorizedOperation")
        );
        assert!(r.message.contains("explicit deny in a service control policy"), "{}", r.message);
        assert!(r.resource_types.contains(&"ec2.security_group".to_string()), "{:?}", r.resource_types);
        let ec2 = sent.load(std::sync::atomic::Ordering::SeqCst);
        assert!(ec2 >= 9, "DescribeRegions and four reads in each region: {ec2}");
        assert_eq!(account.calls, BTreeMap::from([("ec2".to_string(), ec2), ("iam".to_string(), 1)]));

        let catalog = Catalog::builtin();
        let results = evaluate(&snapshot, &catalog);
        let mut checked = 0;
        for c in &catalog.controls {
            let ControlBody::Check(check) = &c.body else { continue };
            if !check.needs.iter().any(|k| r.resource_types.contains(k)) {
                continue;
            }
            let result = results.get(&c.id).unwrap();
            assert_ne!(result.status, Status::Error, "{}: {}", c.id, result.reason);
            assert!(
                result.reason.contains("eu-south-1 (denied by a service control policy)"),
                "{}: {}",
                c.id,
                result.reason
            );
            checked += 1;
        }
        assert!(checked >= 3, "only {checked} controls read EC2 evidence");
        let coverage = &results.regions[0];
        assert_eq!(coverage.read, ["us-east-1"]);
        assert_eq!(coverage.unreadable.len(), 1);
    }

    /// GuardDuty has no endpoint in ap-east-2 (its name does not resolve)
    /// while EC2 answers there: GuardDuty alone is recorded as not offered
    /// in the region. In xx-dead-1 nothing answers at all, which is a
    /// network failure, not a service AWS lacks: those stay errors.
    #[tokio::test]
    async fn a_service_without_an_endpoint_in_a_region_is_not_offered_there() {
        let regions = ["ap-east-2", "us-east-1", "xx-dead-1"];
        let snapshot =
            collect(&options(&regions, &["ec2.security_group", "guardduty.region"]), move |region, service, action| {
                let no_host = || {
                    Err(ConnectorError::io(
                        "dns error: failed to lookup address information: Name or service not known".into(),
                    ))
                };
                match (region, service) {
                    ("xx-dead-1", _) | ("ap-east-2", "guardduty") => no_host(),
                    _ => empty(&regions, service, action),
                }
            })
            .await;
        let account = &snapshot.accounts[0];
        assert_eq!(account.regions_unreadable.len(), 1, "{:#?}", account.regions_unreadable);
        let r = &account.regions_unreadable[0];
        assert_eq!(
            (r.region.as_str(), r.service.as_deref(), r.code.as_str()),
            ("ap-east-2", Some("guardduty"), "DispatchFailure")
        );
        assert_eq!(r.resource_types, ["guardduty.region"]);
        assert!(snapshot.errors.iter().all(|e| e.region == "xx-dead-1"), "{:#?}", snapshot.errors);
        assert!(snapshot.errors.iter().any(|e| e.operation.starts_with("guardduty:")), "{:#?}", snapshot.errors);
        assert!(snapshot.errors.iter().any(|e| e.operation.starts_with("ec2:")), "{:#?}", snapshot.errors);
    }

    /// A request that never answers ends at `--timeout` and is recorded as
    /// the failed call, with the kinds it would have produced.
    #[tokio::test]
    async fn a_request_that_never_answers_is_recorded() {
        #[derive(Debug)]
        struct Silent;
        impl HttpConnector for Silent {
            fn call(&self, _: HttpRequest) -> HttpConnectorFuture {
                HttpConnectorFuture::new(futures::future::pending())
            }
        }
        impl HttpClient for Silent {
            fn http_connector(&self, _: &HttpConnectorSettings, _: &RuntimeComponents) -> SharedHttpConnector {
                SharedHttpConnector::new(Silent)
            }
        }
        let limits = super::super::Limits { max_concurrency: 4, timeout: Duration::from_millis(20) };
        let config = mock_config()
            .to_builder()
            .http_client(super::super::http::capped(SharedHttpClient::new(Silent), limits))
            .build();
        let ctx = super::super::Ctx::for_test(config, "111122223333");
        let regions = super::super::ec2::regions(&ctx).await;
        assert_eq!(regions.enabled(), None);
        let e = &regions.found.errors[0];
        assert_eq!(e.operation, "ec2:DescribeRegions");
        assert!(e.message.contains("no answer within"), "{}", e.message);
        assert_eq!(e.resource_types, ["ec2.region"]);
    }
}
