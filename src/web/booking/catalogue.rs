//! `GET /api/booking/offices`: the offices, the services each books with slot length and
//! capacity, and the checklist of each service: what the side panel and the citizen pages
//! build their first steps from.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;

use super::super::AppState;
use super::super::extract::BookingReader;
use crate::booking::{Checklist, Service};

pub fn routes() -> Router<AppState> {
    Router::new().route("/api/booking/offices", get(offices))
}

#[derive(Debug, Serialize)]
struct OfferView {
    service: Service,
    name: &'static str,
    name_en: &'static str,
    slot_minutes: u16,
    capacity: u32,
}

#[derive(Debug, Serialize)]
struct OfficeView {
    id: String,
    name: String,
    name_en: String,
    address: String,
    calendar: String,
    services: Vec<OfferView>,
}

#[derive(Debug, Serialize)]
struct ServiceView {
    service: Service,
    name: &'static str,
    name_en: &'static str,
    checklist: Option<Checklist>,
}

#[derive(Debug, Serialize)]
pub struct Catalogue {
    offices: Vec<OfficeView>,
    services: Vec<ServiceView>,
}

async fn offices(State(state): State<AppState>, _reader: BookingReader) -> Json<Catalogue> {
    Json(catalogue(&state))
}

/// The offices and services as they are now (shared with the citizen pages).
pub fn catalogue(state: &AppState) -> Catalogue {
    let offices = state.booking.offices.snapshot();
    Catalogue {
        offices: offices
            .iter()
            .map(|o| OfficeView {
                id: o.id.clone(),
                name: o.name.clone(),
                name_en: o.name_en.clone(),
                address: o.address.clone(),
                calendar: o.calendar.clone(),
                services: o
                    .services
                    .iter()
                    .map(|(service, offer)| OfferView {
                        service: *service,
                        name: service.japanese(),
                        name_en: service.english(),
                        slot_minutes: offer.slot_minutes,
                        capacity: offer.capacity,
                    })
                    .collect(),
            })
            .collect(),
        services: Service::ALL
            .iter()
            .map(|service| ServiceView {
                service: *service,
                name: service.japanese(),
                name_en: service.english(),
                checklist: state.booking.checklists.get(service).cloned(),
            })
            .collect(),
    }
}
