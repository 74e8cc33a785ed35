//! The notices bookers receive by e-mail (BK-NOTIFY), in Japanese: on booking, the day before,
//! when a closure falls on the appointment, and when the booking system is out of order. Pure:
//! a notice is composed from what the booking says; no personal data goes into it (the code and
//! the time of the appointment are all it names).

use crate::booking::code::display_code;

/// Why a notice is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoticeKind {
    Booked,
    Reminder,
    Closure,
    Outage,
}

impl NoticeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            NoticeKind::Booked => "booked",
            NoticeKind::Reminder => "reminder",
            NoticeKind::Closure => "closure",
            NoticeKind::Outage => "outage",
        }
    }
}

/// What a notice says of the booking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct About {
    pub code: String,
    pub office_name: String,
    pub office_address: String,
    pub service_name: String,
    /// 2026年12月8日（火）11:40〜12:10
    pub when: String,
    pub call_center_number: String,
}

/// A notice's subject and body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Letter {
    pub subject: String,
    pub body: String,
}

/// The notice of a kind; `extra` is the closure's reason or the outage message.
pub fn letter(kind: NoticeKind, about: &About, extra: &str) -> Letter {
    let code = display_code(&about.code);
    let booking = format!(
        "予約番号：{code}\n手続き：{}\n日時：{}\n窓口：{}\n所在地：{}\n",
        about.service_name, about.when, about.office_name, about.office_address
    );
    let footer = format!(
        "\n予約の確認・変更・取消は予約サイトで予約番号と確認コードを入力してください。\nご不明な点はマイナンバーカードコールセンター（{}）にお問い合わせください。\n\nこのメールは送信専用です。\n",
        about.call_center_number
    );
    let (subject, opening) = match kind {
        NoticeKind::Booked => (
            format!("【予約完了】{}（予約番号 {code}）", about.service_name),
            "次のとおり予約を受け付けました。当日は予約番号をお知らせください。\n".to_string(),
        ),
        NoticeKind::Reminder => (
            format!("【明日のご予約】{}（予約番号 {code}）", about.service_name),
            "明日のご予約のお知らせです。持ち物をご確認のうえ、お越しください。\n".to_string(),
        ),
        NoticeKind::Closure => (
            format!("【重要】ご予約の日時に窓口が休業します（予約番号 {code}）"),
            format!(
                "ご予約の日時に、次の理由で窓口が休業することになりました。\n理由：{extra}\nお手数ですが、予約サイトまたはコールセンターで別の日時に変更してください。\n"
            ),
        ),
        NoticeKind::Outage => (
            "【お知らせ】予約システムの障害・休止について".to_string(),
            format!("予約システムについてお知らせします。\n{extra}\nご予約は有効です。\n"),
        ),
    };
    Letter {
        subject,
        body: format!("{opening}\n{booking}{footer}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn about() -> About {
        About {
            code: "12345678".into(),
            office_name: "小杉マイナンバーカードセンター".into(),
            office_address: "川崎市中原区中丸子35番地9".into(),
            service_name: "カード交付予約".into(),
            when: "2026年12月8日（火）11:40〜12:10".into(),
            call_center_number: "0120-380-366".into(),
        }
    }

    #[test]
    fn each_notice_names_the_booking_and_says_why() {
        let booked = letter(NoticeKind::Booked, &about(), "");
        assert!(booked.subject.contains("予約完了") && booked.subject.contains("1234-5678"));
        assert!(booked.body.contains("2026年12月8日（火）11:40〜12:10"));
        assert!(booked.body.contains("0120-380-366"));
        let closure = letter(NoticeKind::Closure, &about(), "計画停電");
        assert!(closure.body.contains("理由：計画停電"), "{}", closure.body);
        assert!(letter(NoticeKind::Reminder, &about(), "").subject.contains("明日"));
        assert!(
            letter(NoticeKind::Outage, &about(), "12月20日 2:00〜4:00 停止")
                .body
                .contains("停止")
        );
    }
}
