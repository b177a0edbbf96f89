//! Accounts and classes: roles, sign-in and sign-up, the caller, classes and their join codes.

use serde::{Deserialize, Serialize};

/// A user's role: what they may change on the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Trains, registers and monitors their own models.
    Learner,
    /// Runs a class: promotes to production, sets deployment policies and alert rules.
    Mentor,
    /// Everything, including making users.
    Admin,
}

impl Role {
    /// The role's name on the wire and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Learner => "learner",
            Role::Mentor => "mentor",
            Role::Admin => "admin",
        }
    }

    /// The role named `text`, if any.
    pub fn parse(text: &str) -> Option<Role> {
        match text {
            "learner" => Some(Role::Learner),
            "mentor" => Some(Role::Mentor),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }
}

/// `POST /api/v1/auth/login`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// The user's name.
    pub name: String,
    /// The user's password.
    pub password: String,
}

/// `POST /api/v1/auth/signup`: a learner joins a class with the code its mentor gave out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignupRequest {
    /// The new user's name.
    pub name: String,
    /// Their password (at least 8 characters).
    pub password: String,
    /// The class's join code.
    pub join_code: String,
}

/// The answer to a sign-in or sign-up: a bearer token, shown once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenResponse {
    /// Send as `Authorization: Bearer TOKEN`.
    pub token: String,
    /// When the token stops working (Unix milliseconds).
    pub expires_at: i64,
    /// Who signed in.
    pub user: UserInfo,
}

/// A user as others see them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserInfo {
    /// The user's name.
    pub name: String,
    /// Their role.
    pub role: Role,
    /// The class they belong to, if any.
    pub class: Option<String>,
}

/// `POST /api/v1/classes`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewClass {
    /// The class's name.
    pub name: String,
    /// Whether a learner may promote their own models to production and set their policies and
    /// alert rules (otherwise only a mentor may).
    #[serde(default)]
    pub owners_may_promote: bool,
}

/// A class, as its mentor sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClassInfo {
    /// The class's name.
    pub name: String,
    /// The mentor who made it.
    pub mentor: String,
    /// See [`NewClass::owners_may_promote`].
    pub owners_may_promote: bool,
    /// The code learners sign up with; present only in the answer that made the class.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub join_code: Option<String>,
    /// How many learners have joined.
    pub learners: u64,
}
