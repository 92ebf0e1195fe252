//! Structure parsers for archive formats: pure functions from bytes to a
//! validated description of an archive, with no I/O and no decompression.
//!
//! Invariant: every size, count and offset an archive declares is checked
//! against the bytes actually present and against fixed caps *before* it
//! sizes an allocation or bounds a loop, and all offset arithmetic is
//! checked. A parser that meets something it cannot trust returns an error
//! naming it; it never panics and never allocates from a declared number.

pub(crate) mod ar;
pub(crate) mod avro;
pub(crate) mod cpio;
pub(crate) mod gitpack;
pub(crate) mod lz4legacy;
pub(crate) mod rar;
pub(crate) mod sevenz;
pub(crate) mod tar;
pub(crate) mod yenc;
