#![no_main]
//! Fuzz target `url`: see `shequn_fuzz::url` for what is checked.

libfuzzer_sys::fuzz_target!(|data: &[u8]| shequn_fuzz::url(data));
