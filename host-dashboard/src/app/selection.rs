//! The selected row of a list whose rows come and go: by key (a pid, an
//! event id), so the selection stays on its item while rows come and go,
//! and by row, for when that item is gone.
//!
//! The selection works on any list of keys in display order, so sorting and
//! filtering a table later changes only how that list is built.

/// The selected row of a list of items keyed by `K`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Selection<K> {
    /// The selected item, once the user moved the selection.
    key: Option<K>,
    /// Its row when last moved: where the selection stays when the item
    /// disappears.
    row: usize,
}

impl<K> Default for Selection<K> {
    fn default() -> Self {
        Self { key: None, row: 0 }
    }
}

/// The selected row of the process table, by pid.
pub type ProcessSelection = Selection<u32>;

/// The selected row of the event list, by event id.
pub type EventSelection = Selection<u64>;

impl<K: Copy + PartialEq> Selection<K> {
    /// Whether the user has not moved the selection (it stays on the first
    /// row, whatever comes there).
    pub fn is_following(&self) -> bool {
        self.key.is_none()
    }

    /// Back to the first row, whatever comes there.
    pub(crate) fn follow(&mut self) {
        *self = Self::default();
    }

    /// The selected row among `keys` (in display order): the selected
    /// item's row, or else the remembered row clamped to the list.
    pub fn row(&self, keys: &[K]) -> Option<usize> {
        let last = keys.len().checked_sub(1)?;
        let found = self
            .key
            .and_then(|key| keys.iter().position(|&row_key| row_key == key));
        Some(found.unwrap_or(self.row.min(last)))
    }

    /// The selected item's key among `keys`.
    pub fn key(&self, keys: &[K]) -> Option<K> {
        self.row(keys).map(|row| keys[row])
    }

    /// Moves the selection `delta` rows (negative: up), within the table.
    pub(crate) fn move_by(&mut self, keys: &[K], delta: i64) {
        let Some(row) = self.row(keys) else { return };
        let last = keys.len() - 1;
        let target = i64::try_from(row)
            .unwrap_or(i64::MAX)
            .saturating_add(delta)
            .clamp(0, i64::try_from(last).unwrap_or(i64::MAX));
        self.select(keys, usize::try_from(target).unwrap_or(last));
    }

    /// Selects the first row.
    pub(crate) fn first(&mut self, keys: &[K]) {
        if !keys.is_empty() {
            self.select(keys, 0);
        }
    }

    /// Selects the last row.
    pub(crate) fn last(&mut self, keys: &[K]) {
        if let Some(last) = keys.len().checked_sub(1) {
            self.select(keys, last);
        }
    }

    fn select(&mut self, keys: &[K], row: usize) {
        self.row = row;
        self.key = Some(keys[row]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_row_is_selected_until_the_user_moves() {
        let selection = ProcessSelection::default();
        assert_eq!(selection.row(&[]), None);
        assert_eq!(selection.key(&[4, 7]), Some(4));
    }

    #[test]
    fn moving_stays_within_the_table() {
        let keys = [1, 2, 5, 9];
        let mut selection = ProcessSelection::default();
        selection.move_by(&keys, 2);
        assert_eq!(selection.key(&keys), Some(5));
        selection.move_by(&keys, 10);
        assert_eq!(selection.key(&keys), Some(9));
        selection.move_by(&keys, -1);
        assert_eq!(selection.key(&keys), Some(5));
        selection.move_by(&keys, i64::MIN);
        assert_eq!(selection.key(&keys), Some(1));
        selection.last(&keys);
        assert_eq!(selection.row(&keys), Some(3));
        selection.first(&keys);
        assert_eq!(selection.row(&keys), Some(0));
        // Nothing to move in an empty table.
        selection.move_by(&[], 1);
        selection.last(&[]);
        assert_eq!(selection.row(&[]), None);
    }

    #[test]
    fn the_selection_follows_its_process_when_rows_come_and_go() {
        let mut selection = ProcessSelection::default();
        selection.move_by(&[1, 2, 5, 9], 2);
        // Pid 2 is gone and 7 arrived: pid 5 is still selected.
        assert_eq!(selection.key(&[1, 5, 7, 9]), Some(5));
        assert_eq!(selection.row(&[1, 5, 7, 9]), Some(1));
    }

    #[test]
    fn following_stays_on_the_first_row_until_the_user_moves() {
        let mut selection = EventSelection::default();
        assert!(selection.is_following());
        assert_eq!(selection.key(&[9, 8, 7]), Some(9));
        assert_eq!(selection.key(&[10, 9, 8]), Some(10));
        selection.move_by(&[10, 9, 8], 1);
        assert!(!selection.is_following());
        // Newer events arrive above it: it stays on its event.
        assert_eq!(selection.key(&[12, 11, 10, 9]), Some(9));
        selection.follow();
        assert_eq!(selection.key(&[12, 11, 10, 9]), Some(12));
    }

    #[test]
    fn when_the_selected_process_goes_the_row_stays() {
        let mut selection = ProcessSelection::default();
        selection.move_by(&[1, 2, 5, 9], 2);
        assert_eq!(selection.key(&[1, 2, 9]), Some(9));
        assert_eq!(selection.key(&[1]), Some(1));
    }
}
