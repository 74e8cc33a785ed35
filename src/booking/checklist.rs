//! What is confirmed before a booking (CC-BOOK): per service, who may come and the items to
//! tick. The list is data (`ops/config/booking-checklists.toml`), shown by the agent's side
//! panel and the citizen pages alike.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::service::{Service, Visitor};

/// The shipped checklists.
pub const BUILTIN: &str = include_str!("../../ops/config/booking-checklists.toml");

/// One thing to confirm.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Item {
    pub id: String,
    pub ja: String,
    pub en: String,
    /// Only when this person comes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visitor: Option<Visitor>,
}

/// The checklist of one service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Checklist {
    pub visitors: Vec<Visitor>,
    pub items: Vec<Item>,
}

/// Every service's checklist.
pub type Checklists = BTreeMap<Service, Checklist>;

/// What the agent (or the booker) confirmed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Confirmations {
    pub visitor: Option<Visitor>,
    /// The ids of the items ticked.
    #[serde(default)]
    pub checked: Vec<String>,
}

/// Reads a checklist file.
pub fn parse(source: &str) -> Result<Checklists, String> {
    let lists: Checklists = toml::from_str(source).map_err(|e| e.to_string())?;
    for (service, list) in &lists {
        if list.visitors.is_empty() {
            return Err(format!("{service}: no visitors"));
        }
        let mut ids: Vec<&str> = list.items.iter().map(|i| i.id.as_str()).collect();
        ids.sort_unstable();
        if ids.windows(2).any(|w| w[0] == w[1]) {
            return Err(format!("{service}: an item id appears twice"));
        }
    }
    Ok(lists)
}

impl Checklist {
    /// The items that apply when `visitor` comes.
    pub fn items_for(&self, visitor: Visitor) -> impl Iterator<Item = &Item> {
        self.items
            .iter()
            .filter(move |i| i.visitor.is_none_or(|v| v == visitor))
    }

    /// Whether `confirmed` covers the list: who comes is allowed, and every item that applies
    /// is ticked. The error says what is missing, in Japanese (it is shown to the agent).
    pub fn check(&self, confirmed: &Confirmations) -> Result<(), String> {
        let Some(visitor) = confirmed.visitor else {
            return Err("来庁される方（本人・法定代理人・任意代理人）を選んでください".to_string());
        };
        if !self.visitors.contains(&visitor) {
            return Err(format!("この手続きは{}では予約できません", visitor.japanese()));
        }
        let missing: Vec<&str> = self
            .items_for(visitor)
            .filter(|item| !confirmed.checked.iter().any(|c| c == &item.id))
            .map(|item| item.ja.as_str())
            .collect();
        if missing.is_empty() {
            Ok(())
        } else {
            Err(format!("確認が済んでいない項目があります: {}", missing.join(" / ")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lists() -> Checklists {
        parse(BUILTIN).unwrap_or_else(|e| panic!("{e}"))
    }

    fn ticked(visitor: Visitor, ids: &[&str]) -> Confirmations {
        Confirmations {
            visitor: Some(visitor),
            checked: ids.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn every_service_has_a_checklist() {
        let lists = lists();
        for service in Service::ALL {
            assert!(lists.contains_key(service), "{service}");
        }
    }

    #[test]
    fn every_item_that_applies_must_be_ticked() {
        let card = &lists()[&Service::CardPickup];
        let resident = ["procedure", "notice", "id_documents", "old_cards"];
        assert_eq!(card.check(&ticked(Visitor::Resident, &resident)), Ok(()));
        let err = card
            .check(&ticked(Visitor::Resident, &resident[..3]))
            .err()
            .unwrap_or_default();
        assert!(err.contains("通知カード"), "{err}");
        // A proxy needs the letter of authority as well.
        let err = card
            .check(&ticked(Visitor::VoluntaryProxy, &resident))
            .err()
            .unwrap_or_default();
        assert!(err.contains("委任状"), "{err}");
        let mut proxy = resident.to_vec();
        proxy.push("letter_of_authority");
        assert_eq!(card.check(&ticked(Visitor::VoluntaryProxy, &proxy)), Ok(()));
        assert!(card.check(&Confirmations::default()).is_err(), "who comes is asked");
    }

    #[test]
    fn a_visitor_the_service_does_not_take_is_refused() {
        let visit = &lists()[&Service::VisitRequest];
        let err = visit
            .check(&ticked(
                Visitor::VoluntaryProxy,
                &["procedure", "facility", "id_documents"],
            ))
            .err()
            .unwrap_or_default();
        assert!(err.contains("任意代理人"), "{err}");
    }
}
