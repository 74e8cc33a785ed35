//! Figures as CSV for Excel: UTF-8 with a BOM (so Excel reads Japanese as such), Japanese
//! headers with the English beside them, one row per day, interval, language, line or agent.
//! Rates are percentages with one decimal, times seconds with one decimal; an empty cell is a
//! rate of nothing (no call offered), not zero.

use super::metrics::DayFigures;
use super::tally::Figures;

const HEADERS: [&str; 24] = [
    "日付 date",
    "区分 kind",
    "項目 item",
    "受信 received",
    "時間外 out of hours",
    "受付拒否 rejected",
    "入電 offered",
    "応答 answered",
    "応答率 answer rate %",
    "サービスレベル service level %",
    "平均応答時間 ASA s",
    "話中 busy",
    "503 shed",
    "転送 transferred away",
    "放棄(IVR) abandoned in IVR",
    "放棄(待ち) abandoned in queue",
    "短時間放棄 short abandons",
    "その他 other",
    "折り返し発信 call-backs",
    "処理件数 handled",
    "平均処理時間 AHT s",
    "通話 talk s",
    "保留 hold s",
    "後処理 wrap-up s",
];

fn percent(rate: Option<f64>) -> String {
    rate.map_or_else(String::new, |r| format!("{:.1}", r * 100.0))
}

fn seconds(s: Option<f64>) -> String {
    s.map_or_else(String::new, |s| format!("{s:.1}"))
}

fn cells(date: &str, kind: &str, item: &str, f: &Figures) -> Vec<String> {
    vec![
        date.to_string(),
        kind.to_string(),
        item.to_string(),
        f.received.to_string(),
        f.out_of_hours.to_string(),
        f.rejected.to_string(),
        f.offered.to_string(),
        f.answered.to_string(),
        percent(f.answer_rate),
        percent(f.service_level),
        seconds(f.average_speed_of_answer_seconds),
        f.busy.to_string(),
        f.shed.to_string(),
        f.transferred_away.to_string(),
        f.abandoned_in_ivr.to_string(),
        f.abandoned_in_queue.to_string(),
        f.short_abandons.to_string(),
        f.other.to_string(),
        f.call_backs.to_string(),
        f.handled.to_string(),
        seconds(f.average_handling_seconds),
        format!("{:.1}", f.talk_seconds),
        format!("{:.1}", f.hold_seconds),
        format!("{:.1}", f.wrap_seconds),
    ]
}

/// The Japanese name of a line or a language code as the tables show it.
pub fn item_name(kind: &str, key: &str) -> String {
    match (kind, key) {
        ("line", "toll-free") => "フリーダイヤル toll-free".into(),
        ("line", "fallback") => "代替番号 fallback".into(),
        ("line", "other") => "その他 other".into(),
        ("line", "outbound") => "発信 outbound".into(),
        ("language", "none") => "言語選択前 none chosen".into(),
        ("language", "outbound") => "発信 outbound".into(),
        ("language", code) => crate::lang::Lang::from_code(code)
            .map_or_else(|| code.to_string(), |l| format!("{} {}", l.japanese_name(), l.code())),
        (_, key) => key.to_string(),
    }
}

/// Rows of the days given: each day's total, then (with `detail`) its intervals with calls,
/// languages, lines and agents.
pub fn days_csv(days: &[DayFigures], detail: bool) -> Result<Vec<u8>, csv::Error> {
    let mut out = Vec::from("\u{feff}".as_bytes());
    {
        let mut w = csv::Writer::from_writer(&mut out);
        w.write_record(HEADERS)?;
        for d in days {
            w.write_record(cells(&d.date, "日計 day", "", &d.day))?;
            if !detail {
                continue;
            }
            for i in d
                .intervals
                .iter()
                .filter(|i| i.figures.received + i.figures.call_backs > 0)
            {
                w.write_record(cells(&d.date, "時間帯 interval", &i.start, &i.figures))?;
            }
            for (key, f) in &d.languages {
                w.write_record(cells(&d.date, "言語 language", &item_name("language", key), f))?;
            }
            for (key, f) in &d.lines {
                w.write_record(cells(&d.date, "回線 line", &item_name("line", key), f))?;
            }
            for (name, a) in &d.agents {
                w.write_record(cells(&d.date, "オペレーター agent", name, &a.figures))?;
            }
        }
        w.flush()?;
    }
    Ok(out)
}

/// The monthly report as CSV for Excel: one sheet of titled sections (days, service-level
/// verification, categories, bookings per office), separated by empty rows.
pub fn monthly_csv(r: &super::monthly::MonthlyReport) -> Result<Vec<u8>, csv::Error> {
    let mut out = Vec::from("\u{feff}".as_bytes());
    {
        let mut w = csv::WriterBuilder::new().flexible(true).from_writer(&mut out);
        let pct = |rate: Option<f64>| percent(rate);
        w.write_record([
            format!("月次報告 {}", r.title_month),
            format!("提出期限 {}", r.due.as_deref().unwrap_or("—")),
        ])?;
        w.write_record([""])?;
        w.write_record(["日別実績 days"])?;
        w.write_record([
            "日付 date",
            "曜日",
            "受信 received",
            "時間外 out of hours",
            "入電 offered",
            "応答 answered",
            "応答率 answer rate %",
            "サービスレベル service level %",
            "平均応答時間 ASA s",
            "放棄 abandoned",
            "話中 busy",
            "休業 closed",
            "判定 met",
        ])?;
        for d in &r.days {
            w.write_record([
                d.date.clone(),
                d.weekday.to_string(),
                d.received.to_string(),
                d.out_of_hours.to_string(),
                d.offered.to_string(),
                d.answered.to_string(),
                pct(d.answer_rate),
                pct(d.service_level),
                seconds(d.average_speed_of_answer_seconds),
                d.abandoned.to_string(),
                d.busy.to_string(),
                d.closed.clone().unwrap_or_default(),
                match d.met {
                    Some(true) => "達成".into(),
                    Some(false) => "未達".into(),
                    None => String::new(),
                },
            ])?;
        }
        let t = &r.total;
        w.write_record([
            "月計 month".to_string(),
            String::new(),
            t.received.to_string(),
            t.out_of_hours.to_string(),
            t.offered.to_string(),
            t.answered.to_string(),
            pct(t.answer_rate),
            pct(t.service_level),
            seconds(t.average_speed_of_answer_seconds),
            t.abandoned.to_string(),
            (t.busy + t.shed).to_string(),
        ])?;
        w.write_record([""])?;
        w.write_record(["サービスレベルの検証 service-level verification"])?;
        w.write_record(["指標 indicator", "目標 target", "実績 actual", "判定 met"])?;
        for i in &r.indicators {
            w.write_record([
                i.name,
                i.target.as_str(),
                i.actual.as_str(),
                match i.met {
                    Some(true) => "達成",
                    Some(false) => "未達",
                    None => "",
                },
            ])?;
        }
        w.write_record([""])?;
        w.write_record(["問い合わせの分類 categories"])?;
        w.write_record(["分類 category", "件数 calls", "構成比 share %"])?;
        for c in &r.categories {
            w.write_record([c.label.clone(), c.calls.to_string(), pct(Some(c.share))])?;
        }
        w.write_record([""])?;
        w.write_record(["エスカレーション escalations".to_string(), r.escalations.to_string()])?;
        w.write_record(["苦情 complaints".to_string(), r.complaints.to_string()])?;
        for c in &r.cases {
            w.write_record([
                format!("案件 case: {}", c.kind),
                c.cases.to_string(),
                c.status.clone(),
                c.outcome.clone(),
            ])?;
        }
        for f in &r.faq_used {
            w.write_record([
                format!("FAQ 利用 used: {}", f.id),
                f.count.to_string(),
                f.question.clone(),
            ])?;
        }
        for f in &r.faq_approved {
            w.write_record([
                format!("FAQ 承認 approved: {}", f.id),
                f.count.to_string(),
                f.question.clone(),
            ])?;
        }
        w.write_record([
            "セキュリティ事故 security incidents".to_string(),
            r.incidents.len().to_string(),
        ])?;
        w.write_record([""])?;
        w.write_record(["予約件数 bookings"])?;
        w.write_record([
            "窓口 office",
            "手続 service",
            "予約 booked",
            "うち電話 by phone",
            "取消 cancelled",
        ])?;
        for o in &r.bookings {
            w.write_record([
                o.office.clone(),
                o.service.clone(),
                o.booked.to_string(),
                o.by_phone.to_string(),
                o.cancelled.to_string(),
            ])?;
        }
        w.flush()?;
    }
    Ok(out)
}
