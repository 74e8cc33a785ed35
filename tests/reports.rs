//! The reports the city receives, from the command line: the monthly report of November 2026
//! (the known day of `tests/metrics.rs` and the six days before it, a complaint, a security
//! incident, bookings at two offices) as JSON, CSV for Excel, printable HTML and PDF; the PDF's
//! text is extracted (pdftotext) and its pages rendered (pdftoppm) and checked not blank; the
//! daily report as HTML and PDF. No personal information gets in: not the wrap-up's notes,
//! not a caller's number.

mod common;

use std::path::Path;

use common::center::{Center, Options};
use common::known_day::{self, write_day, write_week};
use common::staff::{add_user, get_bytes, http, log_in};
use common::{run_tsunagu, stderr};
use tsunagu::journal::{FiledWrapUp, WrapUp};
use tsunagu::store::Store;
use tsunagu::store::bookings::{BookingEvent, BookingRow};
use tsunagu::store::journal::{Journal, JournalLimits};

/// The notes an agent wrote: they must never reach a report.
const PRIVATE_NOTE: &str = "山田様 090-1234-5678 の件";

async fn prepare(dir: &Path) {
    let url = format!("sqlite://{}", dir.join("tsunagu.db").display());
    let store = Store::connect(&url).await.unwrap_or_else(|e| panic!("{e}"));
    let journal = Journal::start(store.clone(), JournalLimits::default());
    write_day(&journal).await;
    write_week(&journal);
    journal.flush().await;
    journal
        .wrap_up(FiledWrapUp {
            call: "w2-0".into(),
            agent: "sato".into(),
            saved_at: known_day::tokyo(jiff::civil::date(2026, 11, 26), "12:00:00"),
            form: WrapUp {
                category: "complaint".into(),
                escalation: true,
                escalation_note: "市の判断が必要".into(),
                complaint: true,
                notes: PRIVATE_NOTE.into(),
                faq: Vec::new(),
            },
        })
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    for (code, office, service, slot, status, call) in [
        (
            "K1",
            "kawasaki-center-kosugi",
            "card_pickup",
            "2026-11-20T10:00",
            "booked",
            "a02",
        ),
        (
            "K2",
            "kawasaki-center-kosugi",
            "card_pickup",
            "2026-11-20T10:30",
            "booked",
            "",
        ),
        (
            "K3",
            "kawasaki-center-kosugi",
            "card_pickup",
            "2026-11-21T10:30",
            "cancelled",
            "",
        ),
        (
            "M1",
            "kawasaki-center-mizonokuchi",
            "certificate_renewal",
            "2026-11-25T14:00",
            "booked",
            "a09",
        ),
        (
            "D1",
            "kawasaki-center-mizonokuchi",
            "certificate_renewal",
            "2026-12-01T14:00",
            "booked",
            "",
        ),
    ] {
        let row = BookingRow {
            code: code.into(),
            secret_hash: String::new(),
            office: office.into(),
            service: service.into(),
            slot_start: slot.into(),
            slot_minutes: 30,
            status: status.into(),
            channel: if call.is_empty() { "web" } else { "phone" }.into(),
            booked_by: String::new(),
            call_id: call.into(),
            visitor: "self".into(),
            confirmations: "[]".into(),
            email: None,
            created_at: "2026-11-01T00:00:00Z".into(),
            updated_at: "2026-11-01T00:00:00Z".into(),
        };
        let event = BookingEvent {
            kind: "created".into(),
            actor: "test".into(),
            channel: row.channel.clone(),
            at: jiff::Timestamp::UNIX_EPOCH,
            before: String::new(),
            after: String::new(),
            reason: String::new(),
            address: String::new(),
        };
        store.book(&row, 10, &event).await.unwrap_or_else(|e| panic!("{e}"));
    }
    store.close().await;
}

fn tsunagu(dir: &Path, args: &[&str]) -> std::process::Output {
    let data_dir = dir.display().to_string();
    // The shipped FAQ book names the entries the report lists.
    let config = dir.join("tsunagu.toml");
    let faq = common::center::repo().join("faq");
    std::fs::write(&config, format!("[paths]\nfaq = {:?}\n", faq.display().to_string()))
        .unwrap_or_else(|e| panic!("{e}"));
    let config = config.display().to_string();
    let mut all: Vec<&str> = args.to_vec();
    all.extend(["--data-dir", data_dir.as_str(), "--config", config.as_str()]);
    let out = run_tsunagu(dir, &all, &[]);
    assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    out
}

fn tool(program: &str, args: &[&str]) -> std::process::Output {
    let out = std::process::Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{program} (poppler-utils, installed by ops/test): {e}"));
    assert!(
        out.status.success(),
        "{program}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Pages of `pdf` rendered to grey images: each page's share of dark pixels.
fn ink_per_page(pdf: &Path, dir: &Path, keep: Option<&str>) -> Vec<f64> {
    let prefix = dir.join("page");
    tool(
        "pdftoppm",
        &[
            "-r",
            "60",
            "-gray",
            &pdf.display().to_string(),
            &prefix.display().to_string(),
        ],
    );
    if let Some(shots) = keep {
        tool(
            "pdftoppm",
            &[
                "-r",
                "80",
                "-png",
                "-f",
                "1",
                "-l",
                "2",
                &pdf.display().to_string(),
                &format!("{shots}/monthly-report"),
            ],
        );
    }
    let mut pages: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{e}"))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "pgm"))
        .collect();
    pages.sort();
    pages
        .iter()
        .map(|page| {
            let bytes = std::fs::read(page).unwrap_or_else(|e| panic!("{e}"));
            // P5 <width> <height> <max>\n then one byte a pixel.
            let mut fields = 0;
            let mut start = 0;
            for (i, b) in bytes.iter().enumerate() {
                if b.is_ascii_whitespace() && i > 0 && !bytes[i - 1].is_ascii_whitespace() {
                    fields += 1;
                    if fields == 4 {
                        start = i + 1;
                        break;
                    }
                }
            }
            let pixels = &bytes[start..];
            pixels.iter().filter(|p| **p < 128).count() as f64 / pixels.len().max(1) as f64
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_monthly_report_of_november_reads_in_japanese_as_json_csv_html_and_pdf() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    prepare(dir.path()).await;
    tsunagu(
        dir.path(),
        &[
            "report",
            "incident",
            "--date",
            "2026-11-12",
            "--summary",
            "<b>不審な大量ログイン試行</b>（遮断済み）",
            "--by",
            "admin",
        ],
    );

    let json: serde_json::Value = serde_json::from_slice(
        &tsunagu(
            dir.path(),
            &["report", "monthly", "--month", "2026-11", "--format", "json"],
        )
        .stdout,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(json["title_month"], "2026年11月（令和8年11月）");
    // Due on the third day the ward offices open after November: Tue 1, Wed 2, Thu 3 December.
    assert_eq!(json["due"], "2026-12-03");
    assert_eq!(json["days"].as_array().map(Vec::len), Some(30));
    assert_eq!(
        (json["total"]["offered"].as_u64(), json["total"]["answered"].as_u64()),
        (Some(189), Some(157))
    );
    let missed: Vec<&str> = json["missed_days"]
        .as_array()
        .map(|d| d.iter().filter_map(|d| d["date"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(missed, ["2026-11-26", "2026-11-29", "2026-11-30"]);
    // 30th: 9 offered need 8 answers (85 % rounded up); 4 answered.
    assert_eq!(json["missed_days"][2]["short_by"], 4);
    let indicators = json["indicators"].as_array().cloned().unwrap_or_default();
    assert_eq!(indicators[0]["actual"], "7 日中 4 日達成 (4 of 7 days)");
    assert_eq!(indicators[0]["met"], false);
    assert_eq!(indicators[1]["met"], false, "83.1 %");
    assert_eq!(
        (indicators[2]["actual"].as_str(), indicators[2]["met"].as_bool()),
        (Some("1 件"), Some(false))
    );
    assert_eq!(json["plan_required"], true);
    assert_eq!(
        (json["escalations"].as_i64(), json["complaints"].as_i64()),
        (Some(1), Some(1))
    );
    assert_eq!(
        json["categories"][0]["label"],
        "電子証明書の更新（renewal/certificate）"
    );
    assert_eq!(json["categories"][0]["calls"], 2);
    // Bookings by appointment date in November: December's is not counted.
    let bookings = json["bookings"].as_array().cloned().unwrap_or_default();
    assert_eq!(bookings.len(), 2, "{}", json["bookings"]);
    assert_eq!(
        bookings[0]["office"], "小杉マイナンバーカードセンター（メインセンター）",
        "{}",
        json["bookings"]
    );
    assert_eq!(bookings[0]["service"], "カード交付予約");
    assert_eq!(
        (
            bookings[0]["booked"].as_i64(),
            bookings[0]["by_phone"].as_i64(),
            bookings[0]["cancelled"].as_i64()
        ),
        (Some(2), Some(1), Some(1))
    );
    // FAQ entries used on calls (a02 and a09 used the renewal entry, a03 and a09 the store one).
    let used: Vec<(String, i64)> = json["faq_used"]
        .as_array()
        .map(|u| {
            u.iter()
                .map(|f| {
                    (
                        f["id"].as_str().unwrap_or("").to_string(),
                        f["count"].as_i64().unwrap_or(0),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(
        used,
        [
            ("certificate-renewal".to_string(), 2),
            ("convenience-store".to_string(), 2)
        ],
        "{}",
        json["faq_used"]
    );
    assert!(
        json["faq_used"][0]["question"]
            .as_str()
            .is_some_and(|q| q.contains("電子証明書")),
        "{}",
        json["faq_used"]
    );
    let everything = json.to_string();
    assert!(
        !everything.contains("山田") && !everything.contains("090-1234"),
        "no personal information"
    );

    let csv = tsunagu(
        dir.path(),
        &["report", "monthly", "--month", "2026-11", "--format", "csv"],
    )
    .stdout;
    assert!(
        csv.starts_with("\u{feff}".as_bytes()),
        "a BOM so that Excel reads UTF-8"
    );
    let csv = String::from_utf8_lossy(&csv[3..]).into_owned();
    for expected in [
        "日別実績 days",
        "2026-11-30,月,11,1,9,4,44.4,33.3,20.0,2,2,",
        "月計 month,,",
        "サービスレベルの検証 service-level verification",
        "問い合わせの分類 categories",
        "苦情 complaints,1",
        "セキュリティ事故 security incidents,1",
    ] {
        assert!(csv.contains(expected), "{expected}: {csv}");
    }

    let html =
        String::from_utf8_lossy(&tsunagu(dir.path(), &["report", "monthly", "--month", "2026-11"]).stdout).into_owned();
    for expected in [
        "<html lang=\"ja\">",
        "月次報告書",
        "2026年11月（令和8年11月）分",
        "提出期限 2026-12-03",
        "<span class=\"missed\">未達</span>",
        "未達の指標があるため、改善計画を記入してください。",
        "&lt;b&gt;不審な大量ログイン試行&lt;/b&gt;",
    ] {
        assert!(html.contains(expected), "{expected}");
    }
    assert!(!html.contains("<b>不審"), "values are escaped");
    assert!(!html.contains("山田"), "no personal information");

    // With the plan the supervisor wrote, as a PDF.
    let plan = dir.path().join("plan.txt");
    std::fs::write(
        &plan,
        "夕方の時間帯に2名増員し、待ち呼が5件を超えたら休憩を繰り下げる。",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let pdf = dir.path().join("monthly.pdf");
    tsunagu(
        dir.path(),
        &[
            "report",
            "monthly",
            "--month",
            "2026-11",
            "--format",
            "pdf",
            "--plan",
            &plan.display().to_string(),
            "--output",
            &pdf.display().to_string(),
        ],
    );
    let bytes = std::fs::read(&pdf).unwrap_or_else(|e| panic!("{e}"));
    assert!(bytes.starts_with(b"%PDF"), "a PDF");
    let info = String::from_utf8_lossy(&tool("pdfinfo", &[&pdf.display().to_string()]).stdout).into_owned();
    let pages: usize = info
        .lines()
        .find_map(|l| l.strip_prefix("Pages:").map(|n| n.trim().parse().unwrap_or(0)))
        .unwrap_or(0);
    assert!(pages >= 2, "the days' table starts a page of its own: {info}");
    assert!(info.contains("A4") || info.contains("595"), "A4: {info}");
    let text =
        String::from_utf8_lossy(&tool("pdftotext", &["-layout", &pdf.display().to_string(), "-"]).stdout).into_owned();
    for expected in [
        "月次報告書",
        "2026年11月（令和8年11月）分",
        "83.1 %",
        "サービスレベルの検証",
        "夕方の時間帯に2名増員し",
        "セキュリティ事故",
        "質疑応答集（FAQ）",
        "小杉マイナンバーカードセンター",
        "日別実績",
    ] {
        assert!(text.contains(expected), "{expected} in the PDF's text: {text}");
    }
    let shots = std::env::var("TSUNAGU_SCREENSHOTS").ok();
    let rendered = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let ink = ink_per_page(&pdf, rendered.path(), shots.as_deref());
    assert_eq!(ink.len(), pages);
    for (i, share) in ink.iter().enumerate() {
        assert!(*share > 0.002, "page {} has text and lines on it: {ink:?}", i + 1);
    }

    // The daily report of the known day.
    let daily = String::from_utf8_lossy(
        &tsunagu(
            dir.path(),
            &["report", "daily", "--date", known_day::DAY, "--format", "html"],
        )
        .stdout,
    )
    .into_owned();
    assert!(
        daily.contains("日次報告書") && daily.contains("44.4 %") && daily.contains("目標未達"),
        "{daily}"
    );
    let daily_pdf = dir.path().join("daily.pdf");
    tsunagu(
        dir.path(),
        &[
            "report",
            "daily",
            "--date",
            known_day::DAY,
            "--format",
            "pdf",
            "--output",
            &daily_pdf.display().to_string(),
        ],
    );
    let text = String::from_utf8_lossy(&tool("pdftotext", &["-layout", &daily_pdf.display().to_string(), "-"]).stdout)
        .into_owned();
    assert!(text.contains("日次報告書") && text.contains("時間帯別"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn city_staff_download_the_same_reports_from_the_browser_side() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    prepare(dir.path()).await;
    let center = Center::start(Options {
        database_url: Some(format!("sqlite://{}", dir.path().join("tsunagu.db").display())),
        ..Options::default()
    })
    .await;
    // The command line with the center's calendars.
    let calendars = center.dir.path().join("calendars").display().to_string();
    let from_cli: serde_json::Value = serde_json::from_slice(
        &tsunagu(
            dir.path(),
            &[
                "report",
                "monthly",
                "--month",
                "2026-11",
                "--format",
                "json",
                "--calendars",
                &calendars,
            ],
        )
        .stdout,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    add_user(&center, "city1", "city", &[]).await;
    add_user(&center, "aoki", "agent", &[("ja", 3)]).await;
    let city = log_in(&center, "city1").await;
    let as_city = [("Cookie", city.as_str())];

    let (status, _, body) = http(
        &center,
        "GET",
        "/api/reports/monthly?month=2026-11&format=json",
        &as_city,
        "",
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let mut from_web: serde_json::Value = serde_json::from_str(&body).unwrap_or_else(|e| panic!("{e}"));
    let mut expected = from_cli.clone();
    for report in [&mut from_web, &mut expected] {
        report["made_at"] = serde_json::Value::Null;
    }
    assert_eq!(from_web, expected, "the browser's report is the command line's");

    let (status, head, pdf) = get_bytes(&center, "/api/reports/monthly?month=2026-11&format=pdf", &as_city).await;
    assert_eq!(status, 200, "{head}");
    assert!(pdf.starts_with(b"%PDF"), "{head}");
    assert!(head.contains("monthly-report-2026-11.pdf"), "{head}");
    let (status, _, csv) = get_bytes(&center, "/api/reports/monthly?month=2026-11&format=csv", &as_city).await;
    assert_eq!(status, 200);
    assert!(csv.starts_with("\u{feff}".as_bytes()));
    let (status, _, html) = http(&center, "GET", "/api/reports/daily?date=2026-11-30", &as_city, "").await;
    assert_eq!(status, 200);
    assert!(html.contains("日次報告書") && html.contains("44.4 %"), "{html}");

    let agent = log_in(&center, "aoki").await;
    let (status, _, _) = http(
        &center,
        "GET",
        "/api/reports/monthly?month=2026-11",
        &[("Cookie", agent.as_str())],
        "",
    )
    .await;
    assert_eq!(status, 403, "agents do not receive the city's reports");
    let (status, _, _) = http(&center, "GET", "/api/reports/monthly?month=2026-11", &[], "").await;
    assert_eq!(status, 401);
    let (status, _, body) = http(&center, "GET", "/api/reports/monthly?month=2026-13", &as_city, "").await;
    assert_eq!(status, 400, "{body}");

    // The page city staff use, in Chromium.
    let base = format!("http://{}", center.running.http_addr);
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new("node")
            .arg(common::center::repo().join("tests/browser/reports.mjs"))
            .args([base.as_str(), "city1", common::staff::PASSWORD, "2026-11", "2026-11-30"])
            .stderr(std::process::Stdio::inherit())
            .output()
    })
    .await
    .unwrap_or_else(|e| panic!("{e}"))
    .unwrap_or_else(|e| panic!("node: {e}"));
    let shown: serde_json::Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&output.stdout)));
    assert!(output.status.success(), "{shown}");
    assert_eq!(
        shown["monthly"], "/api/reports/monthly?month=2026-11&format=html",
        "{shown}"
    );
    assert_eq!(
        shown["title"], "マイナンバーカード コールセンター 月次報告書",
        "{shown}"
    );
    assert_eq!(shown["period"], "2026年11月（令和8年11月）分", "{shown}");
    assert_eq!(
        (shown["csv_name"].as_str(), shown["csv_bom"].as_str()),
        (Some("daily-report-2026-11-30.csv"), Some("efbbbf"))
    );

    // The jobs write yesterday's daily and last month's monthly report from 06:00 Tokyo.
    let at = |date: jiff::civil::Date, time: &str| -> jiff::Timestamp {
        known_day::tokyo(date, time).parse().unwrap_or_else(|e| panic!("{e}"))
    };
    let reports = center.dir.path().join("data").join("reports");
    let december = |day: i8| jiff::civil::date(2026, 12, day);
    center.running.jobs.run_all(at(december(1), "05:59:00")).await;
    assert!(!reports.join("daily/2026-11-30.html").exists(), "not before 06:00");
    center.running.jobs.run_all(at(december(1), "06:30:00")).await;
    let daily = std::fs::read_to_string(reports.join("daily/2026-11-30.html")).unwrap_or_else(|e| panic!("{e}"));
    assert!(daily.contains("日次報告書") && daily.contains("44.4 %"), "{daily}");
    let csv = std::fs::read(reports.join("daily/2026-11-30.csv")).unwrap_or_else(|e| panic!("{e}"));
    assert!(csv.starts_with("\u{feff}".as_bytes()));
    let monthly = std::fs::read_to_string(reports.join("monthly/2026-11.html")).unwrap_or_else(|e| panic!("{e}"));
    assert!(monthly.contains("2026年11月（令和8年11月）分"), "{monthly}");
    assert!(reports.join("monthly/2026-11.csv").exists());
    // Written once: a later run leaves the file as it was.
    std::fs::write(reports.join("daily/2026-11-30.html"), "kept").unwrap_or_else(|e| panic!("{e}"));
    center.running.jobs.run_all(at(december(1), "09:00:00")).await;
    assert_eq!(
        std::fs::read_to_string(reports.join("daily/2026-11-30.html"))
            .ok()
            .as_deref(),
        Some("kept")
    );
}
