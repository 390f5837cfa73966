//! A fixed set of numbered slots (swap slots on the disk): allocate, free,
//! count, with double frees reported.

use alloc::vec;
use alloc::vec::Vec;

/// Why a slot could not be freed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SlotError {
    /// No such slot.
    OutOfRange,
    /// The slot is already free.
    DoubleFree,
}

/// `count` slots, numbered from 0.
pub struct SlotAllocator {
    used: Vec<bool>,
    in_use: usize,
    next: usize,
}

impl SlotAllocator {
    /// `count` free slots.
    pub fn new(count: usize) -> Self {
        Self {
            used: vec![false; count],
            in_use: 0,
            next: 0,
        }
    }

    /// Takes a free slot.
    pub fn allocate(&mut self) -> Option<u32> {
        let count = self.used.len();
        let slot = (0..count)
            .map(|offset| (self.next + offset) % count)
            .find(|&slot| !self.used[slot])?;
        self.used[slot] = true;
        self.in_use += 1;
        self.next = (slot + 1) % count;
        Some(slot as u32)
    }

    /// Gives a slot back.
    pub fn free(&mut self, slot: u32) -> Result<(), SlotError> {
        let used = self
            .used
            .get_mut(slot as usize)
            .ok_or(SlotError::OutOfRange)?;
        if !*used {
            return Err(SlotError::DoubleFree);
        }
        *used = false;
        self.in_use -= 1;
        Ok(())
    }

    /// Slots in use.
    pub fn in_use(&self) -> usize {
        self.in_use
    }

    /// All slots.
    pub fn capacity(&self) -> usize {
        self.used.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allocates_every_slot_once_and_counts() {
        let mut slots = SlotAllocator::new(3);
        let taken: Vec<u32> = core::iter::from_fn(|| slots.allocate()).collect();
        assert_eq!(taken, vec![0, 1, 2]);
        assert_eq!(slots.in_use(), 3);
        assert_eq!(slots.free(1), Ok(()));
        assert_eq!(slots.free(1), Err(SlotError::DoubleFree));
        assert_eq!(slots.free(9), Err(SlotError::OutOfRange));
        assert_eq!(slots.allocate(), Some(1));
        assert_eq!(slots.allocate(), None);
    }

    #[test]
    fn no_slots_is_not_a_panic() {
        let mut slots = SlotAllocator::new(0);
        assert_eq!(slots.allocate(), None);
    }
}
