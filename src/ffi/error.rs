//! Status codes, the caller-owned error object, and the panic boundary.

use crate::error::{Error, ErrorKind};
use std::ffi::{c_char, CString};

/// Result of every fallible function. Values are fixed and never renumbered.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(non_camel_case_types)]
pub enum harmony_status {
    /// Success.
    HARMONY_OK = 0,
    /// A required pointer was NULL, or an argument was out of range (unknown role, mode,
    /// flag or encoding name).
    HARMONY_ERROR_INVALID_ARGUMENT = 1,
    /// Input JSON did not parse or did not have the expected shape.
    HARMONY_ERROR_INVALID_JSON = 2,
    /// Bytes that must be UTF-8 were not (input text, or decoded tokens without the lossy flag).
    HARMONY_ERROR_INVALID_UTF8 = 3,
    /// The conversation cannot be rendered (e.g. a tool message without a name).
    HARMONY_ERROR_RENDER = 4,
    /// The tokens do not form valid Harmony messages.
    HARMONY_ERROR_PARSE = 5,
    /// A token id outside the vocabulary (valid ids are 0..=201088).
    HARMONY_ERROR_UNKNOWN_TOKEN = 6,
    /// The caller's buffer is too small; the needed length was reported.
    HARMONY_ERROR_BUFFER_TOO_SMALL = 7,
    /// Input larger or deeper than the documented limits.
    HARMONY_ERROR_LIMIT_EXCEEDED = 8,
    /// An internal bug was caught at the boundary; the library remains usable.
    HARMONY_ERROR_PANIC = 9,
}

use harmony_status::*;

/// An error's status and message. Owned by the caller, released with `harmony_error_free`.
#[allow(non_camel_case_types)]
pub struct harmony_error {
    pub(crate) status: harmony_status,
    pub(crate) message: CString,
}

/// A failure on its way to C.
#[derive(Debug)]
pub(crate) struct FfiError {
    pub status: harmony_status,
    pub message: String,
}

impl FfiError {
    pub fn new(status: harmony_status, message: impl Into<String>) -> Self {
        FfiError { status, message: message.into() }
    }
    pub fn null(what: &str) -> Self {
        Self::new(HARMONY_ERROR_INVALID_ARGUMENT, format!("`{what}` must not be NULL"))
    }
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(HARMONY_ERROR_INVALID_ARGUMENT, message)
    }
    pub fn prefixed(mut self, context: &str) -> Self {
        self.message = format!("{context}: {}", self.message);
        self
    }
    pub fn utf8(what: &str, e: std::str::Utf8Error) -> Self {
        Self::new(HARMONY_ERROR_INVALID_UTF8, format!("`{what}` is not valid UTF-8: {e}"))
    }
    pub fn too_small(needed: usize, cap: usize, unit: &str) -> Self {
        Self::new(
            HARMONY_ERROR_BUFFER_TOO_SMALL,
            format!("buffer holds {cap} {unit}, {needed} needed (the needed length was written to out_len)"),
        )
    }
}

impl From<Error> for FfiError {
    fn from(e: Error) -> Self {
        let status = match e.kind() {
            ErrorKind::InvalidArgument => HARMONY_ERROR_INVALID_ARGUMENT,
            ErrorKind::InvalidJson => HARMONY_ERROR_INVALID_JSON,
            ErrorKind::InvalidUtf8 => HARMONY_ERROR_INVALID_UTF8,
            ErrorKind::Render => HARMONY_ERROR_RENDER,
            ErrorKind::Parse => HARMONY_ERROR_PARSE,
            ErrorKind::UnknownToken => HARMONY_ERROR_UNKNOWN_TOKEN,
            ErrorKind::LimitExceeded => HARMONY_ERROR_LIMIT_EXCEEDED,
        };
        FfiError::new(status, e.to_string())
    }
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    let detail = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into());
    format!("internal error (please report it): {detail}")
}

/// Runs an entry point's body: clears `*err`, catches panics, and turns a failure into its
/// status plus, when `err` is not NULL, a new error object.
pub(crate) fn boundary(err: *mut *mut harmony_error, body: impl FnOnce() -> Result<(), FfiError>) -> harmony_status {
    // SAFETY: `err` is NULL or a writable `harmony_error*` slot per every function's contract.
    unsafe { super::handle::write_opt(err, std::ptr::null_mut()) };
    let failure = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(body)) {
        Ok(Ok(())) => return HARMONY_OK,
        Ok(Err(e)) => e,
        Err(payload) => FfiError::new(HARMONY_ERROR_PANIC, panic_message(payload.as_ref())),
    };
    let status = failure.status;
    if !err.is_null() {
        let message = CString::new(failure.message.replace('\0', "\\0")).unwrap_or_default();
        let obj = super::handle::into_box(harmony_error { status, message });
        // SAFETY: checked non-NULL above.
        unsafe { super::handle::write_opt(err, obj) };
    }
    status
}

/// Runs an infallible accessor, returning `fallback` if it panics.
pub(crate) fn guard<T>(fallback: T, body: impl FnOnce() -> T) -> T {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(body)).unwrap_or(fallback)
}

/// Status of an error object (`HARMONY_ERROR_INVALID_ARGUMENT` for NULL).
#[no_mangle]
pub unsafe extern "C" fn harmony_error_status(error: *const harmony_error) -> harmony_status {
    // SAFETY: NULL or a live error per contract.
    guard(HARMONY_ERROR_PANIC, || unsafe { error.as_ref() }.map_or(HARMONY_ERROR_INVALID_ARGUMENT, |e| e.status))
}

/// Message of an error object: NUL-terminated UTF-8 owned by the error, valid until
/// `harmony_error_free`. Returns an empty string for NULL.
#[no_mangle]
pub unsafe extern "C" fn harmony_error_message(error: *const harmony_error) -> *const c_char {
    // SAFETY: NULL or a live error per contract.
    guard(c"".as_ptr(), || unsafe { error.as_ref() }.map_or(c"".as_ptr(), |e| e.message.as_ptr()))
}

/// Frees an error object. NULL is a no-op.
#[no_mangle]
pub unsafe extern "C" fn harmony_error_free(error: *mut harmony_error) {
    // SAFETY: NULL or an error from this library, freed once, per contract.
    guard((), || unsafe { super::handle::free_box(error) })
}

/// Static name of a status code, e.g. `"HARMONY_ERROR_PARSE"`; `"HARMONY_UNKNOWN_STATUS"`
/// for values outside the enum.
#[no_mangle]
pub extern "C" fn harmony_status_name(status: i32) -> *const c_char {
    let name: &std::ffi::CStr = match status {
        0 => c"HARMONY_OK",
        1 => c"HARMONY_ERROR_INVALID_ARGUMENT",
        2 => c"HARMONY_ERROR_INVALID_JSON",
        3 => c"HARMONY_ERROR_INVALID_UTF8",
        4 => c"HARMONY_ERROR_RENDER",
        5 => c"HARMONY_ERROR_PARSE",
        6 => c"HARMONY_ERROR_UNKNOWN_TOKEN",
        7 => c"HARMONY_ERROR_BUFFER_TOO_SMALL",
        8 => c"HARMONY_ERROR_LIMIT_EXCEEDED",
        9 => c"HARMONY_ERROR_PANIC",
        _ => c"HARMONY_UNKNOWN_STATUS",
    };
    name.as_ptr()
}
