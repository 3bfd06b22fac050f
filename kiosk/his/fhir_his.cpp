#include "kiosk/his/fhir_his.hpp"

#include "kiosk/his/fhir_mapping.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>
#include <ctime>
#include <stdexcept>
#include <string_view>
#include <vector>

namespace kiosk::his {
namespace {

// The status code at the start of a batch-response entry's response.status ("201 Created").
long leading_status(const std::string& s) {
    long v = 0;
    const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    return ec == std::errc() && p != s.data() ? v : 0;
}

DeliveryResult result_for(long status, std::string detail, std::optional<std::chrono::seconds> retry_after) {
    DeliveryResult r{classify_status(status), std::move(detail), retry_after};
    r.http_status = status;
    if (r.detail.empty()) r.detail = "HTTP " + std::to_string(status);
    return r;
}

// What the body of a 2xx reply is, for staff, when it is not the resource written. Never quotes a
// resource (it may be a Patient); an OperationOutcome's text is the server's own words.
std::string describe_body(const nlohmann::json& body, bool empty, const std::string& type) {
    if (empty) return "an empty body";
    if (body.is_discarded()) return "a body that is not JSON (truncated, or an HTML page of a proxy?)";
    if (!body.is_object()) return "a JSON body that is not a resource";
    const std::string got = json_text(body, "resourceType");
    if (got.empty()) return "a JSON body without a resourceType";
    if (got == "OperationOutcome") {
        const std::string text = operation_outcome_text(body.dump());
        return "an OperationOutcome" + (text.empty() ? std::string() : " (" + text + ")");
    }
    if (got == type) return "a " + type + " without a valid id";
    return "a " + got + " instead of a " + type;
}

// The 2xx outcome of one write of `type`, with proof or as RetryLater. body: the returned resource
// (discarded when absent or not JSON); location: the Location (or Content-Location) the HIS gave.
DeliveryResult success_with_proof(long status, const std::string& type, const nlohmann::json& body,
                                  bool body_empty, const std::string& location, const std::string& what) {
    DeliveryResult r = result_for(status, "", std::nullopt);
    if (body.is_object() && json_text(body, "resourceType") == type && is_fhir_id(json_text(body, "id"))) {
        r.resource = type + "/" + json_text(body, "id");
        return r;
    }
    if (auto from_location = resource_from_location(location, type); !from_location.empty()) {
        r.resource = std::move(from_location);
        return r;
    }
    return DeliveryResult{Delivery::RetryLater,
                          what + "HTTP " + std::to_string(status) + " does not prove the " + type +
                              " was stored: the reply holds " + describe_body(body, body_empty, type) +
                              (location.empty() ? " and no Location" : " and a Location naming no " + type) +
                              "; the record stays in the outbox and is sent again",
                          std::nullopt};
}

} // namespace

bool is_fhir_id(std::string_view id) {
    if (id.empty() || id.size() > 64) return false;
    for (const char c : id)
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
              c == '.'))
            return false;
    return true;
}

std::string resource_from_location(std::string_view location, const std::string& type) {
    // Drop a query or fragment, then read [...]/<type>/<id>[/_history/<version>] from the end.
    location = location.substr(0, location.find_first_of("?#"));
    std::vector<std::string_view> segments;
    for (std::size_t start = 0; start <= location.size();) {
        const std::size_t slash = std::min(location.find('/', start), location.size());
        if (slash > start) segments.push_back(location.substr(start, slash - start));
        start = slash + 1;
    }
    if (segments.size() >= 4 && segments[segments.size() - 2] == "_history")
        segments.resize(segments.size() - 2);
    if (segments.size() < 2 || segments[segments.size() - 2] != type || !is_fhir_id(segments.back()))
        return "";
    return type + "/" + std::string(segments.back());
}

Delivery classify_status(long status) {
    if (status == 201) return Delivery::Accepted;
    if (status >= 200 && status < 300) return Delivery::AlreadyExists; // 200: the conditional create matched
    // Not authorised (bad or expired credentials, a revoked kiosk) says nothing about the record: keep it
    // and wait (the backoff caps the retries) while staff fix the configuration; never dead-letter it.
    if (status == 401 || status == 403) return Delivery::RetryLater;
    if (status == 409 || status == 412) return Delivery::Conflict;
    if (status == 408 || status == 429 || status >= 500) return Delivery::RetryLater;
    if (status >= 400) return Delivery::Rejected;
    return Delivery::RetryLater; // 1xx/3xx: not an answer to a write
}

std::string operation_outcome_text(const std::string& json_body) {
    const auto j = nlohmann::json::parse(json_body, nullptr, false);
    if (j.is_discarded() || !j.is_object() || json_text(j, "resourceType") != "OperationOutcome") return "";
    std::string out;
    for (const auto& issue : j.value("issue", nlohmann::json::array())) {
        std::string text;
        if (issue.contains("diagnostics") && issue["diagnostics"].is_string())
            text = issue["diagnostics"];
        else if (issue.contains("details") && issue["details"].is_object() &&
                 issue["details"].contains("text"))
            text = json_text(issue["details"], "text");
        if (text.empty()) continue;
        if (!out.empty()) out += "; ";
        out += text;
    }
    return out;
}

std::optional<std::chrono::seconds> parse_retry_after(const std::string& value,
                                                      std::chrono::system_clock::time_point now) {
    if (value.empty()) return std::nullopt;
    long long secs = 0;
    const auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), secs);
    if (ec == std::errc() && p == value.data() + value.size())
        return std::chrono::seconds(std::max(0LL, secs));
    std::tm tm{};
    if (!strptime(value.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm)) return std::nullopt;
    const auto at = std::chrono::system_clock::from_time_t(timegm(&tm));
    return std::chrono::seconds(
        std::max<long long>(0, std::chrono::duration_cast<std::chrono::seconds>(at - now).count()));
}

FhirHis::FhirHis(HttpTransport& transport, std::string base_url, std::string identifier_base)
    : transport_(transport), base_(std::move(base_url)), identifier_base_(std::move(identifier_base)) {
    // Without it every record would carry a relative system and be sent under it for good.
    if (!identifier_base_.starts_with("https://") && !identifier_base_.starts_with("http://"))
        throw std::invalid_argument(
            "FhirHis needs an absolute http(s) identifier_base ([his] identifier_base)");
    base_ = without_trailing_slashes(std::move(base_));
}

std::vector<DeliveryResult> FhirHis::deliver(const std::vector<core::OutboundRecord>& entries) {
    if (entries.empty()) return {};
    return entries.size() == 1 ? deliver_one(entries.front()) : deliver_batch(entries);
}

std::vector<DeliveryResult> FhirHis::deliver_one(const core::OutboundRecord& entry) {
    std::string why;
    const auto write = to_fhir(entry, identifier_base_, why);
    if (!write) return {DeliveryResult{Delivery::Rejected, why, std::nullopt}};
    HttpRequest req;
    req.method = "POST";
    req.url = base_ + "/" + write->resource_type;
    req.headers = {
        {"Content-Type", kFhirJson}, {"Accept", kFhirJson}, {"If-None-Exist", write->if_none_exist}};
    req.body = write->resource.dump();
    const HttpResponse resp = transport_.send(req);
    if (resp.error != TransportError::None)
        return {DeliveryResult{Delivery::RetryLater, transport_text(resp), std::nullopt, true}};
    if (resp.status >= 200 && resp.status < 300) {
        // Counted as delivered only with proof that the HIS holds this resource (issue 8, item 1).
        std::string location;
        for (const char* h : {"location", "content-location"})
            if (const auto it = resp.headers.find(h); it != resp.headers.end() && location.empty())
                location = it->second;
        return {success_with_proof(resp.status, write->resource_type,
                                   nlohmann::json::parse(resp.body, nullptr, false), resp.body.empty(),
                                   location, "")};
    }
    const auto ra = resp.headers.find("retry-after");
    return {result_for(resp.status, operation_outcome_text(resp.body),
                       ra == resp.headers.end()
                           ? std::nullopt
                           : parse_retry_after(ra->second, std::chrono::system_clock::now()))};
}

std::vector<DeliveryResult> FhirHis::deliver_batch(const std::vector<core::OutboundRecord>& entries) {
    // Rows the kiosk cannot express are rejected here; the others go in one batch, results mapped back.
    std::vector<DeliveryResult> results(entries.size());
    std::vector<FhirWrite> writes;
    std::vector<std::size_t> sent; // index in entries of each write
    for (std::size_t i = 0; i < entries.size(); ++i) {
        std::string why;
        if (auto w = to_fhir(entries[i], identifier_base_, why)) {
            writes.push_back(std::move(*w));
            sent.push_back(i);
        } else {
            results[i] = DeliveryResult{Delivery::Rejected, why, std::nullopt};
        }
    }
    if (writes.empty()) return results;

    HttpRequest req;
    req.method = "POST";
    req.url = base_;
    req.headers = {{"Content-Type", kFhirJson}, {"Accept", kFhirJson}};
    req.body = batch_bundle(writes).dump();
    const HttpResponse resp = transport_.send(req);

    auto fill = [&](const DeliveryResult& r) {
        for (std::size_t i : sent)
            results[i] = r;
        return results;
    };
    if (resp.error != TransportError::None)
        return fill({Delivery::RetryLater, transport_text(resp), std::nullopt, true});
    if (resp.status >= 400 && resp.status < 500 && classify_status(resp.status) == Delivery::Rejected) {
        // The server refuses the batch itself (no batch support, a size limit, ...): that says nothing about
        // the records, so each goes on its own, where every answer is about exactly one record.
        for (std::size_t i : sent)
            results[i] = deliver_one(entries[i]).front();
        return results;
    }
    if (resp.status != 200) {
        // A server problem (5xx, 429, 408) or an odd success code: keep the records and retry later.
        const auto ra = resp.headers.find("retry-after");
        std::string text = operation_outcome_text(resp.body);
        return fill(
            {Delivery::RetryLater,
             "batch refused with HTTP " + std::to_string(resp.status) + (text.empty() ? "" : ": " + text),
             ra == resp.headers.end() ? std::nullopt
                                      : parse_retry_after(ra->second, std::chrono::system_clock::now()),
             false, resp.status});
    }
    const auto bundle = nlohmann::json::parse(resp.body, nullptr, false);
    const bool shaped = !bundle.is_discarded() && bundle.is_object() &&
                        json_text(bundle, "resourceType") == "Bundle" && bundle.contains("entry") &&
                        bundle["entry"].is_array() && bundle["entry"].size() == writes.size();
    if (!shaped) return fill({Delivery::RetryLater, "malformed batch-response from the HIS", {}});
    for (std::size_t k = 0; k < writes.size(); ++k) {
        const auto& e = bundle["entry"][k];
        const auto response =
            e.is_object() && e.contains("response") ? e["response"] : nlohmann::json::object();
        const long status = leading_status(json_text(response, "status"));
        std::string text;
        if (response.contains("outcome")) text = operation_outcome_text(response["outcome"].dump());
        if (status >= 200 && status < 300) {
            const auto resource = e.is_object() && e.contains("resource")
                                      ? e["resource"]
                                      : nlohmann::json(nlohmann::json::value_t::discarded);
            results[sent[k]] = success_with_proof(
                status, writes[k].resource_type, resource, !(e.is_object() && e.contains("resource")),
                json_text(response, "location"), "batch entry " + std::to_string(k + 1) + ": ");
            continue;
        }
        results[sent[k]] = status == 0
                               ? DeliveryResult{Delivery::RetryLater, "batch entry without a status", {}}
                               : result_for(status, text, std::nullopt);
    }
    return results;
}

} // namespace kiosk::his
