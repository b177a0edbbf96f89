//! The server gone in the middle of a push: `tabml push` uploads a large bundle through a slow
//! loopback relay, and the server is killed (SIGKILL) once part of the upload has gone through. The
//! command says clearly what failed and where; the restarted server holds what it held before (no
//! half-stored version); pushing again makes exactly one new version, and a third push none.

use super::registry::{login, tabml_with_token, text, versions};
use super::serve::{create_user, serve};
use super::workspace_file;
use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A relay on a loopback port to the server at `upstream` (host:port) that passes what clients send
/// at about 256 KiB a second, counting it in `sent`, and what the server answers at full speed.
fn slow_relay(upstream: String, sent: Arc<AtomicUsize>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for client in listener.incoming().flatten() {
            let Ok(server) = TcpStream::connect(&upstream) else { continue };
            let (mut client_in, mut server_out) = (client.try_clone().unwrap(), server.try_clone().unwrap());
            let sent = sent.clone();
            std::thread::spawn(move || {
                let mut chunk = [0u8; 4096];
                while let Ok(n) = client_in.read(&mut chunk) {
                    if n == 0 || server_out.write_all(&chunk[..n]).is_err() {
                        break;
                    }
                    sent.fetch_add(n, Ordering::SeqCst);
                    std::thread::sleep(Duration::from_millis(15));
                }
                let _ = server_out.shutdown(Shutdown::Write);
            });
            let (mut server_in, mut client_out) = (server, client);
            std::thread::spawn(move || {
                let _ = std::io::copy(&mut server_in, &mut client_out);
                let _ = client_out.shutdown(Shutdown::Both);
            });
        }
    });
    format!("http://{address}")
}

#[test]
fn a_push_cut_by_the_server_going_away_says_so_and_a_second_push_stores_it_once() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("registry.db");
    assert!(create_user(&db, "ada", "admin", "a long password").status.success());
    // A bundle of a few hundred kilobytes: a forest of 100 deep trees on the learner support set.
    let bundle = dir.path().join("forest.tabml");
    let data = workspace_file("public/data/learner_support.csv");
    let args = ["train", "--data", &data, "--target", "needs_support", "--model", "forest", "--out"];
    let trained = tabml_with_token(&[&args[..], &[bundle.to_str().unwrap()]].concat(), None);
    assert!(trained.status.success(), "{}", text(&trained.stderr));
    let size = std::fs::metadata(&bundle).unwrap().len() as usize;
    assert!(size > 200_000, "the bundle is {size} bytes: too small to cut in the middle");

    let (mut server, url) = serve(&db, dir.path());
    let token = login(&url, "ada", "a long password");
    let sent = Arc::new(AtomicUsize::new(0));
    let upstream = url.trim_start_matches("http://").trim_end_matches('/').to_owned();
    let relay = slow_relay(upstream, sent.clone());
    let push_args = ["push", "--server", &relay, "--model", "support", bundle.to_str().unwrap()];
    let push = {
        let args: Vec<String> = push_args.iter().map(|a| a.to_string()).collect();
        let token = token.clone();
        std::thread::spawn(move || {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            tabml_with_token(&args, Some(&token))
        })
    };
    // Once a third of the bundle has gone through, the server goes away.
    let started = Instant::now();
    while sent.load(Ordering::SeqCst) < size / 3 {
        assert!(started.elapsed() < Duration::from_secs(60), "the upload never started");
        std::thread::sleep(Duration::from_millis(5));
    }
    server.kill().unwrap();
    server.wait().unwrap();
    let cut = push.join().unwrap();
    assert_eq!(cut.status.code(), Some(1), "{}", text(&cut.stderr));
    let said = text(&cut.stderr);
    assert!(said.contains("uploading the bundle") && said.contains(&relay), "{said}");
    assert!(said.contains("Push again when the server is back"), "{said}");

    // Restarted on the same database: the model is registered, no version half-stored.
    let (mut server, url) = serve(&db, dir.path());
    assert!(versions(&url, &token, "support").is_empty(), "a cut upload stored a version");
    let direct =
        ["push", "--server", url.trim_end_matches('/'), "--model", "support", bundle.to_str().unwrap()];
    let pushed = tabml_with_token(&direct, Some(&token));
    assert!(pushed.status.success(), "{}", text(&pushed.stderr));
    assert_eq!(text(&pushed.stdout).trim(), "1");
    let again = tabml_with_token(&direct, Some(&token));
    assert_eq!(text(&again.stdout).trim(), "1", "{}", text(&again.stderr));
    assert!(text(&again.stderr).contains("nothing uploaded"));
    let held = versions(&url, &token, "support");
    assert_eq!(held.len(), 1);
    let bytes = std::fs::read(&bundle).unwrap();
    assert_eq!(held[0]["digest"], tabml::ModelBundle::digest_of(&bytes).as_str());
    server.kill().unwrap();
    server.wait().unwrap();
}
