//! The provider's own statement about a bucket's public access, read with
//! the caller's credentials where they allow it: S3 GetBucketPolicyStatus,
//! GetPublicAccessBlock and GetBucketAcl; Azure Get Container Properties
//! (`x-ms-blob-public-access`); GCS getIamPolicy (`allUsers`,
//! `allAuthenticatedUsers`). Evidence beside the anonymous probe, never a
//! reason to fail the scan: a refused or unknown call says so and the scan
//! goes on. Read-only requests only; each is counted and paced.

use std::time::{Duration, SystemTime};

use base64::Engine;
use object_store::aws::AwsCredentialProvider;
use object_store::azure::{AzureCredential, AzureCredentialProvider};
use object_store::gcp::GcpCredentialProvider;
use sha2::{Digest, Sha256};

use super::Wire;

/// What is needed to ask one provider about one bucket.
#[derive(Clone, Debug)]
pub enum Asker {
    S3 {
        credentials: AwsCredentialProvider,
        region: String,
        base: String,
        bucket: String,
    },
    Azure {
        credentials: AzureCredentialProvider,
        /// The account's base64 key, when one is configured (shared-key signing).
        key: Option<String>,
        account: String,
        base: String,
        container: String,
    },
    Gcs {
        credentials: GcpCredentialProvider,
        base: String,
        bucket: String,
    },
}

fn client() -> Option<reqwest::Client> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(10))
        .build()
        .ok()
}

fn between<'a>(text: &'a str, open: &str, close: &str) -> Option<&'a str> {
    let from = text.find(open)? + open.len();
    let len = text[from..].find(close)?;
    Some(text[from..from + len].trim())
}

/// Asks the provider; `None` when nothing could be asked at all.
pub async fn ask(asker: &Asker, wire: &Wire) -> Option<String> {
    let client = client()?;
    let said = match asker {
        Asker::S3 {
            credentials,
            region,
            base,
            bucket,
        } => s3(&client, credentials, region, base, bucket, wire).await,
        Asker::Azure {
            credentials,
            key,
            account,
            base,
            container,
        } => {
            azure(
                &client,
                credentials,
                key.as_deref(),
                account,
                base,
                container,
                wire,
            )
            .await
        }
        Asker::Gcs {
            credentials,
            base,
            bucket,
        } => gcs(&client, credentials, base, bucket, wire).await,
    };
    tracing::info!(statement = %said, "provider's statement on public access");
    Some(said)
}

/// One signed S3 GET of a bucket sub-resource: (status, body).
async fn s3_get(
    client: &reqwest::Client,
    credentials: &AwsCredentialProvider,
    region: &str,
    url: &str,
    wire: &Wire,
) -> Option<(u16, String)> {
    use aws_sigv4::http_request::{
        sign, PayloadChecksumKind, SignableBody, SignableRequest, SigningSettings,
    };
    use aws_sigv4::sign::v4;
    let c = credentials.get_credential().await.ok()?;
    let identity = aws_credential_types::Credentials::new(
        &c.key_id,
        &c.secret_key,
        c.token.clone(),
        None,
        "atrest",
    )
    .into();
    let mut settings = SigningSettings::default();
    settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name("s3")
        .time(SystemTime::now())
        .settings(settings)
        .build()
        .ok()?
        .into();
    let signable =
        SignableRequest::new("GET", url, std::iter::empty(), SignableBody::Bytes(&[])).ok()?;
    let (instructions, _) = sign(signable, &params).ok()?.into_parts();
    let mut req = client.get(url);
    for (name, value) in instructions.headers() {
        req = req.header(name, value);
    }
    wire.pace().await;
    let resp = req.send().await.ok()?;
    let status = resp.status().as_u16();
    let body = resp.text().await.unwrap_or_default();
    Some((status, body))
}

fn refusal(status: u16, body: &str) -> String {
    match between(body, "<Code>", "</Code>") {
        Some(code) if code.len() <= 64 => format!("unknown ({status} {code})"),
        _ => format!("unknown ({status})"),
    }
}

async fn s3(
    client: &reqwest::Client,
    credentials: &AwsCredentialProvider,
    region: &str,
    base: &str,
    bucket: &str,
    wire: &Wire,
) -> String {
    let url = |sub: &str| format!("{}/{bucket}?{sub}", base.trim_end_matches('/'));
    let policy = match s3_get(client, credentials, region, &url("policyStatus"), wire).await {
        Some((200, body)) => match between(&body, "<IsPublic>", "</IsPublic>") {
            Some("true") => "public".to_string(),
            Some(_) => "not public".to_string(),
            None => "unknown".to_string(),
        },
        Some((404, body)) if body.contains("NoSuchBucketPolicy") => "none".to_string(),
        Some((status, body)) => refusal(status, &body),
        None => "unknown (no answer)".to_string(),
    };
    let block = match s3_get(client, credentials, region, &url("publicAccessBlock"), wire).await {
        Some((200, body)) => {
            let flags = [
                "BlockPublicAcls",
                "IgnorePublicAcls",
                "BlockPublicPolicy",
                "RestrictPublicBuckets",
            ];
            let on = flags
                .iter()
                .filter(|f| between(&body, &format!("<{f}>"), &format!("</{f}>")) == Some("true"))
                .count();
            match on {
                4 => "all on".to_string(),
                0 => "all off".to_string(),
                n => format!("{n} of 4 on"),
            }
        }
        Some((404, body)) if body.contains("NoSuchPublicAccessBlockConfiguration") => {
            "not set".to_string()
        }
        Some((status, body)) => refusal(status, &body),
        None => "unknown (no answer)".to_string(),
    };
    let acl = match s3_get(client, credentials, region, &url("acl"), wire).await {
        Some((200, body)) => {
            let all = body.contains("http://acs.amazonaws.com/groups/global/AllUsers");
            let auth = body.contains("http://acs.amazonaws.com/groups/global/AuthenticatedUsers");
            match (all, auth) {
                (true, _) => "grants AllUsers".to_string(),
                (false, true) => "grants AuthenticatedUsers".to_string(),
                _ => "no public grant".to_string(),
            }
        }
        Some((status, body)) => refusal(status, &body),
        None => "unknown (no answer)".to_string(),
    };
    format!("S3 bucket policy: {policy}; Block Public Access: {block}; ACL: {acl}")
}

/// HMAC-SHA256 (RFC 2104) over sha2, for Azure shared-key signing.
fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    let mut k = [0u8; 64];
    if key.len() > 64 {
        k[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let pad = |b: u8| k.iter().map(|x| x ^ b).collect::<Vec<u8>>();
    let inner = Sha256::new()
        .chain_update(pad(0x36))
        .chain_update(message)
        .finalize();
    Sha256::new()
        .chain_update(pad(0x5c))
        .chain_update(inner)
        .finalize()
        .into()
}

/// Shared-key signature of Get Container Properties.
fn shared_key(key: &str, account: &str, path: &str, date: &str) -> Option<String> {
    let version = "2021-08-06";
    let resource = format!("/{account}{path}\nrestype:container");
    let to_sign =
        format!("GET\n\n\n\n\n\n\n\n\n\n\n\nx-ms-date:{date}\nx-ms-version:{version}\n{resource}");
    let engine = base64::engine::general_purpose::STANDARD;
    let key = engine.decode(key).ok()?;
    Some(engine.encode(hmac_sha256(&key, to_sign.as_bytes())))
}

async fn azure(
    client: &reqwest::Client,
    credentials: &AzureCredentialProvider,
    key: Option<&str>,
    account: &str,
    base: &str,
    container: &str,
    wire: &Wire,
) -> String {
    let url = format!(
        "{}/{container}?restype=container",
        base.trim_end_matches('/')
    );
    let Ok(mut parsed) = reqwest::Url::parse(&url) else {
        return "Azure container access level: unknown (bad endpoint)".into();
    };
    let date = httpdate(SystemTime::now());
    let credential = credentials.get_credential().await.ok();
    if let Some(AzureCredential::SASToken(pairs)) = credential.as_deref() {
        parsed.query_pairs_mut().extend_pairs(pairs);
    }
    let mut req = client
        .get(parsed)
        .header("x-ms-version", "2021-08-06")
        .header("x-ms-date", &date);
    match credential.as_deref() {
        Some(AzureCredential::BearerToken(token)) => {
            req = req.bearer_auth(token);
        }
        Some(AzureCredential::SASToken(_)) => {}
        _ => {
            let path = reqwest::Url::parse(&url)
                .map(|u| u.path().to_string())
                .unwrap_or_default();
            let Some(sig) = key.and_then(|k| shared_key(k, account, &path, &date)) else {
                return "Azure container access level: unknown (no key to ask with)".into();
            };
            req = req.header("Authorization", format!("SharedKey {account}:{sig}"));
        }
    }
    wire.pace().await;
    let said = match req.send().await {
        Ok(resp) if resp.status().is_success() => {
            match resp
                .headers()
                .get("x-ms-blob-public-access")
                .and_then(|v| v.to_str().ok())
            {
                Some("container") => "container (anyone may list and read)".to_string(),
                Some("blob") => "blob (anyone may read a blob they can name)".to_string(),
                Some(other) => format!("{other:.32}"),
                None => "private".to_string(),
            }
        }
        Ok(resp) => {
            let status = resp.status().as_u16();
            let code = resp
                .headers()
                .get("x-ms-error-code")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .chars()
                .take(64)
                .collect::<String>();
            format!("unknown ({status} {code})").replace(" )", ")")
        }
        Err(_) => "unknown (no answer)".to_string(),
    };
    format!("Azure container access level: {said}")
}

async fn gcs(
    client: &reqwest::Client,
    credentials: &GcpCredentialProvider,
    base: &str,
    bucket: &str,
    wire: &Wire,
) -> String {
    let url = format!("{}/storage/v1/b/{bucket}/iam", base.trim_end_matches('/'));
    let mut req = client.get(&url);
    if let Ok(c) = credentials.get_credential().await {
        if !c.bearer.is_empty() {
            req = req.bearer_auth(&c.bearer);
        }
    }
    wire.pace().await;
    let said = match req.send().await {
        Ok(resp) if resp.status().is_success() => {
            let body = resp.text().await.unwrap_or_default();
            match serde_json::from_str::<serde_json::Value>(&body) {
                Ok(policy) => {
                    let members: Vec<&str> = policy["bindings"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .flat_map(|b| b["members"].as_array().into_iter().flatten())
                        .filter_map(|m| m.as_str())
                        .collect();
                    match (
                        members.contains(&"allUsers"),
                        members.contains(&"allAuthenticatedUsers"),
                    ) {
                        (true, _) => "grants allUsers".to_string(),
                        (false, true) => "grants allAuthenticatedUsers".to_string(),
                        _ => "no public member".to_string(),
                    }
                }
                Err(_) => "unknown (not a policy)".to_string(),
            }
        }
        Ok(resp) => format!("unknown ({})", resp.status().as_u16()),
        Err(_) => "unknown (no answer)".to_string(),
    };
    format!("GCS IAM policy: {said}")
}

/// An HTTP date (RFC 7231), as Azure's `x-ms-date` wants it.
fn httpdate(t: SystemTime) -> String {
    let secs = t
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let days = secs / 86_400;
    let rem = secs % 86_400;
    let weekday = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"][(days % 7) as usize];
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let months = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    format!(
        "{weekday}, {day:02} {} {year} {:02}:{:02}:{:02} GMT",
        months[(month - 1) as usize],
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_dates_and_hmac_match_their_references() {
        let t = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(httpdate(t), "Tue, 14 Nov 2023 22:13:20 GMT");
        // RFC 4231 test case 2.
        let mac = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(
            mac.iter().map(|b| format!("{b:02x}")).collect::<String>(),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
