//! Randomness evidence: a cheap battery of byte- and bit-level tests that tells
//! ciphertext (and range-coded compression) from structured or Huffman-coded data.
//!
//! Every statistic has a known null distribution for uniform i.i.d. bytes, so the
//! thresholds are expressed as z-scores and work at any window size; no fixed
//! entropy cut-off is used (an entropy of 7.95 is perfectly random at 4 KiB and
//! clearly compressed at 64 KiB). Tests and thresholds follow
//! docs/formats.md §3.6 (T1–T7, α ≈ 10⁻³ each).

/// Below this many bytes no statistical verdict is drawn at all (formats.md §3.7).
pub const MIN_WINDOW: usize = 256;
/// The largest window the battery looks at; longer slices are cut.
pub const MAX_WINDOW: usize = 64 * 1024;
// A window's counts are 16-bit cells, a quarter of its bytes in each of
// four tables (see `window_stats`).
const _: () = assert!(MAX_WINDOW <= 1 << 16);

/// A window of 4 KiB or more whose first 256 bytes hold at least this many
/// distinct values (random bytes hold about 162, σ ≈ 4.7) counts its bytes
/// and nibble pairs in one pass; see `window_stats`.
const JOINT_DISTINCT: usize = 150;

/// z above which one test says "not random" (two-sided 10⁻³ ≈ 3.29).
const Z_REJECT: f64 = 3.29;
/// z above which the structure is beyond doubt (≈ 3 × 10⁻⁷); used where a wrong
/// "plaintext" verdict would be a false finding.
const Z_STRONG: f64 = 5.0;

/// What the battery concluded about one window.
#[derive(Clone, Debug, PartialEq)]
pub struct WindowStats {
    pub len: usize,
    /// Shannon entropy in bits per byte (reported, never decided on).
    pub entropy: f64,
    /// Byte χ² over 256 cells (255 degrees of freedom).
    pub chi2: f64,
    /// Largest z-score over the tests run: how far from random the window
    /// is. When the byte χ² alone reaches the strong threshold the other
    /// tests are not run, and this is that test's score.
    pub max_z: f64,
    /// The binwalk rule: some 32-byte block is far too repetitive for
    /// random data (not looked for in a window the other tests decided).
    pub local_structure: bool,
}

impl WindowStats {
    /// No test rejects randomness at α ≈ 10⁻³.
    pub fn is_random_like(&self) -> bool {
        self.max_z < Z_REJECT && !self.local_structure
    }

    /// At least one test rejects randomness beyond reasonable doubt.
    pub fn is_strongly_structured(&self) -> bool {
        self.max_z >= Z_STRONG || self.local_structure
    }
}

/// The verdict over several windows of one object or payload.
#[derive(Clone, Debug, PartialEq)]
pub struct Randomness {
    pub windows: Vec<WindowStats>,
}

impl Randomness {
    /// Runs the battery over each window long enough to judge.
    pub fn of(windows: &[&[u8]]) -> Randomness {
        let windows = windows
            .iter()
            .filter(|w| w.len() >= MIN_WINDOW)
            .map(|w| window_stats(&w[..w.len().min(MAX_WINDOW)]))
            .collect();
        Randomness { windows }
    }

    pub fn is_decided(&self) -> bool {
        !self.windows.is_empty()
    }

    /// Random-like when at least two thirds of the windows are (2 of 3, 1 of 1),
    /// and no window shows structure beyond doubt: ciphertext has none anywhere.
    pub fn is_random_like(&self) -> bool {
        let n = self.windows.len();
        let random = self.windows.iter().filter(|w| w.is_random_like()).count();
        n > 0 && random * 3 >= n * 2 && !self.windows.iter().any(|w| w.is_strongly_structured())
    }

    /// Mean entropy over the windows, weighted by length (for the report).
    pub fn entropy(&self) -> Option<f64> {
        self.weighted(|w| w.entropy)
    }

    pub fn chi2(&self) -> Option<f64> {
        self.weighted(|w| w.chi2)
    }

    fn weighted(&self, f: impl Fn(&WindowStats) -> f64) -> Option<f64> {
        let total: usize = self.windows.iter().map(|w| w.len).sum();
        if total == 0 {
            return None;
        }
        Some(
            self.windows
                .iter()
                .map(|w| f(w) * w.len as f64)
                .sum::<f64>()
                / total as f64,
        )
    }
}

/// A table of `$f` for every byte value `$v`, built at compile time.
macro_rules! byte_table {
    (|$v:ident| $f:expr) => {{
        let mut table = [0u32; 256];
        let mut $v = 0usize;
        while $v < 256 {
            table[$v] = $f;
            $v += 1;
        }
        table
    }};
}

/// Bit transitions inside each nibble value, most significant bit first.
const NIBBLE_TRANSITIONS: [u32; 16] = {
    let mut table = [0u32; 16];
    let mut v = 0usize;
    while v < 16 {
        table[v] = ((v ^ (v >> 1)) & 7).count_ones();
        v += 1;
    }
    table
};

/// Each byte value's squared distance from 128, at most 2¹⁴: Σx² as
/// Σc·(x − 128)² + 256·Σx − 2¹⁴·n, a dot product with the histogram in
/// 16-bit factors (see `cell_squares`).
const CENTRED_SQUARES: [u32; 256] = byte_table!(|v| ((v as i32 - 128) * (v as i32 - 128)) as u32);

/// Converts a χ² statistic with `dof` degrees of freedom to an upper-tail z-score
/// (Wilson–Hilferty cube-root approximation; accurate to ~0.01 at these dofs).
fn chi2_z(chi2: f64, dof: f64) -> f64 {
    let a = 2.0 / (9.0 * dof);
    ((chi2 / dof).cbrt() - (1.0 - a)) / a.sqrt()
}

/// χ² of 256 cells holding `n` observations against a uniform expectation,
/// from their Σc²: Σ(c − n/256)²/(n/256) = 256·Σc²/n − n.
fn chi2_of(squares: u64, n: usize) -> f64 {
    let nf = n as f64;
    256.0 * squares as f64 / nf - nf
}

/// Σc² and Σc·(v − 128)² over 256 cells `c` (by value `v`) that hold `n`
/// counts. Below 2¹⁵ counts every cell and factor fits 15 bits, and the
/// sums 31: the compiler pairs the products into 16-bit multiply-adds
/// (`pmaddwd`), four cells an instruction; the masks, which change
/// nothing, tell it so.
fn cell_squares(cells: &[u32; 256], n: usize) -> (u64, u64) {
    if n < 1 << 15 {
        let (mut squares, mut centred) = (0u32, 0u32);
        for (&c, &d) in cells.iter().zip(&CENTRED_SQUARES) {
            let (c, d) = (c & 0x7fff, d & 0x7fff);
            squares += c * c;
            centred += c * d;
        }
        (u64::from(squares), u64::from(centred))
    } else {
        let (mut squares, mut centred) = (0u64, 0u64);
        for (&c, &d) in cells.iter().zip(&CENTRED_SQUARES) {
            squares += u64::from(c) * u64::from(c);
            centred += u64::from(c) * u64::from(d);
        }
        (squares, centred)
    }
}

/// Cells of [`C_LOG_C`]: a power of two, so that a mask keeps an index in it.
const C_LOG_C_LEN: usize = 1024;

/// `c·log₂c` for the counts a short window's cells hold, computed once.
static C_LOG_C: std::sync::LazyLock<[f64; C_LOG_C_LEN]> = std::sync::LazyLock::new(|| {
    let mut t = [0.0; C_LOG_C_LEN];
    for (c, v) in t.iter_mut().enumerate().skip(2) {
        *v = c as f64 * (c as f64).log2();
    }
    t
});

/// Shannon entropy in bits per byte: −Σ p·log₂p = log₂n − Σ c·log₂c / n.
fn entropy_of(hist: &[u32; 256], n: usize) -> f64 {
    let table = &*C_LOG_C;
    let mut acc = [0.0f64; 4];
    // Every count in the table where no cell can exceed it (n below its
    // length) or none does (their OR below it, as in random windows up to
    // 64 KiB); the mask, which changes no count, spares a bounds check.
    if n < C_LOG_C_LEN || hist.iter().fold(0, |a, &c| a | c) < C_LOG_C_LEN as u32 {
        for cells in hist.chunks_exact(4) {
            for (a, &c) in acc.iter_mut().zip(cells) {
                *a += table[c as usize & (C_LOG_C_LEN - 1)];
            }
        }
    } else {
        for cells in hist.chunks_exact(4) {
            for (a, &c) in acc.iter_mut().zip(cells) {
                *a += match table.get(c as usize) {
                    Some(&v) => v,
                    None => f64::from(c) * f64::from(c).log2(),
                };
            }
        }
    }
    let nf = n as f64;
    (nf.log2() - (acc[0] + acc[1] + acc[2] + acc[3]) / nf).max(0.0)
}

/// The Shannon entropy of a window (its first [`MAX_WINDOW`] bytes), in
/// bits per byte: [`WindowStats::entropy`] without the tests, for callers
/// that gate on it alone. The same histogram and sum, so the same value to
/// the last bit.
pub fn entropy(w: &[u8]) -> f64 {
    let w = &w[..w.len().min(MAX_WINDOW)];
    let mut hist = [0u32; 256];
    byte_counts(w, &mut hist);
    entropy_of(&hist, w.len())
}

/// Runs T1–T7 of formats.md §3.6 over one window: its first
/// [`MAX_WINDOW`] bytes, as [`Randomness::of`] cuts them.
///
/// Every count the tests need is an integer gathered in passes over the
/// bytes: the byte and nibble-pair histograms (scattered, see below), and,
/// for a window the byte counts leave undecided, the neighbour products
/// and bit transitions (a pass that vectorises); the per-byte parts of the
/// runs test come from the histogram. Integer sums convert to
/// `f64` exactly (all stay below 2⁵³). The χ² and entropy figures come from
/// closed forms over those sums: they agree with the straightforward
/// per-test loops kept in the tests to within rounding (10⁻⁹), and every
/// other statistic bit for bit.
pub fn window_stats(w: &[u8]) -> WindowStats {
    let w = &w[..w.len().min(MAX_WINDOW)];
    let n = w.len();
    let nf = n as f64;
    // Windows of 4 KiB or more also need the high-nibble pair counts, unless
    // the byte counts decide them. Counting each byte once, by its value and
    // its predecessor's high nibble, gives both histograms in one pass: the
    // cheapest way for random-looking bytes, which need both. Where one byte
    // value repeats (silence, padding, the high bytes of quiet samples) the
    // increments to its cell wait on each other, and the byte counts alone,
    // spread over four tables, decide such a window at half the cost. The
    // distinct values among the first 256 bytes choose the way (about 162
    // in random bytes); both count exactly the same.
    let want_pairs = n >= 4096;
    let mut hist = [0u32; 256];
    let pairs = if want_pairs && distinct(&w[..256]) >= JOINT_DISTINCT {
        Some(joint_counts(w, &mut hist))
    } else {
        byte_counts(w, &mut hist);
        None
    };

    // T1: byte χ² = Σ(c − e)²/e with e = n/256, which is 256·Σc²/n − n:
    // one integer sum of squares, exact, instead of 256 divisions.
    let (squares, centred) = cell_squares(&hist, n);
    let chi2 = chi2_of(squares, n);
    let entropy = entropy_of(&hist, n);
    let mut max_z = chi2_z(chi2, 255.0);
    // Byte counts that show structure beyond doubt decide the window: the
    // other tests could only raise `max_z`, and local structure matters
    // only to a window they leave undecided. Most binary formats stop here,
    // before the passes below.
    if max_z >= Z_STRONG {
        return WindowStats {
            len: n,
            entropy,
            chi2,
            max_z,
            local_structure: false,
        };
    }

    // T2: high-nibble pair χ²; needs ≈ 16 expected per cell.
    if want_pairs {
        let pairs = pairs.unwrap_or_else(|| nibble_pairs(w));
        max_z = max_z.max(chi2_z(chi2_of(cell_squares(&pairs, n - 1).0, n - 1), 255.0));
    }

    // The integer sums over the histogram: counts by low nibble (a column
    // of 16 cells) and by high nibble (a row) for T3/T4, bit transitions
    // inside each byte (T5), and Σx, Σx² (T6). Integers, so the order of
    // the additions does not matter, and 32-bit sums hold them: a window
    // holds at most MAX_WINDOW = 2¹⁶ bytes.
    // Σx and the transitions inside each byte follow from the nibble counts:
    // x = 16·high + low, and a byte's transitions are its two nibbles' plus
    // one where bit 4 differs from bit 3 (cells 8–23 of every 32: low
    // nibbles 8–15 under an even high nibble, 0–7 under an odd one, so the
    // columns are summed by the parity of the row). Only Σx² needs a
    // product per cell, Σc·(x − 128)², taken with Σc² above.
    let (mut even, mut odd) = ([0u32; 16], [0u32; 16]);
    for rows in hist.chunks_exact(32) {
        let (e, o) = rows.split_at(16);
        for l in 0..16 {
            even[l] += e[l];
            odd[l] += o[l];
        }
    }
    let low: [u32; 16] = std::array::from_fn(|l| even[l] + odd[l]);
    let high: [u32; 16] = std::array::from_fn(|h| hist[16 * h..16 * h + 16].iter().sum());
    let across: u32 = even[8..].iter().sum::<u32>() + odd[..8].iter().sum::<u32>();
    let (mut sum, mut inner) = (0u64, u64::from(across));
    for (x, (&h, &l)) in high.iter().zip(&low).enumerate() {
        let (h, l) = (u64::from(h), u64::from(l));
        sum += x as u64 * (16 * h + l);
        inner += u64::from(NIBBLE_TRANSITIONS[x]) * (h + l);
    }
    // x² = (x − 128)² + 256·x − 2¹⁴, summed over the window.
    let sum2 = centred + 256 * sum - (1 << 14) * n as u64;

    // T3: balance of each bit position (8 dof), and T4: monobit over all bits.
    let mut ones_at = [0u64; 8];
    for (v, (&h, &l)) in high.iter().zip(&low).enumerate() {
        for bit in 0..4 {
            if v & (1 << bit) != 0 {
                ones_at[bit] += u64::from(l);
                ones_at[bit + 4] += u64::from(h);
            }
        }
    }
    let bit_chi2: f64 = ones_at
        .iter()
        .map(|&c| 4.0 * (c as f64 - nf / 2.0).powi(2) / nf)
        .sum();
    max_z = max_z.max(chi2_z(bit_chi2, 8.0));
    let ones: u64 = ones_at.iter().sum();
    let bits = 8.0 * nf;
    let s = 2.0 * ones as f64 - bits;
    max_z = max_z.max(s.abs() / bits.sqrt());

    // Neighbour products (T6) and bit transitions between neighbouring bytes
    // (T5): a branch-free pass the compiler vectorises.
    let (cross, edges) = neighbours(w);

    // T5: NIST runs test, bits taken most significant first: transitions
    // inside each byte (from the histogram) plus those between neighbours.
    let pi = ones as f64 / bits;
    if (pi - 0.5).abs() >= 2.0 / bits.sqrt() {
        max_z = max_z.max(Z_STRONG);
    } else {
        let transitions = inner + edges;
        let runs = transitions as f64 + 1.0;
        let q = pi * (1.0 - pi);
        let z = (runs - 2.0 * bits * q).abs() / (2.0 * (2.0 * bits).sqrt() * q);
        max_z = max_z.max(z);
    }

    // T6: serial correlation coefficient (ent's cyclic formula); |r|·√n > 4 rejects,
    // scaled so that it shares the z threshold above.
    let (sum, sum2) = (sum as f64, sum2 as f64);
    let cross = cross as f64;
    let denom = nf * sum2 - sum * sum;
    if denom > 0.0 {
        let r = (nf * cross - sum * sum) / denom;
        max_z = max_z.max(r.abs() * nf.sqrt() * (Z_REJECT / 4.0));
    } else {
        max_z = max_z.max(Z_STRONG);
    }

    // T7: binwalk's local rule: a 32-byte block with χ²₃₂ ≥ 512, i.e.
    // Σc² ≥ 68. It can only add structure, so a window the tests above
    // already found structured beyond doubt is not searched.
    let local_structure = max_z < Z_STRONG && local_structure(w);

    WindowStats {
        len: n,
        entropy,
        chi2,
        max_z,
        local_structure,
    }
}

/// How many byte values occur in `b`.
fn distinct(b: &[u8]) -> usize {
    let mut seen = [false; 256];
    for &x in b {
        seen[usize::from(x)] = true;
    }
    seen.iter().filter(|&&s| s).count()
}

/// The byte histogram of `w`, from four tables so that runs of one byte
/// value do not wait on one counter. 16-bit cells: each table counts at
/// most a quarter of a window (MAX_WINDOW / 4 = 2¹⁴ bytes). They are added
/// in 16 bits too, which wraps only where all 2¹⁶ bytes of a window are one
/// value: the first byte's cell, which cannot be 0 otherwise, is then 0.
fn byte_counts(w: &[u8], hist: &mut [u32; 256]) {
    let mut tables = [[0u16; 256]; 4];
    count_into(&mut tables, w);
    let [t0, t1, t2, t3] = &tables;
    let mut sums = [0u16; 256];
    for (i, s) in sums.iter_mut().enumerate() {
        *s = t0[i]
            .wrapping_add(t1[i])
            .wrapping_add(t2[i])
            .wrapping_add(t3[i]);
    }
    for (h, &s) in hist.iter_mut().zip(&sums) {
        *h = u32::from(s);
    }
    if let Some(&b) = w.first() {
        if hist[usize::from(b)] == 0 {
            hist[usize::from(b)] = w.len() as u32;
        }
    }
}

/// Counts the bytes of `b` into four tables, in turn. (Eight bytes a turn
/// of the loop execute fewer instructions, but count long windows of text
/// and samples a few per cent slower.)
#[inline(always)]
fn count_into(tables: &mut [[u16; 256]; 4], b: &[u8]) {
    let mut quads = b.chunks_exact(4);
    for q in &mut quads {
        for (table, &x) in tables.iter_mut().zip(q) {
            table[usize::from(x)] += 1;
        }
    }
    for &x in quads.remainder() {
        tables[0][usize::from(x)] += 1;
    }
}

/// The byte histogram and the high-nibble pair histogram of `w` (at least
/// one byte long), from one table of bytes by their predecessor's high
/// nibble: the byte histogram sums its rows, the pair histogram its cells
/// by high nibble. 16-bit cells: a window holds at most 2¹⁶ bytes, so
/// 2¹⁶ − 1 pairs, and so are the sums of cells below.
///
/// The cells are worked out 256 at a time into a buffer first (a pass that
/// vectorises), so that the counting loop only loads and increments.
fn joint_counts(w: &[u8], hist: &mut [u32; 256]) -> [u32; 256] {
    let mut joint = [0u16; 16 * 256];
    let mut cells = [0u16; 256];
    for (firsts, seconds) in w.chunks(256).zip(w[1..].chunks(256)) {
        for ((c, &p), &b) in cells.iter_mut().zip(firsts).zip(seconds) {
            *c = u16::from(p >> 4) << 8 | u16::from(b);
        }
        let mut eights = cells[..seconds.len()].chunks_exact(8);
        for e in &mut eights {
            for &c in e {
                joint[usize::from(c) & 0xfff] += 1;
            }
        }
        for &c in eights.remainder() {
            joint[usize::from(c) & 0xfff] += 1;
        }
    }
    let mut by_value = [0u16; 256];
    for row in joint.chunks_exact(256) {
        for (s, &c) in by_value.iter_mut().zip(row) {
            *s += c;
        }
    }
    for (h, &c) in hist.iter_mut().zip(&by_value) {
        *h = u32::from(c);
    }
    hist[usize::from(w[0])] += 1;
    // Sixteen cells per pair cell, added four to a 64-bit word: no lane
    // carries (the sum is at most 2¹⁶ − 1), and a multiply gathers the
    // four lanes into the top one.
    let mut pairs = [0u32; 256];
    for (cells, pair) in joint.chunks_exact(16).zip(&mut pairs) {
        let mut s = 0u64;
        for q in cells.chunks_exact(4) {
            s += u64::from(q[0])
                | u64::from(q[1]) << 16
                | u64::from(q[2]) << 32
                | u64::from(q[3]) << 48;
        }
        *pair = (s.wrapping_mul(0x0001_0001_0001_0001) >> 48) as u32;
    }
    pairs
}

/// Counts of neighbouring bytes by their high nibbles, the earlier one's
/// first: cell `16·(w[i] >> 4) + (w[i + 1] >> 4)`. The cells are worked out
/// 512 at a time (vectorised), then counted in four tables, as for the
/// byte histogram, each counting at most a quarter of a window.
fn nibble_pairs(w: &[u8]) -> [u32; 256] {
    let mut tables = [[0u16; 256]; 4];
    let mut cells = [0u8; 512];
    for (firsts, seconds) in w.chunks(512).zip(w[1..].chunks(512)) {
        for ((c, &p), &b) in cells.iter_mut().zip(firsts).zip(seconds) {
            *c = p & 0xf0 | b >> 4;
        }
        count_into(&mut tables, &cells[..seconds.len()]);
    }
    let [t0, t1, t2, t3] = &tables;
    let mut pairs = [0u32; 256];
    for (i, p) in pairs.iter_mut().enumerate() {
        *p = u32::from(t0[i]) + u32::from(t1[i]) + u32::from(t2[i]) + u32::from(t3[i]);
    }
    pairs
}

/// Σ w[i]·w[i+1] cyclically (T6), and the bit transitions between the last
/// bit of each byte and the first of the next, not cyclic (T5).
fn neighbours(w: &[u8]) -> (u64, u64) {
    let (Some(&first), Some(&last)) = (w.first(), w.last()) else {
        return (0, 0);
    };
    let mut cross = u64::from(last) * u64::from(first);
    let mut edges = 0u64;
    let (a, b) = (&w[..w.len() - 1], &w[1..]);
    // Chunks small enough for 32-bit lanes: 4096 products of at most 255².
    // Sixteen lanes of 16-bit products (255² < 2¹⁶), each added to a 32-bit
    // lane: the compiler pairs them into multiply-adds (`pmaddwd`).
    for (ca, cb) in a.chunks(4096).zip(b.chunks(4096)) {
        let mut lanes = [0u32; 16];
        let (xs, ys) = (ca.chunks_exact(16), cb.chunks_exact(16));
        let tail: u32 = (xs.remainder().iter().zip(ys.remainder()))
            .map(|(&x, &y)| u32::from(x) * u32::from(y))
            .sum();
        for (x, y) in xs.zip(ys) {
            for (l, (&x, &y)) in lanes.iter_mut().zip(x.iter().zip(y)) {
                *l += u32::from(u16::from(x) * u16::from(y));
            }
        }
        cross += u64::from(lanes.iter().sum::<u32>() + tail);
    }
    // A loop of its own, in 8-bit lanes (at most 240 per chunk, a multiple
    // of the vector width): fused with the products above, each flag was
    // widened to 32 bits, three times the instructions.
    for (ca, cb) in a.chunks(240).zip(b.chunks(240)) {
        let e8: u8 = ca.iter().zip(cb).map(|(&x, &y)| (x ^ (y >> 7)) & 1).sum();
        edges += u64::from(e8);
    }
    (cross, edges)
}

/// Some 32-byte block holds too many repeated bytes for random data:
/// Σc² ≥ 68 over its byte counts, that is (Σc² = 32 + 2 × the pairs of equal
/// bytes) 18 pairs or more.
///
/// Each block is compared with itself turned by 1 to 15 places (all 32
/// lanes) and by 16 (one half): every pair of positions once, 496
/// comparisons in 31 vector compares of 16 lanes. The turned copies are
/// read from the block written twice; a group of blocks is copied before
/// any is read, since a read that straddles two writes still in flight
/// waits for them (copied and read a block at a time, this was slower than
/// counting bytes into a table). Two blocks share each turn of the loop,
/// which the compiler keeps as a loop of 16-byte compares (unrolled, or
/// with four blocks a turn, it rebuilt the turns from shuffles).
fn local_structure(w: &[u8]) -> bool {
    const GROUP: usize = 16;
    let mut doubled = [[0u8; 64]; GROUP];
    for group in w.chunks(32 * GROUP) {
        let blocks = group.chunks_exact(32);
        let k = blocks.len();
        for (d, b) in doubled.iter_mut().zip(blocks) {
            d[..32].copy_from_slice(b);
            d[32..].copy_from_slice(b);
        }
        if k % 2 == 1 {
            doubled[k] = doubled[k - 1];
        }
        if doubled[..k + k % 2]
            .chunks_exact(2)
            .any(|two| either_repetitive(&two[0], &two[1]))
        {
            return true;
        }
    }
    false
}

/// Adds one to each lane of `acc` where `a` and `b` (16 bytes each) agree.
#[inline(always)]
fn count_equal(acc: &mut [u8; 16], a: &[u8], b: &[u8]) {
    for (n, (x, y)) in acc.iter_mut().zip(a[..16].iter().zip(&b[..16])) {
        *n += u8::from(x == y);
    }
}

/// Whether either of two blocks, each given written twice, holds 18 pairs
/// of equal bytes. A lane counts at most 31 pairs; the two blocks' lanes
/// added (at most 62) settle most pairs of blocks with one sum.
#[inline(always)]
fn either_repetitive(d: &[u8; 64], e: &[u8; 64]) -> bool {
    let (mut p, mut q) = ([0u8; 16], [0u8; 16]);
    for r in 1..16 {
        count_equal(&mut p, &d[..16], &d[r..]);
        count_equal(&mut p, &d[16..32], &d[16 + r..]);
        count_equal(&mut q, &e[..16], &e[r..]);
        count_equal(&mut q, &e[16..32], &e[16 + r..]);
    }
    count_equal(&mut p, &d[..16], &d[16..]);
    count_equal(&mut q, &e[..16], &e[16..]);
    let sum = |a: [u8; 16]| a.iter().map(|&x| u32::from(x)).sum::<u32>();
    let both: [u8; 16] = std::array::from_fn(|l| p[l] + q[l]);
    sum(both) >= 18 && (sum(p) >= 18 || sum(q) >= 18)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sniff::testutil::pseudo_random;

    /// The gate's entropy is the battery's, bit for bit, whichever way the
    /// battery counted the window, and a window is cut as the battery cuts it.
    #[test]
    fn entropy_alone_is_the_batterys_entropy() {
        let text = "the quick brown fox jumps over the lazy dog. ".repeat(200);
        let long = pseudo_random(MAX_WINDOW + 4096, 12);
        let windows: [&[u8]; 6] = [
            &pseudo_random(300, 9),
            &pseudo_random(8192, 10),
            text.as_bytes(),
            &[0u8; 5000],
            &long,
            &[],
        ];
        for w in windows {
            let expected = if w.is_empty() {
                0.0
            } else {
                window_stats(w).entropy
            };
            assert_eq!(
                entropy(w).to_bits(),
                expected.to_bits(),
                "{} bytes",
                w.len()
            );
        }
    }

    #[test]
    fn random_bytes_are_random_like_at_every_window_size() {
        for (i, size) in [1024usize, 4096, 16384, 65536].into_iter().enumerate() {
            let data = pseudo_random(size, 7 + i as u64);
            let s = window_stats(&data);
            assert!(s.is_random_like(), "size {size}: {s:?}");
        }
    }

    #[test]
    fn entropy_of_random_data_is_below_eight_as_the_bias_predicts() {
        let s = window_stats(&pseudo_random(4096, 3));
        assert!(s.entropy > 7.9 && s.entropy < 7.99, "{}", s.entropy);
    }

    #[test]
    fn text_and_zeros_are_structured() {
        let text = "the quick brown fox jumps over the lazy dog. ".repeat(100);
        assert!(window_stats(text.as_bytes()).is_strongly_structured());
        assert!(window_stats(&[0u8; 4096]).is_strongly_structured());
    }

    #[test]
    fn smooth_pcm_is_structured() {
        let pcm: Vec<u8> = (0..8192)
            .flat_map(|i| (((i as f64 / 9.0).sin() * 3000.0) as i16).to_le_bytes())
            .collect();
        assert!(window_stats(&pcm).is_strongly_structured());
    }

    /// The battery as first written, one loop per test: the fused version
    /// must agree with it (verdicts exactly, reported figures to rounding).
    fn reference_stats(w: &[u8]) -> WindowStats {
        let n = w.len();
        let nf = n as f64;
        let mut hist = [0u64; 256];
        for &b in w {
            hist[b as usize] += 1;
        }
        let expected = nf / 256.0;
        let mut chi2 = 0.0;
        let mut entropy = 0.0;
        for &c in &hist {
            let d = c as f64 - expected;
            chi2 += d * d / expected;
            if c > 0 {
                let p = c as f64 / nf;
                entropy -= p * p.log2();
            }
        }
        let mut max_z = chi2_z(chi2, 255.0);
        if n >= 4096 {
            let mut pairs = [0u64; 256];
            for p in w.windows(2) {
                pairs[((p[0] >> 4) << 4 | (p[1] >> 4)) as usize] += 1;
            }
            let e = (n - 1) as f64 / 256.0;
            let c2: f64 = pairs.iter().map(|&c| (c as f64 - e).powi(2) / e).sum();
            max_z = max_z.max(chi2_z(c2, 255.0));
        }
        let mut ones_at = [0u64; 8];
        for (value, &count) in hist.iter().enumerate() {
            for (bit, ones) in ones_at.iter_mut().enumerate() {
                if value & (1 << bit) != 0 {
                    *ones += count;
                }
            }
        }
        let bit_chi2: f64 = ones_at
            .iter()
            .map(|&c| 4.0 * (c as f64 - nf / 2.0).powi(2) / nf)
            .sum();
        max_z = max_z.max(chi2_z(bit_chi2, 8.0));
        let ones: u64 = ones_at.iter().sum();
        let bits = 8.0 * nf;
        let s = 2.0 * ones as f64 - bits;
        max_z = max_z.max(s.abs() / bits.sqrt());
        let pi = ones as f64 / bits;
        if (pi - 0.5).abs() >= 2.0 / bits.sqrt() {
            max_z = max_z.max(Z_STRONG);
        } else {
            let mut transitions: u64 = 0;
            let mut prev_bit = w[0] >> 7;
            for &b in w {
                transitions += u64::from((b >> 7) != prev_bit);
                transitions += u64::from(((b ^ (b >> 1)) & 0x7f).count_ones() as u8);
                prev_bit = b & 1;
            }
            let runs = transitions as f64 + 1.0;
            let q = pi * (1.0 - pi);
            let z = (runs - 2.0 * bits * q).abs() / (2.0 * (2.0 * bits).sqrt() * q);
            max_z = max_z.max(z);
        }
        let (mut sum, mut sum2, mut cross) = (0.0f64, 0.0f64, 0.0f64);
        for i in 0..n {
            let x = w[i] as f64;
            sum += x;
            sum2 += x * x;
            cross += x * w[(i + 1) % n] as f64;
        }
        let denom = nf * sum2 - sum * sum;
        if denom > 0.0 {
            let r = (nf * cross - sum * sum) / denom;
            max_z = max_z.max(r.abs() * nf.sqrt() * (Z_REJECT / 4.0));
        } else {
            max_z = max_z.max(Z_STRONG);
        }
        let local_structure = w.chunks_exact(32).any(|block| {
            let mut counts = [0u8; 256];
            let mut sq: u32 = 0;
            for &b in block {
                let c = &mut counts[b as usize];
                sq += 2 * u32::from(*c) + 1;
                *c += 1;
            }
            sq >= 68
        });
        WindowStats {
            len: n,
            entropy,
            chi2,
            max_z,
            local_structure,
        }
    }

    #[test]
    fn fused_battery_matches_the_per_test_loops_exactly() {
        let mut inputs: Vec<Vec<u8>> = Vec::new();
        for (i, size) in [256usize, 300, 1000, 4095, 4096, 4097, 10_000, 65536]
            .into_iter()
            .enumerate()
        {
            let r = pseudo_random(size, 11 + i as u64);
            inputs.push(r.clone());
            // Random with a little structure: near the thresholds.
            inputs.push(r.iter().map(|&b| b & 0xfe | (b >> 7)).collect());
            inputs.push(r.iter().map(|&b| b.max(3)).collect());
            inputs.push(
                r.iter()
                    .enumerate()
                    .map(|(j, &b)| if j % 97 == 0 { 0 } else { b })
                    .collect(),
            );
            // One aligned block of 18 pairs of equal bytes (three values
            // four times each), and one of 17 (two four times, five twice),
            // in random data: only the block rule can see them.
            for block in [
                vec![1u8, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3],
                vec![1u8, 1, 1, 1, 2, 2, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7],
            ] {
                let mut v = r.clone();
                let start = size / 64 * 32;
                let distinct = (100u8..).take(32 - block.len());
                let filled: Vec<u8> = block.into_iter().chain(distinct).collect();
                v[start..start + 32].copy_from_slice(&filled);
                inputs.push(v);
            }
            // Random after a head of few values: the byte counts alone
            // first, and the pairs counted on their own.
            inputs.push(
                r.iter()
                    .enumerate()
                    .map(|(j, &b)| if j < 256 { b & 0x3f } else { b })
                    .collect(),
            );
            inputs.push(vec![0xffu8; size]);
            inputs.push(
                "voice note: meeting at 3 pm\n"
                    .bytes()
                    .cycle()
                    .take(size)
                    .collect(),
            );
            inputs.push(
                (0..size)
                    .map(|j| ((j as f64 / 5.0).sin() * 90.0 + 128.0) as u8)
                    .collect(),
            );
        }
        let (mut decided_by_chi2, mut by_block_rule, mut pairs_alone) = (0, 0, 0);
        for w in &inputs {
            let (a, b) = (window_stats(w), reference_stats(w));
            pairs_alone += usize::from(
                w.len() >= 4096 && distinct(&w[..256]) < JOINT_DISTINCT && a.max_z < Z_STRONG,
            );
            assert_eq!(a.len, b.len);
            let close = |x: f64, y: f64| (x - y).abs() <= 1e-9 * y.abs().max(1.0);
            assert!(close(a.entropy, b.entropy), "{} {}", a.entropy, b.entropy);
            assert!(close(a.chi2, b.chi2), "{} {}", a.chi2, b.chi2);
            assert_eq!(a.is_random_like(), b.is_random_like());
            assert_eq!(a.is_strongly_structured(), b.is_strongly_structured());
            if a.max_z < Z_STRONG {
                assert!(close(a.max_z, b.max_z), "{} bytes", w.len());
                assert_eq!(a.local_structure, b.local_structure);
                by_block_rule += usize::from(a.local_structure && a.max_z < Z_REJECT);
            } else {
                // Stopped after the byte χ²: a lower bound of the full battery's.
                assert!(a.max_z <= b.max_z || close(a.max_z, b.max_z));
                assert!(!a.local_structure);
                decided_by_chi2 += 1;
            }
        }
        assert!(decided_by_chi2 >= 16, "{decided_by_chi2}");
        assert!(by_block_rule >= 6, "{by_block_rule}");
        assert!(pairs_alone >= 2, "{pairs_alone}");
    }

    #[test]
    fn block_pairs_are_counted_at_every_distance() {
        // Σc² counted by value, as the rule is written.
        let by_value = |block: &[u8]| {
            let mut counts = [0u32; 256];
            block.iter().for_each(|&b| counts[b as usize] += 1);
            counts.iter().map(|c| c * c).sum::<u32>() >= 68
        };
        let base: Vec<u8> = (100u8..132).collect();
        let mut seen = [0usize; 2];
        // Every pair of positions made equal, alone and on top of 17 more
        // pairs (one value at six places, two at two): the 18th pair, at
        // any distance from 1 to 31 (16 included), is structure.
        let background = |b: &mut Vec<u8>| {
            [0usize, 5, 9, 16, 20, 31].iter().for_each(|&p| b[p] = 1);
            (b[2], b[3], b[7], b[8]) = (2, 2, 3, 3);
        };
        let mut seventeen = base.clone();
        background(&mut seventeen);
        assert!(!local_structure(&seventeen) && !by_value(&seventeen));
        for i in 0..32 {
            for j in i + 1..32 {
                for with_background in [false, true] {
                    let mut b = base.clone();
                    if with_background {
                        background(&mut b);
                    }
                    b[j] = b[i];
                    let expect = by_value(&b);
                    assert_eq!(local_structure(&b), expect, "{i} {j} {with_background}");
                    seen[usize::from(expect)] += 1;
                }
            }
        }
        for seed in 0..200 {
            let r = pseudo_random(32, seed);
            // Squeezed into fewer values until the rule fires.
            for mask in [0xffu8, 0x3f, 0x1f, 0x0f, 0x07] {
                let b: Vec<u8> = r.iter().map(|&x| x & mask).collect();
                let expect = by_value(&b);
                assert_eq!(local_structure(&b), expect, "seed {seed} mask {mask:#x}");
                seen[usize::from(expect)] += 1;
            }
        }
        assert!(seen[0] > 500 && seen[1] > 500, "{seen:?}");
    }

    #[test]
    fn two_of_three_windows_decide() {
        let r1 = pseudo_random(4096, 1);
        let r2 = pseudo_random(4096, 2);
        let ones = vec![0x55u8; 4096];
        assert!(Randomness::of(&[&r1, &r2]).is_random_like());
        assert!(!Randomness::of(&[&r1, &r2, &ones]).is_random_like());
        assert!(!Randomness::of(&[&r1[..100]]).is_decided());
    }
}
