//! The page cache: which frames hold which pages of which files.
//!
//! A file page read from the disk stays here while any process uses the
//! file, so a second process running the same program maps it without I/O
//! (a minor fault). When the last user of a file goes, its pages are
//! dropped and their frames released. The cache holds one reference to each
//! frame; processes that map a page add their own.

use alloc::collections::BTreeMap;
use alloc::vec::Vec;

/// A file page: (file, page index).
pub type PageKey = (u32, u64);

/// Cached file pages and the number of processes using each file. `F` is
/// the cache's reference to a frame (the kernel's owned frame handle; a
/// plain address in tests).
pub struct PageCache<F = u64> {
    pages: BTreeMap<PageKey, F>,
    users: BTreeMap<u32, u32>,
    hits: u64,
    misses: u64,
}

impl<F> Default for PageCache<F> {
    fn default() -> Self {
        Self::new()
    }
}

impl<F> PageCache<F> {
    /// An empty cache.
    pub const fn new() -> Self {
        Self {
            pages: BTreeMap::new(),
            users: BTreeMap::new(),
            hits: 0,
            misses: 0,
        }
    }

    /// The frame holding page `page` of `file`, counting a hit or a miss.
    pub fn lookup(&mut self, file: u32, page: u64) -> Option<&F> {
        let found = self.pages.contains_key(&(file, page));
        if found {
            self.hits += 1;
        } else {
            self.misses += 1;
        }
        self.pages.get(&(file, page))
    }

    /// Records that `frame` now holds page `page` of `file`.
    pub fn insert(&mut self, file: u32, page: u64, frame: F) {
        self.pages.insert((file, page), frame);
    }

    /// A process started using `file`.
    pub fn add_user(&mut self, file: u32) {
        *self.users.entry(file).or_insert(0) += 1;
    }

    /// A process stopped using `file`. Returns the frames of its pages if it
    /// was the last user: the caller releases them.
    pub fn remove_user(&mut self, file: u32) -> Vec<F> {
        let Some(users) = self.users.get_mut(&file) else {
            return Vec::new();
        };
        *users -= 1;
        if *users > 0 {
            return Vec::new();
        }
        self.users.remove(&file);
        let keys: Vec<PageKey> = self
            .pages
            .range((file, 0)..=(file, u64::MAX))
            .map(|(key, _)| *key)
            .collect();
        keys.into_iter()
            .filter_map(|key| self.pages.remove(&key))
            .collect()
    }

    /// Pages cached now.
    pub fn len(&self) -> usize {
        self.pages.len()
    }

    /// Whether nothing is cached.
    pub fn is_empty(&self) -> bool {
        self.pages.is_empty()
    }

    /// (hits, misses) since boot.
    pub fn hit_counts(&self) -> (u64, u64) {
        (self.hits, self.misses)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_stay_while_a_file_has_users_and_go_with_the_last() {
        let mut cache: PageCache = PageCache::new();
        cache.add_user(3);
        cache.add_user(3);
        assert_eq!(cache.lookup(3, 1), None);
        cache.insert(3, 1, 0x5000);
        cache.insert(3, 2, 0x6000);
        cache.insert(4, 1, 0x7000);
        assert_eq!(cache.lookup(3, 1), Some(&0x5000));
        assert_eq!(cache.hit_counts(), (1, 1));
        assert!(cache.remove_user(3).is_empty());
        let mut released = cache.remove_user(3);
        released.sort();
        assert_eq!(released, vec![0x5000, 0x6000]);
        assert_eq!(cache.len(), 1, "other files' pages stay");
        assert!(
            cache.remove_user(9).is_empty(),
            "an unknown file is not an error"
        );
    }
}
