#pragma once
// A patient's bills in the HIS: FHIR R4 Invoices, read as core::Bill (docs/payments.md). What the kiosk
// shows before a payment and asks again while it waits for the payment to arrive.
#include "kiosk/core/payment.hpp"
#include "kiosk/his/http.hpp"
#include "kiosk/his/patient_search.hpp" // LookupProblem

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

namespace kiosk::his {

// An Invoice the kiosk cannot offer for payment, and why (for staff; never a name or an identifier value).
struct UnusableInvoice {
    std::string fhir_id; // "" when the Invoice had no id
    std::string reason;  // e.g. "its total is not in VND (USD)"
};

struct BillsAnswer {
    LookupProblem problem = LookupProblem::None;
    std::string message; // for staff, when problem != None
    std::vector<core::Bill> bills;
    // Invoices of the answer that cannot be paid at the kiosk (no total, not VND, not whole đồng, no
    // usable number, an unknown status): the patient is sent to the cashier for these, staff see why.
    std::vector<UnusableInvoice> unusable;
};

// How an Invoice becomes a core::Bill:
//  - status: issued -> Payable, balanced -> Paid, cancelled and entered-in-error -> Cancelled,
//    draft -> Draft; anything else is unusable.
//  - amount: totalGross (what the patient pays, taxes included), else totalNet; currency must be VND
//    and the value a whole positive number of đồng (no fractions, at most 13 digits).
//  - number: the value of the identifier whose system is `bill_number_system` (any identifier when that
//    is ""), usable in a VietQR code (A-Z 0-9 - . / _, at most 25 characters).
//  - description: type.text, else the first type.coding display, else "".
//  - issued_at: Invoice.date (0 when absent or unreadable).
struct InvoiceReading {
    std::string bill_number_system; // e.g. "https://his.benhvien.vn/fhir/sid/so-hoa-don"; "" = any
    int utc_offset_minutes = 420;   // for an Invoice.date that is a bare day
};

// One Invoice resource (parsed JSON text) as a bill, or why not.
struct ReadInvoice {
    std::optional<core::Bill> bill;
    std::string reason; // when there is no bill
};
[[nodiscard]] ReadInvoice read_invoice(const std::string& resource_json, const InvoiceReading& reading);

// Threads: one call at a time, like the transport it is given. Nothing here logs.
class InvoiceSearch {
public:
    InvoiceSearch(HttpTransport& transport, std::string base_url, std::chrono::milliseconds deadline,
                  InvoiceReading reading);

    // The bills the patient owes: GET <base>/Invoice?subject=Patient/<id>&status=issued&_count=50.
    // Unreachable for a transport error, a timeout, 5xx/408/429 or a reply that is not a searchset
    // Bundle; Refused (with the OperationOutcome text) for other 4xx. An Invoice of the answer for
    // another subject makes the whole answer Unreachable (a server that ignored the search parameter
    // must never show a patient someone else's bills). Throws std::invalid_argument for an empty id.
    [[nodiscard]] BillsAnswer payable_bills(const std::string& patient_fhir_id);

    // The bills with these ids as the HIS has them now (GET <base>/Invoice?_id=a,b): what the payment
    // watcher asks. An id the HIS no longer has is absent from `bills`. Throws for an empty list.
    [[nodiscard]] BillsAnswer bills_by_id(const std::vector<std::string>& invoice_ids);

    static constexpr std::size_t kMaxReplyBytes = 2u * 1024u * 1024u;
    static constexpr int kMaxBills = 50;

private:
    [[nodiscard]] BillsAnswer fetch(const std::string& url, const std::string& what,
                                    const std::string& subject_reference);

    HttpTransport& transport_;
    std::string base_;
    std::chrono::milliseconds deadline_;
    InvoiceReading reading_;
};

} // namespace kiosk::his
