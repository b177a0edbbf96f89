//! `tabml login`, `push`, `pull`, `score --server` and `label` against a real `tabml serve` on a loopback port: the bundle's bytes
//! are the same at every hop, a repeated push makes no second version, an unchanged pull downloads
//! nothing, and bad input (not a bundle, no token, a wrong token, an odd name, no server) gets a
//! clear message and changes nothing on the server.

use super::serve::{create_user, serve};
use super::{tabml_binary, workspace_file};
use std::path::Path;
use std::process::{Command, Output};

/// Runs `tabml` with `args`, with `TABML_TOKEN` set to `token` (or unset).
pub(super) fn tabml_with_token(args: &[&str], token: Option<&str>) -> Output {
    let mut command = Command::new(tabml_binary());
    command.args(args).env_remove("TABML_TOKEN");
    if let Some(token) = token {
        command.env("TABML_TOKEN", token);
    }
    command.output().unwrap()
}

pub(super) fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Signs `name` in over HTTP and returns the token.
pub(super) fn login(url: &str, name: &str, password: &str) -> String {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let reply: serde_json::Value = reqwest::Client::new()
            .post(format!("{url}api/v1/auth/login"))
            .json(&serde_json::json!({"name": name, "password": password}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        reply["token"].as_str().unwrap().to_owned()
    })
}

/// The versions the server holds for `model`, as JSON.
pub(super) fn versions(url: &str, token: &str, model: &str) -> Vec<serde_json::Value> {
    get_json(url, token, &format!("/models/{model}/versions")).as_array().unwrap().clone()
}

/// Trains an iris model with `seed` into `out`.
fn train_iris(out: &Path, seed: &str) {
    let iris = workspace_file("public/data/iris.csv");
    let out = out.to_str().unwrap();
    let args =
        ["train", "--data", &iris, "--target", "species", "--model", "logreg", "--seed", seed, "--out", out];
    let trained = tabml_with_token(&args, None);
    assert!(trained.status.success(), "{}", text(&trained.stderr));
}

#[test]
fn push_and_pull_move_the_same_bytes_once_and_refuse_bad_input_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("registry.db");
    assert!(create_user(&db, "ada", "admin", "a long password").status.success());
    let (mut server, url) = serve(&db, dir.path());
    let token = login(&url, "ada", "a long password");
    // `tabml login` keeps a token in a file readable by its owner only, the password read from a pipe.
    let token_file = dir.path().join("token");
    let signed_in = {
        use std::io::Write;
        let mut child = Command::new(tabml_binary())
            .args(["login", "--server", url.trim_end_matches('/'), "--name", "ada", "--token-file"])
            .arg(&token_file)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(b"a long password\n").unwrap();
        child.wait_with_output().unwrap()
    };
    assert!(signed_in.status.success(), "{}", text(&signed_in.stderr));
    assert!(text(&signed_in.stdout).contains("as ada (admin)"), "{}", text(&signed_in.stdout));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&token_file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let (first, second) = (dir.path().join("first.tabml"), dir.path().join("second.tabml"));
    train_iris(&first, "1");
    train_iris(&second, "2");
    let (server_flag, tokens) =
        (url.trim_end_matches('/').to_owned(), token_file.to_str().unwrap().to_owned());
    let push = |file: &Path, extra: &[&str]| {
        let mut args = vec!["push", "--server", &server_flag, "--token-file", &tokens, "--model", "iris-cli"];
        args.extend(extra);
        args.push(file.to_str().unwrap());
        tabml_with_token(&args, None)
    };

    // The first push registers the model, uploads version 1 and moves champion to it.
    let pushed = push(&first, &["--alias", "champion", "--reason", "first model"]);
    assert!(pushed.status.success(), "{}", text(&pushed.stderr));
    assert_eq!(text(&pushed.stdout).trim(), "1");
    assert!(text(&pushed.stderr).contains("registered the model iris-cli"), "{}", text(&pushed.stderr));
    // Pushed again (as after an answer lost on the way), the same bytes make no second version.
    let again = push(&first, &[]);
    assert!(again.status.success(), "{}", text(&again.stderr));
    assert_eq!(text(&again.stdout).trim(), "1");
    assert!(
        text(&again.stderr).contains("already holds this bundle as version 1"),
        "{}",
        text(&again.stderr)
    );
    assert_eq!(versions(&url, &token, "iris-cli").len(), 1);
    // Another bundle is version 2; the token can come from TABML_TOKEN too.
    let args = ["push", "--server", &server_flag, "--model", "iris-cli", second.to_str().unwrap()];
    let newer = tabml_with_token(&args, Some(&token));
    assert!(newer.status.success(), "{}", text(&newer.stderr));
    assert_eq!(text(&newer.stdout).trim(), "2");

    // Pull by alias: the very bytes pushed. Pulled again: nothing is downloaded.
    let pulled = dir.path().join("pulled.tabml");
    let pull = |which: &[&str]| {
        let mut args =
            vec!["pull", "--server", &server_flag, "--model", "iris-cli", "--out", pulled.to_str().unwrap()];
        args.extend(which);
        tabml_with_token(&args, Some(&token))
    };
    let got = pull(&["--alias", "champion"]);
    assert!(got.status.success(), "{}", text(&got.stderr));
    assert_eq!(std::fs::read(&pulled).unwrap(), std::fs::read(&first).unwrap());
    assert!(text(&got.stdout).contains("is version 1"), "{}", text(&got.stdout));
    let unchanged = pull(&["--alias", "champion"]);
    assert!(text(&unchanged.stdout).contains("unchanged"), "{}", text(&unchanged.stdout));
    // By version: the file is replaced by version 2's bytes.
    let by_version = pull(&["--version", "2"]);
    assert!(by_version.status.success(), "{}", text(&by_version.stderr));
    assert_eq!(std::fs::read(&pulled).unwrap(), std::fs::read(&second).unwrap());
    // A version that does not exist: the server's refusal, and the file is left as it was.
    let missing = pull(&["--version", "9"]);
    assert!(!missing.status.success());
    assert!(text(&missing.stderr).contains("not_found"), "{}", text(&missing.stderr));
    assert_eq!(std::fs::read(&pulled).unwrap(), std::fs::read(&second).unwrap());
    // Exactly one of --version, --alias and --stage.
    let both = pull(&["--version", "1", "--alias", "champion"]);
    assert_eq!(both.status.code(), Some(2), "{}", text(&both.stderr));

    // Not a bundle: named, refused before anything is sent.
    let junk = dir.path().join("junk.tabml");
    std::fs::write(&junk, b"species,petal_width\nsetosa,0.2\n").unwrap();
    let refused = push(&junk, &[]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(text(&refused.stderr).contains("junk.tabml"), "{}", text(&refused.stderr));
    // No token, a wrong token, an odd name, no server: each says so, and nothing changes.
    let args = ["push", "--server", &server_flag, "--model", "iris-cli", first.to_str().unwrap()];
    let no_token = tabml_with_token(&args, None);
    assert!(text(&no_token.stderr).contains("TABML_TOKEN"), "{}", text(&no_token.stderr));
    let wrong = tabml_with_token(&args, Some("not-a-token"));
    assert!(text(&wrong.stderr).contains("unauthorized"), "{}", text(&wrong.stderr));
    let odd = ["push", "--server", &server_flag, "--model", "<script>", first.to_str().unwrap()];
    let odd = tabml_with_token(&odd, Some(&token));
    assert_eq!(odd.status.code(), Some(1));
    assert!(text(&odd.stderr).contains("refused"), "{}", text(&odd.stderr));
    assert_eq!(versions(&url, &token, "iris-cli").len(), 2);
    server.kill().unwrap();
    server.wait().unwrap();
    let gone = tabml_with_token(&args, Some(&token));
    assert_eq!(gone.status.code(), Some(1));
    assert!(text(&gone.stderr).contains("could not reach"), "{}", text(&gone.stderr));
}

/// GET `path` of the API as JSON.
fn get_json(url: &str, token: &str, path: &str) -> serde_json::Value {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        reqwest::Client::new()
            .get(format!("{url}api/v1{path}"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    })
}

#[test]
fn score_with_a_server_reports_each_prediction_and_labels_give_the_realized_accuracy() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("monitoring.db");
    assert!(create_user(&db, "ada", "admin", "a long password").status.success());
    let (mut server, url) = serve(&db, dir.path());
    let token = login(&url, "ada", "a long password");
    let server_flag = url.trim_end_matches('/').to_owned();
    let bundle = dir.path().join("iris.tabml");
    train_iris(&bundle, "3");
    let args = [
        "push",
        "--server",
        &server_flag,
        "--model",
        "iris-score",
        "--alias",
        "champion",
        "--reason",
        "first",
    ];
    let pushed = tabml_with_token(&[&args[..], &[bundle.to_str().unwrap()]].concat(), Some(&token));
    assert!(pushed.status.success(), "{}", text(&pushed.stderr));
    let iris = workspace_file("public/data/iris.csv");
    let predictions = dir.path().join("predictions.csv");
    let cache = dir.path().join("cache");
    let score = |data: &str, extra: &[&str]| {
        let mut args =
            vec!["score", "--server", &server_flag, "--model", "iris-score", "--alias", "champion"];
        args.extend(["--data", data, "--out", predictions.to_str().unwrap()]);
        args.extend(extra);
        let mut command = Command::new(tabml_binary());
        command.args(&args).env("TABML_TOKEN", &token).env("XDG_CACHE_HOME", &cache);
        command.output().unwrap()
    };

    // The first run downloads the bundle, writes prediction_id first, and reports 150 predictions
    // and a profile of the batch.
    let first = score(&iris, &[]);
    assert!(first.status.success(), "{}", text(&first.stderr));
    assert!(text(&first.stdout).contains("bundle downloaded"), "{}", text(&first.stdout));
    assert!(text(&first.stdout).contains("Reported 150 predictions"), "{}", text(&first.stdout));
    let written = std::fs::read_to_string(&predictions).unwrap();
    let mut lines = written.lines();
    assert!(lines.next().unwrap().starts_with("prediction_id,prediction,proba_"), "{written}");
    let rows: Vec<(String, String)> = lines
        .map(|line| {
            let mut cells = line.split(',');
            (cells.next().unwrap().to_owned(), cells.next().unwrap().to_owned())
        })
        .collect();
    assert_eq!(rows.len(), 150);
    assert!(rows[0].0.starts_with("v1-"), "{:?}", rows[0]);
    let dashboard = get_json(&url, &token, "/models/iris-score/dashboard");
    assert_eq!(dashboard["volume"], 150, "{dashboard}");
    assert_eq!(dashboard["drift"]["batches"], 1, "the batch's profile was merged: {dashboard}");

    // Again: the cached bundle is still the one the alias names, so nothing is downloaded; with
    // --no-report nothing is sent.
    let quiet = score(&iris, &["--no-report"]);
    assert!(quiet.status.success(), "{}", text(&quiet.stderr));
    assert!(text(&quiet.stdout).contains("cached bundle"), "{}", text(&quiet.stdout));
    assert_eq!(get_json(&url, &token, "/models/iris-score/dashboard")["volume"], 150);

    // The labels of the first run's predictions: the realized accuracy is what the file shows.
    let truth: Vec<String> = std::fs::read_to_string(&iris)
        .unwrap()
        .lines()
        .skip(1)
        .map(|line| line.rsplit(',').next().unwrap().to_owned())
        .collect();
    // The --no-report run rewrote the file with new ids: label the first run's, which the server saw.
    let first_ids = &rows;
    let mut labels = String::from("prediction_id,label\n");
    for ((id, _), label) in first_ids.iter().zip(&truth) {
        labels.push_str(&format!("{id},{label}\n"));
    }
    let labels_file = dir.path().join("labels.csv");
    std::fs::write(&labels_file, labels).unwrap();
    let right = first_ids.iter().zip(&truth).filter(|((_, predicted), label)| predicted == *label).count();
    let label_args =
        ["label", "--server", &server_flag, "--model", "iris-score", "--data", labels_file.to_str().unwrap()];
    let labelled = tabml_with_token(&label_args, Some(&token));
    assert!(labelled.status.success(), "{}", text(&labelled.stderr));
    assert!(text(&labelled.stdout).contains("Sent 150 labels"), "{}", text(&labelled.stdout));
    let again = tabml_with_token(&label_args, Some(&token));
    assert!(text(&again.stdout).contains("(150 already there)"), "{}", text(&again.stdout));
    let dashboard = get_json(&url, &token, "/models/iris-score/dashboard");
    assert_eq!(dashboard["labelled"], 150, "{dashboard}");
    let accuracy = dashboard["accuracy"].as_f64().unwrap();
    assert!((accuracy - right as f64 / 150.0).abs() < 1e-9, "{accuracy} against {right}/150");

    // A labels file without a version in its ids, and none given, is refused by line.
    std::fs::write(&labels_file, "prediction_id,label\nabc,setosa\n").unwrap();
    let unversioned = tabml_with_token(&label_args, Some(&token));
    assert_eq!(unversioned.status.code(), Some(1));
    assert!(text(&unversioned.stderr).contains("line 2"), "{}", text(&unversioned.stderr));

    // A file with a row that does not fit: the other is scored, and both are reported, that row as
    // a prediction that failed, with its reason.
    let mixed = dir.path().join("mixed.csv");
    let rows = "sepal_length,sepal_width,petal_length,petal_width\n5.1,3.5,1.4,0.2\nabc,3.0,4.5,1.5\n";
    std::fs::write(&mixed, rows).unwrap();
    let scored = score(mixed.to_str().unwrap(), &[]);
    let said = text(&scored.stdout);
    assert!(scored.status.success(), "{}", text(&scored.stderr));
    assert!(said.contains("Scored 1 of 2 rows"), "{said}");
    assert!(said.contains("Reported 1 predictions, 1 rows that could not be scored"), "{said}");
    assert!(said.contains("line 3, column \"sepal_length\": \"abc\" is not a number"), "{said}");
    let written = std::fs::read_to_string(&predictions).unwrap();
    assert!(written.lines().next().unwrap().ends_with(",error"), "{written}");
    let dashboard = get_json(&url, &token, "/models/iris-score/dashboard");
    assert_eq!(dashboard["volume"], 152, "{dashboard}");
    let error_rate = dashboard["error_rate"].as_f64().unwrap();
    assert!((error_rate - 1.0 / 152.0).abs() < 1e-12, "{dashboard}");
    assert_eq!(dashboard["drift"]["batches"], 2, "the scored row's profile was merged: {dashboard}");
    server.kill().unwrap();
    server.wait().unwrap();
}
