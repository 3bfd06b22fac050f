#include "kiosk/his/invoice_search.hpp"

#include "tests/his/fakes.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <stdexcept>

using kiosk::core::Bill;
using kiosk::his::BillsAnswer;
using kiosk::his::InvoiceReading;
using kiosk::his::InvoiceSearch;
using kiosk::his::LookupProblem;
using kiosk::his::read_invoice;
using kiosk::test::FakeTransport;
using kiosk::test::http;
using nlohmann::json;

namespace {

const std::string kNumberSystem = "https://his.bvdk-demo.vn/fhir/sid/so-hoa-don";

json invoice(const std::string& id, const std::string& number, json total,
             const std::string& status = "issued", const std::string& subject = "Patient/p1") {
    return {{"resourceType", "Invoice"},
            {"id", id},
            {"status", status},
            {"identifier", json::array({{{"system", kNumberSystem}, {"value", number}}})},
            {"subject", {{"reference", subject}}},
            {"date", "2026-12-04T08:15:00+07:00"},
            {"type", {{"text", "Khám bệnh"}}},
            {"totalGross", std::move(total)}};
}

json vnd(json value) {
    return {{"value", std::move(value)}, {"currency", "VND"}};
}

std::string bundle(std::vector<json> resources) {
    json b = {{"resourceType", "Bundle"}, {"type", "searchset"}};
    if (!resources.empty()) {
        b["entry"] = json::array();
        for (auto& r : resources)
            b["entry"].push_back({{"resource", std::move(r)}, {"search", {{"mode", "match"}}}});
    }
    return b.dump();
}

InvoiceReading reading() {
    return {kNumberSystem, 420};
}

std::string reason_of(const json& resource) {
    const auto r = read_invoice(resource.dump(), reading());
    EXPECT_FALSE(r.bill) << resource.dump();
    return r.reason;
}

} // namespace

TEST(ReadInvoice, AnIssuedInvoiceInVndIsAPayableBill) {
    const auto r = read_invoice(invoice("inv-1", "HD00123", vnd(150000)).dump(), reading());
    ASSERT_TRUE(r.bill) << r.reason;
    EXPECT_EQ(r.bill->his_id, "inv-1");
    EXPECT_EQ(r.bill->number, "HD00123");
    EXPECT_EQ(r.bill->amount_vnd, 150000);
    EXPECT_EQ(r.bill->status, Bill::Status::Payable);
    EXPECT_EQ(r.bill->description, "Khám bệnh");
    EXPECT_EQ(r.bill->issued_at, 1'796'346'900'000); // 2026-12-04T01:15:00Z
}

TEST(ReadInvoice, StatusesMapToWhatThePatientOwes) {
    const auto status = [](const char* s) {
        return read_invoice(invoice("i", "HD1", vnd(1000), s).dump(), reading()).bill->status;
    };
    EXPECT_EQ(status("balanced"), Bill::Status::Paid);
    EXPECT_EQ(status("cancelled"), Bill::Status::Cancelled);
    EXPECT_EQ(status("entered-in-error"), Bill::Status::Cancelled);
    EXPECT_EQ(status("draft"), Bill::Status::Draft);
    EXPECT_NE(reason_of(invoice("i", "HD1", vnd(1000), "paid")).find("\"paid\""), std::string::npos);
}

TEST(ReadInvoice, TotalGrossIsWhatThePatientPaysElseTotalNet) {
    json inv = invoice("i", "HD1", vnd(110000));
    inv["totalNet"] = vnd(100000);
    EXPECT_EQ(read_invoice(inv.dump(), reading()).bill->amount_vnd, 110000);
    inv.erase("totalGross");
    EXPECT_EQ(read_invoice(inv.dump(), reading()).bill->amount_vnd, 100000);
    // A whole number written with a decimal point is still whole đồng.
    EXPECT_EQ(read_invoice(invoice("i", "HD1", vnd(150000.0)).dump(), reading()).bill->amount_vnd, 150000);
}

TEST(ReadInvoice, AmountsAVietQrCodeCannotCarryAreRefusedWithTheReason) {
    EXPECT_NE(reason_of(invoice("i", "HD1", {{"value", 10}, {"currency", "USD"}})).find("not in VND (USD)"),
              std::string::npos);
    EXPECT_NE(reason_of(invoice("i", "HD1", {{"value", 10}})).find("not in VND (none)"), std::string::npos);
    EXPECT_NE(reason_of(invoice("i", "HD1", vnd(150000.5))).find("not whole"), std::string::npos);
    EXPECT_NE(reason_of(invoice("i", "HD1", vnd(0))).find("not above zero"), std::string::npos);
    EXPECT_NE(reason_of(invoice("i", "HD1", vnd(-5000))).find("not above zero"), std::string::npos);
    EXPECT_NE(reason_of(invoice("i", "HD1", vnd(10000000000000LL))).find("over 13 digits"),
              std::string::npos);
    EXPECT_NE(reason_of(invoice("i", "HD1", vnd(1e300))).find("over 13 digits"), std::string::npos);
    EXPECT_NE(reason_of(invoice("i", "HD1", vnd("150000"))).find("no number"), std::string::npos);
    json none = invoice("i", "HD1", vnd(1));
    none.erase("totalGross");
    EXPECT_NE(reason_of(none).find("no total"), std::string::npos);
}

TEST(ReadInvoice, TheBillNumberIsTheConfiguredIdentifierAndMustFitAVietQrCode) {
    json inv = invoice("i", "HD1", vnd(1000));
    inv["identifier"] = json::array(
        {{{"system", "urn:other"}, {"value", "X9"}}, {{"system", kNumberSystem}, {"value", "HD77"}}});
    EXPECT_EQ(read_invoice(inv.dump(), reading()).bill->number, "HD77");
    EXPECT_EQ(read_invoice(inv.dump(), InvoiceReading{"", 420}).bill->number, "X9"); // any identifier
    inv["identifier"] = json::array({{{"system", "urn:other"}, {"value", "X9"}}});
    EXPECT_NE(reason_of(inv).find("no identifier of system " + kNumberSystem), std::string::npos);
    EXPECT_NE(reason_of(invoice("i", "hd 1", vnd(1000))).find("not usable in a VietQR code"),
              std::string::npos);
    EXPECT_NE(reason_of(invoice("i", std::string(26, '1'), vnd(1000))).find("not usable"), std::string::npos);
}

TEST(ReadInvoice, WhatIsNoInvoiceIsSaid) {
    EXPECT_EQ(read_invoice("{", reading()).reason, "it is not an Invoice");
    EXPECT_EQ(read_invoice(R"({"resourceType":"Patient","id":"x"})", reading()).reason,
              "it is not an Invoice");
    json inv = invoice("", "HD1", vnd(1000));
    EXPECT_EQ(reason_of(inv), "it has no id");
}

TEST(InvoiceSearch, AsksForThePatientsIssuedInvoicesAndReadsThem) {
    FakeTransport t;
    t.handler = [](const kiosk::his::HttpRequest&) {
        return http(200, bundle({invoice("inv-1", "HD1", vnd(150000)), invoice("inv-2", "HD2", vnd(50000))}));
    };
    InvoiceSearch search(t, "https://his.example.vn/fhir/", std::chrono::milliseconds(3000), reading());
    const BillsAnswer a = search.payable_bills("p1");
    ASSERT_EQ(a.problem, LookupProblem::None) << a.message;
    ASSERT_EQ(t.requests.size(), 1u);
    EXPECT_EQ(t.requests[0].method, "GET");
    EXPECT_EQ(t.requests[0].url,
              "https://his.example.vn/fhir/Invoice?subject=Patient%2Fp1&status=issued&_count=50");
    EXPECT_TRUE(t.requests[0].deadline.has_value());
    ASSERT_EQ(a.bills.size(), 2u);
    EXPECT_EQ(a.bills[0].number, "HD1");
    EXPECT_EQ(a.bills[1].amount_vnd, 50000);
    EXPECT_TRUE(a.unusable.empty());
}

TEST(InvoiceSearch, NoBillsIsAnAnswer) {
    FakeTransport t;
    t.handler = [](const kiosk::his::HttpRequest&) { return http(200, bundle({})); };
    InvoiceSearch search(t, "https://his", std::chrono::milliseconds(3000), reading());
    const BillsAnswer a = search.payable_bills("p1");
    EXPECT_EQ(a.problem, LookupProblem::None);
    EXPECT_TRUE(a.bills.empty());
}

TEST(InvoiceSearch, AnUnusableInvoiceIsListedForStaffAndTheOthersArePayable) {
    FakeTransport t;
    t.handler = [](const kiosk::his::HttpRequest&) {
        return http(200, bundle({invoice("inv-1", "HD1", {{"value", 7}, {"currency", "USD"}}),
                                 invoice("inv-2", "HD2", vnd(50000)), invoice("inv-2", "HD2", vnd(50000))}));
    };
    InvoiceSearch search(t, "https://his", std::chrono::milliseconds(3000), reading());
    const BillsAnswer a = search.payable_bills("p1");
    ASSERT_EQ(a.problem, LookupProblem::None);
    ASSERT_EQ(a.bills.size(), 1u); // the duplicate entry counted once
    EXPECT_EQ(a.bills[0].his_id, "inv-2");
    ASSERT_EQ(a.unusable.size(), 1u);
    EXPECT_EQ(a.unusable[0].fhir_id, "inv-1");
    EXPECT_NE(a.unusable[0].reason.find("USD"), std::string::npos);
}

TEST(InvoiceSearch, AnotherPatientsInvoiceMakesTheWholeAnswerUnusable) {
    FakeTransport t;
    t.handler = [](const kiosk::his::HttpRequest&) {
        return http(200, bundle({invoice("inv-1", "HD1", vnd(1000)),
                                 invoice("inv-9", "HD9", vnd(1000), "issued", "Patient/someone-else")}));
    };
    InvoiceSearch search(t, "https://his", std::chrono::milliseconds(3000), reading());
    const BillsAnswer a = search.payable_bills("p1");
    EXPECT_EQ(a.problem, LookupProblem::Unreachable);
    EXPECT_TRUE(a.bills.empty());
    EXPECT_NE(a.message.find("another subject"), std::string::npos);
    // An absolute reference to the same Patient is the same Patient.
    t.handler = [](const kiosk::his::HttpRequest&) {
        return http(200,
                    bundle({invoice("inv-1", "HD1", vnd(1000), "issued", "https://his/fhir/Patient/p1")}));
    };
    EXPECT_EQ(search.payable_bills("p1").bills.size(), 1u);
}

TEST(InvoiceSearch, BrokenRepliesAndRefusalsSayWhich) {
    FakeTransport t;
    InvoiceSearch search(t, "https://his", std::chrono::milliseconds(3000), reading());
    const auto answer = [&](kiosk::his::HttpResponse r) {
        t.handler = [r](const kiosk::his::HttpRequest&) { return r; };
        return search.payable_bills("p1");
    };
    EXPECT_EQ(answer(kiosk::test::unreachable()).problem, LookupProblem::Unreachable);
    EXPECT_EQ(answer(http(503)).problem, LookupProblem::Unreachable);
    EXPECT_EQ(answer(http(429)).problem, LookupProblem::Unreachable);
    EXPECT_EQ(answer(http(200, "<html>maintenance</html>")).problem, LookupProblem::Unreachable);
    EXPECT_EQ(answer(http(200, R"({"resourceType":"Bundle","entry":{}})")).problem,
              LookupProblem::Unreachable);
    EXPECT_EQ(answer(http(200, R"({"resourceType":"Bundle","entry":[1]})")).problem,
              LookupProblem::Unreachable);
    EXPECT_EQ(answer(http(200, std::string(InvoiceSearch::kMaxReplyBytes + 1, ' '))).problem,
              LookupProblem::Unreachable);
    const BillsAnswer refused = answer(http(
        403,
        R"({"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"forbidden","diagnostics":"no access to billing"}]})"));
    EXPECT_EQ(refused.problem, LookupProblem::Refused);
    EXPECT_NE(refused.message.find("the bill search (HTTP 403)"), std::string::npos) << refused.message;
    EXPECT_NE(refused.message.find("no access to billing"), std::string::npos) << refused.message;
}

TEST(InvoiceSearch, ThePaymentCheckAsksForTheBillsByIdAndAVanishedBillIsAbsent) {
    FakeTransport t;
    t.handler = [](const kiosk::his::HttpRequest&) {
        return http(200, bundle({invoice("inv-1", "HD1", vnd(1000), "balanced")}));
    };
    InvoiceSearch search(t, "https://his", std::chrono::milliseconds(3000), reading());
    const BillsAnswer a = search.bills_by_id({"inv-1", "inv-2"});
    ASSERT_EQ(a.problem, LookupProblem::None);
    EXPECT_EQ(t.requests[0].url, "https://his/Invoice?_id=inv-1%2Cinv-2&_count=50");
    ASSERT_EQ(a.bills.size(), 1u);
    EXPECT_EQ(a.bills[0].status, Bill::Status::Paid);
    EXPECT_THROW((void)search.bills_by_id({}), std::invalid_argument);
    EXPECT_THROW((void)search.payable_bills(""), std::invalid_argument);
}
