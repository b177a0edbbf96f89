//! End-to-end tests, one binary with a module per area.

mod api;
mod browser;
mod server;
