//! Error lines a person can act on: one line, at most [`MAX_LINE`]
//! characters, naming the target URL, what went wrong in the provider's own
//! terms (its error code, never its raw XML or JSON), and what to do. No
//! query string (SAS signatures) and no credential ever reaches a line.
//!
//! object_store types the common answers (not found, permission denied,
//! unauthenticated) and transport failures; the provider's error code, which
//! tells a rejected key from a missing permission, is only in the text.

use std::error::Error as StdError;

use aws_credential_types::provider::error::CredentialsError;
use object_store::client::{HttpError, HttpErrorKind};

use super::credentials::{AzureSource, GoogleSource};
use super::{BucketUrl, Provider};

/// The longest error line atrest prints about a bucket.
pub const MAX_LINE: usize = 160;

/// A one-line, credential-free error message: object_store's errors span
/// lines and may quote URLs whose query strings carry SAS signatures.
pub fn one_line(e: &dyn StdError) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        let s = cause.to_string();
        if !text.contains(&s) {
            text.push_str(": ");
            text.push_str(&s);
        }
        source = cause.source();
    }
    tidy(&text)
}

/// The provider's answer in a few words: its error code and message when the
/// body is XML or JSON, no URL query strings (SAS signatures), no header or
/// parameter that carries a credential, at most 200 characters.
pub fn tidy(text: &str) -> String {
    let answer = Answer::of(text);
    let mut head = text;
    if let Some(at) = body_start(text) {
        head = &text[..at];
    }
    let mut line = head.trim_end_matches([':', ' ']).to_string();
    if let Some(code) = &answer.code {
        line.push_str(&format!(": {code}"));
        if let Some(msg) = &answer.message {
            line.push_str(&format!(" ({msg})"));
        }
    } else if let Some(msg) = &answer.message {
        line.push_str(&format!(": {msg}"));
    }
    let words: Vec<String> = line
        .split_whitespace()
        .map(|w| match (w.find("://"), w.find('?')) {
            (Some(_), Some(q)) => format!("{}?…", &w[..q]),
            _ => w.to_string(),
        })
        .collect();
    let line = redact(&words.join(" "));
    shorten(&line, 200)
}

/// Where a response body quoted in an error text begins: XML, or a JSON
/// object (`{"` after optional white space).
fn body_start(text: &str) -> Option<usize> {
    let xml = text.find('<');
    let json = text
        .match_indices('{')
        .map(|(i, _)| i)
        .find(|&i| text[i + 1..].trim_start().starts_with(['"', '}']));
    match (xml, json) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

pub(super) fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut out: String = text.chars().take(max - 1).collect();
    out.push('…');
    out
}

/// Replaces the value after any credential-bearing name (headers, query
/// parameters, connection-string keys) with `[redacted]`.
fn redact(text: &str) -> String {
    const NAMES: [&str; 11] = [
        "authorization",
        "x-amz-security-token",
        "x-amz-signature",
        "x-amz-credential",
        "x-goog-signature",
        "x-goog-credential",
        "sharedaccesssignature",
        "accountkey",
        "sig=",
        "token",
        "secret",
    ];
    let lower = text.to_ascii_lowercase();
    let mut cut: Vec<(usize, usize)> = Vec::new();
    for name in NAMES {
        let mut from = 0;
        while let Some(i) = lower[from..].find(name) {
            let mut start = from + i + name.len();
            let b = lower.as_bytes();
            let mut quote = None;
            // A value follows a ':' or '=': in prose ("the token has
            // expired") the next word is no credential.
            let mut assigned = name.ends_with('=');
            while start < b.len() && matches!(b[start], b'"' | b'\'' | b':' | b'=' | b' ') {
                match b[start] {
                    b'"' | b'\'' => quote = Some(b[start]),
                    b':' | b'=' => assigned = true,
                    _ => {}
                }
                start += 1;
            }
            let value_end = |from: usize| {
                (from..b.len())
                    .find(|&j| match quote {
                        // A quoted value runs to its closing quote, spaces and all.
                        Some(q) => b[j] == q,
                        None => matches!(b[j], b'"' | b'\'' | b',' | b'&' | b';' | b' ' | b')'),
                    })
                    .unwrap_or(b.len())
            };
            let mut end = value_end(start);
            // `Authorization: Bearer <token>`: the scheme, then the secret.
            const SCHEMES: [&str; 4] = ["bearer", "basic", "sharedkey", "aws4-hmac-sha256"];
            if quote.is_none() && SCHEMES.contains(&&lower[start..end]) && end < b.len() {
                end = value_end(end + 1);
            }
            if assigned && end > start {
                cut.push((start, end));
            }
            from = end.max(from + i + name.len());
        }
    }
    cut.sort_unstable();
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for (start, end) in cut {
        if start < at {
            continue;
        }
        out.push_str(&text[at..start]);
        out.push_str("[redacted]");
        at = end;
    }
    out.push_str(&text[at..]);
    out
}

/// `{url}: {what}` in at most [`MAX_LINE`] characters: a long URL loses the
/// middle of its prefix first, then the explanation its end.
pub fn fit(url: &str, what: &str) -> String {
    let room = MAX_LINE.saturating_sub(what.chars().count() + 2);
    let url_len = url.chars().count();
    let shown = if url_len <= room.max(40) {
        url.to_string()
    } else {
        // Keep the scheme and bucket and the last characters of the key.
        let keep = room.max(40);
        let head = keep * 2 / 3;
        let tail = keep - head - 1;
        let chars: Vec<char> = url.chars().collect();
        let mut s: String = chars[..head].iter().collect();
        s.push('…');
        s.extend(&chars[url_len - tail..]);
        s
    };
    shorten(&format!("{shown}: {what}"), MAX_LINE)
}

/// What a provider answered, read out of an error's text.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Answer {
    /// The HTTP status, when the text quotes one.
    pub status: Option<u16>,
    /// `<Code>` of S3 and Azure; `reason` or `status` of Google's JSON.
    pub code: Option<String>,
    /// The first line of `<Message>` or of the JSON `message`.
    pub message: Option<String>,
}

impl Answer {
    pub fn of(text: &str) -> Answer {
        let between = |open: &str, close: &str| {
            let from = text.find(open)? + open.len();
            let len = text[from..].find(close)?;
            let inner = text[from..from + len].trim();
            Some(inner.lines().next().unwrap_or("").trim().to_string())
        };
        let status = ["status code: ", "status code ", "status: "]
            .iter()
            .find_map(|k| {
                let from = text.find(k)? + k.len();
                text[from..].get(..3)?.parse::<u16>().ok()
            });
        let mut answer = Answer {
            status,
            code: between("<Code>", "</Code>"),
            message: between("<Message>", "</Message>"),
        };
        if answer.code.is_none() {
            if let Some(json) = body_start(text).and_then(|at| json_at(&text[at..])) {
                let error = json.get("error").unwrap_or(&json);
                let s = |v: &serde_json::Value| v.as_str().map(str::to_string);
                // OAuth's `{"error": "invalid_grant", "error_description": …}`.
                answer.code = s(error)
                    .or_else(|| error["errors"][0].get("reason").and_then(s))
                    .or_else(|| error.get("status").and_then(s))
                    .or_else(|| error.get("code").and_then(s));
                answer.message = error
                    .get("message")
                    .and_then(s)
                    .or_else(|| json.get("error_description").and_then(s))
                    .map(|m| m.lines().next().unwrap_or("").trim().to_string());
            }
        }
        answer.code = answer.code.filter(|c| !c.is_empty());
        answer.message = answer.message.filter(|m| !m.is_empty());
        answer
    }
}

/// The JSON object at the start of `text`, up to its last `}`.
fn json_at(text: &str) -> Option<serde_json::Value> {
    let end = text.rfind('}')?;
    serde_json::from_str(&text[..=end])
        .ok()
        .filter(|v: &serde_json::Value| v.is_object())
}

/// How a request to a bucket failed, as far as a person needs to know.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Failure {
    /// No such bucket or container.
    Missing,
    /// The credentials themselves were refused: unknown key, bad signature.
    Rejected,
    /// The credentials were good and had expired.
    Expired,
    /// The identity is known and lacks a permission.
    Denied,
    /// S3 answered from another region than the one asked.
    WrongRegion,
    /// No answer at all: connection refused, DNS, timeout.
    Unreachable,
    /// Anything else.
    Other,
}

const REJECTED: [&str; 8] = [
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "AuthenticationFailed",
    "InvalidToken",
    "InvalidClientTokenId",
    "InvalidAuthenticationInfo",
    "UnrecognizedClientException",
    "authError",
];
const EXPIRED: [&str; 3] = ["ExpiredToken", "TokenRefreshRequired", "RequestExpired"];
const MISSING: [&str; 4] = [
    "NoSuchBucket",
    "ContainerNotFound",
    "ResourceNotFound",
    "notFound",
];
const DENIED: [&str; 5] = [
    "AccessDenied",
    "AuthorizationPermissionMismatch",
    "AuthorizationFailure",
    "forbidden",
    "AllAccessDisabled",
];
const MOVED: [&str; 2] = ["PermanentRedirect", "AuthorizationHeaderMalformed"];

/// The first error of type `T` in the chain under `e`.
fn cause<T: StdError + 'static>(e: &object_store::Error) -> Option<&T> {
    let mut source: Option<&(dyn StdError + 'static)> = Some(e);
    while let Some(err) = source {
        if let Some(found) = err.downcast_ref::<T>() {
            return Some(found);
        }
        source = err.source();
    }
    None
}

/// The transport failure under an object_store error, when there is one.
fn transport(e: &object_store::Error) -> Option<HttpErrorKind> {
    cause::<HttpError>(e).map(HttpError::kind)
}

/// A request that never went out because the scan stopped.
pub(super) fn halted(e: &object_store::Error) -> bool {
    cause::<super::meter::Halted>(e).is_some()
}

/// Typed first (object_store's variants, the transport's kind); the
/// provider's code then tells apart what one HTTP status lumps together
/// (listings come back untyped, as `Generic`, with the status in the text).
pub fn classify(e: &object_store::Error, answer: &Answer) -> Failure {
    let code = answer.code.as_deref().unwrap_or("");
    let message = answer.message.as_deref().unwrap_or("").to_ascii_lowercase();
    let by_code = || {
        if REJECTED.contains(&code) {
            Some(Failure::Rejected)
        } else if EXPIRED.contains(&code) {
            Some(Failure::Expired)
        } else if MISSING.contains(&code) {
            Some(Failure::Missing)
        } else if DENIED.contains(&code) {
            // Azurite, and Azure for a SAS, say AuthorizationFailure for a
            // bad signature: the key is wrong, no permission is missing.
            Some(if message.contains("signature") {
                Failure::Rejected
            } else {
                Failure::Denied
            })
        } else if MOVED.contains(&code) {
            Some(Failure::WrongRegion)
        } else {
            None
        }
    };
    match e {
        object_store::Error::NotFound { .. } => Failure::Missing,
        object_store::Error::Unauthenticated { .. } => match by_code() {
            Some(Failure::Expired) => Failure::Expired,
            _ => Failure::Rejected,
        },
        object_store::Error::PermissionDenied { .. } => match by_code() {
            Some(f @ (Failure::Rejected | Failure::Expired)) => f,
            _ => Failure::Denied,
        },
        _ => {
            if matches!(
                transport(e),
                Some(HttpErrorKind::Connect | HttpErrorKind::Timeout)
            ) {
                return Failure::Unreachable;
            }
            if let Some(f) = by_code() {
                return f;
            }
            match answer.status {
                Some(301 | 307) => Failure::WrongRegion,
                Some(401) => Failure::Rejected,
                Some(403) => Failure::Denied,
                Some(404) => Failure::Missing,
                // Emulators say so in words, with any status.
                _ if message.contains("no bucket named")
                    || message.contains("bucket does not exist") =>
                {
                    Failure::Missing
                }
                _ => Failure::Other,
            }
        }
    }
}

/// A final answer (a 4xx other than 408 and 429): asking again later gets
/// the same. Throttling, server errors and no answer at all may change.
/// An error whose text quotes no status (an error body under a 200, a
/// redirect, a body that could not be read) counts as no answer: it is
/// asked once more, at worst at the cost of a wait, and then stands.
pub(super) fn is_answer(e: &object_store::Error) -> bool {
    let text = e.to_string();
    // A response the client could not use (the whole object for a range,
    // a Content-Range it cannot parse) is an answer: asking again later
    // gets the same one, so it is an error of the object at once.
    const UNUSABLE: [&str; 3] = [
        "non-partial response when range requested",
        "Content-Range header",
        "value for CONTENT_RANGE header",
    ];
    UNUSABLE.iter().any(|u| text.contains(u))
        || Answer::of(&text)
            .status
            .is_some_and(|s| (400..500).contains(&s) && s != 408 && s != 429)
}

/// `host:port` of the first URL in an error text.
fn host_of(text: &str) -> Option<&str> {
    let from = text.find("://")? + 3;
    let rest = &text[from..];
    let end = rest
        .find(|c: char| c == '/' || c == '?' || c == ')' || c.is_whitespace())
        .unwrap_or(rest.len());
    Some(&rest[..end]).filter(|h| !h.is_empty())
}

/// The pre-flight listing failed: what it means for this provider.
pub fn listing_failed(url: &BucketUrl, e: &object_store::Error) -> String {
    let text = one_line(e);
    let answer = Answer::of(&e.to_string());
    // Emulators put the HTTP status where the code belongs.
    let named = answer
        .code
        .as_deref()
        .filter(|c| !c.bytes().all(|b| b.is_ascii_digit()));
    let code = |default: &str| match named.unwrap_or(default) {
        "" => String::new(),
        c => format!(" ({c})"),
    };
    let what = match (classify(e, &answer), url.provider) {
        (Failure::Missing, Provider::S3) => format!(
            "bucket not found{} — check the name, and --endpoint for S3-compatible stores",
            code("")
        ),
        (Failure::Missing, Provider::Gcs) => format!("bucket not found{}", code("")),
        (Failure::Missing, Provider::Azure) => format!(
            "container not found{} — check the name and AZURE_STORAGE_ACCOUNT_NAME",
            code("")
        ),
        (Failure::Rejected, Provider::S3) => format!(
            "credentials rejected{} — check the access key and secret of AWS_PROFILE or AWS_ACCESS_KEY_ID",
            code("")
        ),
        (Failure::Rejected, Provider::Gcs) => format!(
            "credentials rejected{} — check GOOGLE_APPLICATION_CREDENTIALS or run gcloud auth application-default login",
            code("")
        ),
        (Failure::Rejected, Provider::Azure) => format!(
            "credentials rejected{} — check the account key, the SAS token (signature, expiry) or az login",
            code("")
        ),
        (Failure::Expired, Provider::S3) => format!(
            "credentials expired{} — renew them (aws sso login, or a new session token)",
            code("")
        ),
        (Failure::Expired, _) => format!("credentials expired{} — renew them", code("")),
        (Failure::Denied, Provider::S3) => format!(
            "access denied{} — check the identity's s3:ListBucket permission",
            code("")
        ),
        (Failure::Denied, Provider::Gcs) => format!(
            "access denied{} — the identity needs storage.objects.list on the bucket",
            code("")
        ),
        (Failure::Denied, Provider::Azure) => format!(
            "access denied{} — the identity needs Storage Blob Data Reader, or the SAS list permission",
            code("")
        ),
        (Failure::WrongRegion, _) => format!(
            "the bucket is in another region{} — set AWS_REGION to the bucket's region",
            code("")
        ),
        (Failure::Unreachable, provider) => {
            let host = host_of(&text).unwrap_or("the endpoint");
            let hint = match provider {
                Provider::S3 => "check --endpoint or AWS_ENDPOINT_URL, and the network",
                Provider::Gcs => "check STORAGE_EMULATOR_HOST, and the network",
                Provider::Azure => "check the account name or endpoint, and the network",
            };
            format!("cannot reach {host} — {hint}")
        }
        (Failure::Other, _) => format!("cannot list: {}", short_cause(e)),
    };
    fit(&url.to_string(), &what)
}

/// The AWS chain found nothing, or its source failed. `via` names the
/// source that should have answered: a profile, web identity, a container.
pub fn aws_sign_in(url: &str, via: Option<&str>, e: &CredentialsError) -> String {
    let named = via.map(|p| format!(" ({p})")).unwrap_or_default();
    let what = match e {
        CredentialsError::CredentialsNotLoaded(_) => format!(
            "no AWS credentials{named} — set AWS_PROFILE or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run aws configure or aws sso login"
        ),
        CredentialsError::ProviderTimedOut(_) => {
            format!("AWS sign-in{named} did not finish in time — check the credential source and the network")
        }
        _ => {
            let detail = aws_cause(e);
            let lower = detail.to_ascii_lowercase();
            let hint = if lower.contains("sso") {
                match via.and_then(|v| v.strip_prefix("profile ")) {
                    Some(p) => format!(" — run aws sso login --profile {p}"),
                    None => " — run aws sso login".to_string(),
                }
            } else if lower.contains("connect") || lower.contains("dns") || lower.contains("timed out") {
                " — check the network, endpoint_url or AWS_ENDPOINT_URL".to_string()
            } else {
                String::new()
            };
            // The hint must survive the cut: the detail gives way first.
            let room = MAX_LINE.saturating_sub(
                url.chars().count() + named.chars().count() + hint.chars().count() + 22,
            );
            format!("AWS sign-in failed{named}: {}{hint}", shorten(&detail, room.max(20)))
        }
    };
    fit(url, &what)
}

/// The parts of an AWS SDK error chain that say something: its wrappers
/// ("dispatch failure", "io error", …) do not.
fn aws_cause(e: &CredentialsError) -> String {
    const FILLER: [&str; 10] = [
        "an error occurred while loading credentials",
        "an error occurred while loading an access token",
        "dispatch failure",
        "io error",
        "other",
        "service error",
        "unhandled error",
        "response error",
        "failed to construct request",
        "the credential provider was not enabled",
    ];
    let mut parts: Vec<String> = Vec::new();
    let mut source: Option<&(dyn StdError + 'static)> = Some(e);
    while let Some(err) = source {
        let text = tidy(&err.to_string());
        let text = text.trim().trim_end_matches('.').to_string();
        let filler = FILLER.iter().any(|f| text.eq_ignore_ascii_case(f));
        if !filler && !text.is_empty() && !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = err.source();
    }
    let n = parts.len();
    let detail = parts[n.saturating_sub(2)..]
        .join(": ")
        .replace(
            "Error retrieving credentials: external process exited with code exit status: ",
            "credential_process failed with exit status ",
        )
        .replace(
            "Error retrieving credentials from external process, could not parse response: ",
            "credential_process printed no credentials: ",
        )
        .replace(". Stderr: ", ", stderr: ")
        .replace("tcp connect error: ", "cannot connect: ");
    // `(os error 111)` after a message that already says it.
    let os_error = detail
        .find(" (os error ")
        .and_then(|at| Some((at, at + detail[at..].find(')')? + 1)));
    match os_error {
        Some((at, end)) => format!("{}{}", &detail[..at], &detail[end..]),
        None => detail,
    }
}

fn google_source(source: &GoogleSource) -> String {
    match source {
        GoogleSource::Emulator => "STORAGE_EMULATOR_HOST".into(),
        GoogleSource::Variable(var) => (*var).into(),
        GoogleSource::Gcloud(_) => "gcloud application-default credentials".into(),
        GoogleSource::MetadataServer => "the metadata server".into(),
    }
}

/// Google's client could not be built: a credentials file that is missing,
/// unreadable or of a kind object_store cannot use.
pub fn google_setup(url: &str, source: &GoogleSource, e: &object_store::Error) -> String {
    let detail = unframe(&one_line(e));
    let from = google_source(source);
    let what = if let Some(kind) = detail
        .split("unknown variant `")
        .nth(1)
        .and_then(|r| r.split('`').next())
    {
        format!("{from}: {kind} credentials are not supported (use a service-account key)")
    } else if let Some(why) = detail.strip_prefix("Unable to open service account file from ") {
        format!("{from}: cannot read {why}")
    } else if detail.contains("RSA key") || detail.contains("private key") {
        format!("{from}: the private key is not valid ({detail})")
    } else {
        format!("{from}: {detail}")
    };
    fit(url, &what)
}

/// Drops object_store's `Generic S3 error: ` framing, which says nothing
/// the URL at the start of the line does not.
fn unframe(text: &str) -> String {
    let mut out = text.to_string();
    while let Some(at) = out.find("Generic ") {
        match out[at..].find(" error: ") {
            Some(end) if !out[at + 8..at + end].contains(' ') => {
                out.replace_range(at..at + end + 8, "");
            }
            _ => break,
        }
    }
    out
}

/// No token from Google's sign-in: `None` when nobody answered in time.
pub fn google_sign_in(url: &str, source: &GoogleSource, e: Option<&object_store::Error>) -> String {
    let what = match (source, e) {
        (GoogleSource::MetadataServer, _) => "no Google credentials — set GOOGLE_APPLICATION_CREDENTIALS or run gcloud auth application-default login".to_string(),
        (_, None) => format!("{} did not answer in time", google_source(source)),
        (_, Some(e)) => format!(
            "sign-in with {} failed: {} — check the file or run gcloud auth application-default login",
            google_source(source),
            short_cause(e)
        ),
    };
    fit(url, &what)
}

/// No token from Azure's sign-in: `None` when nobody answered in time.
pub fn azure_sign_in(url: &str, source: AzureSource, e: Option<&object_store::Error>) -> String {
    let what = match (source, e) {
        (AzureSource::Implicit, _) => "no Azure credentials — set AZURE_STORAGE_ACCOUNT_KEY or AZURE_STORAGE_SAS_TOKEN, or run az login (no managed identity answered)".to_string(),
        (_, None) => "Azure sign-in did not answer in time".to_string(),
        (_, Some(e)) => {
            let cause = short_cause(e);
            if cause.contains("az login") || cause.contains("Azure Cli") {
                format!("Azure CLI sign-in failed: {cause} — run az login")
            } else {
                format!("Azure sign-in failed: {cause} — check AZURE_CLIENT_ID, AZURE_TENANT_ID and the secret or token file")
            }
        }
    };
    fit(url, &what)
}

/// The innermost causes of a sign-in error, without object_store's framing.
pub(super) fn short_cause(e: &object_store::Error) -> String {
    let line = unframe(&one_line(e));
    let answer = Answer::of(&e.to_string());
    let status = answer
        .status
        .map(|s| format!("HTTP {s} "))
        .unwrap_or_default();
    let code = answer
        .code
        .filter(|c| answer.status.is_none_or(|s| *c != s.to_string()));
    let said = match (code, answer.message) {
        (Some(code), Some(msg)) => format!("{status}{code} ({msg})"),
        (Some(one), None) | (None, Some(one)) => format!("{status}{one}"),
        (None, None) if !status.is_empty() => status.trim_end().to_string(),
        (None, None) => line.rsplit(": ").next().unwrap_or(&line).to_string(),
    };
    shorten(&said, 90)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn generic(text: &str) -> object_store::Error {
        object_store::Error::Generic {
            store: "S3",
            source: text.into(),
        }
    }

    /// A response the client cannot use is an answer, asked again in vain;
    /// a timeout or a 5xx is not.
    #[test]
    fn unusable_range_answers_are_answers() {
        for text in [
            "Received non-partial response when range requested",
            "Content-Range header not present in partial response",
            "Failed to parse value for CONTENT_RANGE header: \"bytes x\"",
            "Error performing GET http://h/b/k in 1ms - Server returned non-success status code 404 Not Found",
        ] {
            assert!(is_answer(&generic(text)), "{text}");
        }
        for text in [
            "Error performing GET http://h/b/k in 30s - operation timed out",
            "Error performing GET http://h/b/k in 1ms - Server returned non-success status code 503 Service Unavailable",
        ] {
            assert!(!is_answer(&generic(text)), "{text}");
        }
    }

    #[test]
    fn error_lines_keep_the_provider_code_and_no_credentials() {
        let raw = "Error performing GET http://h/b/k.wav in 1ms - Server returned non-success status code 403 Forbidden: <?xml version=\"1.0\"?><Error><Code>AccessDenied</Code><Message>Access Denied</Message><RequestId>1</RequestId></Error>";
        assert_eq!(
            tidy(raw),
            "Error performing GET http://h/b/k.wav in 1ms - Server returned non-success status code 403 Forbidden: AccessDenied (Access Denied)"
        );
        let leaky = "request failed: headers {\"x-amz-security-token\": \"IQoJb3JpZ2luX2VjEXAMPLE\", \"authorization\": \"AWS4-HMAC-SHA256 Credential=AKIA/x\"}";
        let line = tidy(leaky);
        assert!(!line.contains("IQoJ") && !line.contains("AKIA"), "{line}");
        assert!(tidy(&"x".repeat(500)).chars().count() <= 200);
    }

    #[test]
    fn credentials_are_redacted_and_prose_is_not() {
        let line = tidy("GET failed: Authorization: Bearer eyJraWQ.secret, token=abc&x=1");
        assert!(!line.contains("eyJ") && !line.contains("abc"), "{line}");
        let prose = "the SSO token has expired and cannot be refreshed";
        assert_eq!(tidy(prose), prose);
    }

    #[test]
    fn error_lines_drop_query_strings() {
        let e = std::io::Error::other("GET http://h/c/b?sv=1&sig=SECRET failed\n  retry");
        let line = one_line(&e);
        assert!(!line.contains("SECRET") && !line.contains('\n'), "{line}");
    }

    #[test]
    fn google_json_bodies_become_their_reason_and_message() {
        let raw = r#"Error performing GET http://h/storage/v1/b/x/o?prefix=a in 2ms - Server returned non-2xx status code: 404 Not Found: {"error":{"code":404,"message":"The specified bucket does not exist.","errors":[{"message":"The specified bucket does not exist.","domain":"global","reason":"notFound"}]}}"#;
        let answer = Answer::of(raw);
        assert_eq!(answer.status, Some(404));
        assert_eq!(answer.code.as_deref(), Some("notFound"));
        let line = tidy(raw);
        assert!(
            line.ends_with("notFound (The specified bucket does not exist.)"),
            "{line}"
        );
        assert!(!line.contains('{') && !line.contains("prefix=a"), "{line}");
        let oauth = Answer::of(
            r#"status code: 400 Bad Request: {"error":"invalid_grant","error_description":"Bad Request"}"#,
        );
        assert_eq!(
            (oauth.code.as_deref(), oauth.message.as_deref()),
            (Some("invalid_grant"), Some("Bad Request"))
        );
    }

    #[test]
    fn typed_errors_come_first_and_codes_refine_them() {
        let denied = |body: &str| object_store::Error::PermissionDenied {
            path: "p".into(),
            source: body.to_string().into(),
        };
        let of = |e: &object_store::Error| classify(e, &Answer::of(&e.to_string()));
        assert_eq!(of(&denied("<Code>AccessDenied</Code>")), Failure::Denied);
        assert_eq!(
            of(&denied("<Code>InvalidAccessKeyId</Code>")),
            Failure::Rejected
        );
        assert_eq!(
            of(&denied("<Code>AuthenticationFailed</Code>")),
            Failure::Rejected
        );
        assert_eq!(
            of(&generic(
                "status code: 301 Moved Permanently: <Code>PermanentRedirect</Code>"
            )),
            Failure::WrongRegion
        );
        assert_eq!(of(&generic("something odd")), Failure::Other);
    }

    #[test]
    fn framing_goes_and_the_cause_stays() {
        assert_eq!(
            unframe("Generic GCS error: Generic RingCryptoProvider error: Invalid RSA key"),
            "Invalid RSA key"
        );
        assert_eq!(
            unframe("Generic two words error: x"),
            "Generic two words error: x"
        );
    }

    #[test]
    fn long_urls_lose_their_middle_and_lines_stay_short() {
        let url = format!("s3://bucket/{}/end.wav", "deep/".repeat(60));
        let line = fit(
            &url,
            "access denied (AccessDenied) — check the identity's s3:ListBucket permission",
        );
        assert!(line.chars().count() <= MAX_LINE, "{line}");
        assert!(
            line.starts_with("s3://bucket/") && line.contains("end.wav: access denied"),
            "{line}"
        );
        let short = fit("s3://b", "x");
        assert_eq!(short, "s3://b: x");
    }
}
