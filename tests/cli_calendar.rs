//! `tsunagu calendar …` as an operator runs it: output formats, exit codes, time zones, and a
//! calendar changed in the database while a bad change is refused.

mod common;

use std::path::Path;

use common::{TestDatabase, run_tsunagu, stderr, stdout};

fn repo_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn holidays_prints_one_line_per_holiday() {
    let out = run_tsunagu(repo_root(), &["calendar", "holidays", "2026"], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 18);
    assert_eq!(lines[0], "2026-01-01\t元日\tNew Year's Day");
    assert!(lines.contains(&"2026-09-22\t国民の休日\tCitizens' Holiday"));
    assert_eq!(lines[17], "2026-11-23\t勤労感謝の日\tLabour Thanksgiving Day");

    let out = run_tsunagu(repo_root(), &["calendar", "holidays", "2150"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("outside 1980–2099"), "{}", stderr(&out));
}

#[test]
fn check_accepts_the_shipped_calendars_and_names_the_line_of_a_problem() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let shipped = repo_root().join("ops/config/calendars/call-center.toml");
    let good = std::fs::read_to_string(&shipped).unwrap_or_else(|e| panic!("{e}"));
    let bad_path = dir.path().join("bad.toml");
    let bad = good.replacen(
        "weekly.mon = [\"09:00-17:00\"]",
        "weekly.mon = [\"09:00-12:00\", \"11:00-17:00\"]",
        1,
    );
    std::fs::write(&bad_path, &bad).unwrap_or_else(|e| panic!("{e}"));
    let line = bad
        .lines()
        .position(|l| l.contains("11:00-17:00"))
        .map(|i| i + 1)
        .unwrap_or(0);

    let out = run_tsunagu(
        repo_root(),
        &["calendar", "check", "ops/config/calendars/call-center.toml"],
        &[],
    );
    assert!(out.status.success(), "{}", stdout(&out));
    assert!(stdout(&out).contains("call-center.toml: ok"));

    let bad_arg = bad_path.to_string_lossy().into_owned();
    let out = run_tsunagu(
        repo_root(),
        &["calendar", "check", "ops/config/calendars/call-center.toml", &bad_arg],
        &[],
    );
    assert_eq!(out.status.code(), Some(1));
    let expected = format!("{bad_arg}: line {line}: interval 11:00-17:00 overlaps 09:00-12:00");
    assert!(
        stdout(&out).contains(&expected),
        "expected {expected}\ngot {}",
        stdout(&out)
    );
}

#[test]
fn open_prints_the_open_intervals_and_optionally_the_closed_days() {
    let args = [
        "calendar",
        "open",
        "call-center",
        "--from",
        "2026-12-27",
        "--to",
        "2027-01-05",
    ];
    let out = run_tsunagu(repo_root(), &args, &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "2026-12-27\tSun\t09:00\t19:00\n2026-12-28\tMon\t09:00\t19:00\n2027-01-04\tMon\t09:00\t19:00\n2027-01-05\tTue\t09:00\t19:00\n"
    );
    let mut with_closed = args.to_vec();
    with_closed.push("--with-closed");
    let out = run_tsunagu(repo_root(), &with_closed, &[]);
    assert!(
        stdout(&out).contains("2026-12-29\tTue\tclosed\tyear-end break:"),
        "{}",
        stdout(&out)
    );

    let out = run_tsunagu(
        repo_root(),
        &[
            "calendar",
            "open",
            "no-such-place",
            "--from",
            "2026-01-01",
            "--to",
            "2026-01-02",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("no calendar 'no-such-place' (known: call-center,"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn status_answers_in_tokyo_time_whatever_the_machine_zone() {
    // 09:30 UTC is 18:30 in Tokyo: the call center is open (FY2026, until 19:00).
    for tz in ["UTC", "America/New_York", "Pacific/Kiritimati", "Asia/Tokyo"] {
        let out = run_tsunagu(
            repo_root(),
            &["calendar", "status", "call-center", "--at", "2026-04-04T09:30:00Z"],
            &[("TZ", tz)],
        );
        assert_eq!(
            stdout(&out),
            "call-center\topen\tuntil 2026-04-04 19:00\n",
            "TZ={tz}: {}",
            stderr(&out)
        );
    }
    let out = run_tsunagu(
        repo_root(),
        &["calendar", "status", "call-center", "--at", "2026-11-23T12:00"],
        &[("TZ", "America/Los_Angeles")],
    );
    assert_eq!(
        stdout(&out),
        "call-center\tclosed\tnational holiday: Labour Thanksgiving Day (勤労感謝の日)\topens 2026-11-24 09:00 (Tue)\n"
    );
    // With no time given it answers for now; every shipped calendar gets a line.
    let out = run_tsunagu(repo_root(), &["calendar", "status"], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out).lines().count(), 4, "{}", stdout(&out));
}

#[test]
fn open_days_counts_each_month() {
    let out = run_tsunagu(
        repo_root(),
        &["calendar", "open-days", "kawasaki-card-center", "2026"],
        &[],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("2026-05\t22\n"), "{}", stdout(&out));
    assert!(
        stdout(&out).starts_with("2026-01\t0\n"),
        "no FY2025 hours for the centers: {}",
        stdout(&out)
    );
}

/// A supervisor closes the call center for maintenance by saving a calendar in the database;
/// a later broken change is refused and the last good revision stays in force.
#[tokio::test]
async fn import_saves_a_revision_and_refuses_a_broken_one_on_both_backends() {
    let shipped = std::fs::read_to_string(repo_root().join("ops/config/calendars/call-center.toml"))
        .unwrap_or_else(|e| panic!("{e}"));
    let maintenance = format!(
        "{shipped}\n[[closure]]\nreason = \"システムメンテナンス (system maintenance)\"\ncategory = \"maintenance\"\ndate = 2026-06-01\n"
    );
    let broken = maintenance.replace("date = 2026-06-01", "date = 2026-06-31");
    for db in TestDatabase::both().await {
        let work = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let (good_file, bad_file) = (work.path().join("cc.toml"), work.path().join("cc-broken.toml"));
        std::fs::write(&good_file, &maintenance).unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(&bad_file, &broken).unwrap_or_else(|e| panic!("{e}"));
        let env = [("TSUNAGU_DATABASE_URL", db.url.as_str())];
        let dir = work.path();
        let status_args = ["calendar", "status", "call-center", "--at", "2026-06-01T10:00"];

        let before = run_tsunagu(dir, &status_args, &env);
        assert!(
            stdout(&before).contains("\topen\t"),
            "{}{}",
            stdout(&before),
            stderr(&before)
        );

        let good_arg = good_file.to_string_lossy().into_owned();
        let out = run_tsunagu(
            dir,
            &[
                "calendar",
                "import",
                &good_arg,
                "--by",
                "sv-sato",
                "--note",
                "maintenance",
            ],
            &env,
        );
        assert!(out.status.success(), "{}", stderr(&out));
        assert_eq!(stdout(&out), "saved call-center as revision 1\n");
        let after = run_tsunagu(dir, &status_args, &env);
        assert!(
            stdout(&after).contains(
                "closed\ttemporary closure: システムメンテナンス (system maintenance)\topens 2026-06-02 09:00"
            ),
            "{}",
            stdout(&after)
        );

        let bad_arg = bad_file.to_string_lossy().into_owned();
        let out = run_tsunagu(dir, &["calendar", "import", &bad_arg], &env);
        assert_eq!(out.status.code(), Some(1));
        assert!(stderr(&out).contains("line "), "{}", stderr(&out));
        assert!(stderr(&out).contains("nothing was saved"), "{}", stderr(&out));
        let still = run_tsunagu(dir, &status_args, &env);
        assert_eq!(stdout(&still), stdout(&after), "the last good revision stays in force");

        let history = run_tsunagu(dir, &["calendar", "history", "call-center"], &env);
        let lines: Vec<String> = stdout(&history).lines().map(str::to_string).collect();
        assert_eq!(lines.len(), 1, "{lines:?}");
        assert!(
            lines[0].starts_with("1\t") && lines[0].ends_with("\tsv-sato\tmaintenance"),
            "{lines:?}"
        );
    }
}

#[test]
fn without_a_database_url_the_data_dir_database_is_created_by_import_only() {
    let work = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let out = run_tsunagu(
        work.path(),
        &["calendar", "status", "call-center", "--at", "2026-06-01T10:00"],
        &[],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        !work.path().join("data").exists(),
        "a read-only command created the data dir"
    );
    let cal = repo_root().join("ops/config/calendars/call-center.toml");
    let cal_arg = cal.to_string_lossy().into_owned();
    let out = run_tsunagu(work.path(), &["calendar", "import", &cal_arg], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(work.path().join("data/tsunagu.db").exists());
}
