#include "kiosk/store/outbox_records.hpp"

#include <nlohmann/json.hpp>

#include <string_view>

namespace kiosk::store {
namespace {

// --- ticket/create ----------------------------------------------------------------------------------------

std::optional<core::OutboundRecord> ticket(const nlohmann::json& t, const OutboxEntry& entry,
                                           std::string& why) {
    for (const char* key :
         {"reference", "display_number", "service_code", "service_day", "issued_at", "site_id"})
        if (!t.contains(key)) {
            why = std::string("ticket payload lacks '") + key + "'";
            return std::nullopt;
        }
    core::OutboundTicket out;
    core::Ticket& k = out.ticket;
    k.reference = t.at("reference").get<std::string>();
    k.display_number = t.at("display_number").get<std::string>();
    k.service_code = t.at("service_code").get<std::string>();
    const auto day = core::date_from_iso(t.at("service_day").get<std::string>());
    if (!day) {
        why = "ticket payload: 'service_day' is not a YYYY-MM-DD date";
        return std::nullopt;
    }
    k.service_day = *day;
    k.sequence = t.value("sequence", 0);
    k.issued_at = t.at("issued_at").get<core::UnixMillis>();
    k.site_id = t.at("site_id").get<std::string>();
    k.kiosk_id = t.value("kiosk_id", "");
    out.issued_at_local = t.value("issued_at_local", "");
    if (const auto p = t.find("patient"); p != t.end() && p->is_object()) {
        core::PatientRef who;
        who.his_id = p->value("his_id", "");
        who.kiosk_patient_id = p->value("kiosk_patient_id", "");
        if (!who.his_id.empty() || !who.kiosk_patient_id.empty()) k.patient = std::move(who);
    }
    return core::OutboundRecord{entry.identifier, entry.depends_on_resource, std::move(out)};
}

// --- patient/create ---------------------------------------------------------------------------------------
// The payload holds personal data: every `why` below names a field, never its value.

// The string at `key` into `out`: "" when absent or null. false (with `why`) when it is something else.
bool optional_text(const nlohmann::json& p, const char* key, std::string& out, std::string& why) {
    out.clear();
    const auto it = p.find(key);
    if (it == p.end() || it->is_null()) return true;
    if (!it->is_string()) {
        why = std::string("patient payload: '") + key + "' is not a string";
        return false;
    }
    out = it->get<std::string>();
    return true;
}

bool blank(std::string_view s) {
    return s.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

bool required_text(const nlohmann::json& p, const char* key, std::string& out, std::string& why) {
    if (!optional_text(p, key, out, why)) return false;
    if (blank(out)) {
        why = std::string("patient payload lacks '") + key + "'";
        return false;
    }
    return true;
}

// The system of a given identifier, from the payload's "identifier_systems".
bool system_of(const nlohmann::json& p, const char* kind, std::string& out, std::string& why) {
    const auto it = p.find("identifier_systems");
    if (it == p.end() || !it->is_object()) {
        why = "patient payload lacks 'identifier_systems'";
        return false;
    }
    if (!optional_text(*it, kind, out, why) || out.empty()) {
        why = std::string("patient payload lacks the identifier system of '") + kind + "'";
        return false;
    }
    return true;
}

std::optional<core::OutboundRecord> patient(const nlohmann::json& p, const OutboxEntry& entry,
                                            std::string& why) {
    core::OutboundPatient out;
    core::PatientDetails& d = out.details;
    std::string birth_date, sex;
    if (!required_text(p, "kiosk_patient_id", out.kiosk_patient_id, why) ||
        !required_text(p, "site_id", out.site_id, why) || !required_text(p, "full_name", d.full_name, why) ||
        !optional_text(p, "kiosk_id", out.kiosk_id, why) || !optional_text(p, "cccd", d.cccd, why) ||
        !optional_text(p, "bhyt", d.bhyt, why) || !optional_text(p, "birth_date", birth_date, why) ||
        !optional_text(p, "sex", sex, why) || !optional_text(p, "address", d.address, why) ||
        !optional_text(p, "phone", d.phone, why))
        return std::nullopt;
    if (out.kiosk_patient_id != entry.identifier) {
        why = "patient payload: 'kiosk_patient_id' is not the outbox row's identifier";
        return std::nullopt;
    }
    if (d.cccd.empty() && d.bhyt.empty()) {
        why = "patient payload has neither 'cccd' nor 'bhyt'";
        return std::nullopt;
    }
    if (!d.cccd.empty() && !system_of(p, "cccd", out.cccd_system, why)) return std::nullopt;
    if (!d.bhyt.empty() && !system_of(p, "bhyt", out.bhyt_system, why)) return std::nullopt;
    if (!birth_date.empty()) {
        d.birth_date = core::date_from_iso(birth_date);
        if (!d.birth_date) {
            why = "patient payload: 'birth_date' is not a YYYY-MM-DD date";
            return std::nullopt;
        }
    }
    if (sex.empty())
        d.sex = core::Sex::Unknown;
    else if (const auto known = core::sex_from_code(sex))
        d.sex = *known;
    else {
        why = "patient payload: 'sex' is not male, female or unknown";
        return std::nullopt;
    }
    out.registered_at = p.value("registered_at", core::UnixMillis{0});
    return core::OutboundRecord{entry.identifier, entry.depends_on_resource, std::move(out)};
}

} // namespace

std::optional<core::OutboundRecord> decode_outbox_record(const OutboxEntry& entry, std::string& why) {
    const auto payload = nlohmann::json::parse(entry.payload_json, nullptr, /*allow_exceptions=*/false);
    if (payload.is_discarded() || !payload.is_object()) {
        why = "outbox payload is not a JSON object";
        return std::nullopt;
    }
    try {
        if (entry.aggregate_type == "ticket" && entry.operation == "create")
            return ticket(payload, entry, why);
        if (entry.aggregate_type == "patient" && entry.operation == "create")
            return patient(payload, entry, why);
    } catch (const nlohmann::json::exception& e) {
        // A patient payload holds personal data, and nlohmann's messages may quote from the document.
        why = entry.aggregate_type == "patient"
                  ? "malformed patient payload (JSON error " + std::to_string(e.id) + ")"
                  : std::string("malformed ticket payload: ") + e.what();
        return std::nullopt;
    }
    why = "no FHIR mapping for " + entry.aggregate_type + "/" + entry.operation +
          " (an outbox record of a kind this build does not know)";
    return std::nullopt;
}

} // namespace kiosk::store
