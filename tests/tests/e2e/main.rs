//! End-to-end tests, one binary with a module per area.

#[macro_use]
mod harness;

mod abuse;
mod accounts;
mod api;
mod browser;
mod layers;
mod mentor;
mod mentor_etags;
mod mentor_overrides;
mod monitoring;
mod server;
