#pragma once
// The outbox rows' payloads read back into the kiosk's own types: done once, here, next to the stores that
// write them (TicketStore, PatientRegistry), so the payload format has one owner and the HIS adapter only
// ever sees core::OutboundRecord.
#include "kiosk/core/outbound.hpp"
#include "kiosk/store/outbox.hpp"

#include <optional>
#include <string>

namespace kiosk::store {

// The record an outbox row carries; nullopt (with `why`) for a row this build cannot read: a kind it does
// not know, a payload that is not JSON, lacks a field or holds one of the wrong type. Such a row is
// quarantined rather than retried forever. A patient payload holds personal data: `why` names the field,
// never its value.
//   ticket/create  -> core::OutboundTicket (payload: TicketStore)
//   patient/create -> core::OutboundPatient (payload: PatientRegistry, docs/patient-registration.md), a JSON
//                     object whose absent details are left out (or "" / null):
//                      {"kiosk_patient_id": "BVDK-QN-20261130-P-A0007",    = the outbox identifier
//                       "site_id": "BVDK-QN", "kiosk_id": "SANH-A-01", "registered_at": <unix ms>,
//                       "identifier_systems": {"cccd": "<cccd system>", "bhyt": "<bhyt system>"},
//                       "cccd": "079090001234", "bhyt": "DN4797915000001",   at least one of the two
//                       "full_name": "Nguyễn Văn An", "birth_date": "1990-04-12",
//                       "sex": "male" | "female" | "unknown", "address": "...", "phone": "0912345678"}
[[nodiscard]] std::optional<core::OutboundRecord> decode_outbox_record(const OutboxEntry& entry,
                                                                       std::string& why);

} // namespace kiosk::store
