//! Users, their bearer tokens (stored as SHA-256 hashes only) and classes.
//!
//! Names are unique without regard to case. A class keeps only the hash of its join code, with its
//! expiry and whether its mentor revoked it.

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

/// A class with the state of its join code, as its mentor sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClassRecord {
    /// The class as the API shows it.
    pub info: ClassInfo,
    /// When its join code stops working (Unix milliseconds).
    pub join_code_expires_at: i64,
    /// Whether its mentor revoked the join code (sign-up closed until it is rotated).
    pub join_code_revoked: bool,
}

/// A user to create. The password arrives already hashed (argon2, in `auth.rs`).
pub struct NewUser<'a> {
    /// The name, unique on the server without regard to case.
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

    /// The id and password hash of the user called `name` (in any case), if there is one.
    pub fn password_hash(&self, name: &str) -> Result<Option<(i64, String)>, StorageError> {
        // Names that differed only in case before schema 4 both exist (see the migration): the exact
        // spelling wins, then the oldest.
        self.read(|c| {
            Ok(c.query_row(
                "SELECT id, password_hash FROM users WHERE name = ?1 COLLATE NOCASE
                 ORDER BY name = ?1 DESC, id LIMIT 1",
                params![name],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
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

    /// Makes a class run by `mentor_id`, joined with the code whose hash is `code_hash` until
    /// `expires_at` (Unix milliseconds).
    pub fn create_class(
        &self,
        mentor_id: i64,
        name: &str,
        code_hash: &[u8],
        owners_may_promote: bool,
        expires_at: i64,
    ) -> Result<ClassRecord, StorageError> {
        self.write(|tx| {
            let taken: bool =
                tx.query_row("SELECT EXISTS (SELECT 1 FROM classes WHERE name = ?1)", params![name], |r| {
                    r.get(0)
                })?;
            if taken {
                return Err(StorageError::Conflict(format!("a class called {name:?} already exists")));
            }
            tx.execute(
                "INSERT INTO classes (name, mentor_id, join_code_hash, owners_may_promote, created_at,
                                      join_code_expires_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![name, mentor_id, code_hash, owners_may_promote, now_ms(), expires_at],
            )?;
            class_record(tx, name)
        })
    }

    /// The id of the mentor who runs the class called `name`.
    pub fn class_mentor(&self, name: &str) -> Result<i64, StorageError> {
        self.read(|c| {
            c.query_row("SELECT mentor_id FROM classes WHERE name = ?1", params![name], |r| r.get(0))
                .optional()?
                .ok_or_else(|| StorageError::NotFound(format!("no class called {name:?}")))
        })
    }

    /// Gives the class called `name` a new join code (the old one stops working) valid until
    /// `expires_at`, and opens sign-up again if it was revoked.
    pub fn rotate_join_code(
        &self,
        name: &str,
        code_hash: &[u8],
        expires_at: i64,
    ) -> Result<ClassRecord, StorageError> {
        self.write(|tx| {
            tx.execute(
                "UPDATE classes SET join_code_hash = ?2, join_code_expires_at = ?3, join_code_revoked = 0
                 WHERE name = ?1",
                params![name, code_hash, expires_at],
            )?;
            class_record(tx, name)
        })
    }

    /// Revokes the join code of the class called `name`: sign-up is closed until it is rotated.
    pub fn revoke_join_code(&self, name: &str) -> Result<ClassRecord, StorageError> {
        self.write(|tx| {
            tx.execute("UPDATE classes SET join_code_revoked = 1 WHERE name = ?1", params![name])?;
            class_record(tx, name)
        })
    }

    /// Refuses a join code that no class has, or whose class closed it (checked before any password
    /// hashing, so a wrong code costs no argon2 work).
    pub fn check_join_code(&self, code_hash: &[u8]) -> Result<(), StorageError> {
        self.read(|c| open_class(c, code_hash).map(|_| ()))
    }

    /// The classes `mentor_id` runs, or every class when `None`.
    pub fn classes(&self, mentor_id: Option<i64>) -> Result<Vec<ClassRecord>, StorageError> {
        self.read(|c| {
            let mut statement = c.prepare(&format!(
                "SELECT {CLASS_COLUMNS} WHERE ?1 IS NULL OR c.mentor_id = ?1 ORDER BY c.name"
            ))?;
            let rows = statement.query_map(params![mentor_id], class_from)?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
    }

    /// Creates a learner in the class whose join code hashes to `code_hash`.
    pub fn sign_up_learner(&self, user: &NewUser, code_hash: &[u8]) -> Result<Account, StorageError> {
        self.write(|tx| {
            let class = open_class(tx, code_hash)?;
            insert_user(tx, user, Some(class))
        })
    }
}

const CLASS_COLUMNS: &str = "c.name, m.name, c.owners_may_promote,
    (SELECT COUNT(*) FROM users l WHERE l.class_id = c.id), c.join_code_expires_at, c.join_code_revoked
    FROM classes c JOIN users m ON m.id = c.mentor_id";

fn class_from(r: &Row) -> rusqlite::Result<ClassRecord> {
    Ok(ClassRecord {
        info: ClassInfo {
            name: r.get(0)?,
            mentor: r.get(1)?,
            owners_may_promote: r.get::<_, i64>(2)? != 0,
            join_code: None,
            learners: r.get::<_, i64>(3)? as u64,
        },
        join_code_expires_at: r.get(4)?,
        join_code_revoked: r.get::<_, i64>(5)? != 0,
    })
}

fn class_record(c: &rusqlite::Connection, name: &str) -> Result<ClassRecord, StorageError> {
    c.query_row(&format!("SELECT {CLASS_COLUMNS} WHERE c.name = ?1"), params![name], class_from)
        .optional()?
        .ok_or_else(|| StorageError::NotFound(format!("no class called {name:?}")))
}

/// The id of the class whose join code hashes to `code_hash`, if that code still opens sign-up.
fn open_class(c: &rusqlite::Connection, code_hash: &[u8]) -> Result<i64, StorageError> {
    let class: Option<(i64, String, i64, bool)> = c
        .query_row(
            "SELECT id, name, join_code_expires_at, join_code_revoked FROM classes WHERE join_code_hash = ?1",
            params![code_hash],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get::<_, i64>(3)? != 0)),
        )
        .optional()?;
    match class {
        None => Err(StorageError::NotFound("no class has this join code".into())),
        Some((_, name, _, true)) => Err(StorageError::JoinCodeClosed(format!(
            "the join code of class {name:?} was revoked by its mentor; ask them for a new one"
        ))),
        Some((_, name, expires_at, false)) if expires_at <= now_ms() => Err(StorageError::JoinCodeClosed(
            format!("the join code of class {name:?} has expired; ask its mentor for a new one"),
        )),
        Some((id, ..)) => Ok(id),
    }
}

fn insert_user(
    tx: &rusqlite::Transaction,
    user: &NewUser,
    class: Option<i64>,
) -> Result<Account, StorageError> {
    // Names are unique without regard to case: `MentorA` beside `mentorA` would let one pass for
    // the other.
    let taken: Option<String> = tx
        .query_row("SELECT name FROM users WHERE name = ?1 COLLATE NOCASE", params![user.name], |r| r.get(0))
        .optional()?;
    if let Some(taken) = taken {
        return Err(StorageError::Conflict(if taken == user.name {
            format!("a user called {taken:?} already exists")
        } else {
            format!("a user called {taken:?} already exists (names differing only in case are the same)")
        }));
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

#[cfg(test)]
mod tests {
    use super::super::tests::temp_db;
    use super::super::{Durability, MIGRATIONS};
    use super::*;

    #[test]
    fn names_differing_only_in_case_survive_the_upgrade_and_no_new_twin_is_made() {
        let (_dir, path) = temp_db("twins");
        {
            // A database at schema 3, when `MentorA` and `mentorA` could both be made.
            let connection = rusqlite::Connection::open(&path).unwrap();
            for step in &MIGRATIONS[..3] {
                connection.execute_batch(step).unwrap();
            }
            connection.pragma_update(None, "user_version", 3).unwrap();
            for name in ["MentorA", "mentorA", "MENTORA", "other"] {
                connection
                    .execute(
                        "INSERT INTO users (name, role, password_hash, created_at) VALUES (?1, 'mentor', ?1, 0)",
                        params![name],
                    )
                    .unwrap();
            }
            connection
                .execute(
                    "INSERT INTO classes (name, mentor_id, join_code_hash, owners_may_promote, created_at)
                     VALUES ('old', 1, x'00', 0, 0)",
                    [],
                )
                .unwrap();
        }
        let storage = Storage::open(&path, Durability::Normal).unwrap();
        // Each twin signs in with its exact spelling; any other spelling finds the oldest.
        for (name, id) in [("MentorA", 1), ("mentorA", 2), ("MENTORA", 3), ("mentora", 1), ("OTHER", 4)] {
            let (found, hash) = storage.password_hash(name).unwrap().unwrap();
            assert_eq!(found, id, "{name}");
            assert_eq!(hash, ["MentorA", "mentorA", "MENTORA", "other"][id as usize - 1]);
        }
        let twin = NewUser { name: "mEntora", role: tabml::api::Role::Learner, password_hash: "h" };
        let err = storage.create_user(&twin).unwrap_err();
        assert!(matches!(err, StorageError::Conflict(_)), "{err}");
        // The old class's code now expires, 14 days after the upgrade.
        let class = &storage.classes(None).unwrap()[0];
        let days = (class.join_code_expires_at - now_ms()) as f64 / 86_400_000.0;
        assert!((days - 14.0).abs() < 0.01, "{days}");
        assert!(!class.join_code_revoked);
        storage.check_join_code(&[0]).unwrap();
    }
}
