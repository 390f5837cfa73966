//! Message passing and process events: send, receive, sendrec, asend,
//! reply, proceventmask, lookup_service.

use super::Args;
use crate::{events, ipc, process, vm};
use kernel_abi::Errno;
use kernel_abi::ipc::{Message, PM};

/// Longest service name.
const MAX_NAME: usize = 32;

fn read_message(address: u64) -> Result<Message, Errno> {
    process::with_current(|process| vm::read_user::<Message>(process, address))
}

/// `send(dst, message)`. A message to the PM (`send`, `sendrec`, `asend`)
/// goes to the event system ([`events::message_to_pm`]): the PM is the
/// kernel, not a process that receives.
pub fn send(args: Args) -> Result<u64, Errno> {
    let [dst, address, ..] = args;
    let message = read_message(address)?;
    if dst == PM {
        return events::message_to_pm(&message);
    }
    ipc::send(dst, message)
}

/// `receive(src, buffer)`.
pub fn receive(args: Args) -> Result<u64, Errno> {
    let [src, address, ..] = args;
    ipc::receive(src, address)
}

/// `sendrec(dst, buffer)`: the request in, the reply out.
pub fn sendrec(args: Args) -> Result<u64, Errno> {
    let [dst, address, ..] = args;
    let message = read_message(address)?;
    if dst == PM {
        return events::message_to_pm(&message);
    }
    ipc::sendrec(dst, address, message)
}

/// `asend(dst, message)`.
pub fn asend(args: Args) -> Result<u64, Errno> {
    let [dst, address, ..] = args;
    let message = read_message(address)?;
    if dst == PM {
        return events::message_to_pm(&message);
    }
    ipc::asend(dst, message)
}

/// `reply(dst, message)`.
pub fn reply(args: Args) -> Result<u64, Errno> {
    let [dst, address, ..] = args;
    ipc::reply(dst, read_message(address)?)
}

/// `proceventmask(mask)`.
pub fn proceventmask(args: Args) -> Result<u64, Errno> {
    events::subscribe(args[0])
}

/// `lookup_service(name, len)`: the pid of the live system service called
/// `name`.
///
/// # Return values
/// `ESRCH` if there is none, `EFAULT`/`EINVAL` for a bad name.
pub fn lookup_service(args: Args) -> Result<u64, Errno> {
    let [address, len, ..] = args;
    if len as usize > MAX_NAME {
        return Err(Errno::EINVAL);
    }
    let mut buffer = [0u8; MAX_NAME];
    let name = buffer.get_mut(..len as usize).ok_or(Errno::EINVAL)?;
    process::with_current(|process| vm::copy_from_user(process, address, name))?;
    let name = core::str::from_utf8(name).map_err(|_| Errno::EINVAL)?;
    process::with_table(|table| {
        table
            .iter()
            .find(|process| process.privileged && process.is_alive() && process.name == name)
            .map(|process| u64::from(process.pid))
            .ok_or(Errno::ESRCH)
    })
}
