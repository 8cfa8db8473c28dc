//! Every pointer conversion of the C ABI, in one place: NULL checks, borrowed slices and
//! strings, owned boxes and shared (`Arc`) handles. Nothing else in `ffi` dereferences a raw
//! pointer.

use super::error::FfiError;
use std::sync::Arc;

/// Borrows `*p` for the duration of a call; NULL is an invalid-argument error naming `what`.
///
/// # Safety
/// `p` must be NULL or point to a live `T` not mutated during the borrow.
pub(crate) unsafe fn borrow<'a, T>(p: *const T, what: &str) -> Result<&'a T, FfiError> {
    // SAFETY: non-NULL pointers are live `T`s by the caller's contract.
    unsafe { p.as_ref() }.ok_or_else(|| FfiError::null(what))
}

/// Borrows `*p` mutably for the duration of a call.
///
/// # Safety
/// `p` must be NULL or point to a live `T` that no other thread uses during the call.
pub(crate) unsafe fn borrow_mut<'a, T>(p: *mut T, what: &str) -> Result<&'a mut T, FfiError> {
    // SAFETY: as for `borrow`, plus exclusivity by the caller's contract.
    unsafe { p.as_mut() }.ok_or_else(|| FfiError::null(what))
}

/// Largest element count of a caller array of `T`: its size in bytes must stay below
/// `PTRDIFF_MAX` (`isize::MAX`), the bound of every real object and of Rust slices.
pub(crate) const fn max_len<T>() -> usize {
    let size = if std::mem::size_of::<T>() == 0 { 1 } else { std::mem::size_of::<T>() };
    (isize::MAX as usize - 1) / size
}

/// Rejects a caller length or capacity that no real array of `T` can have (such as
/// `SIZE_MAX`, `SIZE_MAX / 2` or `PTRDIFF_MAX + 1`, typically a negative number or garbage
/// converted to `size_t`), before anything is read or allocated from it.
pub(crate) fn check_len<T>(len: usize, what: &str) -> Result<(), FfiError> {
    if len > max_len::<T>() {
        return Err(FfiError::invalid(format!(
            "`{what}` has length {len}, more than any array can hold ({} elements of {} bytes)",
            max_len::<T>(),
            std::mem::size_of::<T>()
        )));
    }
    Ok(())
}

/// Borrows `len` elements at `p`. NULL is allowed only when `len` is 0; a length no real
/// array can have ([`check_len`]) is an invalid-argument error.
///
/// # Safety
/// A non-NULL `p` must point to `len` initialised, live elements.
pub(crate) unsafe fn slice<'a, T>(p: *const T, len: usize, what: &str) -> Result<&'a [T], FfiError> {
    if len == 0 {
        return Ok(&[]);
    }
    check_len::<T>(len, what)?;
    if p.is_null() {
        return Err(FfiError::invalid(format!("`{what}` is NULL but its length is {len}")));
    }
    // SAFETY: non-NULL with `len` live elements by the caller's contract.
    Ok(unsafe { std::slice::from_raw_parts(p, len) })
}

/// Borrows `len` bytes at `p` as UTF-8 text.
///
/// # Safety
/// As for [`slice`].
pub(crate) unsafe fn utf8<'a>(p: *const std::ffi::c_char, len: usize, what: &str) -> Result<&'a str, FfiError> {
    // SAFETY: forwarded contract.
    let bytes = unsafe { slice(p.cast::<u8>(), len, what) }?;
    std::str::from_utf8(bytes).map_err(|e| FfiError::utf8(what, e))
}

/// Borrows a NUL-terminated string; NULL gives `None`.
///
/// # Safety
/// A non-NULL `p` must point to a NUL-terminated string.
pub(crate) unsafe fn c_str<'a>(p: *const std::ffi::c_char, what: &str) -> Result<Option<&'a str>, FfiError> {
    if p.is_null() {
        return Ok(None);
    }
    // SAFETY: NUL-terminated by the caller's contract.
    let s = unsafe { std::ffi::CStr::from_ptr(p) };
    s.to_str().map(Some).map_err(|e| FfiError::utf8(what, e))
}

/// Writes `v` to the out-parameter `p`; NULL is an invalid-argument error.
///
/// # Safety
/// A non-NULL `p` must be valid for a write of `T`.
pub(crate) unsafe fn write_out<T>(p: *mut T, v: T, what: &str) -> Result<(), FfiError> {
    if p.is_null() {
        return Err(FfiError::null(what));
    }
    // SAFETY: non-NULL and writable by the caller's contract; the old value is not dropped
    // because out-parameters may hold garbage.
    unsafe { p.write(v) };
    Ok(())
}

/// Checks an out-parameter before any result is built (so that a NULL out-parameter can
/// never leak a result) and returns it as an uninitialised slot.
///
/// # Safety
/// A non-NULL `p` must be valid for a write of `T`.
pub(crate) unsafe fn out_slot<'a, T>(p: *mut T, what: &str) -> Result<&'a mut std::mem::MaybeUninit<T>, FfiError> {
    // SAFETY: non-NULL and writable per contract; `MaybeUninit<T>` has `T`'s layout.
    unsafe { p.cast::<std::mem::MaybeUninit<T>>().as_mut() }.ok_or_else(|| FfiError::null(what))
}

/// Writes `v` to `p` if `p` is not NULL (for optional out-parameters and early resets).
///
/// # Safety
/// As for [`write_out`].
pub(crate) unsafe fn write_opt<T>(p: *mut T, v: T) {
    if !p.is_null() {
        // SAFETY: as for `write_out`.
        unsafe { p.write(v) };
    }
}

/// Moves `v` to the heap and hands ownership to C.
pub(crate) fn into_box<T>(v: T) -> *mut T {
    Box::into_raw(Box::new(v))
}

/// Takes back ownership of a pointer from [`into_box`] and drops it; NULL is a no-op.
///
/// # Safety
/// `p` must be NULL or come from `into_box::<T>` and not have been freed.
pub(crate) unsafe fn free_box<T>(p: *mut T) {
    if !p.is_null() {
        // SAFETY: produced by `Box::into_raw` per the caller's contract.
        drop(unsafe { Box::from_raw(p) });
    }
}

/// Hands one strong reference of a shared, immutable object to C.
pub(crate) fn into_arc<T>(v: Arc<T>) -> *const T {
    Arc::into_raw(v)
}

/// Clones the shared object behind `p` without consuming C's reference.
///
/// # Safety
/// `p` must be NULL or come from [`into_arc`] and still be alive.
pub(crate) unsafe fn clone_arc<T>(p: *const T, what: &str) -> Result<Arc<T>, FfiError> {
    if p.is_null() {
        return Err(FfiError::null(what));
    }
    // SAFETY: `p` came from `Arc::into_raw` and C still holds its reference.
    unsafe {
        Arc::increment_strong_count(p);
        Ok(Arc::from_raw(p))
    }
}

/// Releases C's reference from [`into_arc`]; NULL is a no-op.
///
/// # Safety
/// `p` must be NULL or come from `into_arc::<T>` and not have been released.
pub(crate) unsafe fn free_arc<T>(p: *const T) {
    if !p.is_null() {
        // SAFETY: per the caller's contract.
        drop(unsafe { Arc::from_raw(p) });
    }
}

/// Hands a vector to C as a boxed slice `(pointer, length)`; empty gives `(NULL, 0)`.
pub(crate) fn vec_into_raw<T>(v: Vec<T>) -> (*mut T, usize) {
    if v.is_empty() {
        return (std::ptr::null_mut(), 0);
    }
    let len = v.len();
    (Box::into_raw(v.into_boxed_slice()).cast::<T>(), len)
}

/// Frees a `(pointer, length)` pair from [`vec_into_raw`]; NULL is a no-op.
///
/// # Safety
/// The pair must come from `vec_into_raw::<T>` and not have been freed.
pub(crate) unsafe fn free_raw_vec<T>(p: *mut T, len: usize) {
    if !p.is_null() {
        // SAFETY: reconstructs the boxed slice made by `vec_into_raw`.
        drop(unsafe { Box::from_raw(std::ptr::slice_from_raw_parts_mut(p, len)) });
    }
}

/// Copies `src` into the caller's buffer `dst` of capacity `cap`, reporting the needed length
/// through `out_len`. A too-small buffer (including NULL with capacity 0, to ask for the size)
/// is `BUFFER_TOO_SMALL` and nothing is written.
///
/// # Safety
/// A non-NULL `dst` must be valid for `cap` writes; `out_len` must be NULL or writable.
pub(crate) unsafe fn copy_to_caller<T: Copy>(
    src: &[T],
    dst: *mut T,
    cap: usize,
    out_len: *mut usize,
    unit: &str,
) -> Result<(), FfiError> {
    check_len::<T>(cap, "cap")?;
    // SAFETY: optional out-parameter per contract.
    unsafe { write_out(out_len, src.len(), "out_len") }?;
    if src.len() > cap {
        return Err(FfiError::too_small(src.len(), cap, unit));
    }
    if src.is_empty() {
        return Ok(());
    }
    if dst.is_null() {
        return Err(FfiError::null("buf"));
    }
    // SAFETY: `dst` holds at least `cap >= src.len()` elements per contract; regions are
    // distinct because `src` is library memory.
    unsafe { std::ptr::copy_nonoverlapping(src.as_ptr(), dst, src.len()) };
    Ok(())
}
