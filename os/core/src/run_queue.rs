//! The ready queue: two round-robin classes, system services before
//! ordinary programs (as MINIX runs its servers at higher priority), so a
//! service that has work (an event to ack, a request to answer) runs as
//! soon as it can.

use alloc::collections::VecDeque;

/// Scheduling class of a process.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Class {
    /// A system service: runs before any program.
    Service,
    /// An ordinary program.
    Program,
}

/// Ready processes, by class, each in arrival order.
#[derive(Default)]
pub struct RunQueue {
    services: VecDeque<u32>,
    programs: VecDeque<u32>,
}

impl RunQueue {
    /// An empty queue.
    pub const fn new() -> Self {
        Self {
            services: VecDeque::new(),
            programs: VecDeque::new(),
        }
    }

    /// Queues `pid` at the back of its class.
    pub fn push(&mut self, pid: u32, class: Class) {
        match class {
            Class::Service => self.services.push_back(pid),
            Class::Program => self.programs.push_back(pid),
        }
    }

    /// The next process to run: the oldest service, else the oldest program.
    pub fn pop(&mut self) -> Option<u32> {
        self.services
            .pop_front()
            .or_else(|| self.programs.pop_front())
    }

    /// Whether a process of class `class` (or a higher one) is waiting.
    pub fn has_at_least(&self, class: Class) -> bool {
        match class {
            Class::Service => !self.services.is_empty(),
            Class::Program => !self.services.is_empty() || !self.programs.is_empty(),
        }
    }

    /// Whether nothing is ready.
    pub fn is_empty(&self) -> bool {
        self.services.is_empty() && self.programs.is_empty()
    }

    /// Removes every entry of `pid`.
    pub fn remove(&mut self, pid: u32) {
        self.services.retain(|&queued| queued != pid);
        self.programs.retain(|&queued| queued != pid);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn services_go_first_and_each_class_is_fifo() {
        let mut queue = RunQueue::new();
        queue.push(10, Class::Program);
        queue.push(11, Class::Program);
        queue.push(2, Class::Service);
        queue.push(3, Class::Service);
        assert!(queue.has_at_least(Class::Service));
        assert_eq!(
            [queue.pop(), queue.pop(), queue.pop()],
            [Some(2), Some(3), Some(10)]
        );
        assert!(!queue.has_at_least(Class::Service) && queue.has_at_least(Class::Program));
        queue.remove(11);
        assert!(queue.is_empty());
        assert_eq!(queue.pop(), None);
    }
}
