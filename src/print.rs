//! Printing our own HTML to PDF with the machine's Chromium (`chromium --headless
//! --print-to-pdf`): the printable HTML report and its PDF are then one rendering, with the
//! Japanese fonts the machine has (Debian's `fonts-noto-cjk`). A PDF library would need its
//! own CJK font embedded and a second layout of every report; Chromium is already what the
//! staff pages are tested with.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[derive(Debug, thiserror::Error)]
pub enum PrintError {
    #[error("cannot run {program} to print the PDF (install Debian's chromium, or set reports.chromium): {source}")]
    Start { program: String, source: std::io::Error },
    #[error("{program} did not print the PDF within {seconds} s")]
    TimedOut { program: String, seconds: u64 },
    #[error("{program} failed to print the PDF: {detail}")]
    Failed { program: String, detail: String },
    #[error("cannot use a temporary folder for printing: {0}")]
    Io(#[from] std::io::Error),
}

/// How long one report may take to print.
const LIMIT: Duration = Duration::from_secs(90);

/// The PDF of `html` (A4, as the page's `@page` says), printed by `chromium`.
#[allow(clippy::disallowed_methods)] // an edge: it waits on a child process
pub fn html_to_pdf(html: &str, chromium: &Path) -> Result<Vec<u8>, PrintError> {
    let dir = tempfile::tempdir()?;
    let page = dir.path().join("report.html");
    let pdf = dir.path().join("report.pdf");
    std::fs::write(&page, html)?;
    let program = chromium.display().to_string();
    let mut child = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--no-pdf-header-footer",
            "--print-to-pdf-no-header",
        ])
        .arg(format!("--user-data-dir={}", dir.path().join("profile").display()))
        .arg(format!("--print-to-pdf={}", pdf.display()))
        .arg(format!("file://{}", page.display()))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|source| PrintError::Start {
            program: program.clone(),
            source,
        })?;
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if started.elapsed() > LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            return Err(PrintError::TimedOut {
                program,
                seconds: LIMIT.as_secs(),
            });
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let bytes = std::fs::read(&pdf).unwrap_or_default();
    if !status.success() || !bytes.starts_with(b"%PDF") {
        let mut detail = String::new();
        if let Some(mut err) = child.stderr.take() {
            use std::io::Read;
            let _ = err.read_to_string(&mut detail);
        }
        let last: Vec<&str> = detail.lines().rev().take(3).collect();
        return Err(PrintError::Failed {
            program,
            detail: format!("{status}: {}", last.join(" / ")),
        });
    }
    Ok(bytes)
}
