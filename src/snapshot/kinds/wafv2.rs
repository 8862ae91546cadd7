//! WAF web ACLs.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct WebAcl {
    pub name: String,
    pub arn: String,
    /// `REGIONAL` or `CLOUDFRONT`.
    pub scope: String,
    pub rules: i64,
}
kind!(WebAcl, "wafv2.web_acl", "web ACL");
