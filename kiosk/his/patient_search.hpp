#pragma once
// Finding a patient in the HIS by an identifier: a FHIR R4 Patient search. The kiosk's patient cache (the
// fallback while the HIS is unreachable) is sync::PatientLookup's, over this.
#include "kiosk/his/http.hpp"

#include <chrono>
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

namespace kiosk::his {

// Why the HIS's answer is missing.
enum class LookupProblem {
    None,        // the HIS answered
    Unreachable, // transport error, timeout, 5xx/408/429, or a reply that is not a usable search Bundle
    Refused,     // the HIS refused the query (other 4xx); message holds its OperationOutcome text
};

// One Patient of the HIS's answer.
struct SearchedPatient {
    std::string fhir_id;                                          // the HIS's logical id
    std::string json;                                             // the Patient resource
    std::vector<std::pair<std::string, std::string>> identifiers; // (system, value) it carries
};

struct SearchAnswer {
    LookupProblem problem = LookupProblem::None;
    // "" when the HIS answered; otherwise for staff: why the answer is missing. Never contains the
    // identifier value or patient data.
    std::string message;
    // The HIS's answer (problem None): every Patient carrying the identifier, none for "not found".
    std::vector<SearchedPatient> patients;
};

// GET <base>/Patient?identifier=<system>|<value>&_count=10.
//  - 200 with a search Bundle: the answer (zero matches is a definitive "not found").
//  - Transport error, timeout, 5xx, 408, 429, or a 200 that is not a usable search Bundle (garbage, too
//    large, a Patient that does not carry the identifier searched for: a server that ignored the search
//    parameter must never make the kiosk show someone else's record): LookupProblem::Unreachable.
//  - Other 4xx: LookupProblem::Refused with the OperationOutcome text.
// Never an exception for network problems. Deadline: every transfer made for one search (an OAuth2 token
// fetch, the search, a retry after a 401) is over within `deadline` of the call (HttpRequest::deadline).
// Privacy: nothing here logs, and no message contains an identifier value or a name (texts from the HIS or
// curl are redacted of the value). Threads: one at a time, like the transport it is given.
class PatientSearch {
public:
    // base_url: the FHIR service base, e.g. "https://his.example.vn/fhir/R4" (trailing slashes ignored).
    PatientSearch(HttpTransport& transport, std::string base_url, std::chrono::milliseconds deadline);

    // Throws std::invalid_argument if system or value is empty; nothing else.
    [[nodiscard]] SearchAnswer search(const std::string& system, const std::string& value);

    // Replies larger than this are not parsed (treated as unreachable); 10 Patients fit many times over.
    static constexpr std::size_t kMaxReplyBytes = 2u * 1024u * 1024u;
    // _count of the search: more matches than this for one identifier would be a HIS data problem.
    static constexpr int kMaxMatches = 10;

private:
    HttpTransport& transport_;
    std::string base_;
    std::chrono::milliseconds deadline_;
};

// What is wrong with the reply to a FHIR search, before its body is read: a transport error, a 4xx other
// than 408/429 (Refused, with the OperationOutcome text), any other status than 200 (Unreachable). `what`
// names the search for staff ("the patient search"). None with an empty message for a 200.
struct ReplyProblem {
    LookupProblem problem = LookupProblem::None;
    std::string message;
};
[[nodiscard]] ReplyProblem search_reply_problem(const HttpResponse& resp, const std::string& what);

// The FHIR search token for system|value, with the search escapes (\ , $ |) applied to both parts and
// not yet percent-encoded.
[[nodiscard]] std::string identifier_token(const std::string& system, const std::string& value);

} // namespace kiosk::his
