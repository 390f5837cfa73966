//! The selected process: by pid, so the selection stays on its process
//! while rows come and go, and by row, for when that process is gone.
//!
//! The selection works on any list of pids in display order, so sorting and
//! filtering the table later changes only how that list is built.

/// The selected row of the process table.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ProcessSelection {
    /// The selected process, once the user moved the selection.
    pid: Option<u32>,
    /// Its row when last moved: where the selection stays when the process
    /// disappears.
    row: usize,
}

impl ProcessSelection {
    /// The selected row among `pids` (in display order): the selected
    /// process's row, or else the remembered row clamped to the table.
    pub fn row(&self, pids: &[u32]) -> Option<usize> {
        let last = pids.len().checked_sub(1)?;
        let found = self
            .pid
            .and_then(|pid| pids.iter().position(|&row_pid| row_pid == pid));
        Some(found.unwrap_or(self.row.min(last)))
    }

    /// The selected process's pid among `pids`.
    pub fn pid(&self, pids: &[u32]) -> Option<u32> {
        self.row(pids).map(|row| pids[row])
    }

    /// Moves the selection `delta` rows (negative: up), within the table.
    pub(crate) fn move_by(&mut self, pids: &[u32], delta: i64) {
        let Some(row) = self.row(pids) else { return };
        let last = pids.len() - 1;
        let target = i64::try_from(row)
            .unwrap_or(i64::MAX)
            .saturating_add(delta)
            .clamp(0, i64::try_from(last).unwrap_or(i64::MAX));
        self.select(pids, usize::try_from(target).unwrap_or(last));
    }

    /// Selects the first row.
    pub(crate) fn first(&mut self, pids: &[u32]) {
        if !pids.is_empty() {
            self.select(pids, 0);
        }
    }

    /// Selects the last row.
    pub(crate) fn last(&mut self, pids: &[u32]) {
        if let Some(last) = pids.len().checked_sub(1) {
            self.select(pids, last);
        }
    }

    fn select(&mut self, pids: &[u32], row: usize) {
        self.row = row;
        self.pid = Some(pids[row]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_row_is_selected_until_the_user_moves() {
        let selection = ProcessSelection::default();
        assert_eq!(selection.row(&[]), None);
        assert_eq!(selection.pid(&[4, 7]), Some(4));
    }

    #[test]
    fn moving_stays_within_the_table() {
        let pids = [1, 2, 5, 9];
        let mut selection = ProcessSelection::default();
        selection.move_by(&pids, 2);
        assert_eq!(selection.pid(&pids), Some(5));
        selection.move_by(&pids, 10);
        assert_eq!(selection.pid(&pids), Some(9));
        selection.move_by(&pids, -1);
        assert_eq!(selection.pid(&pids), Some(5));
        selection.move_by(&pids, i64::MIN);
        assert_eq!(selection.pid(&pids), Some(1));
        selection.last(&pids);
        assert_eq!(selection.row(&pids), Some(3));
        selection.first(&pids);
        assert_eq!(selection.row(&pids), Some(0));
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
        assert_eq!(selection.pid(&[1, 5, 7, 9]), Some(5));
        assert_eq!(selection.row(&[1, 5, 7, 9]), Some(1));
    }

    #[test]
    fn when_the_selected_process_goes_the_row_stays() {
        let mut selection = ProcessSelection::default();
        selection.move_by(&[1, 2, 5, 9], 2);
        assert_eq!(selection.pid(&[1, 2, 9]), Some(9));
        assert_eq!(selection.pid(&[1]), Some(1));
    }
}
