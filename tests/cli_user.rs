//! `tsunagu user add` as an installer script runs it (password on standard input), on both
//! database backends.

mod common;

use std::io::Write;
use std::process::{Command, Stdio};

use common::{TestDatabase, stderr, stdout, tsunagu_bin};
use tsunagu::auth::password;
use tsunagu::store::Store;

fn user_add(db: &str, args: &[&str], password: &str) -> std::process::Output {
    let mut child = Command::new(tsunagu_bin())
        .args(["user", "add"])
        .args(args)
        .args(["--database-url", db])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    if let Some(mut stdin) = child.stdin.take() {
        let _ = writeln!(stdin, "{password}");
    }
    child.wait_with_output().unwrap_or_else(|e| panic!("{e}"))
}

#[tokio::test]
async fn users_are_created_with_hashed_passwords_and_skills_and_never_twice() {
    for db in TestDatabase::both().await {
        let out = user_add(
            &db.url,
            &["tanaka", "--role", "agent", "--skill", "ja:3", "--skill", "vi:2"],
            "kawasaki-2026!",
        );
        assert!(out.status.success(), "{}", stderr(&out));
        assert_eq!(stdout(&out), "created tanaka (agent)\n");

        let store = Store::connect(&db.url).await.unwrap_or_else(|e| panic!("{e}"));
        let user = store
            .find_user("tanaka")
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|| panic!("stored"));
        assert_eq!(user.role, "agent");
        assert!(
            !user.password_hash.contains("kawasaki-2026!"),
            "the password itself is never stored"
        );
        assert!(password::verify("kawasaki-2026!", &user.password_hash));
        assert_eq!(
            store.user_skills("tanaka").await.unwrap_or_default(),
            vec![("ja".to_string(), 3), ("vi".to_string(), 2)]
        );

        let again = user_add(&db.url, &["tanaka", "--role", "supervisor"], "another-password");
        assert_eq!(again.status.code(), Some(1));
        assert!(
            stderr(&again).contains("a user named 'tanaka' exists already"),
            "{}",
            stderr(&again)
        );
        let unchanged = store
            .find_user("tanaka")
            .await
            .unwrap_or_default()
            .unwrap_or_else(|| panic!("stored"));
        assert_eq!(unchanged.role, "agent", "nothing was changed");
        store.close().await;

        let short = user_add(&db.url, &["sato", "--role", "admin"], "short");
        assert_eq!(short.status.code(), Some(2));
        assert!(stderr(&short).contains("at least 10 characters"), "{}", stderr(&short));
        let bad_skill = user_add(
            &db.url,
            &["sato", "--role", "agent", "--skill", "fr:3"],
            "long-enough-password",
        );
        assert!(
            stderr(&bad_skill).contains("'fr:3' is not a skill"),
            "{}",
            stderr(&bad_skill)
        );
        let bad_role = user_add(&db.url, &["sato", "--role", "boss"], "long-enough-password");
        assert!(
            stderr(&bad_role).contains("unknown role 'boss'"),
            "{}",
            stderr(&bad_role)
        );
    }
}
