//! `sleep` and `clock`.

use super::Args;
use crate::process::{Block, Wake};
use crate::{sched, time};
use kernel_abi::Errno;

/// `sleep(ns)`: blocks for at least `ns` nanoseconds.
///
/// # Return values
/// `EINTR` if a signal interrupted the sleep.
pub fn sleep(args: Args) -> Result<u64, Errno> {
    let [ns, ..] = args;
    let deadline = time::now_ns().saturating_add(ns);
    match sched::block_current(Block::Sleep(deadline)) {
        Wake::Done | Wake::PeerGone => Ok(0),
        Wake::Interrupted => Err(Errno::EINTR),
    }
}

/// `clock()`: nanoseconds since boot.
pub fn clock(_args: Args) -> Result<u64, Errno> {
    Ok(time::now_ns())
}
