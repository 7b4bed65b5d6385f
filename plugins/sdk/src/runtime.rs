//! The plugins' `no_std` runtime on wasm32: a global allocator (dlmalloc,
//! the allocator Rust's own std uses on wasm, growing linear memory with
//! `memory.grow`), a panic handler that traps (the host counts a trap as a
//! plugin fault and disables the plugin; the reference plugins are written
//! not to panic), and [`GuestCell`] for the plugin's state.
//!
//! A plugin crate expands [`guest_runtime!`](crate::guest_runtime) once in
//! its wasm glue. Nothing here imports anything from the host.

use core::cell::RefCell;

pub use dlmalloc::GlobalDlmalloc;

/// The plugin's state in a `static`. A wasm32-wasip2 guest without the
/// threads proposal runs on one thread, and the host never re-enters a
/// component instance during a call (a plugin has no imports to call back
/// through), so sharing the cell is sound and a borrow never conflicts.
pub struct GuestCell<T>(RefCell<T>);

// SAFETY: see the type's documentation: one thread, no re-entry.
unsafe impl<T> Sync for GuestCell<T> {}

impl<T> GuestCell<T> {
    /// Wraps the initial state.
    pub const fn new(v: T) -> GuestCell<T> {
        GuestCell(RefCell::new(v))
    }
    /// Runs `f` with shared access.
    pub fn with<R>(&self, f: impl FnOnce(&T) -> R) -> R {
        f(&self.0.borrow())
    }
    /// Runs `f` with exclusive access.
    pub fn with_mut<R>(&self, f: impl FnOnce(&mut T) -> R) -> R {
        f(&mut self.0.borrow_mut())
    }
}

/// Defines the global allocator and the trapping panic handler of a
/// `no_std` plugin. Expand once, in the plugin's wasm32-only glue.
#[macro_export]
macro_rules! guest_runtime {
    () => {
        #[global_allocator]
        static KAIROS_PLUGIN_ALLOCATOR: $crate::runtime::GlobalDlmalloc =
            $crate::runtime::GlobalDlmalloc;

        #[panic_handler]
        fn kairos_plugin_panic(_: &core::panic::PanicInfo<'_>) -> ! {
            core::arch::wasm32::unreachable()
        }
    };
}

/// Implements the WIT `lifecycle` interface (describe, set-param,
/// save-state, load-state) for `$component` over the plugin held in
/// `$plugin` (a [`GuestCell`] of a type with `params`, `set_param`,
/// `save_state` and `load_state`), named `$name` / `$version`. Expand once,
/// in the plugin's wasm32-only glue, after `wit_bindgen::generate!` (the
/// generated `exports::kairos::plugin::lifecycle` and `types::{Info, Param}`
/// must be in scope of the glue module).
#[macro_export]
macro_rules! lifecycle_guest {
    ($component:ty, $plugin:expr, $name:expr, $version:expr) => {
        impl exports::kairos::plugin::lifecycle::Guest for $component {
            fn describe() -> kairos::plugin::types::Info {
                $plugin.with(|p| kairos::plugin::types::Info {
                    name: alloc::string::ToString::to_string($name),
                    version: alloc::string::ToString::to_string($version),
                    params: $crate::convert::param_rows(p.params())
                        .map(|(name, value, description)| kairos::plugin::types::Param {
                            name,
                            value,
                            description,
                        })
                        .collect(),
                })
            }
            fn set_param(
                name: alloc::string::String,
                value: i64,
            ) -> Result<(), alloc::string::String> {
                $plugin.with_mut(|p| {
                    p.set_param(&name, value)
                        .map_err(|e| alloc::string::ToString::to_string(&e))
                })
            }
            fn save_state() -> alloc::vec::Vec<u8> {
                $plugin.with(|p| p.save_state())
            }
            fn load_state(state: alloc::vec::Vec<u8>) -> Result<(), alloc::string::String> {
                $plugin.with_mut(|p| {
                    p.load_state(&state)
                        .map_err(|e| alloc::string::ToString::to_string(&e))
                })
            }
        }
    };
}

/// `memcmp` for the `no_std` guest: the wasm32-wasip2 target expects it
/// from wasi-libc, which a `no_std` build does not link, and core's slice
/// and string equality call it. A plain byte loop (LLVM does not turn a
/// loop back into a `memcmp` call).
///
/// # Safety
/// `a` and `b` must be valid for reads of `n` bytes (the C contract).
#[no_mangle]
pub unsafe extern "C" fn memcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
    let mut i = 0;
    while i < n {
        // SAFETY: i < n and the caller guarantees n readable bytes.
        let (x, y) = unsafe { (*a.add(i), *b.add(i)) };
        if x != y {
            return i32::from(x) - i32::from(y);
        }
        i += 1;
    }
    0
}

/// The canonical ABI's `cabi_realloc` (the host allocates argument lists
/// and strings in the guest through it). With std, the wasm32-wasip2 std
/// provides it; a `no_std` guest must. Zero-sized requests get a dangling
/// aligned pointer; a failed allocation traps (the host's memory cap then
/// disables the plugin).
///
/// # Safety
/// The canonical ABI contract: `old_ptr`/`old_len`/`align` describe a live
/// allocation made by this function (or `old_len` is 0), and `align` is a
/// power of two.
#[no_mangle]
pub unsafe extern "C" fn cabi_realloc(
    old_ptr: *mut u8,
    old_len: usize,
    align: usize,
    new_len: usize,
) -> *mut u8 {
    use alloc::alloc::{alloc, realloc, Layout};
    if new_len == 0 {
        return align as *mut u8;
    }
    let Ok(layout) = Layout::from_size_align(new_len, align) else {
        core::arch::wasm32::unreachable()
    };
    let ptr = if old_len == 0 {
        // SAFETY: the layout has a non-zero size.
        unsafe { alloc(layout) }
    } else {
        // SAFETY: the caller passes a live allocation of `old_len` bytes
        // with this alignment; `new_len` is non-zero.
        unsafe {
            realloc(
                old_ptr,
                Layout::from_size_align_unchecked(old_len, align),
                new_len,
            )
        }
    };
    if ptr.is_null() {
        core::arch::wasm32::unreachable()
    }
    ptr
}
