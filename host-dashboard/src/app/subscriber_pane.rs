//! The charts view's subscriber pane: the subscriber (its endpoint) whose
//! latency distribution is drawn.

use super::{Nav, process_pane::saturating_i64};
use crate::state::State;

/// The subscriber pane's state.
#[derive(Clone, Copy, Debug, Default)]
pub struct SubscriberPane {
    /// The endpoint picked; none until the user picks one.
    picked: Option<u32>,
}

impl SubscriberPane {
    /// The subscriber whose latency distribution is drawn: the one picked,
    /// or the first while none is (or it left the table).
    pub fn selected(&self, state: &State) -> Option<u32> {
        let entries = state.system().subscribers().entries();
        self.picked
            .filter(|endpoint| entries.iter().any(|entry| entry.endpoint == *endpoint))
            .or_else(|| entries.first().map(|entry| entry.endpoint))
    }

    /// Picks another subscriber.
    pub(crate) fn navigate(&mut self, nav: Nav, state: &State) {
        let delta = match nav {
            Nav::Up(rows) => -saturating_i64(rows),
            Nav::Down(rows) => saturating_i64(rows),
            Nav::First => i64::MIN,
            Nav::Last => i64::MAX,
        };
        self.move_by(delta, state);
    }

    /// Picks the subscriber `delta` rows from the selected one (clamped).
    fn move_by(&mut self, delta: i64, state: &State) {
        let endpoints: Vec<u32> = state
            .system()
            .subscribers()
            .entries()
            .iter()
            .map(|entry| entry.endpoint)
            .collect();
        let Some(last) = endpoints.len().checked_sub(1) else {
            return;
        };
        let current = self
            .selected(state)
            .and_then(|endpoint| endpoints.iter().position(|&e| e == endpoint))
            .unwrap_or(0);
        let next = i64::try_from(current)
            .unwrap_or(0)
            .saturating_add(delta)
            .clamp(0, i64::try_from(last).unwrap_or(0));
        self.picked = endpoints.get(next as usize).copied();
    }
}
