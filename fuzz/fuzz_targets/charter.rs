#![no_main]
//! Fuzz target `charter`: see `shequn_fuzz::charter` for what is checked.

libfuzzer_sys::fuzz_target!(|data: &[u8]| shequn_fuzz::charter(data));
