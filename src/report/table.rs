//! The human report: fits 80 columns, colours only when asked (a terminal
//! without `NO_COLOR`), and shows every name through [`sanitize`] because an
//! attacker chooses file names and a terminal obeys escape sequences.

use std::collections::BTreeMap;
use std::io::{self, Write};

use super::{Finding, Report};
use crate::rules::{RuleSet, Severity};
use crate::sniff::AtRest;

const WIDTH: usize = 80;

/// Control characters (line breaks and the escape that starts terminal
/// sequences among them), zero-width characters, line and paragraph
/// separators and bidirectional controls: text that would not read as
/// what it says.
pub fn unprintable(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200b}'..='\u{200f}' | '\u{2028}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Replaces control characters (and the escape that starts terminal
/// sequences), line and paragraph separators and bidirectional controls
/// with visible `\xNN` escapes.
pub fn sanitize(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if unprintable(c) {
            for b in c.to_string().bytes() {
                out.push_str(&format!("\\x{b:02x}"));
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// A member name as the table shows it. Locations arrive escaped (their
/// backslashes doubled); member names do not, and a backslash of the name
/// must not read as the start of an escape the table wrote.
pub(crate) fn sanitize_member(m: &str) -> String {
    sanitize(&m.replace('\\', "\\\\"))
}

/// Shortens `s` to `max` characters, keeping both ends (the file name matters).
fn fit(s: &str, max: usize) -> String {
    let chars: Vec<char> = s.chars().collect();
    if chars.len() <= max {
        return s.to_string();
    }
    let keep = max.saturating_sub(1);
    let front = keep / 3;
    let back = keep - front;
    chars[..front]
        .iter()
        .chain(['…'].iter())
        .chain(chars[chars.len() - back..].iter())
        .collect()
}

fn paint(text: &str, severity: Severity, color: bool) -> String {
    if !color {
        return text.to_string();
    }
    let code = match severity {
        Severity::Critical => "1;35",
        Severity::High => "1;31",
        Severity::Medium => "33",
        Severity::Low => "36",
    };
    format!("\x1b[{code}m{text}\x1b[0m")
}

pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut unit = 0;
    while v >= 1024.0 && unit < UNITS.len() - 1 {
        v /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[unit])
    }
}

/// A rule's findings are listed one by one up to this many; beyond, by folder.
const LIST: usize = 12;
/// Folders (or bucket prefixes) shown for a rule with many findings.
const FOLDERS: usize = 8;
/// Error and limit lines shown before "… N more".
const ENTRIES: usize = 10;

/// How the object store protected an object, in the words people use.
fn storage(s: AtRest) -> &'static str {
    match s {
        AtRest::Unknown => "-",
        AtRest::None => "none",
        AtRest::Provider => "SSE",
        AtRest::Kms => "SSE-KMS",
        AtRest::CustomerKey => "SSE-C",
    }
}

/// The folder (or bucket prefix) of a location, with its trailing `/`.
fn folder(location: &str) -> &str {
    location
        .rsplit_once('/')
        .map_or("./", |(d, _)| &location[..=d.len()])
}

/// Words wrapped to `width`, the first line after `lead`, the rest indented.
fn wrap(lead: &str, text: &str, width: usize) -> Vec<String> {
    let indent = " ".repeat(lead.chars().count());
    let mut lines = vec![lead.to_string()];
    for word in text.split_whitespace() {
        let last = lines.last_mut().expect("one line at least");
        let fresh = last.chars().count() == indent.chars().count();
        if !fresh && last.chars().count() + 1 + word.chars().count() > width {
            lines.push(format!("{indent}{word}"));
        } else {
            if !fresh {
                last.push(' ');
            }
            last.push_str(word);
        }
    }
    lines
}

pub fn write(report: &Report, rules: &RuleSet, color: bool, out: &mut dyn Write) -> io::Result<()> {
    // Findings grouped by rule: worst severity first, then the most frequent.
    let mut groups: BTreeMap<&str, Vec<&Finding>> = BTreeMap::new();
    for f in &report.findings {
        groups.entry(f.rule.as_str()).or_default().push(f);
    }
    let mut groups: Vec<(&str, Vec<&Finding>)> = groups.into_iter().collect();
    groups.sort_by(|a, b| {
        b.1[0]
            .severity
            .cmp(&a.1[0].severity)
            .then_with(|| b.1.len().cmp(&a.1.len()))
            .then_with(|| a.0.cmp(b.0))
    });
    if groups.is_empty() {
        writeln!(out, "No findings.")?;
    }
    for (id, findings) in &groups {
        let rule = rules.rules.iter().find(|r| r.id == *id);
        let title = rule.map_or(*id, |r| r.title.as_str());
        let severity = findings[0].severity;
        let sev = format!("{:<8}", severity.as_str().to_uppercase());
        writeln!(
            out,
            "{} {} ({})",
            paint(&sev, severity, color),
            fit(title, WIDTH - 18),
            findings.len()
        )?;
        writeln!(out, "         rule {id}")?;
        if findings.len() <= LIST {
            let width = findings
                .iter()
                .map(|f| f.format.len())
                .max()
                .unwrap_or(6)
                .max(6);
            writeln!(out, "  {:<width$}  STORAGE  LOCATION", "FORMAT")?;
            for f in findings {
                let mut place = sanitize(&f.location);
                if let Some(m) = &f.member {
                    place = format!("{place} ! {}", sanitize_member(m));
                }
                let used = 2 + width + 2 + 7 + 2;
                writeln!(
                    out,
                    "  {:<width$}  {:<7}  {}",
                    f.format,
                    storage(f.storage),
                    fit(&place, WIDTH.saturating_sub(used).max(20))
                )?;
            }
        } else {
            let mut by_folder: BTreeMap<&str, u64> = BTreeMap::new();
            for f in findings {
                *by_folder.entry(folder(&f.location)).or_default() += 1;
            }
            let mut folders: Vec<_> = by_folder.into_iter().collect();
            folders.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
            writeln!(out, "  OBJECTS  FOLDER")?;
            for (dir, n) in folders.iter().take(FOLDERS) {
                writeln!(out, "  {n:>7}  {}", fit(&sanitize(dir), WIDTH - 11))?;
            }
            if folders.len() > FOLDERS {
                writeln!(
                    out,
                    "  … {} more folders (every finding: --format json)",
                    folders.len() - FOLDERS
                )?;
            } else {
                writeln!(out, "  (every finding: --format json)")?;
            }
        }
        if let Some(fix) = rule
            .map(|r| r.remediation.as_str())
            .filter(|r| !r.is_empty())
        {
            for line in wrap("  what to do: ", fix, WIDTH) {
                writeln!(out, "{line}")?;
            }
        }
        writeln!(out)?;
    }
    if !report.exposure.is_empty() {
        writeln!(out, "who can read the buckets without credentials:")?;
        for (url, e) in &report.exposure {
            let line = format!("  {:<11}  {}", e.exposure.as_str(), sanitize(url));
            let warn = if e.exposure.is_public() {
                paint(&line, Severity::Critical, color)
            } else {
                line
            };
            writeln!(out, "{warn}")?;
            writeln!(
                out,
                "               {}",
                fit(&sanitize(&e.basis), WIDTH - 15)
            )?;
        }
        writeln!(out)?;
    }
    if !report.suppressed.is_empty() {
        let mut why: BTreeMap<(&str, &str), u64> = BTreeMap::new();
        for x in &report.suppressed {
            *why.entry((x.by.as_str(), x.reason.as_str())).or_default() += 1;
        }
        writeln!(out, "suppressed ({}):", report.suppressed.len())?;
        for ((by, reason), n) in why.iter().take(ENTRIES) {
            writeln!(
                out,
                "  {n:>5}  {}",
                fit(&sanitize(&format!("{by}: {reason}")), WIDTH - 9)
            )?;
        }
        if why.len() > ENTRIES {
            writeln!(out, "  … {} more reasons", why.len() - ENTRIES)?;
        }
    }
    for e in report.errors.iter().take(ENTRIES) {
        writeln!(
            out,
            "error: {}",
            fit(
                &format!("{}: {}", sanitize(&e.location), sanitize(&e.message)),
                WIDTH - 7
            )
        )?;
    }
    if report.errors.len() > ENTRIES {
        writeln!(
            out,
            "error: … {} more (see --format json)",
            report.errors.len() - ENTRIES
        )?;
    }
    let mut limits: BTreeMap<&str, Vec<&crate::report::LimitEntry>> = BTreeMap::new();
    for l in &report.limits {
        limits.entry(l.limit.as_str()).or_default().push(l);
    }
    for (limit, hits) in &limits {
        let first = hits[0];
        let place = first
            .member
            .as_ref()
            .map_or(sanitize(&first.location), |m| {
                format!("{} ! {}", sanitize(&first.location), sanitize_member(m))
            });
        let more = if hits.len() > 1 {
            format!(" (and {} more)", hits.len() - 1)
        } else {
            String::new()
        };
        writeln!(
            out,
            "limit {limit}: {}{more}",
            fit(&place, WIDTH - 8 - limit.len() - more.len())
        )?;
    }
    if let Some(objects) = &report.objects {
        inventory(objects, out)?;
    }
    summary(report, out)
}

/// `--inventory` in the table: what the scanned objects were, by format.
fn inventory(objects: &[crate::report::ObjectEntry], out: &mut dyn Write) -> io::Result<()> {
    let mut by: BTreeMap<(String, String), (u64, u64)> = BTreeMap::new();
    for o in objects {
        let class = o.class.map_or_else(|| o.state.clone(), |c| c.to_string());
        let format = o.format.clone().unwrap_or_else(|| "-".into());
        let e = by.entry((class, format)).or_default();
        e.0 += 1;
        e.1 += o.size.unwrap_or(0);
    }
    writeln!(out, "inventory ({} objects and members):", objects.len())?;
    writeln!(
        out,
        "  {:<16} {:<20} {:>9} {:>12}",
        "CLASS", "FORMAT", "OBJECTS", "BYTES"
    )?;
    for ((class, format), (n, bytes)) in &by {
        writeln!(
            out,
            "  {:<16} {:<20} {:>9} {:>12}",
            fit(class, 16),
            fit(format, 20),
            n,
            human_bytes(*bytes)
        )?;
    }
    writeln!(out)
}

fn summary(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let s = &report.summary;
    let skipped: u64 = s.skipped.values().sum();
    write!(
        out,
        "{} objects seen, {} scanned, {} skipped, {} unreadable; {} read",
        s.objects_seen,
        s.objects_scanned,
        skipped,
        s.errors,
        human_bytes(s.bytes_read)
    )?;
    if s.requests > 0 {
        write!(out, " in {} requests", s.requests)?;
    }
    if s.unchanged > 0 {
        write!(out, "; {} unchanged since the last run", s.unchanged)?;
    }
    writeln!(out)?;
    let c = &s.by_class;
    writeln!(
        out,
        "classes: audio {}, biometric {}, encrypted {}, compressed {}, other {}",
        c.audio, c.biometric, c.encrypted, c.compressed, c.other
    )?;
    let v = &s.by_severity;
    writeln!(
        out,
        "findings: {} (critical {}, high {}, medium {}, low {}); {} suppressed",
        s.findings, v.critical, v.high, v.medium, v.low, s.suppressed
    )?;
    if skipped > 0 {
        let parts: Vec<String> = s
            .skipped
            .iter()
            .filter(|(_, n)| **n > 0)
            .map(|(k, n)| format!("{k} {n}"))
            .collect();
        writeln!(out, "skipped: {}", parts.join(", "))?;
    }
    if let Some(why) = &report.stopped_by {
        writeln!(out, "incomplete: stopped early ({why})")?;
    } else if !report.complete {
        writeln!(
            out,
            "incomplete: {} error(s): objects not read, or the walk or the state failing",
            s.errors
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_and_escapes_are_made_visible() {
        assert_eq!(sanitize("a\x1b[31mb\n"), "a\\x1b[31mb\\x0a");
        assert_eq!(sanitize("calls/ü.wav"), "calls/ü.wav");
        assert_eq!(sanitize("x\u{202e}y"), "x\\xe2\\x80\\xaey");
        // A member named with a backslash is not shown as one with an ESC.
        assert_eq!(sanitize_member("back\\x1b.wav"), "back\\\\x1b.wav");
        assert_eq!(sanitize_member("back\x1b.wav"), "back\\x1b.wav");
    }

    #[test]
    fn severities_are_painted_only_when_asked() {
        assert_eq!(paint("high", Severity::High, false), "high");
        assert_eq!(paint("high", Severity::High, true), "\x1b[1;31mhigh\x1b[0m");
    }

    #[test]
    fn remediation_wraps_under_its_lead() {
        let lines = wrap("  what to do: ", &"encrypt it ".repeat(20), 40);
        assert!(lines.len() > 2);
        assert!(lines.iter().all(|l| l.chars().count() <= 40), "{lines:?}");
        assert!(lines[1].starts_with("              encrypt"));
        assert_eq!(folder("s3://b/calls/a.wav"), "s3://b/calls/");
        assert_eq!(folder("a.wav"), "./");
    }

    #[test]
    fn long_names_keep_both_ends() {
        let s = fit(&"a".repeat(50), 20);
        assert_eq!(s.chars().count(), 20);
        assert!(s.contains('…'));
    }
}
