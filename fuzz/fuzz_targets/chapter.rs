#![no_main]
//! Fuzz target `chapter`: see `shequn_fuzz::chapter` for what is checked.

libfuzzer_sys::fuzz_target!(|data: &[u8]| shequn_fuzz::chapter(data));
