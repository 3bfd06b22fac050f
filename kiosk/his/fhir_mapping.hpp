#pragma once
// What the kiosk sends to the HIS, in HL7 FHIR R4 terms. Every record carries the kiosk-generated business
// identifier in Resource.identifier and is written as a conditional create on it, so a retry after a lost
// reply finds the record instead of creating a second one.
#include "kiosk/store/outbox.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>

namespace kiosk::his {

// Identifier systems are URIs owned by the site: urn:kiosk:<site_id>:<kind>.
[[nodiscard]] std::string identifier_system(const std::string& site_id, const std::string& kind);

// One write: POST <resource_type> with If-None-Exist: <if_none_exist>.
struct FhirWrite {
    std::string resource_type;
    std::string if_none_exist; // FHIR search query, e.g. "identifier=urn:kiosk:S:ticket|S-20261124-KBH-A001"
    nlohmann::json resource;
};

// Maps an outbox row to its FHIR write; nullopt (with `why`) for a row the kiosk cannot express, which is
// then quarantined rather than retried forever.
//   ticket/create -> Encounter (status "arrived", class AMB, serviceType = the service, period.start = issue
//                    time with the site's offset, identifiers: the ticket reference and the queue number).
[[nodiscard]] std::optional<FhirWrite> to_fhir(const store::OutboxEntry& entry, std::string& why);

// The batch Bundle for several writes (type "batch": entries succeed or fail on their own, and a batch is
// not subject to the entry caps some servers put on transactions with conditional entries).
[[nodiscard]] nlohmann::json batch_bundle(const std::vector<FhirWrite>& writes);

// Percent-encodes a query value for a URL or an If-None-Exist header (RFC 3986 unreserved kept).
[[nodiscard]] std::string url_encode(const std::string& value);

} // namespace kiosk::his
