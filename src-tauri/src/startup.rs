//! Which home the app opens at start-up.
//!
//! The member's own home when there is one; otherwise the demo home, which lives in a
//! folder of its own so invented records never mix with real ones.

use countersign_core::Passphrase;
use countersign_core::{create_demo, Clock, Error, ErrorReport as CommandError, Fingerprint, Home, DEMO_PASSPHRASE};
use std::path::PathBuf;
use std::sync::Arc;

/// Where to look for the member's home and where the demo home lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Locations {
    /// The member's home: `COUNTERSIGN_HOME`, else the platform's data folder.
    pub home: Option<PathBuf>,
    /// The demo home, used when `home` holds no home.
    pub demo: Option<PathBuf>,
}

impl Locations {
    /// The folders named by the command line (`--home DIR`, as the CLI takes it), the
    /// environment (`COUNTERSIGN_HOME`) and the platform, in that order.
    pub fn from_args(mut args: impl Iterator<Item = String>) -> Result<Self, String> {
        let mut home = None;
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "--home" => home = Some(args.next().ok_or("--home needs a folder: --home DIR")?),
                other => match other.strip_prefix("--home=") {
                    Some(dir) => home = Some(dir.to_string()),
                    None => return Err(format!("unknown argument {other:?}; the app takes only --home DIR")),
                },
            }
        }
        let home = home
            .filter(|dir| !dir.is_empty())
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("COUNTERSIGN_HOME").filter(|dir| !dir.is_empty()).map(PathBuf::from))
            .or_else(countersign_core::default_dir);
        let demo = countersign_core::demo_dir();
        Ok(Locations { home, demo })
    }
}

/// Opens the member's home, or the demo home (created on first use) when there is
/// none yet. The home's records are encrypted with a key sealed to the member's own
/// key, so opening needs the passphrase: `passphrase` gives it for a fingerprint (the
/// OS keyring, or `COUNTERSIGN_PASSPHRASE` for non-interactive runs), and without it
/// the home stays locked (`home-locked`) until the member types it. The demo's
/// passphrase is public ([`DEMO_PASSPHRASE`]).
pub fn open_home(
    at: &Locations,
    clock: Arc<dyn Clock>,
    passphrase: &dyn Fn(&Fingerprint) -> Option<Passphrase>,
) -> Result<Home, CommandError> {
    if let Some(dir) = &at.home {
        match Home::read_key(dir) {
            Err(Error::NoHome(_)) => {}
            Err(e) => return Err(e.into()),
            Ok(secret) => {
                let pass = passphrase(&secret.fingerprint()).ok_or_else(locked)?;
                let key = secret.unlock(&pass, clock.now())?;
                return Ok(Home::open(dir, clock, &key)?);
            }
        }
    }
    let Some(dir) = &at.demo else {
        return Err(CommandError {
            code: "no-data-folder".into(),
            message: "this system names no data folder for the demo home; set COUNTERSIGN_HOME to your home folder"
                .into(),
        });
    };
    match Home::read_key(dir) {
        Err(Error::NoHome(_)) => Ok(create_demo(dir, clock)?),
        Err(e) => Err(e.into()),
        Ok(secret) => {
            let key = secret.unlock(&Passphrase::from(DEMO_PASSPHRASE), clock.now())?;
            Ok(Home::open(dir, clock, &key)?)
        }
    }
}

/// The member's home is there but locked: the window asks for the passphrase.
pub fn locked() -> CommandError {
    CommandError {
        code: "home-locked".into(),
        message: "your records are encrypted with your key: enter your passphrase to open them".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use countersign_core::FixedClock;
    use countersign_core::KeySource;
    use countersign_core::Passphrase;

    fn clock() -> Arc<dyn Clock> {
        Arc::new(FixedClock::at_date(2026, 3, 1))
    }

    #[test]
    fn the_command_line_names_the_home_and_anything_else_is_refused() {
        let args = |list: &[&str]| Locations::from_args(list.iter().map(|s| s.to_string()));
        assert_eq!(args(&["--home", "/tmp/erin"]).expect("home").home, Some(PathBuf::from("/tmp/erin")));
        assert_eq!(args(&["--home=/tmp/frank"]).expect("home").home, Some(PathBuf::from("/tmp/frank")));
        assert!(args(&["--home"]).expect_err("a folder is needed").contains("--home DIR"));
        assert!(args(&["--verbose"]).expect_err("unknown").contains("--verbose"));
    }

    #[test]
    fn without_a_home_the_demo_is_created_in_its_own_folder_then_reopened() {
        let tmp = tempfile::tempdir().expect("temporary folder");
        let at = Locations { home: Some(tmp.path().join("real")), demo: Some(tmp.path().join("demo")) };

        let first = open_home(&at, clock(), &|_| Some(Passphrase::from("secret"))).expect("demo home");
        assert!(first.info().demo);
        assert_eq!(first.dir(), tmp.path().join("demo"));
        assert!(!tmp.path().join("real").exists(), "the member's folder is left alone");
        let fingerprint = first.info().fingerprint;
        drop(first);

        let again = open_home(&at, clock(), &|_| Some(Passphrase::from("secret"))).expect("demo home again");
        assert_eq!(again.info().fingerprint, fingerprint, "the demo is reopened, not recreated");
    }

    #[test]
    fn a_members_home_is_opened_and_the_demo_is_not_touched() {
        let tmp = tempfile::tempdir().expect("temporary folder");
        let real = tmp.path().join("real");
        let source = KeySource::Generate { name: "Alice", email: "alice@example.org" };
        Home::init(&real, source, &Passphrase::from("secret"), clock()).expect("init");
        let at = Locations { home: Some(real.clone()), demo: Some(tmp.path().join("demo")) };

        let home = open_home(&at, clock(), &|_| Some(Passphrase::from("secret"))).expect("the member's home");
        assert_eq!(home.info().name, "Alice");
        assert!(!home.info().demo);
        assert!(!tmp.path().join("demo").exists());
    }

    #[test]
    fn a_members_home_stays_locked_without_its_passphrase_and_the_demo_is_not_touched() {
        let tmp = tempfile::tempdir().expect("temporary folder");
        let real = tmp.path().join("real");
        let source = KeySource::Generate { name: "Alice", email: "alice@example.org" };
        Home::init(&real, source, &Passphrase::from("secret"), clock()).expect("init");
        let at = Locations { home: Some(real), demo: Some(tmp.path().join("demo")) };
        assert_eq!(open_home(&at, clock(), &|_| None).err().expect("locked").code, "home-locked");
        let wrong = open_home(&at, clock(), &|_| Some(Passphrase::from("guess"))).err().expect("refused");
        assert_eq!(wrong.code, "wrong-passphrase");
        assert!(!tmp.path().join("demo").exists());
    }

    #[test]
    fn a_damaged_home_is_reported_not_replaced_by_the_demo() {
        let tmp = tempfile::tempdir().expect("temporary folder");
        let real = tmp.path().join("real");
        std::fs::create_dir_all(&real).expect("folder");
        std::fs::write(real.join("home.json"), b"{ not json").expect("write");
        let at = Locations { home: Some(real), demo: Some(tmp.path().join("demo")) };

        let err = open_home(&at, clock(), &|_| Some(Passphrase::from("secret"))).err().expect("an error");
        assert_eq!(err.code, "home-damaged");
        assert!(!tmp.path().join("demo").exists());
    }
}
