//! `tabml serve` as a user runs it: it prints its address, serves on a loopback port with its
//! database on disk, refuses bad flags clearly, and stops cleanly on Ctrl-C.
//!
//! It also makes users with `admin create-user`, and kills a server with SIGKILL in the middle of a
//! stream of event batches to find every acknowledged event exactly once after a restart. Cargo
//! builds the binary for these tests (`CARGO_BIN_EXE_tabml`).

use super::{tabml_binary, workspace_file};
use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use tabml::api::Health;

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

    let url = listening_url(&mut child);
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

/// `tabml admin create-user`, reading the password from standard input.
pub(super) fn create_user(
    db: &std::path::Path,
    name: &str,
    role: &str,
    password: &str,
) -> std::process::Output {
    use std::io::Write;
    let mut child = Command::new(tabml_binary())
        .args(["admin", "create-user", "--name", name, "--role", role, "--db"])
        .arg(db)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // A command refused on its arguments exits before reading the password: the pipe may be closed.
    match child.stdin.take().unwrap().write_all(format!("{password}\n").as_bytes()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => panic!("writing the password: {e}"),
        _ => {}
    }
    child.wait_with_output().unwrap()
}

/// `tabml serve` on a free loopback port over `db`, with no rate limits; and its base URL.
pub(super) fn serve(db: &std::path::Path, dir: &std::path::Path) -> (std::process::Child, String) {
    let mut child = Command::new(tabml_binary())
        .args(["serve", "--addr", "127.0.0.1:0", "--rate-per-peer", "0", "--rate-per-token", "0", "--dist"])
        .arg(dir.join("no-dist"))
        .arg("--db")
        .arg(db)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let url = listening_url(&mut child);
    (child, url)
}

/// The base URL a starting `tabml serve` prints on its first line. A server that prints nothing
/// within 30 s is killed and the test fails, rather than waiting forever.
fn listening_url(child: &mut std::process::Child) -> String {
    let stdout = child.stdout.take().unwrap();
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut first_line = String::new();
        let read = BufReader::new(stdout).read_line(&mut first_line);
        let _ = sender.send(read.map(|_| first_line));
    });
    let first_line = match receiver.recv_timeout(Duration::from_secs(30)) {
        Ok(read) => read.expect("reading the first line of `tabml serve`"),
        Err(_) => {
            let _ = child.kill();
            let _ = child.wait();
            panic!("`tabml serve` printed no address within 30 s");
        }
    };
    let url =
        first_line.trim().strip_prefix("tabml listening on ").unwrap_or_else(|| panic!("{first_line:?}"));
    url.to_owned()
}

/// Registers the model `name` on the server at `url` and uploads version 1, a dummy classifier
/// trained on iris (events must name an uploaded version).
pub(super) async fn register_iris_version(client: &reqwest::Client, url: &str, token: &str, name: &str) {
    let model = client
        .post(format!("{url}api/v1/models"))
        .bearer_auth(token)
        .json(&serde_json::json!({"name": name}));
    assert_eq!(model.send().await.unwrap().status(), 201);
    let csv = std::fs::read(workspace_file("public/data/iris.csv")).unwrap();
    let table = tabml::parse_csv(&csv).unwrap();
    let trained = tabml::train(&table, "species", &tabml::TrainConfig::new(tabml::ModelKind::Dummy)).unwrap();
    let upload = client
        .post(format!("{url}api/v1/models/{name}/versions"))
        .bearer_auth(token)
        .header("content-type", "application/octet-stream")
        .body(trained.bundle.encode());
    assert_eq!(upload.send().await.unwrap().status(), 201);
}

#[test]
fn create_user_makes_the_first_admin_from_standard_input_and_refuses_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("users.db");
    let made = create_user(&db, "ada", "admin", "a long password");
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    assert!(String::from_utf8_lossy(&made.stdout).contains("created admin \"ada\""));
    for (name, role, password, says) in [
        ("ada", "admin", "a long password", "a user called \"ada\" already exists"),
        ("bob", "king", "a long password", "--role \"king\": expected learner, mentor or admin"),
        ("bob", "mentor", "short", "at least 8 characters"),
    ] {
        let refused = create_user(&db, name, role, password);
        assert_eq!(refused.status.code(), Some(1));
        let stderr = String::from_utf8_lossy(&refused.stderr);
        assert!(stderr.contains(says), "{stderr}");
    }
}

/// Piped, the password is one line read as before: no prompt on stderr (a terminal would get one,
/// and no echo), only the result on stdout, and a CRLF line end is not part of the password.
#[test]
fn create_user_from_a_pipe_prompts_nothing_and_reads_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("users.db");
    let made = create_user(&db, "ada", "admin", "a long password\r\nignored second line");
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    assert_eq!(String::from_utf8_lossy(&made.stderr), "");
    assert_eq!(String::from_utf8_lossy(&made.stdout), format!("created admin \"ada\" in {}\n", db.display()));
    use argon2::{PasswordHash, PasswordVerifier};
    let storage = tabml_server::Storage::open(&db, tabml_server::Durability::Full).unwrap();
    let (_, hash) = storage.password_hash("ada").unwrap().unwrap();
    let hash = PasswordHash::new(&hash).unwrap();
    assert!(argon2::Argon2::default().verify_password(b"a long password", &hash).is_ok());
}

#[test]
fn every_acknowledged_event_survives_a_sigkill_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("durable.db");
    assert!(create_user(&db, "ada", "admin", "a long password").status.success());
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let client = reqwest::Client::new();
    let login = |url: String| {
        let client = client.clone();
        async move {
            let body = serde_json::json!({"name": "ada", "password": "a long password"});
            let reply: serde_json::Value = client
                .post(format!("{url}api/v1/auth/login"))
                .json(&body)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            reply["token"].as_str().unwrap().to_owned()
        }
    };
    let batch = |b: usize| {
        let events: Vec<_> = (0..200)
            .map(|e| {
                serde_json::json!({"id": format!("b{b}-e{e}"), "type": "prediction", "model": "m", "version": 1,
                                   "at": 1_763_900_000_000i64 + e as i64, "prediction_id": format!("p{b}-{e}"), "output": 1})
            })
            .collect();
        serde_json::json!({ "events": events })
    };

    let (mut server, url) = serve(&db, dir.path());
    let (acked, in_flight) = runtime.block_on(async {
        let token = login(url.clone()).await;
        // Events name an uploaded version.
        register_iris_version(&client, &url, &token, "m").await;
        // A stream of batches; the server is killed once 20 have been acknowledged, mid-stream.
        let count = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let sender = tokio::spawn({
            let (client, url, token, count) = (client.clone(), url.clone(), token.clone(), count.clone());
            async move {
                let mut acked = Vec::new();
                for b in 0.. {
                    let sent = client
                        .post(format!("{url}api/v1/events"))
                        .bearer_auth(&token)
                        .json(&batch(b))
                        .send()
                        .await;
                    let Ok(reply) = sent else { return (acked, b) };
                    let Ok(ack) = reply.json::<serde_json::Value>().await else { return (acked, b) };
                    assert_eq!(ack["accepted"].as_array().map(Vec::len), Some(200), "{ack}");
                    acked.push(b);
                    count.store(acked.len(), std::sync::atomic::Ordering::SeqCst);
                }
                unreachable!()
            }
        });
        let deadline = Instant::now() + Duration::from_secs(120);
        while count.load(std::sync::atomic::Ordering::SeqCst) < 20 && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        server.kill().unwrap(); // SIGKILL: no shutdown, no checkpoint.
        server.wait().unwrap();
        sender.await.unwrap()
    });
    assert!(acked.len() >= 5, "only {} batches were acknowledged before the kill", acked.len());

    // Restarted on the same file, the server has every acknowledged event, once; sending the batch that
    // was in flight again stores whatever of it was not already stored, and nothing twice.
    let db = dir.path().join("durable.db");
    let (mut server, url) = serve(&db, dir.path());
    runtime.block_on(async {
        let token = login(url.clone()).await;
        for b in acked.iter().copied().chain([in_flight]) {
            let reply = client
                .post(format!("{url}api/v1/events"))
                .bearer_auth(&token)
                .json(&batch(b))
                .send()
                .await
                .unwrap();
            let ack: serde_json::Value = reply.json().await.unwrap();
            let accepted = ack["accepted"].as_array().unwrap().len();
            let duplicates = ack["duplicates"].as_array().unwrap().len();
            assert_eq!(accepted + duplicates, 200);
            if b != in_flight {
                assert_eq!(duplicates, 200, "acknowledged batch {b} was not all there after the kill");
            }
        }
    });
    server.kill().unwrap();
    server.wait().unwrap();
    let storage = tabml_server::Storage::open(&db, tabml_server::Durability::Full).unwrap();
    let ids = storage.event_ids(1).unwrap();
    let unique: std::collections::BTreeSet<_> = ids.iter().collect();
    assert_eq!(unique.len(), ids.len(), "an event is stored twice");
    assert_eq!(ids.len(), (acked.len() + 1) * 200);
    eprintln!("{} batches acknowledged before SIGKILL; batch {in_flight} was in flight", acked.len());
}

#[test]
fn serve_help_documents_every_setting() {
    let help = Command::new(tabml_binary()).args(["serve", "--help"]).output().unwrap();
    let text = String::from_utf8_lossy(&help.stdout);
    for flag in [
        "--addr",
        "--db",
        "--dist",
        "--durability",
        "--max-body-bytes",
        "--request-timeout-secs",
        "--rate-per-peer",
        "--rate-per-token",
        "--auth-rate-per-peer",
        "--cors-origin",
        "--public-dashboards",
        "--token-days",
        "--checkpoint-secs",
        "--header-timeout-secs",
        "--max-connections",
        "--event-bytes-per-day",
    ] {
        assert!(text.contains(flag), "`tabml serve --help` does not mention {flag}:\n{text}");
    }
    // Each setting also has its environment variable.
    assert_eq!(text.matches("[env: TABML_").count(), 16, "{text}");
}

/// The resident and peak memory of a process, in bytes, from /proc (Linux).
fn memory_of(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let field = |name: &str| {
        let line = status.lines().find(|l| l.starts_with(name)).unwrap_or_else(|| panic!("no {name}"));
        line.split_whitespace().nth(1).unwrap().parse::<u64>().unwrap() * 1024
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// `tabml serve` over `db` with these extra settings (as environment variables, so that a build
/// without a setting ignores it), logging to `log`.
fn serve_with(
    db: &std::path::Path,
    dir: &std::path::Path,
    env: &[(&str, &str)],
) -> (std::process::Child, String) {
    let log = std::fs::File::create(dir.join("serve.log")).unwrap();
    let mut command = Command::new(tabml_binary());
    command
        .args(["serve", "--addr", "127.0.0.1:0", "--rate-per-peer", "0", "--rate-per-token", "0", "--dist"])
        .arg(dir.join("no-dist"))
        .arg("--db")
        .arg(db)
        .stdout(Stdio::piped())
        .stderr(log);
    for (name, value) in env {
        command.env(name, value);
    }
    let mut child = command.spawn().unwrap();
    let url = listening_url(&mut child);
    (child, url)
}

/// Stops a server with Ctrl-C and returns its log.
fn stop(mut child: std::process::Child, dir: &std::path::Path) -> String {
    Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while child.try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "the server did not stop within 20 s of Ctrl-C");
        std::thread::sleep(Duration::from_millis(50));
    }
    std::fs::read_to_string(dir.join("serve.log")).unwrap()
}

/// 300 failed sign-ins at once, the sign-in limit off so that only the bound on hashing stands
/// between them and the server's memory. Each argon2id run takes 19 MiB; run unbounded on tokio's
/// blocking pool, the same flood took a server from 9 MB to several GB. Bounded, hashing holds at
/// most 4 × 19 MiB (fewer threads on fewer cores) beside a few MB of runtime, SQLite caches of a
/// tiny database and the buffers of 300 connections: 300 MB is far above that and far below the
/// unbounded case.
#[test]
fn a_flood_of_failed_sign_ins_keeps_memory_bounded_and_health_answering() {
    const BOUND: u64 = 300 * 1024 * 1024;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("flood.db");
    assert!(create_user(&db, "ada", "admin", "a long password").status.success());
    let (server, url) = serve_with(&db, dir.path(), &[("TABML_AUTH_RATE_PER_PEER", "0")]);
    let pid = server.id();
    let (rss_before, _) = memory_of(pid);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (statuses, health_during) = runtime.block_on(async {
        let client = reqwest::Client::new();
        let attempts: Vec<_> = (0..300)
            .map(|i| {
                let (client, url) = (client.clone(), url.clone());
                tokio::spawn(async move {
                    let body = serde_json::json!({"name": if i % 2 == 0 { "ada" } else { "nobody" }, "password": format!("wrong guess {i}")});
                    let reply = client.post(format!("{url}api/v1/auth/login")).json(&body).send().await.unwrap();
                    let status = reply.status().as_u16();
                    let code = reply.json::<serde_json::Value>().await.unwrap()["code"].clone();
                    (status, code)
                })
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(300)).await;
        // The health check answers in the middle of the flood.
        let started = Instant::now();
        let health = client.get(format!("{url}api/v1/health")).timeout(Duration::from_secs(10)).send().await;
        let health_during = (health.map(|r| r.status().as_u16()).ok(), started.elapsed());
        let mut statuses = Vec::new();
        for attempt in attempts {
            statuses.push(attempt.await.unwrap());
        }
        (statuses, health_during)
    });
    let (rss_after, peak) = memory_of(pid);
    let health: Health =
        runtime.block_on(async { reqwest::get(format!("{url}api/v1/health")).await?.json().await }).unwrap();
    stop(server, dir.path());
    let refused = statuses.iter().filter(|(s, _)| *s == 401).count();
    let busy = statuses.iter().filter(|(s, c)| *s == 503 && c == "busy").count();
    eprintln!(
        "RSS {} MB before, {} MB after, peak {} MB; {refused} refused, {busy} busy; health during the flood: {:?}",
        rss_before >> 20,
        rss_after >> 20,
        peak >> 20,
        health_during
    );
    assert_eq!(refused + busy, 300, "every answer is 401 or 503 busy: {statuses:?}");
    assert!(refused >= 1, "some sign-ins were checked");
    assert!(peak < BOUND, "peak RSS {} MB (bound {} MB)", peak >> 20, BOUND >> 20);
    assert_eq!(health_during.0, Some(200), "health during the flood: {health_during:?}");
    assert!(health_during.1 < Duration::from_secs(2), "health took {:?} during the flood", health_during.1);
    assert_eq!(health.status, "ok");
}

/// A sign-up with a wrong join code is answered before any password hashing (the server logs each
/// argon2 run at debug level).
#[test]
fn a_wrong_join_code_costs_no_password_hash() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("codes.db");
    assert!(create_user(&db, "grace", "mentor", "a long password").status.success());
    let (server, url) = serve_with(&db, dir.path(), &[("RUST_LOG", "info,tabml_server::auth=debug")]);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let client = reqwest::Client::new();
        let post = |path: &str, body: serde_json::Value, token: Option<&str>| {
            let mut request = client.post(format!("{url}api/v1/{path}")).json(&body);
            if let Some(token) = token {
                request = request.bearer_auth(token);
            }
            request.send()
        };
        let login = post("auth/login", serde_json::json!({"name": "grace", "password": "a long password"}), None);
        let token = login.await.unwrap().json::<serde_json::Value>().await.unwrap()["token"].as_str().unwrap().to_owned();
        let class = post("classes", serde_json::json!({"name": "ml-101"}), Some(&token)).await.unwrap();
        let code = class.json::<serde_json::Value>().await.unwrap()["join_code"].as_str().unwrap().to_owned();
        for i in 0..5 {
            let body = serde_json::json!({"name": format!("eve{i}"), "password": "a long password", "join_code": "AAAAA-AAAAA"});
            assert_eq!(post("auth/signup", body, None).await.unwrap().status(), 404);
        }
        let body = serde_json::json!({"name": "eve", "password": "a long password", "join_code": code});
        assert_eq!(post("auth/signup", body, None).await.unwrap().status(), 201);
    });
    let log = stop(server, dir.path());
    // One run for the sign-in, one for the good sign-up; none for the five wrong codes.
    assert_eq!(log.matches("argon2id run").count(), 2, "{log}");
}

/// No line of an error repeats its own cause (`X: Y: Y`).
fn assert_each_cause_once(stderr: &str) {
    for line in stderr.lines() {
        let parts: Vec<&str> = line.split(": ").collect();
        for i in 1..parts.len() {
            let (head, tail) = (parts[..i].join(": "), parts[i..].join(": "));
            assert!(!head.ends_with(&tail), "the cause is printed twice: {line}");
        }
    }
}

#[test]
fn a_database_tabml_cannot_write_stops_the_start_naming_the_file_and_why() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("readonly.db");
    assert!(create_user(&db, "ada", "admin", "a long password").status.success());
    let mut permissions = std::fs::metadata(&db).unwrap().permissions();
    permissions.set_readonly(true);
    std::fs::set_permissions(&db, permissions).unwrap();
    // Root writes read-only files anyway: there, ask SQLite to open it read-only instead.
    let as_root = std::fs::OpenOptions::new().write(true).open(&db).is_ok();
    let arg = if as_root { format!("file:{}?mode=ro", db.display()) } else { db.display().to_string() };
    let mut child = Command::new(tabml_binary())
        .args(["serve", "--addr", "127.0.0.1:0", "--db", &arg])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!("tabml served a database it cannot write");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains(&format!("cannot write the database {arg}")), "{stderr}");
    assert!(stderr.contains("read-only"), "{stderr}");
    assert_each_cause_once(&stderr);
}

#[test]
fn a_database_in_a_missing_folder_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("no-such-folder");
    let db = folder.join("tabml.db");
    let output = Command::new(tabml_binary())
        .args(["serve", "--addr", "127.0.0.1:0", "--db"])
        .arg(&db)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    let says =
        format!("cannot open the database {}: its folder {} does not exist", db.display(), folder.display());
    assert!(stderr.contains(&says), "{stderr}");
    assert_each_cause_once(&stderr);
    // The same for the command line's own use of the database.
    let made = create_user(&db, "ada", "admin", "a long password");
    let stderr = String::from_utf8_lossy(&made.stderr);
    assert!(stderr.contains(&says), "{stderr}");
    assert_each_cause_once(&stderr);
}

#[test]
fn create_user_applies_the_sign_up_rules_to_names_and_passwords() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("rules.db");
    assert!(create_user(&db, "mentorA", "mentor", "a long password").status.success());
    for (name, password, says) in [
        ("", "a long password", "name \"\": use 1 to 64 letters"),
        ("eve\nINFO forged line", "a long password", "name \"eve\\nINFO forged line\""),
        ("MentorA", "a long password", "differing only in case"),
        ("bob", "        ", "not only spaces"),
        ("bob", "password", "most common passwords"),
        ("bobbybobby", "BobbyBobby", "not your name"),
    ] {
        let refused = create_user(&db, name, "mentor", password);
        let stderr = String::from_utf8_lossy(&refused.stderr);
        assert_eq!(refused.status.code(), Some(1), "{name:?} was accepted");
        assert!(stderr.contains(says), "{name:?}: {stderr}");
        assert_each_cause_once(&stderr);
    }
}
