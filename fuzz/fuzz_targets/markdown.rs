#![no_main]
//! Fuzz target `markdown`: see `shequn_fuzz::markdown` for what is checked.

libfuzzer_sys::fuzz_target!(|data: &[u8]| shequn_fuzz::markdown(data));
