//! `write`: a line of text to the system log.

use super::Args;
use crate::{process, report, vm};
use kernel_abi::Errno;

/// Longest line; the rest of a longer write is cut.
const MAX_LINE: usize = 240;

/// `write(text, len)`: sends the text as a log line of the caller (cut to
/// [`MAX_LINE`] bytes); returns the bytes sent.
///
/// # Return values
/// `EFAULT` if any of the `len` bytes is not readable, even past the cut.
pub fn write(args: Args) -> Result<u64, Errno> {
    let [address, len, ..] = args;
    let take = (len as usize).min(MAX_LINE);
    let mut buffer = [0u8; MAX_LINE];
    let bytes = buffer.get_mut(..take).ok_or(Errno::EINVAL)?;
    let pid = crate::sched::current();
    process::with_current(|process| {
        if !process.vm.check_range(address, len, false) {
            return Err(Errno::EFAULT);
        }
        vm::copy_from_user(process, address, bytes)
    })?;
    let text = core::str::from_utf8(bytes).unwrap_or("<invalid utf-8>");
    report::program_log(pid, text.trim_end_matches('\n'));
    Ok(take as u64)
}
