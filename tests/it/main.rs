//! Integration tests: one test binary that runs the built `shequn` on the small fixture
//! sites under `tests/sites/<case>/`, one behaviour each. `support` copies a fixture to
//! a temporary folder and runs the binary with a fixed `--now`; the other modules are
//! named after the behaviour they cover.

mod support;

mod atomicity;
mod bad_inputs;
mod checks;
mod commands;
mod drafts;
mod errors;
mod hostile;
mod links;
mod machine_readable;
mod output;
mod pagination;
mod paths;
mod privacy;
mod records;
mod references;
mod regression;
mod safety;
mod scale;
mod search;
mod serve;
mod templates;
mod times;
