#![no_main]
//! Fuzz target `paths`: see `shequn_fuzz::paths` for what is checked.

libfuzzer_sys::fuzz_target!(|data: &[u8]| shequn_fuzz::paths(data));
