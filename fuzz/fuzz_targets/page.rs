#![no_main]
//! Fuzz target `page`: see `shequn_fuzz::page` for what is checked.

libfuzzer_sys::fuzz_target!(|data: &[u8]| shequn_fuzz::page(data));
