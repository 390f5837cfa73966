//! Posting a signal to a process (MINIX's `check_sig` and `sig_proc`):
//! whether it is discarded, blocked, handled as a message (system
//! services), or delivered, and waking or publishing SIGNAL accordingly.
//! Taking a pending signal on the way back to user mode, and ending a
//! process, are `pm`'s.
//!
//! Below `pm` and `oom`: the out-of-memory rule kills its victim with
//! SIGKILL through here, while `pm` brings a signal frame's stack in
//! through `oom`.

use crate::process::{self, Block, State, Wake};
use crate::{events, ipc, report, sched};
use kernel_abi::ipc::{Message, SIGS_SIGNAL_RECEIVED};
use kernel_abi::signal::SigAction;
use kernel_abi::{Errno, Pid, Signal};
use kernel_core::events::EventKind;
use kernel_core::signals::{Disposition, Posted};

/// Sends `signal` from `sender` to `target` (MINIX's `check_sig` and
/// `sig_proc`).
///
/// - A process that is exiting (or a zombie) is left alone: OK.
/// - A system service never gets a SIGNAL event: a termination signal
///   (MINIX's `SIGS_IS_TERMINATION`) ends it, any other reaches it as a
///   [`SIGS_SIGNAL_RECEIVED`] message.
/// - A caught signal for a process paused in `wait` interrupts it and is
///   delivered without an event. For any other process not yet unpaused it
///   stays pending and SIGNAL is published: the process stays stopped until
///   the last ack, then takes every pending signal on its way back to user
///   mode (a SIGKILL among them kills it first). A signal arriving while an
///   event is in flight or the process is already unpaused only becomes
///   pending.
///
/// Init is protected: SIGKILL to it is refused (MINIX's `check_sig`), and
/// a signal it does not catch whose default would end or stop it is
/// discarded (as Linux does for init), so no program can take the system
/// down by signalling init. Only init's own CPU faults
/// (`pm::force_signal`) can still kill it.
///
/// # Return values
/// `ESRCH` if the target does not exist; `EINVAL` for SIGKILL to init.
pub fn send_signal(sender: Pid, target: Pid, signal: Signal) -> Result<(), Errno> {
    let outcome = process::with_table(|table| {
        let is_init = table.init != 0 && target == table.init;
        if is_init && signal == Signal::SIGKILL {
            return Err(Errno::EINVAL);
        }
        let process = table.get_mut(target).ok_or(Errno::ESRCH)?;
        if !process.is_alive() {
            return Ok(None);
        }
        if process.privileged {
            if terminates_services(signal) {
                // As MINIX's `sig_proc_exit`: whatever its action.
                if signal.can_be_handled() {
                    let _ = process.signals.set_action(signal, SigAction::default());
                }
                process.signals.blocked &= !signal.mask();
            } else {
                // Like MINIX's pending kernel signals of a system process,
                // a signal already waiting in its mailbox is not queued
                // again.
                let queued = process.ipc.mailbox().any(|message| {
                    message.source == kernel_abi::ipc::PM
                        && message.kind == SIGS_SIGNAL_RECEIVED
                        && message.payload[0] == u64::from(signal.number())
                });
                return Ok(Some((Posted::Deliverable, None, process.state, queued)));
            }
        }
        let disposition = process.signals.disposition(signal);
        if is_init && matches!(disposition, Disposition::Terminate | Disposition::Stop) {
            // Init does not catch it and it would end or stop init: gone.
            return Ok(Some((
                Posted::Discarded,
                Some(disposition),
                process.state,
                false,
            )));
        }
        let posted = process.signals.post(signal);
        let caught = posted == Posted::Deliverable && matches!(disposition, Disposition::Catch(_));
        let mut publish = false;
        if caught && !process.frozen && !process.unpaused {
            // MINIX's `unpause`: paused in PM (`wait`): no event.
            process.unpaused = true;
            publish = process.state != State::Blocked(Block::Child);
        }
        Ok(Some((posted, Some(disposition), process.state, publish)))
    })?;
    let Some((posted, disposition, state, publish)) = outcome else {
        return Ok(());
    };
    let Some(disposition) = disposition else {
        // A non-termination signal to a system service: a message (`publish`
        // says here whether one is already queued).
        report::signal(
            sender,
            target,
            signal,
            Posted::Deliverable,
            Disposition::Catch(SigAction::default()),
        );
        if !publish {
            ipc::deliver_from_pm(
                target,
                Message::new(
                    SIGS_SIGNAL_RECEIVED,
                    [u64::from(signal.number()), 0, 0, 0, 0, 0],
                ),
            );
        }
        return Ok(());
    };
    report::signal(sender, target, signal, posted, disposition);
    if posted != Posted::Deliverable {
        return Ok(());
    }
    if publish {
        events::publish(target, EventKind::Signal);
    }
    match (state, disposition) {
        (State::Stopped, _) if signal == Signal::SIGCONT || signal == Signal::SIGKILL => {
            sched::make_ready(target)
        }
        (State::Blocked(block), Disposition::Catch(_)) if interruptible_by_catch(block) => {
            sched::wake(target, Wake::Interrupted);
        }
        (State::Blocked(_), Disposition::Terminate) => {
            sched::wake(target, Wake::Interrupted);
        }
        _ => {}
    }
    Ok(())
}

/// MINIX's `SIGS_IS_TERMINATION`: the signals that end a system service
/// (every other one reaches it as a message).
fn terminates_services(signal: Signal) -> bool {
    matches!(
        signal,
        Signal::SIGILL
            | Signal::SIGBUS
            | Signal::SIGFPE
            | Signal::SIGSEGV
            | Signal::SIGABRT
            | Signal::SIGKILL
            | Signal::SIGPIPE
    )
}

/// Whether a caught signal interrupts `block`. A process waiting for a
/// system service's reply is not interrupted: the service answers it
/// (the IPC service with EINTR when it sees the SIGNAL event), as in MINIX.
fn interruptible_by_catch(block: Block) -> bool {
    match block {
        Block::Receive {
            from, reply: true, ..
        } => {
            let service = u32::try_from(from).ok();
            !process::with_table(|table| {
                service
                    .and_then(|pid| table.get(pid))
                    .is_some_and(|p| p.privileged)
            })
        }
        _ => true,
    }
}
