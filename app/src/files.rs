//! Reading the files a learner picks or drops.

/// The bytes of a file the learner picked or dropped; the error names it.
pub(crate) async fn read_file(file: &web_sys::File) -> Result<Vec<u8>, String> {
    match wasm_bindgen_futures::JsFuture::from(file.array_buffer()).await {
        Ok(buffer) => Ok(js_sys::Uint8Array::new(&buffer).to_vec()),
        Err(e) => Err(format!("Could not read {}: {}", file.name(), crate::http::js_message(&e))),
    }
}
