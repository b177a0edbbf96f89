//! Reading the files a learner picks or drops.

use thiserror::Error;

/// A picked or dropped file the browser would not read.
#[derive(Debug, Clone, PartialEq, Error)]
#[error("Could not read {name}: {message}")]
pub struct FileError {
    /// The file's name.
    pub name: String,
    /// The browser's reason.
    pub message: String,
}

/// The bytes of a file the learner picked or dropped; the error names it.
pub(crate) async fn read_file(file: &web_sys::File) -> Result<Vec<u8>, FileError> {
    match wasm_bindgen_futures::JsFuture::from(file.array_buffer()).await {
        Ok(buffer) => Ok(js_sys::Uint8Array::new(&buffer).to_vec()),
        Err(e) => Err(FileError { name: file.name(), message: crate::http::js_message(&e) }),
    }
}

/// Work on a picked file: reading it, or what the worker made of it, can fail.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum PickedFileError {
    /// The browser would not read it.
    #[error(transparent)]
    Read(#[from] FileError),
    /// The worker refused or failed the work on it.
    #[error(transparent)]
    Worker(#[from] crate::client::WorkerError),
}

/// An object URL for `bytes` as a downloadable file of type `mime` called `name`, revoked when
/// the view that made it goes away.
pub(crate) fn download_link(bytes: &[u8], name: &str, mime: &str) -> Option<(String, String)> {
    let array = js_sys::Array::of1(&js_sys::Uint8Array::from(bytes));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    let blob = web_sys::Blob::new_with_u8_array_sequence_and_options(&array, &options).ok()?;
    let url = web_sys::Url::create_object_url_with_blob(&blob).ok()?;
    let revoke = url.clone();
    leptos::prelude::on_cleanup(move || {
        let _ = web_sys::Url::revoke_object_url(&revoke);
    });
    Some((url, name.to_owned()))
}

/// The first file picked in the `<input type="file">` of `event`, if any.
pub(crate) fn picked(event: &web_sys::Event) -> Option<web_sys::File> {
    use wasm_bindgen::JsCast;
    let input: web_sys::HtmlInputElement = event.target()?.dyn_into().ok()?;
    input.files()?.get(0)
}
