//! Client builders from each provider's usual sign-in, and which source of
//! credentials each one ended up with, so that a failure can name it.
//!
//! - AWS: the SDK's default chain (see `aws_chain`).
//! - Google: `GOOGLE_SERVICE_ACCOUNT` (or `SERVICE_ACCOUNT`) key file,
//!   `GOOGLE_SERVICE_ACCOUNT_KEY` JSON, `GOOGLE_APPLICATION_CREDENTIALS`
//!   (service-account or authorized-user JSON), the gcloud
//!   `application_default_credentials.json` (`gcloud auth
//!   application-default login`), `GOOGLE_BEARER_TOKEN`, then the metadata
//!   server of GCE, GKE and Cloud Run; `STORAGE_EMULATOR_HOST` for emulators.
//! - Azure: `AZURE_STORAGE_CONNECTION_STRING`, or `AZURE_STORAGE_ACCOUNT_NAME`
//!   with an account key, a SAS token, a bearer token, a client secret,
//!   workload identity (`AZURE_FEDERATED_TOKEN_FILE`), then managed identity
//!   and, failing that, the Azure CLI (`az login`), as `DefaultAzureCredential`
//!   tries them.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use object_store::aws::AmazonS3Builder;
use object_store::azure::{AzureConfigKey, MicrosoftAzureBuilder};
use object_store::gcp::GoogleCloudStorageBuilder;
use object_store::ClientOptions;

use super::aws_chain::{self, SdkCredentials};
use super::errors::fit;
use super::{BucketUrl, RemoteOptions};

fn env(key: &str) -> Option<String> {
    std::env::var(key).ok().filter(|v| !v.is_empty())
}

fn is_true(key: &str) -> bool {
    env(key).is_some_and(|v| v.eq_ignore_ascii_case("true") || v == "1")
}

/// An S3 client about to be built, and what signs its requests.
pub(super) struct S3Setup {
    pub builder: AmazonS3Builder,
    /// `None` when requests go unsigned (`AWS_SKIP_SIGNATURE`).
    pub credentials: Option<Arc<SdkCredentials>>,
    /// The source of credentials to name when they fail.
    pub via: Option<String>,
    /// Where anonymous requests for this bucket go (the exposure probe):
    /// the endpoint, or the region's S3 host.
    pub base: String,
    pub region: String,
}

/// An endpoint requests can be sent to, checked before a store is built
/// on it: the store's client takes a URL it cannot parse for a bug of its
/// own and panics. `url` says what is wrong (a port past 65,535, no host);
/// `http::Uri` is the parser the client itself uses.
fn checked_endpoint(source: &str, endpoint: &str) -> Result<(), String> {
    let fault = |why: String| format!("{source} {endpoint:?}: {why}");
    let url = reqwest::Url::parse(endpoint).map_err(|e| fault(format!("not a URL ({e})")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(fault("expected an http:// or https:// URL".into()));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(fault("names no host".into()));
    }
    endpoint
        .parse::<http::Uri>()
        .map_err(|e| fault(format!("not a URL ({e})")))?;
    Ok(())
}

pub(super) fn s3_builder(
    url: &BucketUrl,
    opts: &RemoteOptions,
    runtime: &tokio::runtime::Runtime,
) -> Result<S3Setup, String> {
    let mut b = AmazonS3Builder::from_env().with_bucket_name(&url.bucket);
    let sign_in = runtime
        .block_on(aws_chain::sign_in())
        .map_err(|e| fit(&url.to_string(), &e))?;
    let configured = !is_true("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
    let endpoint = match &opts.endpoint {
        Some(e) => Some(("--endpoint", e.clone())),
        None if configured => env("AWS_ENDPOINT_URL_S3")
            .map(|e| ("AWS_ENDPOINT_URL_S3", e))
            .or_else(|| env("AWS_ENDPOINT_URL").map(|e| ("AWS_ENDPOINT_URL", e)))
            .or_else(|| {
                let e = sign_in.endpoint.clone()?;
                Some(("endpoint_url of the AWS config", e))
            }),
        None => None,
    };
    if let Some((source, endpoint)) = &endpoint {
        checked_endpoint(source, endpoint)?;
    }
    let endpoint = endpoint.map(|(_, e)| e);
    if let Some(endpoint) = &endpoint {
        b = b
            .with_endpoint(endpoint)
            .with_allow_http(endpoint.starts_with("http://"))
            .with_virtual_hosted_style_request(false);
    }
    let region = sign_in.region.as_deref().unwrap_or("us-east-1");
    b = b.with_region(region);
    let base = endpoint
        .clone()
        .unwrap_or_else(|| format!("https://s3.{region}.amazonaws.com"));
    // Public buckets are read unsigned, with no credentials to find.
    let credentials = if is_true("AWS_SKIP_SIGNATURE") {
        None
    } else {
        b = b.with_credentials(sign_in.credentials.clone());
        Some(sign_in.credentials)
    };
    Ok(S3Setup {
        builder: b,
        credentials,
        via: sign_in.via,
        base,
        region: region.to_string(),
    })
}

/// Where a Google client's credentials come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum GoogleSource {
    /// `STORAGE_EMULATOR_HOST`: no credentials at all.
    Emulator,
    /// Named by this variable (a key file, a key, a token).
    Variable(&'static str),
    /// gcloud's application-default credentials file.
    Gcloud(PathBuf),
    /// Nothing configured: the metadata server of a Google Cloud machine.
    MetadataServer,
}

/// gcloud's `application_default_credentials.json`, under `CLOUDSDK_CONFIG`
/// when gcloud was told to keep its configuration there.
fn gcloud_adc() -> Option<PathBuf> {
    let dir = env("CLOUDSDK_CONFIG")
        .map(PathBuf::from)
        .or_else(|| env("HOME").map(|h| Path::new(&h).join(".config/gcloud")))?;
    Some(dir.join("application_default_credentials.json")).filter(|p| p.is_file())
}

pub(super) fn gcs_builder(
    url: &BucketUrl,
) -> Result<(GoogleCloudStorageBuilder, GoogleSource), String> {
    let mut b = GoogleCloudStorageBuilder::from_env().with_bucket_name(&url.bucket);
    // The convention of Google's own client libraries for emulators.
    if let Some(host) = env("STORAGE_EMULATOR_HOST") {
        let base = if host.contains("://") {
            host
        } else {
            format!("http://{host}")
        };
        checked_endpoint("STORAGE_EMULATOR_HOST", &base)?;
        let account = serde_json::json!({
            "gcs_base_url": base.trim_end_matches('/'),
            "disable_oauth": true,
            "client_email": "",
            "private_key": "",
            "private_key_id": "",
        });
        b = GoogleCloudStorageBuilder::new()
            .with_bucket_name(&url.bucket)
            .with_service_account_key(account.to_string())
            .with_client_options(ClientOptions::new().with_allow_http(true));
        return Ok((b, GoogleSource::Emulator));
    }
    // object_store's order of precedence.
    let named = [
        "GOOGLE_BEARER_TOKEN",
        "GOOGLE_SERVICE_ACCOUNT",
        "GOOGLE_SERVICE_ACCOUNT_PATH",
        "SERVICE_ACCOUNT",
        "GOOGLE_SERVICE_ACCOUNT_KEY",
        "GOOGLE_APPLICATION_CREDENTIALS",
    ]
    .into_iter()
    .find(|k| env(k).is_some());
    let source = match (named, gcloud_adc()) {
        (Some(var), _) => GoogleSource::Variable(var),
        (None, Some(adc)) => {
            b = b.with_application_credentials(adc.to_string_lossy());
            GoogleSource::Gcloud(adc)
        }
        (None, None) => GoogleSource::MetadataServer,
    };
    Ok((b, source))
}

/// Where an Azure client's credentials come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum AzureSource {
    /// Azurite, with its well-known key unless another is given.
    Emulator,
    /// A key, SAS or token given outright.
    Given,
    /// An OAuth exchange: client secret, workload identity, Fabric.
    Exchange,
    /// `AZURE_USE_AZURE_CLI` or `AZURE_CREDENTIAL_TYPE`, as asked.
    Asked,
    /// Nothing configured: managed identity, then the Azure CLI.
    Implicit,
}

pub(super) fn azure_builder(
    url: &BucketUrl,
) -> Result<(MicrosoftAzureBuilder, AzureSource), String> {
    let mut b = MicrosoftAzureBuilder::from_env().with_container_name(&url.bucket);
    let mut given = false;
    if let Some(conn) = env("AZURE_STORAGE_CONNECTION_STRING") {
        let mut account = None;
        let mut protocol = "https".to_string();
        let mut suffix = None;
        let mut endpoint = false;
        for part in conn.split(';').filter(|p| !p.trim().is_empty()) {
            let Some((k, v)) = part.split_once('=') else {
                return Err(fit(
                    &url.to_string(),
                    "AZURE_STORAGE_CONNECTION_STRING: expected Key=Value pairs separated by ';'",
                ));
            };
            b = match k.trim() {
                "AccountName" => {
                    account = Some(v.to_string());
                    b.with_account(v)
                }
                "AccountKey" => {
                    given = true;
                    b.with_access_key(v)
                }
                "DefaultEndpointsProtocol" => {
                    protocol = v.to_string();
                    b
                }
                "EndpointSuffix" => {
                    suffix = Some(v.to_string());
                    b
                }
                "BlobEndpoint" => {
                    endpoint = true;
                    b.with_endpoint(v.trim_end_matches('/').to_string())
                        .with_allow_http(v.starts_with("http://"))
                }
                "SharedAccessSignature" => {
                    given = true;
                    let pairs: Vec<(String, String)> = v
                        .split('&')
                        .filter_map(|kv| kv.split_once('='))
                        .map(|(k, v)| (k.to_string(), v.to_string()))
                        .collect();
                    b.with_sas_authorization(pairs)
                }
                "UseDevelopmentStorage" if v.eq_ignore_ascii_case("true") => {
                    b.with_use_emulator(true)
                }
                _ => b,
            };
        }
        // Sovereign clouds name their endpoints by suffix only.
        if let (false, Some(account), Some(suffix)) = (endpoint, account, suffix) {
            b = b.with_endpoint(format!("{protocol}://{account}.blob.{suffix}"));
        }
    }
    let has = |key: AzureConfigKey| b.get_config_value(&key).is_some_and(|v| !v.is_empty());
    let source = if b
        .get_config_value(&AzureConfigKey::UseEmulator)
        .is_some_and(|v| v.eq_ignore_ascii_case("true"))
    {
        AzureSource::Emulator
    } else if given
        || has(AzureConfigKey::AccessKey)
        || has(AzureConfigKey::SasKey)
        || has(AzureConfigKey::Token)
    {
        AzureSource::Given
    } else if has(AzureConfigKey::CredentialType)
        || b.get_config_value(&AzureConfigKey::UseAzureCli)
            .is_some_and(|v| v.eq_ignore_ascii_case("true"))
    {
        AzureSource::Asked
    } else if has(AzureConfigKey::ClientId)
        && has(AzureConfigKey::AuthorityId)
        && (has(AzureConfigKey::ClientSecret) || has(AzureConfigKey::FederatedTokenFile))
        || has(AzureConfigKey::FabricTokenServiceUrl)
    {
        AzureSource::Exchange
    } else {
        AzureSource::Implicit
    };
    if source != AzureSource::Emulator && !has(AzureConfigKey::AccountName) {
        return Err(fit(
            &url.to_string(),
            "no Azure storage account — set AZURE_STORAGE_ACCOUNT_NAME, or AZURE_STORAGE_CONNECTION_STRING",
        ));
    }
    Ok((b, source))
}

/// Whether an `az` program is on `PATH`.
pub(super) fn has_azure_cli() -> bool {
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join("az").is_file()))
}
