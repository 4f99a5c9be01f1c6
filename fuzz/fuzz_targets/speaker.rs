#![no_main]
//! Fuzz target `speaker`: see `shequn_fuzz::speaker` for what is checked.

libfuzzer_sys::fuzz_target!(|data: &[u8]| shequn_fuzz::speaker(data));
