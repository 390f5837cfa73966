//! The out-of-memory rule's choice, as a pure function the kernel's
//! `oom.rs` applies to its process table.
//!
//! 1. A process already exiting that still holds pages (its EXIT event
//!    waits for acks) gives them up first: nobody new has to die.
//! 2. Otherwise the victim is the ordinary, live process whose death
//!    frees the most frames (its resident pages no one else shares, and
//!    its page tables), whichever process faulted. System services and
//!    init are never chosen, nor a process whose death frees nothing.

/// What the rule needs to know of one process.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Candidate {
    /// Its pid.
    pub pid: u32,
    /// A system service.
    pub privileged: bool,
    /// Init (its death powers the machine off).
    pub init: bool,
    /// It has exited or is exiting (an exit is recorded).
    pub exiting: bool,
    /// Frames its death frees at once: resident pages it alone holds, and
    /// its page tables (`vm::freeable_frames`).
    pub resident: u64,
    /// Page records, resident or swapped.
    pub records: u64,
}

/// Whom the rule takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Choice {
    /// Reclaim the memory of this exiting process.
    Exiting(u32),
    /// Kill this process (and reclaim its memory).
    Kill(u32),
}

/// Applies the rule to `candidates` (one pass, no allocation: it runs
/// when memory is gone); `None` if nobody may be taken. Among equals the
/// first seen (the lowest pid, the oldest) is chosen.
pub fn choose(candidates: impl IntoIterator<Item = Candidate>) -> Option<Choice> {
    let mut exiting: Option<Candidate> = None;
    let mut victim: Option<Candidate> = None;
    for candidate in candidates {
        if candidate.exiting {
            if candidate.records > 0 && exiting.is_none_or(|best| candidate.records > best.records)
            {
                exiting = Some(candidate);
            }
        } else if !candidate.privileged
            && !candidate.init
            && candidate.resident > 0
            && victim.is_none_or(|best| candidate.resident > best.resident)
        {
            victim = Some(candidate);
        }
    }
    match (exiting, victim) {
        (Some(dying), _) => Some(Choice::Exiting(dying.pid)),
        (None, Some(victim)) => Some(Choice::Kill(victim.pid)),
        (None, None) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn program(pid: u32, resident: u64) -> Candidate {
        Candidate {
            pid,
            privileged: false,
            init: false,
            exiting: false,
            resident,
            records: resident,
        }
    }

    #[test]
    fn the_largest_ordinary_process_is_the_victim_never_a_service_or_init() {
        let service = Candidate {
            privileged: true,
            ..program(1, 90_000)
        };
        let init = Candidate {
            init: true,
            ..program(3, 50_000)
        };
        let candidates = [
            service,
            init,
            program(4, 100),
            program(5, 2_000),
            program(6, 300),
        ];
        assert_eq!(choose(candidates), Some(Choice::Kill(5)));
        // Nobody but a service and init: no victim (the faulting process
        // dies instead).
        assert_eq!(choose([service, init]), None);
        // A process with nothing resident frees nothing.
        assert_eq!(choose([program(7, 0)]), None);
        // Equals: the oldest.
        assert_eq!(
            choose([program(8, 10), program(9, 10)]),
            Some(Choice::Kill(8))
        );
    }

    #[test]
    fn an_exiting_process_holding_memory_goes_first() {
        let exiting = Candidate {
            exiting: true,
            resident: 0,
            records: 40,
            ..program(4, 0)
        };
        let done = Candidate {
            exiting: true,
            records: 0,
            ..program(5, 0)
        };
        assert_eq!(
            choose([program(3, 5_000), exiting, done]),
            Some(Choice::Exiting(4))
        );
        // Once reclaimed it holds nothing, and the rule moves on.
        let reclaimed = Candidate {
            records: 0,
            ..exiting
        };
        assert_eq!(
            choose([program(3, 5_000), reclaimed, done]),
            Some(Choice::Kill(3))
        );
    }
}
