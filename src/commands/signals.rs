//! SIGINT, SIGTERM and SIGHUP (Ctrl-C, a cancelled CI job, a Kubernetes
//! deadline, a closed terminal or dropped ssh session): the first asks the
//! scan to stop and report what it has (exit 3); a second ends the process
//! at once, leaving no temporary report file behind. While buckets are
//! still being connected nothing has been read, and the first ends it at
//! once too.

use std::sync::Arc;

use anyhow::{Context, Result};
use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
use signal_hook::iterator::Signals;

use crate::exit::Exit;
use crate::output;
use crate::pipeline::Stop;

pub(super) fn install(stop: &Arc<Stop>) -> Result<()> {
    let mut signals = Signals::new([SIGINT, SIGTERM, SIGHUP])
        .context("cannot listen for SIGINT, SIGTERM and SIGHUP")?;
    let stop = Arc::clone(stop);
    std::thread::Builder::new()
        .name("atrest-signals".into())
        .spawn(move || {
            for signal in signals.forever() {
                let name = match signal {
                    SIGINT => "SIGINT",
                    SIGHUP => "SIGHUP",
                    _ => "SIGTERM",
                };
                if stop.is_set() {
                    output::discard_pending();
                    output::error(&format!("{name} again: stopped at once, no report"));
                    std::process::exit(i32::from(Exit::Incomplete.code()));
                }
                if !stop.scanning() {
                    output::discard_pending();
                    output::error(&format!(
                        "{name} while connecting, before any object was read: stopped, no report"
                    ));
                    std::process::exit(i32::from(Exit::Incomplete.code()));
                }
                stop.request(name);
                output::info(&format!(
                    "{name}: stopping; objects in progress finish, then the report is written (again to quit at once)"
                ));
            }
        })
        .context("cannot start the signal thread")?;
    Ok(())
}
