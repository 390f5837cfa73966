//! A process's signal state: what it catches, ignores and blocks, and what
//! is pending.
//!
//! The process manager asks [`SignalState::post`] what a new signal means
//! and [`SignalState::take_deliverable`] which pending signal to act on
//! next; it carries the answer out (kill, stop, run a handler).

use kernel_abi::signal::{
    DefaultAction, SIG_BLOCK, SIG_DFL, SIG_IGN, SIG_SETMASK, SIG_UNBLOCK, SIGNAL_COUNT, SigAction,
};
use kernel_abi::{Errno, Signal};

/// What a signal does to this process.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Disposition {
    /// Nothing: it is discarded.
    Ignore,
    /// The process dies.
    Terminate,
    /// The process stops.
    Stop,
    /// A stopped process continues.
    Continue,
    /// The process runs a handler.
    Catch(SigAction),
}

/// What [`SignalState::post`] did with a new signal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Posted {
    /// Ignored: discarded, nothing happens (and nothing is published).
    Discarded,
    /// Pending and blocked: nothing happens until it is unblocked.
    Blocked,
    /// Pending and deliverable: the process must act on it.
    Deliverable,
}

/// Signal state of one process.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SignalState {
    /// Signals posted and not yet acted on (bit n = signal n).
    pub pending: u64,
    /// Signals the process blocks.
    pub blocked: u64,
    actions: [SigAction; SIGNAL_COUNT],
}

impl Default for SignalState {
    fn default() -> Self {
        Self {
            pending: 0,
            blocked: 0,
            actions: [SigAction::default(); SIGNAL_COUNT],
        }
    }
}

/// Signals that can be neither caught, ignored nor blocked.
const UNBLOCKABLE: u64 = Signal::SIGKILL.mask() | Signal::SIGSTOP.mask();

impl SignalState {
    /// What `signal` does to this process now.
    pub fn disposition(&self, signal: Signal) -> Disposition {
        let action = self.actions[signal.number() as usize];
        match action.handler {
            SIG_IGN if signal.can_be_handled() => Disposition::Ignore,
            SIG_DFL | SIG_IGN => match signal.default_action() {
                DefaultAction::Terminate => Disposition::Terminate,
                DefaultAction::Ignore => Disposition::Ignore,
                DefaultAction::Stop => Disposition::Stop,
                DefaultAction::Continue => Disposition::Continue,
            },
            _ => Disposition::Catch(action),
        }
    }

    /// Sets the action of `signal`; returns the previous one.
    ///
    /// # Return values
    /// `Err(EINVAL)` for SIGKILL and SIGSTOP, whose actions cannot change.
    pub fn set_action(&mut self, signal: Signal, action: SigAction) -> Result<SigAction, Errno> {
        if !signal.can_be_handled() {
            return Err(Errno::EINVAL);
        }
        let slot = &mut self.actions[signal.number() as usize];
        let previous = *slot;
        *slot = action;
        // Setting a pending signal to ignored discards it (POSIX).
        if self.disposition(signal) == Disposition::Ignore {
            self.pending &= !signal.mask();
        }
        Ok(previous)
    }

    /// The action of `signal`.
    pub fn action(&self, signal: Signal) -> SigAction {
        self.actions[signal.number() as usize]
    }

    /// Changes the blocked set (`how` is SIG_BLOCK, SIG_UNBLOCK or
    /// SIG_SETMASK); returns the previous set. SIGKILL and SIGSTOP are
    /// silently never blocked.
    ///
    /// # Return values
    /// `Err(EINVAL)` for an unknown `how`.
    pub fn change_blocked(&mut self, how: u64, mask: u64) -> Result<u64, Errno> {
        let previous = self.blocked;
        self.blocked = match how {
            SIG_BLOCK => previous | mask,
            SIG_UNBLOCK => previous & !mask,
            SIG_SETMASK => mask,
            _ => return Err(Errno::EINVAL),
        } & !UNBLOCKABLE
            & !1;
        Ok(previous)
    }

    /// Records a new signal.
    pub fn post(&mut self, signal: Signal) -> Posted {
        if self.disposition(signal) == Disposition::Ignore {
            return Posted::Discarded;
        }
        self.pending |= signal.mask();
        if self.blocked & signal.mask() != 0 {
            Posted::Blocked
        } else {
            Posted::Deliverable
        }
    }

    /// Whether a pending signal is not blocked.
    pub fn has_deliverable(&self) -> bool {
        self.pending & !self.blocked != 0
    }

    /// Takes the next pending, unblocked signal (SIGKILL first, then by
    /// number) with what it does now.
    pub fn take_deliverable(&mut self) -> Option<(Signal, Disposition)> {
        let ready = self.pending & !self.blocked;
        let signal = if ready & Signal::SIGKILL.mask() != 0 {
            Signal::SIGKILL
        } else {
            Signal::from_number(u64::from(ready.trailing_zeros())).filter(|_| ready != 0)?
        };
        self.pending &= !signal.mask();
        Some((signal, self.disposition(signal)))
    }

    /// Blocks what a handler for `signal` asks while it runs; returns the
    /// mask to restore at `sigreturn`.
    pub fn enter_handler(&mut self, signal: Signal, action: &SigAction) -> u64 {
        let saved = self.blocked;
        self.blocked = (saved | action.mask | signal.mask()) & !UNBLOCKABLE & !1;
        saved
    }

    /// The state a forked child starts with: same actions and mask, nothing
    /// pending.
    pub fn fork_copy(&self) -> Self {
        Self {
            pending: 0,
            ..*self
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn handler() -> SigAction {
        SigAction {
            handler: 0x40_1000,
            restorer: 0x40_2000,
            mask: Signal::SIGUSR2.mask(),
        }
    }

    #[test]
    fn default_actions() {
        let state = SignalState::default();
        assert_eq!(state.disposition(Signal::SIGTERM), Disposition::Terminate);
        assert_eq!(state.disposition(Signal::SIGCHLD), Disposition::Ignore);
        assert_eq!(state.disposition(Signal::SIGSTOP), Disposition::Stop);
        assert_eq!(state.disposition(Signal::SIGCONT), Disposition::Continue);
    }

    #[test]
    fn ignored_signals_are_discarded_and_caught_ones_pend() {
        let mut state = SignalState::default();
        state
            .set_action(
                Signal::SIGUSR1,
                SigAction {
                    handler: SIG_IGN,
                    ..SigAction::default()
                },
            )
            .unwrap();
        assert_eq!(state.post(Signal::SIGUSR1), Posted::Discarded);
        assert_eq!(state.pending, 0);
        state.set_action(Signal::SIGUSR2, handler()).unwrap();
        assert_eq!(state.post(Signal::SIGUSR2), Posted::Deliverable);
        assert_eq!(
            state.take_deliverable(),
            Some((Signal::SIGUSR2, Disposition::Catch(handler())))
        );
        assert_eq!(state.take_deliverable(), None);
    }

    #[test]
    fn blocked_signals_wait_for_unblocking() {
        let mut state = SignalState::default();
        state.set_action(Signal::SIGUSR1, handler()).unwrap();
        state
            .change_blocked(SIG_BLOCK, Signal::SIGUSR1.mask())
            .unwrap();
        assert_eq!(state.post(Signal::SIGUSR1), Posted::Blocked);
        assert!(!state.has_deliverable());
        assert_eq!(state.take_deliverable(), None);
        state
            .change_blocked(SIG_UNBLOCK, Signal::SIGUSR1.mask())
            .unwrap();
        assert!(state.has_deliverable());
        assert_eq!(
            state.take_deliverable().map(|(signal, _)| signal),
            Some(Signal::SIGUSR1)
        );
    }

    #[test]
    fn kill_and_stop_cannot_be_caught_ignored_or_blocked() {
        let mut state = SignalState::default();
        assert_eq!(
            state.set_action(Signal::SIGKILL, handler()),
            Err(Errno::EINVAL)
        );
        state.change_blocked(SIG_SETMASK, u64::MAX).unwrap();
        assert_eq!(state.post(Signal::SIGKILL), Posted::Deliverable);
        assert_eq!(state.post(Signal::SIGTERM), Posted::Blocked);
        assert_eq!(
            state.take_deliverable(),
            Some((Signal::SIGKILL, Disposition::Terminate))
        );
        assert_eq!(state.change_blocked(99, 0), Err(Errno::EINVAL));
    }

    #[test]
    fn sigkill_goes_first() {
        let mut state = SignalState::default();
        state.post(Signal::SIGHUP);
        state.post(Signal::SIGKILL);
        assert_eq!(
            state.take_deliverable().map(|(signal, _)| signal),
            Some(Signal::SIGKILL)
        );
        assert_eq!(
            state.take_deliverable().map(|(signal, _)| signal),
            Some(Signal::SIGHUP)
        );
    }

    #[test]
    fn a_handler_blocks_its_signal_and_its_mask_until_sigreturn() {
        let mut state = SignalState::default();
        let saved = state.enter_handler(Signal::SIGUSR1, &handler());
        assert_eq!(saved, 0);
        assert_eq!(
            state.blocked,
            Signal::SIGUSR1.mask() | Signal::SIGUSR2.mask()
        );
    }

    #[test]
    fn a_forked_child_keeps_actions_but_not_pending_signals() {
        let mut state = SignalState::default();
        state.set_action(Signal::SIGUSR1, handler()).unwrap();
        state.post(Signal::SIGUSR1);
        let child = state.fork_copy();
        assert_eq!(child.pending, 0);
        assert_eq!(child.action(Signal::SIGUSR1), handler());
    }
}
