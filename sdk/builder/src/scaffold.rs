//! `watchtower new DIR [--c]`: a new image of your own, outside this
//! repository: a manifest, one program (Rust, or C) that allocates memory,
//! forks, signals and logs, and a README saying how to boot it and what to
//! look for on the dashboard.

use std::path::{Path, PathBuf};

/// The language of the new image's program.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Language {
    /// A Cargo package depending on `userlib` by path.
    Rust,
    /// C sources built against `sdk/libc`.
    C,
}

/// Why a new image could not be made.
#[derive(Debug)]
pub enum ScaffoldError {
    /// The directory exists and is not empty.
    NotEmpty(PathBuf),
    /// Writing failed.
    Io(std::io::Error),
}

impl std::fmt::Display for ScaffoldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ScaffoldError::NotEmpty(dir) => write!(
                f,
                "{} exists and is not empty; name a new directory",
                dir.display()
            ),
            ScaffoldError::Io(error) => write!(f, "could not write the new image: {error}"),
        }
    }
}

impl std::error::Error for ScaffoldError {}

/// What [`new_image`] made.
#[derive(Clone, Debug)]
pub struct NewImage {
    /// The image directory (absolute).
    pub dir: PathBuf,
    /// The program's name.
    pub program: String,
    /// The files written, relative to `dir`.
    pub files: Vec<PathBuf>,
}

const RUST_MAIN: &str = include_str!("templates/rust_main.rs");
const C_MAIN: &str = include_str!("templates/c_main.c");

/// The program's name for image directory `dir`: its name, made a valid
/// program and crate name (lower case letters, digits, `_`), at most 24
/// characters, starting with a letter.
pub fn program_name(dir: &Path) -> String {
    let raw = crate::manifest::image_name_of(dir).to_ascii_lowercase();
    let mut name: String = raw
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .take(24)
        .collect();
    if !name.starts_with(|c: char| c.is_ascii_alphabetic()) {
        name.insert_str(0, "prog_");
        name.truncate(24);
    }
    name
}

/// Makes a new image in `dir` (created; it must not exist or be empty)
/// with one program in `language`.
pub fn new_image(dir: &Path, language: Language) -> Result<NewImage, ScaffoldError> {
    if dir.exists()
        && std::fs::read_dir(dir)
            .map_err(ScaffoldError::Io)?
            .next()
            .is_some()
    {
        return Err(ScaffoldError::NotEmpty(dir.to_path_buf()));
    }
    std::fs::create_dir_all(dir).map_err(ScaffoldError::Io)?;
    let dir = dir.canonicalize().map_err(ScaffoldError::Io)?;
    let program = program_name(&dir);
    let root = crate::workspace_root();
    let mut files: Vec<(PathBuf, String)> = Vec::new();
    let source_line = match language {
        Language::Rust => format!("path = \"{program}\""),
        Language::C => format!("c = [\"{program}.c\"]"),
    };
    files.push((
        "image.toml".into(),
        format!(
            "# An image of your own (made by `watchtower new`). Boot it from the\n\
             # watchtower repository ({root}) with\n\
             #   cargo run --release -- --image {dir}\n\
             # The fields are described in docs/programs.md there.\n\
             description = \"{program}: allocates, forks, signals and logs\"\n\
             memory_mib = 64\n\
             # Kernel options, e.g. \"heartbeat_ms=100\" (docs/programs.md).\n\
             kernel_args = \"\"\n\
             \n\
             # The first program started at boot is init: when it exits, the\n\
             # machine powers off.\n\
             [[program]]\n\
             name = \"{program}\"\n\
             boot = true\n\
             {source_line}\n",
            root = root.display(),
            dir = dir.display(),
        ),
    ));
    match language {
        Language::Rust => {
            files.push((
                PathBuf::from(&program).join("Cargo.toml"),
                format!(
                    "[package]\n\
                     name = \"{program}\"\n\
                     version = \"0.1.0\"\n\
                     edition = \"2024\"\n\
                     publish = false\n\
                     \n\
                     [dependencies]\n\
                     # The runtime of user programs, from the watchtower repository (a\n\
                     # git dependency works too: userlib = {{ git = \"...\" }}).\n\
                     userlib = {{ path = \"{userlib}\" }}\n\
                     \n\
                     # Its own workspace, whatever directory it is in.\n\
                     [workspace]\n",
                    userlib = root.join("sdk").join("userlib").display(),
                ),
            ));
            files.push((
                PathBuf::from(&program).join("src").join("main.rs"),
                RUST_MAIN.replace("{{NAME}}", &program),
            ));
            // The repository's lock file pins the runtime's dependencies,
            // so the first build needs no registry look-up.
            if let Ok(lock) = std::fs::read_to_string(root.join("Cargo.lock")) {
                files.push((PathBuf::from(&program).join("Cargo.lock"), lock));
            }
        }
        Language::C => {
            files.push((
                format!("{program}.c").into(),
                C_MAIN.replace("{{NAME}}", &program),
            ));
        }
    }
    files.push(("README.md".into(), readme(&dir, &program, language)));
    for (path, contents) in &files {
        let full = dir.join(path);
        if let Some(parent) = full.parent() {
            std::fs::create_dir_all(parent).map_err(ScaffoldError::Io)?;
        }
        std::fs::write(&full, contents).map_err(ScaffoldError::Io)?;
    }
    Ok(NewImage {
        dir,
        program,
        files: files.into_iter().map(|(path, _)| path).collect(),
    })
}

fn readme(dir: &Path, program: &str, language: Language) -> String {
    let root = crate::workspace_root();
    let (what, source) = match language {
        Language::Rust => (
            "a Rust program (a Cargo package depending on the OS's runtime, `userlib`)",
            format!("`{program}/src/main.rs`"),
        ),
        Language::C => (
            "a C program (built with your `cc` against the OS's own small libc)",
            format!("`{program}.c`"),
        ),
    };
    format!(
        "# {program}: an image of your own\n\
         \n\
         This directory is an image of the watchtower OS with one program, {what}:\n\
         {source}. It allocates 1 MiB and touches it page by page, forks a child,\n\
         sends it SIGUSR1, waits for it{crash}, and logs each step.\n\
         \n\
         ## Boot it\n\
         \n\
         From the watchtower repository ({root}):\n\
         \n\
         ```sh\n\
         cargo run --release -- --image {dir}                        # the dashboard\n\
         cargo run --release -- --image {dir} --headless --seconds 20  # a JSON summary\n\
         cargo run --release -- --image {dir} --gdb                  # paused, for gdb\n\
         ```\n\
         \n\
         The first run builds the kernel and your program (a minute or two).\n\
         \n\
         ## What to look for\n\
         \n\
         - **Log**: lines starting `{program}:` with their pids: the parent's,\n\
           then the child's `caught SIGUSR1`.\n\
         - **Processes**: `{program}` as pid 1 and its children (same name: a fork\n\
           runs the same program); the parent's heap region grows to about 1 MiB\n\
           and its minor-fault count jumps by about 256 while it touches the pages.\n\
         - **Events**: the fork, the signal, the child's exit with status 7{crash_event},\n\
           then the parent's exit with status 0, which powers the machine off (the\n\
           first program of an image is init).\n\
         \n\
         Headless, the same is in the JSON: `guest.log_tail` (the log lines),\n\
         `processes` (fault counts, regions) and `exited` (each exit with its status,\n\
         signal and fault).\n\
         \n\
         ## Change it\n\
         \n\
         - `image.toml`: memory, kernel options, more programs (`[[program]]` with\n\
           `path`, `package`, `c`, `args`, `boot`, `privileged`); see\n\
           docs/programs.md in the repository for every field and option.\n\
         - Add the IPC service to use semaphores: a `[[program]]` with\n\
           `name = \"ipc\"`, `boot = true`, `privileged = true` before yours.\n",
        root = root.display(),
        dir = dir.display(),
        crash = if language == Language::C {
            ", lets a second child crash on a bad pointer"
        } else {
            ""
        },
        crash_event = if language == Language::C {
            ", the crashing child's page fault and its SIGSEGV"
        } else {
            ""
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn program_names_are_valid_crate_names() {
        assert_eq!(program_name(Path::new("/tmp/My Lab")), "my_lab");
        assert_eq!(program_name(Path::new("/tmp/42")), "prog_42");
        assert_eq!(program_name(Path::new("/tmp/hello-world")), "hello_world");
    }

    #[test]
    fn a_non_empty_directory_is_refused() {
        let dir = std::env::temp_dir().join(format!("wt-scaffold-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("x"), "").unwrap();
        assert!(matches!(
            new_image(&dir, Language::C),
            Err(ScaffoldError::NotEmpty(_))
        ));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_new_image_parses_and_names_its_program() {
        for language in [Language::Rust, Language::C] {
            let dir = std::env::temp_dir()
                .join(format!("wt-scaffold-{}-{language:?}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            let made = new_image(&dir, language).unwrap();
            let manifest = crate::manifest::Manifest::load_dir(&made.dir).unwrap();
            assert_eq!(manifest.programs.len(), 1);
            assert_eq!(manifest.programs[0].name, made.program);
            assert!(manifest.programs[0].boot);
            let location = crate::manifest::locate(dir.to_str().unwrap()).unwrap();
            assert!(location.external);
            std::fs::remove_dir_all(&dir).unwrap();
        }
    }
}
