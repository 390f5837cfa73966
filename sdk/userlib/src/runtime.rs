//! Start-up, the heap and panics (target only).

use crate::args::Args;
use crate::memory;
use core::alloc::Layout;
use core::ptr::NonNull;
use talc::base::Talc;
use talc::base::binning::Binning;
use talc::source::Source;

/// Called by `_start` (see [`crate::entry!`]): runs `main` and exits with
/// its status.
///
/// # Safety
/// `args` and `args_len` must be what the kernel passed to `_start`: a
/// block of argument bytes that stays valid and unchanged for the life of
/// the process (or null and 0).
pub unsafe fn start(args: *const u8, args_len: usize, main: fn(Args) -> i32) -> ! {
    let bytes: &'static [u8] = if args.is_null() || args_len == 0 {
        &[]
    } else {
        // SAFETY: the kernel placed `args_len` bytes of arguments at `args`
        // on the stack, above everything the program will ever push; they
        // stay untouched for the life of the process.
        unsafe { core::slice::from_raw_parts(args, args_len) }
    };
    let status = main(Args::from_bytes(bytes));
    crate::process::exit(status)
}

/// Grows the heap with `brk` whenever the allocator runs out.
#[derive(Debug)]
pub struct BrkSource {
    /// End of the heap the allocator manages (an address, to stay `Send`).
    heap_end: Option<usize>,
}

/// Smallest step the heap grows by.
const GROWTH: u64 = 64 * 1024;

// SAFETY: `acquire` only uses the `talc` reference it is given and the brk
// system call; it never allocates.
unsafe impl Source for BrkSource {
    fn acquire<B: Binning>(talc: &mut Talc<Self, B>, layout: Layout) -> Result<(), ()> {
        let needed = (layout.size() + layout.align()) as u64 + 4096;
        let grow = needed.div_ceil(GROWTH) * GROWTH;
        let old_end = memory::heap_end();
        let new_end = memory::brk(old_end + grow).map_err(|_| ())?;
        let current = talc
            .source
            .heap_end
            .filter(|&end| end as u64 == old_end)
            .and_then(|end| NonNull::new(end as *mut u8));
        let end = match current {
            // SAFETY: [old_end, new_end) was just added to the heap region by
            // brk, directly after the allocator's current heap end.
            Some(end) => unsafe { talc.extend(end, new_end as *mut u8) },
            // SAFETY: [old_end, new_end) was just added by brk and nothing
            // else uses it.
            None => unsafe { talc.claim(old_end as *mut u8, grow as usize) }.ok_or(())?,
        };
        talc.source.heap_end = Some(end.as_ptr() as usize);
        Ok(())
    }
}

#[global_allocator]
static ALLOCATOR: talc::TalcLock<spin::Mutex<()>, BrkSource> =
    talc::TalcLock::new(BrkSource { heap_end: None });

#[panic_handler]
fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
    match info.location() {
        Some(location) => {
            crate::println!(
                "panicked at {}:{}: {}",
                location.file(),
                location.line(),
                info.message()
            )
        }
        None => crate::println!("panicked: {}", info.message()),
    }
    crate::process::exit(101)
}
