#include "kiosk/his/fhir_mapping.hpp"

#include "kiosk/core/identifier_systems.hpp"
#include "kiosk/core/ticket.hpp"
#include "kiosk/his/patient_search.hpp" // identifier_token

#include <string_view>
#include <variant>
#include <vector>

namespace kiosk::his {
namespace {

std::optional<FhirWrite> ticket_encounter(const core::OutboundTicket& out, const std::string& registered,
                                          const std::string& base) {
    const core::Ticket& t = out.ticket;
    const std::string ticket_system = identifier_system(base, core::kTicketKind);
    const std::string service_day = t.service_day.iso();
    const std::string start =
        out.issued_at_local.empty() ? core::local_datetime_rfc3339(t.issued_at, 0) : out.issued_at_local;
    nlohmann::json encounter = {
        {"resourceType", "Encounter"},
        {"identifier",
         {{{"use", "official"}, {"system", ticket_system}, {"value", t.reference}},
          // The number called out is only unique within its service day: a stable system, and the day as
          // the period the identifier is valid for.
          {{"use", "secondary"},
           {"system", identifier_system(base, core::kQueueNumberKind)},
           {"value", t.display_number},
           {"period", {{"start", service_day}, {"end", service_day}}}}}},
        {"status", "arrived"},
        {"class",
         {{"system", "http://terminology.hl7.org/CodeSystem/v3-ActCode"},
          {"code", "AMB"},
          {"display", "ambulatory"}}},
        {"serviceType",
         {{"coding", {{{"system", identifier_system(base, core::kServiceKind)}, {"code", t.service_code}}}}}},
        {"period", {{"start", start}}},
    };
    // The patient, when they identified first: by the HIS's id; for a patient registered at the kiosk, by
    // the id the HIS answered the registration with (the outbox sends the ticket only after it, and this
    // may be a Patient the HIS already had, which does not carry the kiosk's identifier). Only a ticket
    // whose registration the outbox no longer knows (delivered before dependencies existed) falls back to
    // the registration's identifier (a logical reference).
    if (t.patient) {
        const std::string& his_id = t.patient->his_id;
        const std::string& kiosk_id = t.patient->kiosk_patient_id;
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
    return FhirWrite{"Encounter", "identifier=" + url_encode(ticket_system + "|" + t.reference),
                     std::move(encounter)};
}

// --- patient/create -------------------------------------------------------------------------------------
// The record holds personal data: a `why` names a field, never its value.

constexpr const char* kV2IdentifierType = "http://terminology.hl7.org/CodeSystem/v2-0203";

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

std::optional<FhirWrite> patient_create(const core::OutboundPatient& p, const std::string& base,
                                        std::string& why) {
    const core::PatientDetails& d = p.details;
    const std::string& cccd = d.cccd;
    const std::string& bhyt = d.bhyt;
    const std::vector<std::string> name_words = words(d.full_name);
    if (name_words.empty()) {
        why = "patient record lacks 'full_name'";
        return std::nullopt;
    }
    if (cccd.empty() && bhyt.empty()) {
        why = "patient record has neither 'cccd' nor 'bhyt'";
        return std::nullopt;
    }
    const std::string kiosk_system = identifier_system(base, core::kPatientKind);
    nlohmann::json identifiers = {
        {{"use", "official"}, {"system", kiosk_system}, {"value", p.kiosk_patient_id}}};
    if (!cccd.empty())
        identifiers.push_back({{"type", identifier_type("NI", "National unique individual identifier")},
                               {"system", p.cccd_system},
                               {"value", cccd}});
    if (!bhyt.empty())
        identifiers.push_back(
            {{"type", identifier_type("MB", "Member Number")}, {"system", p.bhyt_system}, {"value", bhyt}});

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
                              {"gender", core::sex_code(d.sex)}};
    if (d.birth_date) patient["birthDate"] = d.birth_date->iso();
    if (!d.address.empty()) patient["address"] = {{{"text", d.address}, {"country", "VN"}}};
    if (!d.phone.empty()) patient["telecom"] = {{{"system", "phone"}, {"value", d.phone}, {"use", "mobile"}}};

    // Match on the numbers the HIS may already hold (a patient registered at the desk), so the HIS finds
    // that Patient instead of creating a second one: the CCCD or the BHYT number (a comma is FHIR's "or"
    // between values of one search parameter), so a patient the desk knew by the BHYT card alone is matched
    // too. Two different Patients matching is a 412: staff sort it out (dead letter), nothing is created.
    std::string match;
    if (!cccd.empty()) match = url_encode(identifier_token(p.cccd_system, cccd));
    if (!bhyt.empty())
        match += (match.empty() ? "" : ",") + url_encode(identifier_token(p.bhyt_system, bhyt));
    return FhirWrite{"Patient", "identifier=" + match, std::move(patient)};
}

} // namespace

std::string identifier_system(const std::string& identifier_base, const std::string& kind) {
    return core::kiosk_identifier_system(identifier_base, kind);
}

std::optional<FhirWrite> to_fhir(const core::OutboundRecord& record, const std::string& identifier_base,
                                 std::string& why) {
    if (const auto* t = std::get_if<core::OutboundTicket>(&record.value))
        return ticket_encounter(*t, record.depends_on_resource, identifier_base);
    if (const auto* p = std::get_if<core::OutboundPatient>(&record.value))
        return patient_create(*p, identifier_base, why);
    why = "no FHIR mapping for this kind of record";
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
