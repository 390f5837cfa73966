//! The event list's pane: which event is selected (following the newest
//! until the user moves) and where the list scrolled to.

use super::{EventSelection, Nav, process_pane::saturating_i64};
use crate::state::{EventRecord, State};
use std::cell::Cell;

/// The event list's state.
#[derive(Clone, Debug, Default)]
pub struct EventPane {
    selection: EventSelection,
    /// The first row on screen, kept by rendering.
    scroll: Cell<usize>,
}

impl EventPane {
    /// The scroll offset, kept by rendering.
    pub fn scroll(&self) -> &Cell<usize> {
        &self.scroll
    }

    /// The list's rows, in display order: the events stuck now (longest
    /// first), then every other event held, newest first.
    pub fn rows<'a>(&self, state: &'a State) -> Vec<&'a EventRecord> {
        let system = state.system();
        let flow = system.event_flow();
        let stuck: Vec<u64> = system
            .stuck()
            .current()
            .iter()
            .filter_map(|event| event.event_id)
            .collect();
        let mut rows: Vec<&EventRecord> = Vec::with_capacity(flow.records().len());
        for event_id in &stuck {
            if let Some(record) = flow.get(*event_id)
                && !rows.iter().any(|row| row.event_id == *event_id)
            {
                rows.push(record);
            }
        }
        rows.extend(
            flow.records()
                .rev()
                .filter(|record| !stuck.contains(&record.event_id)),
        );
        rows
    }

    /// The selected row of [`EventPane::rows`], if there is any row.
    pub fn selected_row(&self, state: &State) -> Option<usize> {
        self.selection.row(&self.ids(state))
    }

    /// The selected event, if there is any.
    pub fn selected<'a>(&self, state: &'a State) -> Option<&'a EventRecord> {
        let event_id = self.selection.key(&self.ids(state))?;
        state.system().event_flow().get(event_id)
    }

    /// Whether the selection follows the top of the list.
    pub fn is_following(&self) -> bool {
        self.selection.is_following()
    }

    fn ids(&self, state: &State) -> Vec<u64> {
        self.rows(state)
            .iter()
            .map(|record| record.event_id)
            .collect()
    }

    /// Moves the selection; `First` follows the newest event again.
    pub(crate) fn navigate(&mut self, nav: Nav, state: &State) {
        let ids = self.ids(state);
        match nav {
            Nav::Up(rows) => self.selection.move_by(&ids, -saturating_i64(rows)),
            Nav::Down(rows) => self.selection.move_by(&ids, saturating_i64(rows)),
            Nav::First => self.selection.follow(),
            Nav::Last => self.selection.last(&ids),
        }
    }
}
