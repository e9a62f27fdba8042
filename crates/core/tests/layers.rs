//! The house rules of `crates/core/src`, checked from the source as rust-analyzer's
//! tidy tests do: every `crate::` path a file names points at its own layer or one
//! below, names the file that defines what it takes (not a folder's re-exports), and
//! no files of the core or of the desktop shell import each other in a circle.
//! ARCHITECTURE.md explains the layers; this file is their one definition.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// The layers, lowest first, each a list of paths under `src` (a folder ends in `/`).
/// A file imports only from its own layer or those before it.
const LAYERS: &[(&str, &[&str])] = &[
    ("base", &["base/"]),
    ("crypto", &["crypto/"]),
    (
        "models",
        &[
            "members/role.rs",
            "members/scope.rs",
            "members/rules.rs",
            "members/roster.rs",
            "members/governance.rs",
            "partners/model.rs",
            "decisions/model.rs",
            "decisions/evaluate.rs",
            "finance/model.rs",
            "finance/opencollective.rs",
            "finance/eboekhouden.rs",
        ],
    ),
    ("engine", &["engine/"]),
    ("records", &["partners/records.rs", "decisions/records.rs", "decisions/governance.rs", "finance/records.rs"]),
    ("home", &["home/"]),
    ("sync", &["sync/"]),
    (
        "services",
        &[
            "members/service.rs",
            "partners/service.rs",
            "decisions/service.rs",
            "decisions/export.rs",
            "finance/service.rs",
            "reports/",
        ],
    ),
    // The folders' own mod.rs re-export their feature for lib.rs; nothing inside the
    // core imports through them.
    (
        "surface",
        &[
            "overview.rs",
            "demo.rs",
            "bindings.rs",
            "lib.rs",
            "scenarios.rs",
            "members/mod.rs",
            "partners/mod.rs",
            "decisions/mod.rs",
            "finance/mod.rs",
            "reports/mod.rs",
        ],
    ),
];

fn core_src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every `.rs` file under `dir`, as paths relative to it with `/` separators.
fn rust_files(dir: &Path) -> Vec<String> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
        for entry in fs::read_dir(dir).unwrap_or_else(|e| panic!("read {}: {e}", dir.display())) {
            let path = entry.expect("a folder entry").path();
            if path.is_dir() {
                walk(root, &path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let rel = path.strip_prefix(root).expect("under the root");
                out.push(rel.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

/// The layer of `file`: the one naming it, else the one holding its folder.
fn layer_of(file: &str) -> Option<usize> {
    LAYERS
        .iter()
        .position(|(_, paths)| paths.contains(&file))
        .or_else(|| LAYERS.iter().position(|(_, paths)| paths.iter().any(|p| p.ends_with('/') && file.starts_with(p))))
}

/// One `crate::` path named in a file: its line and the module segments after `crate::`
/// (up to the first item, which starts with an upper-case letter, or a group).
struct Named {
    line: usize,
    path: Vec<String>,
}

/// The `crate::` paths `text` names outside comments and string literals, with the
/// members of a `crate::a::{b, c}` group each as its own path.
fn named_paths(text: &str, prefix: &str) -> Vec<Named> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let code = line.trim_start();
        if code.starts_with("//") {
            continue;
        }
        let mut from = 0;
        while let Some(at) = line[from..].find(prefix) {
            let start = from + at;
            from = start + prefix.len();
            let before = &line[..start];
            let in_string = before.matches('"').count() % 2 == 1;
            let after_ident = before.chars().last().is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$');
            if in_string || after_ident || before.contains("//") {
                continue;
            }
            let rest = &line[from..];
            let mut segments = Vec::new();
            let mut tail = rest;
            loop {
                let len = tail.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(tail.len());
                let word = &tail[..len];
                if word.is_empty() || word.starts_with(|c: char| c.is_ascii_uppercase()) {
                    break;
                }
                segments.push(word.to_string());
                tail = &tail[len..];
                match tail.strip_prefix("::") {
                    Some(next) => tail = next,
                    None => break,
                }
            }
            // A group names its members; the module itself only with `self`.
            let mut names_module = true;
            if let Some(group) = tail.strip_prefix('{') {
                let group = &group[..group.find('}').unwrap_or(group.len())];
                let members: Vec<&str> =
                    group.split(',').map(|m| m.trim().split("::").next().unwrap_or("").trim()).collect();
                names_module = members.contains(&"self");
                for member in
                    members.iter().filter(|m| m.starts_with(|c: char| c.is_ascii_lowercase()) && **m != "self")
                {
                    let mut path = segments.clone();
                    path.push(member.to_string());
                    out.push(Named { line: i + 1, path });
                }
            }
            if !segments.is_empty() && names_module {
                out.push(Named { line: i + 1, path: segments });
            }
        }
    }
    out
}

/// The file a module path names: `Ok(file)`, or `Err(folder)` when the path stops at a
/// folder (its mod.rs), taking items through the folder's re-exports.
fn resolve(files: &BTreeSet<String>, path: &[String]) -> Option<Result<String, String>> {
    let mut dir = String::new();
    for (i, segment) in path.iter().enumerate() {
        let file = format!("{dir}{segment}.rs");
        if files.contains(&file) {
            return Some(Ok(file));
        }
        let folder = format!("{dir}{segment}/mod.rs");
        if !files.contains(&folder) {
            return None;
        }
        dir = format!("{dir}{segment}/");
        if i + 1 == path.len() || !files.iter().any(|f| f.starts_with(&format!("{dir}{}", path[i + 1]))) {
            return Some(Err(folder));
        }
    }
    None
}

/// Every import of a file of `crates/core/src`: (file, line, the file it names).
fn core_imports() -> (Vec<(String, usize, Result<String, String>)>, BTreeSet<String>) {
    let src = core_src();
    let files: BTreeSet<String> = rust_files(&src).into_iter().collect();
    let mut imports = Vec::new();
    for file in &files {
        let text = fs::read_to_string(src.join(file)).expect("a source file reads");
        for named in named_paths(&text, "crate::") {
            if let Some(target) = resolve(&files, &named.path) {
                if target.as_ref().map_or(true, |t| t != file) {
                    imports.push((file.clone(), named.line, target));
                }
            }
        }
    }
    (imports, files)
}

#[test]
fn every_file_of_the_core_has_a_layer() {
    let (_, files) = core_imports();
    let homeless: Vec<&String> = files.iter().filter(|f| layer_of(f).is_none()).collect();
    assert!(homeless.is_empty(), "files with no layer; add them to LAYERS in tests/layers.rs: {homeless:?}");
}

#[test]
fn files_import_only_from_their_own_layer_or_below() {
    let (imports, _) = core_imports();
    let mut broken = Vec::new();
    for (file, line, target) in &imports {
        let Some(own) = layer_of(file) else { continue };
        match target {
            Ok(target) => {
                if let Some(theirs) = layer_of(target) {
                    if theirs > own {
                        broken.push(format!(
                            "crates/core/src/{file}:{line}: imports {target} (layer {}) from layer {}; a file imports only from its own layer or those below",
                            LAYERS[theirs].0, LAYERS[own].0
                        ));
                    }
                }
            }
            Err(folder) if layer_of(folder).is_some_and(|l| LAYERS[l].0 == "surface") && LAYERS[own].0 != "surface" => {
                broken.push(format!(
                    "crates/core/src/{file}:{line}: imports through {folder}, which re-exports for lib.rs; name the file that defines the item"
                ))
            }
            Err(folder) => {
                if let Some(theirs) = layer_of(folder).filter(|theirs| *theirs > own) {
                    broken.push(format!(
                        "crates/core/src/{file}:{line}: imports {folder} (layer {}) from layer {}; a file imports only from its own layer or those below",
                        LAYERS[theirs].0, LAYERS[own].0
                    ));
                }
            }
        }
    }
    assert!(broken.is_empty(), "{} imports break the layers:\n{}", broken.len(), broken.join("\n"));
}

/// The strongly connected components of more than one file (Tarjan's algorithm).
fn circles(edges: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    struct Walk<'a> {
        edges: &'a BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on_stack: BTreeSet<&'a str>,
        found: Vec<Vec<String>>,
    }
    impl<'a> Walk<'a> {
        fn visit(&mut self, node: &'a str) {
            let n = self.index.len();
            self.index.insert(node, n);
            self.low.insert(node, n);
            self.stack.push(node);
            self.on_stack.insert(node);
            for next in self.edges.get(node).into_iter().flatten() {
                if !self.index.contains_key(next.as_str()) {
                    self.visit(next);
                    let low = self.low[node].min(self.low[next.as_str()]);
                    self.low.insert(node, low);
                } else if self.on_stack.contains(next.as_str()) {
                    let low = self.low[node].min(self.index[next.as_str()]);
                    self.low.insert(node, low);
                }
            }
            if self.low[node] == self.index[node] {
                let mut component = Vec::new();
                while let Some(top) = self.stack.pop() {
                    self.on_stack.remove(top);
                    component.push(top.to_string());
                    if top == node {
                        break;
                    }
                }
                if component.len() > 1 {
                    component.sort();
                    self.found.push(component);
                }
            }
        }
    }
    let mut walk = Walk {
        edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        found: Vec::new(),
    };
    for node in edges.keys() {
        if !walk.index.contains_key(node.as_str()) {
            walk.visit(node);
        }
    }
    walk.found
}

#[test]
fn no_files_of_the_core_import_each_other_in_a_circle() {
    let (imports, _) = core_imports();
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (file, _, target) in imports {
        let target = target.unwrap_or_else(|folder| folder);
        edges.entry(file).or_default().insert(target);
    }
    let found = circles(&edges);
    assert!(found.is_empty(), "files of crates/core/src that import each other in a circle: {found:?}");
}

#[test]
fn no_files_of_the_desktop_shell_import_each_other_in_a_circle() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../src-tauri/src");
    let files: BTreeSet<String> = rust_files(&src).into_iter().collect();
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in &files {
        let text = fs::read_to_string(src.join(file)).expect("a source file reads");
        for named in named_paths(&text, "crate::") {
            if let Some(Ok(target)) = resolve(&files, &named.path) {
                if &target != file {
                    edges.entry(file.clone()).or_default().insert(target);
                }
            }
        }
    }
    assert!(!files.is_empty(), "no sources in {}", src.display());
    let found = circles(&edges);
    assert!(found.is_empty(), "files of src-tauri/src that import each other in a circle: {found:?}");
}

#[test]
fn the_path_reader_sees_groups_and_skips_comments_and_strings() {
    let text = "use crate::engine::{bundle, store::Store};\n// crate::sync::x\nlet s = \"crate::home\";\nuse crate::base::clock::Hlc;\nuse crate::sync::{self, scan};";
    let paths: Vec<String> = named_paths(text, "crate::").iter().map(|n| n.path.join("::")).collect();
    assert_eq!(paths, ["engine::bundle", "engine::store", "base::clock", "sync::scan", "sync"]);
}
