#include "kiosk/his/fhir_mapping.hpp"

#include "kiosk/core/identifier_systems.hpp"
#include "kiosk/core/ticket.hpp"
#include "kiosk/his/patient_lookup.hpp" // identifier_token

#include <chrono>
#include <cstdio>
#include <string_view>
#include <vector>

namespace kiosk::his {
namespace {

std::optional<FhirWrite> ticket_encounter(const nlohmann::json& t, const store::OutboxEntry& entry,
                                          const std::string& base, std::string& why) {
    for (const char* key :
         {"reference", "display_number", "service_code", "service_day", "issued_at", "site_id"})
        if (!t.contains(key)) {
            why = std::string("ticket payload lacks '") + key + "'";
            return std::nullopt;
        }
    const std::string reference = t.at("reference").get<std::string>();
    const std::string ticket_system = identifier_system(base, core::kTicketKind);
    const std::string service_day = t.at("service_day").get<std::string>();
    const std::string start =
        t.contains("issued_at_local")
            ? t.at("issued_at_local").get<std::string>()
            : core::local_datetime_rfc3339(t.at("issued_at").get<core::UnixMillis>(), 0);
    nlohmann::json encounter = {
        {"resourceType", "Encounter"},
        {"identifier",
         {{{"use", "official"}, {"system", ticket_system}, {"value", reference}},
          // The number called out is only unique within its service day: a stable system, and the day as
          // the period the identifier is valid for.
          {{"use", "secondary"},
           {"system", identifier_system(base, core::kQueueNumberKind)},
           {"value", t.at("display_number")},
           {"period", {{"start", service_day}, {"end", service_day}}}}}},
        {"status", "arrived"},
        {"class",
         {{"system", "http://terminology.hl7.org/CodeSystem/v3-ActCode"},
          {"code", "AMB"},
          {"display", "ambulatory"}}},
        {"serviceType",
         {{"coding",
           {{{"system", identifier_system(base, core::kServiceKind)}, {"code", t.at("service_code")}}}}}},
        {"period", {{"start", start}}},
    };
    // The patient, when they identified first: by the HIS's id; for a patient registered at the kiosk, by
    // the id the HIS answered the registration with (the outbox sends the ticket only after it, and this
    // may be a Patient the HIS already had, which does not carry the kiosk's identifier). Only a ticket
    // whose registration the outbox no longer knows (delivered before dependencies existed) falls back to
    // the registration's identifier (a logical reference).
    if (t.contains("patient") && t["patient"].is_object()) {
        const std::string his_id = json_text(t["patient"], "his_id");
        const std::string kiosk_id = json_text(t["patient"], "kiosk_patient_id");
        const std::string& registered = entry.depends_on_resource;
        if (!his_id.empty())
            encounter["subject"] = {{"reference", "Patient/" + his_id}};
        else if (!kiosk_id.empty() && registered.rfind("Patient/", 0) == 0 && registered.size() > 8)
            encounter["subject"] = {{"reference", registered}};
        else if (!kiosk_id.empty())
            encounter["subject"] = {
                {"type", "Patient"},
                {"identifier",
                 {{"system", identifier_system(base, core::kPatientKind)}, {"value", kiosk_id}}}};
    }
    return FhirWrite{"Encounter", "identifier=" + url_encode(ticket_system + "|" + reference),
                     std::move(encounter)};
}

// --- patient/create -------------------------------------------------------------------------------------
// The payload holds personal data: every `why` below names a field, never its value.

constexpr const char* kV2IdentifierType = "http://terminology.hl7.org/CodeSystem/v2-0203";

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

bool required_text(const nlohmann::json& p, const char* key, std::string& out, std::string& why) {
    if (!optional_text(p, key, out, why)) return false;
    if (out.empty()) {
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

// "YYYY-MM-DD" naming a real day.
bool is_fhir_date(std::string_view s) {
    if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
    for (std::size_t i = 0; i < s.size(); ++i)
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9')) return false;
    const auto num = [&](std::size_t pos, std::size_t len) {
        int v = 0;
        for (std::size_t i = pos; i < pos + len; ++i)
            v = v * 10 + (s[i] - '0');
        return v;
    };
    const std::chrono::year_month_day day{std::chrono::year{num(0, 4)},
                                          std::chrono::month{static_cast<unsigned>(num(5, 2))},
                                          std::chrono::day{static_cast<unsigned>(num(8, 2))}};
    return num(0, 4) >= 1 && day.ok();
}

std::vector<std::string> words(std::string_view text) {
    std::vector<std::string> out;
    std::size_t i = 0;
    while (i < text.size()) {
        const std::size_t start = text.find_first_not_of(" \t\r\n", i);
        if (start == std::string_view::npos) break;
        std::size_t end = text.find_first_of(" \t\r\n", start);
        if (end == std::string_view::npos) end = text.size();
        out.emplace_back(text.substr(start, end - start));
        i = end;
    }
    return out;
}

nlohmann::json identifier_type(const char* code, const char* display) {
    return {{"coding", {{{"system", kV2IdentifierType}, {"code", code}, {"display", display}}}}};
}

std::optional<FhirWrite> patient_create(const nlohmann::json& p, const store::OutboxEntry& entry,
                                        const std::string& base, std::string& why) {
    std::string kiosk_patient_id, site, full_name, cccd, bhyt, birth_date, sex, address, phone;
    if (!required_text(p, "kiosk_patient_id", kiosk_patient_id, why) ||
        !required_text(p, "site_id", site, why) || !required_text(p, "full_name", full_name, why) ||
        !optional_text(p, "cccd", cccd, why) || !optional_text(p, "bhyt", bhyt, why) ||
        !optional_text(p, "birth_date", birth_date, why) || !optional_text(p, "sex", sex, why) ||
        !optional_text(p, "address", address, why) || !optional_text(p, "phone", phone, why))
        return std::nullopt;
    if (kiosk_patient_id != entry.identifier) {
        why = "patient payload: 'kiosk_patient_id' is not the outbox row's identifier";
        return std::nullopt;
    }
    if (cccd.empty() && bhyt.empty()) {
        why = "patient payload has neither 'cccd' nor 'bhyt'";
        return std::nullopt;
    }
    std::string cccd_system, bhyt_system;
    if (!cccd.empty() && !system_of(p, "cccd", cccd_system, why)) return std::nullopt;
    if (!bhyt.empty() && !system_of(p, "bhyt", bhyt_system, why)) return std::nullopt;
    const std::vector<std::string> name_words = words(full_name);
    if (name_words.empty()) {
        why = "patient payload lacks 'full_name'";
        return std::nullopt;
    }
    if (!birth_date.empty() && !is_fhir_date(birth_date)) {
        why = "patient payload: 'birth_date' is not a YYYY-MM-DD date";
        return std::nullopt;
    }
    if (sex.empty()) sex = "unknown";
    if (sex != "male" && sex != "female" && sex != "unknown") {
        why = "patient payload: 'sex' is not male, female or unknown";
        return std::nullopt;
    }

    const std::string kiosk_system = identifier_system(base, core::kPatientKind);
    nlohmann::json identifiers = {
        {{"use", "official"}, {"system", kiosk_system}, {"value", kiosk_patient_id}}};
    if (!cccd.empty())
        identifiers.push_back({{"type", identifier_type("NI", "National unique individual identifier")},
                               {"system", cccd_system},
                               {"value", cccd}});
    if (!bhyt.empty())
        identifiers.push_back(
            {{"type", identifier_type("MB", "Member Number")}, {"system", bhyt_system}, {"value", bhyt}});

    // Vietnamese order: the family name first, then the middle and given names.
    std::string text = name_words.front();
    nlohmann::json name = {{"use", "official"}, {"family", name_words.front()}};
    nlohmann::json given = nlohmann::json::array();
    for (std::size_t i = 1; i < name_words.size(); ++i) {
        text += " " + name_words[i];
        given.push_back(name_words[i]);
    }
    name["text"] = text;
    if (!given.empty()) name["given"] = std::move(given);

    nlohmann::json patient = {{"resourceType", "Patient"},
                              {"identifier", std::move(identifiers)},
                              {"name", nlohmann::json::array({std::move(name)})},
                              {"gender", sex}};
    if (!birth_date.empty()) patient["birthDate"] = birth_date;
    if (!address.empty()) patient["address"] = {{{"text", address}, {"country", "VN"}}};
    if (!phone.empty()) patient["telecom"] = {{{"system", "phone"}, {"value", phone}, {"use", "mobile"}}};

    // Match on the numbers the HIS may already hold (a patient registered at the desk), so the HIS finds
    // that Patient instead of creating a second one: the CCCD or the BHYT number (a comma is FHIR's "or"
    // between values of one search parameter), so a patient the desk knew by the BHYT card alone is matched
    // too. Two different Patients matching is a 412: staff sort it out (dead letter), nothing is created.
    std::string match;
    if (!cccd.empty()) match = url_encode(identifier_token(cccd_system, cccd));
    if (!bhyt.empty()) match += (match.empty() ? "" : ",") + url_encode(identifier_token(bhyt_system, bhyt));
    return FhirWrite{"Patient", "identifier=" + match, std::move(patient)};
}

} // namespace

std::string identifier_system(const std::string& identifier_base, const std::string& kind) {
    return core::kiosk_identifier_system(identifier_base, kind);
}

std::string json_text(const nlohmann::json& object, const char* key) {
    if (!object.is_object()) return "";
    const auto it = object.find(key);
    return it != object.end() && it->is_string() ? it->get<std::string>() : "";
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

std::optional<FhirWrite> to_fhir(const store::OutboxEntry& entry, const std::string& identifier_base,
                                 std::string& why) {
    const auto payload = nlohmann::json::parse(entry.payload_json, nullptr, /*allow_exceptions=*/false);
    if (payload.is_discarded() || !payload.is_object()) {
        why = "outbox payload is not a JSON object";
        return std::nullopt;
    }
    try {
        if (entry.aggregate_type == "ticket" && entry.operation == "create")
            return ticket_encounter(payload, entry, identifier_base, why);
        if (entry.aggregate_type == "patient" && entry.operation == "create")
            return patient_create(payload, entry, identifier_base, why);
    } catch (const nlohmann::json::exception& e) {
        // A patient payload holds personal data, and nlohmann's messages may quote from the document.
        why = entry.aggregate_type == "patient"
                  ? "malformed patient payload (JSON error " + std::to_string(e.id) + ")"
                  : std::string("malformed ticket payload: ") + e.what();
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
