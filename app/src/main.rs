//! Entry point of the browser app: install the panic hook and mount the app on `<body>`.

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(tabml_app::App);
    // The page is interactive from here: the benchmark measures navigation to this mark.
    if let Some(performance) = web_sys::window().and_then(|w| w.performance()) {
        let _ = performance.mark("tabml-interactive");
    }
}
