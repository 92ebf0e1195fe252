//! Headerless sampled audio: which sample format, if any, makes these bytes a
//! smooth, speech-like signal (formats.md §4). Random, compressed and most
//! structured binary data decode to noise under every interpretation; speech
//! decodes to a signal whose neighbouring samples are strongly correlated and
//! whose spectrum is far from flat.

/// One way of reading bytes as samples.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Layout {
    S16Le,
    S16Be,
    S24Le,
    S24Be,
    F32Le,
    F32Be,
    U8,
    MuLaw,
    ALaw,
    S32Le,
    S32Be,
    F64Le,
    F64Be,
}

impl Layout {
    const ALL: [Layout; 9] = [
        Layout::S16Le,
        Layout::S16Be,
        Layout::S24Le,
        Layout::S24Be,
        Layout::F32Le,
        Layout::F32Be,
        Layout::U8,
        Layout::MuLaw,
        Layout::ALaw,
    ];
    /// Wider containers, tried only when none of the above fits: 24-bit
    /// samples in 32-bit slots (I2S microphones, ALSA `S32_LE`, left- or
    /// right-justified) and doubles (NumPy's default `tofile`).
    const WIDE: [Layout; 4] = [Layout::S32Le, Layout::S32Be, Layout::F64Le, Layout::F64Be];
    /// Read as more than two channels, tried only when no reading of one
    /// or two fits: the sample formats of microphone arrays.
    const ARRAYS: [Layout; 5] = [
        Layout::S16Le,
        Layout::S16Be,
        Layout::S24Le,
        Layout::S32Le,
        Layout::F32Le,
    ];

    fn name(self) -> &'static str {
        match self {
            Layout::S16Le => "s16le",
            Layout::S16Be => "s16be",
            Layout::S24Le => "s24le",
            Layout::S24Be => "s24be",
            Layout::F32Le => "f32le",
            Layout::F32Be => "f32be",
            Layout::U8 => "u8",
            Layout::MuLaw => "mulaw",
            Layout::ALaw => "alaw",
            Layout::S32Le => "s32le",
            Layout::S32Be => "s32be",
            Layout::F64Le => "f64le",
            Layout::F64Be => "f64be",
        }
    }

    /// Bytes per sample.
    fn width(self) -> usize {
        match self {
            Layout::U8 | Layout::MuLaw | Layout::ALaw => 1,
            Layout::S16Le | Layout::S16Be => 2,
            Layout::S24Le | Layout::S24Be => 3,
            Layout::F32Le | Layout::F32Be | Layout::S32Le | Layout::S32Be => 4,
            Layout::F64Le | Layout::F64Be => 8,
        }
    }

    fn is_float(self) -> bool {
        matches!(
            self,
            Layout::F32Le | Layout::F32Be | Layout::F64Le | Layout::F64Be
        )
    }

    fn decode(self, b: &[u8]) -> Vec<f64> {
        match self {
            Layout::S16Le => b
                .chunks_exact(2)
                .map(|c| i16::from_le_bytes([c[0], c[1]]) as f64)
                .collect(),
            Layout::S16Be => b
                .chunks_exact(2)
                .map(|c| i16::from_be_bytes([c[0], c[1]]) as f64)
                .collect(),
            Layout::S24Le => b
                .chunks_exact(3)
                .map(|c| (i32::from_le_bytes([0, c[0], c[1], c[2]]) >> 8) as f64)
                .collect(),
            Layout::S24Be => b
                .chunks_exact(3)
                .map(|c| (i32::from_be_bytes([c[0], c[1], c[2], 0]) >> 8) as f64)
                .collect(),
            Layout::F32Le => b
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]) as f64)
                .collect(),
            Layout::F32Be => b
                .chunks_exact(4)
                .map(|c| f32::from_be_bytes([c[0], c[1], c[2], c[3]]) as f64)
                .collect(),
            Layout::S32Le => b
                .chunks_exact(4)
                .map(|c| i32::from_le_bytes([c[0], c[1], c[2], c[3]]) as f64)
                .collect(),
            Layout::S32Be => b
                .chunks_exact(4)
                .map(|c| i32::from_be_bytes([c[0], c[1], c[2], c[3]]) as f64)
                .collect(),
            Layout::F64Le => b
                .chunks_exact(8)
                .map(|c| f64::from_le_bytes(c.try_into().unwrap_or_default()))
                .collect(),
            Layout::F64Be => b
                .chunks_exact(8)
                .map(|c| f64::from_be_bytes(c.try_into().unwrap_or_default()))
                .collect(),
            Layout::U8 => b.iter().map(|&x| x as f64 - 128.0).collect(),
            Layout::MuLaw => b.iter().map(|&x| mulaw(x)).collect(),
            Layout::ALaw => b.iter().map(|&x| alaw(x)).collect(),
        }
    }

    /// The format-specific corroboration of formats.md §4.3 step 3: `Strong`
    /// when the byte lanes or value range alone say "samples", `Quiet` when
    /// they only fit a recording that is mostly pauses (then the spectrum
    /// must say speech more clearly), `None` otherwise.
    fn corroborated(self, b: &[u8]) -> Corroboration {
        // Lanes are walked where they lie: this runs for every layout on
        // every piece of every structured object, most of which fail here.
        let share = |lane: usize, stride: usize, set: &[u8]| {
            let (hits, n) = b
                .iter()
                .skip(lane)
                .step_by(stride)
                .fold((0usize, 0usize), |(hits, n), x| {
                    (hits + usize::from(set.contains(x)), n + 1)
                });
            hits as f64 / n.max(1) as f64
        };
        // The most significant byte of quiet-to-normal speech stays near zero
        // while the least significant one is close to uniform (Audacity's
        // endianness guess); random data has two uniform lanes.
        let spread = |lane: usize, stride: usize| {
            let (sum, n) = b
                .iter()
                .skip(lane)
                .step_by(stride)
                .fold((0.0f64, 0usize), |(sum, n), &x| {
                    (sum + (x as i8 as f64).abs(), n + 1)
                });
            sum / n.max(1) as f64
        };
        let tight = |msb: usize, lsb: usize, stride: usize| {
            let (m, l) = (spread(msb, stride), spread(lsb, stride));
            // An all-zero lane is padding, not the top byte of a signal.
            if m <= 0.0 || m > 0.5 * l {
                Corroboration::None
            } else if l >= 40.0 {
                Corroboration::Strong
            } else if l >= 8.0 && m <= 0.25 * l {
                // A piece that is mostly pauses (isolated words, digit
                // strings): most samples lie within ±64, so the low byte is
                // far from uniform while the high byte is 00 or FF.
                Corroboration::Quiet
            } else {
                Corroboration::None
            }
        };
        let strong = |ok: bool| {
            if ok {
                Corroboration::Strong
            } else {
                Corroboration::None
            }
        };
        match self {
            Layout::S16Le => tight(1, 0, 2),
            Layout::S16Be => tight(0, 1, 2),
            // 24-bit audio made from 16-bit sources has a zero low byte: then
            // the middle byte is the one that varies.
            Layout::S24Le => tight(2, 0, 3).max(tight(2, 1, 3)),
            Layout::S24Be => tight(0, 2, 3).max(tight(0, 1, 3)),
            // What the decoded samples must show (`float_pcm`) is asked
            // after decoding; first what their sign-and-exponent bytes
            // must: 99 % of magnitudes within ±2 keep the top byte's low
            // seven bits at 0x40 or below.
            Layout::F32Le => strong(exponents_in_range(b, 3, 4)),
            Layout::F32Be => strong(exponents_in_range(b, 0, 4)),
            Layout::F64Le => strong(exponents_in_range(b, 7, 8)),
            Layout::F64Be => strong(exponents_in_range(b, 0, 8)),
            // The top byte tight and the next one spread (left-justified),
            // or the top byte a sign extension and the next two so
            // (right-justified); a waveform's two signs in each channel,
            // which tables of offsets and sizes (unsigned, the same lanes)
            // lack, are asked where the channels are read.
            Layout::S32Le => tight(3, 2, 4).max(tight(2, 1, 4)),
            Layout::S32Be => tight(0, 1, 4).max(tight(1, 2, 4)),
            Layout::U8 => {
                let mean = b.iter().map(|&x| x as f64 - 128.0).sum::<f64>() / b.len().max(1) as f64;
                strong(mean.abs() <= 16.0 && share(0, 1, &[0x00, 0xff]) < 0.05)
            }
            Layout::MuLaw => companded(
                share(0, 1, &[0xff, 0x7f, 0xfe, 0x7e]),
                share(0, 1, &[0x00, 0x80]),
                distinct(b),
            ),
            Layout::ALaw => companded(
                share(0, 1, &[0xd5, 0x55, 0xd4, 0x54]),
                share(0, 1, &[0x2a, 0xaa]),
                distinct(b),
            ),
        }
    }
}

/// Companded speech: a broad spread of codes and almost never the
/// full-scale ones that padding and pixel data (µ-law 0x00, 0x80; A-law
/// 0x2a, 0xaa) are full of. Many codes of digital silence (5 % of the
/// piece) make it `Strong`; without them it is `Quiet`, and the signal
/// must show speech more clearly: a telephone line's noise floor, hum or
/// DC offset keeps the pauses of real calls and voice prompts off those
/// exact codes (a few in a thousand bytes).
fn companded(silence: f64, full_scale: f64, distinct: usize) -> Corroboration {
    if full_scale >= 0.01 || distinct < 48 {
        Corroboration::None
    } else if silence >= 0.05 {
        Corroboration::Strong
    } else {
        Corroboration::Quiet
    }
}

/// How far a piece's bytes agree with a sample format, weakest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Corroboration {
    None,
    Quiet,
    Strong,
}

/// Float samples of a recording: finite, not all silence, almost all within
/// ±2 (full scale is ±1; the 99th percentile leaves room for clipped
/// peaks), and about as many positive as negative values (a waveform
/// swings around zero). Sorted or smooth numeric tables (model variances,
/// log probabilities, image rows) are smooth too, but one-signed or far
/// outside ±1.
fn float_pcm(samples: &[f64]) -> bool {
    if samples.iter().any(|x| !x.is_finite()) {
        return false;
    }
    let mut mags: Vec<f64> = samples.iter().map(|x| x.abs()).collect();
    mags.sort_by(f64::total_cmp);
    let peak = mags.last().copied().unwrap_or(0.0);
    let p99 = mags.get(mags.len() * 99 / 100).copied().unwrap_or(0.0);
    peak > 0.01 && p99 <= 2.0 && swings(samples, 1)
}

/// In each of `channels` interleaved channels, about as many samples above
/// as below zero: a waveform swings around zero. Signs count only outside
/// the channel's noise floor (digital silence and dither are neither).
fn swings(samples: &[f64], channels: usize) -> bool {
    (0..channels).all(|c| swinging(samples, c, channels) == Some(true))
}

/// Whether channel `c` of `channels` swings around zero; `None` when it
/// is silent throughout.
fn swinging(samples: &[f64], c: usize, channels: usize) -> Option<bool> {
    let channel = || samples.iter().skip(c).step_by(channels);
    let peak = channel().fold(0.0f64, |m, x| m.max(x.abs()));
    if peak <= 0.0 {
        return None;
    }
    let floor = peak * 1e-3;
    let pos = channel().filter(|&&x| x > floor).count();
    let neg = channel().filter(|&&x| x < -floor).count();
    let signed = (pos + neg).max(1) as f64;
    Some(pos as f64 / signed >= 0.25 && neg as f64 / signed >= 0.25)
}

/// Read as `channels` interleaved channels, the first one that is not
/// silent, when every such channel swings around zero: a microphone
/// array's inputs all carry sound or none does (an unused input, or mono
/// upmixed to the centre of 5.1), while a table of records has fields one
/// side of zero.
fn live_channels(samples: &[f64], channels: usize) -> Option<usize> {
    let states: Vec<Option<bool>> = (0..channels)
        .map(|c| swinging(samples, c, channels))
        .collect();
    if states.contains(&Some(false)) {
        return None;
    }
    states.iter().position(|s| s.is_some())
}

/// Could the float samples whose top byte is at `lane` of every `width`
/// bytes pass [`float_pcm`]'s range test? It takes the 99th percentile of
/// the magnitudes within ±2; a magnitude within ±2 has a top byte (sign and
/// the exponent's high bits) of at most 0x40 once the sign is masked off.
fn exponents_in_range(b: &[u8], lane: usize, width: usize) -> bool {
    let n = b.len() / width;
    let within = b
        .chunks_exact(width)
        .filter(|sample| sample[lane] & 0x7f <= 0x40)
        .count();
    within > n * 99 / 100
}

fn distinct(b: &[u8]) -> usize {
    let mut seen = [false; 256];
    b.iter().for_each(|&x| seen[usize::from(x)] = true);
    seen.iter().filter(|&&s| s).count()
}

fn mulaw(x: u8) -> f64 {
    let x = !x;
    let sign = x & 0x80;
    let exponent = (x >> 4) & 7;
    let mantissa = x & 0x0f;
    let magnitude = ((i32::from(mantissa) << 3) + 0x84) << exponent;
    let v = magnitude - 0x84;
    f64::from(if sign != 0 { -v } else { v })
}

fn alaw(x: u8) -> f64 {
    let x = x ^ 0x55;
    let sign = x & 0x80;
    let exponent = (x >> 4) & 7;
    let mantissa = i32::from(x & 0x0f);
    let magnitude = if exponent == 0 {
        (mantissa << 4) + 8
    } else {
        ((mantissa << 4) + 0x108) << (exponent - 1)
    };
    f64::from(if sign != 0 { magnitude } else { -magnitude })
}

/// Normalised autocorrelation at `lag` after removing the mean.
pub(super) fn autocorrelation(x: &[f64], lag: usize) -> f64 {
    if x.len() <= lag + 1 {
        return 0.0;
    }
    let mean = x.iter().sum::<f64>() / x.len() as f64;
    let var: f64 = x.iter().map(|v| (v - mean).powi(2)).sum();
    if var <= f64::EPSILON {
        return 0.0;
    }
    let cov: f64 = x
        .windows(lag + 1)
        .map(|w| (w[0] - mean) * (w[lag] - mean))
        .sum();
    cov / var
}

/// Spectral flatness (geometric over arithmetic mean of a Welch-averaged power
/// spectrum with 256-point Hann segments): ≈ 1 for noise, ≪ 1 for speech.
fn spectral_flatness(x: &[f64], lag: usize) -> f64 {
    const N: usize = 256;
    // For interleaved stereo, look at one channel.
    let x: Vec<f64> = x.iter().step_by(lag).copied().collect();
    if x.len() < N {
        return 1.0;
    }
    let hann: Vec<f64> = (0..N)
        .map(|i| 0.5 - 0.5 * (2.0 * std::f64::consts::PI * i as f64 / N as f64).cos())
        .collect();
    let (cos, sin): (Vec<f64>, Vec<f64>) = (0..N)
        .map(|i| {
            let a = 2.0 * std::f64::consts::PI * i as f64 / N as f64;
            (a.cos(), a.sin())
        })
        .unzip();
    let mut power = vec![0.0f64; N / 2];
    let mut segments = 0;
    for seg in x.chunks_exact(N).step_by(1).take(16) {
        let mean = seg.iter().sum::<f64>() / N as f64;
        let s: Vec<f64> = seg.iter().zip(&hann).map(|(v, w)| (v - mean) * w).collect();
        for (k, p) in power.iter_mut().enumerate().skip(1) {
            let (mut re, mut im) = (0.0, 0.0);
            for (i, v) in s.iter().enumerate() {
                let idx = (i * k) % N;
                re += v * cos[idx];
                im -= v * sin[idx];
            }
            *p += re * re + im * im;
        }
        segments += 1;
    }
    if segments == 0 {
        return 1.0;
    }
    let bins = &power[1..];
    let arith = bins.iter().sum::<f64>() / bins.len() as f64;
    if arith <= 0.0 {
        return 1.0;
    }
    let geo =
        (bins.iter().map(|p| (p + arith * 1e-12).ln()).sum::<f64>() / bins.len() as f64).exp();
    geo / arith
}

/// Lag-1 autocorrelation of decoded mono samples, when they look like
/// speech by the same measures as [`guess`] (ρ ≥ 0.6, flatness ≤ 0.35).
pub(crate) fn speech_like(samples: &[f64]) -> Option<f64> {
    let rho = autocorrelation(samples, 1);
    (samples.len() >= 512 && rho >= 0.6 && spectral_flatness(samples, 1) <= 0.35).then_some(rho)
}

/// Whether a smooth series is more than integrated noise: a random walk
/// (prices, a drifting sensor, an AR(1) series) is as smooth and as
/// coloured as speech, but its steps are white noise, while the steps of
/// speech still carry its formants (flatness 0.04–0.39 at 8–48 kHz).
pub(super) fn steps_coloured(samples: &[f64]) -> bool {
    let steps: Vec<f64> = samples.windows(2).map(|w| w[1] - w[0]).collect();
    spectral_flatness(&steps, 1) <= 0.8
}

/// The sample format under which `piece` looks like sampled speech, with its
/// lag-1 (or, for interleaved stereo, lag-2) autocorrelation.
pub(crate) fn guess(piece: &[u8]) -> Option<(&'static str, f64)> {
    guess_among(piece, &Layout::ALL, &[1, 2])
        .or_else(|| guess_among(piece, &Layout::WIDE, &[1, 2]))
        .or_else(|| {
            // Float samples inside another format (a pickle, a tensor file)
            // start wherever its header ends: the piece's edge cuts them
            // at any byte, and a misaligned reading decodes to garbage.
            (1..4).find_map(|shift| guess_among(piece.get(shift..)?, &[Layout::F32Le], &[1, 2]))
        })
        .or_else(|| {
            // A piece's edge falls anywhere in a frame of 24-bit channels;
            // read from the wrong byte, every channel decodes to noise.
            (0..3).find_map(|shift| {
                let layouts: &[Layout] = if shift == 0 {
                    &Layout::ARRAYS
                } else {
                    &[Layout::S24Le]
                };
                guess_among(piece.get(shift..)?, layouts, &[3, 4, 5, 6, 7, 8])
            })
        })
}

/// A recording's loudness changes from frame to frame (syllables,
/// pauses): the spread of its frames' RMS is 0.7–1.5 of their mean on
/// real speech. One period of a wave repeated (a sine, sawtooth or
/// triangle lookup table, a test tone, a chirp, a sum of tones) and rows
/// of equally long smooth series keep it within 0.05. (A steady tone or
/// hum laid over a voice at more than its level, or steady noise above
/// it, lowers the spread below 0.2 too: asked only of numbers in text
/// and of matrices read as frames, never of a tensor's signal.)
pub(crate) fn loudness_varies(series: &[f32]) -> bool {
    spread_of_frames(series) >= 0.2
}

/// The spread of the RMS of `x`'s 256-sample frames, as a share of their
/// mean (0 for silence).
fn spread_of_frames(x: &[f32]) -> f64 {
    const FRAME: usize = 256;
    let rms: Vec<f64> = x
        .chunks_exact(FRAME)
        .map(|f| (f.iter().map(|&x| f64::from(x).powi(2)).sum::<f64>() / FRAME as f64).sqrt())
        .collect();
    let n = rms.len() as f64;
    let mean = rms.iter().sum::<f64>() / n;
    if mean.is_nan() || mean <= 0.0 {
        return 0.0;
    }
    (rms.iter().map(|r| (r - mean).powi(2)).sum::<f64>() / n).sqrt() / mean
}

/// Steps of the recurrence test per channel: eight samples, so that a
/// recording must be oversampled eightfold (8 kHz telephone speech stored
/// at 64 kHz) and free of noise before its smoothness alone could pass
/// for a recurrence. A sine is one at every step.
const RECURRENCE_STEP: usize = 8;
/// Terms of a block of the recurrence test, each [`RECURRENCE_STEP`]
/// samples of a channel apart.
const RECURRENCE_BLOCK: usize = 32;
/// What a block's recurrence may leave unexplained, as a share of the
/// block's energy, for the block to count as following it: 10⁻⁵, a
/// residual amplitude of 0.3 %.
const RECURRENCE_EXACT: f64 = 1e-5;

/// A synthetic signal, not a recording: in at least half of the blocks
/// that are not silent, every sample follows from two before it in its
/// channel, x[n] = a·x[n−k] + b·x[n−2k] with k = 8 samples of a channel
/// (`lag` samples apart) and a, b fitted to the block, to within
/// [`RECURRENCE_EXACT`] of the block's energy.
///
/// A sine satisfies one exactly at any step (a = 2 cos kω, b = −1), and
/// so do the rows of a Fourier basis, a full-scale 16-bit test tone (its
/// rounding leaves 10⁻⁹) and a sinusoidal table stored a row per
/// frequency. A microphone's noise floor and the formants of speech keep
/// every recording well above it: of 295 WAV files of Debian and PyPI
/// packages and 30 speech prompts resampled from 8 kHz to 16–96 kHz, the
/// six with half their 2,048-sample pieces judged synthetic are sine test
/// files. Windowed or gliding sines (an STFT basis, a chirp) change too
/// much over eight samples to pass, and stay a blind spot.
fn deterministic(x: &[f64], lag: usize) -> bool {
    let k = RECURRENCE_STEP * lag.max(1);
    let (mut blocks, mut exact) = (0usize, 0usize);
    for block in x.chunks_exact(RECURRENCE_BLOCK * k) {
        // The normal equations' sums over every sample with two
        // predecessors in the block: y = x[n], p = x[n−k], q = x[n−2k].
        let (mut yy, mut yp, mut yq, mut pp, mut pq, mut qq) = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
        for ((&y, &p), &q) in block[2 * k..].iter().zip(&block[k..]).zip(block.iter()) {
            yy += y * y;
            yp += y * p;
            yq += y * q;
            pp += p * p;
            pq += p * q;
            qq += q * q;
        }
        if yy <= 0.0 {
            continue;
        }
        blocks += 1;
        // Explained energy of the least-squares fit; with p and q in
        // proportion (a constant or geometric block) one term fits alone.
        let det = pp * qq - pq * pq;
        let explained = if det > 1e-12 * pp * qq {
            let a = (yp * qq - yq * pq) / det;
            let b = (yq * pp - yp * pq) / det;
            a * yp + b * yq
        } else if pp > 0.0 {
            yp * yp / pp
        } else {
            0.0
        };
        if yy - explained <= RECURRENCE_EXACT * yy {
            exact += 1;
        }
    }
    blocks > 0 && exact * 2 >= blocks
}

/// The best of `layouts` read as each number of interleaved channels in
/// `lags` (a channel's next sample is that many samples on).
fn guess_among(piece: &[u8], layouts: &[Layout], lags: &[usize]) -> Option<(&'static str, f64)> {
    // (layout, ρ, lag, corroboration, the channel the spectrum is taken of)
    let mut best: Option<(Layout, f64, usize, Corroboration, usize)> = None;
    for &layout in layouts {
        if piece.len() / layout.width() < 512 {
            continue;
        }
        let how = layout.corroborated(piece);
        if how == Corroboration::None {
            continue;
        }
        let samples = layout.decode(piece);
        if layout.is_float() && !float_pcm(&samples) {
            continue;
        }
        for &lag in lags {
            // Read as `lag` channels, each must swing around zero: two
            // one-signed series side by side (latitude and longitude
            // pairs) balance their signs only together.
            let wide = matches!(layout, Layout::S32Le | Layout::S32Be);
            let first = if lag > 2 {
                match live_channels(&samples, lag) {
                    Some(first) => first,
                    None => continue,
                }
            } else {
                if wide && !swings(&samples, lag) {
                    continue;
                }
                0
            };
            let rho = autocorrelation(&samples, lag);
            if best.is_none_or(|b| rho > b.1) {
                best = Some((layout, rho, lag, how, first));
            }
        }
    }
    let (layout, rho, lag, how, first) = best?;
    // Quiet pieces have weaker byte-lane evidence, so the signal itself must
    // speak more clearly: the pauses of speech are still smooth, coloured
    // noise, while small-valued tables rarely are.
    let (min_rho, max_flatness) = match how {
        Corroboration::Quiet => (0.8, 0.2),
        _ => (0.6, 0.35),
    };
    // The spectrum is the costly test: only for the one candidate that is smooth enough.
    let samples = layout.decode(piece);
    // Companded bytes without their codes of silence are any smooth
    // table read through the companding curve (code-point tables, paths
    // repeated): a recording's loudness must change from frame to frame.
    let companded = matches!(layout, Layout::MuLaw | Layout::ALaw);
    let varies = || {
        let series: Vec<f32> = samples[first..].iter().map(|&v| v as f32).collect();
        loudness_varies(&series)
    };
    (rho >= min_rho
        && spectral_flatness(&samples[first..], lag) <= max_flatness
        && !(companded && how == Corroboration::Quiet && !varies())
        && !deterministic(&samples[first..], lag)
        // A step of 8 keeps to one channel of a stereo stream too: a mono
        // reading catches rows of sines that pair up as false channels.
        && (lag == 1 || !deterministic(&samples[first..], 1)))
    .then_some((layout.name(), rho))
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{pcm16_tone, pseudo_random};
    use super::*;

    #[test]
    fn pcm16_is_found_in_both_endiannesses() {
        let le = pcm16_tone(4096);
        assert_eq!(guess(&le).map(|g| g.0), Some("s16le"));
        let be: Vec<u8> = le.chunks_exact(2).flat_map(|c| [c[1], c[0]]).collect();
        assert_eq!(guess(&be).map(|g| g.0), Some("s16be"));
    }

    #[test]
    fn random_and_text_are_not_audio() {
        assert_eq!(guess(&pseudo_random(8192, 4)), None);
        let text = "Lorem ipsum dolor sit amet, consectetur adipiscing elit. ".repeat(150);
        assert_eq!(guess(text.as_bytes()), None);
    }

    #[test]
    fn bitmaps_of_zero_and_full_bytes_are_not_companded_speech() {
        // ARGB cursor pixels: runs of transparent zeros and opaque 0xff.
        let bitmap: Vec<u8> = (0..8192)
            .map(|i| match (i / 64) % 4 {
                0 | 1 => 0x00,
                2 => 0xff,
                _ => (i % 7) as u8 * 30,
            })
            .collect();
        assert_eq!(guess(&bitmap), None);
    }

    #[test]
    fn quiet_speech_with_pauses_is_still_pcm() {
        // A word, then a pause of room noise within ±40: 80 % of the samples
        // are below ±64, as in an isolated-word prompt.
        let noise = pseudo_random(4096, 7);
        let quiet: Vec<u8> = (0..4096)
            .flat_map(|i| {
                let word = if i % 2048 < 400 { 900.0 } else { 30.0 };
                let v = (i as f64 / 9.0).sin() * word + (i as f64 / 31.0).sin() * word * 0.5;
                ((v as i16).wrapping_add(i16::from(noise[i] % 8) - 4)).to_le_bytes()
            })
            .collect();
        assert_eq!(guess(&quiet).map(|g| g.0), Some("s16le"));
        // Small-valued noise has quiet byte lanes too, but no speech in it.
        let small: Vec<u8> = pseudo_random(4096, 8)
            .iter()
            .flat_map(|&x| (i16::from(x) / 4 - 32).to_le_bytes())
            .collect();
        assert_eq!(guess(&small), None);
    }

    /// A telephone line never rests at digital zero: a DC offset or a
    /// noise floor keeps the pauses of a call off the exact codes of
    /// silence, and companded speech is still told by its spread and its
    /// spectrum. The bitmaps and noise above stay apart.
    #[test]
    fn companded_speech_over_a_noise_floor_is_found() {
        let noise = pseudo_random(8192, 11);
        let signal: Vec<f64> = (0..8192)
            .map(|i| {
                let word = if i % 4096 < 2500 { 3000.0 } else { 0.0 };
                let v = (i as f64 / 9.0).sin() * word + (i as f64 / 31.0).sin() * word * 0.5;
                v + 90.0 + f64::from(noise[i] % 16) - 8.0
            })
            .collect();
        let encode = |decode: fn(u8) -> f64| -> Vec<u8> {
            signal
                .iter()
                .map(|&v| {
                    (0..=255u8)
                        .min_by(|&a, &b| (decode(a) - v).abs().total_cmp(&(decode(b) - v).abs()))
                        .unwrap_or(0)
                })
                .collect()
        };
        let (ulaw, alaw_bytes) = (encode(mulaw), encode(alaw));
        let silence = |b: &[u8], codes: &[u8]| b.iter().filter(|c| codes.contains(c)).count();
        assert!(silence(&ulaw, &[0xff, 0x7f, 0xfe, 0x7e]) < 8192 / 100);
        assert!(silence(&alaw_bytes, &[0xd5, 0x55, 0xd4, 0x54]) < 8192 / 100);
        assert_eq!(guess(&ulaw).map(|g| g.0), Some("mulaw"));
        assert_eq!(guess(&alaw_bytes).map(|g| g.0), Some("alaw"));
        // A table of code points (a character set's, big-endian), read
        // through the companding curve, is smooth too, but as loud in
        // every frame.
        for step in [1u16, 2, 3, 5] {
            let table: Vec<u8> = (0..4096u16)
                .flat_map(|i| (0x4e00u16.wrapping_add(i.wrapping_mul(step))).to_be_bytes())
                .collect();
            let codec = guess(&table).map(|g| g.0);
            assert!(
                !matches!(codec, Some("mulaw" | "alaw")),
                "step {step}: {codec:?}"
            );
        }
    }

    #[test]
    fn synthetic_signals_follow_their_recurrence_and_recordings_do_not() {
        use std::f64::consts::TAU;
        let f32le =
            |x: &[f64]| -> Vec<u8> { x.iter().flat_map(|&v| (v as f32).to_le_bytes()).collect() };
        let s16le =
            |x: &[f64]| -> Vec<u8> { x.iter().flat_map(|&v| (v as i16).to_le_bytes()).collect() };
        let tone: Vec<f64> = (0..8192)
            .map(|i| (TAU * 440.0 * i as f64 / 16000.0).sin() * 0.5)
            .collect();
        // A Fourier basis: cosines of 256 samples, a row per frequency.
        let basis: Vec<f64> = (1..33)
            .flat_map(|k| (0..256).map(move |n| (TAU * k as f64 * n as f64 / 256.0).cos()))
            .collect();
        for (name, x) in [("tone", &tone), ("basis", &basis)] {
            assert!(deterministic(x, 1), "{name}");
            assert_eq!(guess(&f32le(x)), None, "{name}");
        }
        // A full-scale 16-bit tone: rounding leaves 10⁻⁹ of its energy.
        let loud: Vec<f64> = tone.iter().map(|v| v * 60000.0).collect();
        assert!(deterministic(&loud, 1));
        assert_eq!(guess(&s16le(&loud)), None);
        // The same tone in both channels of a stereo stream.
        let stereo: Vec<f64> = tone.iter().flat_map(|&v| [v, -v * 0.5]).collect();
        assert!(deterministic(&stereo, 2));
        // Rows of sines, each its own frequency (a sine table a row per
        // frequency), that a reading as two channels pairs up: the mono
        // reading refuses every piece of them.
        let rows: Vec<f64> = (0..64)
            .flat_map(|k| (0..256).map(move |n| (TAU * k as f64 * n as f64 / 256.0).sin() * 0.5))
            .collect();
        assert!(!deterministic(&rows, 2));
        assert!(deterministic(&rows, 1));
        for piece in f32le(&rows).chunks(8192) {
            assert_eq!(guess(piece), None);
        }
        // Speech-like signals keep a noise floor, and pass; so does the
        // smoothest of them read eightfold oversampled.
        let voice: Vec<f64> = pcm16_tone(8192)
            .chunks_exact(2)
            .map(|c| f64::from(i16::from_le_bytes([c[0], c[1]])))
            .collect();
        assert!(!deterministic(&voice, 1));
        assert_eq!(guess(&pcm16_tone(8192)).map(|g| g.0), Some("s16le"));
        let speechy: Vec<f64> = crate::sniff::dataset::speechy(8192)
            .iter()
            .map(|&v| f64::from(v))
            .collect();
        assert!(!deterministic(&speechy, 1));
        assert_eq!(guess(&f32le(&speechy)).map(|g| g.0), Some("f32le"));
        let slow: Vec<f64> = speechy.iter().flat_map(|&v| [v; 8]).collect();
        assert!(!deterministic(&slow, 1));
        // Silence is no block at all, and no verdict.
        assert!(!deterministic(&[0.0; 4096], 1));
    }

    #[test]
    fn smooth_float_tables_are_not_float_pcm() {
        let floats = |f: &dyn Fn(usize) -> f32| -> Vec<u8> {
            (0..2048).flat_map(|i| f(i).to_le_bytes()).collect()
        };
        // A waveform within ±1 is float PCM.
        let wave = floats(&|i| (i as f32 / 9.0).sin() * 0.4 + (i as f32 / 29.0).sin() * 0.2);
        assert_eq!(guess(&wave).map(|g| g.0), Some("f32le"));
        // Variances (positive), log probabilities (negative, large), an
        // image row in 0–255: smooth, but not a recording.
        let variances = floats(&|i| 1.0 + (i as f32 / 40.0).sin().abs() * 3.0);
        let log_probs = floats(&|i| -2.0 - (i as f32 / 50.0).cos().abs() * 5.0);
        let pixels = floats(&|i| 128.0 + (i as f32 / 17.0).sin() * 100.0);
        for table in [variances, log_probs, pixels] {
            assert_eq!(guess(&table), None);
        }
    }

    /// 24-bit samples in 32-bit slots, left-justified (I2S) or right-
    /// justified, either byte order, and doubles; unsigned 32-bit tables
    /// (offsets, sizes) are smooth in the same lanes but never negative.
    #[test]
    fn microphone_arrays_of_up_to_eight_channels_are_found() {
        // Each input hears the same voice a few samples later, with its
        // own noise; a mono file upmixed to 5.1 has it in the centre only.
        let voice: Vec<i16> = pcm16_tone(8192)
            .chunks_exact(2)
            .map(|c| i16::from_le_bytes([c[0], c[1]]))
            .collect();
        let interleave = |channels: usize, live: &dyn Fn(usize) -> bool| -> Vec<u8> {
            let noise = pseudo_random(8192 * channels, 5);
            (0..8192 / channels)
                .flat_map(|t| (0..channels).map(move |c| (t, c)))
                .flat_map(|(t, c)| {
                    let v = if live(c) {
                        voice[(t + 8192 - c) % 8192] / 2 + i16::from(noise[t * channels + c]) / 8
                    } else {
                        0
                    };
                    v.to_le_bytes()
                })
                .collect()
        };
        for channels in [3, 5, 6, 7, 8] {
            let array = interleave(channels, &|_| true);
            assert_eq!(guess(&array).map(|g| g.0), Some("s16le"), "{channels}");
            // The same voices as 24-bit, from a piece that starts 0, 1 or
            // 2 bytes into a sample.
            let wide: Vec<u8> = array
                .chunks_exact(2)
                .flat_map(|c| [0x5a, c[0], c[1]])
                .collect();
            for cut in 0..3 {
                assert!(guess(&wide[cut..]).is_some(), "{channels} channels, {cut}");
            }
        }
        // (Its 12-byte frames read as four 24-bit channels just as well:
        // found, under another codec guess.)
        let upmixed = interleave(6, &|c| c == 2);
        assert!(guess(&upmixed).is_some());
        // Records of six 16-bit fields, smooth but one-signed (a sensor's
        // raw counts): no channel swings around zero.
        let records: Vec<u8> = (0..8192u32 / 6)
            .flat_map(|t| {
                (0..6u32).flat_map(move |f| {
                    let v = 3000.0 + 900.0 * (f64::from(t) / (9.0 + f64::from(f))).sin();
                    (v as i16).to_le_bytes()
                })
            })
            .collect();
        assert_eq!(guess(&records), None);
    }

    #[test]
    fn wide_containers_are_tried_when_nothing_narrower_fits() {
        let tone: Vec<i32> = pcm16_tone(4096)
            .chunks_exact(2)
            .map(|c| i32::from(i16::from_le_bytes([c[0], c[1]])))
            .collect();
        let noise = pseudo_random(4096, 3);
        let left: Vec<u8> = tone
            .iter()
            .zip(&noise)
            .flat_map(|(&v, &n)| ((v << 16) | i32::from(n)).to_le_bytes())
            .collect();
        assert_eq!(guess(&left).map(|g| g.0), Some("s32le"));
        let right: Vec<u8> = tone.iter().flat_map(|&v| (v << 4).to_be_bytes()).collect();
        assert_eq!(guess(&right).map(|g| g.0), Some("s32be"));
        let doubles: Vec<u8> = tone
            .iter()
            .flat_map(|&v| (f64::from(v) / 32768.0).to_le_bytes())
            .collect();
        assert_eq!(guess(&doubles).map(|g| g.0), Some("f64le"));
        // Floats whose first sample starts 1 to 3 bytes into the piece.
        let floats: Vec<u8> = tone
            .iter()
            .flat_map(|&v| (v as f32 / 32768.0).to_le_bytes())
            .collect();
        // (One byte in, the big-endian reading of the next three happens
        // to fit as well.)
        for shift in 1..4 {
            let cut = [&[0x80u8, 0x04, 0x95][..shift], &floats].concat();
            assert!(guess(&cut).is_some(), "{shift}");
        }
        let offsets: Vec<u8> = (0..4096u32)
            .flat_map(|i| (70_000 + i * 37 + (i / 7) % 5).to_le_bytes())
            .collect();
        assert_eq!(guess(&offsets), None);
        // A GPS track in microdegrees: latitude and longitude pairs, each
        // smooth and one-signed, their signs balanced only together.
        let track: Vec<u8> = (0..2048)
            .flat_map(|i| {
                let t = f64::from(i) / 50.0;
                let lat = (48_850_000.0 + t.sin() * 4_000.0) as i32;
                let lon = (-2_350_000.0 + t.cos() * 4_000.0) as i32;
                [lat.to_le_bytes(), lon.to_le_bytes()].concat()
            })
            .collect();
        assert_eq!(guess(&track), None);
    }

    #[test]
    fn g711_tables_decode_silence_to_near_zero() {
        assert!(mulaw(0xff).abs() < 1.0 && alaw(0xd5).abs() < 16.0);
        assert!(mulaw(0x80).abs() > 8000.0);
    }
}
