//! The wrap-up's inquiry categories (`group/item`, from `[agents] categories`) as the reports
//! and the dashboard name them: Japanese first, the key beside it. A category the city adds
//! without a name here shows as its key.

pub fn category_label(key: &str) -> String {
    let japanese = match key {
        "issuance/application" => "交付申請",
        "issuance/pickup-booking" => "受取予約",
        "issuance/status" => "交付状況の確認",
        "renewal/card" => "カードの更新",
        "renewal/certificate" => "電子証明書の更新",
        "certificates/electronic-certificate" => "電子証明書",
        "certificates/password-reset" => "暗証番号の再設定",
        "convenience-store" => "コンビニ交付",
        "visiting-application" => "出張申請受付",
        "reissue-of-forms" => "申請書類の再送付",
        "complaint" => "苦情",
        "other" => "その他",
        _ => return key.to_string(),
    };
    format!("{japanese}（{key}）")
}

#[cfg(test)]
mod tests {
    #[test]
    fn known_categories_read_in_japanese_and_others_as_their_key() {
        assert_eq!(
            super::category_label("renewal/certificate"),
            "電子証明書の更新（renewal/certificate）"
        );
        assert_eq!(super::category_label("new/thing"), "new/thing");
    }
}
