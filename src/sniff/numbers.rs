//! Recordings written out as numbers: a dataset exported to JSON (an
//! audio column becomes `"array": [0.0012, -0.0031, …]`), `numpy.savetxt`,
//! a spreadsheet of one or a few columns, a C array in firmware. The text
//! is plain and the recording is in it, so the numbers are read back and
//! judged as the samples of a dataset's tensor are
//! ([`super::dataset::waveform`]). Numbers that are all byte values
//! (`xxd -i`, Node's `Buffer` as JSON) spell a file instead ([`bytes`]).

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
/// (decimal, `0x` hex and C's `0.5f`), the missing values of JSON, pandas
/// and NumPy (`null`, `nan`, `inf`), and what separates them in JSON, CSV,
/// TSV, YAML, C and Python or NumPy output.
const IN_STRETCH: [bool; 256] = {
    let mut table = [false; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        table[c] = in_token(b)
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

/// Bytes of one token: a number or a missing value.
const fn in_token(c: u8) -> bool {
    c.is_ascii_hexdigit()
        || matches!(
            c,
            b'.' | b'-' | b'+' | b'x' | b'X' | b'n' | b'N' | b'u' | b'l' | b'i' | b'I'
        )
}

/// What one token of a stretch is.
#[derive(Debug, PartialEq)]
enum Token {
    Number(f64),
    /// `null`, `nan`, `inf`: a sample that is not there (read as 0).
    Missing,
    /// A sign on its own: YAML's list marker, a dash between columns.
    Separator,
    Other,
}

fn token(t: &[u8]) -> Token {
    // Token bytes are ASCII: never invalid UTF-8.
    let Ok(text) = std::str::from_utf8(t) else {
        return Token::Other;
    };
    if matches!(text, "-" | "+") {
        return Token::Separator;
    }
    let (negative, digits) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    if ["null", "nan", "inf"]
        .iter()
        .any(|m| digits.eq_ignore_ascii_case(m))
    {
        return Token::Missing;
    }
    if let Some(hex) = digits
        .strip_prefix("0x")
        .or_else(|| digits.strip_prefix("0X"))
    {
        return match i64::from_str_radix(hex, 16) {
            Ok(v) if !hex.starts_with(['+', '-']) => {
                Token::Number(if negative { -v } else { v } as f64)
            }
            _ => Token::Other,
        };
    }
    // C's float literals: `0.5f`, `1e-3F`.
    let decimal = match text.strip_suffix(['f', 'F']) {
        Some(d) if d.contains(['.', 'e', 'E']) => d,
        _ => text,
    };
    match decimal.parse::<f64>() {
        Ok(x) if x.is_finite() => Token::Number(x),
        _ => Token::Other,
    }
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

/// The numbers of a stretch (a missing value read as 0, so that columns
/// stay aligned), how many were missing, and how many tokens were neither.
struct Parsed {
    numbers: Vec<f64>,
    missing: usize,
    failed: usize,
    /// The stretch's length in bytes.
    len: usize,
}

fn parse(chars: &[u8]) -> Parsed {
    let mut numbers = Vec::new();
    let (mut missing, mut failed) = (0, 0);
    for t in chars.split(|&c| !in_token(c)).filter(|t| !t.is_empty()) {
        if numbers.len() >= MAX_NUMBERS {
            break;
        }
        match token(t) {
            Token::Number(x) => numbers.push(x),
            Token::Missing => {
                numbers.push(0.0);
                missing += 1;
            }
            Token::Separator => {}
            Token::Other => failed += 1,
        }
    }
    Parsed {
        numbers,
        missing,
        failed,
        len: chars.len(),
    }
}

/// What the numbers of a stretch are.
#[derive(Debug, PartialEq)]
pub(crate) enum Reading {
    /// The bytes of a file written out as its byte values.
    Bytes(Vec<u8>),
    /// The samples of a recording.
    Recording(Written),
}

/// Reads a stretch, parsed once: a file's byte values first (a list of
/// bytes is no recording of its own), then a recording's samples.
pub(crate) fn read(chars: &[u8]) -> Option<Reading> {
    let parsed = parse(chars);
    parsed
        .bytes()
        .map(Reading::Bytes)
        .or_else(|| parsed.recording().map(Reading::Recording))
}

/// The text format of a 3-D model that `head` (a text's first bytes)
/// opens: VRML and classic X3D, AC3D, MilkShape 3D ASCII, PLY, OFF, ASCII
/// STL, COLLADA and X3D's XML, told by their first line or root element,
/// and Wavefront OBJ, which has none, by its lines' keywords. Their
/// numbers are coordinates, normals and indices of vertices: neighbouring
/// vertices along a surface are as smooth as a waveform (a disc's outline
/// is a sine), and a mesh's parts make its loudness vary, so they are not
/// read as samples.
pub(crate) fn model_text(head: &[u8]) -> Option<&'static str> {
    const FIRST_BYTES: [(&[u8], &str); 4] = [
        (b"#VRML V", "vrml"),
        (b"#X3D V", "x3d"),
        (b"AC3D", "ac3d"),
        (b"// MilkShape 3D ASCII", "milkshape"),
    ];
    if let Some((_, name)) = FIRST_BYTES.iter().find(|(m, _)| head.starts_with(m)) {
        return Some(name);
    }
    // Asked of every text: each test below looks past the first line only
    // where that line already names the format's family.
    let start = &head[..head.len().min(1024)];
    let end = memchr::memchr(b'\n', start).unwrap_or(start.len());
    let first = start[..end].trim_ascii();
    let has = |needle: &[u8]| memchr::memmem::find(start, needle).is_some();
    match first {
        b"ply" => {
            let next = start.get(end + 1..).unwrap_or_default();
            let second = next.split(|&c| c == b'\n').next().unwrap_or_default();
            second
                .trim_ascii()
                .starts_with(b"format ascii")
                .then_some("ply")
        }
        b"OFF" | b"COFF" | b"NOFF" | b"CNOFF" | b"STOFF" | b"4OFF" => Some("off"),
        _ if first.starts_with(b"solid") => has(b"facet normal").then_some("stl"),
        _ if first.starts_with(b"<") => {
            if has(b"<COLLADA") {
                Some("collada")
            } else if has(b"<X3D") {
                Some("x3d")
            } else {
                None
            }
        }
        // OBJ's keywords, or a comment or blank line before them.
        [b'#' | b'v' | b'f' | b'l' | b'p' | b'o' | b'g' | b's' | b'm' | b'u', ..] | [] => {
            obj(start).then_some("obj")
        }
        _ => None,
    }
}

/// Wavefront OBJ: its first 64 lines that are not blank or comments all
/// open with one of its keywords, and at least 8 of them are vertices.
fn obj(head: &[u8]) -> bool {
    // The last line of a head cut short may be a keyword's prefix.
    let head = match head.len() < 1024 {
        true => head,
        false => &head[..head.iter().rposition(|&c| c == b'\n').map_or(0, |i| i + 1)],
    };
    const KEYWORDS: [&[u8]; 12] = [
        b"v", b"vt", b"vn", b"vp", b"f", b"l", b"p", b"o", b"g", b"s", b"mtllib", b"usemtl",
    ];
    let mut vertices = 0;
    let mut lines = 0;
    for line in head.split(|&c| c == b'\n').map(<[u8]>::trim_ascii) {
        if line.is_empty() || line.starts_with(b"#") {
            continue;
        }
        let keyword = line
            .split(|c| c.is_ascii_whitespace())
            .next()
            .unwrap_or(line);
        if !KEYWORDS.contains(&keyword) || keyword.len() == line.len() {
            return false;
        }
        vertices += usize::from(keyword == b"v");
        lines += 1;
        if lines == 64 {
            break;
        }
    }
    vertices >= 8
}

/// [`Parsed::bytes`] of a stretch.
#[cfg(test)]
fn bytes(chars: &[u8]) -> Option<Vec<u8>> {
    parse(chars).bytes()
}

/// [`Parsed::recording`] of a stretch.
#[cfg(test)]
fn judge(chars: &[u8]) -> Option<Written> {
    parse(chars).recording()
}

/// Fewest byte values read as a file: a header's worth.
const MIN_BYTES: usize = 64;

impl Parsed {
    /// The bytes the numbers spell when every one is a whole number from
    /// 0 to 255: a file written out as its byte values (`xxd -i`, a C
    /// array of `unsigned char`, Node's `Buffer` as JSON).
    fn bytes(&self) -> Option<Vec<u8>> {
        if self.numbers.len() < MIN_BYTES || self.missing > 0 || self.failed > 0 {
            return None;
        }
        self.numbers
            .iter()
            .map(|&x| (x.fract() == 0.0 && (0.0..=255.0).contains(&x)).then_some(x as u8))
            .collect()
    }

    /// Whether the numbers are the samples of a recording: read as
    /// a table of one to four columns, the first column that is a waveform.
    /// Tables of measurements one side of zero (prices, times, counts,
    /// coordinates), random walks, noise, a wave repeated at one loudness
    /// (lookup tables, test tones), and lists that are not numbers at all
    /// (dates, versions, addresses) are not. Other waveforms (a
    /// seismogram) are, as they are when written in binary.
    fn recording(&self) -> Option<Written> {
        let Parsed {
            numbers,
            missing,
            failed,
            len,
        } = self;
        if *len < MIN_STRETCH
            || numbers.len() < MIN_SAMPLES
            || failed * 100 > numbers.len()
            || missing * 4 > numbers.len()
        {
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
                // The loudness test first: it is one pass, the waveform's
                // spectra are many.
                if !super::pcm::loudness_varies(&series) {
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
}

#[cfg(test)]
mod tests {
    use super::super::testutil::pseudo_random;
    use super::*;
    use crate::sniff::pcm::loudness_varies;

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
    fn c_arrays_yaml_lists_and_missing_values_are_read() {
        let ints: Vec<i64> = voice(5000)
            .iter()
            .map(|x| (x * 20000.0).round() as i64)
            .collect();
        // A firmware's voice prompt: `0x` literals in a C array.
        let hex: Vec<String> = ints
            .iter()
            .map(|&v| format!("{}0x{:04x}", if v < 0 { "-" } else { "" }, v.abs()))
            .collect();
        let c = format!(
            "static const int16_t prompt[] = {{\n{}\n}};",
            hex.join(", ")
        );
        let r = &stretches(c.as_bytes(), 1)[0];
        assert_eq!(
            judge(&c.as_bytes()[r.clone()]).map(|w| w.numbers),
            Some(5000)
        );
        // C floats, YAML's list markers, JSON's nulls for missing samples.
        let floats: Vec<String> = voice(5000).iter().map(|x| format!("{x:.5}f")).collect();
        assert!(judge(floats.join(",\n").as_bytes()).is_some());
        let yaml: String = voice(5000)
            .iter()
            .map(|x| format!("  - {x:.5}\n"))
            .collect();
        assert_eq!(judge(yaml.as_bytes()).map(|w| w.numbers), Some(5000));
        let with_nulls: Vec<String> = voice(5000)
            .iter()
            .enumerate()
            .map(|(i, x)| {
                if i % 50 == 0 {
                    "null".into()
                } else {
                    format!("{x}")
                }
            })
            .collect();
        assert!(judge(with_nulls.join(",").as_bytes()).is_some());
        // Mostly missing is no recording.
        let sparse: Vec<String> = voice(5000)
            .iter()
            .enumerate()
            .map(|(i, x)| {
                if i % 3 == 0 {
                    format!("{x}")
                } else {
                    "NaN".into()
                }
            })
            .collect();
        assert_eq!(judge(sparse.join(",").as_bytes()), None);
        assert_eq!(token(b"0x7fff"), Token::Number(32767.0));
        assert_eq!(token(b"-0x8000"), Token::Number(-32768.0));
        assert_eq!(token(b"0x-12"), Token::Other);
        assert_eq!(token(b"1e-3F"), Token::Number(0.001));
        assert_eq!(token(b"-inf"), Token::Missing);
        assert_eq!(token(b"deadbeef"), Token::Other);
    }

    #[test]
    fn byte_values_spell_the_file_they_were_dumped_from() {
        let file: Vec<u8> = (0..3000u32).map(|i| (i * 7 % 256) as u8).collect();
        let xxd: Vec<String> = file.iter().map(|b| format!("0x{b:02x}")).collect();
        let c = format!("unsigned char call_wav[] = {{\n  {}\n}};", xxd.join(", "));
        let r = &stretches(c.as_bytes(), 1)[0];
        assert_eq!(bytes(&c.as_bytes()[r.clone()]), Some(file.clone()));
        let node: Vec<String> = file.iter().map(u8::to_string).collect();
        let json = format!("{{\"type\":\"Buffer\",\"data\":[{}]}}", node.join(","));
        let r = &stretches(json.as_bytes(), 1)[0];
        assert_eq!(bytes(&json.as_bytes()[r.clone()]), Some(file));
        // Samples are no bytes.
        assert_eq!(bytes(written(&voice(5000), ",").as_bytes()), None);
        let big: String = (0..5000).map(|i| format!("{},", 200 + i % 100)).collect();
        assert_eq!(bytes(big.as_bytes()), None);
    }

    #[test]
    fn a_wave_repeated_at_one_loudness_is_a_table_not_a_recording() {
        // A sine lookup table, a sawtooth and a sum of tones, long enough
        // and smooth enough to pass every other test.
        let sine: Vec<f64> = (0..8192)
            .map(|i| (i as f64 * std::f64::consts::TAU / 256.0).sin())
            .collect();
        let saw: Vec<f64> = (0..8192)
            .map(|i| f64::from(i % 512) / 256.0 - 1.0)
            .collect();
        let tones: Vec<f64> = (0..8192)
            .map(|i| {
                let t = i as f64;
                (t / 9.0).sin() + 0.5 * (t / 31.0).sin() + 0.3 * (t / 4.3).sin()
            })
            .collect();
        for (name, wave) in [("sine", &sine), ("saw", &saw), ("tones", &tones)] {
            let series: Vec<f32> = wave.iter().map(|&x| x as f32).collect();
            assert!(!loudness_varies(&series), "{name}");
            assert_eq!(judge(written(wave, ", ").as_bytes()), None, "{name}");
        }
        let speech: Vec<f32> = voice(8192).iter().map(|&x| x as f32).collect();
        assert!(loudness_varies(&speech));
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
    fn three_d_model_texts_are_told_by_their_first_lines() {
        let named = |t: &str| model_text(t.as_bytes());
        assert_eq!(named("#VRML V2.0 utf8\nShape {"), Some("vrml"));
        assert_eq!(named("AC3Db\nMATERIAL \"def\" rgb 1 1 1"), Some("ac3d"));
        assert_eq!(
            named("// MilkShape 3D ASCII\n\nFrames: 30"),
            Some("milkshape")
        );
        assert_eq!(
            named("ply\r\nformat ascii 1.0\r\nelement vertex 8"),
            Some("ply")
        );
        assert_eq!(named("ply\nformat binary_little_endian 1.0"), None);
        assert_eq!(named("OFF\n8 6 12\n"), Some("off"));
        assert_eq!(named("solid cube\n  facet normal 0 0 1\n"), Some("stl"));
        assert_eq!(named("solid state drives are fast\n"), None);
        assert_eq!(
            named("<?xml version=\"1.0\"?>\n<COLLADA xmlns="),
            Some("collada")
        );
        let mut obj = String::from("# Blender\nmtllib cube.mtl\no Cube\n");
        for i in 0..8 {
            obj += &format!("v {i}.0 1.0 -1.0\n");
        }
        obj += "vn 0 1 0\ns off\nf 1//1 2//1 3//1\n";
        assert_eq!(named(&obj), Some("obj"));
        // A list of values under a `v` key is no OBJ; nor is a short one.
        assert_eq!(named(&obj.replace("o Cube", "velocity 3")), None);
        assert_eq!(named("v 1 2 3\nv 2 3 4\n"), None);
        // A column of samples is no model.
        assert_eq!(named("0.0012\n-0.0031\n0.0044\n"), None);
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
