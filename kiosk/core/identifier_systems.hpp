#pragma once
// The identifier systems (FHIR Identifier.system URIs) the kiosk writes and searches, defined once.
//
// CCCD and BHYT numbers are national identifiers: the site configures the URIs its HIS stores them under
// ([his] cccd_system, bhyt_system). The defaults are the ones the VN Core implementation guide names
// (HL7 Vietnam, published by Cục Công nghệ thông tin - Bộ Y tế; status draft):
// NamingSystem SID-National-Id and SID-Insurance_Number.
//
// The kiosk's own identifiers (tickets, registrations, services, queue numbers) live under the hospital's
// own namespace, [his] identifier_base (e.g. "https://bvdk-qn.vn/fhir/sid/"), which the site must give
// when it configures a HIS: kiosk_identifier_system() appends a fixed name to it.
#include <string>

namespace kiosk::core {

inline constexpr char kDefaultCccdSystem[] = "http://fhir.ehealth.gov.vn/core/sid/national_id";
inline constexpr char kDefaultBhytSystem[] = "http://fhir.ehealth.gov.vn/core/sid/insurance_number";

// The names under identifier_base: "kiosk-" + kind, kind one of these.
inline constexpr char kTicketKind[] = "ticket";            // Encounter.identifier: the ticket reference
inline constexpr char kQueueNumberKind[] = "queue-number"; // Encounter.identifier: the number called out
inline constexpr char kServiceKind[] = "service";          // Encounter.serviceType coding system
inline constexpr char kPatientKind[] = "patient";          // Patient.identifier: the kiosk registration

// identifier_base + "kiosk-" + kind, e.g. "https://bvdk-qn.vn/fhir/sid/kiosk-ticket". identifier_base
// ends with '/' (the config checks it); one is added if it does not.
[[nodiscard]] inline std::string kiosk_identifier_system(const std::string& identifier_base,
                                                         const std::string& kind) {
    std::string out = identifier_base;
    if (!out.empty() && out.back() != '/') out += '/';
    return out + "kiosk-" + kind;
}

} // namespace kiosk::core
