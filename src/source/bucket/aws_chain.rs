//! AWS sign-in through the AWS SDK's own providers, in the SDK's order:
//! environment keys; the `AWS_PROFILE` (or `default`) profile of
//! `~/.aws/config` and `~/.aws/credentials` with static keys,
//! `credential_process`, IAM Identity Center (`sso_session` or legacy
//! `sso_*` keys, read from the token `aws sso login` cached under
//! `~/.aws/sso/cache`) or an assumed role (`role_arn` with `source_profile`
//! or `credential_source`); web identity (`AWS_WEB_IDENTITY_TOKEN_FILE`);
//! container credentials (`AWS_CONTAINER_CREDENTIALS_*_URI`); EC2 instance
//! metadata.
//!
//! The chain is wrapped as object_store's credential provider behind a cache
//! of its own, so temporary credentials are fetched again as they near
//! their expiry during a long scan, by one caller at a time. Nothing here
//! goes to the network until the first request asks for credentials; the
//! instance metadata service gets one attempt of about a second, so a laptop
//! without credentials hears so at once.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use aws_config::ecs::EcsCredentialsProvider;
use aws_config::environment::credentials::EnvironmentVariableCredentialsProvider;
use aws_config::environment::region::EnvironmentVariableRegionProvider;
use aws_config::imds;
use aws_config::imds::credentials::ImdsCredentialsProvider;
use aws_config::imds::region::ImdsRegionProvider;
use aws_config::meta::credentials::CredentialsProviderChain;
use aws_config::meta::region::RegionProviderChain;
use aws_config::profile::{ProfileFileCredentialsProvider, ProfileFileRegionProvider};
use aws_config::provider_config::ProviderConfig;
use aws_config::web_identity_token::WebIdentityTokenCredentialsProvider;
use aws_credential_types::provider::error::CredentialsError;
use aws_credential_types::provider::ProvideCredentials;
use aws_smithy_http_client::tls;
use aws_types::os_shim_internal::{Env, Fs};
use aws_types::region::Region;
use object_store::aws::AwsCredential;
use object_store::CredentialProvider;

/// One attempt, about a second: long enough for a real instance, whose
/// metadata service answers in milliseconds, short enough for a laptop.
const METADATA_WAIT: Duration = Duration::from_secs(1);

/// Loading through assume-role or SSO makes network calls of its own, each
/// with the SDK's retries; past this the sign-in is taken as hung.
const LOAD_TIMEOUT: Duration = Duration::from_secs(30);

/// Temporary credentials are renewed this long before they expire, or at
/// half their lifetime when that is shorter.
const RENEW_AHEAD: Duration = Duration::from_secs(300);

/// The keys by which a profile names its own credentials.
const SIGN_IN_KEYS: [&str; 7] = [
    "aws_access_key_id",
    "credential_process",
    "sso_session",
    "sso_start_url",
    "role_arn",
    "source_profile",
    "credential_source",
];

/// What the shared configuration and the environment say about AWS.
pub(super) struct AwsSignIn {
    /// The region for requests: `AWS_REGION`, `AWS_DEFAULT_REGION`, the
    /// profile's `region`, the instance's region, or `None`.
    pub region: Option<String>,
    /// The profile's `endpoint_url`, unless `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS`.
    pub endpoint: Option<String>,
    /// The source that should answer, for error messages: `profile NAME`,
    /// `AWS_WEB_IDENTITY_TOKEN_FILE`, `container credentials`, or `None`.
    pub via: Option<String>,
    pub credentials: Arc<SdkCredentials>,
}

fn env(key: &str) -> Option<String> {
    std::env::var(key).ok().filter(|v| !v.is_empty())
}

fn is_true(key: &str) -> bool {
    env(key).is_some_and(|v| v.eq_ignore_ascii_case("true"))
}

/// Reads the shared configuration and builds the SDK's default chain.
pub(super) async fn sign_in() -> Result<AwsSignIn, String> {
    let profile = env("AWS_PROFILE");
    let profiles = aws_config::profile::load(&Fs::real(), &Env::real(), &Default::default(), None)
        .await
        .map_err(|e| format!("AWS shared config: {}", super::errors::one_line(&e)))?;
    if let Some(name) = &profile {
        if profiles.get_profile(name).is_none() {
            return Err(format!(
                "AWS_PROFILE {name}: no such profile in ~/.aws/config or ~/.aws/credentials"
            ));
        }
    }
    let endpoint = (!is_true("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"))
        .then(|| {
            profiles
                .get_profile(profiles.selected_profile())
                .and_then(|p| p.get("endpoint_url"))
                .map(str::to_string)
        })
        .flatten();

    // A profile that only sets a region leaves sign-in to what follows it.
    let signs_in = profiles
        .get_profile(profiles.selected_profile())
        .is_some_and(|p| SIGN_IN_KEYS.iter().any(|k| p.get(k).is_some()));
    let via = if let Some(name) = profile {
        Some(format!("profile {name}"))
    } else if env("AWS_ACCESS_KEY_ID").is_some() {
        None
    } else if signs_in {
        Some(format!("profile {}", profiles.selected_profile()))
    } else if env("AWS_WEB_IDENTITY_TOKEN_FILE").is_some() {
        Some("AWS_WEB_IDENTITY_TOKEN_FILE".into())
    } else if env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI").is_some()
        || env("AWS_CONTAINER_CREDENTIALS_FULL_URI").is_some()
    {
        Some("container credentials".into())
    } else {
        None
    };

    let http = aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(
            tls::rustls_provider::CryptoMode::Ring,
        ))
        .build_https();
    let conf = ProviderConfig::without_region().with_http_client(http);
    let metadata = imds::Client::builder()
        .configure(&conf)
        .max_attempts(1)
        .connect_timeout(METADATA_WAIT)
        .read_timeout(METADATA_WAIT)
        .operation_timeout(METADATA_WAIT * 2)
        .build();
    let shared = RegionProviderChain::first_try(EnvironmentVariableRegionProvider::new())
        .or_else(
            ProfileFileRegionProvider::builder()
                .configure(&conf)
                .build(),
        )
        .region()
        .await;
    // Without a region from the environment or the profile, the instance's
    // region is asked for; when that goes unanswered, no instance metadata
    // service is there to ask for credentials either, and it is not asked
    // a second time.
    let (region, metadata_answers) = match shared {
        Some(region) => (Some(region), true),
        None => {
            let region = ImdsRegionProvider::builder()
                .configure(&conf)
                .imds_client(metadata.clone())
                .build()
                .region()
                .await;
            let answered = region.is_some();
            (region, answered)
        }
    };
    // STS wants a region to sign with; the AWS CLI falls back to us-east-1,
    // as the S3 client here does.
    let signing = region.clone().unwrap_or(Region::from_static("us-east-1"));
    let conf = conf.with_region(Some(signing));
    // The order of the SDK's DefaultCredentialsChain.
    let mut chain = CredentialsProviderChain::first_try(
        "Environment",
        EnvironmentVariableCredentialsProvider::new(),
    )
    .or_else(
        "Profile",
        ProfileFileCredentialsProvider::builder()
            .configure(&conf)
            .build(),
    )
    .or_else(
        "WebIdentityToken",
        WebIdentityTokenCredentialsProvider::builder()
            .configure(&conf)
            .build(),
    )
    .or_else(
        "EcsContainer",
        EcsCredentialsProvider::builder().configure(&conf).build(),
    );
    if metadata_answers {
        chain = chain.or_else(
            "Ec2InstanceMetadata",
            ImdsCredentialsProvider::builder()
                .configure(&conf)
                .imds_client(metadata)
                .build(),
        );
    }
    Ok(AwsSignIn {
        region: region.map(|r| r.to_string()),
        endpoint,
        via,
        credentials: Arc::new(SdkCredentials {
            chain,
            held: tokio::sync::Mutex::new(None),
        }),
    })
}

/// The SDK's chain as object_store's credential provider, with a cache.
pub(super) struct SdkCredentials {
    chain: CredentialsProviderChain,
    held: tokio::sync::Mutex<Option<Held>>,
}

impl fmt::Debug for SdkCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SdkCredentials")
    }
}

struct Held {
    credential: Arc<AwsCredential>,
    expires: Option<SystemTime>,
    renew_at: Option<SystemTime>,
}

/// When to fetch again: `RENEW_AHEAD` before expiry, or halfway through a
/// shorter lifetime (a `credential_process` may hand out minutes).
fn renew_at(fetched: SystemTime, expires: Option<SystemTime>) -> Option<SystemTime> {
    let expires = expires?;
    let lifetime = expires.duration_since(fetched).unwrap_or_default();
    Some(expires - RENEW_AHEAD.min(lifetime / 2))
}

impl SdkCredentials {
    /// Cached credentials, or freshly loaded ones once the cached are due
    /// for renewal. A failed renewal keeps credentials that still hold.
    pub(super) async fn fetch(&self) -> Result<Arc<AwsCredential>, CredentialsError> {
        let mut held = self.held.lock().await;
        let now = SystemTime::now();
        if let Some(h) = held.as_ref() {
            if h.renew_at.is_none_or(|at| now < at) {
                return Ok(Arc::clone(&h.credential));
            }
        }
        let loaded =
            match tokio::time::timeout(LOAD_TIMEOUT, self.chain.provide_credentials()).await {
                Ok(loaded) => loaded,
                Err(_) => Err(CredentialsError::provider_timed_out(LOAD_TIMEOUT)),
            };
        match loaded {
            Ok(c) => {
                let credential = Arc::new(AwsCredential {
                    key_id: c.access_key_id().to_string(),
                    secret_key: c.secret_access_key().to_string(),
                    token: c.session_token().map(str::to_string),
                });
                let expires = c.expiry();
                *held = Some(Held {
                    credential: Arc::clone(&credential),
                    expires,
                    renew_at: renew_at(now, expires),
                });
                Ok(credential)
            }
            Err(e) => match held.as_ref() {
                Some(h) if h.expires.is_some_and(|at| now < at) => Ok(Arc::clone(&h.credential)),
                _ => Err(e),
            },
        }
    }
}

/// A sign-in failure during the scan, as object_store carries it.
#[derive(Debug)]
pub(super) struct SignInFailed(pub String);

impl fmt::Display for SignInFailed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AWS sign-in failed: {}", self.0)
    }
}

impl std::error::Error for SignInFailed {}

#[async_trait::async_trait]
impl CredentialProvider for SdkCredentials {
    type Credential = AwsCredential;

    async fn get_credential(&self) -> object_store::Result<Arc<AwsCredential>> {
        self.fetch()
            .await
            .map_err(|e| object_store::Error::Generic {
                store: "S3",
                source: Box::new(SignInFailed(super::errors::one_line(&e))),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renewal_comes_before_expiry_and_never_for_static_keys() {
        let t = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        assert_eq!(renew_at(t, None), None);
        let hour = t + Duration::from_secs(3600);
        assert_eq!(renew_at(t, Some(hour)), Some(hour - RENEW_AHEAD));
        let short = t + Duration::from_secs(4);
        assert_eq!(renew_at(t, Some(short)), Some(t + Duration::from_secs(2)));
        // Already expired when fetched: renew at once.
        assert_eq!(renew_at(hour, Some(t)), Some(t));
    }
}
