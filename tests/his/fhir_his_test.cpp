#include "kiosk/his/curl_transport.hpp"
#include "kiosk/his/fhir_his.hpp"
#include "kiosk/his/fhir_mapping.hpp"
#include "kiosk/store/patient_registry.hpp"
#include "kiosk/store/ticket_store.hpp"
#include "kiosk/sync/sync_engine.hpp"

#include "fakes.hpp"
#include "fault_server.hpp"
#include "his/outbox_rows.hpp"
#include "store/store_test_support.hpp"
#include "temp_dir.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

using namespace kiosk;
using kiosk::test::FakeTransport;
using kiosk::test::http;

namespace {

// The hospital's namespace for the kiosk's identifiers ([his] identifier_base).
const std::string kIdBase = "https://bvdk-demo.vn/fhir/sid/";

store::OutboxEntry ticket_entry(int n) {
    const std::string ref = "BVDK-DEMO-20261124-KBH-A" + std::to_string(100 + n);
    store::OutboxEntry e;
    e.id = n;
    e.aggregate_type = "ticket";
    e.aggregate_id = ref;
    e.operation = "create";
    e.identifier = ref;
    e.payload_json = nlohmann::json{
        {"reference", ref},
        {"display_number", "AA-" + std::to_string(100 + n)},
        {"service_code", "KBH"},
        {"service_day", "2026-11-24"},
        {"sequence", 100 + n},
        {"issued_at", 1795480200000},
        {"issued_at_local", "2026-11-24T07:30:00+07:00"},
        {"site_id", "BVDK-DEMO"},
        {"kiosk_id", "SANH-A-01"},
        {"kiosk_letter",
         "A"}}.dump();
    return e;
}

// What a FHIR server returns for a stored resource: the resource with its id.
std::string stored(const std::string& type, const std::string& id) {
    return nlohmann::json{{"resourceType", type}, {"id", id}, {"meta", {{"versionId", "1"}}}}.dump();
}

std::string outcome(const std::string& text) {
    return nlohmann::json{{"resourceType", "OperationOutcome"},
                          {"issue", {{{"severity", "error"}, {"code", "invalid"}, {"diagnostics", text}}}}}
        .dump();
}

} // namespace

TEST(FhirMapping, TicketBecomesAnArrivedEncounterWithItsIdentifier) {
    std::string why;
    const auto w = test::to_fhir(ticket_entry(1), kIdBase, why);
    ASSERT_TRUE(w) << why;
    EXPECT_EQ(w->resource_type, "Encounter");
    EXPECT_EQ(w->resource["status"], "arrived");
    EXPECT_EQ(w->resource["class"]["code"], "AMB");
    EXPECT_EQ(w->resource["identifier"][0]["system"], "https://bvdk-demo.vn/fhir/sid/kiosk-ticket");
    EXPECT_EQ(w->resource["identifier"][0]["value"], "BVDK-DEMO-20261124-KBH-A101");
    EXPECT_EQ(w->resource["period"]["start"], "2026-11-24T07:30:00+07:00");
    EXPECT_EQ(
        w->if_none_exist,
        "identifier=https%3A%2F%2Fbvdk-demo.vn%2Ffhir%2Fsid%2Fkiosk-ticket%7CBVDK-DEMO-20261124-KBH-A101");
}

TEST(FhirMapping, UnknownOrBrokenRecordsSayWhy) {
    std::string why;
    auto e = ticket_entry(1);
    e.aggregate_type = "spaceship";
    EXPECT_FALSE(test::to_fhir(e, kIdBase, why));
    EXPECT_NE(why.find("no FHIR mapping"), std::string::npos);
    e = ticket_entry(1);
    e.payload_json = "{not json";
    EXPECT_FALSE(test::to_fhir(e, kIdBase, why));
    e.payload_json = R"({"reference": 5})";
    EXPECT_FALSE(test::to_fhir(e, kIdBase, why));
}

TEST(FhirHis, SingleRecordIsAConditionalCreate) {
    FakeTransport t;
    t.handler = [](const his::HttpRequest&) { return http(201, stored("Encounter", "e1")); };
    his::FhirHis his(t, "http://his.test/fhir/R4/", kIdBase);
    const auto r = his.deliver(test::records({ticket_entry(1)}));
    ASSERT_EQ(r.size(), 1u);
    EXPECT_EQ(r[0].outcome, his::Delivery::Accepted);
    EXPECT_EQ(r[0].resource, "Encounter/e1");
    ASSERT_EQ(t.requests.size(), 1u);
    EXPECT_EQ(t.requests[0].method, "POST");
    EXPECT_EQ(t.requests[0].url, "http://his.test/fhir/R4/Encounter");
    EXPECT_EQ(t.requests[0].headers.at("If-None-Exist").rfind("identifier=", 0), 0u);
    EXPECT_EQ(t.requests[0].headers.at("Content-Type"), "application/fhir+json");
}

TEST(FhirHis, StatusesMapToOutcomes) {
    struct Case {
        long status;
        his::Delivery expected;
    };
    for (const Case c : {Case{201, his::Delivery::Accepted}, Case{200, his::Delivery::AlreadyExists},
                         Case{400, his::Delivery::Rejected}, Case{422, his::Delivery::Rejected},
                         Case{401, his::Delivery::RetryLater}, Case{403, his::Delivery::RetryLater},
                         Case{409, his::Delivery::Conflict}, Case{412, his::Delivery::Conflict},
                         Case{429, his::Delivery::RetryLater}, Case{500, his::Delivery::RetryLater},
                         Case{503, his::Delivery::RetryLater}}) {
        FakeTransport t;
        t.handler = [&](const his::HttpRequest&) {
            return http(c.status, c.status < 300 ? stored("Encounter", "e1")
                                                 : outcome("because " + std::to_string(c.status)));
        };
        his::FhirHis his(t, "http://his.test/fhir", kIdBase);
        const auto r = his.deliver(test::records({ticket_entry(1)}));
        EXPECT_EQ(r[0].outcome, c.expected) << c.status;
        if (c.status >= 400) {
            EXPECT_EQ(r[0].detail, "because " + std::to_string(c.status));
        }
        EXPECT_EQ(t.requests.size(), 1u);
    }
}

TEST(FhirHis, RetryAfterIsHonouredInSecondsAndAsADate) {
    FakeTransport t;
    t.handler = [](const his::HttpRequest&) { return http(429, "", {{"retry-after", "120"}}); };
    his::FhirHis his(t, "http://his.test/fhir", kIdBase);
    const auto r = his.deliver(test::records({ticket_entry(1)}));
    ASSERT_TRUE(r[0].retry_after);
    EXPECT_EQ(r[0].retry_after->count(), 120);
    const auto now = std::chrono::system_clock::from_time_t(1795480200); // 2026-11-24 00:30:00 GMT
    EXPECT_EQ(his::parse_retry_after("Tue, 24 Nov 2026 00:31:00 GMT", now)->count(), 60);
    EXPECT_FALSE(his::parse_retry_after("soon", now));
}

TEST(FhirHis, UnreachableHisIsRetryLaterAndMarked) {
    FakeTransport t;
    t.handler = [](const his::HttpRequest&) { return kiosk::test::unreachable(); };
    his::FhirHis his(t, "http://his.test/fhir", kIdBase);
    const auto r = his.deliver(test::records({ticket_entry(1), ticket_entry(2)}));
    ASSERT_EQ(r.size(), 2u);
    for (const auto& x : r) {
        EXPECT_EQ(x.outcome, his::Delivery::RetryLater);
        EXPECT_TRUE(x.unreachable);
    }
}

TEST(FhirHis, SeveralRecordsGoAsOneBatchAndResultsMapBackInOrder) {
    FakeTransport t;
    t.handler = [](const his::HttpRequest& req) {
        const auto bundle = nlohmann::json::parse(req.body);
        EXPECT_EQ(bundle["type"], "batch");
        EXPECT_EQ(bundle["entry"].size(), 3u);
        EXPECT_EQ(bundle["entry"][0]["request"]["method"], "POST");
        EXPECT_EQ(bundle["entry"][0]["request"]["url"], "Encounter");
        EXPECT_TRUE(bundle["entry"][0]["request"].contains("ifNoneExist"));
        nlohmann::json reply = {{"resourceType", "Bundle"}, {"type", "batch-response"}};
        reply["entry"] = {
            {{"response", {{"status", "201 Created"}, {"location", "Encounter/e1/_history/1"}}}},
            {{"response", {{"status", "200"}}},
             {"resource", nlohmann::json::parse(stored("Encounter", "e2"))}},
            {{"response",
              {{"status", "400 Bad Request"}, {"outcome", nlohmann::json::parse(outcome("bad"))}}}}};
        return http(200, reply.dump());
    };
    his::FhirHis his(t, "http://his.test/fhir", kIdBase);
    const auto r = his.deliver(test::records({ticket_entry(1), ticket_entry(2), ticket_entry(3)}));
    ASSERT_EQ(t.requests.size(), 1u);
    EXPECT_EQ(t.requests[0].url, "http://his.test/fhir");
    ASSERT_EQ(r.size(), 3u);
    EXPECT_EQ(r[0].outcome, his::Delivery::Accepted);
    EXPECT_EQ(r[0].resource, "Encounter/e1");
    EXPECT_EQ(r[1].outcome, his::Delivery::AlreadyExists);
    EXPECT_EQ(r[1].resource, "Encounter/e2");
    EXPECT_EQ(r[2].outcome, his::Delivery::Rejected);
    EXPECT_EQ(r[2].detail, "bad");
}

TEST(FhirHis, GarbageOrMismatchedBatchReplyIsRetryNotACrash) {
    for (const std::string& body :
         {std::string("<html>oops</html>"), std::string(R"({"resourceType":"Bundle","entry":[]})"),
          std::string(10000, '\xff')}) {
        FakeTransport t;
        t.handler = [&](const his::HttpRequest&) { return http(200, body); };
        his::FhirHis his(t, "http://his.test/fhir", kIdBase);
        const auto r = his.deliver(test::records({ticket_entry(1), ticket_entry(2)}));
        ASSERT_EQ(r.size(), 2u);
        EXPECT_EQ(r[0].outcome, his::Delivery::RetryLater);
        EXPECT_EQ(r[1].outcome, his::Delivery::RetryLater);
    }
}

TEST(FhirHis, ServerWithoutBatchSupportGetsSingleWrites) {
    FakeTransport t;
    t.handler = [](const his::HttpRequest& req) {
        return req.url == "http://his.test/fhir" ? http(405, outcome("batch not supported"))
                                                 : http(201, "", {{"location", "Encounter/9/_history/1"}});
    };
    his::FhirHis his(t, "http://his.test/fhir", kIdBase);
    const auto r = his.deliver(test::records({ticket_entry(1), ticket_entry(2)}));
    EXPECT_EQ(t.requests.size(), 3u);
    EXPECT_EQ(r[0].outcome, his::Delivery::Accepted);
    EXPECT_EQ(r[1].outcome, his::Delivery::Accepted);
}

TEST(FhirHis, BatchRefusedForAuthorisationWaitsInsteadOfGoingSingle) {
    FakeTransport t;
    t.handler = [](const his::HttpRequest&) { return http(401, outcome("token refused")); };
    his::FhirHis his(t, "http://his.test/fhir", kIdBase);
    const auto r = his.deliver(test::records({ticket_entry(1), ticket_entry(2), ticket_entry(3)}));
    EXPECT_EQ(t.requests.size(), 1u); // no fallback to one request per record
    for (const auto& x : r)
        EXPECT_EQ(x.outcome, his::Delivery::RetryLater);
    EXPECT_NE(r[0].detail.find("token refused"), std::string::npos);
}

TEST(FhirHis, UnmappableRecordIsRejectedWithoutBeingSent) {
    // A record the adapter cannot express (here: a patient without a name or a number); an outbox row the
    // kiosk cannot even read is refused before the adapter (SyncEngine.UnreadableRowIsQuarantinedUnsent).
    FakeTransport t;
    t.handler = [](const his::HttpRequest&) { return http(201, "{}"); };
    his::FhirHis his(t, "http://his.test/fhir", kIdBase);
    core::OutboundRecord bad{"BVDK-DEMO-20261130-P-A0007", "", core::OutboundPatient{}};
    const auto r = his.deliver({bad});
    EXPECT_EQ(r[0].outcome, his::Delivery::Rejected);
    EXPECT_TRUE(t.requests.empty());
}

TEST(FhirHis, OperationOutcomeTextJoinsIssues) {
    const std::string body =
        R"({"resourceType":"OperationOutcome","issue":[{"diagnostics":"a"},{"details":{"text":"b"}},{}]})";
    EXPECT_EQ(his::operation_outcome_text(body), "a; b");
    EXPECT_EQ(his::operation_outcome_text("nope"), "");
}

// --- patient/create -> Patient
// ------------------------------------------------------------------------------

namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr const char* kV2 = "http://terminology.hl7.org/CodeSystem/v2-0203";

// The payload PatientRegistry writes for "Nguyễn Văn An" (docs/patient-registration.md).
nlohmann::json patient_payload() {
    return {{"kiosk_patient_id", "BVDK-DEMO-20261130-P-A0007"},
            {"site_id", "BVDK-DEMO"},
            {"kiosk_id", "SANH-A-01"},
            {"registered_at", 1795480200000},
            {"identifier_systems",
             {{"cccd", "http://fhir.ehealth.gov.vn/core/sid/national_id"},
              {"bhyt", "http://fhir.ehealth.gov.vn/core/sid/insurance_number"}}},
            {"cccd", "079090001234"},
            {"bhyt", "DN4797915000001"},
            {"full_name", "Nguyễn Văn An"},
            {"birth_date", "1990-04-12"},
            {"sex", "male"},
            {"address", "12 Lê Lợi, Quy Nhơn, Bình Định"},
            {"phone", "0912345678"}};
}

store::OutboxEntry patient_entry(const nlohmann::json& payload) {
    store::OutboxEntry e;
    e.id = 7;
    e.aggregate_type = "patient";
    e.aggregate_id = "BVDK-DEMO-20261130-P-A0007";
    e.operation = "create";
    e.identifier = e.aggregate_id;
    e.payload_json = payload.dump();
    return e;
}

// The personal values of patient_payload(), none of which may appear in a reason.
const std::vector<std::string>& personal_values() {
    static const std::vector<std::string> values = {"079090001234", "DN4797915000001", "Nguyễn",    "Văn An",
                                                    "1990-04-12",   "Lê Lợi",          "0912345678"};
    return values;
}

} // namespace

TEST(FhirMapping, PatientCarriesItsIdentifiersNameAndDetails) {
    std::string why;
    const auto w = test::to_fhir(patient_entry(patient_payload()), kIdBase, why);
    ASSERT_TRUE(w) << why;
    EXPECT_EQ(w->resource_type, "Patient");
    const nlohmann::json expected = {
        {"resourceType", "Patient"},
        {"identifier",
         {{{"use", "official"},
           {"system", "https://bvdk-demo.vn/fhir/sid/kiosk-patient"},
           {"value", "BVDK-DEMO-20261130-P-A0007"}},
          {{"type",
            {{"coding",
              {{{"system", kV2}, {"code", "NI"}, {"display", "National unique individual identifier"}}}}}},
           {"system", "http://fhir.ehealth.gov.vn/core/sid/national_id"},
           {"value", "079090001234"}},
          {{"type", {{"coding", {{{"system", kV2}, {"code", "MB"}, {"display", "Member Number"}}}}}},
           {"system", "http://fhir.ehealth.gov.vn/core/sid/insurance_number"},
           {"value", "DN4797915000001"}}}},
        {"name",
         {{{"use", "official"}, {"text", "Nguyễn Văn An"}, {"family", "Nguyễn"}, {"given", {"Văn", "An"}}}}},
        {"gender", "male"},
        {"birthDate", "1990-04-12"},
        {"address", {{{"text", "12 Lê Lợi, Quy Nhơn, Bình Định"}, {"country", "VN"}}}},
        {"telecom", {{{"system", "phone"}, {"value", "0912345678"}, {"use", "mobile"}}}},
    };
    EXPECT_EQ(w->resource, expected) << w->resource.dump(2);
}

TEST(FhirMapping, PatientIfNoneExistMatchesTheCccdOrTheBhyt) {
    std::string why;
    auto w = test::to_fhir(patient_entry(patient_payload()), kIdBase, why);
    ASSERT_TRUE(w) << why;
    // Either number (the comma is FHIR's "or"), so the desk's BHYT-only record is matched too.
    EXPECT_EQ(w->if_none_exist,
              "identifier=http%3A%2F%2Ffhir.ehealth.gov.vn%2Fcore%2Fsid%2Fnational_id%7C079090001234,http%3A%"
              "2F%2Ffhir.ehealth.gov.vn%2Fcore%2Fsid%2Finsurance_number%7CDN4797915000001");

    auto cccd_only = patient_payload();
    cccd_only.erase("bhyt");
    w = test::to_fhir(patient_entry(cccd_only), kIdBase, why);
    ASSERT_TRUE(w) << why;
    EXPECT_EQ(w->if_none_exist,
              "identifier=http%3A%2F%2Ffhir.ehealth.gov.vn%2Fcore%2Fsid%2Fnational_id%7C079090001234");

    auto payload = patient_payload();
    payload.erase("cccd");
    w = test::to_fhir(patient_entry(payload), kIdBase, why);
    ASSERT_TRUE(w) << why;
    EXPECT_EQ(
        w->if_none_exist,
        "identifier=http%3A%2F%2Ffhir.ehealth.gov.vn%2Fcore%2Fsid%2Finsurance_number%7CDN4797915000001");
    ASSERT_EQ(w->resource["identifier"].size(), 2u);
    EXPECT_EQ(w->resource["identifier"][1]["type"]["coding"][0]["code"], "MB");
}

TEST(FhirMapping, PatientIfNoneExistEscapesSearchCharactersThenPercentEncodes) {
    // FHIR search escapes (\ , $ |) keep a value from being read as alternatives or a system separator.
    auto payload = patient_payload();
    payload["identifier_systems"]["cccd"] = "urn:x|y";
    payload["cccd"] = "a,b$c\\d e";
    std::string why;
    const auto w = test::to_fhir(patient_entry(payload), kIdBase, why);
    ASSERT_TRUE(w) << why;
    EXPECT_EQ(w->if_none_exist.substr(0, w->if_none_exist.find(',')),
              "identifier=" + his::url_encode("urn:x\\|y|a\\,b\\$c\\\\d e"));
    EXPECT_EQ(w->if_none_exist.substr(0, w->if_none_exist.find(',')),
              "identifier=urn%3Ax%5C%7Cy%7Ca%5C%2Cb%5C%24c%5C%5Cd%20e");
    EXPECT_EQ(w->resource["identifier"][1]["value"], "a,b$c\\d e") << "the resource keeps the value as is";
}

TEST(FhirMapping, PatientOmitsAbsentDetails) {
    const nlohmann::json payload = {
        {"kiosk_patient_id", "BVDK-DEMO-20261130-P-A0007"},
        {"site_id", "BVDK-DEMO"},
        {"identifier_systems", {{"bhyt", "http://fhir.ehealth.gov.vn/core/sid/insurance_number"}}},
        {"bhyt", "HC4797915000002"},
        {"full_name", "  Minh  "},
        {"address", ""},
        {"phone", nullptr}};
    std::string why;
    const auto w = test::to_fhir(patient_entry(payload), kIdBase, why);
    ASSERT_TRUE(w) << why;
    const nlohmann::json expected = {
        {"resourceType", "Patient"},
        {"identifier",
         {{{"use", "official"},
           {"system", "https://bvdk-demo.vn/fhir/sid/kiosk-patient"},
           {"value", "BVDK-DEMO-20261130-P-A0007"}},
          {{"type", {{"coding", {{{"system", kV2}, {"code", "MB"}, {"display", "Member Number"}}}}}},
           {"system", "http://fhir.ehealth.gov.vn/core/sid/insurance_number"},
           {"value", "HC4797915000002"}}}},
        {"name", {{{"use", "official"}, {"text", "Minh"}, {"family", "Minh"}}}},
        {"gender", "unknown"},
    };
    EXPECT_EQ(w->resource, expected) << w->resource.dump(2);
}

TEST(FhirMapping, PatientNameIsFamilyFirstWithExtraSpacesIgnored) {
    auto payload = patient_payload();
    payload["full_name"] = " Tôn  Nữ Thị\tHà  ";
    payload["sex"] = "female";
    std::string why;
    const auto w = test::to_fhir(patient_entry(payload), kIdBase, why);
    ASSERT_TRUE(w) << why;
    const auto& name = w->resource["name"][0];
    EXPECT_EQ(name["text"], "Tôn Nữ Thị Hà");
    EXPECT_EQ(name["family"], "Tôn");
    EXPECT_EQ(name["given"], (nlohmann::json{"Nữ", "Thị", "Hà"}));
    EXPECT_EQ(w->resource["gender"], "female");
}

TEST(FhirMapping, MalformedPatientPayloadSaysWhyWithoutPersonalData) {
    struct Case {
        const char* what;
        std::string payload_json;
        const char* field; // named in the reason
    };
    const auto with = [](const char* key, const nlohmann::json& value) {
        auto p = patient_payload();
        p[key] = value;
        return p.dump();
    };
    const auto without = [](std::initializer_list<const char*> keys) {
        auto p = patient_payload();
        for (const char* k : keys)
            p.erase(k);
        return p.dump();
    };
    auto no_cccd_system = patient_payload();
    no_cccd_system["identifier_systems"].erase("cccd");
    const std::string full = patient_payload().dump();
    const std::vector<Case> cases = {
        {"cut short", full.substr(0, full.find("Văn") + 4), "JSON"},
        {"an array", nlohmann::json::array({patient_payload()}).dump(), "JSON"},
        {"no name", without({"full_name"}), "full_name"},
        {"blank name", with("full_name", " \t "), "full_name"},
        {"no number", without({"cccd", "bhyt"}), "cccd"},
        {"number not text", with("cccd", 79090001234), "cccd"},
        {"name not text", with("full_name", nlohmann::json::array({"Nguyễn", "Văn", "An"})), "full_name"},
        {"bad date", with("birth_date", "1990-02-30"), "birth_date"},
        {"date in another format", with("birth_date", "12/04/1990"), "birth_date"},
        {"bad sex", with("sex", "M"), "sex"},
        {"no systems", without({"identifier_systems"}), "identifier_systems"},
        {"no CCCD system", no_cccd_system.dump(), "cccd"},
        {"other kiosk id", with("kiosk_patient_id", "BVDK-DEMO-20261130-P-A0008"), "kiosk_patient_id"},
        {"no site", without({"site_id"}), "site_id"},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.what);
        auto e = patient_entry(patient_payload());
        e.payload_json = c.payload_json;
        std::string why;
        EXPECT_FALSE(test::to_fhir(e, kIdBase, why));
        EXPECT_THAT(why, HasSubstr(c.field));
        for (const auto& value : personal_values())
            EXPECT_THAT(why, Not(HasSubstr(value)));
    }
}

TEST(FhirMapping, RegistryPayloadMapsToThePatient) {
    // The contract between the store and the mapping: what PatientRegistry queues, to_fhir reads.
    test::TempDir dir;
    auto db = store::Database::open(dir / "kiosk.db");
    store::PatientRegistry registry(db);
    const core::PatientDetails d = test::patient_an();
    const core::KioskIdentity kiosk{"BVDK-DEMO", "SANH-A-01", 'A', 420};
    const auto p = registry.register_patient(kiosk, d, {"urn:oid:2.16.704.1.cccd", "urn:oid:2.16.704.1.bhyt"},
                                             1795480200000);
    const auto entries = store::Outbox(db).peek(1);
    ASSERT_EQ(entries.size(), 1u);

    std::string why;
    const auto w = test::to_fhir(entries[0], kIdBase, why);
    ASSERT_TRUE(w) << why;
    EXPECT_EQ(w->if_none_exist, "identifier=" + his::url_encode("urn:oid:2.16.704.1.cccd|079090001234") +
                                    "," + his::url_encode("urn:oid:2.16.704.1.bhyt|DN4797915000001"));
    auto expected = test::to_fhir(patient_entry(patient_payload()), kIdBase, why)->resource;
    expected["identifier"][0]["value"] = p.kiosk_patient_id;
    expected["identifier"][1]["system"] = "urn:oid:2.16.704.1.cccd";
    expected["identifier"][2]["system"] = "urn:oid:2.16.704.1.bhyt";
    EXPECT_EQ(w->resource, expected) << w->resource.dump(2);
}

// The conditional create of patient_payload(): its CCCD or its BHYT number.
const std::string kAnMatch =
    "identifier=http%3A%2F%2Ffhir.ehealth.gov.vn%2Fcore%2Fsid%2Fnational_id%7C079090001234,http%3A%2F%2Ffhir."
    "ehealth.gov.vn%2Fcore%2Fsid%2Finsurance_number%7CDN4797915000001";

TEST(FhirHis, PatientIsAConditionalCreateAndAMatchIsSuccess) {
    FakeTransport t;
    t.handler = [](const his::HttpRequest&) { return http(200, R"({"resourceType":"Patient","id":"p1"})"); };
    his::FhirHis his(t, "http://his.test/fhir", kIdBase);
    const auto r = his.deliver(test::records({patient_entry(patient_payload())}));
    ASSERT_EQ(r.size(), 1u);
    EXPECT_EQ(r[0].outcome, his::Delivery::AlreadyExists);
    ASSERT_EQ(t.requests.size(), 1u);
    EXPECT_EQ(t.requests[0].method, "POST");
    EXPECT_EQ(t.requests[0].url, "http://his.test/fhir/Patient");
    EXPECT_EQ(t.requests[0].headers.at("If-None-Exist"), kAnMatch);
    EXPECT_EQ(nlohmann::json::parse(t.requests[0].body)["resourceType"], "Patient");
}

TEST(FhirHis, PatientsAndTicketsShareABatch) {
    FakeTransport t;
    t.handler = [](const his::HttpRequest& req) {
        const auto bundle = nlohmann::json::parse(req.body);
        EXPECT_EQ(bundle["entry"].size(), 2u);
        EXPECT_EQ(bundle["entry"][0]["request"]["url"], "Patient");
        EXPECT_EQ(bundle["entry"][0]["request"]["ifNoneExist"], kAnMatch);
        EXPECT_EQ(bundle["entry"][1]["request"]["url"], "Encounter");
        nlohmann::json reply = {{"resourceType", "Bundle"}, {"type", "batch-response"}};
        reply["entry"] = {{{"response", {{"status", "201 Created"}, {"location", "Patient/p1/_history/1"}}}},
                          {{"response", {{"status", "201"}, {"location", "Encounter/e1/_history/1"}}}}};
        return http(200, reply.dump());
    };
    his::FhirHis his(t, "http://his.test/fhir", kIdBase);
    const auto r = his.deliver(test::records({patient_entry(patient_payload()), ticket_entry(1)}));
    ASSERT_EQ(r.size(), 2u);
    EXPECT_EQ(r[0].outcome, his::Delivery::Accepted);
    EXPECT_EQ(r[1].outcome, his::Delivery::Accepted);
}

TEST(FhirHis, RepliesWithMembersOfTheWrongTypeAreErrorsNotCrashes) {
    // nlohmann::json::value() throws on a member of another type; a HIS reply must never do that to us.
    EXPECT_EQ(his::operation_outcome_text(R"({"resourceType": 5})"), "");
    EXPECT_EQ(his::operation_outcome_text(R"({"resourceType":"OperationOutcome","issue":[{"details":5},
              {"details":{"text":7}},{"diagnostics":"kept"}]})"),
              "kept");
    EXPECT_EQ(his::json_text(nlohmann::json::parse("[1,2]"), "x"), "");
    EXPECT_EQ(his::json_text(nlohmann::json::parse(R"({"x": {"y": 1}})"), "x"), "");
    EXPECT_EQ(his::json_text(nlohmann::json::parse(R"({"x": "y"})"), "x"), "y");

    for (const char* body :
         {R"({"resourceType": ["Bundle"], "entry": [1, 2]})",
          R"({"resourceType": "Bundle", "entry": [5, "x"]})",
          R"({"resourceType": "Bundle", "entry": [{"response": {"status": 201}}, {"response": 7}]})"}) {
        SCOPED_TRACE(body);
        FakeTransport t;
        t.handler = [&](const his::HttpRequest&) { return http(200, body); };
        his::FhirHis his(t, "http://his.test/fhir/R4", kIdBase);
        std::vector<his::DeliveryResult> r;
        ASSERT_NO_THROW(r = his.deliver(test::records({ticket_entry(1), ticket_entry(2)})));
        ASSERT_EQ(r.size(), 2u);
        for (const auto& one : r)
            EXPECT_EQ(one.outcome, his::Delivery::RetryLater);
    }
}

TEST(FhirMapping, TicketOfAnIdentifiedPatientNamesThePatientAsSubject) {
    std::string why;
    auto e = ticket_entry(1);
    auto p = nlohmann::json::parse(e.payload_json);
    p["patient"] = {{"his_id", "3f2a"}, {"kiosk_patient_id", "BVDK-DEMO-20261124-P-A0001"}};
    e.payload_json = p.dump();
    auto w = test::to_fhir(e, kIdBase, why);
    ASSERT_TRUE(w) << why;
    EXPECT_EQ(w->resource["subject"], (nlohmann::json{{"reference", "Patient/3f2a"}}));

    // Registered here, not yet known to the HIS by id: a logical reference by the registration identifier.
    p["patient"] = {{"kiosk_patient_id", "BVDK-DEMO-20261124-P-A0001"}};
    e.payload_json = p.dump();
    w = test::to_fhir(e, kIdBase, why);
    ASSERT_TRUE(w) << why;
    EXPECT_EQ(w->resource["subject"]["type"], "Patient");
    EXPECT_EQ(w->resource["subject"]["identifier"]["system"], "https://bvdk-demo.vn/fhir/sid/kiosk-patient");
    EXPECT_EQ(w->resource["subject"]["identifier"]["value"], "BVDK-DEMO-20261124-P-A0001");

    // Walk-in tickets have no subject.
    w = test::to_fhir(ticket_entry(2), kIdBase, why);
    ASSERT_TRUE(w) << why;
    EXPECT_FALSE(w->resource.contains("subject"));
}

TEST(FhirMapping, TicketAfterAKioskRegistrationNamesThePatientTheHisAnsweredWith) {
    // The registration was delivered and the HIS answered with its (existing) Patient 4711: the ticket
    // refers to that Patient, not to the kiosk's identifier, which that Patient does not carry.
    std::string why;
    auto e = ticket_entry(1);
    auto p = nlohmann::json::parse(e.payload_json);
    p["patient"] = {{"kiosk_patient_id", "BVDK-DEMO-20261124-P-A0001"}};
    e.payload_json = p.dump();
    e.depends_on = 7;
    e.depends_on_resource = "Patient/4711";
    const auto w = test::to_fhir(e, kIdBase, why);
    ASSERT_TRUE(w) << why;
    EXPECT_EQ(w->resource["subject"], (nlohmann::json{{"reference", "Patient/4711"}}));
}

TEST(FhirMapping, IdentifierSystemsAreStableUrisUnderTheHospitalsNamespace) {
    std::string why;
    auto today = ticket_entry(1);
    auto tomorrow = ticket_entry(2);
    auto p = nlohmann::json::parse(tomorrow.payload_json);
    p["service_day"] = "2026-11-25";
    tomorrow.payload_json = p.dump();
    const auto a = test::to_fhir(today, kIdBase, why);
    const auto b = test::to_fhir(tomorrow, kIdBase, why);
    ASSERT_TRUE(a && b) << why;
    // The queue number's system is the same every day; the day is the identifier's period.
    EXPECT_EQ(a->resource["identifier"][1]["system"], "https://bvdk-demo.vn/fhir/sid/kiosk-queue-number");
    EXPECT_EQ(b->resource["identifier"][1]["system"], a->resource["identifier"][1]["system"]);
    EXPECT_EQ(a->resource["identifier"][1]["period"],
              (nlohmann::json{{"start", "2026-11-24"}, {"end", "2026-11-24"}}));
    EXPECT_EQ(b->resource["identifier"][1]["period"]["start"], "2026-11-25");
    EXPECT_EQ(a->resource["serviceType"]["coding"][0]["system"],
              "https://bvdk-demo.vn/fhir/sid/kiosk-service");
    for (const auto& w : {*a, *b})
        for (const auto& id : w.resource["identifier"])
            EXPECT_EQ(id["system"].get<std::string>().rfind("https://bvdk-demo.vn/fhir/sid/kiosk-", 0), 0u)
                << id;
}

TEST(FhirHis, NeedsAnAbsoluteIdentifierBase) {
    FakeTransport t;
    EXPECT_THROW((void)his::FhirHis(t, "http://his.test/fhir", ""), std::invalid_argument);
    EXPECT_THROW((void)his::FhirHis(t, "http://his.test/fhir", "urn:kiosk:BVDK-DEMO:"),
                 std::invalid_argument);
}

TEST(FhirHis, LocationNamesTheResourceWrittenOrNothing) {
    EXPECT_EQ(his::resource_from_location("http://h/fhir/Patient/123/_history/1", "Patient"), "Patient/123");
    EXPECT_EQ(his::resource_from_location("Patient/123", "Patient"), "Patient/123");
    EXPECT_EQ(his::resource_from_location("/fhir/Encounter/a.b-9?x=1", "Encounter"), "Encounter/a.b-9");
    EXPECT_EQ(his::resource_from_location("http://h/fhir/Patient/123/_history/1", "Encounter"), "");
    EXPECT_EQ(his::resource_from_location("http://h/fhir/Encounter", "Encounter"), "");
    EXPECT_EQ(his::resource_from_location("http://h/maintenance.html", "Encounter"), "");
    EXPECT_EQ(his::resource_from_location("", "Encounter"), "");
}

// --- a 2xx that does not prove the record was stored (issue 8, item 1) --------------------------------
// Real HTTP through libcurl to an in-process server that answers every write with 2xx and a body that is
// not the resource: what a proxy, a maintenance page or a broken HIS sends.

namespace {

struct BadSuccess {
    const char* name;
    int status;
    std::string content_type;
    std::string body;
    std::string detail; // a fragment of what staff read
};

const std::vector<BadSuccess> kBadSuccesses{
    {"truncated JSON", 201, "application/fhir+json", R"({"resourceType":"Encounter","id":"e1","sta)",
     "not JSON"},
    {"OperationOutcome", 201, "application/fhir+json", outcome("stored nowhere, queue full"),
     "an OperationOutcome (stored nowhere, queue full)"},
    {"Patient for an Encounter", 200, "application/fhir+json", stored("Patient", "p9"),
     "a Patient instead of a Encounter"},
    {"HTML maintenance page", 200, "text/html", "<html><body>Bảo trì hệ thống</body></html>", "not JSON"},
    {"empty 201 without Location", 201, "", "", "an empty body and no Location"},
    {"Encounter without id", 201, "application/fhir+json", R"({"resourceType":"Encounter"})",
     "a Encounter without a valid id"},
};

// A server whose every POST gets `reply`; the batch endpoint (the base) gets a batch-response of such
// entries when `batch_entry` is set, or `reply` itself.
struct BadHis {
    explicit BadHis(std::function<void(const httplib::Request&, httplib::Response&)> handler) {
        server.server().Post(".*", server.record(std::move(handler)));
        server.start();
    }
    test::HttpTestServer server;
    [[nodiscard]] std::string base() const { return server.url("/fhir"); }
};

his::TransportOptions curl_options() {
    his::TransportOptions o;
    o.connect_timeout = std::chrono::milliseconds(2000);
    o.total_timeout = std::chrono::milliseconds(10000);
    o.user_agent = "kiosk-test";
    return o;
}

} // namespace

TEST(FhirHisBadSuccess, SingleWriteIsNotDeliveredWithoutProof) {
    for (const auto& c : kBadSuccesses) {
        SCOPED_TRACE(c.name);
        BadHis his_server([&](const httplib::Request&, httplib::Response& res) {
            res.status = c.status;
            if (!c.body.empty() || !c.content_type.empty()) res.set_content(c.body, c.content_type);
        });
        his::CurlTransport t(curl_options());
        his::FhirHis fhir(t, his_server.base(), kIdBase);
        const auto r = fhir.deliver(test::records({ticket_entry(1)}));
        ASSERT_EQ(r.size(), 1u);
        EXPECT_EQ(r[0].outcome, his::Delivery::RetryLater) << r[0].detail;
        EXPECT_FALSE(r[0].unreachable) << "the HIS answered";
        EXPECT_THAT(r[0].detail, HasSubstr("does not prove the Encounter was stored"));
        EXPECT_THAT(r[0].detail, HasSubstr(c.detail));
        EXPECT_EQ(r[0].resource, "");
        EXPECT_EQ(his_server.server.received().size(), 1u);
    }
}

TEST(FhirHisBadSuccess, SingleWriteWithTheResourceOrItsLocationIsDelivered) {
    {
        BadHis his_server([](const httplib::Request&, httplib::Response& res) {
            res.status = 201;
            res.set_content(stored("Encounter", "e-42"), "application/fhir+json");
        });
        his::CurlTransport t(curl_options());
        const auto r = his::FhirHis(t, his_server.base(), kIdBase).deliver(test::records({ticket_entry(1)}));
        EXPECT_EQ(r[0].outcome, his::Delivery::Accepted) << r[0].detail;
        EXPECT_EQ(r[0].resource, "Encounter/e-42");
    }
    {
        // Prefer: return=minimal style: no body, the Location says where it is.
        BadHis his_server([&](const httplib::Request&, httplib::Response& res) {
            res.status = 201;
            res.set_header("Location", "http://his.test/fhir/Encounter/77/_history/1");
        });
        his::CurlTransport t(curl_options());
        const auto r = his::FhirHis(t, his_server.base(), kIdBase).deliver(test::records({ticket_entry(1)}));
        EXPECT_EQ(r[0].outcome, his::Delivery::Accepted) << r[0].detail;
        EXPECT_EQ(r[0].resource, "Encounter/77");
    }
    {
        // A matched conditional create: 200 with the Patient the HIS already had.
        BadHis his_server([](const httplib::Request&, httplib::Response& res) {
            res.status = 200;
            res.set_content(stored("Patient", "desk-1"), "application/fhir+json");
        });
        his::CurlTransport t(curl_options());
        const auto r = his::FhirHis(t, his_server.base(), kIdBase)
                           .deliver(test::records({patient_entry(patient_payload())}));
        EXPECT_EQ(r[0].outcome, his::Delivery::AlreadyExists) << r[0].detail;
        EXPECT_EQ(r[0].resource, "Patient/desk-1");
    }
}

TEST(FhirHisBadSuccess, BatchEntriesAreNotDeliveredWithoutProof) {
    // One batch, one entry per kind of bad success, plus two good ones (by resource, by location).
    const std::vector<nlohmann::json> entries = {
        {{"response", {{"status", "201 Created"}}}}, // nothing
        {{"response", {{"status", "201 Created"}}}, {"resource", nlohmann::json::parse(outcome("no"))}},
        {{"response", {{"status", "200 OK"}}}, {"resource", nlohmann::json::parse(stored("Patient", "p"))}},
        {{"response", {{"status", "201 Created"}, {"location", "Patient/5/_history/1"}}}},   // wrong type
        {{"response", {{"status", "201"}}}, {"resource", {{"resourceType", "Encounter"}}}},  // no id
        {{"response", {{"status", "201 Created"}, {"location", "Encounter/8/_history/1"}}}}, // good
        {{"response", {{"status", "200 OK"}}}, {"resource", nlohmann::json::parse(stored("Encounter", "9"))}},
    };
    BadHis his_server([&](const httplib::Request&, httplib::Response& res) {
        res.status = 200;
        nlohmann::json reply = {{"resourceType", "Bundle"}, {"type", "batch-response"}, {"entry", entries}};
        res.set_content(reply.dump(), "application/fhir+json");
    });
    his::CurlTransport t(curl_options());
    his::FhirHis fhir(t, his_server.base(), kIdBase);
    std::vector<store::OutboxEntry> batch;
    for (int i = 0; i < static_cast<int>(entries.size()); ++i)
        batch.push_back(ticket_entry(i + 1));
    const auto r = fhir.deliver(test::records(batch));
    ASSERT_EQ(r.size(), entries.size());
    EXPECT_EQ(his_server.server.received().size(), 1u) << "one batch";
    for (std::size_t i = 0; i < 5; ++i) {
        SCOPED_TRACE(i);
        EXPECT_EQ(r[i].outcome, his::Delivery::RetryLater) << r[i].detail;
        EXPECT_THAT(r[i].detail, HasSubstr("batch entry " + std::to_string(i + 1) + ": "));
        EXPECT_THAT(r[i].detail, HasSubstr("does not prove the Encounter was stored"));
    }
    EXPECT_THAT(r[1].detail, HasSubstr("an OperationOutcome (no)"));
    EXPECT_THAT(r[2].detail, HasSubstr("a Patient instead of a Encounter"));
    EXPECT_THAT(r[3].detail, HasSubstr("a Location naming no Encounter"));
    EXPECT_EQ(r[5].outcome, his::Delivery::Accepted) << r[5].detail;
    EXPECT_EQ(r[5].resource, "Encounter/8");
    EXPECT_EQ(r[6].outcome, his::Delivery::AlreadyExists) << r[6].detail;
    EXPECT_EQ(r[6].resource, "Encounter/9");
}

TEST(FhirHisBadSuccess, WholeBatchReplyThatIsNoBundleKeepsEveryRecord) {
    for (const auto& c : kBadSuccesses) {
        SCOPED_TRACE(c.name);
        BadHis his_server([&](const httplib::Request&, httplib::Response& res) {
            res.status = 200;
            res.set_content(c.body, c.content_type.empty() ? "text/plain" : c.content_type);
        });
        his::CurlTransport t(curl_options());
        const auto r = his::FhirHis(t, his_server.base(), kIdBase)
                           .deliver(test::records({ticket_entry(1), ticket_entry(2)}));
        ASSERT_EQ(r.size(), 2u);
        for (const auto& one : r)
            EXPECT_EQ(one.outcome, his::Delivery::RetryLater) << one.detail;
    }
}

TEST(FhirHisBadSuccess, SyncEngineKeepsEveryRecordInTheOutbox) {
    // 21 tickets, a HIS that answers every write (single or batch) with 2xx and no proof: none may leave
    // the outbox, none is dead-lettered, and the staff see why.
    for (const auto& c : kBadSuccesses) {
        SCOPED_TRACE(c.name);
        test::TempDir dir;
        auto db = store::Database::open(dir / "kiosk.db");
        store::TicketStore tickets(db);
        core::ManualClock clock(1795480200000);
        const core::KioskIdentity identity{"BVDK-DEMO", "SANH-A-01", 'A', 420};
        const core::Service service{"KBH", "A", "Khám BHYT", "Insured"};
        for (int i = 0; i < 21; ++i)
            tickets.issue(identity, service, clock.now());
        BadHis his_server([&](const httplib::Request&, httplib::Response& res) {
            res.status = c.status;
            if (!c.body.empty() || !c.content_type.empty()) res.set_content(c.body, c.content_type);
        });
        his::CurlTransport t(curl_options());
        his::FhirHis fhir(t, his_server.base(), kIdBase);
        for (const int batch : {1, 50}) {
            sync::SyncEngine engine(
                db, fhir, clock,
                sync::SyncSettings{batch, std::chrono::milliseconds(1000), std::chrono::milliseconds(60000)},
                1);
            const auto st = engine.run_once();
            EXPECT_EQ(st.waiting, 21) << "batch size " << batch;
            EXPECT_EQ(st.quarantined, 0);
            EXPECT_EQ(st.delivered_total, 0);
            if (batch == 1) { // a batch reply that is no Bundle says so instead
                EXPECT_THAT(st.last_error, HasSubstr("does not prove the Encounter was stored"));
            }
            EXPECT_FALSE(st.last_error.empty());
            clock.advance(3'600'000); // every record due again
        }
        EXPECT_EQ(store::Outbox(db).count(), 21);
        EXPECT_GE(his_server.server.received().size(), 2u) << "the kiosk did send";
    }
}
