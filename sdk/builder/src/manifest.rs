//! The image manifest, `image.toml`: in `images/<name>/` for the images of
//! this repository, or in any directory for an image of your own (see
//! [`locate`] and `docs/programs.md`).

use serde::Deserialize;
use std::path::{Path, PathBuf};

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
    /// The programs in the image: binaries of `sdk/programs` (the
    /// default), of another Cargo package ([`ProgramSpec::path`],
    /// [`ProgramSpec::package`]), or built from C sources
    /// ([`ProgramSpec::c`]).
    #[serde(default, rename = "program")]
    pub programs: Vec<ProgramSpec>,
}

/// One program of an image.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ProgramSpec {
    /// The program's name in the image (what `spawn` and the boot list
    /// use); also the binary name in `sdk/programs/src/bin` unless
    /// [`ProgramSpec::bin`], [`ProgramSpec::path`], [`ProgramSpec::package`]
    /// or [`ProgramSpec::c`] say where it comes from.
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
    /// A Cargo package directory (relative to the image directory, or
    /// absolute) whose binary this program is: a crate of your own that
    /// depends on `userlib` by path or git. Built for the guest target with
    /// the user-program linker script.
    #[serde(default)]
    pub path: Option<String>,
    /// The Cargo package to build: in [`ProgramSpec::path`]'s workspace, or
    /// without `path`, a package of this repository's workspace.
    #[serde(default)]
    pub package: Option<String>,
    /// The binary's name when it differs from [`ProgramSpec::name`].
    #[serde(default)]
    pub bin: Option<String>,
    /// C sources (relative to the image directory): the program is compiled
    /// with the system's `cc` against the libc in `sdk/libc` instead.
    #[serde(default)]
    pub c: Vec<String>,
    /// Extra C compiler flags for [`ProgramSpec::c`] (e.g. `-DN=4`, `-O0`).
    #[serde(default)]
    pub cflags: Vec<String>,
}

/// Where a program of an image comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProgramSource {
    /// A binary of `sdk/programs`.
    InTree,
    /// A binary of another Cargo package.
    Cargo,
    /// C sources.
    C,
}

impl ProgramSpec {
    /// Where this program comes from.
    pub fn source(&self) -> ProgramSource {
        if !self.c.is_empty() {
            ProgramSource::C
        } else if self.path.is_some() || self.package.is_some() {
            ProgramSource::Cargo
        } else {
            ProgramSource::InTree
        }
    }

    /// The binary's name: [`ProgramSpec::bin`], else [`ProgramSpec::name`].
    pub fn bin_name(&self) -> &str {
        self.bin.as_deref().unwrap_or(&self.name)
    }
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
    /// A path was given, but it holds no `image.toml`.
    NoManifestAt(PathBuf),
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
            ManifestError::NoManifestAt(dir) => write!(
                f,
                "{} has no {MANIFEST_FILE} (an image directory holds one; `watchtower new DIR` makes one)",
                dir.display()
            ),
            ManifestError::Io(error) => write!(f, "cannot read the image manifest: {error}"),
            ManifestError::Invalid(message) => write!(f, "invalid image manifest: {message}"),
        }
    }
}

impl std::error::Error for ManifestError {}

/// An image found by [`locate`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageLocation {
    /// The name it boots as (the kernel's `image=`): the directory's name
    /// for an image given by path.
    pub name: String,
    /// The directory holding its `image.toml` (absolute for a path).
    pub dir: PathBuf,
    /// Whether it was given by path (not one of `images/<name>`).
    pub external: bool,
}

/// Finds an image: a name under `images/`, or a path to a directory with
/// an `image.toml` (or to the `image.toml` itself). A name of this
/// repository wins over a directory of the same name in the current one;
/// write `./name` for that.
pub fn locate(spec: &str) -> Result<ImageLocation, ManifestError> {
    let images_dir = crate::images_dir();
    if is_image_name(spec) && images_dir.join(spec).join(MANIFEST_FILE).is_file() {
        return Ok(ImageLocation {
            name: spec.to_string(),
            dir: images_dir.join(spec),
            external: false,
        });
    }
    let path = Path::new(spec);
    let looks_like_path = spec.contains('/') || spec.starts_with('.') || path.is_dir();
    if spec.is_empty() || !looks_like_path {
        return Err(ManifestError::NotFound {
            name: spec.to_string(),
            available: crate::list_images(),
        });
    }
    let dir = if path.file_name().is_some_and(|name| name == MANIFEST_FILE) && path.is_file() {
        path.parent().unwrap_or(Path::new(".")).to_path_buf()
    } else {
        path.to_path_buf()
    };
    if !dir.join(MANIFEST_FILE).is_file() {
        return Err(ManifestError::NoManifestAt(dir));
    }
    let dir = dir.canonicalize().map_err(ManifestError::Io)?;
    Ok(ImageLocation {
        name: image_name_of(&dir),
        dir,
        external: true,
    })
}

/// Whether `name` may name an image under `images/` (letters, digits, `-`
/// and `_`).
fn is_image_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// The name an image directory boots as: its last component, with anything
/// but letters, digits, `-` and `_` made `-`, at most 32 characters.
pub fn image_name_of(dir: &Path) -> String {
    let raw = dir
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    let name: String = raw
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .take(32)
        .collect();
    if name.is_empty() {
        "image".into()
    } else {
        name
    }
}

impl Manifest {
    /// Parses manifest text.
    pub fn parse(text: &str) -> Result<Self, ManifestError> {
        toml::from_str(text).map_err(|error| ManifestError::Invalid(error.to_string()))
    }

    /// Loads the manifest in directory `dir` (`dir/image.toml`).
    pub fn load_dir(dir: &Path) -> Result<Self, ManifestError> {
        let path = dir.join(MANIFEST_FILE);
        let text = std::fs::read_to_string(&path).map_err(ManifestError::Io)?;
        Self::parse(&text).map_err(|error| match error {
            ManifestError::Invalid(message) => {
                ManifestError::Invalid(format!("{}: {message}", path.display()))
            }
            other => other,
        })
    }

    /// Loads the manifest of image `name` from `images_dir`.
    pub fn load(images_dir: &Path, name: &str) -> Result<Self, ManifestError> {
        let valid_name = is_image_name(name);
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
    fn images_are_found_by_name_or_by_path() {
        let by_name = locate("demo").unwrap();
        assert!(!by_name.external && by_name.name == "demo");
        let dir = crate::images_dir().join("smoke");
        let by_path = locate(dir.to_str().unwrap()).unwrap();
        assert!(by_path.external);
        assert_eq!(
            (by_path.name.as_str(), by_path.dir.clone()),
            ("smoke", dir.canonicalize().unwrap())
        );
        let file = dir.join(MANIFEST_FILE);
        assert_eq!(
            locate(file.to_str().unwrap()).unwrap().dir,
            dir.canonicalize().unwrap()
        );
        let error = locate(crate::sdk_dir().join("programs").to_str().unwrap()).unwrap_err();
        assert!(error.to_string().contains("has no image.toml"), "{error}");
        assert!(matches!(
            locate("no-such-image"),
            Err(ManifestError::NotFound { .. })
        ));
        assert_eq!(image_name_of(Path::new("/tmp/my lab.1")), "my-lab-1");
    }

    #[test]
    fn programs_name_their_source() {
        let manifest = Manifest::parse(
            "description = \"x\"\n[[program]]\nname = \"a\"\n[[program]]\nname = \"b\"\npath = \"b\"\nbin = \"bb\"\n[[program]]\nname = \"c\"\nc = [\"main.c\"]\n",
        )
        .unwrap();
        let sources: Vec<_> = manifest.programs.iter().map(ProgramSpec::source).collect();
        assert_eq!(
            sources,
            [
                ProgramSource::InTree,
                ProgramSource::Cargo,
                ProgramSource::C
            ]
        );
        assert_eq!(
            (
                manifest.programs[0].bin_name(),
                manifest.programs[1].bin_name()
            ),
            ("a", "bb")
        );
    }

    #[test]
    fn path_tricks_are_not_image_names() {
        assert!(Manifest::load(&crate::images_dir(), "../images/demo").is_err());
    }
}
