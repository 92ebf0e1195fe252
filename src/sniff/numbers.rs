//! Samples written out as decimal numbers: a dataset exported to JSON (an
//! audio column becomes `"array": [0.0012, -0.0031, …]`), `numpy.savetxt`,
//! a spreadsheet of one or a few columns. The text is plain and the
//! recording is in it, so the numbers are read back and judged as the
//! samples of a dataset's tensor are ([`super::dataset::waveform`]).

use std::ops::Range;

use super::dataset::waveform;

/// Fewer samples than this are too short to tell a recording from a table
/// of measurements by statistics. Twice what a tensor needs: tables of
/// numbers are far more common in text than float tensors in datasets,
/// and as long as headerless PCM needs (8 KiB of 16-bit samples).
pub(crate) const MIN_SAMPLES: usize = 4096;

/// The shortest text that can hold [`MIN_SAMPLES`] numbers (`0,` each).
pub(crate) const MIN_STRETCH: usize = 2 * MIN_SAMPLES;

/// At most this many numbers are read from one stretch: the widest table
/// judged (four columns) then still has [`MIN_SAMPLES`] rows twice over.
const MAX_NUMBERS: usize = 8 * MIN_SAMPLES;

/// The most columns a table of samples is read as (a time column beside
/// one channel, stereo, a few channels).
const MAX_COLUMNS: usize = 4;

/// Bytes a stretch of written numbers may hold: the numbers themselves
/// and what separates them in JSON, CSV, TSV and Python or NumPy output.
const IN_STRETCH: [bool; 256] = {
    let mut table = [false; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        table[c] = b.is_ascii_digit()
            || matches!(
                b,
                b'.' | b'-'
                    | b'+'
                    | b'e'
                    | b'E'
                    | b','
                    | b';'
                    | b' '
                    | b'\t'
                    | b'\n'
                    | b'\r'
                    | b'['
                    | b']'
                    | b'('
                    | b')'
            );
        c += 1;
    }
    table
};

/// Whether a stretch of written numbers may hold `c`.
pub(crate) fn in_stretch(c: u8) -> bool {
    IN_STRETCH[usize::from(c)]
}

/// Bytes of one number.
fn in_number(c: u8) -> bool {
    c.is_ascii_digit() || matches!(c, b'.' | b'-' | b'+' | b'e' | b'E')
}

/// Stretches of at least [`MIN_STRETCH`] bytes that only numbers and their
/// separators fill, up to `max` of them. A window of that length is judged
/// from its far end back, and the first byte found that no stretch holds
/// moves it past that byte: prose costs a few bytes looked at per window.
pub(crate) fn stretches(text: &[u8], max: usize) -> Vec<Range<usize>> {
    let mut found = Vec::new();
    // The window is `at..at + MIN_STRETCH`; `at..known` hold no stop.
    let (mut at, mut known) = (0, 0);
    while found.len() < max {
        let last = at + MIN_STRETCH - 1;
        if last >= text.len() {
            break;
        }
        match text[known..=last].iter().rposition(|&c| !in_stretch(c)) {
            Some(stop) => (at, known) = (known + stop + 1, last + 1),
            None => {
                let end = text[last + 1..]
                    .iter()
                    .position(|&c| !in_stretch(c))
                    .map_or(text.len(), |p| last + 1 + p);
                found.push(at..end);
                (at, known) = (end, end);
            }
        }
    }
    found
}

/// A recording found written out as numbers.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Written {
    /// Numbers read.
    pub numbers: usize,
    /// The table's width as read, and the column that holds the signal.
    pub columns: usize,
    pub column: usize,
    /// Samples judged, and the best lag-1 autocorrelation among them.
    pub judged: usize,
    pub rho: f64,
}

/// The numbers of a stretch, and how many of its tokens were no number.
fn parse(chars: &[u8]) -> (Vec<f64>, usize) {
    let mut numbers = Vec::new();
    let mut failed = 0;
    for token in chars.split(|&c| !in_number(c)).filter(|t| !t.is_empty()) {
        if numbers.len() >= MAX_NUMBERS {
            break;
        }
        // Token bytes are ASCII: never invalid UTF-8.
        match std::str::from_utf8(token).map(str::parse::<f64>) {
            Ok(Ok(x)) if x.is_finite() => numbers.push(x),
            _ => failed += 1,
        }
    }
    (numbers, failed)
}

/// Whether the numbers in `chars` are the samples of a recording: read as
/// a table of one to four columns, the first column that is a waveform.
/// Tables of measurements one side of zero (prices, times, counts,
/// coordinates), random walks, noise, and lists that are not numbers at
/// all (dates, versions, addresses) are not. Other waveforms (a
/// seismogram) are, as they are when written in binary.
pub(crate) fn judge(chars: &[u8]) -> Option<Written> {
    if chars.len() < MIN_STRETCH {
        return None;
    }
    let (numbers, failed) = parse(chars);
    if numbers.len() < MIN_SAMPLES || failed * 100 > numbers.len() {
        return None;
    }
    (1..=MAX_COLUMNS).find_map(|columns| {
        (0..columns).find_map(|column| {
            let series: Vec<f32> = numbers[column..]
                .iter()
                .step_by(columns)
                .map(|&x| x as f32)
                .collect();
            if series.len() < MIN_SAMPLES {
                return None;
            }
            let rho = waveform(&series)?;
            Some(Written {
                numbers: numbers.len(),
                columns,
                column,
                judged: series.len().min(super::dataset::MAX_WAVEFORM),
                rho,
            })
        })
    })
}

#[cfg(test)]
mod tests {
    use super::super::testutil::pseudo_random;
    use super::*;

    /// A voiced sound: a few harmonics under a slow envelope, with noise.
    fn voice(n: usize) -> Vec<f64> {
        let noise = pseudo_random(n, 11);
        (0..n)
            .map(|i| {
                let t = i as f64 / 16000.0;
                let envelope = 0.5 + 0.5 * (t * 3.0 * std::f64::consts::TAU).sin();
                let tone: f64 = [140.0, 280.0, 420.0, 910.0]
                    .iter()
                    .enumerate()
                    .map(|(k, f)| (t * f * std::f64::consts::TAU).sin() / (k + 1) as f64)
                    .sum();
                0.3 * envelope * tone + (f64::from(noise[i]) - 127.5) / 40_000.0
            })
            .collect()
    }

    fn written(values: &[f64], sep: &str) -> String {
        values
            .iter()
            .map(|v| format!("{v}"))
            .collect::<Vec<_>>()
            .join(sep)
    }

    #[test]
    fn a_json_array_of_samples_is_a_recording() {
        let text = format!(
            "{{\"audio\": {{\"path\": \"a.wav\", \"array\": [{}], \"sampling_rate\": 16000}}}}",
            written(&voice(6000), ", ")
        );
        let found = stretches(text.as_bytes(), 4);
        assert_eq!(found.len(), 1);
        let r = &found[0];
        assert_eq!(&text.as_bytes()[r.start..r.start + 2], b" [");
        assert!(text[r.end..].starts_with("\"sampling_rate\""));
        let w = judge(&text.as_bytes()[r.clone()]).unwrap();
        assert_eq!(
            (w.numbers, w.columns, w.column, w.judged),
            (6000, 1, 0, 6000)
        );
        assert!(w.rho > 0.9, "{w:?}");
    }

    #[test]
    fn integer_samples_and_a_time_column_beside_them_are_found() {
        let ints: Vec<f64> = voice(5000).iter().map(|x| (x * 20000.0).round()).collect();
        assert!(judge(written(&ints, "\n").as_bytes()).is_some());
        // Audacity's sample data export with a time index: read as one
        // column, the signal is every other number (as stereo is).
        let csv: String = ints
            .iter()
            .enumerate()
            .map(|(i, v)| format!("{:.6}\t{v}\n", i as f64 / 16000.0))
            .collect();
        assert!(judge(csv.as_bytes()).is_some());
        // A row number and a time before the sample: the third column.
        let csv: String = ints
            .iter()
            .enumerate()
            .map(|(i, v)| format!("{i},{:.6},{v}\n", i as f64 / 16000.0))
            .collect();
        let w = judge(csv.as_bytes()).unwrap();
        assert_eq!((w.numbers, w.columns, w.column), (15000, 3, 2));
    }

    #[test]
    fn tables_noise_and_lists_that_are_not_numbers_are_not_recordings() {
        // Prices: smooth, but one side of zero.
        let prices: Vec<f64> = voice(6000).iter().map(|x| 100.0 + 10.0 * x).collect();
        assert_eq!(judge(written(&prices, ",").as_bytes()), None);
        // A random walk swings around zero and is smooth, but its steps
        // are white noise.
        // (An AR(1) series close to one: it comes back to zero often.)
        let mut level = 0.0;
        let walk: Vec<f64> = pseudo_random(6000, 9)
            .iter()
            .map(|&b| {
                level = 0.99 * level + f64::from(b) - 127.5;
                level
            })
            .collect();
        assert_eq!(judge(written(&walk, "\n").as_bytes()), None);
        // Noise swings around zero but is not smooth.
        let noise: Vec<f64> = pseudo_random(6000, 5)
            .iter()
            .map(|&b| f64::from(b) - 127.5)
            .collect();
        assert_eq!(judge(written(&noise, ",").as_bytes()), None);
        // Counters and versions.
        let counts: String = (0..6000).map(|i| format!("{i},")).collect();
        assert_eq!(judge(counts.as_bytes()), None);
        let versions: String = (0..6000).map(|i| format!("1.{i}.3 ")).collect();
        assert_eq!(judge(versions.as_bytes()), None);
        // Too few numbers to judge.
        assert_eq!(judge(written(&voice(3000), ", ").as_bytes()), None);
    }

    #[test]
    fn prose_is_passed_over_and_every_stretch_is_found() {
        let prose = "The 3 rates rose by 1.5e-3 over 12 weeks; see table 4.\n".repeat(400);
        assert!(stretches(prose.as_bytes(), 4).is_empty());
        let numbers = written(&voice(5000), ",");
        let text = format!("{prose}x = [{numbers}]\ny = [{numbers}]\n{prose}");
        let found = stretches(text.as_bytes(), 4);
        assert_eq!(found.len(), 2, "{found:?}");
        for r in &found {
            assert!(judge(&text.as_bytes()[r.clone()]).is_some());
        }
        assert_eq!(stretches(text.as_bytes(), 1).len(), 1);
    }
}
