#![no_main]
//! Fuzz target `config`: see `shequn_fuzz::config` for what is checked.

libfuzzer_sys::fuzz_target!(|data: &[u8]| shequn_fuzz::config(data));
