//! `tabml`: the command line. `tabml serve` runs the server; `train`, `evaluate`, `score`, `drift` and
//! `bench` run batch jobs on the same core the browser app uses; `login`, `push`, `pull` and `label`
//! (with `score --server`) work with a server's registry; `admin create-user` makes an account.
//!
//! The commands, their flags and their code are in `tabml_server::cli`. This file parses the command
//! line, runs the command, prints its output and exits with its status. An error is printed as
//! `error: ` with each cause once, and exits 1; this is the only file that uses `anyhow`.

use clap::Parser;
use std::process::ExitCode;
use tabml_server::cli::{self, AdminCommand, Cli, Command};

fn main() -> ExitCode {
    match run(Cli::parse().command) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {}", report(&error));
            ExitCode::FAILURE
        }
    }
}

/// The error and its causes, each once: many of our messages already end with their cause (so
/// that the log, which shows only the outer message, has it), and anyhow's `{:#}` would print it
/// again (`line 3: X: X`).
fn report(error: &anyhow::Error) -> String {
    let mut text = error.to_string();
    for cause in error.chain().skip(1) {
        let cause = cause.to_string();
        if !text.contains(&cause) {
            text = format!("{text}: {cause}");
        }
    }
    text
}

fn run(command: Command) -> anyhow::Result<ExitCode> {
    let output = match command {
        Command::Serve(config) => {
            cli::serve(config)?;
            return Ok(ExitCode::SUCCESS);
        }
        Command::Train(args) => cli::train(&args)?,
        Command::Evaluate(args) => cli::evaluate(&args)?,
        Command::Score(args) => cli::score(&args)?,
        Command::Drift(args) => cli::drift(&args)?,
        Command::Bench(args) => cli::bench(&args)?,
        Command::Login(args) => cli::login(&args)?,
        Command::Push(args) => cli::push(&args)?,
        Command::Pull(args) => cli::pull(&args)?,
        Command::Label(args) => cli::label(&args)?,
        Command::Admin(AdminCommand::CreateUser(args)) => cli::create_user(&args)?,
    };
    print!("{}", output.text);
    if !output.text.ends_with('\n') {
        println!();
    }
    Ok(output.status)
}
