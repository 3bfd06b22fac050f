#pragma once
// What the kiosk sends to the HIS, in the kiosk's own terms. The store keeps each record as an outbox row
// (store::Outbox) and decodes it into an OutboundRecord once (store::decode_outbox_record); the HIS adapter
// (his::HisPort) maps these to its protocol and never sees the outbox.
//
// A new kind of record (an appointment booked, a check-in, a payment) is a new alternative of
// OutboundRecord::value: its struct here, its encoding and decoding in the store, its mapping in his/.
#include "kiosk/core/clock.hpp"
#include "kiosk/core/identity.hpp"
#include "kiosk/core/ticket.hpp"

#include <string>
#include <variant>

namespace kiosk::core {

// A queue ticket issued (ticket/create). ticket.patient: who it is for, when the patient identified first.
struct OutboundTicket {
    Ticket ticket;
    std::string issued_at_local; // the issue time in RFC 3339 with the site's offset; "" : UTC from issued_at

    friend bool operator==(const OutboundTicket&, const OutboundTicket&) = default;
};

// A patient registered at the kiosk (patient/create), with the identifier systems of the site at the time.
struct OutboundPatient {
    std::string kiosk_patient_id; // = the record's identifier
    std::string site_id;
    std::string kiosk_id;
    UnixMillis registered_at = 0;
    std::string cccd_system; // set when details.cccd is
    std::string bhyt_system; // set when details.bhyt is
    PatientDetails details;  // full_name and at least one of cccd and bhyt are set

    friend bool operator==(const OutboundPatient&, const OutboundPatient&) = default;
};

struct OutboundRecord {
    std::string identifier; // the kiosk's business identifier: the HIS keys idempotent writes on it
    // What the HIS called the record this one depends on, "<type>/<HIS id>" (e.g. "Patient/123"), once that
    // was delivered; "" without a dependency or when it is no longer known.
    std::string depends_on_resource;
    std::variant<OutboundTicket, OutboundPatient> value;

    friend bool operator==(const OutboundRecord&, const OutboundRecord&) = default;
};

} // namespace kiosk::core
