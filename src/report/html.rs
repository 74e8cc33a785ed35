//! The reports as printable HTML (A4, Japanese), which is also what the PDF is printed from.
//! Every value is escaped; nothing here reads anything but the report.

use std::fmt::Write;

use super::metrics::DayFigures;
use super::monthly::MonthlyReport;
use super::table::item_name;

/// Escapes text for HTML element content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn pct(rate: Option<f64>) -> String {
    rate.map_or_else(|| "—".to_string(), |r| format!("{:.1} %", r * 100.0))
}

fn secs(s: Option<f64>) -> String {
    s.map_or_else(|| "—".to_string(), |s| format!("{s:.0} 秒"))
}

fn verdict(met: Option<bool>) -> &'static str {
    match met {
        Some(true) => "<span class=\"met\">達成</span>",
        Some(false) => "<span class=\"missed\">未達</span>",
        None => "—",
    }
}

const STYLE: &str = r#"
  @page { size: A4; margin: 16mm 14mm; }
  body { font-family: "Noto Sans CJK JP", "Noto Sans JP", "Hiragino Sans", sans-serif; color: #111; font-size: 10.5pt; line-height: 1.5; }
  h1 { font-size: 17pt; margin: 0 0 4pt; }
  h2 { font-size: 12.5pt; border-bottom: 1.5pt solid #1d3557; padding-bottom: 2pt; margin: 16pt 0 6pt; }
  .meta { color: #444; font-size: 9.5pt; }
  table { border-collapse: collapse; width: 100%; margin: 4pt 0; }
  th, td { border: 0.6pt solid #888; padding: 2.5pt 5pt; text-align: right; }
  th { background: #e8edf4; font-weight: 600; }
  td.l, th.l { text-align: left; }
  .met { color: #1b7a3a; font-weight: 700; }
  .missed { color: #b3261e; font-weight: 700; }
  tr.miss td { background: #fbe9e7; }
  .plan { border: 1pt solid #555; min-height: 60mm; padding: 6pt; white-space: pre-wrap; }
  .note { font-size: 9pt; color: #444; }
  .break { break-before: page; }
  .big { font-size: 15pt; font-weight: 700; }
  table.text td, table.text th { text-align: left; }
  table.text td:last-child, table.text th:last-child { text-align: center; white-space: nowrap; width: 10%; }
"#;

fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"ja\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n{body}</body>\n</html>\n",
        escape(title)
    )
}

fn row(out: &mut String, cells: &[String]) {
    out.push_str("<tr>");
    for (i, c) in cells.iter().enumerate() {
        if i == 0 {
            let _ = write!(out, "<td class=\"l\">{c}</td>");
        } else {
            let _ = write!(out, "<td>{c}</td>");
        }
    }
    out.push_str("</tr>\n");
}

fn head(out: &mut String, cells: &[&str]) {
    out.push_str("<tr>");
    for (i, c) in cells.iter().enumerate() {
        let class = if i == 0 { " class=\"l\"" } else { "" };
        let _ = write!(out, "<th{class}>{c}</th>");
    }
    out.push_str("</tr>\n");
}

/// The monthly report (月次報告書).
pub fn monthly_html(r: &MonthlyReport) -> String {
    let mut b = String::new();
    let _ = write!(
        b,
        "<h1>マイナンバーカード コールセンター 月次報告書</h1>\n<p class=\"big\">{}分</p>\n<p class=\"meta\">作成 {} ・ 提出期限 {} ・ 目標 日次応答率 {:.0} % 以上</p>\n",
        escape(&r.title_month),
        escape(&r.made_at),
        escape(r.due.as_deref().unwrap_or("—")),
        r.target * 100.0
    );
    let t = &r.total;
    b.push_str("<h2>1. 概要</h2>\n<table>\n");
    head(&mut b, &["項目", "件数・値"]);
    for (label, value) in [
        ("営業日数", format!("{} 日", r.open_days)),
        ("受信件数（時間外を含む）", t.received.to_string()),
        ("時間外の着信", t.out_of_hours.to_string()),
        ("入電件数（応答率の分母）", t.offered.to_string()),
        ("応答件数", t.answered.to_string()),
        ("応答率", pct(t.answer_rate)),
        (
            &*format!("サービスレベル（{} 秒以内応答）", r.service_level_seconds),
            pct(t.service_level),
        ),
        ("平均応答時間", secs(t.average_speed_of_answer_seconds)),
        ("平均処理時間（通話＋後処理）", secs(t.average_handling_seconds)),
        (
            "放棄（うち短時間放棄）",
            format!("{}（{}）", t.abandoned, t.short_abandons),
        ),
        ("話中・受付制限", (t.busy + t.shed).to_string()),
        ("他番号への転送", t.transferred_away.to_string()),
        ("折り返し発信", t.call_backs.to_string()),
    ] {
        row(&mut b, &[label.to_string(), value]);
    }
    b.push_str("</table>\n");

    b.push_str("<h2>2. サービスレベルの検証</h2>\n<table class=\"text\">\n");
    head(&mut b, &["指標", "目標", "実績", "判定"]);
    for i in &r.indicators {
        row(
            &mut b,
            &[
                escape(i.name),
                escape(&i.target),
                escape(&i.actual),
                verdict(i.met).to_string(),
            ],
        );
    }
    b.push_str("</table>\n");

    b.push_str("<h2>3. 目標を下回った日と時間帯</h2>\n");
    if r.missed_days.is_empty() {
        b.push_str("<p>日次応答率が 85 % を下回った日はありません。</p>\n");
    } else {
        b.push_str("<table>\n");
        head(
            &mut b,
            &["日付", "曜日", "入電", "応答", "応答率", "85 %に不足した応答"],
        );
        for d in &r.missed_days {
            row(
                &mut b,
                &[
                    escape(&d.date),
                    d.weekday.to_string(),
                    d.offered.to_string(),
                    d.answered.to_string(),
                    pct(Some(d.answer_rate)),
                    d.short_by.to_string(),
                ],
            );
        }
        b.push_str("</table>\n");
    }
    if !r.missed_intervals.is_empty() {
        b.push_str("<p>月間を通して応答率が 85 % を下回った時間帯（到着時刻の30分単位）</p>\n<table>\n");
        head(&mut b, &["時間帯", "入電", "応答", "応答率"]);
        for i in &r.missed_intervals {
            row(
                &mut b,
                &[
                    escape(&i.start),
                    i.offered.to_string(),
                    i.answered.to_string(),
                    pct(Some(i.answer_rate)),
                ],
            );
        }
        b.push_str("</table>\n");
    }
    b.push_str("<h2>4. 改善計画</h2>\n");
    match (&r.plan, r.plan_required) {
        (Some(plan), _) => {
            let _ = writeln!(b, "<div class=\"plan\">{}</div>", escape(plan));
        }
        (None, true) => {
            b.push_str("<p>未達の指標があるため、改善計画を記入してください。</p>\n<div class=\"plan\"></div>\n")
        }
        (None, false) => b.push_str("<p>すべての指標を達成しました。</p>\n"),
    }

    b.push_str("<h2>5. 問い合わせの分類</h2>\n");
    if r.categories.is_empty() {
        b.push_str("<p>後処理で分類された問い合わせはありません。</p>\n");
    } else {
        b.push_str("<table>\n");
        head(&mut b, &["分類", "件数", "構成比"]);
        for c in &r.categories {
            row(&mut b, &[escape(&c.label), c.calls.to_string(), pct(Some(c.share))]);
        }
        b.push_str("</table>\n");
    }
    if !r.languages.is_empty() {
        b.push_str("<table>\n");
        head(&mut b, &["言語", "受信", "応答"]);
        for l in &r.languages {
            row(
                &mut b,
                &[escape(&l.label), l.received.to_string(), l.answered.to_string()],
            );
        }
        b.push_str("</table>\n");
    }
    let _ = write!(
        b,
        "<h2>6. エスカレーション・苦情</h2>\n<table>\n<tr><th class=\"l\">区分</th><th>件数</th></tr>\n<tr><td class=\"l\">市へのエスカレーション（後処理で記録）</td><td>{}</td></tr>\n<tr><td class=\"l\">苦情（後処理で記録）</td><td>{}</td></tr>\n</table>\n",
        r.escalations, r.complaints
    );
    if r.cases.is_empty() {
        b.push_str("<p>この月に受け付けた案件はありません。</p>\n");
    } else {
        b.push_str("<table>\n");
        head(&mut b, &["案件の種別", "状態", "結果", "件数"]);
        for c in &r.cases {
            row(
                &mut b,
                &[
                    escape(&c.kind),
                    escape(&c.status),
                    escape(if c.outcome.is_empty() { "—" } else { &c.outcome }),
                    c.cases.to_string(),
                ],
            );
        }
        b.push_str("</table>\n");
    }
    b.push_str("<h2>7. 質疑応答集（FAQ）</h2>\n");
    if r.faq_used.is_empty() {
        b.push_str("<p>後処理で記録された FAQ の利用はありません。</p>\n");
    } else {
        b.push_str("<table>\n");
        head(&mut b, &["FAQ", "質問", "利用した通話"]);
        for f in &r.faq_used {
            row(&mut b, &[escape(&f.id), escape(&f.question), f.count.to_string()]);
        }
        b.push_str("</table>\n");
    }
    if r.faq_approved.is_empty() {
        b.push_str("<p>この月に承認された追加・改訂はありません。</p>\n");
    } else {
        b.push_str("<p>この月に承認された追加・改訂</p>\n<table>\n");
        head(&mut b, &["FAQ", "質問", "版"]);
        for f in &r.faq_approved {
            row(&mut b, &[escape(&f.id), escape(&f.question), f.count.to_string()]);
        }
        b.push_str("</table>\n");
    }
    let _ = write!(b, "<h2>8. セキュリティ事故</h2>\n<p>{} 件", r.incidents.len());
    b.push_str(if r.incidents.is_empty() {
        "（指標「0件」を達成）</p>\n"
    } else {
        "</p>\n<table>\n<tr><th class=\"l\">発生日</th><th class=\"l\">概要</th></tr>\n"
    });
    if !r.incidents.is_empty() {
        for i in &r.incidents {
            let _ = writeln!(
                b,
                "<tr><td class=\"l\">{}</td><td class=\"l\">{}</td></tr>",
                escape(&i.occurred_on),
                escape(&i.summary)
            );
        }
        b.push_str("</table>\n");
    }
    b.push_str("<h2>9. 予約件数（窓口別・予約日基準）</h2>\n");
    if r.bookings.is_empty() {
        b.push_str("<p>この月の予約はありません。</p>\n");
    } else {
        b.push_str("<table>\n");
        head(&mut b, &["窓口", "手続", "予約", "うち電話", "取消"]);
        for o in &r.bookings {
            row(
                &mut b,
                &[
                    escape(&o.office),
                    escape(&o.service),
                    o.booked.to_string(),
                    o.by_phone.to_string(),
                    o.cancelled.to_string(),
                ],
            );
        }
        b.push_str("</table>\n");
    }

    b.push_str("<h2 class=\"break\">10. 日別実績</h2>\n<table>\n");
    head(
        &mut b,
        &[
            "日付",
            "曜日",
            "受信",
            "時間外",
            "入電",
            "応答",
            "応答率",
            "SL",
            "平均応答",
            "放棄",
            "話中",
            "判定",
        ],
    );
    for d in &r.days {
        let class = if d.met == Some(false) { " class=\"miss\"" } else { "" };
        let _ = write!(b, "<tr{class}>");
        let _ = write!(b, "<td class=\"l\">{}</td>", escape(&d.date));
        let judged = match (&d.closed, d.met) {
            (Some(reason), None) => escape(reason),
            (_, met) => verdict(met).to_string(),
        };
        for cell in [
            d.weekday.to_string(),
            d.received.to_string(),
            d.out_of_hours.to_string(),
            d.offered.to_string(),
            d.answered.to_string(),
            pct(d.answer_rate),
            pct(d.service_level),
            secs(d.average_speed_of_answer_seconds),
            d.abandoned.to_string(),
            d.busy.to_string(),
            judged,
        ] {
            let _ = write!(b, "<td>{cell}</td>");
        }
        b.push_str("</tr>\n");
    }
    b.push_str("</table>\n");
    b.push_str(
        "<p class=\"note\">定義：入電＝受付時間内の着信（話中・受付制限・転送・放棄を含む）。応答率＝応答÷入電。受付時間内かどうかは着信時の営業カレンダーで決まり、後の訂正で過去の日は変わりません。本報告書に個人情報は含まれません。</p>\n",
    );
    page(&format!("月次報告書 {}", r.month), &b)
}

/// The daily report (日次報告書).
pub fn daily_html(f: &DayFigures, categories: &[(String, i64)], made_at: &str) -> String {
    let mut b = String::new();
    let d = &f.day;
    let _ = write!(
        b,
        "<h1>マイナンバーカード コールセンター 日次報告書</h1>\n<p class=\"big\">{}</p>\n<p class=\"meta\">作成 {}</p>\n",
        escape(&f.date),
        escape(made_at)
    );
    let verdict_text = match d.answer_rate {
        Some(rate) if rate >= f.target => "<span class=\"met\">目標達成</span>",
        Some(_) => "<span class=\"missed\">目標未達</span>",
        None => "入電なし",
    };
    let _ = writeln!(
        b,
        "<p>応答率 <span class=\"big\">{}</span>（応答 {} ／ 入電 {}）目標 {:.0} %：{verdict_text}</p>",
        pct(d.answer_rate),
        d.answered,
        d.offered,
        f.target * 100.0
    );
    b.push_str("<h2>実績</h2>\n<table>\n");
    head(&mut b, &["項目", "件数・値"]);
    for (label, value) in [
        ("受信件数", d.received.to_string()),
        ("時間外の着信", d.out_of_hours.to_string()),
        ("受付拒否", d.rejected.to_string()),
        ("入電件数", d.offered.to_string()),
        ("応答件数", d.answered.to_string()),
        (
            "サービスレベル",
            format!("{}（{} 秒以内）", pct(d.service_level), f.service_level_seconds),
        ),
        ("平均応答時間", secs(d.average_speed_of_answer_seconds)),
        ("平均処理時間", secs(d.average_handling_seconds)),
        (
            "放棄（IVR／待ち呼）",
            format!("{}（{}／{}）", d.abandoned, d.abandoned_in_ivr, d.abandoned_in_queue),
        ),
        (
            "短時間放棄",
            format!("{}（{} 秒未満）", d.short_abandons, f.short_abandon_seconds),
        ),
        ("話中・受付制限", (d.busy + d.shed).to_string()),
        ("他番号への転送", d.transferred_away.to_string()),
        ("折り返し発信", d.call_backs.to_string()),
        ("稼働率", pct(f.occupancy)),
    ] {
        row(&mut b, &[label.to_string(), value]);
    }
    b.push_str("</table>\n<h2>時間帯別（到着時刻）</h2>\n");
    let busy: Vec<_> = f
        .intervals
        .iter()
        .filter(|i| i.figures.received + i.figures.call_backs > 0)
        .collect();
    if busy.is_empty() {
        b.push_str("<p>着信はありません。</p>\n");
    } else {
        b.push_str("<table>\n");
        head(&mut b, &["時間帯", "受信", "入電", "応答", "放棄", "話中", "応答率"]);
        for i in busy {
            let class = if i.figures.answer_rate.is_some_and(|r| r < f.target) {
                " class=\"miss\""
            } else {
                ""
            };
            let _ = writeln!(
                b,
                "<tr{class}><td class=\"l\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(&i.start),
                i.figures.received,
                i.figures.offered,
                i.figures.answered,
                i.figures.abandoned,
                i.figures.busy + i.figures.shed,
                pct(i.figures.answer_rate)
            );
        }
        b.push_str("</table>\n");
    }
    if !categories.is_empty() {
        b.push_str("<h2>問い合わせの分類</h2>\n<table>\n");
        head(&mut b, &["分類", "件数"]);
        for (key, calls) in categories {
            row(
                &mut b,
                &[escape(&super::categories::category_label(key)), calls.to_string()],
            );
        }
        b.push_str("</table>\n");
    }
    if !f.languages.is_empty() {
        b.push_str("<h2>言語別</h2>\n<table>\n");
        head(&mut b, &["言語", "受信", "入電", "応答", "応答率"]);
        for (key, l) in &f.languages {
            row(
                &mut b,
                &[
                    escape(&item_name("language", key)),
                    l.received.to_string(),
                    l.offered.to_string(),
                    l.answered.to_string(),
                    pct(l.answer_rate),
                ],
            );
        }
        b.push_str("</table>\n");
    }
    b.push_str("<p class=\"note\">定義：入電＝受付時間内の着信（話中・受付制限・転送・放棄を含む）。応答率＝応答÷入電。本報告書に個人情報は含まれません。</p>\n");
    page(&format!("日次報告書 {}", f.date), &b)
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn markup_in_values_is_text() {
        assert_eq!(
            escape("<script>\"x\" & 'y'"),
            "&lt;script&gt;&quot;x&quot; &amp; &#39;y&#39;"
        );
    }
}
