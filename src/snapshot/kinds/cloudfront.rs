//! CloudFront distributions.

use serde::{Deserialize, Serialize};

use super::text;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct S3Origin {
    pub id: String,
    pub domain: String,
    #[serde(default)]
    pub origin_access_identity: Option<String>,
    #[serde(default)]
    pub origin_access_control: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Distribution {
    pub id: String,
    pub arn: String,
    /// Origins served from S3 buckets.
    pub s3_origins: Vec<S3Origin>,
}
kind!(Distribution, "cloudfront.distribution", "CloudFront distribution", |data| text(data, "id"));
