//! The HTTP layer under object_store: every request counted and paced,
//! and the response headers that carry storage facts kept.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::HeaderMap;
use object_store::client::{
    HttpClient, HttpConnector, HttpError, HttpErrorKind, HttpRequest, HttpResponse, HttpService,
};
use object_store::ClientOptions;

use super::listing::{self, Dialect};

/// Shared by every request of a run: the count, the pace, the headers.
#[derive(Debug, Default)]
pub struct Wire {
    requests: AtomicU64,
    pace: Option<Pace>,
    /// Listed keys the client cannot represent, taken out of their pages
    /// and waiting to be reported by the listing that asked for them.
    unlisted: Mutex<Vec<String>>,
    /// Set when the scan stops: no request goes out after it.
    halted: AtomicBool,
}

/// The error of a request that had not gone out when the scan stopped.
#[derive(Debug, thiserror::Error)]
#[error("not sent: the scan stopped")]
pub struct Halted;

/// How often a request waiting for its turn looks for a stop.
const HALT_CHECK: Duration = Duration::from_millis(50);

#[derive(Debug)]
struct Pace {
    interval: Duration,
    next: Mutex<Instant>,
}

impl Wire {
    pub fn new(max_requests_per_second: Option<f64>) -> Wire {
        Wire {
            requests: AtomicU64::new(0),
            unlisted: Mutex::default(),
            halted: AtomicBool::new(false),
            pace: max_requests_per_second.filter(|r| *r > 0.0).map(|r| Pace {
                interval: Duration::from_secs_f64(1.0 / r),
                next: Mutex::new(Instant::now()),
            }),
        }
    }

    /// HTTP requests sent so far, retries and listing pages included.
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// Waits for this request's turn and counts it (requests sent outside
    /// object_store, such as the anonymous exposure probe).
    pub(super) async fn pace(&self) {
        let wait = self.reserve();
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
        self.requests.fetch_add(1, Ordering::Relaxed);
    }

    /// No request goes out from now on; those waiting for their turn give
    /// up. A stopped scan then ends when the requests already sent are
    /// answered, not when a paced queue of them has drained: what they
    /// were for is reported as not judged.
    pub fn halt(&self) {
        self.halted.store(true, Ordering::SeqCst);
    }

    fn is_halted(&self) -> bool {
        self.halted.load(Ordering::SeqCst)
    }

    /// Waits for this request's turn; `Err` when the scan stopped first.
    async fn turn(&self) -> Result<(), Halted> {
        let mut wait = self.reserve();
        if !wait.is_zero() {
            tracing::debug!(
                wait_ms = wait.as_millis() as u64,
                "paced by --max-requests-per-second"
            );
        }
        loop {
            if self.is_halted() {
                return Err(Halted);
            }
            if wait.is_zero() {
                return Ok(());
            }
            let step = wait.min(HALT_CHECK);
            tokio::time::sleep(step).await;
            wait -= step;
        }
    }

    /// The keys taken out of listing pages since the last call.
    pub fn take_unlisted(&self) -> Vec<String> {
        std::mem::take(&mut *self.unlisted.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// How long to wait before the next request may go out.
    fn reserve(&self) -> Duration {
        let Some(pace) = &self.pace else {
            return Duration::ZERO;
        };
        let mut next = pace.next.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        let slot = (*next).max(now);
        *next = slot + pace.interval;
        slot - now
    }
}

/// Response headers of the storage-level facts, copied into the response's
/// extensions so they reach [`object_store::GetResult::extensions`].
#[derive(Clone, Debug)]
pub(super) struct Captured(pub HeaderMap);

#[derive(Debug)]
struct CountingService {
    inner: reqwest::Client,
    wire: Arc<Wire>,
}

#[async_trait::async_trait]
impl HttpService for CountingService {
    async fn call(&self, req: HttpRequest) -> Result<HttpResponse, HttpError> {
        self.wire
            .turn()
            .await
            .map_err(|h| HttpError::new(HttpErrorKind::Unknown, h))?;
        self.wire.requests.fetch_add(1, Ordering::Relaxed);
        let dialect = req.uri().query().and_then(Dialect::of_query);
        let (method, path) = (req.method().clone(), req.uri().path().to_string());
        let mut resp = self.inner.call(req).await?;
        tracing::debug!(%method, %path, status = resp.status().as_u16(), "request");
        if let (Some(dialect), true) = (dialect, resp.status().is_success()) {
            resp = self.filtered(resp, dialect).await?;
        }
        let kept: HeaderMap = resp
            .headers()
            .iter()
            .filter(|(k, _)| {
                let k = k.as_str();
                k.starts_with("x-amz-") || k.starts_with("x-ms-") || k.starts_with("x-goog-")
            })
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        resp.extensions_mut().insert(Captured(kept));
        Ok(resp)
    }
}

/// Listing pages larger than this are passed on as they are.
const MAX_PAGE: usize = 64 << 20;

impl CountingService {
    /// A listing page with the keys the client cannot represent taken out.
    async fn filtered(
        &self,
        resp: HttpResponse,
        dialect: Dialect,
    ) -> Result<HttpResponse, HttpError> {
        let (parts, body) = resp.into_parts();
        let bytes = body.bytes().await?;
        let text = match std::str::from_utf8(&bytes) {
            Ok(t) if bytes.len() <= MAX_PAGE => t,
            _ => return Ok(HttpResponse::from_parts(parts, bytes.into())),
        };
        if listing::truncated_without_token(text, dialect) {
            return Err(HttpError::new_boxed(
                HttpErrorKind::Decode,
                "a listing page marked truncated carries no continuation token".into(),
            ));
        }
        let (kept, rejected) = listing::filter(text, dialect);
        if !rejected.is_empty() {
            self.wire
                .unlisted
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .extend(rejected);
        }
        let body = kept.map_or(bytes, Bytes::from);
        Ok(HttpResponse::from_parts(parts, body.into()))
    }
}

#[derive(Debug)]
pub(super) struct Connector {
    pub wire: Arc<Wire>,
}

impl HttpConnector for Connector {
    fn connect(&self, _options: &ClientOptions) -> object_store::Result<HttpClient> {
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(30))
            .build()
            .map_err(|e| object_store::Error::Generic {
                store: "HTTP",
                source: Box::new(e),
            })?;
        Ok(HttpClient::new(CountingService {
            inner: client,
            wire: Arc::clone(&self.wire),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pace_spaces_requests() {
        let wire = Wire::new(Some(100.0));
        let waits: Vec<Duration> = (0..3).map(|_| wire.reserve()).collect();
        assert!(waits[2] >= Duration::from_millis(15), "{waits:?}");
    }

    #[test]
    fn a_halt_ends_the_wait_for_a_turn_and_refuses_the_rest() {
        let wire = Arc::new(Wire::new(Some(0.5)));
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        runtime.block_on(async {
            assert!(wire.turn().await.is_ok(), "the first request goes at once");
            let halter = Arc::clone(&wire);
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(100)).await;
                halter.halt();
            });
            // Its turn would come 2 s on; the halt ends the wait.
            let began = Instant::now();
            assert!(wire.turn().await.is_err());
            assert!(
                began.elapsed() < Duration::from_secs(1),
                "{:?}",
                began.elapsed()
            );
        });
        let unpaced = Wire::new(None);
        unpaced.halt();
        assert!(runtime.block_on(unpaced.turn()).is_err());
    }
}
