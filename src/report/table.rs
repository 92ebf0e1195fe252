//! The human report: fits 80 columns, colours only when asked (a terminal
//! without `NO_COLOR`), and shows every name through [`sanitize`] because an
//! attacker chooses file names and a terminal obeys escape sequences.

use std::collections::BTreeMap;
use std::io::{self, Write};

use super::Report;
use crate::rules::Severity;

const WIDTH: usize = 80;

/// Replaces control characters (and the escape that starts terminal
/// sequences) with visible `\xNN` escapes.
pub fn sanitize(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_control()
            || matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
        {
            for b in c.to_string().bytes() {
                out.push_str(&format!("\\x{b:02x}"));
            }
        } else {
            out.push(c);
        }
    }
    out
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

fn human_bytes(n: u64) -> String {
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

pub fn write(report: &Report, color: bool, out: &mut dyn Write) -> io::Result<()> {
    let mut findings: Vec<_> = report.findings.iter().collect();
    // Worst first; within a severity, by location (the stable order of the model).
    findings.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| (&a.location, &a.member, &a.rule).cmp(&(&b.location, &b.member, &b.rule)))
    });
    if findings.is_empty() {
        writeln!(out, "No findings.")?;
    } else {
        writeln!(
            out,
            "SEVERITY  RULE                       FORMAT       ENCRYPTION"
        )?;
    }
    for f in &findings {
        let sev = format!("{:<9}", f.severity.as_str());
        writeln!(
            out,
            "{} {:<26} {:<12} {}",
            paint(&sev, f.severity, color),
            fit(&f.rule, 26),
            fit(&f.format, 12),
            f.encryption
        )?;
        let mut place = sanitize(&f.location);
        if let Some(m) = &f.member {
            place = format!("{place} ! {}", sanitize(m));
        }
        writeln!(out, "  {}", fit(&place, WIDTH - 2))?;
    }
    let s = &report.summary;
    writeln!(out)?;
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
    // Where: findings per folder (or bucket prefix), most first.
    if !findings.is_empty() {
        let mut by_dir: BTreeMap<String, u64> = BTreeMap::new();
        for f in &findings {
            let dir = f
                .location
                .rsplit_once('/')
                .map_or(".", |(d, _)| d)
                .to_string();
            *by_dir.entry(dir).or_default() += 1;
        }
        let mut dirs: Vec<_> = by_dir.into_iter().collect();
        dirs.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        writeln!(out, "where:")?;
        for (dir, n) in dirs.iter().take(10) {
            writeln!(out, "  {n:>6}  {}", fit(&sanitize(dir), WIDTH - 10))?;
        }
        if dirs.len() > 10 {
            writeln!(out, "  … and {} more folders", dirs.len() - 10)?;
        }
    }
    for e in &report.errors {
        writeln!(
            out,
            "error: {}",
            fit(
                &format!("{}: {}", sanitize(&e.location), sanitize(&e.message)),
                WIDTH - 7
            )
        )?;
    }
    for l in &report.limits {
        let place = l.member.as_ref().map_or(sanitize(&l.location), |m| {
            format!("{} ! {}", sanitize(&l.location), sanitize(m))
        });
        writeln!(
            out,
            "limit {}: {}",
            l.limit,
            fit(&place, WIDTH - 8 - l.limit.len())
        )?;
    }
    if !report.complete {
        writeln!(out, "incomplete: {} object(s) could not be read", s.errors)?;
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
    }

    #[test]
    fn severities_are_painted_only_when_asked() {
        assert_eq!(paint("high", Severity::High, false), "high");
        assert_eq!(paint("high", Severity::High, true), "\x1b[1;31mhigh\x1b[0m");
    }

    #[test]
    fn long_names_keep_both_ends() {
        let s = fit(&"a".repeat(50), 20);
        assert_eq!(s.chars().count(), 20);
        assert!(s.contains('…'));
    }
}
