#include "kiosk/his/fhir_his.hpp"

#include "kiosk/his/fhir_mapping.hpp"

#include <nlohmann/json.hpp>

#include <charconv>
#include <ctime>

namespace kiosk::his {
namespace {

constexpr const char* kFhirJson = "application/fhir+json";

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

} // namespace

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

FhirHis::FhirHis(HttpTransport& transport, std::string base_url)
    : transport_(transport), base_(std::move(base_url)) {
    while (!base_.empty() && base_.back() == '/')
        base_.pop_back();
}

std::vector<DeliveryResult> FhirHis::deliver(const std::vector<store::OutboxEntry>& entries) {
    if (entries.empty()) return {};
    return entries.size() == 1 ? deliver_one(entries.front()) : deliver_batch(entries);
}

std::vector<DeliveryResult> FhirHis::deliver_one(const store::OutboxEntry& entry) {
    std::string why;
    const auto write = to_fhir(entry, why);
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
    const auto ra = resp.headers.find("retry-after");
    return {result_for(resp.status, operation_outcome_text(resp.body),
                       ra == resp.headers.end()
                           ? std::nullopt
                           : parse_retry_after(ra->second, std::chrono::system_clock::now()))};
}

std::vector<DeliveryResult> FhirHis::deliver_batch(const std::vector<store::OutboxEntry>& entries) {
    // Rows the kiosk cannot express are rejected here; the others go in one batch, results mapped back.
    std::vector<DeliveryResult> results(entries.size());
    std::vector<FhirWrite> writes;
    std::vector<std::size_t> sent; // index in entries of each write
    for (std::size_t i = 0; i < entries.size(); ++i) {
        std::string why;
        if (auto w = to_fhir(entries[i], why)) {
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
        results[sent[k]] = status == 0
                               ? DeliveryResult{Delivery::RetryLater, "batch entry without a status", {}}
                               : result_for(status, text, std::nullopt);
    }
    return results;
}

} // namespace kiosk::his
