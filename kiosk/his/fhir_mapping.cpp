#include "kiosk/his/fhir_mapping.hpp"

#include "kiosk/core/ticket.hpp"

#include <cstdio>

namespace kiosk::his {
namespace {

std::optional<FhirWrite> ticket_encounter(const nlohmann::json& t, std::string& why) {
    for (const char* key :
         {"reference", "display_number", "service_code", "service_day", "issued_at", "site_id"})
        if (!t.contains(key)) {
            why = std::string("ticket payload lacks '") + key + "'";
            return std::nullopt;
        }
    const std::string site = t.at("site_id").get<std::string>();
    const std::string reference = t.at("reference").get<std::string>();
    const std::string ticket_system = identifier_system(site, "ticket");
    const std::string start =
        t.contains("issued_at_local")
            ? t.at("issued_at_local").get<std::string>()
            : core::local_datetime_rfc3339(t.at("issued_at").get<core::UnixMillis>(), 0);
    nlohmann::json encounter = {
        {"resourceType", "Encounter"},
        {"identifier",
         {{{"use", "official"}, {"system", ticket_system}, {"value", reference}},
          {{"use", "secondary"},
           {"system", identifier_system(site, "queue-number:" + t.at("service_day").get<std::string>())},
           {"value", t.at("display_number")}}}},
        {"status", "arrived"},
        {"class",
         {{"system", "http://terminology.hl7.org/CodeSystem/v3-ActCode"},
          {"code", "AMB"},
          {"display", "ambulatory"}}},
        {"serviceType",
         {{"coding", {{{"system", identifier_system(site, "service")}, {"code", t.at("service_code")}}}}}},
        {"period", {{"start", start}}},
    };
    return FhirWrite{"Encounter", "identifier=" + url_encode(ticket_system + "|" + reference),
                     std::move(encounter)};
}

} // namespace

std::string identifier_system(const std::string& site_id, const std::string& kind) {
    return "urn:kiosk:" + site_id + ":" + kind;
}

std::string url_encode(const std::string& value) {
    std::string out;
    for (const unsigned char c : value) {
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
            c == '.' || c == '_' || c == '~') {
            out += static_cast<char>(c);
        } else {
            char buf[4];
            std::snprintf(buf, sizeof buf, "%%%02X", c);
            out += buf;
        }
    }
    return out;
}

std::optional<FhirWrite> to_fhir(const store::OutboxEntry& entry, std::string& why) {
    const auto payload = nlohmann::json::parse(entry.payload_json, nullptr, /*allow_exceptions=*/false);
    if (payload.is_discarded() || !payload.is_object()) {
        why = "outbox payload is not a JSON object";
        return std::nullopt;
    }
    try {
        if (entry.aggregate_type == "ticket" && entry.operation == "create")
            return ticket_encounter(payload, why);
    } catch (const nlohmann::json::exception& e) {
        why = std::string("malformed ticket payload: ") + e.what();
        return std::nullopt;
    }
    why = "no FHIR mapping for " + entry.aggregate_type + "/" + entry.operation;
    return std::nullopt;
}

nlohmann::json batch_bundle(const std::vector<FhirWrite>& writes) {
    nlohmann::json entries = nlohmann::json::array();
    for (const auto& w : writes)
        entries.push_back(
            {{"resource", w.resource},
             {"request", {{"method", "POST"}, {"url", w.resource_type}, {"ifNoneExist", w.if_none_exist}}}});
    return {{"resourceType", "Bundle"}, {"type", "batch"}, {"entry", std::move(entries)}};
}

} // namespace kiosk::his
