//! LIST, page by page; a large bucket in parallel by key range.
//!
//! A listing page holds 1,000 keys and each page needs the previous one's
//! continuation token, so one listing of 100 million keys is 100,000
//! requests in a row. Once a bucket proves large (`--listing auto`: five
//! pages; `parallel`: two), the rest of its key space is cut into ranges
//! listed side by side, at most `--concurrency` at once:
//!
//! 1. Split points: the common prefixes under the URL's prefix (delimiter
//!    `/`), looked into up to three levels while there are fewer than
//!    `4 × --concurrency`; a level with objects and no sub-folders is split
//!    by its next character (`calls/0`, `calls/1`, … `calls/~`).
//! 2. Range *i* is `[split i, split i+1)`: it is listed from a key just
//!    below its start (S3 and GCS `start-after`) and ends at the first key
//!    past its end. Each key is emitted only by the range holding it and
//!    only when greater than the last key the sequential pages emitted, so
//!    every key is emitted exactly once, whatever a store does with
//!    `start-after`. This relies on the store listing in UTF-8 binary
//!    order, as S3 and GCS document; Azure orders by UTF-16 code units, so
//!    Azure containers are listed page by page only.
//!
//! A range whose page gets no answer (after [`page`]'s own tries) is listed
//! again from its last key once the other ranges are done, alone. A range
//! that breaks again, or whose page is refused, is reported as an error of
//! its own, naming the keys it left unlisted, and the other ranges go on:
//! one failed request among hundreds costs its range, not the rest of the
//! bucket.
//!
//! Pages still pass through the HTTP layer that takes out keys the client
//! cannot represent (see `listing.rs`); neighbouring ranges may both see
//! such a key, so each is reported once. When the split points cannot be
//! found (a prefix the client cannot represent fails its page), the listing
//! simply goes on page by page.

use std::collections::HashSet;
use std::sync::Arc;

use futures::future::BoxFuture;
use futures::stream::{self, StreamExt, TryStreamExt};
use futures::FutureExt;
use object_store::list::{PaginatedListOptions, PaginatedListStore};
use object_store::ObjectMeta;

use super::errors::{is_answer, short_cause, shorten, MAX_LINE};
use super::{one_line, Bucket, Listing, Provider};
use crate::source::fs::WalkOptions;
use crate::source::{Event, Unread};

/// Pages listed one after another before `--listing auto` fans out.
const SEQUENTIAL_PAGES: usize = 5;
/// How many folder levels are looked into for split points.
const MAX_DEPTH: usize = 3;
/// Ranges per request in flight.
const RANGES_PER_REQUEST: usize = 4;

/// One part of the key space: `[from, to)`, listed from `start_after` on.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Range {
    from: Option<String>,
    to: Option<String>,
    start_after: String,
}

impl Range {
    /// Is `key` this range's to emit (above the floor, within the range)?
    fn holds(&self, key: &str, floor: &str) -> bool {
        // Above `start_after` too: a range listed again starts at the last
        // key it emitted, whatever a store does with `start-after`.
        key > floor
            && key > self.start_after.as_str()
            && self.from.as_deref().is_none_or(|f| key >= f)
            && self.to.as_deref().is_none_or(|t| key < t)
    }

    fn is_past(&self, key: &str) -> bool {
        self.to.as_deref().is_some_and(|t| key >= t)
    }

    /// What this range leaves unlisted when its pages stop after `listed`
    /// (the last key they returned, if any).
    fn broken(&self, floor: &str, listed: Option<&str>, error: object_store::Error) -> Broken {
        // The greatest key emitted before the break: the floor, the key a
        // range listed again starts after, or the last one listed.
        let after = [Some(floor), Some(self.start_after.as_str()), listed]
            .into_iter()
            .flatten()
            .max()
            .unwrap_or(floor);
        let from = match self.from.as_deref() {
            Some(from) if from > after => Some((from.to_string(), true)),
            _ if after.is_empty() => None,
            _ => Some((after.to_string(), false)),
        };
        let start_after = match listed {
            Some(l) if l > self.start_after.as_str() => l.to_string(),
            _ => self.start_after.clone(),
        };
        Broken {
            from,
            to: self.to.clone(),
            error,
            rest: Range {
                start_after,
                ..self.clone()
            },
        }
    }
}

/// A range that could not be listed to its end: the keys it left unlisted
/// and the failure.
struct Broken {
    /// The first unlisted key (`true`) or the key they follow (`false`);
    /// `None` from the bucket's first key.
    from: Option<(String, bool)>,
    /// The unlisted keys end before this key; `None` at the bucket's last.
    to: Option<String>,
    error: object_store::Error,
    /// The unlisted keys, as a range to list again.
    rest: Range,
}

/// The shortest a range's bound is cut to so that its error fits a line.
const SHORTEST_BOUND: usize = 16;

impl Broken {
    /// One line of at most [`MAX_LINE`] characters; the bounds give way to
    /// the cause.
    fn message(&self) -> String {
        const FRAME: &str = "listing of keys after \"\" up to \"\" broke off: ";
        let cause = short_cause(&self.error);
        let room = MAX_LINE.saturating_sub(FRAME.len() + cause.chars().count());
        let each = (room / 2).max(SHORTEST_BOUND);
        let lower = match &self.from {
            None => "from the first key".to_string(),
            Some((key, true)) => format!("from {:?}", shorten(key, each)),
            Some((key, false)) => format!("after {:?}", shorten(key, each)),
        };
        let upper = match &self.to {
            None => "to the last key".to_string(),
            Some(key) => format!("up to {:?}", shorten(key, each)),
        };
        shorten(
            &format!("listing of keys {lower} {upper} broke off: {cause}"),
            MAX_LINE,
        )
    }
}

/// A string just below `key` (and above anything that sorts between it and
/// `key` in practice): its last character lowered by one, followed by the
/// greatest character.
fn just_below(key: &str) -> String {
    let mut chars: Vec<char> = key.chars().collect();
    match chars.last().copied() {
        Some(c) if c.is_ascii_graphic() => {
            chars.pop();
            chars.push((c as u8 - 1) as char);
            chars.push(char::MAX);
        }
        _ => {
            chars.pop();
        }
    }
    chars.into_iter().collect()
}

/// Split points under a prefix that has no sub-folders: one per next
/// printable ASCII character. Keys with other next characters fall into
/// the first or last range.
fn by_character(root: &str) -> Vec<String> {
    ('!'..='~').map(|c| format!("{root}{c}")).collect()
}

/// The ranges covering everything above `floor`, from sorted split points.
fn ranges(splits: &[String], floor: &str, most: usize) -> Vec<Range> {
    let step = splits.len().div_ceil(most.max(1)).max(1);
    let chosen: Vec<&String> = splits.iter().step_by(step).collect();
    let mut out = Vec::new();
    for i in 0..=chosen.len() {
        let from = i.checked_sub(1).map(|j| chosen[j].clone());
        let to = chosen.get(i).map(|s| s.to_string());
        if to.as_deref().is_some_and(|t| t <= floor) {
            continue;
        }
        let below = from.as_deref().map(just_below);
        let start_after = match below {
            Some(b) if b.as_str() > floor => b,
            _ => floor.to_string(),
        };
        out.push(Range {
            from,
            to,
            start_after,
        });
    }
    out
}

fn root_of(bucket: &Bucket) -> Option<String> {
    (!bucket.url.prefix.is_empty()).then(|| format!("{}/", bucket.url.prefix))
}

/// Further attempts at one listing page after the connection broke or the
/// store did not answer in time.
const PAGE_RETRIES: u32 = 2;

/// One listing page, asked again after a transport failure. object_store
/// retries a request only within a budget as long as one request's
/// timeout, so a store slow to answer one LIST (a delimiter listing of a
/// large prefix on a busy server) would otherwise end the whole listing.
async fn page(
    lister: &dyn PaginatedListStore,
    root: Option<&str>,
    options: PaginatedListOptions,
) -> object_store::Result<object_store::list::PaginatedListResult> {
    let mut wait = std::time::Duration::from_secs(1);
    let mut attempt = 0;
    loop {
        match lister.list_paginated(root, options.clone()).await {
            Err(e) if attempt < PAGE_RETRIES && transport_failure(&e) => {
                tracing::info!(error = %one_line(&e), attempt, "listing page asked again");
                tokio::time::sleep(wait).await;
                (attempt, wait) = (attempt + 1, wait * 2);
            }
            answered => return answered,
        }
    }
}

/// The request never got a whole answer (a timeout, a connection closed
/// mid-body), as opposed to an answer that refused it. object_store keeps
/// the difference only in its text.
fn transport_failure(e: &object_store::Error) -> bool {
    matches!(e, object_store::Error::Generic { .. }) && e.to_string().contains("HTTP error")
}

/// Split points below `root`, sorted.
fn split_points(
    lister: Arc<dyn PaginatedListStore>,
    root: Option<String>,
    want: usize,
    depth: usize,
) -> BoxFuture<'static, object_store::Result<Vec<String>>> {
    async move {
        let options = PaginatedListOptions {
            delimiter: Some("/".into()),
            ..Default::default()
        };
        let page = page(&*lister, root.as_deref(), options).await?;
        let base = root.as_deref().unwrap_or("");
        let folders: Vec<String> = page
            .result
            .common_prefixes
            .iter()
            .map(|p| format!("{}/", p.as_ref()))
            .filter(|p| p.len() > base.len() && p.starts_with(base))
            .collect();
        if folders.is_empty() {
            return Ok(by_character(base));
        }
        if folders.len() >= want || depth + 1 >= MAX_DEPTH || page.page_token.is_some() {
            return Ok(folders);
        }
        let each = want.div_ceil(folders.len());
        let deeper: Vec<Vec<String>> = stream::iter(
            folders
                .iter()
                .map(|f| split_points(Arc::clone(&lister), Some(f.clone()), each, depth + 1))
                .collect::<Vec<_>>(),
        )
        .buffered(8)
        .try_collect()
        .await?;
        let mut all = folders;
        all.extend(deeper.into_iter().flatten());
        all.sort_unstable();
        all.dedup();
        Ok(all)
    }
    .boxed()
}

/// The objects of one range, a page at a time; a failed page ends the
/// range with what it left unlisted.
fn range_pages(
    lister: Arc<dyn PaginatedListStore>,
    root: Option<String>,
    range: Range,
    floor: String,
) -> stream::BoxStream<'static, Result<Vec<ObjectMeta>, Broken>> {
    struct At {
        token: Option<String>,
        listed: Option<String>,
        done: bool,
        tokens: Tokens,
    }
    let start = At {
        token: None,
        listed: None,
        done: false,
        tokens: Tokens::default(),
    };
    stream::unfold(start, move |mut at| {
        let (lister, root, range, floor) = (
            Arc::clone(&lister),
            root.clone(),
            range.clone(),
            floor.clone(),
        );
        async move {
            if at.done {
                return None;
            }
            let options = PaginatedListOptions {
                offset: at.token.is_none().then(|| range.start_after.clone()),
                page_token: at.token.clone(),
                ..Default::default()
            };
            let page = match page(&*lister, root.as_deref(), options).await {
                Ok(page) => page,
                Err(error) => {
                    let broken = range.broken(&floor, at.listed.as_deref(), error);
                    at.done = true;
                    return Some((Err(broken), at));
                }
            };
            if let Some(error) = at.tokens.repeated(page.page_token.as_deref()) {
                let broken = range.broken(&floor, at.listed.as_deref(), error);
                at.done = true;
                return Some((Err(broken), at));
            }
            let listed = page
                .result
                .objects
                .last()
                .map(|m| m.location.to_string())
                .or(at.listed);
            let mut past = false;
            let mut kept = Vec::new();
            for meta in page.result.objects {
                let key = meta.location.as_ref();
                if range.is_past(key) {
                    past = true;
                } else if range.holds(key, &floor) {
                    kept.push(meta);
                }
            }
            let done = past || page.page_token.is_none();
            Some((
                Ok(kept),
                At {
                    token: page.page_token,
                    listed,
                    done,
                    tokens: at.tokens,
                },
            ))
        }
    })
    .boxed()
}

/// The continuation tokens a listing has been given. A store that hands
/// out a token again (the one it was asked with, or one from pages back)
/// would be listed forever, the same objects counted again each time, so
/// the listing breaks off there. Tokens are compared, not keys: not every
/// store lists in key order (Azure Data Lake lists depth first). One hash
/// per page: 100,000 of them for 100 million keys.
#[derive(Default)]
struct Tokens(HashSet<u64>);

impl Tokens {
    fn repeated(&mut self, next: Option<&str>) -> Option<object_store::Error> {
        use std::hash::{Hash, Hasher};
        let next = next?;
        let mut h = std::collections::hash_map::DefaultHasher::new();
        next.hash(&mut h);
        (!self.0.insert(h.finish())).then(|| object_store::Error::Generic {
            store: "listing",
            source: "the endpoint gave a continuation token it had given before; \
                     its pages would repeat forever"
                .into(),
        })
    }
}

/// One listing's emitter: objects to the scan, each unrepresentable key
/// once.
struct Run<'a> {
    bucket: &'a Arc<Bucket>,
    index: usize,
    walk: &'a WalkOptions,
    emit: &'a mut dyn FnMut(Event) -> bool,
    reported: HashSet<String>,
}

impl Run<'_> {
    /// Reports the keys the HTTP layer took out of the pages since last
    /// asked; `false` when the scan says stop.
    fn unlisted(&mut self) -> bool {
        for key in self.bucket.wire.take_unlisted() {
            if !self.walk.in_shard(&key) || !self.reported.insert(key.clone()) {
                continue;
            }
            if !self.bucket.unrepresentable(self.index, &key, self.emit) {
                return false;
            }
        }
        true
    }

    fn offer(&mut self, meta: ObjectMeta) -> bool {
        self.bucket.offer(self.index, meta, self.walk, self.emit)
    }

    /// One range could not be listed to its end; `false` when the scan
    /// says stop.
    fn range_broke(&mut self, broken: &Broken) -> bool {
        (self.emit)(Event::Unread(
            self.index,
            Unread::Failed {
                location: self.bucket.url.to_string(),
                message: broken.message(),
            },
        ))
    }

    fn broke(&mut self, e: &object_store::Error) {
        (self.emit)(Event::Unread(
            self.index,
            Unread::Failed {
                location: self.bucket.url.to_string(),
                message: format!("listing broke off: {}", one_line(e)),
            },
        ));
    }
}

/// Lists the URL's prefix: page by page, then (when the bucket is large
/// and `--listing` allows) the rest in parallel ranges.
pub(super) fn list(
    bucket: &Arc<Bucket>,
    index: usize,
    walk: &WalkOptions,
    emit: &mut dyn FnMut(Event) -> bool,
) {
    let root = root_of(bucket);
    let mut run = Run {
        bucket,
        index,
        walk,
        emit,
        reported: HashSet::new(),
    };
    // Keys the pre-flight page set aside come again with the first page.
    bucket.wire.take_unlisted();
    let mut fan_out_after = match bucket.listing {
        _ if bucket.url.provider == Provider::Azure => None,
        Listing::Sequential => None,
        Listing::Auto => Some(SEQUENTIAL_PAGES),
        Listing::Parallel => Some(1),
    };
    let mut token: Option<String> = None;
    let mut last: Option<String> = None;
    let mut pages = 0;
    let mut tokens = Tokens::default();
    loop {
        let options = PaginatedListOptions {
            page_token: token.take(),
            ..Default::default()
        };
        let page = bucket
            .runtime
            .block_on(page(&*bucket.lister, root.as_deref(), options));
        if !run.unlisted() {
            return;
        }
        let page = match page {
            Ok(page) => page,
            Err(e) => return run.broke(&e),
        };
        if let Some(e) = tokens.repeated(page.page_token.as_deref()) {
            return run.broke(&e);
        }
        for meta in page.result.objects {
            last = Some(meta.location.to_string());
            if !run.offer(meta) {
                return;
            }
        }
        let Some(next) = page.page_token else {
            return;
        };
        token = Some(next);
        pages += 1;
        if let (Some(after), Some(floor)) = (fan_out_after, &last) {
            if pages >= after {
                fan_out_after = None;
                let most = RANGES_PER_REQUEST * bucket.concurrency;
                let planned = bucket.runtime.block_on(split_points(
                    Arc::clone(&bucket.lister),
                    root.clone(),
                    most,
                    0,
                ));
                // Planning requests may have set keys aside: they come again.
                bucket.wire.take_unlisted();
                match planned {
                    Ok(splits) => {
                        let ranges = ranges(&splits, floor, most);
                        if ranges.len() > 1 {
                            let floor = floor.clone();
                            return in_parallel(&mut run, root, ranges, floor);
                        }
                    }
                    Err(e) => tracing::info!(
                        target = %bucket.url,
                        error = %one_line(&e),
                        "no split points; listing page by page"
                    ),
                }
            }
        }
    }
}

/// Lists the ranges side by side. A range that got no answer (after
/// [`page`]'s tries) is listed again from where it stopped once the others
/// are done, one range at a time: a store overloaded by many listings at
/// once may well answer one. Only a second break, or an answer that
/// refuses (a 4xx other than 408 and 429), is an error.
fn in_parallel(run: &mut Run<'_>, root: Option<String>, ranges: Vec<Range>, floor: String) {
    let bucket = run.bucket;
    tracing::info!(target = %bucket.url, ranges = ranges.len(), "listing in parallel");
    let width = bucket.concurrency.min(ranges.len());
    let Some(again) = list_ranges(run, &root, ranges, &floor, width, true) else {
        return;
    };
    if !again.is_empty() {
        tracing::info!(target = %bucket.url, ranges = again.len(), "ranges listed again, one at a time");
        list_ranges(run, &root, again, &floor, 1, false);
    }
}

/// Lists `ranges`, `width` at once; the ranges to list again (when
/// `retry`), or `None` when the scan says stop.
fn list_ranges(
    run: &mut Run<'_>,
    root: &Option<String>,
    ranges: Vec<Range>,
    floor: &str,
    width: usize,
    retry: bool,
) -> Option<Vec<Range>> {
    let bucket = run.bucket;
    let lister = Arc::clone(&bucket.lister);
    let (root, floor) = (root.clone(), floor.to_string());
    let mut pages = stream::iter(ranges)
        .map(move |r| range_pages(Arc::clone(&lister), root.clone(), r, floor.clone()))
        .flatten_unordered(width);
    let mut again = Vec::new();
    loop {
        let next = bucket.runtime.block_on(pages.next());
        if !run.unlisted() {
            return None;
        }
        match next {
            None => return Some(again),
            Some(Err(broken)) if retry && !is_answer(&broken.error) => {
                tracing::info!(error = %one_line(&broken.error), "range to list again");
                again.push(broken.rest);
            }
            Some(Err(broken)) => {
                if !run.range_broke(&broken) {
                    return None;
                }
            }
            Some(Ok(objects)) => {
                for meta in objects {
                    if !run.offer(meta) {
                        return None;
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_cover_the_key_space_above_the_floor_once() {
        let splits: Vec<String> = ["a/", "b/", "b/x/", "c/"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let rs = ranges(&splits, "a/5", 100);
        assert_eq!(rs.len(), 4, "{rs:?}");
        assert_eq!(rs[0].from.as_deref(), Some("a/"));
        assert_eq!(rs[0].start_after, "a/5");
        assert_eq!(rs[1].start_after, format!("b.{}", char::MAX));
        for key in [
            "a/6", "a/z", "b", "b-old", "b/", "b/x", "b/x/1", "c/", "c/9", "zz", "é",
        ] {
            let holders = rs.iter().filter(|r| r.holds(key, "a/5")).count();
            assert_eq!(holders, 1, "{key}");
        }
        for key in ["a/", "a/4", "0"] {
            assert!(rs.iter().all(|r| !r.holds(key, "a/5")), "{key}");
        }
        // Listed again after "b/m": what came before is not emitted twice,
        // even from a store that ignores `start-after`.
        let again = Range {
            start_after: "b/m".into(),
            ..rs[1].clone()
        };
        assert!(!again.holds("b/c", "a/5") && !again.holds("b/m", "a/5"));
        assert!(again.holds("b/n", "a/5"));
    }

    /// A token given again, right away or pages later, stops a listing;
    /// keys are not compared (some stores list depth first).
    #[test]
    fn a_continuation_token_given_twice_stops_the_listing() {
        let mut tokens = Tokens::default();
        for t in ["a", "b", "c"] {
            assert!(tokens.repeated(Some(t)).is_none());
        }
        assert!(tokens.repeated(None).is_none());
        assert!(tokens.repeated(Some("c")).is_some());
        assert!(tokens.repeated(Some("a")).is_some());
    }

    #[test]
    fn many_split_points_are_thinned_to_the_range_budget() {
        let splits: Vec<String> = (0..1000).map(|i| format!("k/{i:04}/")).collect();
        let rs = ranges(&splits, "", 64);
        assert!((60..=70).contains(&rs.len()), "{}", rs.len());
        let flat = by_character("calls/");
        assert_eq!(flat.first().map(String::as_str), Some("calls/!"));
        assert_eq!(flat.last().map(String::as_str), Some("calls/~"));
        assert!(just_below("calls/").as_str() < "calls/");
        assert!(just_below("calls/").as_str() > "calls.wav");
    }

    #[test]
    fn a_broken_range_names_the_keys_it_left_unlisted_in_one_line() {
        let splits: Vec<String> = ["calls/41/", "calls/57/"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let rs = ranges(&splits, "calls/00/9.wav", 100);
        let denied = || {
            object_store::Error::Generic {
            store: "S3",
            source: "Error performing GET http://h/b?list-type=2 in 1ms - Server returned non-2xx status code: 403 Forbidden: <Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>".into(),
        }
        };
        let line = rs[1].broken("calls/00/9.wav", None, denied()).message();
        assert_eq!(
            line,
            "listing of keys from \"calls/41/\" up to \"calls/57/\" broke off: HTTP 403 AccessDenied (Access Denied)"
        );
        let line = rs[1]
            .broken("calls/00/9.wav", Some("calls/44/1.wav"), denied())
            .message();
        assert!(
            line.starts_with("listing of keys after \"calls/44/1.wav\" up to \"calls/57/\""),
            "{line}"
        );
        let line = rs[0].broken("calls/00/9.wav", None, denied()).message();
        assert!(
            line.starts_with("listing of keys after \"calls/00/9.wav\" up to"),
            "{line}"
        );
        let line = rs[2].broken("calls/00/9.wav", None, denied()).message();
        assert!(
            line.contains(" to the last key broke off: HTTP 403"),
            "{line}"
        );
        let long = Range {
            from: Some(format!("{}/", "x".repeat(300))),
            to: Some(format!("{}\n/", "y".repeat(300))),
            start_after: String::new(),
        };
        let line = long.broken("", None, denied()).message();
        assert!(line.chars().count() <= MAX_LINE, "{line}");
        assert!(!line.contains('\n'), "{line}");
        assert!(
            line.ends_with("HTTP 403 AccessDenied (Access Denied)"),
            "{line}"
        );
    }
}
