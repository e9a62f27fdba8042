//! The harness for end-to-end scenarios: each [`Member`] has a home of their own in a
//! temporary folder and drives the real `countersign` binary, as a board member's
//! laptop would. Nothing here reaches into the core: the binary is the interface.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The `countersign` binary under test: `COUNTERSIGN_BIN`, else the one built next to
/// this test binary (`cargo build --workspace --bins` builds it; `make test` does).
pub fn countersign_bin() -> PathBuf {
    if let Some(bin) = std::env::var_os("COUNTERSIGN_BIN") {
        return PathBuf::from(bin);
    }
    let exe = std::env::current_exe().expect("the test binary knows its path");
    let profile_dir = exe.parent().and_then(Path::parent).expect("test binaries live in target/<profile>/deps");
    let bin = profile_dir.join(format!("countersign{}", std::env::consts::EXE_SUFFIX));
    assert!(bin.exists(), "{} is missing: run `cargo build --workspace --bins` first (make test does)", bin.display());
    bin
}

/// The outcome of one command.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn from(output: Output) -> Run {
        Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// Asserts success and returns stdout.
    #[track_caller]
    pub fn ok(self) -> String {
        assert_eq!(self.code, 0, "command failed\nstdout: {}\nstderr: {}", self.stdout, self.stderr);
        self.stdout
    }

    /// Asserts success and parses stdout as JSON.
    #[track_caller]
    pub fn json(self) -> Value {
        let out = self.ok();
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {out}"))
    }

    /// Asserts failure with a message on stderr that contains `needle`.
    #[track_caller]
    pub fn fails_with(self, needle: &str) -> String {
        assert_ne!(self.code, 0, "expected a failure, got success\nstdout: {}", self.stdout);
        assert!(
            self.stderr.contains(needle),
            "stderr does not mention {needle:?}\nstderr: {}\nstdout: {}",
            self.stderr,
            self.stdout
        );
        self.stderr
    }
}

/// A board member with a home of their own.
pub struct Member {
    pub name: String,
    pub home: PathBuf,
    pub passphrase: String,
    /// How far this laptop's clock is off, as libfaketime writes it (`+5`, `+10m`,
    /// `-3d`): every run of `countersign` then lives at that time.
    pub clock: Option<String>,
    _root: tempfile::TempDir,
}

impl Member {
    /// A member whose home does not exist yet.
    pub fn new(name: &str) -> Member {
        let root = tempfile::tempdir().expect("a temporary folder");
        Member {
            name: name.to_string(),
            home: root.path().join("home"),
            passphrase: format!("{} passphrase", name.to_lowercase()),
            clock: None,
            _root: root,
        }
    }

    /// A member with a freshly generated key, on a laptop whose clock is off by
    /// `offset` (see [`Member::clock`]) from the key's making on.
    pub fn init_with_clock(name: &str, offset: &str) -> Member {
        let member = Member { clock: Some(offset.to_string()), ..Member::new(name) };
        member.run(&["init", "--name", name, "--email", &member.email()]).ok();
        member
    }

    /// A member with a freshly generated key.
    pub fn init(name: &str) -> Member {
        let member = Member::new(name);
        member.run(&["init", "--name", name, "--email", &member.email()]).ok();
        member
    }

    pub fn email(&self) -> String {
        format!("{}@example.org", self.name.to_lowercase())
    }

    /// A scratch folder beside the home, for files the scenario makes.
    pub fn scratch(&self) -> PathBuf {
        self._root.path().to_path_buf()
    }

    /// The command, with this member's home and passphrase in its environment.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = match &self.clock {
            Some(offset) => {
                let mut faked = Command::new("faketime");
                faked.arg("-f").arg(offset).arg(countersign_bin());
                faked
            }
            None => Command::new(countersign_bin()),
        };
        cmd.arg("--home").arg(&self.home).args(args);
        cmd.env("COUNTERSIGN_PASSPHRASE", &self.passphrase).env_remove("COUNTERSIGN_HOME");
        cmd
    }

    /// Runs `countersign --home HOME ARGS…`.
    pub fn run(&self, args: &[&str]) -> Run {
        Run::from(self.command(args).output().expect("countersign runs"))
    }

    /// Runs with `--json` and parses the output.
    #[track_caller]
    pub fn json(&self, args: &[&str]) -> Value {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        self.run(&all).json()
    }

    pub fn fingerprint(&self) -> String {
        self.json(&["whoami"])["fingerprint"].as_str().expect("a fingerprint").to_string()
    }

    pub fn digest(&self) -> String {
        self.json(&["digest"])["digest"].as_str().expect("a digest").to_string()
    }
}

/// A throwaway GnuPG home for interoperability checks with stock `gpg`.
pub struct Gpg {
    pub home: tempfile::TempDir,
}

impl Gpg {
    pub fn new() -> Gpg {
        let home = tempfile::Builder::new().prefix("gnupg").tempdir().expect("a temporary folder");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(home.path(), std::fs::Permissions::from_mode(0o700)).expect("chmod");
        }
        Gpg { home }
    }

    /// Runs `gpg --batch ARGS…` in this GnuPG home.
    pub fn run(&self, args: &[&str]) -> Run {
        Run::from(
            Command::new("gpg")
                .arg("--homedir")
                .arg(self.home.path())
                .args(["--batch", "--no-tty", "--pinentry-mode", "loopback"])
                .args(args)
                .output()
                .expect("gpg runs (install gnupg)"),
        )
    }
}

impl Default for Gpg {
    fn default() -> Self {
        Gpg::new()
    }
}

impl Drop for Gpg {
    fn drop(&mut self) {
        // Stop the agent this home started, so no daemon outlives the test.
        let _ = Command::new("gpgconf").arg("--homedir").arg(self.home.path()).args(["--kill", "all"]).output();
    }
}

/// A workspace of several members sharing one folder, as on the board's laptops.
pub struct Board {
    pub members: Vec<Member>,
    pub folder: tempfile::TempDir,
    pub id: String,
}

impl Board {
    /// Creates homes for `names`; the first creates the workspace with every other
    /// member (role board unless `roles` says otherwise) and the others join it.
    pub fn new(names: &[&str]) -> Board {
        Board::with_roles(names, &[])
    }

    pub fn with_roles(names: &[&str], roles: &[&str]) -> Board {
        Board::of(names.iter().map(|n| Member::init(n)).collect(), roles)
    }

    /// A board whose laptops' clocks are off by each member's offset (`None`: right).
    pub fn with_clocks(members: &[(&str, Option<&str>)]) -> Board {
        let members = members
            .iter()
            .map(|(name, clock)| match clock {
                Some(offset) => Member::init_with_clock(name, offset),
                None => Member::init(name),
            })
            .collect();
        Board::of(members, &[])
    }

    /// The first of `members` creates the workspace with every other (role board
    /// unless `roles` says otherwise) and the others join it.
    pub fn of(members: Vec<Member>, roles: &[&str]) -> Board {
        let folder = tempfile::Builder::new().prefix("shared").tempdir().expect("a shared folder");
        let creator = &members[0];
        let mut args: Vec<String> =
            vec!["workspace".into(), "create".into(), "--name".into(), "NixOS Foundation".into()];
        args.push("--folder".into());
        args.push(folder.path().display().to_string());
        for (i, m) in members.iter().enumerate().skip(1) {
            let cert = m.scratch().join("cert.asc");
            std::fs::write(&cert, m.run(&["key", "export"]).ok()).expect("write the certificate");
            args.push("--member".into());
            args.push(cert.display().to_string());
            args.push("--role".into());
            args.push(roles.get(i).copied().unwrap_or("board").to_string());
        }
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let info = creator.json(&refs);
        let id = info["id"].as_str().expect("a workspace id").to_string();
        for m in members.iter().skip(1) {
            m.run(&["workspace", "join", "--folder", folder.path().to_str().unwrap(), "--workspace", &id]).ok();
        }
        Board { members, folder, id }
    }

    /// The workspace's folder inside the shared folder.
    pub fn dir(&self) -> PathBuf {
        self.folder.path().join(&self.id)
    }

    /// Syncs a member and returns the report.
    #[track_caller]
    pub fn sync(&self, who: usize) -> Value {
        self.members[who].json(&["sync"])
    }

    /// The bundle files a member's device has written, in order.
    pub fn bundles_of(&self, who: usize) -> Vec<PathBuf> {
        let fpr = self.members[who].fingerprint();
        let mut files = Vec::new();
        if let Ok(devices) = std::fs::read_dir(self.dir().join(&fpr)) {
            for device in devices.flatten() {
                for file in std::fs::read_dir(device.path()).into_iter().flatten().flatten() {
                    files.push(file.path());
                }
            }
        }
        files.sort();
        files
    }
}

/// A GnuPG home holding `signer`'s secret key and every member's certificate: real
/// `gpg` is how the scenarios read and forge bundles, as an attacker or auditor would.
pub fn gpg_as(signer: &Member, everyone: &[&Member]) -> Gpg {
    let gpg = Gpg::new();
    gpg.run(&["--passphrase", &signer.passphrase, "--import", signer.home.join("key.asc").to_str().unwrap()]).ok();
    for m in everyone {
        let cert = m.scratch().join("for-gpg.asc");
        std::fs::write(&cert, m.run(&["key", "export"]).ok()).unwrap();
        gpg.run(&["--import", cert.to_str().unwrap()]).ok();
    }
    gpg
}

pub fn gpg_decrypt(gpg: &Gpg, who: &Member, file: &Path) -> Value {
    let out = gpg.run(&["--passphrase", &who.passphrase, "--decrypt", file.to_str().unwrap()]).ok();
    serde_json::from_str(&out).expect("the payload is JSON")
}

/// Signs `payload` as `signer` and encrypts it to `recipients` with stock gpg.
/// The payload's `envelope` (the digest of Countersign's own recipient packets) is
/// dropped: gpg writes packets of its own, and a bundle without it is still read.
pub fn gpg_seal(gpg: &Gpg, signer: &Member, recipients: &[&Member], payload: &Value, out: &Path) {
    let input = out.with_extension("json");
    let mut payload = payload.clone();
    if let Some(fields) = payload.as_object_mut() {
        fields.remove("envelope");
    }
    std::fs::write(&input, serde_json::to_string(&payload).unwrap()).unwrap();
    let mut args: Vec<String> = ["--passphrase", &signer.passphrase, "--trust-model", "always", "--local-user"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    args.push(signer.fingerprint());
    for r in recipients {
        args.push("--recipient".into());
        args.push(r.fingerprint());
    }
    args.extend(["--sign", "--encrypt", "--output"].map(String::from));
    args.push(out.display().to_string());
    args.push(input.display().to_string());
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    gpg.run(&refs).ok();
    std::fs::remove_file(input).unwrap();
}

/// Every file under `dir` whose bytes contain `needle`.
pub fn files_containing(dir: &Path, needle: &str) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(files_containing(&path, needle));
        } else if let Ok(bytes) = std::fs::read(&path) {
            if bytes.windows(needle.len()).any(|w| w == needle.as_bytes()) {
                found.push(path);
            }
        }
    }
    found
}
