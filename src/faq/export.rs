//! The whole approved book as an Excel workbook the city edits in its office software (CC-FAQ:
//! delivered in an editable format): one sheet, a row per entry and language, with the
//! entry's id, category, revision, question and answer (Markdown kept as text).

use rust_xlsxwriter::{Format, FormatAlign, Workbook, XlsxError};

use super::entry::Entry;

const HEADERS: [&str; 7] = [
    "番号 id",
    "分類 category",
    "分類名",
    "版 revision",
    "言語 language",
    "質問 question",
    "回答 answer",
];

pub fn book_xlsx<'a>(entries: impl IntoIterator<Item = &'a Entry>) -> Result<Vec<u8>, XlsxError> {
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name("質疑応答集")?;
    let bold = Format::new().set_bold();
    let wrap = Format::new().set_text_wrap().set_align(FormatAlign::Top);
    for (column, header) in HEADERS.iter().enumerate() {
        sheet.write_string_with_format(0, column as u16, *header, &bold)?;
    }
    for (column, width) in [20.0, 24.0, 20.0, 6.0, 10.0, 40.0, 80.0].iter().enumerate() {
        sheet.set_column_width(column as u16, *width)?;
    }
    let mut row = 1u32;
    for entry in entries {
        for lang in &entry.languages {
            let code = lang.code();
            let cells = [
                entry.id.clone(),
                entry.category.clone(),
                crate::report::categories::category_label(&entry.category),
                entry.revision.to_string(),
                format!("{} {code}", lang.japanese_name()),
                entry.question.get(code).cloned().unwrap_or_default(),
                entry.answer.get(code).cloned().unwrap_or_default(),
            ];
            for (column, text) in cells.iter().enumerate() {
                sheet.write_string_with_format(row, column as u16, text, &wrap)?;
            }
            row += 1;
        }
    }
    sheet.set_freeze_panes(1, 0)?;
    workbook.save_to_buffer()
}
