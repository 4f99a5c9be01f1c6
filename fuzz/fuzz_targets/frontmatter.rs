#![no_main]
//! Fuzz target `frontmatter`: see `shequn_fuzz::frontmatter` for what is checked.

libfuzzer_sys::fuzz_target!(|data: &[u8]| shequn_fuzz::frontmatter(data));
