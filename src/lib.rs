//! atrest finds audio and biometric data stored without encryption.
//!
//! The pipeline, one module per stage, data flowing one way:
//! [`source`] (walk, bounded reads) → [`sniff`] (pure: bytes → format, class,
//! encryption) → [`unpack`] (inside archives, bounded) → [`pipeline::verdict`]
//! (pure: verdict × rules) → [`report`] (one model, many renderers).
//! [`pipeline`] is the parallel driver and the only module that knows them all.

// Detectors' `wants` are lists of ranges; a list of one is the common case.
#![allow(clippy::single_range_in_vec_init)]

pub mod cli;
pub mod commands;
pub mod config;
pub mod exit;
pub mod formats;
pub mod gate;
pub mod output;
pub mod pipeline;
pub mod progress;
pub mod report;
pub mod rules;
pub mod sniff;
pub mod source;
pub mod state;
pub mod unpack;

pub use commands::run;
