//! `tabml admin create-user`: makes an account in the server's database, with the same rules for
//! names and passwords as sign-up. The password is typed twice without echo on a terminal, or read
//! as one line of standard input, so scripts can pipe it in.

use super::{CliError, Output};
use crate::storage::NewUser;
use crate::{auth, Durability, Storage};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use tabml::api::Role;

/// What `tabml admin create-user` was asked.
#[derive(Debug, Clone, clap::Args)]
pub struct CreateUserArgs {
    /// The server's database file.
    #[arg(long, env = "TABML_DB", default_value = "tabml.db")]
    pub db: PathBuf,
    /// The user's name.
    #[arg(long)]
    pub name: String,
    /// learner, mentor or admin.
    #[arg(long)]
    pub role: String,
}

/// `tabml admin create-user`: checks the name, reads and checks the password, stores the user.
pub fn create_user(args: &CreateUserArgs) -> Result<Output, CliError> {
    let role = Role::parse(&args.role).ok_or_else(|| {
        CliError::Argument(format!("--role {:?}: expected learner, mentor or admin", args.role))
    })?;
    // The same rules as sign-up: a name with a newline would forge log lines.
    auth::check_user_name(&args.name)?;
    let password = read_password(&args.name)?;
    auth::check_new_password(&args.name, &password)?;
    let hash = auth::hash_password(&password)?;
    let storage = Storage::open(&args.db, Durability::Full)?;
    let user = storage.create_user(&NewUser { name: &args.name, role, password_hash: &hash })?;
    Ok(format!("created {} {:?} in {}", user.role.as_str(), user.name, args.db.display()).into())
}

/// The new user's password: typed without echo (twice, since a typo cannot be seen) when standard
/// input is a terminal, else one line of it, so scripts can pipe it in.
fn read_password(name: &str) -> Result<String, CliError> {
    let password = read_secret(&format!("password for {name}: "))?;
    if std::io::stdin().is_terminal() && read_secret("again: ")? != password {
        return Err(CliError::Argument("the two passwords differ; nothing was created".into()));
    }
    Ok(password)
}

/// One line of secret input: from a terminal without echo, after `prompt` on standard error (so
/// that standard output keeps only the result); else one line of standard input, with no prompt.
pub(super) fn read_secret(prompt: &str) -> Result<String, CliError> {
    if !std::io::stdin().is_terminal() {
        let mut line = String::new();
        std::io::stdin()
            .read_line(&mut line)
            .map_err(|source| CliError::Password { from: "standard input", source })?;
        return Ok(line.trim_end_matches(['\n', '\r']).to_owned());
    }
    let from_terminal = |source| CliError::Password { from: "the terminal", source };
    eprint!("{prompt}");
    std::io::stderr().flush().map_err(from_terminal)?;
    rpassword::read_password().map_err(from_terminal)
}
