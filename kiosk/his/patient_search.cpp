#include "kiosk/his/patient_search.hpp"

#include "kiosk/his/fhir_his.hpp"
#include "kiosk/his/fhir_mapping.hpp"

#include "kiosk/core/text.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <set>
#include <stdexcept>
#include <utility>

// No logging in this file, on purpose: identifier values and names are personal data.

namespace kiosk::his {
namespace {

// Replaces every occurrence of `secret` in `text` (so that a message never carries an identifier value,
// even when the HIS or curl echoes the query).
std::string redact(std::string text, const std::string& secret) {
    if (secret.empty()) return text;
    const std::string mask = "<identifier>";
    for (std::size_t at = text.find(secret); at != std::string::npos;
         at = text.find(secret, at + mask.size()))
        text.replace(at, secret.size(), mask);
    return text;
}

// A usable search answer, or why the reply is not one.
struct Parsed {
    std::vector<SearchedPatient> patients;
    std::string error; // "" when usable
};

// The Patients of a searchset Bundle. The reply is unusable when it is not a Bundle, an entry is not an
// object, a Patient has no id, or a Patient does not carry system|value: a server that ignored the search
// parameter (and answers with unrelated patients) must never make the kiosk show someone else's record.
Parsed parse_search(const std::string& body, const std::string& system, const std::string& value) {
    const auto bundle = nlohmann::json::parse(body, nullptr, false);
    if (bundle.is_discarded() || !bundle.is_object() || json_text(bundle, "resourceType") != "Bundle")
        return {{}, "the HIS reply is not a FHIR Bundle"};
    Parsed out;
    if (!bundle.contains("entry")) return out; // no match
    const auto& entries = bundle["entry"];
    if (!entries.is_array()) return {{}, "the HIS reply has a malformed Bundle.entry"};
    std::set<std::string> seen;
    for (const auto& e : entries) {
        if (!e.is_object() || !e.contains("resource") || !e["resource"].is_object())
            return {{}, "the HIS reply has a Bundle entry without a resource"};
        // Only the matches themselves: not _include'd resources nor an OperationOutcome with warnings.
        if (e.contains("search")) {
            const std::string mode = json_text(e["search"], "mode");
            if (!mode.empty() && mode != "match") continue;
        }
        const auto& resource = e["resource"];
        if (json_text(resource, "resourceType") != "Patient") continue;
        if (!resource.contains("id") || !resource["id"].is_string() ||
            resource["id"].get<std::string>().empty())
            return {{}, "the HIS reply has a Patient without an id"};
        std::string id = resource["id"].get<std::string>();
        if (!seen.insert(id).second) continue;
        SearchedPatient p{std::move(id), resource.dump(), {}};
        bool carries = false;
        if (resource.contains("identifier") && resource["identifier"].is_array()) {
            for (const auto& ident : resource["identifier"]) {
                if (!ident.is_object() || !ident.contains("system") || !ident["system"].is_string() ||
                    !ident.contains("value") || !ident["value"].is_string())
                    continue;
                auto s = ident["system"].get<std::string>();
                auto v = ident["value"].get<std::string>();
                if (s.empty() || v.empty()) continue;
                // Token search compares codes case-insensitively on some servers; accept that, not more.
                if (s == system && core::equal_ignoring_ascii_case(v, value)) carries = true;
                p.identifiers.emplace_back(std::move(s), std::move(v));
            }
        }
        if (!carries)
            return {{}, "the HIS answered with a Patient that does not carry the identifier searched for"};
        out.patients.push_back(std::move(p));
    }
    return out;
}

} // namespace

ReplyProblem search_reply_problem(const HttpResponse& resp, const std::string& what) {
    if (resp.error != TransportError::None) return {LookupProblem::Unreachable, transport_text(resp)};
    const long status = resp.status;
    if (status == 200) return {};
    const std::string text = operation_outcome_text(resp.body);
    const std::string detail = " (HTTP " + std::to_string(status) + ")" + (text.empty() ? "" : ": " + text);
    if (status >= 400 && status < 500 && status != 408 && status != 429)
        return {LookupProblem::Refused, "the HIS refused " + what + detail};
    return {LookupProblem::Unreachable, "the HIS could not answer " + what + detail};
}

std::string identifier_token(const std::string& system, const std::string& value) {
    // FHIR R4 search, "Escaping Search Parameters": \ , $ | in a value are escaped with a backslash.
    // Without this a value containing ',' would be read as two alternatives.
    const auto escape = [](const std::string& s) {
        std::string out;
        out.reserve(s.size());
        for (const char c : s) {
            if (c == '\\' || c == ',' || c == '$' || c == '|') out += '\\';
            out += c;
        }
        return out;
    };
    return escape(system) + "|" + escape(value);
}

PatientSearch::PatientSearch(HttpTransport& transport, std::string base_url,
                             std::chrono::milliseconds deadline)
    : transport_(transport), base_(without_trailing_slashes(std::move(base_url))), deadline_(deadline) {}

SearchAnswer PatientSearch::search(const std::string& system, const std::string& value) {
    if (system.empty() || value.empty())
        throw std::invalid_argument("PatientSearch::search needs an identifier system and a value");

    const std::string encoded = url_encode(identifier_token(system, value));
    HttpRequest req;
    req.method = "GET";
    req.url = base_ + "/Patient?identifier=" + encoded + "&_count=" + std::to_string(kMaxMatches);
    req.headers = {{"Accept", kFhirJson}};
    req.deadline = std::chrono::steady_clock::now() + deadline_;
    const HttpResponse resp = transport_.send(req);

    const auto clean = [&](std::string text) { return redact(redact(std::move(text), encoded), value); };
    const auto problem = [](LookupProblem p, std::string message) {
        SearchAnswer a;
        a.problem = p;
        a.message = std::move(message);
        return a;
    };

    if (ReplyProblem p = search_reply_problem(resp, "the patient search"); p.problem != LookupProblem::None)
        return problem(p.problem, clean(std::move(p.message)));
    if (resp.body.size() > kMaxReplyBytes)
        return problem(LookupProblem::Unreachable, "the HIS reply to the patient search was too large (" +
                                                       std::to_string(resp.body.size()) + " bytes)");
    Parsed parsed = parse_search(resp.body, system, value);
    if (!parsed.error.empty()) return problem(LookupProblem::Unreachable, parsed.error);
    SearchAnswer answer;
    answer.patients = std::move(parsed.patients);
    return answer;
}

} // namespace kiosk::his
