//! Helpers shared by the integration test crates.

use serde_json::Value;

/// `objects_seen = objects_scanned + Σ skipped + errors` (the contract).
pub fn assert_reconciles(summary: &Value) {
    let n = |k: &str| summary[k].as_u64().unwrap();
    let skipped: u64 = summary["skipped"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert_eq!(
        n("objects_seen"),
        n("objects_scanned") + skipped + n("errors"),
        "the summary reconciles: {summary}"
    );
}
