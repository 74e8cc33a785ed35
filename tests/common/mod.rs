//! Helpers shared by the integration tests: fresh databases on both backends, the binary.
#![allow(dead_code)] // each test file uses its own part of this module

pub mod center;
pub mod known_day;
pub mod mail;
pub mod netns;
pub mod staff;

use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

use sqlx::{Connection, Executor, PgConnection};

/// Where the test PostgreSQL server is (trust auth on loopback in CI and on dev machines).
pub fn postgres_admin_url() -> String {
    std::env::var("TSUNAGU_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_string())
}

/// A database of its own for one test, dropped when the test ends.
pub struct TestDatabase {
    pub url: String,
    name: Option<String>,
    _dir: Option<tempfile::TempDir>,
}

impl TestDatabase {
    pub fn sqlite() -> TestDatabase {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("temp dir: {e}"));
        let url = format!("sqlite://{}", dir.path().join("test.db").display());
        TestDatabase {
            url,
            name: None,
            _dir: Some(dir),
        }
    }

    /// A fresh PostgreSQL database. The server must be running: a test that needs it fails
    /// rather than skipping, so that CI cannot pass without PostgreSQL.
    pub async fn postgres() -> TestDatabase {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let name = format!(
            "tsunagu_test_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let admin = postgres_admin_url();
        let mut conn = PgConnection::connect(&admin)
            .await
            .unwrap_or_else(|e| panic!("PostgreSQL must run at {admin} for this test (start it with ops/test): {e}"));
        conn.execute(format!("DROP DATABASE IF EXISTS {name}").as_str())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        conn.execute(format!("CREATE DATABASE {name}").as_str())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let base = admin.rsplit_once('/').map_or(admin.as_str(), |(base, _)| base);
        TestDatabase {
            url: format!("{base}/{name}"),
            name: Some(name),
            _dir: None,
        }
    }

    /// Both backends, for tests that must hold on each.
    pub async fn both() -> Vec<TestDatabase> {
        vec![TestDatabase::sqlite(), TestDatabase::postgres().await]
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let Some(name) = self.name.take() else { return };
        as_admin_from_drop(vec![format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")]);
    }
}

/// Runs statements on the PostgreSQL server as its administrator, from a `Drop`: in a thread
/// with its own runtime, as a drop may run inside a test's runtime. Errors are ignored (it
/// cleans up).
pub fn as_admin_from_drop(statements: Vec<String>) {
    let admin = postgres_admin_url();
    let _ = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build();
        if let Ok(runtime) = runtime {
            runtime.block_on(async {
                if let Ok(mut conn) = PgConnection::connect(&admin).await {
                    for statement in statements {
                        let _ = conn.execute(statement.as_str()).await;
                    }
                }
            });
        }
    })
    .join();
}

/// The `tsunagu` binary built for these tests.
pub fn tsunagu_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_tsunagu"))
}

/// Runs `tsunagu` with arguments, in the given working directory, with a clean environment
/// for the variables it reads.
pub fn run_tsunagu(dir: &std::path::Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(tsunagu_bin());
    cmd.current_dir(dir).args(args);
    for var in ["TSUNAGU_CALENDARS", "TSUNAGU_DATA_DIR", "TSUNAGU_DATABASE_URL", "TZ"] {
        cmd.env_remove(var);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap_or_else(|e| panic!("cannot run tsunagu: {e}"))
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}
