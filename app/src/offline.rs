//! Working without the network: the service worker (`app/sw.js`) that keeps this release's files in
//! the browser, and the banner that says when a newer release is on the server.
//!
//! The page registers the service worker as `/sw.js?release=<release>`, the release being the
//! hashed name of the page's own script (Trunk hashes it from the build), so each release has its
//! own cache. Every few minutes, and whenever the learner comes back to the tab or the network
//! comes back, the page asks the server for its front page and compares the script named there; when it differs, a banner offers to reload, and holds the offer while a model
//! trains, so the code never changes under the learner's work.

use crate::state::Workbench;
use leptos::prelude::*;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

/// How often the page looks for a newer release, in milliseconds.
const CHECK_EVERY_MS: i32 = 300_000;

/// This page's release: the hashed name of its main script (`tabml-app-<hash>`), if Trunk built it.
fn release() -> Option<String> {
    let document = web_sys::window()?.document()?;
    let link = document.query_selector("link[rel=modulepreload]").ok()??;
    release_in(&link.get_attribute("href")?)
}

/// The release a script path names: `/tabml-app-<hash>.js` → `tabml-app-<hash>`.
fn release_in(path: &str) -> Option<String> {
    let name = path.rsplit('/').next()?.strip_suffix(".js")?;
    name.starts_with("tabml-app-").then(|| name.to_owned())
}

/// Registers the service worker for this release (where the browser has them: on `localhost`,
/// `127.0.0.1` or HTTPS). A browser without them still runs the app, online only.
pub fn register() {
    let (Some(window), Some(release)) = (web_sys::window(), release()) else { return };
    let Ok(container) = js_sys::Reflect::get(&window.navigator(), &"serviceWorker".into()) else { return };
    if container.is_undefined() {
        return;
    }
    let register = js_sys::Reflect::get(&container, &"register".into())
        .ok()
        .and_then(|f| f.dyn_into::<js_sys::Function>().ok());
    if let Some(register) = register {
        let script = JsValue::from_str(&format!("/sw.js?release={release}"));
        if let Ok(promise) = register.call1(&container, &script) {
            let promise: js_sys::Promise = promise.unchecked_into();
            leptos::task::spawn_local(async move {
                if let Err(e) = JsFuture::from(promise).await {
                    web_sys::console::warn_2(&"tabml: the service worker did not register".into(), &e);
                }
            });
        }
    }
}

/// The release the server now serves, read off its front page (asked past every cache).
async fn served_release() -> Option<String> {
    let window = web_sys::window()?;
    let init = web_sys::RequestInit::new();
    init.set_cache(web_sys::RequestCache::NoStore);
    let response: web_sys::Response =
        JsFuture::from(window.fetch_with_str_and_init("/", &init)).await.ok()?.unchecked_into();
    if !response.ok() {
        return None;
    }
    let page = JsFuture::from(response.text().ok()?).await.ok()?.as_string()?;
    let start = page.find("rel=\"modulepreload\" href=\"")? + "rel=\"modulepreload\" href=\"".len();
    let end = start + page[start..].find('"')?;
    release_in(&page[start..end])
}

/// A banner when the server has a newer release than this page: reload to use it (not while a
/// model trains).
#[component]
pub fn NewRelease() -> impl IntoView {
    let bench = expect_context::<Workbench>();
    let newer = RwSignal::new(None::<String>);
    if let (Some(window), Some(mine)) = (web_sys::window(), release()) {
        let check = Closure::<dyn FnMut()>::new(move || {
            let mine = mine.clone();
            leptos::task::spawn_local(async move {
                if let Some(served) = served_release().await.filter(|served| *served != mine) {
                    newer.set(Some(served));
                }
            });
        });
        let check: js_sys::Function = check.into_js_value().unchecked_into();
        let _ = window.set_interval_with_callback_and_timeout_and_arguments_0(&check, CHECK_EVERY_MS);
        // Also as soon as the learner comes back to the tab, or the network comes back.
        let _ = window.add_event_listener_with_callback("online", &check);
        if let Some(document) = window.document() {
            let shown = Closure::<dyn FnMut()>::new(move || {
                let visible = web_sys::window()
                    .and_then(|w| w.document())
                    .is_some_and(|d| d.visibility_state() == web_sys::VisibilityState::Visible);
                if visible {
                    let _ = check.call0(&JsValue::NULL);
                }
            });
            let _ = document
                .add_event_listener_with_callback("visibilitychange", shown.into_js_value().unchecked_ref());
        }
    }
    let reload = move |_| {
        if let Some(window) = web_sys::window() {
            let _ = window.location().reload();
        }
    };
    move || {
        newer.get().map(|_| {
            view! {
                <div class="new-release" role="status" id="new-release">
                    "A newer tabml is on the server. "
                    {move || if bench.training.get() {
                        view! { <span>"It will be offered again when this training ends."</span> }.into_any()
                    } else {
                        view! { <button type="button" class="small" on:click=reload>"Reload to use it"</button> }.into_any()
                    }}
                </div>
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::release_in;

    #[test]
    fn a_release_is_the_hashed_name_of_the_main_script() {
        assert_eq!(
            release_in("/tabml-app-e413e4c0e3cbf73e.js").as_deref(),
            Some("tabml-app-e413e4c0e3cbf73e")
        );
        assert_eq!(release_in("/worker.js"), None);
        assert_eq!(release_in("/tabml-app-x.wasm"), None);
    }
}
