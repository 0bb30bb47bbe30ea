//! Decoding a frame's bytes with a bound on how deeply they nest.
//!
//! A decoder recurses once per level of nesting, so a small hostile frame (600 bytes of
//! one-element MessagePack arrays) would overflow a 2 MiB worker stack in a debug build and
//! abort the process. Alpaca's messages nest three levels (frame, message, conditions); the
//! limits below leave them alone and refuse anything deeper with an ordinary decode error.

use serde::Deserialize;

/// Deepest MessagePack nesting accepted (arrays, maps and extension values each count one).
pub(crate) const MAX_MSGPACK_DEPTH: usize = 32;

/// A MessagePack frame, refused past [`MAX_MSGPACK_DEPTH`] levels.
pub(crate) fn msgpack<'de, T: Deserialize<'de>>(frame: &'de [u8]) -> Result<T, String> {
    let mut de = rmp_serde::Deserializer::from_read_ref(frame);
    de.set_max_depth(MAX_MSGPACK_DEPTH);
    T::deserialize(&mut de).map_err(|e| e.to_string())
}

/// A JSON frame. `serde_json` refuses nesting past 128 levels by itself (its recursion limit,
/// on unless the `unbounded_depth` feature turns it off, which this crate never does).
pub(crate) fn json<'de, T: Deserialize<'de>>(frame: &'de [u8]) -> Result<T, String> {
    serde_json::from_slice(frame).map_err(|e| e.to_string())
}
