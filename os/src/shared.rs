//! Shared memory objects: pages that every process mapping the object sees
//! alike, never copied on write. A region created by `map_shared` is one;
//! fork gives the child the same object.

use crate::memory::{self, Claim, Frame};
use crate::sync::IrqLock;
use alloc::collections::BTreeMap;

struct SharedObject {
    /// Pages created so far (the object holds one reference to each frame).
    pages: BTreeMap<u64, Frame>,
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

/// How many regions (in any process) map `object` (0 if there is none).
pub fn users(object: u32) -> u32 {
    OBJECTS.with(|objects| {
        objects
            .objects
            .get(&object)
            .map_or(0, |object| object.users)
    })
}

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
        for frame in pages.into_values() {
            memory::release(frame);
        }
    }
}

/// A reference of the caller's own to the frame of page `index`, made
/// (zero-filled, a frame for `claim`) if nobody touched it yet. Returns
/// `None` without memory.
pub fn page(object: u32, index: u64, claim: Claim) -> Option<Frame> {
    if let Some(frame) = OBJECTS.with(|objects| {
        objects
            .objects
            .get(&object)?
            .pages
            .get(&index)
            .map(memory::share)
    }) {
        return Some(frame);
    }
    let mut frame = memory::allocate(claim)?;
    frame.zero();
    let mine = memory::share(&frame);
    let kept = OBJECTS.with(|objects| match objects.objects.get_mut(&object) {
        Some(entry) => {
            entry.pages.insert(index, frame);
            None
        }
        None => Some(frame),
    });
    if let Some(frame) = kept {
        // The object is gone (cannot happen while a region maps it): the
        // frame stays only the caller's.
        memory::release(frame);
    }
    Some(mine)
}
