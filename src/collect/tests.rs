//! How a failed call becomes a collection error's code and message, and
//! the mocked SDK config the collectors' unit tests share.

use std::time::Duration;

use aws_sdk_iam::config::{Credentials, SharedCredentialsProvider};
use aws_sdk_iam::error::ErrorMetadata;
use aws_sdk_iam::operation::get_user::GetUserError;
use aws_smithy_mocks::create_mock_http_client;
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;

use super::*;

/// SDK config for collector tests whose responses come from
/// aws-smithy-mocks (what moto cannot produce): fixed test credentials, and
/// retries that do not wait, so throttling past the retries stays quick.
pub(crate) fn mock_config() -> SdkConfig {
    SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
            "AKIDEXAMPLE",
            "not-a-secret",
            None,
            None,
            "test",
        )))
        .http_client(create_mock_http_client())
        .retry_config(RetryConfig::standard().with_max_attempts(3).with_initial_backoff(Duration::from_millis(1)))
        .build()
}

/// A collector context over [`mock_config`], as the collectors' tests use it.
pub(crate) fn ctx() -> Ctx {
    Ctx::for_test(mock_config(), "111122223333")
}

/// A call answered without the evidence it exists for left no resource and
/// exactly one `IncompleteResponse` error, naming `what` and the `kinds`
/// it would have produced.
pub(crate) fn assert_incomplete(found: &Found, operation: &str, what: &str, kinds: &[&str]) {
    assert!(found.resources.is_empty());
    assert_eq!(found.errors.len(), 1);
    let e = &found.errors[0];
    assert_eq!((e.operation.as_str(), e.code.as_str()), (operation, "IncompleteResponse"));
    assert!(e.message.contains(what), "{}", e.message);
    assert_eq!(e.resource_types, kinds);
}

type Err = SdkError<GetUserError, HttpResponse>;

fn raw(status: u16, body: &str) -> HttpResponse {
    HttpResponse::new(StatusCode::try_from(status).unwrap(), SdkBody::from(body.to_string()))
}

/// A service error as the SDK parsed it: `code` and `message` from the body.
fn service(code: Option<&str>, message: Option<&str>, raw: HttpResponse) -> Err {
    let mut meta = ErrorMetadata::builder();
    if let Some(c) = code {
        meta = meta.code(c);
    }
    if let Some(m) = message {
        meta = meta.message(m);
    }
    SdkError::service_error(GetUserError::generic(meta.build()), raw)
}

fn pair(code: &str, message: &str) -> (String, String) {
    (code.to_string(), message.to_string())
}

#[test]
fn a_service_error_gives_its_aws_code_and_message_on_one_line() {
    let denied = service(
        Some("AccessDenied"),
        Some("User: arn:aws:iam::1:user/a is not authorized\nto perform: iam:GetUser"),
        raw(403, "ignored: the SDK already parsed it"),
    );
    assert_eq!(
        error_code(&denied),
        pair("AccessDenied", "User: arn:aws:iam::1:user/a is not authorized to perform: iam:GetUser")
    );
    let silent = service(Some("NoSuchEntity"), None, raw(404, ""));
    assert_eq!(error_code(&silent), pair("NoSuchEntity", ""));
}

/// Throttling that outlasts the retries is recorded under AWS's code,
/// whether the SDK parsed the body (JSON protocols) or not (a query
/// protocol body the SDK's parser did not take).
#[test]
fn throttling_keeps_its_aws_code() {
    let parsed = service(Some("ThrottlingException"), Some("Rate exceeded"), raw(400, ""));
    assert_eq!(error_code(&parsed), pair("ThrottlingException", "Rate exceeded"));
    let body = "<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code>\
                <Message>Rate exceeded</Message></Error></ErrorResponse>";
    let unparsed = service(None, None, raw(400, body));
    assert_eq!(error_code(&unparsed), pair("Throttling", "Rate exceeded (HTTP 400)"));
}

/// A proxy or gateway answering in its own format: no `<Code>`, so the
/// HTTP status is the code and the body's start the message.
#[test]
fn an_unparseable_body_is_named_by_its_http_status() {
    let gateway = service(None, None, raw(502, "<html><body>Bad\nGateway</body></html>"));
    assert_eq!(error_code(&gateway), pair("HTTP502", "<html><body>Bad Gateway</body></html> (HTTP 502)"));

    let long = "x".repeat(500);
    let (code, message) = error_code(&service(None, None, raw(503, &long)));
    assert_eq!((code.as_str(), message), ("HTTP503", format!("{} (HTTP 503)", "x".repeat(200))));

    // A success status whose body the SDK could not read.
    let unreadable: Err = SdkError::response_error("invalid XML", raw(200, "<not-xml"));
    assert_eq!(error_code(&unreadable), pair("UnreadableResponse", "<not-xml (HTTP 200)"));
    // A non-success status the SDK could not read as a service error.
    let odd: Err = SdkError::response_error("invalid XML", raw(500, "<Error><Code>InternalFailure</Code></Error>"));
    assert_eq!(error_code(&odd), pair("InternalFailure", "<Error><Code>InternalFailure</Code></Error> (HTTP 500)"));
}

/// When AWS never answered, the failure class is the code and the SDK's
/// whole error chain, on one line, the message.
#[test]
fn a_timeout_or_a_dispatch_failure_is_named_by_its_class() {
    let checks: [(Err, &str, &str); 4] = [
        (SdkError::timeout_error("operation timed out\nafter 30s"), "TimeoutError", "operation timed out after 30s"),
        (
            SdkError::dispatch_failure(ConnectorError::timeout("connect timed out".into())),
            "DispatchFailure",
            "connect timed out",
        ),
        (
            SdkError::dispatch_failure(ConnectorError::io("dns error: no such host iam.example".into())),
            "DispatchFailure",
            "dns error: no such host iam.example",
        ),
        (SdkError::construction_failure("no region"), "ConstructionFailure", "no region"),
    ];
    for (err, want_code, cause) in checks {
        let (code, message) = error_code(&err);
        assert_eq!(code, want_code, "{message}");
        assert!(message.contains(cause), "{want_code}: {message}");
        assert!(!message.contains('\n'), "{want_code}: {message:?}");
    }
}

/// Before, every account's clients of a service shared the SDK's one retry
/// partition per service and region for the whole process, so adaptive
/// retry's rate limiter, slowed by one account's throttling, slowed every
/// other account's calls too. Each account now has its own per service
/// (and region), shared by all its clients of that service.
#[test]
fn each_account_has_its_own_retry_partition_per_service() {
    let (a, b) = (Ctx::for_test(mock_config(), "111111111111"), Ctx::for_test(mock_config(), "222222222222"));
    let ec2 = |ctx: &Ctx| ctx.client::<aws_sdk_ec2::Client>("eu-west-1").config().retry_partition().cloned().unwrap();
    assert_ne!(ec2(&a), ec2(&b));
    assert_eq!(ec2(&a), ec2(&a), "one partition per account and service, shared by its clients");
    let kms = a.client::<aws_sdk_kms::Client>("eu-west-1").config().retry_partition().cloned().unwrap();
    assert_ne!(kms, ec2(&a));
    let global = a.global_client::<aws_sdk_iam::Client>().config().retry_partition().cloned().unwrap();
    assert_eq!(global.to_string(), "iam-us-east-1-111111111111");
    // How often and how patiently to retry stays the config's own
    // (AWS_MAX_ATTEMPTS, AWS_RETRY_MODE).
    let retry = a.client::<aws_sdk_ec2::Client>("eu-west-1").config().retry_config().cloned();
    assert_eq!(retry.as_ref(), mock_config().retry_config());
}
