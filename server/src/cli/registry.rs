//! `tabml push` and `tabml pull`: a bundle file to and from a server's model registry, for
//! scheduled jobs. Both check the bundle on this side first, so a file that is not one never leaves
//! the machine and a download that does not decode is never written.
//!
//! `push` registers the model name when it is new (its description and card taken from the
//! bundle's problem card), uploads the bundle as a new version and, with `--alias`, moves the alias
//! to it. A bundle the model already holds (same digest) is not uploaded again: a push repeated
//! after a lost answer names the version it made the first time instead of making a second one.
//!
//! `pull` writes the version named by `--version`, `--alias` or `--stage` to `--out`, replacing the
//! file only once the whole bundle has arrived, been checked against the server's digest and
//! decoded. When `--out` already holds a bundle, the server is asked with `If-None-Match` and an
//! unchanged model is not downloaded again.

use super::remote::{segment, Download, Remote, RemoteArgs};
use super::{read, CliError, Output};
use reqwest::Method;
use std::path::{Path, PathBuf};
use tabml::api::{AliasMove, ModelInfo, NewModel, VersionInfo};
use tabml::ModelBundle;

/// `tabml push`'s flags.
#[derive(Debug, clap::Args)]
pub struct PushArgs {
    #[command(flatten)]
    pub remote: RemoteArgs,
    /// The registered model's name (made if it does not exist yet).
    #[arg(long)]
    pub model: String,
    /// The bundle to upload (a `.tabml` file).
    pub file: PathBuf,
    /// Move this alias (such as champion) to the new version.
    #[arg(long, requires = "reason")]
    pub alias: Option<String>,
    /// Why the alias moves, for the audit log.
    #[arg(long, requires = "alias")]
    pub reason: Option<String>,
}

/// Which version a command asks for: exactly one of the three.
#[derive(Debug, Clone, clap::Args)]
#[group(required = true, multiple = false)]
pub struct VersionArgs {
    /// A version number.
    #[arg(long)]
    pub version: Option<u32>,
    /// The version an alias names (such as champion).
    #[arg(long)]
    pub alias: Option<String>,
    /// The newest version in a stage (staging or production).
    #[arg(long)]
    pub stage: Option<String>,
}

impl VersionArgs {
    /// The API path of the bundle these flags name, for the model `model`.
    pub fn bundle_path(&self, model: &str) -> String {
        let model = segment(model);
        match (&self.version, &self.alias, &self.stage) {
            (Some(n), _, _) => format!("/models/{model}/versions/{n}/bundle"),
            (_, Some(alias), _) => format!("/models/{model}/aliases/{}/bundle", segment(alias)),
            (_, _, Some(stage)) => format!("/models/{model}/stages/{}/bundle", segment(stage)),
            // clap's group makes one of them required.
            (None, None, None) => format!("/models/{model}/stages/production/bundle"),
        }
    }

    /// These flags in words: "version 3", "alias champion", "stage production".
    pub fn describe(&self) -> String {
        match (&self.version, &self.alias, &self.stage) {
            (Some(n), _, _) => format!("version {n}"),
            (_, Some(alias), _) => format!("alias {alias}"),
            (_, _, Some(stage)) => format!("stage {stage}"),
            (None, None, None) => "stage production".to_owned(),
        }
    }
}

/// `tabml pull`'s flags.
#[derive(Debug, clap::Args)]
pub struct PullArgs {
    #[command(flatten)]
    pub remote: RemoteArgs,
    /// The registered model's name.
    #[arg(long)]
    pub model: String,
    #[command(flatten)]
    pub which: VersionArgs,
    /// Where to write the bundle.
    #[arg(long)]
    pub out: PathBuf,
}

/// Runs `future` on a runtime of its own (the batch commands are synchronous).
pub(super) fn block_on<T>(
    future: impl std::future::Future<Output = Result<T, CliError>>,
) -> Result<T, CliError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(CliError::Runtime)?
        .block_on(future)
}

/// `tabml push`: prints the version number on standard output (and what happened on standard error).
pub fn push(args: &PushArgs) -> Result<Output, CliError> {
    let bytes = read(&args.file)?;
    let bundle = ModelBundle::decode(&bytes)
        .map_err(|e| CliError::Input { path: args.file.clone(), source: e.into() })?;
    let remote = args.remote.connect()?;
    block_on(async {
        ensure_model(&remote, &args.model, &bundle).await?;
        let digest = ModelBundle::digest_of(&bytes);
        let model = segment(&args.model);
        let versions: Vec<VersionInfo> =
            remote.get(&format!("/models/{model}/versions"), "listing the model's versions").await?;
        let version = match versions.into_iter().find(|v| v.digest == digest) {
            Some(existing) => {
                eprintln!(
                    "{} already holds this bundle as version {}; nothing uploaded",
                    args.model, existing.version
                );
                existing.version
            }
            None => {
                let info: VersionInfo = remote
                    .post_bytes(&format!("/models/{model}/versions"), bytes, "uploading the bundle")
                    .await
                    .map_err(|e| match e {
                        // A cut upload may or may not have been stored: a second push settles it.
                        CliError::Unreachable { server, message } => CliError::Unreachable {
                            server,
                            message: format!(
                                "{message}. Push again when the server is back: a bundle it kept is not uploaded twice"
                            ),
                        },
                        other => other,
                    })?;
                eprintln!("uploaded {} as {} version {}", args.file.display(), args.model, info.version);
                info.version
            }
        };
        if let (Some(alias), Some(reason)) = (&args.alias, &args.reason) {
            let change = AliasMove { version, reason: reason.clone() };
            let path = format!("/models/{model}/aliases/{}", segment(alias));
            let _: VersionInfo =
                remote.send_json(Method::PUT, &path, &change, &format!("moving the alias {alias}")).await?;
            eprintln!("{alias} now names version {version}");
        }
        Ok(Output::from(version.to_string()))
    })
}

/// Registers `name` if the server does not know it, describing it from the bundle's problem card.
async fn ensure_model(remote: &Remote, name: &str, bundle: &ModelBundle) -> Result<(), CliError> {
    let path = format!("/models/{}", segment(name));
    if remote.get_optional::<ModelInfo>(&path, "looking the model up").await?.is_some() {
        return Ok(());
    }
    let card = &bundle.card;
    let description = if card.target_outcome.trim().is_empty() {
        format!("predicts {}", bundle.target)
    } else {
        card.target_outcome.trim().to_owned()
    };
    let new = NewModel {
        name: name.to_owned(),
        description,
        card: serde_json::to_value(card).ok(),
        tags: Vec::new(),
        class: None,
    };
    let _: ModelInfo = remote.send_json(Method::POST, "/models", &new, "registering the model").await?;
    eprintln!("registered the model {name}");
    Ok(())
}

/// `tabml pull`: prints the version written (or kept) and the bundle's digest.
pub fn pull(args: &PullArgs) -> Result<Output, CliError> {
    let remote = args.remote.connect()?;
    // A bundle already at --out lets the server answer 304 when it is still the one named.
    let have = std::fs::read(&args.out)
        .ok()
        .filter(|bytes| ModelBundle::decode(bytes).is_ok())
        .map(|bytes| ModelBundle::digest_of(&bytes));
    let what = format!("downloading {} {}", args.model, args.which.describe());
    let download = block_on(remote.download(&args.which.bundle_path(&args.model), have.as_deref(), &what))?;
    match download {
        Download::Unchanged { version } => Ok(Output::from(format!(
            "{} is already version {version} ({}); unchanged",
            args.out.display(),
            have.unwrap_or_default()
        ))),
        Download::Bytes { bytes, version, digest } => {
            ModelBundle::decode(&bytes).map_err(|e| CliError::Unexpected {
                server: remote.server().to_owned(),
                what,
                message: format!("the bundle does not decode: {e}"),
            })?;
            write_whole(&args.out, &bytes)?;
            Ok(Output::from(format!("{} is version {version} ({digest})", args.out.display())))
        }
    }
}

/// Writes `bytes` to `path` through a temporary file beside it, so `path` holds either the old
/// file or the whole new one, never a part.
pub(super) fn write_whole(path: &Path, bytes: &[u8]) -> Result<(), CliError> {
    let file_name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let partial = path.with_file_name(format!(".{file_name}.partial"));
    let io = |source| CliError::Io { path: path.to_owned(), source };
    std::fs::write(&partial, bytes).map_err(io)?;
    std::fs::rename(&partial, path).map_err(|e| {
        let _ = std::fs::remove_file(&partial);
        io(e)
    })
}
