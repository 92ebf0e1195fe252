//! Just enough of Python's pickle machine to read a `torch.save` checkpoint's
//! `data.pkl` (PT `torch/serialization.py`): which storages hold which
//! tensors, with their dtypes, shapes and strides, and the state-dict keys
//! that name them. Nothing is imported or called: `GLOBAL` yields a name,
//! `REDUCE` of `torch._utils._rebuild_tensor_v2` over a persistent storage
//! id yields a tensor record, everything else an opaque value.
//!
//! Bounded: at most [`MAX_OPS`] opcodes, [`MAX_STACK`] stack entries and
//! [`MAX_MEMO`] memo slots; values are shared (`Rc`), so a pickle that
//! duplicates a value exponentially costs pointers, not memory.

use std::rc::Rc;

use super::Dtype;

const MAX_OPS: usize = 200_000;
const MAX_STACK: usize = 10_000;
const MAX_MEMO: usize = 100_000;
const MAX_TENSORS: usize = 4096;
/// Items copied into updated containers, over the whole pickle: a dict or
/// list that `SETITEMS` or `APPENDS` extends while the memo still holds it
/// is copied, so a small pickle could ask for gigabytes.
const MAX_COPIED: usize = 1 << 20;
/// Deepest nesting of containers: dropping a deeper chain of `Rc`s would
/// recurse as deep (a pickle of a million `TUPLE1`s must not overflow the stack).
const MAX_DEPTH: u32 = 64;

/// A tensor as `_rebuild_tensor_v2(storage, offset, size, stride, …)` describes it.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Tensor {
    /// The state-dict key, when the tensor was stored under one.
    pub name: Option<String>,
    /// The storage's key: its data is the archive member `data/<key>`.
    pub key: String,
    /// `None` for storages that cannot hold a waveform (bytes, bools …).
    pub dtype: Option<Dtype>,
    pub offset: u64,
    pub shape: Vec<u64>,
    pub stride: Vec<u64>,
}

#[derive(Debug)]
enum V {
    None,
    Int(i64),
    Str(String),
    Global(String, String),
    /// Containers carry their nesting depth.
    Tuple(u32, Vec<Rc<V>>),
    List(u32, Vec<Rc<V>>),
    Dict(u32, Vec<(Rc<V>, Rc<V>)>),
    /// A persistent id: for torch, ('storage', type, key, location, numel).
    Persistent(u32, Rc<V>),
    /// A rebuilt tensor: its index in the found list.
    Tensor(usize),
    Mark,
    Other,
}

impl V {
    fn depth(&self) -> u32 {
        match self {
            V::Tuple(d, _) | V::List(d, _) | V::Dict(d, _) | V::Persistent(d, _) => *d,
            _ => 0,
        }
    }
}

/// The depth of a container holding `items`, or `None` past [`MAX_DEPTH`].
fn deeper<'v>(items: impl IntoIterator<Item = &'v Rc<V>>) -> Option<u32> {
    let d = 1 + items.into_iter().map(|v| v.depth()).max().unwrap_or(0);
    (d <= MAX_DEPTH).then_some(d)
}

/// Most dimensions a tensor record may have: a shape is copied into every
/// record that names it, and a memoised one can be named thousands of times.
const MAX_DIMS: usize = 64;

fn int_tuple(v: &V) -> Option<Vec<u64>> {
    match v {
        V::Tuple(_, items) if items.len() > MAX_DIMS => None,
        V::Tuple(_, items) => items
            .iter()
            .map(|x| match **x {
                V::Int(i) => u64::try_from(i).ok(),
                _ => None,
            })
            .collect(),
        _ => None,
    }
}

fn storage_dtype(name: &str) -> Option<Dtype> {
    Some(match name {
        "FloatStorage" => Dtype::F32,
        "DoubleStorage" => Dtype::F64,
        "HalfStorage" => Dtype::F16,
        "BFloat16Storage" => Dtype::BF16,
        "ShortStorage" => Dtype::I16,
        "IntStorage" => Dtype::I32,
        "LongStorage" => Dtype::I64,
        _ => return None,
    })
}

/// The tensor a `REDUCE` of `callable(args)` rebuilds, if it is one.
fn rebuild(callable: &V, args: &V) -> Option<Tensor> {
    let V::Global(module, name) = callable else {
        return None;
    };
    if module != "torch._utils" || !name.starts_with("_rebuild_tensor") {
        return None;
    }
    let V::Tuple(_, args) = args else { return None };
    let V::Persistent(_, pid) = &**args.first()? else {
        return None;
    };
    let V::Tuple(_, pid) = &**pid else {
        return None;
    };
    let (V::Str(kind), V::Global(_, storage), V::Str(key)) =
        (&**pid.first()?, &**pid.get(1)?, &**pid.get(2)?)
    else {
        return None;
    };
    if kind != "storage" {
        return None;
    }
    let offset = match **args.get(1)? {
        V::Int(o) => u64::try_from(o).ok()?,
        _ => return None,
    };
    Some(Tensor {
        name: None,
        key: key.clone(),
        dtype: storage_dtype(storage),
        offset,
        shape: int_tuple(args.get(2)?)?,
        stride: int_tuple(args.get(3)?)?,
    })
}

/// The tensors a pickle rebuilds, in order, named by the dict keys they
/// were set under. Stops quietly at anything it does not know.
/// The tensors a pickle rebuilds, and whether it was read to its `STOP`.
pub(super) fn tensors(b: &[u8]) -> (Vec<Tensor>, bool) {
    let mut found: Vec<Tensor> = Vec::new();
    let mut copied = 0usize;
    let mut complete = false;
    let mut stack: Vec<Rc<V>> = Vec::new();
    let mut memo: Vec<Option<Rc<V>>> = Vec::new();
    let mut pos = 0usize;
    let take = |pos: &mut usize, n: usize| -> Option<&[u8]> {
        let s = b.get(*pos..pos.checked_add(n)?)?;
        *pos += n;
        Some(s)
    };
    let uint = |s: &[u8]| s.iter().rev().fold(0u64, |a, &x| a << 8 | u64::from(x));
    for _ in 0..MAX_OPS {
        if stack.len() > MAX_STACK {
            break;
        }
        let Some(op) = take(&mut pos, 1).map(|s| s[0]) else {
            break;
        };
        let pushed: Option<V> = match op {
            0x80 => {
                if take(&mut pos, 1).is_none() {
                    break;
                }
                None
            }
            0x95 => {
                if take(&mut pos, 8).is_none() {
                    break;
                }
                None
            }
            b'}' => Some(V::Dict(1, Vec::new())),
            b']' => Some(V::List(1, Vec::new())),
            b')' => Some(V::Tuple(1, Vec::new())),
            b'(' => Some(V::Mark),
            b'N' => Some(V::None),
            0x88 | 0x89 => Some(V::Int(i64::from(op == 0x88))),
            b'K' => take(&mut pos, 1).map(|s| V::Int(i64::from(s[0]))),
            b'M' => take(&mut pos, 2).map(|s| V::Int(uint(s) as i64)),
            b'J' => take(&mut pos, 4).map(|s| V::Int(i64::from(uint(s) as u32 as i32))),
            0x8a => {
                let Some(n) = take(&mut pos, 1).map(|s| usize::from(s[0])) else {
                    break;
                };
                let Some(s) = take(&mut pos, n) else { break };
                Some(if n <= 8 && n > 0 {
                    let shift = 64 - 8 * n as u32;
                    V::Int(((uint(s) << shift) as i64) >> shift)
                } else if n == 0 {
                    V::Int(0)
                } else {
                    V::Other
                })
            }
            b'G' => take(&mut pos, 8).map(|_| V::Other),
            b'X' | b'T' | b'B' | 0x8c | b'U' | b'C' | 0x8d | 0x8e => {
                let width = match op {
                    0x8c | b'U' | b'C' => 1,
                    0x8d | 0x8e => 8,
                    _ => 4,
                };
                let Some(n) = take(&mut pos, width).map(uint) else {
                    break;
                };
                let Some(s) = usize::try_from(n).ok().and_then(|n| take(&mut pos, n)) else {
                    break;
                };
                Some(if matches!(op, b'B' | b'C' | 0x8e) {
                    V::Other
                } else {
                    V::Str(String::from_utf8_lossy(s).into_owned())
                })
            }
            b'c' => {
                let mut line = || -> Option<String> {
                    let end = b.get(pos..)?.iter().take(256).position(|&c| c == b'\n')?;
                    let s = String::from_utf8_lossy(&b[pos..pos + end]).into_owned();
                    pos += end + 1;
                    Some(s)
                };
                let (Some(module), Some(name)) = (line(), line()) else {
                    break;
                };
                Some(V::Global(module, name))
            }
            0x93 => {
                let (Some(name), Some(module)) = (stack.pop(), stack.pop()) else {
                    break;
                };
                match (&*module, &*name) {
                    (V::Str(m), V::Str(n)) => Some(V::Global(m.clone(), n.clone())),
                    _ => Some(V::Other),
                }
            }
            b'q' | b'r' | 0x94 => {
                let slot = match op {
                    b'q' => take(&mut pos, 1).map(uint),
                    b'r' => take(&mut pos, 4).map(uint),
                    _ => Some(memo.len() as u64),
                };
                let (Some(slot), Some(top)) = (slot, stack.last()) else {
                    break;
                };
                let slot = slot as usize;
                if slot >= MAX_MEMO {
                    break;
                }
                if memo.len() <= slot {
                    memo.resize(slot + 1, None);
                }
                memo[slot] = Some(top.clone());
                None
            }
            b'h' | b'j' => {
                let width = if op == b'h' { 1 } else { 4 };
                let Some(slot) = take(&mut pos, width).map(uint) else {
                    break;
                };
                let Some(Some(v)) = memo.get(slot as usize) else {
                    break;
                };
                stack.push(v.clone());
                None
            }
            b't' | b'l' | b'd' | b'u' | b'e' | 0x90 | b'1' => {
                let Some(mark) = stack.iter().rposition(|v| matches!(**v, V::Mark)) else {
                    break;
                };
                let items: Vec<Rc<V>> = stack.drain(mark + 1..).collect();
                stack.pop();
                let Some(depth) = deeper(&items) else { break };
                match op {
                    b't' => Some(V::Tuple(depth, items)),
                    b'l' => Some(V::List(depth, items)),
                    b'd' => Some(V::Dict(depth, pairs(&items, &mut found))),
                    b'1' => None,
                    _ => {
                        // SETITEMS / APPENDS / ADDITEMS into the object below the mark.
                        let Some(target) = stack.pop() else { break };
                        let updated = match (&*target, op) {
                            (V::Dict(d0, d), b'u') => {
                                copied += d.len() + items.len();
                                if copied > MAX_COPIED {
                                    break;
                                }
                                let mut d: Vec<(Rc<V>, Rc<V>)> = d.clone();
                                d.extend(pairs(&items, &mut found));
                                V::Dict(depth.max(*d0), d)
                            }
                            (V::List(d0, l), b'e') => {
                                copied += l.len() + items.len();
                                if copied > MAX_COPIED {
                                    break;
                                }
                                let mut l = l.clone();
                                l.extend(items);
                                V::List(depth.max(*d0), l)
                            }
                            (_, b'u') => {
                                pairs(&items, &mut found);
                                V::Other
                            }
                            _ => V::Other,
                        };
                        Some(updated)
                    }
                }
            }
            0x85..=0x87 => {
                let n = usize::from(op - 0x84);
                if stack.len() < n {
                    break;
                }
                let items = stack.split_off(stack.len() - n);
                let Some(depth) = deeper(&items) else { break };
                Some(V::Tuple(depth, items))
            }
            b's' => {
                let (Some(value), Some(key), Some(target)) =
                    (stack.pop(), stack.pop(), stack.pop())
                else {
                    break;
                };
                let named = pairs(&[key.clone(), value.clone()], &mut found);
                let Some(depth) = deeper([&key, &value]) else {
                    break;
                };
                Some(match &*target {
                    V::Dict(d0, d) => {
                        copied += d.len() + 1;
                        if copied > MAX_COPIED {
                            break;
                        }
                        let mut d = d.clone();
                        d.extend(named);
                        V::Dict(depth.max(*d0), d)
                    }
                    _ => V::Other,
                })
            }
            b'a' => {
                let (Some(_), Some(_)) = (stack.pop(), stack.pop()) else {
                    break;
                };
                Some(V::Other)
            }
            b'Q' => {
                let Some(pid) = stack.pop() else { break };
                let Some(depth) = deeper([&pid]) else { break };
                Some(V::Persistent(depth, pid))
            }
            b'R' | 0x81 => {
                let (Some(args), Some(callable)) = (stack.pop(), stack.pop()) else {
                    break;
                };
                match rebuild(&callable, &args) {
                    Some(t) if found.len() < MAX_TENSORS => {
                        found.push(t);
                        Some(V::Tensor(found.len() - 1))
                    }
                    // `_rebuild_parameter(tensor, …)` and the like keep the tensor.
                    _ => Some(match &*args {
                        V::Tuple(_, a) => match a.first().map(|x| &**x) {
                            Some(V::Tensor(i)) => V::Tensor(*i),
                            _ => V::Other,
                        },
                        _ => V::Other,
                    }),
                }
            }
            0x92 => {
                let (Some(_), Some(_), Some(_)) = (stack.pop(), stack.pop(), stack.pop()) else {
                    break;
                };
                Some(V::Other)
            }
            b'b' => {
                // BUILD: state applied to the object below; the object stays.
                if stack.pop().is_none() || stack.is_empty() {
                    break;
                }
                None
            }
            b'0' => {
                if stack.pop().is_none() {
                    break;
                }
                None
            }
            b'2' => {
                let Some(top) = stack.last().cloned() else {
                    break;
                };
                stack.push(top);
                None
            }
            0x8f => Some(V::Other),
            0x91 => {
                let Some(mark) = stack.iter().rposition(|v| matches!(**v, V::Mark)) else {
                    break;
                };
                stack.truncate(mark);
                Some(V::Other)
            }
            b'.' => {
                complete = true;
                break;
            }
            _ => break,
        };
        if let Some(v) = pushed {
            stack.push(Rc::new(v));
        }
    }
    (found, complete)
}

/// Key/value pairs from a flat list; a tensor set under a string key takes
/// the key as its name.
fn pairs(items: &[Rc<V>], found: &mut [Tensor]) -> Vec<(Rc<V>, Rc<V>)> {
    items
        .chunks_exact(2)
        .map(|kv| {
            if let (V::Str(k), V::Tensor(i)) = (&*kv[0], &*kv[1]) {
                if let Some(t) = found.get_mut(*i) {
                    t.name.get_or_insert_with(|| k.clone());
                }
            }
            (kv[0].clone(), kv[1].clone())
        })
        .collect()
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// `{'waveform': _rebuild_tensor_v2(('storage', FloatStorage, '0', 'cpu', 12800), 0, (12800,), (1,), False, OrderedDict()), 'sample_rate': 16000}`
    /// as torch.save writes it (protocol 2), from the fixture's data.pkl.
    pub(in crate::unpack::datasets) const WAVEFORM_PKL: &[u8] = b"\x80\x02}q\x00(X\x08\x00\x00\x00waveformq\x01ctorch._utils\n_rebuild_tensor_v2\nq\x02((X\x07\x00\x00\x00storageq\x03ctorch\nFloatStorage\nq\x04X\x01\x00\x00\x000q\x05X\x03\x00\x00\x00cpuq\x06M\x002tq\x07QK\x00M\x002\x85q\x08K\x01\x85q\t\x89ccollections\nOrderedDict\nq\n)Rq\x0btq\x0cRq\rX\x0b\x00\x00\x00sample_rateq\x0eM\x80>u.";

    /// A dict memoised again after every `SETITEMS` is copied whole each
    /// time: the copies are bounded, and the read ends short of `STOP`.
    #[test]
    fn shapes_of_more_than_64_dimensions_make_no_tensor() {
        let shape = |n: usize| V::Tuple(1, (0..n).map(|_| Rc::new(V::Int(1))).collect());
        assert_eq!(int_tuple(&shape(64)).map(|s| s.len()), Some(64));
        assert_eq!(int_tuple(&shape(65)), None);
    }

    #[test]
    fn containers_copied_again_and_again_end_the_read() {
        let mut p = b"\x80\x02}q\x00".to_vec();
        for _ in 0..2000 {
            p.extend(b"h\x00(K\x01K\x02uq\x00");
        }
        p.push(b'.');
        let started = std::time::Instant::now();
        let (found, complete) = tensors(&p);
        assert!(found.is_empty() && !complete);
        assert!(started.elapsed().as_secs() < 2);
    }

    #[test]
    fn a_state_dict_names_its_tensors() {
        let (t, complete) = tensors(WAVEFORM_PKL);
        assert!(complete);
        assert_eq!(
            t,
            vec![Tensor {
                name: Some("waveform".into()),
                key: "0".into(),
                dtype: Some(Dtype::F32),
                offset: 0,
                shape: vec![12800],
                stride: vec![1],
            }]
        );
    }

    #[test]
    fn truncated_and_hostile_pickles_end_quietly() {
        for cut in 0..WAVEFORM_PKL.len() {
            let (t, _) = tensors(&WAVEFORM_PKL[..cut]);
            assert!(t.len() <= 1);
        }
        // A memo slot far away, a GET of nothing, an unknown opcode.
        assert!(tensors(b"\x80\x02Nr\xff\xff\xff\x7f.").0.is_empty());
        assert!(tensors(b"h\x05").0.is_empty());
        assert!(tensors(b"\xfe").0.is_empty());
        // Exponential sharing (DUP and TUPLE2) costs pointers, and nesting
        // stops at MAX_DEPTH: a million TUPLE1s do not overflow the stack.
        let mut bomb = b"\x80\x02N".to_vec();
        for _ in 0..60 {
            bomb.extend(b"2\x86");
        }
        bomb.extend(std::iter::repeat_n(0x85u8, 1_000_000));
        bomb.push(b'.');
        assert!(tensors(&bomb).0.is_empty());
        // A huge string length.
        assert!(tensors(b"X\xff\xff\xff\xff").0.is_empty());
    }
}
