//! Client builders from each provider's usual credential environment.

use object_store::aws::AmazonS3Builder;
use object_store::azure::MicrosoftAzureBuilder;
use object_store::gcp::GoogleCloudStorageBuilder;
use object_store::ClientOptions;

use super::aws_profile;
use super::{BucketUrl, RemoteOptions};

fn env(key: &str) -> Option<String> {
    std::env::var(key).ok().filter(|v| !v.is_empty())
}

pub(super) fn s3_builder(url: &BucketUrl, opts: &RemoteOptions) -> Result<AmazonS3Builder, String> {
    let mut b = AmazonS3Builder::from_env().with_bucket_name(&url.bucket);
    let endpoint = opts
        .endpoint
        .clone()
        .or_else(|| env("AWS_ENDPOINT_URL_S3"))
        .or_else(|| env("AWS_ENDPOINT_URL"));
    if let Some(endpoint) = &endpoint {
        if !endpoint.starts_with("http://") && !endpoint.starts_with("https://") {
            return Err(format!(
                "--endpoint {endpoint}: expected an http:// or https:// URL"
            ));
        }
        b = b
            .with_endpoint(endpoint)
            .with_allow_http(endpoint.starts_with("http://"))
            .with_virtual_hosted_style_request(false);
    }
    if env("AWS_REGION").is_none() && env("AWS_DEFAULT_REGION").is_none() {
        let region = aws_profile::region().unwrap_or_else(|| "us-east-1".into());
        b = b.with_region(region);
    }
    if env("AWS_ACCESS_KEY_ID").is_none() {
        match aws_profile::credentials() {
            Ok(Some(c)) => {
                b = b
                    .with_access_key_id(c.key_id)
                    .with_secret_access_key(c.secret);
                if let Some(token) = c.token {
                    b = b.with_token(token);
                }
            }
            Ok(None) => {
                let other_source = env("AWS_WEB_IDENTITY_TOKEN_FILE").is_some()
                    || env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI").is_some()
                    || env("AWS_CONTAINER_CREDENTIALS_FULL_URI").is_some();
                let imds_off = env("AWS_EC2_METADATA_DISABLED")
                    .is_some_and(|v| v.eq_ignore_ascii_case("true"));
                if !other_source && imds_off {
                    return Err(format!(
                        "{url}: no AWS credentials (set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or a web-identity/container role)"
                    ));
                }
            }
            Err(e) => return Err(format!("{url}: {e}")),
        }
    }
    Ok(b)
}

pub(super) fn gcs_builder(url: &BucketUrl) -> Result<GoogleCloudStorageBuilder, String> {
    let mut b = GoogleCloudStorageBuilder::from_env().with_bucket_name(&url.bucket);
    if let Some(path) = env("GOOGLE_APPLICATION_CREDENTIALS") {
        b = b.with_application_credentials(path);
    }
    // The convention of Google's own client libraries for emulators.
    if let Some(host) = env("STORAGE_EMULATOR_HOST") {
        let base = if host.contains("://") {
            host
        } else {
            format!("http://{host}")
        };
        let account = serde_json::json!({
            "gcs_base_url": base.trim_end_matches('/'),
            "disable_oauth": true,
            "client_email": "",
            "private_key": "",
            "private_key_id": "",
        });
        b = b
            .with_service_account_key(account.to_string())
            .with_client_options(ClientOptions::new().with_allow_http(true));
    }
    Ok(b)
}

pub(super) fn azure_builder(url: &BucketUrl) -> Result<MicrosoftAzureBuilder, String> {
    let mut b = MicrosoftAzureBuilder::from_env().with_container_name(&url.bucket);
    if let Some(conn) = env("AZURE_STORAGE_CONNECTION_STRING") {
        for part in conn.split(';').filter(|p| !p.trim().is_empty()) {
            let Some((k, v)) = part.split_once('=') else {
                return Err(format!(
                    "{url}: AZURE_STORAGE_CONNECTION_STRING: expected Key=Value pairs"
                ));
            };
            b = match k.trim() {
                "AccountName" => b.with_account(v),
                "AccountKey" => b.with_access_key(v),
                "BlobEndpoint" => b
                    .with_endpoint(v.trim_end_matches('/').to_string())
                    .with_allow_http(v.starts_with("http://")),
                "SharedAccessSignature" => {
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
    }
    Ok(b)
}
