//! Regression tests: each reproduces a bug found by these tests, with its issue above it.
