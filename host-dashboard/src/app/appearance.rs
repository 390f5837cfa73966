//! How the dashboard draws, from the command line and the config file:
//! colours and ASCII, the palette, and the keys the user bound.

use super::Action;
use crate::config::{CustomKey, DisplayConfig, Palette};
use ratatui::crossterm::event::{KeyEvent, KeyModifiers};

/// The appearance options (plain data, set once at start).
#[derive(Clone, Debug, Default)]
pub struct Appearance {
    /// Colour and ASCII options.
    pub display: DisplayConfig,
    /// Colours drawn in other colours (the config file's `[theme]`).
    pub palette: Palette,
    /// Key bindings from the config file, taking precedence over the
    /// built-in keys.
    pub custom_keys: Vec<CustomKey>,
}

impl Appearance {
    /// The action the user bound to `key`, if any (Ctrl combinations are
    /// never custom).
    pub fn custom_action(&self, key: KeyEvent) -> Option<Action> {
        if key.modifiers.contains(KeyModifiers::CONTROL) {
            return None;
        }
        self.custom_keys
            .iter()
            .find(|custom| custom.code == key.code)
            .map(|custom| custom.action)
    }
}
