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
mod mentor_series;
mod monitoring;
mod server;
