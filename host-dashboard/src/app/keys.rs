//! Keys to actions: the only place that knows which key does what.

use super::{Action, View};
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

/// Rows one PgUp/PgDn moves.
pub const PAGE_LINES: u64 = 20;

/// The action a key press stands for, if any.
pub fn action_for_key(key: KeyEvent) -> Option<Action> {
    if key.kind != KeyEventKind::Press {
        return None;
    }
    let control = key.modifiers.contains(KeyModifiers::CONTROL);
    match key.code {
        KeyCode::Char('q' | 'Q') => Some(Action::Quit),
        KeyCode::Char('c') if control => Some(Action::Quit),
        KeyCode::Up | KeyCode::Char('k') => Some(Action::Up(1)),
        KeyCode::Down | KeyCode::Char('j') => Some(Action::Down(1)),
        KeyCode::PageUp => Some(Action::Up(PAGE_LINES)),
        KeyCode::PageDown => Some(Action::Down(PAGE_LINES)),
        KeyCode::Home | KeyCode::Char('g') => Some(Action::First),
        KeyCode::End | KeyCode::Char('G') => Some(Action::Last),
        KeyCode::Tab | KeyCode::BackTab => Some(Action::FocusNext),
        KeyCode::Char('v') => Some(Action::NextView),
        KeyCode::Char(key) => View::ALL
            .into_iter()
            .find(|view| view.key() == key)
            .map(Action::ShowView),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode, modifiers: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, modifiers)
    }

    fn plain(code: KeyCode) -> Option<Action> {
        action_for_key(key(code, KeyModifiers::NONE))
    }

    #[test]
    fn keys_map_to_actions() {
        assert_eq!(plain(KeyCode::Char('q')), Some(Action::Quit));
        assert_eq!(
            action_for_key(key(KeyCode::Char('c'), KeyModifiers::CONTROL)),
            Some(Action::Quit)
        );
        assert_eq!(plain(KeyCode::Char('c')), None);
        assert_eq!(plain(KeyCode::Up), Some(Action::Up(1)));
        assert_eq!(plain(KeyCode::Char('j')), Some(Action::Down(1)));
        assert_eq!(plain(KeyCode::PageUp), Some(Action::Up(PAGE_LINES)));
        assert_eq!(plain(KeyCode::Home), Some(Action::First));
        assert_eq!(plain(KeyCode::End), Some(Action::Last));
        assert_eq!(plain(KeyCode::Tab), Some(Action::FocusNext));
        assert_eq!(
            plain(KeyCode::Char('1')),
            Some(Action::ShowView(View::Processes))
        );
        assert_eq!(
            plain(KeyCode::Char('2')),
            Some(Action::ShowView(View::Events))
        );
        assert_eq!(plain(KeyCode::Char('v')), Some(Action::NextView));
        assert_eq!(plain(KeyCode::Char('3')), None);
    }

    #[test]
    fn only_presses_count() {
        let mut release = key(KeyCode::Char('q'), KeyModifiers::NONE);
        release.kind = KeyEventKind::Release;
        assert_eq!(action_for_key(release), None);
    }
}
