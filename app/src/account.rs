//! Who is signed in, shared by every page through leptos's context: [`Account`].
//!
//! Signing in is needed only to share (the workbench works signed out). The token is kept in this
//! browser (`store.rs`, record `session`) until it expires or the learner signs out. On start the
//! kept token is read back; one past its expiry is dropped at once, and one the server no longer
//! knows (`401` from `/api/v1/me`) is dropped when the server says so. Either way the learner is
//! told, and nothing of their work in the tab changes. With the server unreachable, the token is
//! kept: the server decides when it can answer.

use crate::http::{self, HttpError};
use crate::store;
use leptos::prelude::*;
use tabml::api::{Role, TokenResponse};

/// The sign-in of this browser.
#[derive(Clone, Copy)]
pub struct Account {
    /// The token, its expiry and who it is for; `None` when signed out.
    pub session: RwSignal<Option<TokenResponse>>,
    /// Why the learner was signed out without asking (an expired token), to show until they sign in.
    pub notice: RwSignal<Option<String>>,
    /// Whether the kept sign-in has been read back.
    pub restored: RwSignal<bool>,
}

impl Default for Account {
    fn default() -> Self {
        Self { session: RwSignal::new(None), notice: RwSignal::new(None), restored: RwSignal::new(false) }
    }
}

/// The role as the header shows it.
pub fn role_name(role: Role) -> &'static str {
    match role {
        Role::Learner => "learner",
        Role::Mentor => "mentor",
        Role::Admin => "admin",
    }
}

/// Now, in Unix milliseconds, by the browser's clock.
fn now_ms() -> f64 {
    js_sys::Date::now()
}

/// The expiry as a date and time the learner reads (their browser's locale and time zone).
pub fn expiry_text(expires_at: i64) -> String {
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(expires_at as f64));
    String::from(date.to_locale_string("default", &wasm_bindgen::JsValue::UNDEFINED))
}

impl Account {
    /// Reads the kept sign-in back and checks it with the server.
    pub async fn restore(self) {
        if let Ok(Some(session)) = store::load_session().await {
            if (session.expires_at as f64) <= now_ms() {
                self.expired().await;
            } else {
                let token = session.token.clone();
                self.session.set(Some(session));
                if let Err(e) = http::me(&token).await {
                    if e.is_unauthorized() {
                        self.expired().await;
                    }
                }
            }
        }
        self.restored.set(true);
    }

    /// Signed in: the token is kept in this browser.
    pub async fn signed_in(self, session: TokenResponse) -> Result<(), store::StoreError> {
        self.notice.set(None);
        self.session.set(Some(session.clone()));
        store::save_session(&session).await
    }

    /// Signs out here and on the server (which may be unreachable: the token is forgotten here
    /// either way).
    pub async fn sign_out(self) {
        if let Some(session) = self.session.get_untracked() {
            let _ = http::logout(&session.token).await;
        }
        self.session.set(None);
        let _ = store::forget_session().await;
    }

    /// The kept token no longer works: forget it and say so.
    pub async fn expired(self) {
        self.session.set(None);
        self.notice.set(Some(
            "Your sign-in has expired. Sign in again to share; your work in this tab is untouched.".into(),
        ));
        let _ = store::forget_session().await;
    }

    /// The token of this browser's sign-in, if any.
    pub fn token(self) -> Option<String> {
        self.session.get_untracked().map(|s| s.token)
    }

    /// What to tell the learner of a request the server did not do, in words: who may not do it
    /// (403), what stands in the way (409), or the server's own message. A sign-in the server no
    /// longer knows (401) is forgotten, which sends the learner to sign in again.
    pub fn words(self, error: HttpError) -> String {
        if error.is_unauthorized() {
            leptos::task::spawn_local(self.expired());
            return "Your sign-in has expired; sign in again.".into();
        }
        match error {
            HttpError::Refused { status: 403, message, .. } => format!("Not allowed: {message}"),
            HttpError::Refused { status: 409, message, .. } => format!("Not possible now: {message}"),
            HttpError::Refused { message, .. } => message,
            HttpError::Network { .. } => "The server cannot be reached; try again when it is back.".into(),
            other => other.to_string(),
        }
    }
}
