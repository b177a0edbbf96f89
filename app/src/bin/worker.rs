//! Entry point of the Web Worker that parses, validates and trains off the page's thread.

fn main() {
    tabml_app::worker::run();
}
