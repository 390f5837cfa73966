//! Fuzz target: the guest's `CommandReceiver` on arbitrary receive-line
//! bytes; see `protocol_fuzz::check_commands` for the invariants.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    protocol_fuzz::check_commands(data);
});
