//! `tabml login`: signs in to a server and keeps the token in a file, for `push`, `pull`,
//! `score --server` and `label` (`--token-file`). The password is read without echo on a terminal,
//! or as one line of standard input from a pipe. The file is written readable by its owner only.

use super::admin::read_secret;
use super::registry::{block_on, write_whole};
use super::remote::anonymous;
use super::{CliError, Output};
use reqwest::Method;
use std::path::PathBuf;
use tabml::api::{LoginRequest, TokenResponse};

/// `tabml login`'s flags.
#[derive(Debug, clap::Args)]
pub struct LoginArgs {
    /// The server's address, such as http://127.0.0.1:8080.
    #[arg(long, value_name = "URL")]
    pub server: String,
    /// Your user name.
    #[arg(long)]
    pub name: String,
    /// Where to keep the token (made readable by you only).
    #[arg(long, value_name = "FILE")]
    pub token_file: PathBuf,
}

/// `tabml login`.
pub fn login(args: &LoginArgs) -> Result<Output, CliError> {
    let remote = anonymous(&args.server)?;
    let password = read_secret(&format!("password for {}: ", args.name))?;
    let request = LoginRequest { name: args.name.clone(), password };
    let answer: TokenResponse =
        block_on(remote.send_json(Method::POST, "/auth/login", &request, "signing in"))?;
    write_whole(&args.token_file, format!("{}\n", answer.token).as_bytes())?;
    restrict(&args.token_file)?;
    let days = (answer.expires_at - super::report::now_ms()) as f64 / 86_400_000.0;
    Ok(Output::from(format!(
        "Signed in to {} as {} ({}); the token, valid for {:.0} more days, is in {}. Pass --token-file {} \
         to push, pull, score --server and label.",
        remote.server(),
        answer.user.name,
        answer.user.role.as_str(),
        days.max(0.0),
        args.token_file.display(),
        args.token_file.display()
    )))
}

/// Makes `path` readable and writable by its owner only (on Unix).
fn restrict(path: &std::path::Path) -> Result<(), CliError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
            .map_err(|source| CliError::Io { path: path.to_owned(), source })?;
    }
    Ok(())
}
