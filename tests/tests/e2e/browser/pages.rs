//! The app's pages and addresses: the header's menu, an address that names no page, and going
//! back to the workbench without a reload.

use super::{save_screenshot, wait_for, Session};
use fantoccini::Locator;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_address_says_so_and_leads_back_to_the_workbench() {
    let session = Session::open().await;
    let client = &session.client;
    // The workbench is the page at `/`, and the menu marks it as the current page.
    wait_for(client, "#step-problem").await;
    let current = wait_for(client, "nav.pages a[aria-current='page']").await;
    assert_eq!(current.text().await.unwrap(), "Workbench");

    // The server hands the app to any address without a file extension; the app's router then
    // shows that there is no such page, naming the address.
    client.goto(&session.url("/no/such/page")).await.unwrap();
    let path = wait_for(client, "#not-found-path").await;
    assert_eq!(path.text().await.unwrap(), "/no/such/page");
    assert!(client.find_all(Locator::Css("#step-problem")).await.unwrap().is_empty());
    assert!(
        client.find_all(Locator::Css("nav.pages a[aria-current='page']")).await.unwrap().is_empty(),
        "no page of the menu is current at an unknown address"
    );
    save_screenshot(client, "not-found.png").await;

    // Following the link is client-side routing: the page is not loaded again. A marker set on
    // `window` would not survive a reload.
    client.execute("window.tabmlNoReload = true;", vec![]).await.unwrap();
    wait_for(client, "#not-found a[href='/']").await.click().await.unwrap();
    wait_for(client, "#step-problem").await;
    let kept = client.execute("return window.tabmlNoReload === true;", vec![]).await.unwrap();
    assert_eq!(kept, serde_json::json!(true), "going back to the workbench reloaded the page");
    assert_eq!(client.current_url().await.unwrap().path(), "/");
    // The worker still answers: the iris sample loads from this address.
    wait_for(client, "button[data-dataset='iris']").await.click().await.unwrap();
    wait_for(client, "#data-summary").await;
    session.close().await;
}
