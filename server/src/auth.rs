//! Who is calling, and what they may do.
//!
//! Passwords are hashed with argon2id (the crate's defaults, OWASP's minimum). A sign-in returns a
//! random 256-bit bearer token; the server keeps only its SHA-256, so a copy of the database does not
//! let anyone in. Every route that changes anything needs a token: deny by default.
//!
//! Who may do what:
//! - anyone signed in: read the registry, register a model (they own it), send monitoring events
//!   about models they own or that a mentor or admin owns (the models handed out to a class);
//! - a model's owner, any mentor and admins: describe it, upload versions, move aliases, move a
//!   version between staging and archived, retire a version;
//! - mentors and admins (and owners whose class allows it): move a version into or out of
//!   production, set deployment policies and alert rules;
//! - mentors and admins: make classes; admins see every class.

use crate::error::ServerError;
use crate::storage::{Account, ModelAccess};
use crate::AppState;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};
use sha2::{Digest, Sha256};
use tabml::api::Role;

/// Passwords shorter than this are refused.
pub const MIN_PASSWORD_CHARS: usize = 8;

/// An argon2id hash of `password` with a fresh random salt, in PHC string form.
pub fn hash_password(password: &str) -> Result<String, ServerError> {
    check_password(password)?;
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| ServerError::Internal(format!("no random numbers: {e}")))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| ServerError::Internal(e.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| ServerError::Internal(format!("hashing a password failed: {e}")))
}

/// Whether `password` matches the stored `hash`.
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .is_ok_and(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
}

/// Refuses a password that is too short or too long to be sensible.
pub fn check_password(password: &str) -> Result<(), ServerError> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Err(ServerError::InvalidInput(format!(
            "password: at least {MIN_PASSWORD_CHARS} characters, please (this one has {chars})"
        )));
    }
    if password.len() > 1024 {
        return Err(ServerError::InvalidInput("password: at most 1,024 bytes".into()));
    }
    Ok(())
}

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
    /// Refuses unless the caller is a mentor or an admin.
    pub fn require_mentor(&self, what: &str) -> Result<(), ServerError> {
        match self.0.role {
            Role::Mentor | Role::Admin => Ok(()),
            Role::Learner => Err(ServerError::Forbidden(format!("{what} needs a mentor or an admin"))),
        }
    }

    /// Refuses unless the caller owns the model or is a mentor or an admin.
    pub fn require_manager(&self, model: &ModelAccess, what: &str) -> Result<(), ServerError> {
        if self.0.id == model.owner_id || self.0.role != Role::Learner {
            Ok(())
        } else {
            Err(ServerError::Forbidden(format!("{what} needs the model's owner, a mentor or an admin")))
        }
    }

    /// Refuses unless the caller is a mentor or an admin, or owns the model and their class lets
    /// owners promote.
    pub fn require_promoter(&self, model: &ModelAccess, what: &str) -> Result<(), ServerError> {
        if self.0.role != Role::Learner || (self.0.id == model.owner_id && self.0.owners_may_promote) {
            Ok(())
        } else if self.0.id == model.owner_id {
            Err(ServerError::Forbidden(format!(
                "{what} needs a mentor: your class does not let owners promote"
            )))
        } else {
            Err(ServerError::Forbidden(format!("{what} needs a mentor or an admin")))
        }
    }
}
