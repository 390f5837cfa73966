//! No module imports a module that imports it back (ARCHITECTURE.md,
//! "Layers"). A host test, no QEMU: it reads the sources.
//!
//! A module is a source file (`os/src/ipc.rs` is `ipc`, `os/src/syscall/
//! mod.rs` is `syscall`, `os/src/arch/x86_64/paging.rs` is
//! `arch::x86_64::paging`). An import is any `crate::` path in code (not
//! in comments), `use` trees included; it names the longest module that
//! prefixes it, through `pub use self::child::*` re-exports (the kernel's
//! `arch::paging` is `arch::x86_64::paging`). A module's own children are
//! its parts, not imports, so only `crate::` paths count.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Pairs of modules that import each other in `root` (a crate's `src`).
fn mutual_imports(root: &Path) -> Vec<(String, String)> {
    let modules = modules(root);
    let globs = glob_reexports(&modules);
    let mut edges: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for (name, source) in &modules {
        for path in crate_paths(source) {
            if let Some(target) = resolve(&path, &modules, &globs)
                && target != *name
                && !target.is_empty()
            {
                edges.entry(name).or_default().insert(target);
            }
        }
    }
    let mut pairs = Vec::new();
    for (from, targets) in &edges {
        for to in targets {
            let back = edges
                .get(to.as_str())
                .is_some_and(|targets| targets.contains(*from));
            if *from < to.as_str() && back {
                pairs.push((from.to_string(), to.clone()));
            }
        }
    }
    pairs
}

/// Every `.rs` file under `root` by module path, with its code (comments
/// removed).
fn modules(root: &Path) -> BTreeMap<String, String> {
    let mut files = Vec::new();
    collect(root, &mut files);
    files
        .into_iter()
        .map(|file| {
            let relative = file.strip_prefix(root).expect("under the root");
            let mut parts: Vec<String> = relative
                .with_extension("")
                .components()
                .map(|part| part.as_os_str().to_string_lossy().into_owned())
                .collect();
            if parts.last().is_some_and(|last| last == "mod") {
                parts.pop();
            }
            if parts == ["main"] || parts == ["lib"] {
                parts.clear();
            }
            let text = std::fs::read_to_string(&file).expect("a readable source file");
            (parts.join("::"), strip_comments(&text))
        })
        .collect()
}

fn collect(dir: &Path, files: &mut Vec<PathBuf>) {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|error| panic!("{dir:?}: {error}"));
    for entry in entries {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            collect(&path, files);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            files.push(path);
        }
    }
}

/// The code without `//` comments (doc comments included) and `/* */`
/// blocks; string literals are kept as they are (none holds `crate::`).
fn strip_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix("//") {
            rest = after.find('\n').map_or("", |end| &after[end..]);
        } else if let Some(after) = rest.strip_prefix("/*") {
            rest = after.find("*/").map_or("", |end| &after[end + 2..]);
        } else {
            let next = rest.chars().next().expect("not empty");
            out.push(next);
            rest = &rest[next.len_utf8()..];
        }
    }
    out
}

/// For each module, the children it re-exports whole (`pub use
/// self::child::*`).
fn glob_reexports(modules: &BTreeMap<String, String>) -> BTreeMap<String, Vec<String>> {
    let mut globs = BTreeMap::new();
    for (name, source) in modules {
        let children: Vec<String> = source
            .split("pub use self::")
            .skip(1)
            .filter_map(|rest| {
                rest.split_once("::*")
                    .map(|(child, _)| child.trim().to_string())
            })
            .filter(|child| child.chars().all(|c| c.is_alphanumeric() || c == '_'))
            .collect();
        if !children.is_empty() {
            globs.insert(name.clone(), children);
        }
    }
    globs
}

/// Every path after `crate::` in `code`, `use` trees expanded
/// (`crate::{a, b::{self, C}}` gives `a`, `b`, `b::self`, `b::C`).
fn crate_paths(code: &str) -> Vec<String> {
    let mut paths = Vec::new();
    let mut rest = code;
    while let Some(at) = rest.find("crate::") {
        let preceded_by_ident = rest[..at]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$');
        rest = &rest[at + "crate::".len()..];
        if preceded_by_ident {
            continue;
        }
        expand("", rest, &mut paths);
    }
    paths
}

/// Expands the use tree at the start of `text` under `prefix`.
fn expand(prefix: &str, text: &str, paths: &mut Vec<String>) {
    let text = text.trim_start();
    if let Some(inner) = text.strip_prefix('{') {
        for item in split_top_level(inner) {
            expand(prefix, item, paths);
        }
        return;
    }
    let end = text
        .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
        .unwrap_or(text.len());
    let (path, after) = text.split_at(end);
    let full = format!("{prefix}{path}");
    if path.ends_with("::") && after.trim_start().starts_with('{') {
        expand(&full, after, paths);
    } else if !full.is_empty() {
        paths.push(full.trim_end_matches("::").to_string());
    }
}

/// The items of a brace group up to its closing brace, split at its own
/// commas.
fn split_top_level(text: &str) -> Vec<&str> {
    let mut items = Vec::new();
    let (mut depth, mut start) = (0usize, 0usize);
    for (index, c) in text.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => {
                items.push(&text[start..index]);
                return items;
            }
            '}' => depth -= 1,
            ',' if depth == 0 => {
                items.push(&text[start..index]);
                start = index + 1;
            }
            _ => {}
        }
    }
    items.push(&text[start..]);
    items
}

/// The module `path` names: its longest prefix that is a module, looking
/// through glob re-exports.
fn resolve(
    path: &str,
    modules: &BTreeMap<String, String>,
    globs: &BTreeMap<String, Vec<String>>,
) -> Option<String> {
    let parts: Vec<&str> = path.split("::").collect();
    for len in (1..=parts.len()).rev() {
        let candidate = parts[..len].join("::");
        // `arch::paging` through `arch`'s `pub use self::x86_64::*`.
        if len >= 2 {
            let parent = parts[..len - 1].join("::");
            for child in globs.get(&parent).into_iter().flatten() {
                let through = format!("{parent}::{child}::{}", parts[len - 1]);
                if modules.contains_key(&through) {
                    return Some(through);
                }
            }
        }
        if modules.contains_key(&candidate) {
            return Some(candidate);
        }
    }
    None
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the workspace root")
        .to_path_buf()
}

fn show(pairs: &[(String, String)]) -> String {
    pairs
        .iter()
        .map(|(a, b)| format!("  {a} <-> {b}\n"))
        .collect()
}

/// Mutual imports the kernel still has, each with the reason it stays.
/// Pairs allowed to import each other: none (the trap entry hands frames
/// to `crate::trap`, and both read them from the leaf `arch::frame`).
const KERNEL_KNOWN: &[(&str, &str)] = &[];

#[test]
fn no_kernel_module_imports_a_module_that_imports_it_back() {
    let pairs = mutual_imports(&workspace().join("os/src"));
    let unexpected: Vec<(String, String)> = pairs
        .iter()
        .filter(|(a, b)| !KERNEL_KNOWN.contains(&(a.as_str(), b.as_str())))
        .cloned()
        .collect();
    assert!(
        unexpected.is_empty(),
        "kernel modules importing each other:\n{}",
        show(&unexpected)
    );
}

/// The dashboard likewise: no module imports a module that imports it
/// back.
#[test]
fn no_dashboard_module_imports_a_module_that_imports_it_back() {
    let pairs = mutual_imports(&workspace().join("host-dashboard/src"));
    assert!(
        pairs.is_empty(),
        "dashboard modules importing each other:\n{}",
        show(&pairs)
    );
}

/// The checker finds what it should: a `use` tree, a path in code, a
/// re-export, and nothing in comments.
#[test]
fn the_checker_reads_use_trees_and_skips_comments() {
    let code = strip_comments(
        "use crate::{a::{self, B}, b::c};\n// crate::d\n/// crate::e\nfn f() { crate::g::h(); $crate::i() }\n",
    );
    assert_eq!(crate_paths(&code), ["a::self", "a::B", "b::c", "g::h"]);
    let dir = std::env::temp_dir().join(format!("imports-test-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("arch/x86")).unwrap();
    std::fs::write(dir.join("main.rs"), "mod a; mod b; mod arch;").unwrap();
    std::fs::write(dir.join("a.rs"), "use crate::arch::trap;").unwrap();
    std::fs::write(dir.join("b.rs"), "use crate::{a};").unwrap();
    std::fs::write(
        dir.join("arch/mod.rs"),
        "pub mod x86;\npub use self::x86::*;",
    )
    .unwrap();
    std::fs::write(dir.join("arch/x86/mod.rs"), "pub mod trap;").unwrap();
    std::fs::write(dir.join("arch/x86/trap.rs"), "fn f() { crate::a::g() }").unwrap();
    let pairs = mutual_imports(&dir);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(pairs, [("a".to_string(), "arch::x86::trap".to_string())]);
}
