#![no_main]
//! Fuzz target `event`: see `shequn_fuzz::event` for what is checked.

libfuzzer_sys::fuzz_target!(|data: &[u8]| shequn_fuzz::event(data));
