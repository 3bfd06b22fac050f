#pragma once
// What the kiosk sends to the HIS, in HL7 FHIR R4 terms. Every record carries the kiosk-generated business
// identifier in Resource.identifier and is written as a conditional create on it, so a retry after a lost
// reply finds the record instead of creating a second one.
#include "kiosk/core/outbound.hpp"
#include "kiosk/his/http.hpp"      // url_encode
#include "kiosk/his/json_text.hpp" // json_text

#include <nlohmann/json.hpp>

#include <optional>
#include <string>

namespace kiosk::his {

// The media type of every FHIR request and reply (FHIR R4, http.html#mime-type).
inline constexpr char kFhirJson[] = "application/fhir+json";

// The kiosk's own identifier systems are URIs under the hospital's namespace ([his] identifier_base):
// <identifier_base>kiosk-<kind>, kind "ticket", "queue-number", "service" or "patient"
// (core::kiosk_identifier_system). They never change with the day or the kiosk.
[[nodiscard]] std::string identifier_system(const std::string& identifier_base, const std::string& kind);

// One write: POST <resource_type> with If-None-Exist: <if_none_exist>.
struct FhirWrite {
    std::string resource_type;
    std::string if_none_exist; // FHIR search query, e.g. "identifier=<base>kiosk-ticket|S-20261124-KBH-A001"
    nlohmann::json resource;
};

// Maps a record to its FHIR write; nullopt (with `why`) for a record the kiosk cannot express, which is
// then quarantined rather than retried forever.
//   ticket (core::OutboundTicket) -> Encounter (status "arrived", class AMB, serviceType = the service,
//   period.start = issue
//                    time with the site's offset, identifiers: the ticket reference (official, system
//                    <base>kiosk-ticket) and the queue number (secondary, system <base>kiosk-queue-number,
//                    period = the service day: the same number is called again on other days), subject:
//                    the patient's HIS id; for a patient registered at the kiosk the id the HIS answered the
//                    registration with (record.depends_on_resource)).
//   patient registered at the kiosk (core::OutboundPatient; docs/patient-registration.md) -> Patient:
//                    becomes identifier [{use official, system <base>kiosk-patient, value
//                    kiosk_patient_id}, {type v2-0203 NI, the CCCD system, cccd}, {type v2-0203 MB, the BHYT
//                    system, bhyt}], name [{use official, text, family = first word, given = the other
//                    words}], gender (unknown when not given), birthDate, address [{text, country "VN"}],
//                    telecom [{system phone, value, use mobile}]; absent details are omitted.
//                    If-None-Exist: identifier=<cccd system>|<cccd>,<bhyt system>|<bhyt> (either number;
//                    each token FHIR-search-escaped, then percent-encoded; a number not given is left
//                    out): the HIS then answers 200 with the Patient it already has (registered at the
//                    desk, or an earlier attempt whose reply was lost) instead of creating a second one,
//                    and 412 when the numbers belong to two different Patients (staff decide).
//                    A record without a name or a number gives nullopt with a `why` that names the field,
//                    never its value (the store's decoding refuses such payloads already).
// identifier_base: the hospital's namespace for the kiosk's own identifiers ([his] identifier_base).
[[nodiscard]] std::optional<FhirWrite> to_fhir(const core::OutboundRecord& record,
                                               const std::string& identifier_base, std::string& why);

// The batch Bundle for several writes (type "batch": entries succeed or fail on their own, and a batch is
// not subject to the entry caps some servers put on transactions with conditional entries).
[[nodiscard]] nlohmann::json batch_bundle(const std::vector<FhirWrite>& writes);

} // namespace kiosk::his
