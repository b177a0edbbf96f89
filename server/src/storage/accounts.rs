//! Users, their bearer tokens (stored as SHA-256 hashes only) and classes.

use super::{now_ms, Storage, StorageError};
use rusqlite::{params, OptionalExtension, Row};
use tabml::api::{ClassInfo, Role};

/// A signed-in user, as permission checks need them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// The server's id for the user.
    pub id: i64,
    /// Their name.
    pub name: String,
    /// Their role.
    pub role: Role,
    /// Their class's name, if they joined one.
    pub class: Option<String>,
    /// Whether their class lets owners promote their own models.
    pub owners_may_promote: bool,
}

/// A user to create. The password arrives already hashed (argon2, in `auth.rs`).
pub struct NewUser<'a> {
    /// The name, unique on the server.
    pub name: &'a str,
    /// The role.
    pub role: Role,
    /// The argon2 hash in PHC string form.
    pub password_hash: &'a str,
}

const ACCOUNT_COLUMNS: &str = "u.id, u.name, u.role, c.name, COALESCE(c.owners_may_promote, 0)";

fn account_from(row: &Row) -> rusqlite::Result<Account> {
    let role: String = row.get(2)?;
    Ok(Account {
        id: row.get(0)?,
        name: row.get(1)?,
        role: Role::parse(&role).unwrap_or(Role::Learner),
        class: row.get(3)?,
        owners_may_promote: row.get::<_, i64>(4)? != 0,
    })
}

impl Storage {
    /// Creates a user outside any class; refuses a taken name.
    pub fn create_user(&self, user: &NewUser) -> Result<Account, StorageError> {
        self.write(|tx| insert_user(tx, user, None))
    }

    /// The id and password hash of the user called `name`, if there is one.
    pub fn password_hash(&self, name: &str) -> Result<Option<(i64, String)>, StorageError> {
        self.read(|c| {
            Ok(c.query_row("SELECT id, password_hash FROM users WHERE name = ?1", params![name], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?)
        })
    }

    /// The user with this id.
    pub fn account(&self, user_id: i64) -> Result<Account, StorageError> {
        self.read(|c| {
            c.query_row(
                &format!(
                    "SELECT {ACCOUNT_COLUMNS} FROM users u LEFT JOIN classes c ON c.id = u.class_id WHERE u.id = ?1"
                ),
                params![user_id],
                account_from,
            )
            .optional()?
            .ok_or_else(|| StorageError::NotFound(format!("no user with id {user_id}")))
        })
    }

    /// Keeps a token's hash for `user_id` until `expires_at` (Unix milliseconds).
    pub fn store_token(&self, hash: &[u8], user_id: i64, expires_at: i64) -> Result<(), StorageError> {
        self.write(|tx| {
            // Expired tokens are useless; drop them while the write lock is held anyway.
            tx.execute("DELETE FROM tokens WHERE expires_at <= ?1", params![now_ms()])?;
            tx.execute(
                "INSERT INTO tokens (hash, user_id, created_at, expires_at) VALUES (?1, ?2, ?3, ?4)",
                params![hash, user_id, now_ms(), expires_at],
            )?;
            Ok(())
        })
    }

    /// The user a token (by its hash) belongs to, if it exists and has not expired.
    pub fn account_for_token(&self, hash: &[u8]) -> Result<Option<Account>, StorageError> {
        self.read(|c| {
            Ok(c.query_row(
                &format!(
                    "SELECT {ACCOUNT_COLUMNS} FROM tokens t JOIN users u ON u.id = t.user_id
                     LEFT JOIN classes c ON c.id = u.class_id WHERE t.hash = ?1 AND t.expires_at > ?2"
                ),
                params![hash, now_ms()],
                account_from,
            )
            .optional()?)
        })
    }

    /// Forgets a token (sign-out).
    pub fn revoke_token(&self, hash: &[u8]) -> Result<(), StorageError> {
        self.write(|tx| {
            tx.execute("DELETE FROM tokens WHERE hash = ?1", params![hash])?;
            Ok(())
        })
    }

    /// Makes a class run by `mentor_id`, joined with the code whose hash is `code_hash`.
    pub fn create_class(
        &self,
        mentor_id: i64,
        name: &str,
        code_hash: &[u8],
        owners_may_promote: bool,
    ) -> Result<ClassInfo, StorageError> {
        self.write(|tx| {
            let taken: bool =
                tx.query_row("SELECT EXISTS (SELECT 1 FROM classes WHERE name = ?1)", params![name], |r| {
                    r.get(0)
                })?;
            if taken {
                return Err(StorageError::Conflict(format!("a class called {name:?} already exists")));
            }
            tx.execute(
                "INSERT INTO classes (name, mentor_id, join_code_hash, owners_may_promote, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![name, mentor_id, code_hash, owners_may_promote, now_ms()],
            )?;
            let mentor: String =
                tx.query_row("SELECT name FROM users WHERE id = ?1", params![mentor_id], |r| r.get(0))?;
            Ok(ClassInfo { name: name.to_owned(), mentor, owners_may_promote, join_code: None, learners: 0 })
        })
    }

    /// The classes `mentor_id` runs, or every class when `None`.
    pub fn classes(&self, mentor_id: Option<i64>) -> Result<Vec<ClassInfo>, StorageError> {
        self.read(|c| {
            let mut statement = c.prepare(
                "SELECT c.name, m.name, c.owners_may_promote,
                        (SELECT COUNT(*) FROM users l WHERE l.class_id = c.id)
                 FROM classes c JOIN users m ON m.id = c.mentor_id
                 WHERE ?1 IS NULL OR c.mentor_id = ?1 ORDER BY c.name",
            )?;
            let rows = statement.query_map(params![mentor_id], |r| {
                Ok(ClassInfo {
                    name: r.get(0)?,
                    mentor: r.get(1)?,
                    owners_may_promote: r.get::<_, i64>(2)? != 0,
                    join_code: None,
                    learners: r.get::<_, i64>(3)? as u64,
                })
            })?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
    }

    /// Creates a learner in the class whose join code hashes to `code_hash`.
    pub fn sign_up_learner(&self, user: &NewUser, code_hash: &[u8]) -> Result<Account, StorageError> {
        self.write(|tx| {
            let class: Option<i64> = tx
                .query_row("SELECT id FROM classes WHERE join_code_hash = ?1", params![code_hash], |r| {
                    r.get(0)
                })
                .optional()?;
            let class = class.ok_or_else(|| StorageError::NotFound("no class has this join code".into()))?;
            insert_user(tx, user, Some(class))
        })
    }
}

fn insert_user(
    tx: &rusqlite::Transaction,
    user: &NewUser,
    class: Option<i64>,
) -> Result<Account, StorageError> {
    let taken: bool =
        tx.query_row("SELECT EXISTS (SELECT 1 FROM users WHERE name = ?1)", params![user.name], |r| {
            r.get(0)
        })?;
    if taken {
        return Err(StorageError::Conflict(format!("a user called {:?} already exists", user.name)));
    }
    tx.execute(
        "INSERT INTO users (name, role, password_hash, class_id, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![user.name, user.role.as_str(), user.password_hash, class, now_ms()],
    )?;
    let id = tx.last_insert_rowid();
    Ok(tx.query_row(
        &format!(
            "SELECT {ACCOUNT_COLUMNS} FROM users u LEFT JOIN classes c ON c.id = u.class_id WHERE u.id = ?1"
        ),
        params![id],
        account_from,
    )?)
}
