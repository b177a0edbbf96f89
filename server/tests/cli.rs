//! The `tabml` binary as a user runs it: it prints its address, serves on a loopback port with its
//! database on disk, refuses bad flags clearly, and stops cleanly on Ctrl-C.

use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use tabml::api::Health;

/// The `tabml` binary, which cargo builds for this test.
fn tabml_binary() -> &'static str {
    env!("CARGO_BIN_EXE_tabml")
}

#[test]
fn binary_prints_its_address_serves_and_shuts_down_cleanly_on_ctrl_c() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("served.db");
    let mut child = Command::new(tabml_binary())
        .args(["serve", "--addr", "127.0.0.1:0", "--dist"])
        .arg(dir.path().join("no-dist"))
        .arg("--db")
        .arg(&db)
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();

    let mut first_line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut first_line).unwrap();
    let url =
        first_line.trim().strip_prefix("tabml listening on ").unwrap_or_else(|| panic!("{first_line:?}"));
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");

    let runtime = tokio::runtime::Runtime::new().unwrap();
    let health: Health =
        runtime.block_on(async { reqwest::get(format!("{url}api/v1/health")).await?.json().await }).unwrap();
    assert_eq!(health.database.status, "ok");
    assert!(db.is_file());

    // Ctrl-C is SIGINT.
    let status = Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    let exit = loop {
        if let Some(exit) = child.try_wait().unwrap() {
            break exit;
        }
        assert!(Instant::now() < deadline, "the server did not stop within 10 s of Ctrl-C");
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut log = String::new();
    child.stderr.take().unwrap().read_to_string(&mut log).unwrap();
    assert!(exit.success(), "exit {exit:?}; log:\n{log}");
    assert!(log.contains("no built app found"), "{log}");
    assert!(log.contains("shut down cleanly"), "{log}");
}

#[test]
fn binary_refuses_a_bad_address_with_a_clear_message() {
    let output = Command::new(tabml_binary()).args(["serve", "--addr", "not-an-address"]).output().unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--addr"), "{stderr}");
    assert!(stderr.contains("not-an-address"), "{stderr}");
}
