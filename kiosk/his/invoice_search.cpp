#include "kiosk/his/invoice_search.hpp"

#include "kiosk/his/fhir_mapping.hpp"
#include "kiosk/his/json_text.hpp"

#include "kiosk/core/ticket.hpp"

#include <nlohmann/json.hpp>

#include <cmath>
#include <set>
#include <stdexcept>
#include <utility>

// No logging in this file: bills are personal data.

namespace kiosk::his {
namespace {

std::optional<core::Bill::Status> status_of(const std::string& s) {
    using S = core::Bill::Status;
    if (s == "issued") return S::Payable;
    if (s == "balanced") return S::Paid;
    if (s == "cancelled" || s == "entered-in-error") return S::Cancelled;
    if (s == "draft") return S::Draft;
    return std::nullopt;
}

// A Money of the Invoice as whole đồng, or why not.
struct Amount {
    std::int64_t vnd = 0;
    std::string reason;
};

Amount amount_of(const nlohmann::json& invoice) {
    const char* key = invoice.contains("totalGross") ? "totalGross" : "totalNet";
    if (!invoice.contains(key)) return {0, "it has no total (totalGross or totalNet)"};
    const auto& money = invoice[key];
    if (!money.is_object() || !money.contains("value") || !money["value"].is_number())
        return {0, std::string("its ") + key + " has no number"};
    const std::string currency = json_text(money, "currency");
    if (currency != "VND")
        return {0, std::string("its ") + key + " is not in VND (" + (currency.empty() ? "none" : currency) +
                       ")"};
    const auto& v = money["value"];
    std::int64_t vnd = 0;
    if (v.is_number_integer()) {
        if (v.is_number_unsigned() && v.get<std::uint64_t>() > 9'999'999'999'999ULL)
            return {0, std::string("its ") + key + " is over 13 digits"};
        vnd = v.get<std::int64_t>();
    } else {
        const double d = v.get<double>();
        // JSON "150000.0" is a whole number; "150000.5" is not an amount a VietQR code can carry.
        if (!std::isfinite(d) || d != std::floor(d))
            return {0, std::string("its ") + key + " is not whole đồng"};
        if (d > 9'999'999'999'999.0 || d < -9'999'999'999'999.0)
            return {0, std::string("its ") + key + " is over 13 digits"};
        vnd = static_cast<std::int64_t>(d);
    }
    if (vnd <= 0) return {0, std::string("its ") + key + " is not above zero"};
    if (vnd > 9'999'999'999'999) return {0, std::string("its ") + key + " is over 13 digits"};
    return {vnd, ""};
}

std::string number_of(const nlohmann::json& invoice, const std::string& system, bool& had_wrong) {
    had_wrong = false;
    if (!invoice.contains("identifier") || !invoice["identifier"].is_array()) return "";
    for (const auto& ident : invoice["identifier"]) {
        if (!ident.is_object()) continue;
        if (!system.empty() && json_text(ident, "system") != system) continue;
        const std::string value = json_text(ident, "value");
        if (value.empty()) continue;
        if (core::is_bill_number(value)) return value;
        had_wrong = true;
    }
    return "";
}

std::string description_of(const nlohmann::json& invoice) {
    if (!invoice.contains("type") || !invoice["type"].is_object()) return "";
    const auto& type = invoice["type"];
    if (std::string text = json_text(type, "text"); !text.empty()) return text;
    if (type.contains("coding") && type["coding"].is_array())
        for (const auto& c : type["coding"])
            if (std::string d = json_text(c, "display"); !d.empty()) return d;
    return "";
}

} // namespace

ReadInvoice read_invoice(const std::string& resource_json, const InvoiceReading& reading) {
    const auto invoice = nlohmann::json::parse(resource_json, nullptr, false);
    if (invoice.is_discarded() || !invoice.is_object() || json_text(invoice, "resourceType") != "Invoice")
        return {std::nullopt, "it is not an Invoice"};
    core::Bill bill;
    bill.his_id = json_text(invoice, "id");
    if (bill.his_id.empty()) return {std::nullopt, "it has no id"};
    const std::string status = json_text(invoice, "status");
    const auto s = status_of(status);
    if (!s) return {std::nullopt, "its status \"" + status + "\" is not an Invoice status"};
    bill.status = *s;
    Amount amount = amount_of(invoice);
    if (!amount.reason.empty()) return {std::nullopt, std::move(amount.reason)};
    bill.amount_vnd = amount.vnd;
    bool had_wrong = false;
    bill.number = number_of(invoice, reading.bill_number_system, had_wrong);
    if (bill.number.empty())
        return {std::nullopt,
                had_wrong ? "its bill number is not usable in a VietQR code (A-Z a-z 0-9 - . / _, at most 25)"
                          : (reading.bill_number_system.empty()
                                 ? std::string("it has no identifier (the bill number)")
                                 : "it has no identifier of system " + reading.bill_number_system)};
    bill.description = description_of(invoice);
    bill.issued_at =
        core::instant_from_rfc3339(json_text(invoice, "date"), reading.utc_offset_minutes).value_or(0);
    return {std::move(bill), ""};
}

InvoiceSearch::InvoiceSearch(HttpTransport& transport, std::string base_url,
                             std::chrono::milliseconds deadline, InvoiceReading reading)
    : transport_(transport), base_(without_trailing_slashes(std::move(base_url))), deadline_(deadline),
      reading_(std::move(reading)) {}

BillsAnswer InvoiceSearch::payable_bills(const std::string& patient_fhir_id) {
    if (patient_fhir_id.empty())
        throw std::invalid_argument("InvoiceSearch::payable_bills needs a Patient id");
    const std::string subject = "Patient/" + patient_fhir_id;
    return fetch(base_ + "/Invoice?subject=" + url_encode(subject) +
                     "&status=issued&_count=" + std::to_string(kMaxBills),
                 "the bill search", subject);
}

BillsAnswer InvoiceSearch::bills_by_id(const std::vector<std::string>& invoice_ids) {
    if (invoice_ids.empty()) throw std::invalid_argument("InvoiceSearch::bills_by_id needs at least one id");
    std::string ids;
    for (const auto& id : invoice_ids) {
        if (id.empty()) throw std::invalid_argument("InvoiceSearch::bills_by_id: an empty id");
        if (!ids.empty()) ids += ',';
        ids += id;
    }
    return fetch(base_ + "/Invoice?_id=" + url_encode(ids) + "&_count=" + std::to_string(kMaxBills),
                 "the payment check", "");
}

BillsAnswer InvoiceSearch::fetch(const std::string& url, const std::string& what,
                                 const std::string& subject_reference) {
    HttpRequest req;
    req.url = url;
    req.headers = {{"Accept", kFhirJson}};
    req.deadline = std::chrono::steady_clock::now() + deadline_;
    const HttpResponse resp = transport_.send(req);

    BillsAnswer answer;
    const auto fail = [&](LookupProblem p, std::string message) {
        BillsAnswer a;
        a.problem = p;
        a.message = std::move(message);
        return a;
    };
    if (ReplyProblem p = search_reply_problem(resp, what); p.problem != LookupProblem::None)
        return fail(p.problem, std::move(p.message));
    if (resp.body.size() > kMaxReplyBytes)
        return fail(LookupProblem::Unreachable, "the HIS reply to " + what + " was too large (" +
                                                    std::to_string(resp.body.size()) + " bytes)");
    const auto bundle = nlohmann::json::parse(resp.body, nullptr, false);
    if (bundle.is_discarded() || !bundle.is_object() || json_text(bundle, "resourceType") != "Bundle")
        return fail(LookupProblem::Unreachable, "the HIS reply to " + what + " is not a FHIR Bundle");
    if (!bundle.contains("entry")) return answer;
    if (!bundle["entry"].is_array())
        return fail(LookupProblem::Unreachable, "the HIS reply to " + what + " has a malformed Bundle.entry");
    std::set<std::string> seen;
    for (const auto& e : bundle["entry"]) {
        if (!e.is_object() || !e.contains("resource") || !e["resource"].is_object())
            return fail(LookupProblem::Unreachable,
                        "the HIS reply to " + what + " has an entry without a resource");
        if (e.contains("search")) {
            const std::string mode = json_text(e["search"], "mode");
            if (!mode.empty() && mode != "match") continue;
        }
        const auto& resource = e["resource"];
        if (json_text(resource, "resourceType") != "Invoice") continue;
        if (!subject_reference.empty()) {
            const std::string subject =
                resource.contains("subject") ? json_text(resource["subject"], "reference") : std::string();
            // A server may answer with an absolute reference to itself.
            const bool same = subject == subject_reference || subject.ends_with("/" + subject_reference);
            if (!same)
                return fail(LookupProblem::Unreachable,
                            "the HIS answered " + what + " with an Invoice of another subject");
        }
        ReadInvoice r = read_invoice(resource.dump(), reading_);
        if (!r.bill) {
            answer.unusable.push_back({json_text(resource, "id"), std::move(r.reason)});
            continue;
        }
        if (!seen.insert(r.bill->his_id).second) continue;
        answer.bills.push_back(std::move(*r.bill));
    }
    return answer;
}

} // namespace kiosk::his
