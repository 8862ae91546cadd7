//! STS: who is collecting, and in which account.

use aws_config::SdkConfig;

use super::{CollectError, error_code};

#[derive(Clone)]
pub(crate) struct Identity {
    pub account: String,
    pub arn: String,
}

pub(crate) async fn caller_identity(config: &SdkConfig) -> Result<Identity, CollectError> {
    let out = aws_sdk_sts::Client::new(config).get_caller_identity().send().await.map_err(|e| {
        let (code, message) = error_code(&e);
        CollectError::Identity { code, message }
    })?;
    Ok(Identity {
        account: out.account().unwrap_or_default().to_string(),
        arn: out.arn().unwrap_or_default().to_string(),
    })
}
