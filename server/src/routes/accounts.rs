//! Sign-in, sign-up with a class's join code, sign-out, and classes.

use super::{blocking, check_name, JsonBody};
use crate::auth::{self, Caller};
use crate::error::ServerError;
use crate::storage::{Account, NewUser};
use crate::AppState;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use sha2::{Digest, Sha256};
use std::sync::OnceLock;
use tabml::api::{ClassInfo, LoginRequest, NewClass, Role, SignupRequest, TokenResponse, UserInfo};

/// `POST /api/v1/auth/login`: a bearer token for a name and password.
pub(super) async fn login_post(
    State(state): State<AppState>,
    JsonBody(login): JsonBody<LoginRequest>,
) -> Result<Json<TokenResponse>, ServerError> {
    let name = login.name.clone();
    let stored = blocking(&state, move |s| s.password_hash(&name)).await?;
    // An unknown name costs the same argon2 work as a wrong password, so timing does not tell
    // which names exist.
    let (user_id, hash) = stored.unwrap_or((0, dummy_hash().to_owned()));
    let password = login.password;
    let matches = tokio::task::spawn_blocking(move || auth::verify_password(&password, &hash))
        .await
        .map_err(|e| ServerError::Internal(e.to_string()))?;
    if !matches || user_id == 0 {
        return Err(ServerError::Unauthorized("the name or the password is wrong".into()));
    }
    issue_token(&state, user_id).await.map(Json)
}

/// `POST /api/v1/auth/signup`: a learner joins the class whose join code they were given.
pub(super) async fn signup_post(
    State(state): State<AppState>,
    JsonBody(signup): JsonBody<SignupRequest>,
) -> Result<(StatusCode, Json<TokenResponse>), ServerError> {
    check_name("name", &signup.name)?;
    let password = signup.password;
    let hash = tokio::task::spawn_blocking(move || auth::hash_password(&password))
        .await
        .map_err(|e| ServerError::Internal(e.to_string()))??;
    let code_hash = join_code_hash(&signup.join_code);
    let name = signup.name;
    let account = blocking(&state, move |s| {
        s.sign_up_learner(&NewUser { name: &name, role: Role::Learner, password_hash: &hash }, &code_hash)
    })
    .await?;
    Ok((StatusCode::CREATED, Json(issue_token(&state, account.id).await?)))
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

/// `POST /api/v1/classes`: a mentor makes a class; the answer carries its join code, shown once.
pub(super) async fn classes_post(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(class): JsonBody<NewClass>,
) -> Result<(StatusCode, Json<ClassInfo>), ServerError> {
    caller.require_mentor("making a class")?;
    check_name("class name", &class.name)?;
    let code = join_code()?;
    let code_hash = join_code_hash(&code);
    let mentor = caller.0.id;
    let mut info =
        blocking(&state, move |s| s.create_class(mentor, &class.name, &code_hash, class.owners_may_promote))
            .await?;
    info.join_code = Some(code);
    Ok((StatusCode::CREATED, Json(info)))
}

/// `GET /api/v1/classes`: a mentor's classes (an admin sees every class).
pub(super) async fn classes_get(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<ClassInfo>>, ServerError> {
    caller.require_mentor("listing classes")?;
    let mentor = (caller.0.role != Role::Admin).then_some(caller.0.id);
    Ok(Json(blocking(&state, move |s| s.classes(mentor)).await?))
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

/// What the database keeps of a join code: its SHA-256, after ignoring case, spaces and dashes.
fn join_code_hash(code: &str) -> Vec<u8> {
    let normal: String =
        code.chars().filter(|c| c.is_ascii_alphanumeric()).map(|c| c.to_ascii_uppercase()).collect();
    Sha256::digest(normal.as_bytes()).to_vec()
}

/// A valid argon2 hash of a password nobody knows, checked when the name is unknown.
fn dummy_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| auth::hash_password("not a password anyone has").unwrap_or_default())
}
