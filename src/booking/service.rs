//! What can be booked, and who comes to the counter: fixed vocabulary with names in the
//! database, on the wire and in office files.

use crate::journal::names::named_enum;

named_enum! {
    /// A service an office may offer bookings for.
    pub enum Service("service") {
        /// カード交付予約: collecting a new or renewed card.
        CardPickup = "card_pickup",
        /// 電子証明書更新予約: renewing the card's electronic certificates (BK-CERT: booked
        /// without a reservation number).
        CertificateRenewal = "certificate_renewal",
        /// 訪問型出張申請: staff visit a facility to take card applications (where offered).
        VisitRequest = "visit_request",
    }
}

impl Service {
    pub fn japanese(self) -> &'static str {
        match self {
            Service::CardPickup => "カード交付予約",
            Service::CertificateRenewal => "電子証明書更新予約",
            Service::VisitRequest => "訪問型出張申請",
        }
    }

    pub fn english(self) -> &'static str {
        match self {
            Service::CardPickup => "Card pickup",
            Service::CertificateRenewal => "Certificate renewal",
            Service::VisitRequest => "Visiting application",
        }
    }
}

named_enum! {
    /// Who comes to the counter (CC-BOOK: the agent confirms the caller may do it).
    pub enum Visitor("visitor") {
        /// 本人
        Resident = "resident",
        /// 法定代理人 (a parent of a minor, a guardian)
        LegalRepresentative = "legal_representative",
        /// 任意代理人 with a letter of authority (委任状)
        VoluntaryProxy = "voluntary_proxy",
    }
}

impl Visitor {
    pub fn japanese(self) -> &'static str {
        match self {
            Visitor::Resident => "本人",
            Visitor::LegalRepresentative => "法定代理人",
            Visitor::VoluntaryProxy => "任意代理人（委任状あり）",
        }
    }
}

named_enum! {
    /// Where a booking was made.
    pub enum Channel("channel") {
        /// By an agent during a call.
        Phone = "phone",
        /// By the booker on the citizen pages.
        Web = "web",
        /// Taken over from a former system.
        Import = "import",
        /// By city or center staff on the staff pages.
        Staff = "staff",
    }
}
