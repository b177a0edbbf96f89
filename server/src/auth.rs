//! Who is calling, and what they may do.
//!
//! Passwords are hashed with argon2id (the crate's defaults, OWASP's minimum) on a few threads of
//! their own (`auth/hashing.rs`: memory stays bounded under a flood of sign-ins). A sign-in returns a
//! random 256-bit bearer token; the server keeps only its SHA-256, so a copy of the database does not
//! let anyone in. Every route that changes anything needs a token: deny by default.
//!
//! Models belong to classes: a learner's model to their class; a mentor's to the class they hand it
//! out to (or to none: staff only). Who may do what:
//! - anyone signed in: read the registry, register a model (they own it), list alerts (of the
//!   models they may read the dashboards of: `Caller::viewer`);
//! - a model's owner, the members and the mentor of its class, and admins: send monitoring events
//!   about it, read its one-window dashboard, its series over time, its alerts and the predictions
//!   a mentor overrode (`require_member`: a learner or mentor of another class may not);
//! - its owner, its class's mentor and admins: describe it, upload versions, attach runs, move
//!   aliases, move a version between staging and archived, retire a version;
//! - its class's mentor and admins (and its owner, if a mentor or in a class that allows it): move a
//!   version into or out of production, move an alias a deployment policy follows or that names a
//!   version in production, retire a version the policy serves, set deployment policies and alert
//!   rules, acknowledge alerts;
//! - its class's mentor and admins (and its owner, if a mentor): override one of its predictions
//!   (`require_class_mentor`);
//! - mentors and admins: make classes; admins see every class;
//! - a class's mentor and admins: rotate or revoke its join code, and read its overview (every model
//!   of the class and its last 24 hours); its learners may not.
//!
//! So a mentor sees and manages the models of their own classes only, and an admin all of them. A
//! server run with `--public-dashboards` opens every one-window dashboard to everyone, signed in or
//! not; nothing else. The registry (names, versions, the audit log) stays readable by anyone signed
//! in, as a shared catalogue.
//!
//! A new password needs at least 8 characters (and at most 1 KiB), and must not be all spaces, the
//! name itself or one of the most common passwords. [`Caller`] and [`MaybeCaller`] are the
//! extractors (401 without a valid token); `require_mentor`, `require_manager`, `require_promoter`,
//! `require_class_mentor` and `require_member` are the rules (403); `authority` tells storage
//! whether the caller may change what serves production.

use crate::error::ServerError;
use crate::storage::{Account, Authority, ModelAccess, Viewer};
use crate::AppState;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};
use sha2::{Digest, Sha256};
use tabml::api::Role;

mod hashing;

pub use hashing::{hash, verify, workers as hashing_threads, SLOT_WAIT};

/// Passwords shorter than this are refused.
pub const MIN_PASSWORD_CHARS: usize = 8;

/// The longest password accepted, in bytes (at sign-up and at sign-in, before any hashing).
pub const MAX_PASSWORD_BYTES: usize = 1024;

/// An argon2id hash of `password` with a fresh random salt, in PHC string form, computed on the
/// calling thread (for the command line; request handlers use [`hash`], which bounds memory).
pub fn hash_password(password: &str) -> Result<String, ServerError> {
    check_password(password)?;
    hashing::hash_with(&mut Vec::new(), password)
}

/// Refuses a password that is too short or too long to be sensible.
pub fn check_password(password: &str) -> Result<(), ServerError> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Err(ServerError::InvalidInput(format!(
            "password: at least {MIN_PASSWORD_CHARS} characters, please (this one has {chars})"
        )));
    }
    check_password_length(password)
}

/// Refuses a password over [`MAX_PASSWORD_BYTES`]: hashing a huge one is work an attacker chooses.
pub fn check_password_length(password: &str) -> Result<(), ServerError> {
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(ServerError::InvalidInput("password: at most 1,024 bytes".into()));
    }
    Ok(())
}

/// Refuses a new password for `name` that is easily guessed: too short or long, all whitespace, the
/// name itself, or one of the most common passwords.
pub fn check_new_password(name: &str, password: &str) -> Result<(), ServerError> {
    check_password(password)?;
    if password.trim().is_empty() {
        return Err(ServerError::InvalidInput("password: not only spaces, please".into()));
    }
    let folded = password.trim().to_lowercase();
    if folded == name.to_lowercase() {
        return Err(ServerError::InvalidInput("password: not your name, please".into()));
    }
    if COMMON_PASSWORDS.contains(&folded.as_str()) {
        return Err(ServerError::InvalidInput(
            "password: this is one of the most common passwords, which are tried first; choose another"
                .into(),
        ));
    }
    Ok(())
}

/// Refuses a user name outside the rule every name follows (the same at sign-up and in
/// `tabml admin create-user`).
pub fn check_user_name(name: &str) -> Result<(), ServerError> {
    crate::routes::check_name("name", name)
}

/// The most common passwords of at least eight characters (from the public breach lists), in lower
/// case: guessers try these first.
const COMMON_PASSWORDS: &[&str] = &[
    "password",
    "password1",
    "password12",
    "password123",
    "password1234",
    "passw0rd",
    "p@ssw0rd",
    "p@ssword",
    "12345678",
    "123456789",
    "1234567890",
    "12345678910",
    "0123456789",
    "11111111",
    "00000000",
    "88888888",
    "87654321",
    "12341234",
    "11223344",
    "12121212",
    "123123123",
    "112233445566",
    "987654321",
    "147258369",
    "123qweasd",
    "1q2w3e4r",
    "1q2w3e4r5t",
    "1qaz2wsx",
    "1qazxsw2",
    "zaq12wsx",
    "qwertyui",
    "qwertyuiop",
    "qwerty123",
    "qwerty1234",
    "qwe123qwe",
    "asdfghjk",
    "asdfghjkl",
    "zxcvbnm1",
    "zxcvbnm123",
    "abcd1234",
    "abc12345",
    "abc123456",
    "abcdefgh",
    "aa123456",
    "a1234567",
    "a12345678",
    "iloveyou",
    "iloveyou1",
    "sunshine",
    "princess",
    "football",
    "baseball",
    "welcome1",
    "welcome123",
    "superman",
    "trustno1",
    "starwars",
    "whatever",
    "letmein1",
    "letmein123",
    "computer",
    "michelle",
    "jennifer",
    "corvette",
    "mercedes",
    "mustang1",
    "internet",
    "samantha",
    "babygirl",
    "lovelove",
    "liverpool",
    "chelsea1",
    "basketball",
    "blink182",
    "butterfly",
    "chocolate",
    "elephant",
    "football1",
    "hello123",
    "helloworld",
    "iloveu123",
    "jordan23",
    "michael1",
    "monkey123",
    "nicole12",
    "pokemon1",
    "qazwsxedc",
    "security",
    "shadow12",
    "soccer12",
    "sunflower",
    "changeme",
    "default1",
    "administrator",
    "admin123",
    "admin1234",
    "rootroot",
    "test1234",
    "testtest",
    "guest123",
    "master12",
    "dragon12",
    "freedom1",
    "secret12",
    "princess1",
];

/// A fresh bearer token (`tml_` and 64 hex digits) and the hash the server keeps.
pub fn new_token() -> Result<(String, [u8; 32]), ServerError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| ServerError::Internal(format!("no random numbers: {e}")))?;
    let token = format!("tml_{}", tabml::hex(&bytes));
    let hash = token_hash(&token);
    Ok((token, hash))
}

/// The SHA-256 of a token: what the database keeps and looks up.
pub fn token_hash(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// What the database keeps of a join code: its SHA-256, after ignoring case, spaces and dashes.
pub fn join_code_hash(code: &str) -> Vec<u8> {
    let normal: String =
        code.chars().filter(|c| c.is_ascii_alphanumeric()).map(|c| c.to_ascii_uppercase()).collect();
    Sha256::digest(normal.as_bytes()).to_vec()
}

/// The bearer token of a request, if it carries one.
pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// The signed-in caller. Extracting it answers 401 when the request has no valid token.
pub struct Caller(pub Account);

/// The caller if signed in, for routes a server setting may open to everyone.
pub struct MaybeCaller(pub Option<Account>);

impl FromRequestParts<AppState> for MaybeCaller {
    type Rejection = ServerError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let Some(token) = bearer(&parts.headers) else {
            return Ok(MaybeCaller(None));
        };
        let hash = token_hash(token);
        let account = crate::routes::blocking(state, move |s| s.account_for_token(&hash)).await?;
        match account {
            Some(account) => Ok(MaybeCaller(Some(account))),
            None => Err(ServerError::Unauthorized(
                "the bearer token is unknown or has expired; sign in again at POST /api/v1/auth/login".into(),
            )),
        }
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ServerError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        match MaybeCaller::from_request_parts(parts, state).await?.0 {
            Some(account) => Ok(Caller(account)),
            None => Err(ServerError::Unauthorized(
                "this needs a bearer token: sign in at POST /api/v1/auth/login and send `Authorization: Bearer TOKEN`"
                    .into(),
            )),
        }
    }
}

impl Caller {
    /// Whether the caller is the mentor of the class the model belongs to.
    fn teaches(&self, model: &ModelAccess) -> bool {
        self.0.role == Role::Mentor && model.class_mentor_id == Some(self.0.id)
    }

    /// Refuses unless the caller is a mentor or an admin.
    pub fn require_mentor(&self, what: &str) -> Result<(), ServerError> {
        match self.0.role {
            Role::Mentor | Role::Admin => Ok(()),
            Role::Learner => Err(ServerError::Forbidden(format!("{what} needs a mentor or an admin"))),
        }
    }

    /// Refuses unless the caller owns the model, teaches its class, or is an admin.
    pub fn require_manager(&self, model: &ModelAccess, what: &str) -> Result<(), ServerError> {
        if self.0.role == Role::Admin || self.0.id == model.owner_id || self.teaches(model) {
            Ok(())
        } else {
            Err(ServerError::Forbidden(format!(
                "{what} needs the model's owner, the mentor of its class or an admin"
            )))
        }
    }

    /// Refuses unless the caller teaches the model's class or is an admin, or owns the model and is
    /// a mentor or in a class that lets owners promote.
    pub fn require_promoter(&self, model: &ModelAccess, what: &str) -> Result<(), ServerError> {
        let owner = self.0.id == model.owner_id;
        if self.0.role == Role::Admin
            || self.teaches(model)
            || (owner && (self.0.role == Role::Mentor || model.owners_may_promote))
        {
            Ok(())
        } else if owner {
            Err(ServerError::Forbidden(format!(
                "{what} needs a mentor: your class does not let owners promote"
            )))
        } else {
            Err(ServerError::Forbidden(format!("{what} needs the mentor of the model's class or an admin")))
        }
    }

    /// Refuses unless the caller owns the model, is in or teaches its class, or is an admin: who may
    /// send monitoring events about it.
    pub fn require_member(&self, model: &ModelAccess, what: &str) -> Result<(), ServerError> {
        let member = self.0.role == Role::Learner && model.class.is_some() && model.class == self.0.class;
        if self.0.role == Role::Admin || self.0.id == model.owner_id || self.teaches(model) || member {
            Ok(())
        } else {
            Err(ServerError::Forbidden(format!(
                "{what} about a model needs its owner, a member or the mentor of its class, or an admin"
            )))
        }
    }

    /// Which models' alerts the caller may list: every model's for an admin (`None`), else those
    /// `require_member` lets them read.
    pub fn viewer(&self) -> Option<Viewer> {
        let learner_class = match self.0.role {
            Role::Admin => return None,
            Role::Learner => self.0.class.clone(),
            Role::Mentor => None,
        };
        Some(Viewer { user_id: self.0.id, learner_class })
    }

    /// Refuses unless the caller teaches the model's class or is an admin, or is a mentor who owns
    /// it: who may override its predictions.
    pub fn require_class_mentor(&self, model: &ModelAccess, what: &str) -> Result<(), ServerError> {
        let owner = self.0.id == model.owner_id && self.0.role == Role::Mentor;
        if self.0.role == Role::Admin || self.teaches(model) || owner {
            Ok(())
        } else {
            Err(ServerError::Forbidden(format!("{what} needs the mentor of the model's class or an admin")))
        }
    }

    /// How far the caller's say over a model goes, once `require_manager` has let them in.
    pub fn authority(&self, model: &ModelAccess) -> Authority {
        if self.require_promoter(model, "").is_ok() {
            Authority::Promoter
        } else {
            Authority::Manager
        }
    }
}
