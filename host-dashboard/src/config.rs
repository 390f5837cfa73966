//! The config file: thresholds, display (colour, ASCII, theme colours),
//! keys and the default source, in TOML.
//!
//! Looked for at `--config FILE`, else `$XDG_CONFIG_HOME/watchtower/config.toml`,
//! else `~/.config/watchtower/config.toml`; a missing default file is no
//! error, a bad file is, naming its line. Every key is optional:
//!
//! ```toml
//! [thresholds]
//! slow_ack_ms = 100
//! fault_storm_per_second = 1000
//! heartbeat_stale_ms = 2000
//!
//! [display]
//! color = true
//! ascii = false
//!
//! [theme]           # built-in colour = colour to draw instead
//! cyan = "light_blue"     # names as ratatui reads them, or "#rrggbb"
//! blue = "#202040"
//!
//! [keys]            # key = action, over the built-in keys (see `?`)
//! k = "signal_menu"
//!
//! [source]          # what to watch when the command line does not say
//! image = "demo"          # boot this image, or
//! attach = "unix:/tmp/guest.sock"   # attach to a running guest
//! accel = "tcg"           # or "kvm"
//! machine = "q35"         # or "microvm", "iso-bios", "iso-uefi"
//! ```

use crate::state::Thresholds;
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The settings of a config file.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Warning thresholds.
    #[serde(default)]
    pub thresholds: ThresholdsConfig,
    /// How the screen is drawn.
    #[serde(default)]
    pub display: DisplayConfig,
    /// Extra key bindings: key name to action name (`k = "signal_menu"`),
    /// taking precedence over the built-in keys.
    #[serde(default)]
    pub keys: std::collections::BTreeMap<String, String>,
    /// Colour changes: a colour the built-in theme uses, to the colour to
    /// draw instead (`cyan = "light_blue"`).
    #[serde(default)]
    pub theme: std::collections::BTreeMap<String, String>,
    /// The default source, under the command line's flags.
    #[serde(default)]
    pub source: SourceConfig,
}

/// The `[source]` table: what to watch when the command line names
/// neither an image nor an address.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceConfig {
    /// The image to boot.
    pub image: Option<String>,
    /// The address to attach to (as `--attach` takes it).
    pub attach: Option<String>,
    /// The QEMU accelerator, `tcg` or `kvm`.
    pub accel: Option<crate::source::Accelerator>,
    /// The machine QEMU emulates (as `--machine` takes it).
    #[serde(default, deserialize_with = "machine")]
    pub machine: Option<image_builder::Machine>,
}

/// Reads `[source] machine` by its name, naming the machines on error.
fn machine<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<image_builder::Machine>, D::Error> {
    let name = String::deserialize(deserializer)?;
    name.parse().map(Some).map_err(serde::de::Error::custom)
}

/// Colour changes from the `[theme]` table: each built-in colour to the
/// one drawn in its place.
pub type Palette = Vec<(ratatui::style::Color, ratatui::style::Color)>;

/// One key binding from the config file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CustomKey {
    /// The key.
    pub code: ratatui::crossterm::event::KeyCode,
    /// What it does.
    pub action: crate::app::Action,
    /// The action's name, for the help.
    pub action_name: &'static str,
}

/// The `[thresholds]` table.
#[derive(Clone, Copy, Debug, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ThresholdsConfig {
    /// An ack slower than this many milliseconds is slow.
    pub slow_ack_ms: Option<u64>,
    /// A process faulting faster than this per second is in a fault storm.
    pub fault_storm_per_second: Option<f64>,
    /// No heartbeat for longer than this many milliseconds is a stale link.
    pub heartbeat_stale_ms: Option<u64>,
}

/// The `[display]` table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DisplayConfig {
    /// Draw with colours.
    pub color: bool,
    /// Draw with ASCII only (borders, markers, sparklines).
    pub ascii: bool,
}

impl Default for DisplayConfig {
    fn default() -> Self {
        Self {
            color: true,
            ascii: false,
        }
    }
}

/// Why a config file could not be used.
#[derive(Debug)]
pub enum ConfigError {
    /// It could not be read.
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        error: std::io::Error,
    },
    /// It is not a valid config (the message names the line).
    Parse {
        /// The file.
        path: PathBuf,
        /// What is wrong and where.
        message: String,
    },
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConfigError::Read { path, error } => {
                write!(f, "config file {}: {error}", path.display())
            }
            ConfigError::Parse { path, message } => {
                write!(f, "config file {}: {}", path.display(), message.trim_end())
            }
        }
    }
}

impl std::error::Error for ConfigError {}

impl Config {
    /// Reads a config from TOML `text` (from `path`, for messages).
    pub fn parse(text: &str, path: &Path) -> Result<Self, ConfigError> {
        let config: Config = toml::from_str(text).map_err(|error| ConfigError::Parse {
            path: path.to_path_buf(),
            message: error.to_string(),
        })?;
        if let Some(rate) = config.thresholds.fault_storm_per_second
            && !(rate.is_finite() && rate > 0.0)
        {
            return Err(ConfigError::Parse {
                path: path.to_path_buf(),
                message: format!("thresholds.fault_storm_per_second must be above 0, not {rate}"),
            });
        }
        let invalid = |message| ConfigError::Parse {
            path: path.to_path_buf(),
            message,
        };
        config.custom_keys().map_err(invalid)?;
        config.palette().map_err(invalid)?;
        if config.source.image.is_some() && config.source.attach.is_some() {
            return Err(invalid(
                "source: set image (boot it) or attach (watch a running guest), not both".into(),
            ));
        }
        Ok(config)
    }

    /// Reads the config at `path`.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|error| ConfigError::Read {
            path: path.to_path_buf(),
            error,
        })?;
        Self::parse(&text, path)
    }

    /// The config to use: `explicit` if given (it must exist), else the
    /// default file if there is one, else the defaults.
    pub fn find(explicit: Option<&Path>) -> Result<Self, ConfigError> {
        if let Some(path) = explicit {
            return Self::load(path);
        }
        match default_path(
            std::env::var_os("XDG_CONFIG_HOME").map(PathBuf::from),
            std::env::var_os("HOME").map(PathBuf::from),
        ) {
            Some(path) if path.is_file() => Self::load(&path),
            _ => Ok(Self::default()),
        }
    }

    /// The `[keys]` table as bindings, or why an entry is not one.
    pub fn custom_keys(&self) -> Result<Vec<CustomKey>, String> {
        self.keys
            .iter()
            .map(|(key, action)| {
                let code = crate::app::key_named(key).ok_or_else(|| {
                    format!("keys: `{key}` is not a key (one character, F1..F12, Enter, Esc, Tab, Space, Up, ...)")
                })?;
                let (action_name, action) = crate::app::ACTION_NAMES
                    .iter()
                    .find(|(name, _)| name == action)
                    .copied()
                    .ok_or_else(|| {
                        let names: Vec<&str> =
                            crate::app::ACTION_NAMES.iter().map(|(name, _)| *name).collect();
                        format!("keys: `{key} = \"{action}\"`: no such action (one of {})", names.join(", "))
                    })?;
                Ok(CustomKey {
                    code,
                    action,
                    action_name,
                })
            })
            .collect()
    }

    /// The `[theme]` table as colour changes, or why an entry is not one.
    pub fn palette(&self) -> Result<Palette, String> {
        use ratatui::style::Color;
        self.theme
            .iter()
            .map(|(from, to)| {
                let colour = |name: &str| {
                    name.parse::<Color>()
                        .map_err(|_| format!("theme: `{name}` is not a colour (a name such as \"light_blue\", or \"#rrggbb\")"))
                };
                Ok((colour(from)?, colour(to)?))
            })
            .collect()
    }

    /// The thresholds with this file's settings over the defaults.
    pub fn thresholds(&self) -> Thresholds {
        let defaults = Thresholds::default();
        let table = self.thresholds;
        Thresholds {
            slow_ack: table
                .slow_ack_ms
                .map_or(defaults.slow_ack, Duration::from_millis),
            fault_storm_per_second: table
                .fault_storm_per_second
                .unwrap_or(defaults.fault_storm_per_second),
            heartbeat_stale: table
                .heartbeat_stale_ms
                .map_or(defaults.heartbeat_stale, Duration::from_millis),
            ..defaults
        }
    }
}

/// Where the default config file is: under `$XDG_CONFIG_HOME` if set,
/// else under `~/.config`.
pub fn default_path(xdg_config_home: Option<PathBuf>, home: Option<PathBuf>) -> Option<PathBuf> {
    let base = xdg_config_home
        .filter(|path| path.is_absolute())
        .or_else(|| home.map(|home| home.join(".config")))?;
    Some(base.join("watchtower").join("config.toml"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::parse(text, Path::new("config.toml"))
    }

    #[test]
    fn an_empty_file_is_the_defaults() {
        let config = parse("").unwrap();
        assert_eq!(config, Config::default());
        assert_eq!(config.thresholds(), Thresholds::default());
        assert!(config.display.color && !config.display.ascii);
    }

    #[test]
    fn every_setting_is_read() {
        let config = parse(
            "[thresholds]\nslow_ack_ms = 50\nfault_storm_per_second = 250.5\n\
             heartbeat_stale_ms = 5000\n[display]\ncolor = false\nascii = true\n",
        )
        .unwrap();
        let thresholds = config.thresholds();
        assert_eq!(thresholds.slow_ack, Duration::from_millis(50));
        assert_eq!(thresholds.fault_storm_per_second, 250.5);
        assert_eq!(thresholds.heartbeat_stale, Duration::from_secs(5));
        assert_eq!(
            config.display,
            DisplayConfig {
                color: false,
                ascii: true
            }
        );
    }

    #[test]
    fn a_bad_file_is_an_error_naming_the_file_and_line() {
        let error =
            parse("[thresholds]\nslow_ack_ms = 50\nheartbeat_stale_ms = \"slow\"\n").unwrap_err();
        let text = error.to_string();
        assert!(text.starts_with("config file config.toml:"), "{text}");
        assert!(text.contains("line 3"), "{text}");
        let error = parse("[display]\ncolour = false\n")
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("line 2") && error.contains("colour"),
            "{error}"
        );
        let error = parse("[thresholds]\nfault_storm_per_second = -1\n").unwrap_err();
        assert!(error.to_string().contains("above 0"), "{error}");
    }

    #[test]
    fn keys_bind_actions_by_name_and_bad_ones_are_named() {
        let config = parse("[keys]\nk = \"signal_menu\"\nF2 = \"help\"\n").unwrap();
        let keys = config.custom_keys().unwrap();
        assert_eq!(keys.len(), 2);
        assert!(keys.iter().any(
            |key| key.code == ratatui::crossterm::event::KeyCode::Char('k')
                && key.action == crate::app::Action::SignalMenu
        ));
        let error = parse("[keys]\nk = \"kill\"\n").unwrap_err().to_string();
        assert!(
            error.contains("k = \"kill\"") && error.contains("signal_menu"),
            "{error}"
        );
        let error = parse("[keys]\nHyper = \"help\"\n").unwrap_err().to_string();
        assert!(error.contains("`Hyper` is not a key"), "{error}");
    }

    #[test]
    fn theme_colours_and_the_default_source_are_read_and_checked() {
        use ratatui::style::Color;
        let config = parse(
            "[theme]\ncyan = \"light_blue\"\nblue = \"#202040\"\n\
             [source]\nattach = \"unix:/tmp/g.sock\"\naccel = \"kvm\"\n",
        )
        .unwrap();
        let palette = config.palette().unwrap();
        assert!(palette.contains(&(Color::Cyan, Color::LightBlue)));
        assert!(palette.contains(&(Color::Blue, Color::Rgb(0x20, 0x20, 0x40))));
        assert_eq!(config.source.attach.as_deref(), Some("unix:/tmp/g.sock"));
        let error = parse("[theme]\ncyan = \"sky\"\n").unwrap_err().to_string();
        assert!(error.contains("`sky` is not a colour"), "{error}");
        let error = parse("[source]\nimage = \"demo\"\nattach = \"tcp:h:1\"\n")
            .unwrap_err()
            .to_string();
        assert!(error.contains("not both"), "{error}");
        let config = parse("[source]\nmachine = \"microvm\"\n").unwrap();
        assert_eq!(config.source.machine, Some(image_builder::Machine::Microvm));
        let error = parse("[source]\nmachine = \"pc\"\n")
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("pc") && error.contains("q35") && error.contains("line 2"),
            "{error}"
        );
        let error = parse("[source]\naccel = \"hvf\"\n")
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("`hvf`") && error.contains("`tcg` or `kvm`") && error.contains("line 2"),
            "{error}"
        );
    }

    #[test]
    fn a_missing_explicit_file_is_an_error() {
        let error = Config::find(Some(Path::new("/no/such/watchtower.toml"))).unwrap_err();
        assert!(error.to_string().contains("/no/such/watchtower.toml"));
    }

    #[test]
    fn the_default_path_prefers_xdg_config_home() {
        assert_eq!(
            default_path(Some("/x".into()), Some("/home/me".into())),
            Some(PathBuf::from("/x/watchtower/config.toml"))
        );
        assert_eq!(
            default_path(None, Some("/home/me".into())),
            Some(PathBuf::from("/home/me/.config/watchtower/config.toml"))
        );
        // A relative XDG_CONFIG_HOME is ignored, as the spec says.
        assert_eq!(
            default_path(Some("rel".into()), Some("/h".into())),
            Some(PathBuf::from("/h/.config/watchtower/config.toml"))
        );
        assert_eq!(default_path(None, None), None);
    }
}
