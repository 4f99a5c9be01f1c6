#![no_main]
//! Fuzz target `member`: see `shequn_fuzz::member` for what is checked.

libfuzzer_sys::fuzz_target!(|data: &[u8]| shequn_fuzz::member(data));
