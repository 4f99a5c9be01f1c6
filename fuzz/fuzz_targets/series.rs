#![no_main]
//! Fuzz target `series`: see `shequn_fuzz::series` for what is checked.

libfuzzer_sys::fuzz_target!(|data: &[u8]| shequn_fuzz::series(data));
