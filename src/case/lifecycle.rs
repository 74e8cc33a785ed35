//! A case's lifecycle: which step may be taken from which status, by whom.
//!
//! ```text
//! open ──send_to_city──▶ sent_to_city ──record_answer──▶ answered
//!   │                                                      │
//!   └──assign_call_back──▶ call_back_pending ◀─────────────┘
//!                             │ called_back
//!                             ▼
//!                          called_back
//! any status but closed ──close (with an outcome)──▶ closed
//! ```
//! Notes and a link to the FAQ entry a case produced may be added at any status, closed too.

use crate::auth::Role;
use crate::journal::names::named_enum;

named_enum! {
    /// What the wrap-up flagged.
    pub enum CaseKind("kind") {
        /// The center could not answer: the city must (CC-ESC).
        Escalation = "escalation",
        Complaint = "complaint",
    }
}

named_enum! {
    pub enum CaseStatus("status") {
        Open = "open",
        SentToCity = "sent_to_city",
        Answered = "answered",
        CallBackPending = "call_back_pending",
        CalledBack = "called_back",
        Closed = "closed",
    }
}

named_enum! {
    /// How a case ended (the monthly report tallies them).
    pub enum Outcome("outcome") {
        /// The resident's question was answered or the matter settled.
        Resolved = "resolved",
        /// The resident accepted the explanation.
        Explained = "explained",
        /// Sent on to another office or body.
        Referred = "referred",
        /// Could not be settled.
        Unresolved = "unresolved",
        /// The resident withdrew it.
        Withdrawn = "withdrawn",
    }
}

named_enum! {
    /// A step a person takes on a case.
    pub enum Step("step") {
        SendToCity = "send_to_city",
        RecordAnswer = "record_answer",
        AssignCallBack = "assign_call_back",
        CalledBack = "called_back",
        Close = "close",
        Note = "note",
        LinkFaq = "link_faq",
    }
}

impl CaseKind {
    pub fn japanese(self) -> &'static str {
        match self {
            CaseKind::Escalation => "エスカレーション",
            CaseKind::Complaint => "苦情",
        }
    }
}

impl CaseStatus {
    pub fn japanese(self) -> &'static str {
        match self {
            CaseStatus::Open => "受付",
            CaseStatus::SentToCity => "市へ照会中",
            CaseStatus::Answered => "市から回答あり",
            CaseStatus::CallBackPending => "折り返し待ち",
            CaseStatus::CalledBack => "折り返し済み",
            CaseStatus::Closed => "完了",
        }
    }
}

impl Outcome {
    pub fn japanese(self) -> &'static str {
        match self {
            Outcome::Resolved => "解決",
            Outcome::Explained => "説明により了承",
            Outcome::Referred => "他機関を案内",
            Outcome::Unresolved => "未解決",
            Outcome::Withdrawn => "取下げ",
        }
    }
}

/// Why a step was refused, said plainly.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("この操作の権限がありません (your role may not take this step)")]
    Role,
    #[error("{0}")]
    Status(String),
    #[error("折り返しの担当者はこの案件の担当者だけが完了にできます (only the agent it was assigned to)")]
    NotAssignee,
}

/// The status after `step`, when `role` (and, for a call-back, the assigned agent `is_assignee`)
/// may take it from `status`.
pub fn next(status: CaseStatus, step: Step, role: Role, is_assignee: bool) -> Result<CaseStatus, Refused> {
    use CaseStatus::*;
    let supervisor = matches!(role, Role::Supervisor | Role::Admin);
    let refuse = |what: &str| Err(Refused::Status(format!("{what}（現在の状態: {}）", status.japanese())));
    match step {
        Step::Note | Step::LinkFaq => {
            if supervisor || (step == Step::Note && role == Role::City && matches!(status, SentToCity | Answered)) {
                Ok(status)
            } else {
                Err(Refused::Role)
            }
        }
        Step::SendToCity => match (supervisor, status) {
            (false, _) => Err(Refused::Role),
            (true, Open) => Ok(SentToCity),
            _ => refuse("市への照会は受付中の案件だけです"),
        },
        Step::RecordAnswer => match (supervisor || role == Role::City, status) {
            (false, _) => Err(Refused::Role),
            (true, SentToCity) => Ok(Answered),
            _ => refuse("回答は市へ照会中の案件にだけ記録できます"),
        },
        Step::AssignCallBack => match (supervisor, status) {
            (false, _) => Err(Refused::Role),
            (true, Open | Answered | CallBackPending) => Ok(CallBackPending),
            _ => refuse("折り返しは受付中か回答ありの案件に割り当てます"),
        },
        Step::CalledBack => match status {
            CallBackPending if supervisor || (role == Role::Agent && is_assignee) => Ok(CalledBack),
            CallBackPending if role == Role::Agent => Err(Refused::NotAssignee),
            CallBackPending => Err(Refused::Role),
            _ => refuse("折り返し待ちの案件ではありません"),
        },
        Step::Close => match (supervisor, status) {
            (false, _) => Err(Refused::Role),
            (true, Closed) => refuse("すでに完了しています"),
            (true, _) => Ok(Closed),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_whole_way_from_the_wrap_up_to_the_outcome() {
        let mut status = CaseStatus::Open;
        for (step, role, assignee, expected) in [
            (Step::SendToCity, Role::Supervisor, false, CaseStatus::SentToCity),
            (Step::Note, Role::City, false, CaseStatus::SentToCity),
            (Step::RecordAnswer, Role::City, false, CaseStatus::Answered),
            (
                Step::AssignCallBack,
                Role::Supervisor,
                false,
                CaseStatus::CallBackPending,
            ),
            (Step::CalledBack, Role::Agent, true, CaseStatus::CalledBack),
            (Step::Close, Role::Supervisor, false, CaseStatus::Closed),
            (Step::LinkFaq, Role::Supervisor, false, CaseStatus::Closed),
        ] {
            status = next(status, step, role, assignee).unwrap_or_else(|e| panic!("{step}: {e}"));
            assert_eq!(status, expected, "{step}");
        }
    }

    #[test]
    fn roles_and_statuses_refuse_plainly() {
        assert_eq!(
            next(CaseStatus::Open, Step::SendToCity, Role::Agent, false),
            Err(Refused::Role)
        );
        assert_eq!(
            next(CaseStatus::CallBackPending, Step::CalledBack, Role::Agent, false),
            Err(Refused::NotAssignee)
        );
        assert_eq!(
            next(CaseStatus::Open, Step::RecordAnswer, Role::City, false)
                .err()
                .map(|e| e.to_string()),
            Some("回答は市へ照会中の案件にだけ記録できます（現在の状態: 受付）".to_string())
        );
        assert!(next(CaseStatus::Closed, Step::Close, Role::Supervisor, false).is_err());
        assert_eq!(
            next(CaseStatus::Open, Step::Note, Role::City, false),
            Err(Refused::Role)
        );
    }
}
