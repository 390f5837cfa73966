//! Fuzz target: the host's `StreamDecoder` on arbitrary serial bytes, in
//! three chunkings; see `protocol_fuzz::check_stream` for the invariants.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    protocol_fuzz::check_stream(data);
});
