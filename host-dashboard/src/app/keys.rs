//! Keys to actions: the one key table. [`action_for_key`] looks keys up in
//! it and the help overlay (`?`) lists it, so the two cannot drift apart.

use super::{Action, View};
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

/// Rows one PgUp/PgDn moves.
pub const PAGE_LINES: u64 = 20;

/// One row of the key table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Binding {
    /// The keys, any of which does it.
    pub keys: &'static [KeyCode],
    /// Whether Ctrl must be held.
    pub control: bool,
    /// The keys as the help shows them.
    pub label: &'static str,
    /// What they do.
    pub action: Action,
    /// What that means, for the help.
    pub help: &'static str,
}

const fn bind(
    keys: &'static [KeyCode],
    label: &'static str,
    action: Action,
    help: &'static str,
) -> Binding {
    Binding {
        keys,
        control: false,
        label,
        action,
        help,
    }
}

use KeyCode::{
    BackTab, Backspace, Char, Down, End, Enter, Esc, F, Home, Left, PageDown, PageUp, Right, Tab,
    Up,
};

/// Every key of the dashboard outside input lines and menus, in the order
/// the help lists them.
pub const BINDINGS: &[Binding] = &[
    bind(
        &[Char('q'), Char('Q')],
        "q",
        Action::Quit,
        "quit (stops QEMU)",
    ),
    Binding {
        control: true,
        ..bind(&[Char('c')], "Ctrl-C", Action::Quit, "quit")
    },
    bind(&[Char('?')], "?", Action::Help, "this help"),
    bind(
        &[Up, Char('k')],
        "↑ k",
        Action::Up(1),
        "up: select / scroll",
    ),
    bind(
        &[Down, Char('j')],
        "↓ j",
        Action::Down(1),
        "down: select / scroll",
    ),
    bind(&[PageUp], "PgUp", Action::Up(PAGE_LINES), "a page up"),
    bind(&[PageDown], "PgDn", Action::Down(PAGE_LINES), "a page down"),
    bind(
        &[Home, Char('g')],
        "Home g",
        Action::First,
        "first row / oldest line",
    ),
    bind(
        &[End, Char('G')],
        "End G",
        Action::Last,
        "last row / follow the log",
    ),
    bind(
        &[Tab, BackTab],
        "Tab",
        Action::FocusNext,
        "focus the next pane",
    ),
    bind(&[Left, Char('h')], "← h", Action::PrevView, "previous view"),
    bind(
        &[Right, Char('l'), Char('v')],
        "→ l v",
        Action::NextView,
        "next view",
    ),
    bind(
        &[Char('1')],
        "1",
        Action::ShowView(View::Processes),
        "processes view",
    ),
    bind(
        &[Char('2')],
        "2",
        Action::ShowView(View::Events),
        "events view",
    ),
    bind(&[Char('3')], "3", Action::ShowView(View::Log), "log view"),
    bind(
        &[Char('4')],
        "4",
        Action::ShowView(View::Link),
        "link health view",
    ),
    bind(
        &[Char('5')],
        "5",
        Action::ShowView(View::Charts),
        "charts view",
    ),
    bind(
        &[Char('>')],
        ">",
        Action::SortNext,
        "sort on the next column",
    ),
    bind(
        &[Char('<')],
        "<",
        Action::SortPrev,
        "sort on the previous column",
    ),
    bind(
        &[Char('I'), Char('i')],
        "I",
        Action::SortInvert,
        "invert the sort",
    ),
    bind(
        &[Char('t')],
        "t",
        Action::ToggleTree,
        "tree of processes by parent",
    ),
    bind(
        &[Char('/')],
        "/",
        Action::OpenFilter,
        "filter: name pid=12 state=blocked major>0",
    ),
    bind(
        &[Enter],
        "Enter",
        Action::Open,
        "details of the selected process",
    ),
    bind(
        &[Esc, Backspace],
        "Esc",
        Action::Back,
        "back; clears the filter",
    ),
    bind(
        &[Char(' ')],
        "Space",
        Action::TogglePause,
        "pause the view (replay: pause playback)",
    ),
    bind(
        &[F(9), Char('K')],
        "F9 K",
        Action::SignalMenu,
        "send a signal to the selected process",
    ),
    bind(
        &[F(7), Char('n')],
        "F7 n",
        Action::SpawnPrompt,
        "start a program: name args",
    ),
    bind(
        &[Char('s')],
        "s",
        Action::RatePrompt,
        "change the snapshot period (ms)",
    ),
    bind(
        &[Char('+'), Char('=')],
        "+",
        Action::Faster,
        "replay: faster",
    ),
    bind(&[Char('-')], "-", Action::Slower, "replay: slower"),
    bind(&[Char('[')], "[", Action::SeekBack, "replay: back 10 s"),
    bind(
        &[Char(']')],
        "]",
        Action::SeekForward,
        "replay: forward 10 s",
    ),
    bind(
        &[Char('.')],
        ".",
        Action::StepFrame,
        "replay: one frame (while paused)",
    ),
];

/// The action a key press stands for, if any.
pub fn action_for_key(key: KeyEvent) -> Option<Action> {
    if key.kind != KeyEventKind::Press {
        return None;
    }
    let control = key.modifiers.contains(KeyModifiers::CONTROL);
    BINDINGS
        .iter()
        .find(|binding| binding.control == control && binding.keys.contains(&key.code))
        .map(|binding| binding.action)
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
        assert_eq!(plain(KeyCode::Char('h')), Some(Action::PrevView));
        assert_eq!(plain(KeyCode::F(9)), Some(Action::SignalMenu));
        assert_eq!(plain(KeyCode::Char('/')), Some(Action::OpenFilter));
        assert_eq!(plain(KeyCode::Char(' ')), Some(Action::TogglePause));
        assert_eq!(plain(KeyCode::Char('6')), None);
    }

    #[test]
    fn no_key_is_bound_twice() {
        let mut seen = Vec::new();
        for binding in BINDINGS {
            for code in binding.keys {
                let entry = (*code, binding.control);
                assert!(!seen.contains(&entry), "{code:?} is bound twice");
                seen.push(entry);
            }
        }
    }

    #[test]
    fn every_view_has_its_key() {
        for view in View::ALL {
            assert_eq!(
                plain(KeyCode::Char(view.key())),
                Some(Action::ShowView(view))
            );
        }
    }

    #[test]
    fn only_presses_count() {
        let mut release = key(KeyCode::Char('q'), KeyModifiers::NONE);
        release.kind = KeyEventKind::Release;
        assert_eq!(action_for_key(release), None);
    }
}

/// Action names for the config file's `[keys]` table, with their actions.
pub const ACTION_NAMES: &[(&str, Action)] = &[
    ("quit", Action::Quit),
    ("help", Action::Help),
    ("up", Action::Up(1)),
    ("down", Action::Down(1)),
    ("page_up", Action::Up(PAGE_LINES)),
    ("page_down", Action::Down(PAGE_LINES)),
    ("first", Action::First),
    ("last", Action::Last),
    ("focus_next", Action::FocusNext),
    ("previous_view", Action::PrevView),
    ("next_view", Action::NextView),
    ("processes_view", Action::ShowView(View::Processes)),
    ("events_view", Action::ShowView(View::Events)),
    ("log_view", Action::ShowView(View::Log)),
    ("link_view", Action::ShowView(View::Link)),
    ("charts_view", Action::ShowView(View::Charts)),
    ("sort_next", Action::SortNext),
    ("sort_previous", Action::SortPrev),
    ("sort_invert", Action::SortInvert),
    ("tree", Action::ToggleTree),
    ("filter", Action::OpenFilter),
    ("open", Action::Open),
    ("back", Action::Back),
    ("pause", Action::TogglePause),
    ("signal_menu", Action::SignalMenu),
    ("spawn", Action::SpawnPrompt),
    ("snapshot_rate", Action::RatePrompt),
    ("faster", Action::Faster),
    ("slower", Action::Slower),
    ("seek_back", Action::SeekBack),
    ("seek_forward", Action::SeekForward),
    ("step", Action::StepFrame),
];

/// The key a config file names: one character, `F1`..`F12`, or `Enter`,
/// `Esc`, `Tab`, `Space`, `Backspace`, `Up`, `Down`, `Left`, `Right`,
/// `Home`, `End`, `PageUp`, `PageDown`.
pub fn key_named(name: &str) -> Option<KeyCode> {
    let mut chars = name.chars();
    if let (Some(letter), None) = (chars.next(), chars.next()) {
        return Some(Char(letter));
    }
    if let Some(number) = name.strip_prefix('F').and_then(|n| n.parse::<u8>().ok()) {
        return (1..=12).contains(&number).then_some(F(number));
    }
    Some(match name {
        "Enter" => Enter,
        "Esc" => Esc,
        "Tab" => Tab,
        "Space" => Char(' '),
        "Backspace" => Backspace,
        "Up" => Up,
        "Down" => Down,
        "Left" => Left,
        "Right" => Right,
        "Home" => Home,
        "End" => End,
        "PageUp" => PageUp,
        "PageDown" => PageDown,
        _ => return None,
    })
}

#[cfg(test)]
mod name_tests {
    use super::*;

    #[test]
    fn every_bound_action_has_a_config_name() {
        for binding in BINDINGS {
            assert!(
                ACTION_NAMES
                    .iter()
                    .any(|(_, action)| *action == binding.action),
                "{:?} has no name",
                binding.action
            );
        }
    }

    #[test]
    fn keys_are_named_as_in_the_help() {
        assert_eq!(key_named("k"), Some(Char('k')));
        assert_eq!(key_named("F9"), Some(F(9)));
        assert_eq!(key_named("F13"), None);
        assert_eq!(key_named("Space"), Some(Char(' ')));
        assert_eq!(key_named("PageDown"), Some(PageDown));
        assert_eq!(key_named("Hyper"), None);
    }
}
