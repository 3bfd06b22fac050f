#pragma once
// The HIS port over HL7 FHIR R4 (REST, JSON): conditional creates for single records, a batch Bundle of
// conditional creates for several. Written to the specification, not to one server.
#include "kiosk/his/his_port.hpp"
#include "kiosk/his/http.hpp"

#include <string>
#include <string_view>

namespace kiosk::his {

class FhirHis final : public HisPort {
public:
    // base_url: the FHIR service base, e.g. "https://his.example.vn/fhir/R4" (no trailing slash needed).
    // identifier_base: the hospital's namespace for the kiosk's identifiers ([his] identifier_base).
    FhirHis(HttpTransport& transport, std::string base_url, std::string identifier_base);

    std::vector<DeliveryResult> deliver(const std::vector<core::OutboundRecord>& records) override;

private:
    std::vector<DeliveryResult> deliver_one(const core::OutboundRecord& record);
    std::vector<DeliveryResult> deliver_batch(const std::vector<core::OutboundRecord>& records);

    HttpTransport& transport_;
    std::string base_;
    std::string identifier_base_;
};

// How an HTTP status of a write maps onto a Delivery (shared by single writes and batch entries).
[[nodiscard]] Delivery classify_status(long status);
// The human-readable text of an OperationOutcome (its issues' diagnostics/details), or "" if none.
[[nodiscard]] std::string operation_outcome_text(const std::string& json_body);
// A FHIR logical id: 1-64 of A-Z, a-z, 0-9, '-' and '.'.
[[nodiscard]] bool is_fhir_id(std::string_view id);
// "<type>/<id>" from a Location (absolute or relative, with or without "/_history/<version>", a query is
// ignored) that names a resource of `type`; "" when it names none.
[[nodiscard]] std::string resource_from_location(std::string_view location, const std::string& type);
// Parses Retry-After: delta-seconds or an HTTP-date; nullopt when absent or unparseable.
[[nodiscard]] std::optional<std::chrono::seconds>
parse_retry_after(const std::string& value, std::chrono::system_clock::time_point now);

} // namespace kiosk::his
