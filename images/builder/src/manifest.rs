//! The image manifest, `images/<name>/image.toml`.

use serde::Deserialize;
use std::path::Path;

/// File name of a manifest inside an image directory.
pub const MANIFEST_FILE: &str = "image.toml";

/// What an image is: parsed from its `image.toml`.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// One line for `--help` and listings.
    pub description: String,
    /// Guest memory in MiB.
    #[serde(default = "default_memory_mib")]
    pub memory_mib: u32,
    /// Extra kernel command-line options (`key=value` words).
    #[serde(default)]
    pub kernel_args: String,
    /// Size of the swap area on the disk, in MiB.
    #[serde(default = "default_swap_mib")]
    pub swap_mib: u32,
    /// The programs in the image (binaries of `images/programs`).
    #[serde(default, rename = "program")]
    pub programs: Vec<ProgramSpec>,
}

/// One program of an image.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ProgramSpec {
    /// Binary name in `images/programs/src/bin`.
    pub name: String,
    /// Started at boot (in manifest order); the first non-privileged one is
    /// init, whose exit powers the machine off.
    #[serde(default)]
    pub boot: bool,
    /// Arguments when started at boot.
    #[serde(default)]
    pub args: Vec<String>,
    /// Runs as a system service (may subscribe to process events).
    #[serde(default)]
    pub privileged: bool,
    /// The name the process runs under (and is found by, for services),
    /// when not the program's: e.g. `sub-a` for one of several `testsub`.
    #[serde(default)]
    pub label: Option<String>,
}

fn default_memory_mib() -> u32 {
    128
}

fn default_swap_mib() -> u32 {
    16
}

/// Why a manifest could not be read.
#[derive(Debug)]
pub enum ManifestError {
    /// No such image directory or manifest file.
    NotFound {
        /// The image asked for.
        name: String,
        /// Images that do exist.
        available: Vec<String>,
    },
    /// The file exists but could not be read.
    Io(std::io::Error),
    /// The file is not a valid manifest.
    Invalid(String),
}

impl std::fmt::Display for ManifestError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ManifestError::NotFound { name, available } => {
                write!(
                    f,
                    "no image named '{name}' (available: {})",
                    available.join(", ")
                )
            }
            ManifestError::Io(error) => write!(f, "cannot read the image manifest: {error}"),
            ManifestError::Invalid(message) => write!(f, "invalid image manifest: {message}"),
        }
    }
}

impl std::error::Error for ManifestError {}

impl Manifest {
    /// Parses manifest text.
    pub fn parse(text: &str) -> Result<Self, ManifestError> {
        toml::from_str(text).map_err(|error| ManifestError::Invalid(error.to_string()))
    }

    /// Loads the manifest of image `name` from `images_dir`.
    pub fn load(images_dir: &Path, name: &str) -> Result<Self, ManifestError> {
        let valid_name = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        let path = images_dir.join(name).join(MANIFEST_FILE);
        if !valid_name || !path.is_file() {
            return Err(ManifestError::NotFound {
                name: name.to_string(),
                available: crate::list_images(),
            });
        }
        let text = std::fs::read_to_string(&path).map_err(ManifestError::Io)?;
        Self::parse(&text).map_err(|error| match error {
            ManifestError::Invalid(message) => {
                ManifestError::Invalid(format!("{}: {message}", path.display()))
            }
            other => other,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_fill_in_missing_fields() {
        let manifest = Manifest::parse("description = \"x\"").unwrap();
        assert_eq!(manifest.memory_mib, 128);
        assert_eq!(manifest.kernel_args, "");
    }

    #[test]
    fn programs_parse_with_defaults() {
        let manifest = Manifest::parse(
            "description = \"x\"\n[[program]]\nname = \"init\"\nboot = true\n[[program]]\nname = \"worker\"\n",
        )
        .unwrap();
        assert_eq!(manifest.programs.len(), 2);
        assert!(manifest.programs[0].boot && !manifest.programs[1].boot);
        assert!(manifest.programs[1].args.is_empty() && !manifest.programs[1].privileged);
    }

    #[test]
    fn unknown_fields_are_an_error() {
        assert!(Manifest::parse("description = \"x\"\nmemroy_mib = 3").is_err());
    }

    #[test]
    fn every_image_in_the_repository_parses() {
        let images = crate::list_images();
        assert!(images.contains(&crate::DEFAULT_IMAGE.to_string()));
        for name in images {
            Manifest::load(&crate::images_dir(), &name).unwrap();
        }
    }

    #[test]
    fn a_missing_image_names_the_ones_that_exist() {
        let error = Manifest::load(&crate::images_dir(), "no-such-image").unwrap_err();
        let text = error.to_string();
        assert!(
            text.contains("no-such-image") && text.contains("demo"),
            "{text}"
        );
    }

    #[test]
    fn path_tricks_are_not_image_names() {
        assert!(Manifest::load(&crate::images_dir(), "../images/demo").is_err());
    }
}
