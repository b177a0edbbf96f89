//! Signing in from the app: a learner joins a class with its mentor's code, the sign-in outlives a
//! reload, a refusal shows the server's words, and a token the server no longer accepts sends the
//! learner to the sign-in page with their work in the tab untouched.

use super::{class_code, join_class, save_screenshot, wait_for, Session};
use fantoccini::Locator;

/// The token the app keeps in IndexedDB (the `session` record: postcard bytes whose first field is
/// the token, a length byte and its characters).
async fn kept_token(client: &fantoccini::Client) -> String {
    let script = r#"
        const done = arguments[arguments.length - 1];
        const open = indexedDB.open("tabml");
        open.onsuccess = () => {
            const get = open.result.transaction("work").objectStore("work").get("session");
            get.onsuccess = () => {
                const bytes = new Uint8Array(get.result);
                done(new TextDecoder().decode(bytes.slice(1, 1 + bytes[0])));
            };
        };"#;
    client.execute_async(script, vec![]).await.unwrap().as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_learner_joins_a_class_stays_signed_in_and_an_expired_sign_in_loses_no_work() {
    let session = Session::open().await;
    let client = &session.client;
    let (http, code) = (reqwest::Client::new(), class_code(&session).await);

    // Work signed out first: a line on the problem card.
    wait_for(client, "main[data-restored='true']").await;
    let risks = wait_for(client, "#card-risks").await;
    risks.clear().await.unwrap();
    risks.send_keys("Written before signing in.").await.unwrap();
    wait_for(client, "main[data-saving='0']").await;

    // The header offers to sign in; a wrong password gets the server's words.
    wait_for(client, "#account-sign-in").await.click().await.unwrap();
    wait_for(client, "#sign-in-name").await.send_keys("grace").await.unwrap();
    wait_for(client, "#sign-in-password").await.send_keys("not the password").await.unwrap();
    wait_for(client, "#sign-in-button").await.click().await.unwrap();
    let refused = wait_for(client, "#sign-in-error").await.text().await.unwrap();
    assert!(refused.contains("the name or the password is wrong"), "{refused}");
    save_screenshot(client, "sign-in.png").await;

    // Joining the class signs the learner in and goes back to the workbench, work as it was.
    join_class(client, "lin", &code).await;
    let who = wait_for(client, "#account-name").await.text().await.unwrap();
    assert_eq!(who, "lin · learner");
    assert_eq!(client.current_url().await.unwrap().path(), "/");
    let kept = wait_for(client, "#card-risks").await.prop("value").await.unwrap();
    assert_eq!(kept.as_deref(), Some("Written before signing in."));

    // The sign-in outlives a reload, and its page says who and until when.
    client.refresh().await.unwrap();
    wait_for(client, "#account-name").await.click().await.unwrap();
    let signed_in = wait_for(client, "#signed-in-as").await.text().await.unwrap();
    assert_eq!(signed_in, "Signed in as lin (learner, class week-1).");
    save_screenshot(client, "signed-in.png").await;

    // The server stops accepting the token (as when it expires): on the next start the learner is
    // sent to sign in again, told why, and the work in the tab is still there.
    let token = kept_token(client).await;
    let logout = http.post(session.url("/api/v1/auth/logout")).bearer_auth(&token).send().await.unwrap();
    assert!(logout.status().is_success(), "{}", logout.status());
    client.goto(&session.url("/")).await.unwrap();
    let notice = wait_for(client, "#sign-in-notice").await.text().await.unwrap();
    assert!(notice.contains("has expired"), "{notice}");
    assert!(client.find_all(Locator::Css("#account-name")).await.unwrap().is_empty());
    save_screenshot(client, "sign-in-expired.png").await;
    wait_for(client, "nav.pages a[href='/']").await.click().await.unwrap();
    let kept = wait_for(client, "#card-risks").await.prop("value").await.unwrap();
    assert_eq!(kept.as_deref(), Some("Written before signing in."));
    wait_for(client, "#account-sign-in").await;
    session.close().await;
}
