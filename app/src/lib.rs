//! The tabml browser app: a learner walks a model's life in the tab.
//!
//! The page and its Web Worker are the main seam. The page side: [`pages`] (one folder per page,
//! none importing another), [`state`] (the learner's work, shared by context), [`widgets`],
//! [`account`] (who is signed in), [`outbox`] (monitoring events on their way to the server),
//! [`offline`] (the service worker, and newer releases),
//! [`client`] (the page's only way to the worker), [`store`]
//! (IndexedDB) and [`http`] (the only module that speaks HTTP). The worker side, [`worker`]: its messages, its engine and the Monitor
//! step's checks. Parsing, validation and training run in the worker, so the page never freezes.

pub mod account;
pub mod client;
pub mod files;
pub mod http;
pub mod offline;
pub mod outbox;
pub mod pages;
pub mod state;
pub mod store;
pub mod widgets;
pub mod worker;

pub use pages::App;
