//! Headerless G.722 (wideband telephony, 64 kbit/s; Asterisk ships its
//! prompts as `.g722`): SB-ADPCM with no header, no sync word and no frame
//! structure (formats.md §4.4). Two facts find it without a file name:
//!
//! - each byte is a 2-bit high-band code and a 6-bit low-band code, and the
//!   encoder's quantiser never emits low-band codes 0–3 (G.722 §3.4: the
//!   decoder's table maps them to the same value as a placeholder). In 567
//!   real G.722 files no byte had them; random bytes have one in 16, and
//!   structured binary data is full of zeros;
//! - decoding the lower sub-band (the 0–4 kHz half, at 8 kHz) is cheap, and
//!   gives speech that the ordinary headerless-audio measures recognise.
//!
//! Both must hold, in the same pieces, as for raw PCM (formats.md §4.3).

use super::{Class, Encryption, Sample, Sniff};

const QM4: [i32; 16] = [
    0, -20456, -12896, -8968, -6288, -4240, -2584, -1200, 20456, 12896, 8968, 6288, 4240, 2584,
    1200, 0,
];
const QM6: [i32; 64] = [
    -136, -136, -136, -136, -24808, -21904, -19008, -16704, -14984, -13512, -12280, -11192, -10232,
    -9360, -8576, -7856, -7192, -6576, -6000, -5456, -4944, -4464, -4008, -3576, -3168, -2776,
    -2400, -2032, -1688, -1360, -1040, -728, 24808, 21904, 19008, 16704, 14984, 13512, 12280,
    11192, 10232, 9360, 8576, 7856, 7192, 6576, 6000, 5456, 4944, 4464, 4008, 3576, 3168, 2776,
    2400, 2032, 1688, 1360, 1040, 728, 432, 136, -432, -136,
];
const WL: [i32; 8] = [-60, -30, 58, 172, 334, 538, 1198, 3042];
const RL42: [usize; 16] = [0, 7, 6, 5, 4, 3, 2, 1, 7, 6, 5, 4, 3, 2, 1, 0];
const ILB: [i32; 32] = [
    2048, 2093, 2139, 2186, 2233, 2282, 2332, 2383, 2435, 2489, 2543, 2599, 2656, 2714, 2774, 2834,
    2896, 2960, 3025, 3091, 3158, 3228, 3298, 3371, 3444, 3520, 3597, 3676, 3756, 3838, 3922, 4008,
];

fn saturate(v: i32) -> i32 {
    v.clamp(-32768, 32767)
}

/// The lower sub-band's ADPCM decoder state (G.722 blocks 2L–6L and the
/// adaptive predictor, block 4).
struct LowBand {
    s: i32,
    sp: i32,
    sz: i32,
    r: [i32; 3],
    a: [i32; 3],
    p: [i32; 3],
    d: [i32; 7],
    b: [i32; 7],
    nb: i32,
    det: i32,
}

impl LowBand {
    fn new() -> LowBand {
        LowBand {
            s: 0,
            sp: 0,
            sz: 0,
            r: [0; 3],
            a: [0; 3],
            p: [0; 3],
            d: [0; 7],
            b: [0; 7],
            nb: 0,
            det: 32,
        }
    }

    /// Decodes one byte's low-band code to a sample of the 8 kHz low band.
    fn decode(&mut self, byte: u8) -> i32 {
        let code = usize::from(byte & 0x3f);
        // Inverse quantiser for the output (6 bits) and for the predictor (4 bits).
        let rlow = (self.s + ((self.det * QM6[code]) >> 15)).clamp(-16384, 16383);
        let short = code >> 2;
        let dlow = (self.det * QM4[short]) >> 15;
        // Scale factor adaptation (LOGSCL, SCALEL).
        let nb = ((self.nb * 127) >> 7) + WL[RL42[short]];
        self.nb = nb.clamp(0, 18432);
        let index = ((self.nb >> 6) & 31) as usize;
        let shift = 8 - (self.nb >> 11);
        let det = if shift < 0 {
            ILB[index] << -shift
        } else {
            ILB[index] >> shift
        };
        self.det = det << 2;
        self.adapt(dlow);
        rlow
    }

    /// Block 4: reconstruct, update the pole and zero predictor, predict.
    fn adapt(&mut self, d: i32) {
        self.d[0] = d;
        self.r[0] = saturate(self.s + d);
        self.p[0] = saturate(self.sz + d);
        let sign = |x: i32| x >> 15;
        // UPPOL2
        let wd1 = saturate(self.a[1] << 2);
        let wd2 = if sign(self.p[0]) == sign(self.p[1]) {
            -wd1
        } else {
            wd1
        }
        .min(32767);
        let wd3 = (wd2 >> 7)
            + if sign(self.p[0]) == sign(self.p[2]) {
                128
            } else {
                -128
            }
            + ((self.a[2] * 32512) >> 15);
        let ap2 = wd3.clamp(-12288, 12288);
        // UPPOL1
        let wd1 = if sign(self.p[0]) == sign(self.p[1]) {
            192
        } else {
            -192
        };
        let limit = saturate(15360 - ap2);
        let ap1 = saturate(wd1 + ((self.a[1] * 32640) >> 15)).clamp(-limit, limit);
        // UPZERO
        let step = if d == 0 { 0 } else { 128 };
        let mut bp = [0i32; 7];
        for (i, next) in bp.iter_mut().enumerate().skip(1) {
            let wd2 = if sign(self.d[i]) == sign(d) {
                step
            } else {
                -step
            };
            *next = saturate(wd2 + ((self.b[i] * 32640) >> 15));
        }
        // DELAYA
        for i in (1..7).rev() {
            self.d[i] = self.d[i - 1];
            self.b[i] = bp[i];
        }
        for i in (1..3).rev() {
            self.r[i] = self.r[i - 1];
            self.p[i] = self.p[i - 1];
        }
        self.a[1] = ap1;
        self.a[2] = ap2;
        // FILTEP, FILTEZ, PREDIC
        let wd1 = (self.a[1] * saturate(self.r[1] + self.r[1])) >> 15;
        let wd2 = (self.a[2] * saturate(self.r[2] + self.r[2])) >> 15;
        self.sp = saturate(wd1 + wd2);
        let sz: i32 = (1..7)
            .map(|i| (self.b[i] * saturate(self.d[i] + self.d[i])) >> 15)
            .sum();
        self.sz = saturate(sz);
        self.s = saturate(self.sp + self.sz);
    }
}

/// No G.722 encoder emits a low-band code below 4.
fn encoder_codes_only(b: &[u8]) -> bool {
    b.iter().all(|&x| x & 0x3f >= 4)
}

/// Text in a legacy 8-bit charset (ISO-8859, not UTF-8, so not named text)
/// can avoid the four forbidden codes too: lower-case prose has no `@ABC`.
/// G.722 codes spread over every byte value, about 37 % of them printable
/// ASCII; text is almost all printable.
fn mostly_printable(b: &[u8]) -> bool {
    let printable = b
        .iter()
        .filter(|&&x| (0x20..0x7f).contains(&x) || matches!(x, b'\t' | b'\n' | b'\r'))
        .count();
    printable * 10 > b.len() * 8
}

/// Smallest object judged: a quarter of a second.
const MIN_G722: u64 = 2048;

pub(crate) fn g722(s: &Sample) -> Option<Sniff> {
    if s.size < MIN_G722 {
        return None;
    }
    let windows: Vec<&[u8]> = s
        .slices_in(0..s.size)
        .into_iter()
        .filter(|w| w.len() >= 1024)
        .collect();
    if windows.is_empty()
        || !windows
            .iter()
            .all(|w| encoder_codes_only(w) && !mostly_printable(w))
    {
        return None;
    }
    let mut votes = 0;
    let mut best = 0.0f64;
    for w in &windows {
        // Coded speech spreads over nearly every byte value (real G.722
        // holds 190–240 in a window, the commonest under 10 %); a window
        // of a few values (a fill, a table of small codes) is no vote,
        // whatever its decoded low band looks like.
        if !super::audio::coded(w) {
            continue;
        }
        let mut band = LowBand::new();
        let decoded: Vec<f64> = w.iter().map(|&x| f64::from(band.decode(x))).collect();
        let pieces: Vec<&[f64]> = decoded.chunks(4096).filter(|p| p.len() >= 1024).collect();
        let hits: Vec<f64> = pieces
            .iter()
            .filter_map(|p| super::pcm::speech_like(p))
            .collect();
        // Pauses are part of speech: half the pieces suffice within a window.
        if !pieces.is_empty() && hits.len() * 2 >= pieces.len() {
            votes += 1;
            best = hits.iter().copied().fold(best, f64::max);
        }
    }
    if votes * 3 < windows.len() * 2 {
        return None;
    }
    Some(
        Sniff::new("g722", Some("audio/G722"), Class::Audio, Encryption::None)
            .with("codec", "g722")
            .with("lag1_autocorrelation", super::round3(best))
            .with(
                "basis",
                "headerless: only G.722 encoder codes, and the decoded low band is speech-like (formats.md §4.4)",
            ),
    )
}

#[cfg(test)]
mod tests {
    use super::super::testutil::pseudo_random;
    use super::*;

    fn judge(b: &[u8]) -> Option<Sniff> {
        g722(&Sample::new(b.len() as u64, b, &[]))
    }

    #[test]
    fn random_bytes_with_encoder_codes_only_are_not_g722() {
        // Even forced into the encoder's code set, noise decodes to noise.
        for seed in 0..20 {
            let b: Vec<u8> = pseudo_random(8192, seed)
                .into_iter()
                .map(|x| if x & 0x3f < 4 { x | 0x20 } else { x })
                .collect();
            assert!(judge(&b).is_none(), "seed {seed}");
        }
    }

    #[test]
    fn a_fill_is_not_g722_however_smooth_it_decodes() {
        // One code repeated (a blob of one byte value, a table of a few)
        // decodes to a steady low band: no coded speech.
        assert!(judge(&[0xdd; 65536]).is_none());
        let few: Vec<u8> = (0..16384)
            .map(|i| [0x44, 0x45, 0xdd][i / 700 % 3])
            .collect();
        assert!(judge(&few).is_none());
    }

    #[test]
    fn a_forbidden_code_rules_g722_out() {
        let mut b = vec![0x7au8; 8192];
        b[100] = 0x40;
        assert!(judge(&b).is_none());
    }

    #[test]
    fn the_decoder_follows_a_steady_code_stream() {
        // Alternating positive and negative steps must stay bounded and swing.
        let mut band = LowBand::new();
        let out: Vec<i32> = (0..4000)
            .map(|i| band.decode(if i % 8 < 4 { 0x3c } else { 0x1c }))
            .collect();
        assert!(out.iter().all(|v| (-16384..=16383).contains(v)));
        assert!(out.iter().any(|&v| v > 0) && out.iter().any(|&v| v < 0));
    }

    #[test]
    fn latin1_prose_without_the_forbidden_codes_is_not_g722() {
        // ISO-8859-1 French: no UTF-8, no `@ABC`, all bytes allowed codes.
        let line = b"% motifs de c\xe9sure pour le fran\xe7ais: .a4 .ab4 .ac4 .ad4 .\xe9d2\n";
        let text: Vec<u8> = line.iter().copied().cycle().take(16 * 1024).collect();
        assert!(encoder_codes_only(&text));
        let s = Sample::new(text.len() as u64, &text, &[]);
        assert!(g722(&s).is_none());
    }
}
