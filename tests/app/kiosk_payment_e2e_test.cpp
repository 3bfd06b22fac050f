// Paying a bill at the real kiosk, with a real FHIR R4 server as its HIS: the patient scans their card,
// sees their unpaid Invoice, taps Pay; zbar reads the VietQR code on the screenshot (the right bank,
// account, amount and bill number); the HIS then marks the Invoice balanced and the kiosk shows the receipt.
#include "kiosk/core/vietqr.hpp"
#include "kiosk/his/curl_transport.hpp"
#include "kiosk/store/payment_ledger.hpp"

#include "his/fhir_server.hpp"
#include "kiosk_process.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>

using namespace kiosk::test;
using nlohmann::json;

namespace {

const std::string kQr =
    "079090001234|025123456|Nguyễn Văn An|15011990|Nam|12 Lê Lợi, Quận 1, TP Hồ Chí Minh|01072021";
const std::string kBillSystem = "https://bvdk-demo.vn/fhir/sid/so-hoa-don";

json fhir(const std::string& method, const std::string& url, const json& body = nullptr) {
    kiosk::his::CurlTransport t(kiosk::his::TransportOptions{});
    const auto r = t.send(kiosk::his::HttpRequest{
        method,
        url,
        {{"Accept", "application/fhir+json"}, {"Content-Type", "application/fhir+json"}},
        body.is_null() ? "" : body.dump()});
    if (!r.ok())
        throw std::runtime_error(method + " " + url + ": " + std::to_string(r.status) + " " + r.body);
    return json::parse(r.body);
}

json invoice(const std::string& patient_id, const std::string& number, std::int64_t amount,
             const std::string& status) {
    return json{{"resourceType", "Invoice"},
                {"status", status},
                {"identifier", json::array({{{"system", kBillSystem}, {"value", number}}})},
                {"subject", {{"reference", "Patient/" + patient_id}}},
                {"type", {{"text", "Khám bệnh"}}},
                {"date", "2026-12-04T08:15:00+07:00"},
                {"totalGross", {{"value", amount}, {"currency", "VND"}}}};
}

// Nguyễn Văn An, whose CCCD QR is kQr, as the HIS keeps him.
json post_patient_an(const std::string& base) {
    return fhir("POST", base + "/Patient",
                {{"resourceType", "Patient"},
                 {"identifier", json::array({{{"system", "http://fhir.ehealth.gov.vn/core/sid/national_id"},
                                              {"value", "079090001234"}}})},
                 {"name", json::array({{{"text", "Nguyễn Văn An"}}})}});
}

} // namespace

TEST(KioskPayment, AnInvoiceIsPaidByAQrCodeZbarReadsAndTheReceiptFollowsTheHis) {
    FhirServer server;
    const std::string base = server.base();
    const json an = post_patient_an(base);
    const json other = fhir("POST", base + "/Patient",
                            {{"resourceType", "Patient"}, {"name", json::array({{{"text", "Lê Thị Cúc"}}})}});
    const std::string an_id = an["id"];
    const json bill = fhir("POST", base + "/Invoice", invoice(an_id, "HD-2026-0001", 150000, "issued"));
    fhir("POST", base + "/Invoice", invoice(an_id, "HD-2026-0000", 90000, "balanced"));     // paid before
    fhir("POST", base + "/Invoice", invoice(other["id"], "HD-2026-0002", 70000, "issued")); // not hers

    TempDir dir;
    const auto config = write_site_config(
        dir, (dir / "data").string(),
        {{"\nbase_url = \"\"",
          "\nidentifier_base = \"https://bvdk-demo.vn/fhir/sid/\"\nbase_url = \"" + base + "\""},
         {"\nbin = \"\"",
          "\nbin = \"970436\"\naccount = \"0071000123456\"\naccount_name = \"BENH VIEN DA KHOA "
          "DEMO\"\nbill_number_system = \"" +
              kBillSystem + "\""}});
    const auto qr_shot = dir / "qr.png";
    const auto receipt_shot = dir / "receipt.png";
    const auto paid_flag = dir / "paid.flag";
    write_text(dir / "pay.script", "wait welcome\n"
                                   "scan " +
                                       kQr +
                                       "\n"
                                       "wait greeting 30\n"
                                       "tap feature.pay\n"
                                       "wait bills 30\n"
                                       "fits\n"
                                       "tap pay.bill.1\n"
                                       "wait pay_by_qr\n"
                                       "fits\n"
                                       "screenshot " +
                                       qr_shot.string() +
                                       "\n"
                                       "wait-file " +
                                       paid_flag.string() +
                                       "\n"
                                       "wait payment_received 60\n"
                                       "screenshot " +
                                       receipt_shot.string() +
                                       "\n"
                                       // Later, anyone scans the printed bill: its receipt again.
                                       "tap done\n"
                                       "wait welcome\n"
                                       "scan HD-2026-0001\n"
                                       "wait payment_received 30\n"
                                       "tap done\n"
                                       "scan HD-2026-0002\n" // another patient's bill: nothing paid here
                                       "wait no_receipt 30\n"
                                       "quit\n");
    KioskProcess kiosk({"--headless", "--windowed", "1080x1920", "--config", config.string(), "--script",
                        (dir / "pay.script").string()},
                       dir.path(), {});

    // The code on screen, read by an independent decoder.
    std::string code;
    ASSERT_TRUE(eventually([&] {
        if (kiosk.ended()) return true;
        if (std::filesystem::exists(qr_shot)) code = zbar_decode(qr_shot, dir);
        return !code.empty();
    })) << kiosk.err();
    ASSERT_FALSE(code.empty()) << kiosk.err();
    const auto parsed = kiosk::core::vietqr::parse(code);
    ASSERT_TRUE(parsed.payment) << code << ": " << parsed.refusal->detail;
    EXPECT_EQ(parsed.payment->bin, "970436");
    EXPECT_EQ(parsed.payment->account, "0071000123456");
    EXPECT_EQ(parsed.payment->service, kiosk::core::vietqr::Service::ToAccount);
    EXPECT_EQ(parsed.payment->amount_vnd, 150000);
    EXPECT_EQ(parsed.payment->bill_number, "HD-2026-0001");
    EXPECT_EQ(parsed.payment->purpose, "Vien phi HD-2026-0001");

    // The patient pays; the hospital's system marks the bill balanced.
    json paid = fhir("GET", base + "/Invoice/" + std::string(bill["id"]));
    paid["status"] = "balanced";
    fhir("PUT", base + "/Invoice/" + std::string(bill["id"]), paid);
    write_text(paid_flag, "paid\n");

    EXPECT_EQ(kiosk.wait_exit(), 0) << kiosk.err();
    EXPECT_TRUE(std::filesystem::exists(receipt_shot));
    const std::string log = kiosk.err();
    EXPECT_NE(log.find("bills: 1 payable, 0 only at the cashier"), std::string::npos) << log;
    EXPECT_NE(log.find("screen pay_by_qr -> payment_received"), std::string::npos) << log;
    EXPECT_NE(log.find("screen finding_receipt -> payment_received"), std::string::npos) << log;
    EXPECT_NE(log.find("screen finding_receipt -> no_receipt"), std::string::npos) << log;
    EXPECT_EQ(log.find("Nguyễn Văn An"), std::string::npos) << "no name in the log";
    EXPECT_EQ(log.find("079090001234"), std::string::npos) << "no CCCD number in the log";

    // The kiosk's ledger has the payment, paid, for the receipt later.
    auto db = kiosk::store::Database::open(dir / "data" / "kiosk.db");
    kiosk::store::PaymentLedger ledger(db);
    EXPECT_EQ(ledger.count(), 1);
    const auto kept = ledger.paid_for_bill("HD-2026-0001");
    ASSERT_TRUE(kept);
    EXPECT_EQ(kept->patient_his_id, an_id);
    EXPECT_EQ(kept->request.amount_vnd, 150000);
    EXPECT_EQ(kept->request.bill_ids, std::vector<std::string>{std::string(bill["id"])});
}

TEST(KioskPayment, WithTheHisAwayThePatientSeesTheBillsLastListedAndNoCode) {
    FhirServer server;
    const std::string base = server.base();
    const json an = post_patient_an(base);
    fhir("POST", base + "/Invoice", invoice(an["id"], "HD-2026-0007", 320000, "issued"));
    TempDir dir;
    const auto config_at = [&](const std::string& his_base) {
        return write_site_config(
            dir, (dir / "data").string(),
            {{"\nbase_url = \"\"",
              "\nidentifier_base = \"https://bvdk-demo.vn/fhir/sid/\"\nbase_url = \"" + his_base + "\""},
             {"\nbin = \"\"",
              "\nbin = \"970436\"\naccount = \"0071000123456\"\naccount_name = \"BENH VIEN\"\n"
              "bill_number_system = \"" +
                  kBillSystem + "\""}});
    };
    const std::string to_bills = "wait welcome\nscan " + kQr + "\nwait greeting 30\ntap feature.pay\n";
    // The HIS answers: the bill is listed (and kept).
    write_text(dir / "up.script", to_bills + "wait bills 30\nquit\n");
    const auto up =
        run_kiosk("--headless --windowed 1080x1920 --config " + shell_quote(config_at(base).string()) +
                      " --script " + shell_quote((dir / "up.script").string()),
                  dir.path());
    ASSERT_EQ(up.status, 0) << up.err;
    // The HIS is gone: the patient is still recognised, sees the bill as listed, and gets no code for it.
    const auto shot = dir / "kept.png";
    write_text(dir / "down.script", to_bills + "wait bills_unavailable 30\nfits\nvisible retry\nscreenshot " +
                                        shot.string() + "\nquit\n");
    const auto down = run_kiosk("--headless --windowed 1080x1920 --config " +
                                    shell_quote(config_at("http://127.0.0.1:9/fhir/R4").string()) +
                                    " --script " + shell_quote((dir / "down.script").string()),
                                dir.path());
    ASSERT_EQ(down.status, 0) << down.err;
    EXPECT_NE(down.err.find("showing the 1 bill(s) it listed last (not payable)"), std::string::npos)
        << down.err;
    EXPECT_TRUE(std::filesystem::exists(shot));
    EXPECT_TRUE(zbar_decode(shot, dir).empty()) << "no payment code on screen";
}
