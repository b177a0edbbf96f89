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
