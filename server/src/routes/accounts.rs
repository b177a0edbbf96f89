//! Sign-in, sign-up with a class's join code, sign-out, and classes with their join codes.
//!
//! An unknown name costs the same argon2 work as a wrong password, and names match in any case.
//! Sign-up checks the join code before any hashing. Answers that carry a token or a join code are
//! sent with `Cache-Control: no-store`.

use super::{blocking, check_name, JsonBody};
use crate::auth::{self, Caller};
use crate::error::ServerError;
use crate::storage::{Account, ClassRecord, NewUser};
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderName, StatusCode};
use axum::Json;
use serde::{Deserialize, Serialize};
use tabml::api::{ClassInfo, LoginRequest, Role, SignupRequest, TokenResponse, UserInfo};

/// Days a join code works when the mentor does not say.
pub const DEFAULT_JOIN_CODE_DAYS: u32 = 14;

/// The most days a join code may be given.
const MAX_JOIN_CODE_DAYS: u32 = 365;

/// Headers for an answer that carries a secret (a token, a join code): no cache, shared or private,
/// may keep it (`Pragma` for HTTP/1.0 caches).
type NoStore = [(HeaderName, &'static str); 2];
const NO_STORE: NoStore = [(header::CACHE_CONTROL, "no-store"), (header::PRAGMA, "no-cache")];

/// `POST /api/v1/auth/login`: a bearer token for a name (in any case) and password.
pub(super) async fn login_post(
    State(state): State<AppState>,
    JsonBody(login): JsonBody<LoginRequest>,
) -> Result<(NoStore, Json<TokenResponse>), ServerError> {
    // A huge password is hashing work the caller chooses: refuse it before any.
    auth::check_password_length(&login.password)?;
    let name = login.name.clone();
    let stored = blocking(&state, move |s| s.password_hash(&name)).await?;
    // An unknown name costs the same argon2 work as a wrong password, so timing does not tell
    // which names exist.
    let (user_id, hash) = match stored {
        Some((id, hash)) => (Some(id), Some(hash)),
        None => (None, None),
    };
    let matches = auth::verify(login.password, hash).await?;
    match user_id {
        Some(user_id) if matches => Ok((NO_STORE, Json(issue_token(&state, user_id).await?))),
        _ => Err(ServerError::Unauthorized("the name or the password is wrong".into())),
    }
}

/// `POST /api/v1/auth/signup`: a learner joins the class whose join code they were given.
pub(super) async fn signup_post(
    State(state): State<AppState>,
    JsonBody(signup): JsonBody<SignupRequest>,
) -> Result<(StatusCode, NoStore, Json<TokenResponse>), ServerError> {
    auth::check_user_name(&signup.name)?;
    auth::check_new_password(&signup.name, &signup.password)?;
    // The code first: a wrong, expired or revoked one costs no argon2 work.
    let code_hash = auth::join_code_hash(&signup.join_code);
    let checked = code_hash.clone();
    blocking(&state, move |s| s.check_join_code(&checked)).await?;
    let hash = auth::hash(signup.password).await?;
    let name = signup.name;
    let account = blocking(&state, move |s| {
        s.sign_up_learner(&NewUser { name: &name, role: Role::Learner, password_hash: &hash }, &code_hash)
    })
    .await?;
    Ok((StatusCode::CREATED, NO_STORE, Json(issue_token(&state, account.id).await?)))
}

/// `POST /api/v1/auth/logout`: the token stops working.
pub(super) async fn logout_post(
    State(state): State<AppState>,
    _caller: Caller,
    headers: HeaderMap,
) -> Result<StatusCode, ServerError> {
    // The Caller extractor has checked that there is a valid bearer token.
    let hash = auth::token_hash(auth::bearer(&headers).unwrap_or_default());
    blocking(&state, move |s| s.revoke_token(&hash)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/v1/me`: who the token belongs to.
pub(super) async fn me_get(Caller(account): Caller) -> Json<UserInfo> {
    Json(user_info(&account))
}

/// `POST /api/v1/classes`: what a mentor sends to make a class.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct NewClassBody {
    name: String,
    #[serde(default)]
    owners_may_promote: bool,
    /// Days the join code works (1 to 365; 14 when absent).
    join_code_days: Option<u32>,
}

/// `POST /api/v1/classes/{name}/join-code`: how long the new code works.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RotateBody {
    join_code_days: Option<u32>,
}

/// A class as its mentor sees it: the API's `ClassInfo` and the state of its join code.
#[derive(Serialize)]
pub(super) struct ClassAnswer {
    #[serde(flatten)]
    info: ClassInfo,
    /// When the join code stops working (Unix milliseconds).
    join_code_expires_at: i64,
    /// Whether the mentor revoked it (sign-up closed until it is rotated).
    join_code_revoked: bool,
}

impl From<ClassRecord> for ClassAnswer {
    fn from(record: ClassRecord) -> Self {
        Self {
            info: record.info,
            join_code_expires_at: record.join_code_expires_at,
            join_code_revoked: record.join_code_revoked,
        }
    }
}

/// `POST /api/v1/classes`: a mentor makes a class; the answer carries its join code, shown once.
pub(super) async fn classes_post(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(class): JsonBody<NewClassBody>,
) -> Result<(StatusCode, NoStore, Json<ClassAnswer>), ServerError> {
    caller.require_mentor("making a class")?;
    check_name("class name", &class.name)?;
    let expires_at = join_code_expiry(class.join_code_days)?;
    let code = join_code()?;
    let code_hash = auth::join_code_hash(&code);
    let mentor = caller.0.id;
    let (name, promote) = (class.name, class.owners_may_promote);
    let mut record =
        blocking(&state, move |s| s.create_class(mentor, &name, &code_hash, promote, expires_at)).await?;
    record.info.join_code = Some(code);
    Ok((StatusCode::CREATED, NO_STORE, Json(record.into())))
}

/// `GET /api/v1/classes`: a mentor's classes (an admin sees every class).
pub(super) async fn classes_get(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<ClassAnswer>>, ServerError> {
    caller.require_mentor("listing classes")?;
    let mentor = (caller.0.role != Role::Admin).then_some(caller.0.id);
    let records = blocking(&state, move |s| s.classes(mentor)).await?;
    Ok(Json(records.into_iter().map(ClassAnswer::from).collect()))
}

/// `POST /api/v1/classes/{name}/join-code`: the class's mentor (or an admin) gets a new join code,
/// shown once; the old one stops working and sign-up opens again if it was revoked.
pub(super) async fn join_code_post(
    State(state): State<AppState>,
    caller: Caller,
    Path(class): Path<String>,
    body: axum::body::Bytes,
) -> Result<(NoStore, Json<ClassAnswer>), ServerError> {
    require_class_mentor(&state, &caller, &class, "rotating a join code").await?;
    // The body is optional: without one the new code works for the default days.
    let body: RotateBody = if body.iter().all(u8::is_ascii_whitespace) {
        RotateBody::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| {
            ServerError::InvalidInput(format!("the body is not what this endpoint takes: {e}"))
        })?
    };
    let days = body.join_code_days;
    let expires_at = join_code_expiry(days)?;
    let code = join_code()?;
    let code_hash = auth::join_code_hash(&code);
    let mut record = blocking(&state, move |s| s.rotate_join_code(&class, &code_hash, expires_at)).await?;
    tracing::info!(class = %record.info.name, by = %caller.0.name, "join code rotated");
    record.info.join_code = Some(code);
    Ok((NO_STORE, Json(record.into())))
}

/// `DELETE /api/v1/classes/{name}/join-code`: the class's mentor (or an admin) closes sign-up until
/// the code is rotated.
pub(super) async fn join_code_delete(
    State(state): State<AppState>,
    caller: Caller,
    Path(class): Path<String>,
) -> Result<Json<ClassAnswer>, ServerError> {
    require_class_mentor(&state, &caller, &class, "revoking a join code").await?;
    let record = blocking(&state, move |s| s.revoke_join_code(&class)).await?;
    tracing::info!(class = %record.info.name, by = %caller.0.name, "join code revoked");
    Ok(Json(record.into()))
}

/// Refuses unless the caller runs the class called `class` or is an admin (404 when there is no
/// such class, after refusing learners).
pub(super) async fn require_class_mentor(
    state: &AppState,
    caller: &Caller,
    class: &str,
    what: &str,
) -> Result<(), ServerError> {
    caller.require_mentor(what)?;
    check_name("class name", class)?;
    let name = class.to_owned();
    let mentor = blocking(state, move |s| s.class_mentor(&name)).await?;
    if caller.0.role == Role::Admin || caller.0.id == mentor {
        Ok(())
    } else {
        Err(ServerError::Forbidden(format!("{what} needs the class's own mentor or an admin")))
    }
}

/// When a join code given now for `days` (default [`DEFAULT_JOIN_CODE_DAYS`]) stops working.
fn join_code_expiry(days: Option<u32>) -> Result<i64, ServerError> {
    let days = days.unwrap_or(DEFAULT_JOIN_CODE_DAYS);
    if !(1..=MAX_JOIN_CODE_DAYS).contains(&days) {
        return Err(ServerError::InvalidInput(format!(
            "join_code_days {days}: expected 1 to {MAX_JOIN_CODE_DAYS}"
        )));
    }
    Ok(crate::storage::now_ms() + i64::from(days) * 24 * 3600 * 1000)
}

async fn issue_token(state: &AppState, user_id: i64) -> Result<TokenResponse, ServerError> {
    let (token, hash) = auth::new_token()?;
    let expires_at = crate::storage::now_ms() + state.config.token_lifetime.as_millis() as i64;
    let account = blocking(state, move |s| {
        s.store_token(&hash, user_id, expires_at)?;
        s.account(user_id)
    })
    .await?;
    tracing::info!(user = %account.name, "signed in");
    Ok(TokenResponse { token, expires_at, user: user_info(&account) })
}

fn user_info(account: &Account) -> UserInfo {
    UserInfo { name: account.name.clone(), role: account.role, class: account.class.clone() }
}

/// A join code: ten letters and digits that are hard to misread, as `XXXXX-XXXXX`.
fn join_code() -> Result<String, ServerError> {
    const ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
    let mut bytes = [0u8; 10];
    getrandom::fill(&mut bytes).map_err(|e| ServerError::Internal(format!("no random numbers: {e}")))?;
    let letters: String = bytes.iter().map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char).collect();
    Ok(format!("{}-{}", &letters[..5], &letters[5..]))
}
