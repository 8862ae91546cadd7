//! The one HTTP client every AWS call of a run goes through: it caps the
//! requests in flight for the whole process, bounds each request in time,
//! and names evidence-pack in the user agent.
//!
//! The cap lives in the connector rather than in an interceptor because
//! interceptors cannot wait; and the time limit starts once a request holds
//! its permit, so that waiting behind the cap in a large organisation is
//! never mistaken for an unanswered request (the SDK's operation-attempt
//! timeout would count that wait). A request holds its permit until its
//! response starts; a body that then stalls is the SDK's stalled-stream
//! protection's to end, after the same `--timeout`, so that one setting
//! bounds both.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_smithy_http_client::proxy::ProxyConfig;
use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};
use aws_smithy_http_client::{Builder, ConnectorBuilder};
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_runtime_api::client::stalled_stream_protection::StalledStreamProtectionConfig;
use tokio::sync::Semaphore;

/// What CloudTrail shows as the caller's user agent, so that a run's calls
/// can be found there. The SDK's `AppName` cannot hold a `/`, so it is
/// added here; `User-Agent` is not part of the SigV4 signature.
pub(crate) const USER_AGENT: &str = concat!("evidence-pack/", env!("CARGO_PKG_VERSION"));

/// Limits on the AWS calls of one process.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// API requests in flight at once, over every account, service and region.
    pub max_concurrency: usize,
    /// How long one request may take once it is sent.
    pub timeout: Duration,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits { max_concurrency: 64, timeout: Duration::from_secs(30) }
    }
}

/// The SDK's default HTTPS client (rustls with aws-lc, proxy settings from
/// the environment) behind the process-wide cap.
pub(crate) fn client(limits: Limits) -> SharedHttpClient {
    let inner = Builder::new().build_with_connector_fn(|settings, components| {
        let mut conn = ConnectorBuilder::default().tls_provider(Provider::Rustls(CryptoMode::AwsLc));
        conn.set_connector_settings(settings.cloned());
        if let Some(c) = components {
            conn.set_sleep_impl(c.sleep_impl());
        }
        conn.set_proxy_config(Some(ProxyConfig::from_env()));
        conn.build()
    });
    capped(inner, limits)
}

/// A body that stops moving fails after `--timeout`, not the SDK's 20 s.
pub(crate) fn stall_protection(limits: Limits) -> StalledStreamProtectionConfig {
    StalledStreamProtectionConfig::enabled().grace_period(limits.timeout).build()
}

/// `inner` behind the cap, the per-request timeout and the user agent.
pub(crate) fn capped(inner: SharedHttpClient, limits: Limits) -> SharedHttpClient {
    SharedHttpClient::new(Capped {
        inner,
        permits: Arc::new(Semaphore::new(limits.max_concurrency.max(1))),
        timeout: limits.timeout,
    })
}

#[derive(Debug, Clone)]
struct Capped {
    inner: SharedHttpClient,
    permits: Arc<Semaphore>,
    timeout: Duration,
}

impl HttpClient for Capped {
    fn http_connector(&self, settings: &HttpConnectorSettings, components: &RuntimeComponents) -> SharedHttpConnector {
        SharedHttpConnector::new(CappedConnector {
            inner: self.inner.http_connector(settings, components),
            permits: self.permits.clone(),
            timeout: self.timeout,
        })
    }
}

#[derive(Debug)]
struct CappedConnector {
    inner: SharedHttpConnector,
    permits: Arc<Semaphore>,
    timeout: Duration,
}

impl HttpConnector for CappedConnector {
    fn call(&self, mut request: HttpRequest) -> HttpConnectorFuture {
        let agent = match request.headers().get("user-agent") {
            Some(ua) => format!("{ua} {USER_AGENT}"),
            None => USER_AGENT.to_string(),
        };
        request.headers_mut().insert("user-agent", agent);
        let (inner, permits, timeout) = (self.inner.clone(), self.permits.clone(), self.timeout);
        HttpConnectorFuture::new(async move {
            // The semaphore is never closed, so acquiring only waits.
            let _permit = permits.acquire_owned().await.map_err(|e| ConnectorError::other(e.into(), None))?;
            match tokio::time::timeout(timeout, inner.call(request)).await {
                Ok(answer) => answer,
                Err(_) => Err(ConnectorError::timeout(
                    format!("no answer within {} s (--timeout)", timeout.as_secs_f64()).into(),
                )),
            }
        })
    }
}

/// HTTP requests sent per service for one account, retries included: the
/// snapshot's record of how much a run asked of each account.
#[derive(Debug, Clone, Default)]
pub(crate) struct Calls(Arc<Mutex<BTreeMap<String, u64>>>);

impl Calls {
    pub(crate) fn counts(&self) -> BTreeMap<String, u64> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn add(&self, service: String) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()).entry(service).or_default() += 1;
    }
}

/// `config` with every request it sends counted in `calls`. Counting sits
/// in the HTTP client because that is where each attempt (a retry, a page)
/// is a request of its own, whichever SDK client made it.
pub(crate) fn counted(config: &aws_config::SdkConfig, calls: &Calls) -> aws_config::SdkConfig {
    match config.http_client() {
        Some(inner) => {
            config.to_builder().http_client(SharedHttpClient::new(Counted { inner, calls: calls.clone() })).build()
        }
        None => config.clone(),
    }
}

#[derive(Debug, Clone)]
struct Counted {
    inner: SharedHttpClient,
    calls: Calls,
}

impl HttpClient for Counted {
    fn http_connector(&self, settings: &HttpConnectorSettings, components: &RuntimeComponents) -> SharedHttpConnector {
        SharedHttpConnector::new(CountedConnector {
            inner: self.inner.http_connector(settings, components),
            calls: self.calls.clone(),
        })
    }
}

#[derive(Debug)]
struct CountedConnector {
    inner: SharedHttpConnector,
    calls: Calls,
}

impl HttpConnector for CountedConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        self.calls.add(signing_service(&request));
        self.inner.call(request)
    }
}

/// The service a request is signed for: the name before `aws4_request` in
/// its SigV4 (or SigV4a) credential scope, as CloudTrail's `eventSource`
/// and IAM's action prefixes mostly use it; "unsigned" for a request
/// without one.
pub(crate) fn signing_service(request: &HttpRequest) -> String {
    let scope = request
        .headers()
        .get("authorization")
        .and_then(|a| a.split("Credential=").nth(1))
        .and_then(|c| c.split([',', ' ']).next())
        .unwrap_or_default();
    let parts: Vec<&str> = scope.split('/').collect();
    match parts.iter().position(|p| *p == "aws4_request") {
        Some(i) if i > 0 && !parts[i - 1].is_empty() => parts[i - 1].to_string(),
        _ => "unsigned".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
    use aws_smithy_runtime_api::client::runtime_components::RuntimeComponentsBuilder;
    use aws_smithy_types::body::SdkBody;

    use super::*;

    /// Counts the requests inside it at once, and answers each only after
    /// every other task had a chance to run, so that an uncapped client
    /// would have them all inside together.
    #[derive(Debug, Default)]
    struct Gauge {
        now: AtomicUsize,
        most: AtomicUsize,
    }

    #[derive(Debug, Clone)]
    struct Counting(Arc<Gauge>);

    impl HttpConnector for Counting {
        fn call(&self, _request: HttpRequest) -> HttpConnectorFuture {
            let g = self.0.clone();
            HttpConnectorFuture::new(async move {
                let n = g.now.fetch_add(1, Ordering::SeqCst) + 1;
                g.most.fetch_max(n, Ordering::SeqCst);
                for _ in 0..10 {
                    tokio::task::yield_now().await;
                }
                g.now.fetch_sub(1, Ordering::SeqCst);
                Ok(HttpResponse::new(200.try_into().unwrap(), SdkBody::empty()))
            })
        }
    }

    impl HttpClient for Counting {
        fn http_connector(&self, _: &HttpConnectorSettings, _: &RuntimeComponents) -> SharedHttpConnector {
            SharedHttpConnector::new(self.clone())
        }
    }

    fn connector(limits: Limits) -> (SharedHttpConnector, Arc<Gauge>) {
        let gauge = Arc::new(Gauge::default());
        let client = capped(SharedHttpClient::new(Counting(gauge.clone())), limits);
        let components = RuntimeComponentsBuilder::for_tests().build().unwrap();
        (client.http_connector(&HttpConnectorSettings::default(), &components), gauge)
    }

    fn request() -> HttpRequest {
        HttpRequest::get("http://127.0.0.1/").unwrap()
    }

    /// Before, every call of every account was sent at once.
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn requests_in_flight_never_exceed_the_cap() {
        let (conn, gauge) = connector(Limits { max_concurrency: 3, timeout: Duration::from_secs(600) });
        let calls: Vec<_> = (0..40).map(|_| conn.call(request())).collect();
        for r in futures::future::join_all(calls).await {
            assert!(r.is_ok());
        }
        assert_eq!(gauge.most.load(Ordering::SeqCst), 3);
    }

    /// Before, nothing said how many calls a run made of each service.
    #[test]
    fn each_request_counts_under_the_service_it_is_signed_for() {
        let signed = |auth: &str| {
            let mut r = request();
            r.headers_mut().insert("authorization", auth.to_string());
            r
        };
        let v4 = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/eu-west-1/guardduty/aws4_request, SignedHeaders=host, Signature=00";
        let v4a =
            "AWS4-ECDSA-P256-SHA256 Credential=AKIDEXAMPLE/20260101/s3/aws4_request, SignedHeaders=host, Signature=00";
        assert_eq!(signing_service(&signed(v4)), "guardduty");
        assert_eq!(signing_service(&signed(v4a)), "s3");
        assert_eq!(signing_service(&request()), "unsigned");
        assert_eq!(signing_service(&signed("Credential=/aws4_request")), "unsigned");
        let calls = Calls::default();
        let conn = CountedConnector { inner: SharedHttpConnector::new(Counting(Arc::default())), calls: calls.clone() };
        for auth in [v4, v4, v4a] {
            drop(conn.call(signed(auth)));
        }
        assert_eq!(calls.counts(), BTreeMap::from([("guardduty".to_string(), 2), ("s3".to_string(), 1)]));
    }

    /// Before, `--timeout` bounded only the wait for an answer to begin:
    /// an answer that stopped halfway had the SDK's own 20 s, whatever the
    /// user chose. Here the server sends half a body and then nothing for
    /// 5 s; with `--timeout 1` the call fails as stalled, well before then.
    #[tokio::test]
    async fn an_answer_that_stops_arriving_ends_at_the_timeout() {
        use std::io::{Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        std::thread::spawn(move || {
            let (mut conn, _) = listener.accept().unwrap();
            let _ = conn.read(&mut [0u8; 8192]);
            let body = "<GetCallerIdentityResponse><GetCallerIdentityResult><Account>123456789012</Account>\
                        </GetCallerIdentityResult></GetCallerIdentityResponse>";
            let head = format!("HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: {}\r\n\r\n", body.len());
            let _ = conn.write_all(format!("{head}{}", &body[..40]).as_bytes());
            std::thread::sleep(Duration::from_secs(5));
            let _ = conn.write_all(&body.as_bytes()[40..]);
        });
        let limits = Limits { max_concurrency: 4, timeout: Duration::from_secs(1) };
        let config = aws_sdk_sts::Config::builder()
            .behavior_version(aws_sdk_sts::config::BehaviorVersion::latest())
            .region(aws_sdk_sts::config::Region::new("us-east-1"))
            .endpoint_url(url)
            .retry_config(aws_sdk_sts::config::retry::RetryConfig::disabled())
            .credentials_provider(aws_credential_types::Credentials::new("AKID", "SECRET", None, None, "test"))
            .http_client(client(limits))
            .stalled_stream_protection(stall_protection(limits))
            .build();
        let started = std::time::Instant::now();
        let err = aws_sdk_sts::Client::from_conf(config).get_caller_identity().send().await.unwrap_err();
        let shown = format!("{}", aws_sdk_sts::error::DisplayErrorContext(&err));
        assert!(shown.contains("ThroughputBelowMinimum") || shown.contains("minimum throughput"), "{shown}");
        assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
    }

    /// A request that never answers ends as a timeout (the limit is short
    /// only so the test is quick; nothing here races it).
    #[tokio::test]
    async fn a_request_that_never_answers_times_out() {
        #[derive(Debug)]
        struct Silent;
        impl HttpConnector for Silent {
            fn call(&self, _: HttpRequest) -> HttpConnectorFuture {
                HttpConnectorFuture::new(futures::future::pending())
            }
        }
        let conn = CappedConnector {
            inner: SharedHttpConnector::new(Silent),
            permits: Arc::new(Semaphore::new(1)),
            timeout: Duration::from_millis(20),
        };
        let err = conn.call(request()).await.unwrap_err();
        assert!(err.is_timeout(), "{err:?}");
        // The permit came back: the next request is not stuck behind it.
        assert!(conn.call(request()).await.unwrap_err().is_timeout());
    }
}
