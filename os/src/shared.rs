//! Shared memory objects: pages that every process mapping the object sees
//! alike, never copied on write. A region created by `map_shared` is one;
//! fork gives the child the same object.

use crate::memory::{self, Claim};
use crate::sync::IrqLock;
use alloc::collections::BTreeMap;

struct SharedObject {
    /// Pages created so far (the object holds one reference to each frame).
    pages: BTreeMap<u64, u64>,
    /// Regions (in any process) that map the object.
    users: u32,
}

struct Objects {
    objects: BTreeMap<u32, SharedObject>,
    next_id: u32,
}

static OBJECTS: IrqLock<Objects> = IrqLock::new(
    "shared objects",
    Objects {
        objects: BTreeMap::new(),
        next_id: 1,
    },
);

/// A new object with one user.
pub fn create() -> u32 {
    OBJECTS.with(|objects| {
        let id = objects.next_id;
        objects.next_id += 1;
        objects.objects.insert(
            id,
            SharedObject {
                pages: BTreeMap::new(),
                users: 1,
            },
        );
        id
    })
}

/// Another region maps the object (fork).
pub fn add_user(object: u32) {
    OBJECTS.with(|objects| {
        if let Some(object) = objects.objects.get_mut(&object) {
            object.users += 1;
        }
    });
}

/// A region mapping the object went away; the last one frees its pages.
pub fn remove_user(object: u32) {
    let released = OBJECTS.with(|objects| {
        let entry = objects.objects.get_mut(&object)?;
        entry.users -= 1;
        if entry.users > 0 {
            return None;
        }
        objects.objects.remove(&object).map(|object| object.pages)
    });
    if let Some(pages) = released {
        memory::with_frames(|frames| {
            for frame in pages.into_values() {
                frames.release(frame);
            }
        });
    }
}

/// The frame of page `index`, made (zero-filled, a frame for `claim`) if
/// nobody touched it yet. Returns `None` without memory.
pub fn page(object: u32, index: u64, claim: Claim) -> Option<u64> {
    if let Some(frame) =
        OBJECTS.with(|objects| objects.objects.get(&object)?.pages.get(&index).copied())
    {
        return Some(frame);
    }
    let frame = memory::allocate(claim)?;
    crate::arch::physmem::zero_frame(frame);
    OBJECTS.with(|objects| {
        if let Some(entry) = objects.objects.get_mut(&object) {
            entry.pages.insert(index, frame);
        }
    });
    Some(frame)
}
